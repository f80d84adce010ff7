/**
 * Words for a snapshot's parts, shared by `weft ps` and `weft pstree`:
 * durations, task labels and what a task waits on.
 *
 * @module
 */

import type { GroupSnapshot, Snapshot, TaskSnapshot, WaitTarget } from '../snapshot-types.js';

/**
 * A duration for people: `850ms`, `2.1s`, `3m05s`, `2h07m`.
 *
 * @example
 * ```ts
 * import { formatDuration } from '../../src/cli/describe.js';
 *
 * console.log(formatDuration(850), formatDuration(2140), formatDuration(185_000)); // 850ms 2.1s 3m05s
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  const abs = Math.max(0, ms);
  if (abs < 1000) return `${Math.round(abs)}ms`;
  if (abs < 60_000) return `${(Math.floor(abs / 100) / 10).toFixed(1)}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const seconds = Math.floor(abs / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h${pad(Math.floor(seconds / 60) % 60)}m`;
}

/**
 * A name or detail made safe for one line of a table: control characters
 * shown as `?`, runs of blanks as one space.
 *
 * @example
 * ```ts
 * import { oneLine } from '../../src/cli/describe.js';
 *
 * console.log(oneLine('a\n  b')); // a b
 * ```
 */
export function oneLine(text: string): string {
  return text
    .replace(/\p{Cc}/gu, (c) => (/\s/.test(c) ? ' ' : '?'))
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * `#id name`, the way both commands name a task.
 *
 * @example
 * ```ts
 * import { taskLabel } from '../../src/cli/describe.js';
 *
 * console.log(taskLabel({ id: 4, name: 'fetch users' })); // #4 fetch users
 * ```
 */
export function taskLabel(task: Pick<TaskSnapshot, 'id' | 'name'>): string {
  return `#${task.id} ${oneLine(task.name)}`;
}

function clock(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Ids listed by a gather's wait in text; the rest are counted. */
const SHOWN_IDS = 10;

const taskIndexes = new WeakMap<readonly TaskSnapshot[], Map<number, TaskSnapshot>>();
const groupIndexes = new WeakMap<readonly GroupSnapshot[], Map<number, GroupSnapshot>>();

/** A snapshot's tasks by id, built once per tasks array (a lookup per row must not scan them all). */
function taskById(tasks: readonly TaskSnapshot[], id: number): TaskSnapshot | undefined {
  let index = taskIndexes.get(tasks);
  if (index === undefined) {
    index = new Map(tasks.map((t) => [t.id, t]));
    taskIndexes.set(tasks, index);
  }
  return index.get(id);
}

function groupById(groups: readonly GroupSnapshot[], id: number): GroupSnapshot | undefined {
  let index = groupIndexes.get(groups);
  if (index === undefined) {
    index = new Map(groups.map((g) => [g.id, g]));
    groupIndexes.set(groups, index);
  }
  return index.get(id);
}

function named(kind: string, name: string | null): string {
  return name === null ? kind : `${kind} ${JSON.stringify(oneLine(name))}`;
}

/**
 * One wait in words. Times are relative to the snapshot's `takenAt`; other
 * tasks are named from the snapshot when they are in it; a gather of many
 * tasks lists the first ten ids and counts the rest.
 *
 * @example
 * ```ts
 * import { describeWait } from '../../src/cli/describe.js';
 *
 * const snapshot = { takenAt: 10_000, tasks: [], groups: [] };
 * console.log(describeWait({ kind: 'lock', name: 'db', detail: 'held by #3' }, snapshot)); // lock "db": held by #3
 * console.log(describeWait({ kind: 'tasks', via: 'gather', ids: [5, 6] }, snapshot)); // gather #5 #6
 * ```
 */
export function describeWait(
  wait: WaitTarget,
  snapshot: Pick<Snapshot, 'takenAt' | 'tasks' | 'groups'>,
): string {
  switch (wait.kind) {
    case 'sleep': {
      const left = wait.until - snapshot.takenAt;
      const when = Number.isFinite(wait.until) ? ` until ${clock(wait.until)}` : '';
      return `sleep ${formatDuration(wait.ms)}${when} (${formatDuration(left)} left)`;
    }
    case 'task': {
      const task = taskById(snapshot.tasks, wait.id);
      return `task ${taskLabel(task ?? { id: wait.id, name: wait.name })}`;
    }
    case 'tasks': {
      if (wait.ids.length === 0) return `${wait.via} (all done)`;
      const shown = wait.ids.slice(0, SHOWN_IDS).map((id) => `#${id}`);
      const more = wait.ids.length - shown.length;
      return `${wait.via} ${shown.join(' ')}${more > 0 ? ` (+${more} more)` : ''}`;
    }
    case 'group': {
      const group = groupById(snapshot.groups, wait.id);
      const count = group === undefined ? '' : ` (${plural(group.tasks.length, 'task')})`;
      return `group #${wait.id}${count}`;
    }
    case 'queue':
      return `${named('queue', wait.name)} ${wait.op}: ${oneLine(wait.detail)}`;
    case 'worker':
    case 'promise':
      return `${wait.kind}: ${oneLine(wait.detail)}`;
    default: {
      const other = wait as { kind: string; name?: unknown; detail?: unknown };
      const name = typeof other.name === 'string' ? other.name : null;
      const detail = typeof other.detail === 'string' ? `: ${oneLine(other.detail)}` : '';
      return `${named(oneLine(other.kind), name)}${detail}`;
    }
  }
}

/**
 * `1 task`, `3 tasks`.
 *
 * @example
 * ```ts
 * import { plural } from '../../src/cli/describe.js';
 *
 * console.log(plural(1, 'task'), plural(2, 'group')); // 1 task 2 groups
 * ```
 */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The line above both commands' output: which process, which Node and
 * weft, how many tasks (all of them, and how many are shown when the
 * snapshot is a slice).
 *
 * @example
 * ```ts
 * import { summaryLine } from '../../src/cli/describe.js';
 *
 * const snapshot = { pid: 42, node: 'v20.20.2', weft: '0.1.0', takenAt: 0, debug: false, tasks: [], groups: [] };
 * console.log(summaryLine(snapshot)); // PID 42, Node v20.20.2, weft 0.1.0: 0 tasks, 0 groups, debug mode off
 * ```
 */
export function summaryLine(snapshot: Snapshot): string {
  const total = snapshot.total ?? snapshot.tasks.length;
  const shown = total > snapshot.tasks.length ? ` (${snapshot.tasks.length} shown)` : '';
  return (
    `PID ${snapshot.pid}, Node ${snapshot.node}, weft ${snapshot.weft}: ` +
    `${plural(total, 'task')}${shown}, ${plural(snapshot.groups.length, 'group')}, ` +
    `debug mode ${snapshot.debug ? 'on' : 'off'}`
  );
}
