/**
 * `snapshot()`: every pending task, what it waits on, and who created it —
 * the in-process side of `weft ps` and `weft pstree`.
 *
 * Nothing is recorded for it while tasks run (no hooks, no per-wait
 * bookkeeping): a snapshot walks the live task list and asks each wait
 * what it is on. Loading this module also registers a read-only hook on
 * `globalThis[Symbol.for('weft.inspect')]`, which the CLI evaluates through
 * the inspector.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import type { Scope } from './internal/scope.js';
import { creationLocation } from './internal/stacks.js';
import type { GroupSnapshot, Snapshot, TaskSnapshot, WaitTarget } from './snapshot-types.js';
import { TaskGroup } from './taskgroups.js';
import { currentTask, eachPending, type Task, taskAge } from './tasks.js';

let weftVersion: string | undefined;

/** weft's version, read on the first snapshot (not at start-up: loading weft stays cheap). */
function readVersion(): string {
  try {
    const url = new URL('../package.json', import.meta.url);
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: unknown; version?: unknown };
    return pkg.name === 'weft' && typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Options of {@link snapshot}: take a slice of the tasks instead of all of them.
 *
 * @example
 * ```ts
 * import { createTask, Event, run, sleep, snapshot } from 'weft';
 *
 * await run(async () => {
 *   const done = new Event();
 *   const tasks = Array.from({ length: 5 }, (_, i) => createTask(() => done.wait(), { name: `t${i}` }));
 *   await sleep(10);
 *   const first = snapshot({ limit: 2 });
 *   console.log(first.total, first.tasks.map((t) => t.name).join(' ')); // 6 main t0
 *   const next = snapshot({ limit: 2, afterId: first.tasks.at(-1)!.id });
 *   console.log(next.tasks.map((t) => t.name).join(' ')); // t1 t2
 *   done.set();
 *   await Promise.all(tasks);
 * });
 * ```
 */
export interface SnapshotOptions {
  /**
   * At most this many tasks, those with the smallest ids (the oldest).
   * `total` still counts every pending task. A positive integer, or
   * `Infinity` for all.
   * @default Infinity
   */
  limit?: number;
  /**
   * Only tasks whose id is greater than this: with `limit`, read a large
   * process slice by slice, each slice starting after the last id of the
   * previous one (what `weft ps` does, so that it never holds the target's
   * event loop long). A task's `group` is filled only when the group's
   * owner is in the same slice; every group lists its tasks.
   * @default 0
   */
  afterId?: number;
}

function checkOptions(options: SnapshotOptions): { limit: number; afterId: number } {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      `Expected \`options\` to be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  const { limit = Number.POSITIVE_INFINITY, afterId = 0 } = options;
  if (typeof limit !== 'number') {
    throw new TypeError(`Expected \`options.limit\` to be a number, got ${typeof limit}`);
  }
  if (!(limit === Number.POSITIVE_INFINITY || (Number.isSafeInteger(limit) && limit >= 1))) {
    throw new RangeError(
      `Expected \`options.limit\` to be a positive integer or Infinity, got ${limit}`,
    );
  }
  if (typeof afterId !== 'number') {
    throw new TypeError(`Expected \`options.afterId\` to be a number, got ${typeof afterId}`);
  }
  if (!Number.isSafeInteger(afterId) || afterId < 0) {
    throw new RangeError(`Expected \`options.afterId\` to be an integer >= 0, got ${afterId}`);
  }
  return { limit, afterId };
}

/**
 * Every task of this process that is not done, what each waits on, and the
 * open task groups, as plain JSON-ready data (see {@link Snapshot}). Serve it
 * on a debug endpoint of your own, or read it from outside with `weft ps PID`.
 * Creation locations and stacks are filled in for tasks created in debug
 * mode (`run(main, { debug: true })` or `WEFT_DEBUG=1`).
 *
 * Its cost grows with the number of tasks it describes. In a process with
 * very many tasks, take a slice with `options.limit` (and the next one with
 * `options.afterId`): `total` still counts them all.
 *
 * @throws {TypeError} `options` or one of its fields is of the wrong kind.
 * @throws {RangeError} `options.limit` is not a positive integer or `Infinity`, or
 *   `options.afterId` is not an integer >= 0.
 *
 * @example
 * ```ts
 * import { createTask, Lock, run, sleep, snapshot } from 'weft';
 *
 * await run(async () => {
 *   const lock = new Lock({ name: 'db' });
 *   await lock.acquire();
 *   const sleeper = createTask(() => sleep(1_000), { name: 'sleeper' });
 *   const blocked = createTask(() => lock.acquire(), { name: 'blocked' });
 *   await sleep(10);
 *   const tasks = new Map(snapshot().tasks.map((t) => [t.name, t]));
 *   console.log(tasks.get('main')?.state); // running
 *   console.log(tasks.get('sleeper')?.waitingOn[0]?.kind); // sleep
 *   console.log(tasks.get('blocked')?.waitingOn[0]); // { kind: 'lock', name: 'db', detail: 'Lock<locked waiters=1>' }
 *   sleeper.cancel();
 *   blocked.cancel();
 * });
 * ```
 */
