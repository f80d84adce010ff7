/**
 * weft/workers: CPU work on worker threads, typed from the worker module
 * and cancellable like any other weft wait (asyncio's `to_thread`). Built
 * on Piscina; the core `weft` and `weft/web` do not load it.
 *
 * @module
 */

export { WorkerError, WorkerQueueFullError } from './errors.js';
export { type Movable, move } from './move.js';
export type {
  WorkerPoolCloseOptions,
  WorkerPoolCloseResult,
  WorkerPoolLogger,
  WorkerPoolOptions,
  WorkerPoolState,
} from './options.js';
export { WorkerPool, workerPool } from './pool.js';
export type {
  UntypedWorkerModule,
  WorkerFunctionArgs,
  WorkerFunctionName,
  WorkerFunctionResult,
} from './types.js';
