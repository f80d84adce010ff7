/**
 * Read a {@link Snapshot} out of another process: evaluate weft's
 * inspection hook there (`globalThis[Symbol.for('weft.inspect')]`) and check
 * that what comes back has the snapshot's shape.
 *
 * @module
 */

import type { Snapshot } from '../snapshot-types.js';
import { type AttachOptions, withInspector } from './attach.js';
import { CliError } from './errors.js';

/** The hook protocol version this command understands. */
export const HOOK_VERSION = 1;

/** How many tasks one evaluation describes: the target's main thread is held for one slice at a time. */
export const SLICE_SIZE = 5000;

/**
 * Evaluated in the target: read-only. `null` when weft is not loaded there;
 * otherwise the hook's version and, for a version this command knows, a
 * slice of the snapshot (at most `limit` tasks with ids above `afterId`) as
 * a JSON string (one string crosses the inspector faster than a deep
 * object). A weft too old to take slices ignores the options and sends
 * every task, without `total`.
 *
 * @example
 * ```ts
 * import { snapshotExpression } from '../../src/cli/read-snapshot.js';
 *
 * console.log(snapshotExpression(5000, 0).includes('hook.snapshot({ limit: 5000, afterId: 0 })')); // true
 * ```
 */
export function snapshotExpression(limit: number, afterId: number): string {
  return `(() => {
  const hook = globalThis[Symbol.for('weft.inspect')];
  if (hook === null || typeof hook !== 'object' || typeof hook.snapshot !== 'function') return null;
  if (hook.version !== ${HOOK_VERSION}) return JSON.stringify({ version: hook.version });
  return JSON.stringify({ version: hook.version, snapshot: hook.snapshot({ limit: ${limit}, afterId: ${afterId} }) });
})()`;
}

/** Options for {@link readSnapshot}. */
export interface ReadOptions extends AttachOptions {
  /**
   * At most this many tasks (those with the smallest ids); `total` still
   * counts them all. `Infinity` for every task.
   * @default Infinity
   */
  limit?: number;
  /**
   * Tasks per evaluation in the target.
   * @default SLICE_SIZE
   */
  sliceSize?: number;
}

/** What {@link readSnapshot} returns. */
export interface RemoteSnapshot {
  /** The target's tasks (`total` always set). */
  snapshot: Snapshot & { total: number };
  /** Whether weft opened the target's inspector for this (and closed it again). */
  opened: boolean;
  /** Whether the inspector weft opened is closed again (false when it was open before). */
  closed: boolean;
  /** Whether other weft commands were still attached when this one left (the last one closes the inspector). */
  shared: boolean;
}

/**
 * Attach to Node process `pid`, take a {@link Snapshot} of its weft tasks
 * and detach. A large snapshot is read in slices of `sliceSize` tasks, one
 * evaluation each, so that the target's event loop runs between them; the
 * slices are then one snapshot (tasks that started or ended meanwhile may
 * be missing or present).
 *
 * @throws {CliError} `NO_PROCESS`, `NOT_NODE`, `NO_WEFT`, `PERMISSION` or `ATTACH`.
 *
 * @example
 * ```ts
 * import { CliError } from '../../src/cli/errors.js';
 * import { readSnapshot } from '../../src/cli/read-snapshot.js';
 *
 * try {
 *   await readSnapshot(2 ** 22 + 1); // above Linux's largest PID
 * } catch (err) {
 *   if (err instanceof CliError) console.log(err.message); // No process with PID 4194305
 * }
 * ```
 */
export async function readSnapshot(
  pid: number,
  options: ReadOptions = {},
): Promise<RemoteSnapshot> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const sliceSize = options.sliceSize ?? SLICE_SIZE;
  const { value, opened, closed, shared } = await withInspector(pid, options, async (evaluate) => {
    let merged: (Snapshot & { total: number }) | undefined;
    const groups = new Map<number, Snapshot['groups'][number]>();
    let afterId = 0;
    for (;;) {
      const want = Math.min(sliceSize, limit - (merged?.tasks.length ?? 0));
      const slice = parseSlice(await evaluate(snapshotExpression(want, afterId)), pid);
      if (slice.total === undefined) {
        // An older weft: every task at once.
        const tasks = slice.tasks.length > limit ? slice.tasks.slice(0, limit) : slice.tasks;
        return { ...slice, total: slice.tasks.length, tasks };
      }
      if (merged === undefined) merged = { ...slice, total: slice.total, tasks: [] };
      merged.total = slice.total;
      merged.debug ||= slice.debug;
      for (const task of slice.tasks) merged.tasks.push(task);
      for (const group of slice.groups) groups.set(group.id, group);
      const last = slice.tasks.at(-1);
      if (last === undefined || slice.tasks.length < want || merged.tasks.length >= limit) break;
      afterId = last.id;
    }
    merged.groups = [...groups.values()].sort((a, b) => a.id - b.id);
    merged.total = Math.max(merged.total, merged.tasks.length);
    // A group's owner and its tasks may come in different slices.
    const byId = new Map(merged.tasks.map((t) => [t.id, t]));
    for (const group of merged.groups) {
      for (const id of group.tasks) {
        const task = byId.get(id);
        if (task !== undefined) task.group ??= group.id;
      }
    }
    return merged;
  });
  return { snapshot: value, opened, closed, shared };
}

