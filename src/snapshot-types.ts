/**
 * The shape of {@link snapshot}'s result: what `weft ps` and `weft pstree`
 * print, and what an application can serve on its own debug endpoint.
 * Plain JSON data (no classes, no functions) so that it crosses the
 * inspector and HTTP unchanged.
 *
 * @module
 */

/** What a waiting task is suspended on. */
export type WaitTarget =
  /** `sleep(ms)`: wakes at `until` (epoch milliseconds, `Date.now()` clock). */
  | { kind: 'sleep'; ms: number; until: number }
  /** Awaiting another task (directly, through `shield` or `waitFor`). */
  | { kind: 'task'; id: number; name: string }
  /** `gather`, `wait`, `asCompleted` or `map` over several tasks (ids of those not done). */
  | { kind: 'tasks'; via: 'gather' | 'wait' | 'asCompleted' | 'map'; ids: number[] }
  /** A `TaskGroup` body or `TaskGroup.run` waiting for the group's children. */
  | { kind: 'group'; id: number }
  /** A lock, event, condition, semaphore or barrier (`name` from its options). */
  | {
      kind: 'lock' | 'event' | 'condition' | 'semaphore' | 'barrier';
      name: string | null;
      detail: string;
    }
  /** A queue `get`, `put` or `join`. */
  | { kind: 'queue'; op: 'get' | 'put' | 'join'; name: string | null; detail: string }
  /** A job on a worker thread (`weft/workers`). */
  | { kind: 'worker'; detail: string }
  /** A plain promise weft cannot see into (a driver call, `fetch`, ...). */
  | { kind: 'promise'; detail: string };

/** One task that is not done yet. */
export interface TaskSnapshot {
  /** `Task.id`. */
  id: number;
  /** `Task.name`. */
  name: string;
  /**
   * `scheduled`: created, its function not started yet; `running`: the task
   * that took the snapshot (or the one running when the process was
   * interrupted); `waiting`: suspended at an `await`.
   */
  state: 'scheduled' | 'running' | 'waiting';
  /** `Task.cancelling()`: cancellation requests not yet undone. */
  cancelling: number;
  /** Id of the task that created this one, or null when created outside any task. */
  parent: number | null;
  /** Id of the `TaskGroup` this task belongs to, or null. */
  group: number | null;
  /** Milliseconds since the task was created (100 ms resolution). */
  ageMs: number;
  /** What the task waits on, innermost scope first; empty unless `waiting`. */
  waitingOn: WaitTarget[];
  /** `file:line:column` of the code that created the task (debug mode only, else null). */
  location: string | null;
  /** The creation stack (debug mode only, else null). */
  stack: string | null;
}

/** One `TaskGroup` that is open (entered and not yet finished). */
export interface GroupSnapshot {
  /** Group id (its own sequence, printed as `group #id`). */
  id: number;
  /** Id of the task whose body opened the group. */
  owner: number;
  /** `open`, or `cancelling` after a failure or `cancel()`. */
  state: 'open' | 'cancelling';
  /** Ids of the group's tasks not yet done. */
  tasks: number[];
}

/** Everything weft knows about the process's tasks at one moment. */
export interface Snapshot {
  /** `process.pid`. */
  pid: number;
  /** `process.version`. */
  node: string;
  /** weft's version. */
  weft: string;
  /** When the snapshot was taken (epoch milliseconds). */
  takenAt: number;
  /** Whether any `run()` is in debug mode (tasks under it have `location` and `stack`). */
  debug: boolean;
  /**
   * How many tasks are not yet done: `tasks.length`, unless the snapshot is
   * a slice (`snapshot({ limit })`), which lists fewer. Always set by
   * {@link snapshot}; absent from snapshots of an older weft.
   */
  total?: number;
  /** Every task not yet done (or the slice asked for), by increasing id. */
  tasks: TaskSnapshot[];
  /** Every open task group, by increasing id. */
  groups: GroupSnapshot[];
}