export function snapshot(options: SnapshotOptions = {}): Snapshot {
  const { limit, afterId } = checkOptions(options);
  const running = currentTask();
  let debug = process.env.WEFT_DEBUG === '1';
  // Every pending task is counted; only the slice is described. The list is
  // newest first, so the slice (the smallest ids above afterId) is the last
  // `limit` tasks seen above afterId: kept in a ring, not in an array of all.
  let total = 0;
  const ring: Task<unknown>[] = [];
  let seen = 0;
  let previous = Number.POSITIVE_INFINITY;
  let descending = true;
  for (const task of eachPending()) {
    total++;
    if (task._context?.debug) debug = true;
    if (task.id <= afterId) continue;
    if (task.id > previous) descending = false;
    previous = task.id;
    if (ring.length < limit) ring.push(task);
    else ring[seen % limit] = task;
    seen++;
  }
  let selected: Task<unknown>[];
  if (!descending) {
    selected = [];
    for (const task of eachPending()) if (task.id > afterId) selected.push(task);
    selected.sort((a, b) => a.id - b.id);
    selected.length = Math.min(selected.length, limit);
  } else {
    // Oldest last: start after the newest slot written, and go backwards.
    selected = [];
    const start = ring.length < limit ? ring.length - 1 : (seen - 1) % limit;
    for (let i = 0; i < ring.length; i++) {
      selected.push(ring[(start - i + ring.length) % ring.length]!);
    }
  }
  const tasks: TaskSnapshot[] = [];
  const groups: GroupSnapshot[] = [];
  const groupOf = new Map<number, number>();
  for (const task of selected) {
    const waits: WaitTarget[] = [];
    collect(task, task, waits, groups, groupOf);
    // `_body` is taken when the task starts.
    const state = task === running ? 'running' : task._body !== undefined ? 'scheduled' : 'waiting';
    if (state === 'waiting' && waits.length === 0) {
      waits.push({ kind: 'promise', detail: 'a promise weft cannot see into' });
    }
    const stack = task._creationStack ?? null;
    tasks.push({
      id: task.id,
      name: task.name,
      state,
      cancelling: task.cancelling(),
      parent: task._creator === 0 ? null : task._creator,
      group: null,
      ageMs: taskAge(task),
      waitingOn: state === 'waiting' ? waits : [],
      location: stack === null ? null : creationLocation(stack),
      stack,
    });
  }
  for (const t of tasks) t.group = groupOf.get(t.id) ?? null;
  groups.sort((a, b) => a.id - b.id);
  return {
    pid: process.pid,
    node: process.version,
    weft: (weftVersion ??= readVersion()),
    takenAt: Date.now(),
    debug,
    total,
    tasks,
    groups,
  };
}

/** Walk a task's open scopes: innermost waits first, and the groups opened in them. */
function collect(
  task: Task<unknown>,
  scope: Scope,
  waits: WaitTarget[],
  groups: GroupSnapshot[],
  groupOf: Map<number, number>,
): void {
  if (scope._children !== undefined) {
    for (const child of scope._children) collect(task, child, waits, groups, groupOf);
  }
  if (scope instanceof TaskGroup) {
    const ids: number[] = [];
    for (const member of scope._tasks) {
      if (member.done()) continue;
      ids.push(member.id);
      groupOf.set(member.id, scope._id);
    }
    groups.push({
      id: scope._id,
      owner: task.id,
      state: scope._aborting ? 'cancelling' : 'open',
      tasks: ids,
    });
  }
  const first = scope._waiter;
  if (first?.describe !== undefined) waits.push(first.describe());
  if (scope._waiters !== undefined) {
    for (const waiter of scope._waiters)
      if (waiter.describe !== undefined) waits.push(waiter.describe());
  }
}

/** The hook `weft ps` reads through the inspector: one per process, first weft loaded wins. */
export interface InspectHook {
  /** Version of the hook's protocol. */
  readonly version: 1;
  /** Take a {@link Snapshot} (or a slice of one: see {@link SnapshotOptions}). */
  snapshot(options?: SnapshotOptions): Snapshot;
}

const HOOK = Symbol.for('weft.inspect');
const registry = globalThis as { [HOOK]?: InspectHook };
registry[HOOK] ??= Object.freeze({ version: 1, snapshot });