function parseSlice(value: unknown, pid: number): Snapshot {
  if (value === null || value === undefined) {
    throw new CliError(
      'NO_WEFT',
      `Node process ${pid} has not loaded weft (or a weft too old to be inspected)`,
      { pid },
    );
  }
  let parsed: { version?: unknown; snapshot?: unknown };
  try {
    parsed = JSON.parse(String(value)) as typeof parsed;
  } catch (err) {
    throw new CliError('ATTACH', `PID ${pid} sent a snapshot that is not JSON`, {
      pid,
      cause: err,
    });
  }
  if (parsed.version !== HOOK_VERSION) {
    throw new CliError(
      'ATTACH',
      `The weft in PID ${pid} speaks inspection version ${JSON.stringify(parsed.version)}; ` +
        `this weft command reads version ${HOOK_VERSION}: use the weft command of the same version`,
      { pid },
    );
  }
  const problem = snapshotProblem(parsed.snapshot);
  if (problem !== null) {
    throw new CliError('ATTACH', `PID ${pid} sent a malformed snapshot: ${problem}`, { pid });
  }
  return parsed.snapshot as Snapshot;
}

const isInt = (v: unknown): v is number => Number.isInteger(v);
const isIntOrNull = (v: unknown) => v === null || isInt(v);
const isStringOrNull = (v: unknown) => v === null || typeof v === 'string';

/**
 * What is wrong with `value` as a {@link Snapshot}, or null when it has the
 * shape. Checks the fields the formatters rely on; a wait of an unknown kind
 * is allowed (newer weft), as long as it has a `kind`.
 *
 * @example
 * ```ts
 * import { snapshotProblem } from '../../src/cli/read-snapshot.js';
 *
 * console.log(snapshotProblem({ pid: 1 })); // `node` is not a string
 * ```
 */
export function snapshotProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return 'not an object';
  const s = value as Record<string, unknown>;
  if (!isInt(s.pid)) return '`pid` is not an integer';
  for (const key of ['node', 'weft'] as const) {
    if (typeof s[key] !== 'string') return `\`${key}\` is not a string`;
  }
  if (typeof s.takenAt !== 'number') return '`takenAt` is not a number';
  if (typeof s.debug !== 'boolean') return '`debug` is not a boolean';
  if (s.total !== undefined && !(isInt(s.total) && s.total >= 0)) {
    return '`total` is not an integer >= 0';
  }
  if (!Array.isArray(s.tasks)) return '`tasks` is not an array';
  if (!Array.isArray(s.groups)) return '`groups` is not an array';
  for (const [i, item] of s.tasks.entries()) {
    const t = item as Record<string, unknown> | null;
    const where = `tasks[${i}]`;
    if (t === null || typeof t !== 'object') return `${where} is not an object`;
    if (!isInt(t.id)) return `${where}.id is not an integer`;
    if (typeof t.name !== 'string') return `${where}.name is not a string`;
    if (!['scheduled', 'running', 'waiting'].includes(t.state as string)) {
      return `${where}.state is ${JSON.stringify(t.state)}`;
    }
    if (!isInt(t.cancelling)) return `${where}.cancelling is not an integer`;
    if (!isIntOrNull(t.parent)) return `${where}.parent is not an integer or null`;
    if (!isIntOrNull(t.group)) return `${where}.group is not an integer or null`;
    if (typeof t.ageMs !== 'number') return `${where}.ageMs is not a number`;
    if (!isStringOrNull(t.location)) return `${where}.location is not a string or null`;
    if (!isStringOrNull(t.stack)) return `${where}.stack is not a string or null`;
    if (!Array.isArray(t.waitingOn)) return `${where}.waitingOn is not an array`;
    for (const [j, wait] of t.waitingOn.entries()) {
      const w = wait as Record<string, unknown> | null;
      if (w === null || typeof w !== 'object' || typeof w.kind !== 'string') {
        return `${where}.waitingOn[${j}] has no kind`;
      }
      const links =
        (w.kind === 'task' || w.kind === 'group' ? isInt(w.id) : true) &&
        (w.kind === 'tasks' ? Array.isArray(w.ids) && w.ids.every(isInt) : true);
      if (!links) return `${where}.waitingOn[${j}] (${w.kind}) has a bad id`;
    }
  }
  for (const [i, item] of s.groups.entries()) {
    const g = item as Record<string, unknown> | null;
    const where = `groups[${i}]`;
    if (g === null || typeof g !== 'object') return `${where} is not an object`;
    if (!isInt(g.id) || !isInt(g.owner)) return `${where}.id or .owner is not an integer`;
    if (g.state !== 'open' && g.state !== 'cancelling') {
      return `${where}.state is ${JSON.stringify(g.state)}`;
    }
    if (!Array.isArray(g.tasks) || !g.tasks.every(isInt)) {
      return `${where}.tasks is not an array of ids`;
    }
  }
  return null;
}
