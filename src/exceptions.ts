/**
 * weft's error classes, in one module like asyncio's `exceptions`.
 *
 * Every class sets `name`, accepts a standard `cause`, and carries the
 * structured fields a handler needs instead of a bare message.
 *
 * @module
 */

/** Options accepted by every weft error constructor. */
export interface WeftErrorOptions {
  /** The error that led to this one (standard `Error.cause`). */
  cause?: unknown;
}

/** Options for {@link CancelledError}. */
export interface CancelledErrorOptions extends WeftErrorOptions {
  /** The value given to `cancel(reason)`, if any. */
  reason?: unknown;
}

/**
 * Thrown into a task (or a scope) at a checkpoint when it is cancelled.
 *
 * A task whose function throws `CancelledError` ends *cancelled*. Catch it
 * only to clean up, then rethrow it — or call `currentTask()?.uncancel()`
 * if you really mean to swallow the request, as in asyncio.
 *
 * @example
 * ```ts
 * import { CancelledError, createTask, sleep } from 'weft';
 *
 * const task = createTask(async () => {
 *   try {
 *     await sleep(10_000);
 *   } catch (err) {
 *     if (err instanceof CancelledError) console.log('stopping:', err.reason);
 *     throw err;
 *   }
 * });
 * task.cancel('user pressed stop');
 * ```
 */
export class CancelledError extends Error {
  /** The reason passed to `cancel(reason)`, or `undefined`. */
  readonly reason: unknown;

  constructor(message = 'The operation was cancelled', options: CancelledErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'CancelledError';
    this.reason = options.reason;
  }
}

/**
 * @internal A `CancelledError` for weft's own cancellations, with a stack
 * trace only when `withStack` (debug mode). Cancellation is control flow,
 * as in asyncio, and capturing a trace costs several times the rest of a
 * `cancel()` (about 4 µs of 4.6 on a 2-core machine): cancelling 100k
 * tasks would spend most of its time describing where it was called from.
 */
