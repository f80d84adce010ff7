/**
 * weft: asyncio for TypeScript.
 *
 * Every public name is re-exported here explicitly, so that an API change is
 * a diff of this one file.
 *
 * @module
 */

export { Barrier } from './barriers.js';
export type { DebugOptions, DebugReport } from './debug.js';
export {
  BrokenBarrierError,
  CancelledError,
  type CancelledErrorOptions,
  InvalidStateError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TaskGroupError,
  TimeoutError,
  type WeftErrorOptions,
} from './exceptions.js';
export {
  type Awaitee,
  type GatherOptions,
  type GatherResults,
  type GatherSettledResults,
  gather,
  type ResultOf,
} from './gather.js';
export type { PrimitiveOptions } from './internal/named.js';
export type { TaskInfo, UnretrievedErrorHandler } from './internal/report.js';
export { Condition, Event, Lock } from './locks.js';
export { type MapFn, type MapOptions, map } from './map.js';
export {
  type Compare,
  LifoQueue,
  naturalOrder,
  PriorityQueue,
  Queue,
} from './queues.js';
export { type RunOptions, run, runMain } from './runners.js';
export { BoundedSemaphore, Semaphore } from './semaphores.js';
export { shield } from './shield.js';
export { checkpoint, sleep } from './sleep.js';
export { type InspectHook, type SnapshotOptions, snapshot } from './snapshot.js';
export type {
  GroupSnapshot,
  Snapshot,
  TaskSnapshot,
  WaitTarget,
} from './snapshot-types.js';
export { type GroupTaskOptions, TaskGroup } from './taskgroups.js';
export {
  type Awaitable,
  allTasks,
  createTask,
  currentSignal,
  currentTask,
  Task,
  type TaskFn,
  type TaskOptions,
} from './tasks.js';
export { Timeout, timeout, timeoutAt } from './timeouts.js';
export {
  type AsCompletedOptions,
  asCompleted,
  type ReturnWhen,
  type WaitOptions,
  type WaitResult,
  wait,
} from './wait.js';
export { waitFor } from './wait-for.js';
