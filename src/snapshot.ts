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
 * Every task of this process that is not done, what each waits on, and the
 * open task groups, as plain JSON-ready data (see {@link Snapshot}). Serve it
 * on a debug endpoint of your own, or read it from outside with `weft ps PID`.
 * Creation locations and stacks are filled in for tasks created in debug
 * mode (`run(main, { debug: true })` or `WEFT_DEBUG=1`).
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
export function snapshot(): Snapshot {
  const running = currentTask();
  const tasks: TaskSnapshot[] = [];
  const groups: GroupSnapshot[] = [];
  const groupOf = new Map<number, number>();
  let debug = process.env.WEFT_DEBUG === '1';
  for (const task of eachPending()) {
    if (task._context?.debug) debug = true;
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
  tasks.sort((a, b) => a.id - b.id);
  groups.sort((a, b) => a.id - b.id);
  return {
    pid: process.pid,
    node: process.version,
    weft: (weftVersion ??= readVersion()),
    takenAt: Date.now(),
    debug,
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
  /** Take a {@link Snapshot}. */
  snapshot(): Snapshot;
}

const HOOK = Symbol.for('weft.inspect');
const registry = globalThis as { [HOOK]?: InspectHook };
registry[HOOK] ??= Object.freeze({ version: 1, snapshot });