export function cancellation(
  message: string,
  options: CancelledErrorOptions,
  withStack: boolean,
): CancelledError {
  if (withStack) return new CancelledError(message, options);
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CancelledError(message, options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Thrown by `timeout()`, `timeoutAt()` and `waitFor()` when their own
 * deadline expires, and by `asCompleted()` when its `timeout` runs out.
 * A cancellation that came from outside stays a {@link CancelledError}.
 *
 * @example
 * ```ts
 * import { sleep, timeout, TimeoutError } from 'weft';
 *
 * try {
 *   await timeout(10, () => sleep(1_000));
 * } catch (err) {
 *   if (err instanceof TimeoutError) console.log(`gave up after ${err.ms} ms`); // gave up after 10 ms
 * }
 * ```
 */
export class TimeoutError extends Error {
  /** The duration that expired, in milliseconds, when it is known. */
  readonly ms: number | undefined;
  /** The deadline that expired, on the `performance.now()` clock, when it is known. */
  readonly deadline: number | undefined;

  constructor(
    message = 'The operation timed out',
    options: WeftErrorOptions & { ms?: number; deadline?: number } = {},
  ) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'TimeoutError';
    this.ms = options.ms;
    this.deadline = options.deadline;
  }
}

/**
 * Thrown when an operation is not allowed in the object's current state:
 * `task.result()` before the task is done, rescheduling an expired
 * `Timeout`, creating a task in a finished `TaskGroup`.
 *
 * @example
 * ```ts
 * import { createTask, InvalidStateError, sleep } from 'weft';
 *
 * const task = createTask(() => sleep(10, 'done'));
 * try {
 *   task.result();
 * } catch (err) {
 *   console.log(err instanceof InvalidStateError); // true: not done yet
 * }
 * ```
 */
export class InvalidStateError extends Error {
  /** The state the object was in, e.g. `'pending'` or `'finished'`. */
  readonly state: string | undefined;

  constructor(message: string, options: WeftErrorOptions & { state?: string } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'InvalidStateError';
    this.state = options.state;
  }
}

/**
 * Rejection of a `TaskGroup` whose children (or body) failed. `errors`
 * holds every non-cancellation error, children's first in the order they
 * failed, then the body's.
 *
 * @example
 * ```ts
 * import { TaskGroup, TaskGroupError } from 'weft';
 *
 * try {
 *   await TaskGroup.run((tg) => {
 *     tg.createTask(async () => { throw new Error('a'); });
 *     tg.createTask(async () => { throw new Error('b'); });
 *   });
 * } catch (err) {
 *   if (err instanceof TaskGroupError) {
 *     console.log(err.errors.map((e) => (e as Error).message)); // [ 'a', 'b' ]
 *   }
 * }
 * ```
 */
export class TaskGroupError extends AggregateError {
  constructor(errors: Iterable<unknown>, message?: string, options: WeftErrorOptions = {}) {
    const list = [...errors];
    super(
      list,
      message ??
        `unhandled errors in a TaskGroup (${list.length} sub-exception${list.length === 1 ? '' : 's'})`,
      'cause' in options ? { cause: options.cause } : undefined,
    );
    this.name = 'TaskGroupError';
  }
}

/**
 * Thrown by `queue.getNowait()` when the queue has no item.
 *
 * @example
 * ```ts
 * import { Queue, QueueEmpty } from 'weft';
 *
 * try {
 *   new Queue<number>().getNowait();
 * } catch (err) {
 *   console.log(err instanceof QueueEmpty); // true
 * }
 * ```
 */
export class QueueEmpty extends Error {
  constructor(message = 'The queue is empty', options: WeftErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'QueueEmpty';
  }
}

/**
 * Thrown by `queue.putNowait()` when a bounded queue has no free slot.
 *
 * @example
 * ```ts
 * import { Queue, QueueFull } from 'weft';
 *
 * const queue = new Queue<string>(1);
 * queue.putNowait('a');
 * try {
 *   queue.putNowait('b');
 * } catch (err) {
 *   if (err instanceof QueueFull) console.log(`full at ${err.maxsize}`); // full at 1
 * }
 * ```
 */
export class QueueFull extends Error {
  /** The queue's `maxsize`. */
  readonly maxsize: number | undefined;

  constructor(
    message = 'The queue is full',
    options: WeftErrorOptions & { maxsize?: number } = {},
  ) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'QueueFull';
    this.maxsize = options.maxsize;
  }
}

/**
 * Thrown by a queue's `put`/`putNowait` after `shutdown()`, and by
 * `get`/`getNowait` once a shut-down queue has no item left (at once after
 * `shutdown(true)`). `for await` over a queue ends quietly on it.
 *
 * @example
 * ```ts
 * import { Queue, QueueShutDown } from 'weft';
 *
 * const queue = new Queue<number>();
 * queue.shutdown();
 * await queue.put(1).catch((err) => console.log(err instanceof QueueShutDown)); // true
 * ```
 */
export class QueueShutDown extends Error {
  constructor(message = 'The queue is shut down', options: WeftErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'QueueShutDown';
  }
}

/**
 * Thrown by `barrier.wait()` when the barrier is broken (by `abort()` or a
 * cancelled waiter) or is reset while the task waits.
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError } from 'weft';
 *
 * const barrier = new Barrier(2);
 * barrier.abort();
 * await barrier.wait().catch((err) => console.log(err instanceof BrokenBarrierError)); // true
 * ```
 */
export class BrokenBarrierError extends Error {
  constructor(message = 'The barrier is broken', options: WeftErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'BrokenBarrierError';
  }
}

/**
 * @internal The error a scope's own abort left behind: `error` itself, or,
 * for Node APIs that wrap the signal's reason (`timers/promises`, `fs`,
 * `events.once`, streams), an `AbortError` whose `cause` is that reason.
 */
export function abortCause(error: unknown): unknown {
  if (error instanceof Error && error.name === 'AbortError' && error.cause !== undefined) {
    return error.cause;
  }
  return error;
}

/** @internal The cancellation an error stands for, if any (see {@link abortCause}). */
export function asCancellation(error: unknown): CancelledError | undefined {
  const cause = abortCause(error);
  return cause instanceof CancelledError ? cause : undefined;
}
