/**
 * `map`: run an async function over many items, a few at a time, on a
 * {@link Semaphore}.
 *
 * @module
 */

import { currentScope, Suspension } from './internal/scope.js';
import { checkFunction, checkOptions, firstError, show } from './internal/validate.js';
import { Semaphore } from './semaphores.js';
import { type Awaitable, inImplicitTask, Task, TaskState } from './tasks.js';
import { notDone } from './wait.js';

/** Options of {@link map}. */
export interface MapOptions {
  /**
   * How many calls of `fn` may run at once: an integer >= 1, or `Infinity`.
   * @default Infinity
   */
  concurrency?: number;
}

/** The function {@link map} calls for each item; `signal` aborts when that call is cancelled. */
export type MapFn<T, R> = (item: T, index: number, signal: AbortSignal) => Awaitable<R>;

/**
 * Call `fn(item, index, signal)` for every item, at most `concurrency` at a
 * time, each in its own task, and resolve with the results in input order.
 *
 * Items are pulled from `items` (an iterable or async iterable) only when a
 * slot is free, so a lazy or endless source is fine. On the first failure
 * it schedules nothing more, cancels the calls still running, waits for
 * them, and rejects with that first error (a call that is cancelled from
 * elsewhere counts as a failure, with its `CancelledError`). Cancelling the
 * caller cancels every running call before `map` rejects. Errors of other
 * calls that fail while being stopped are reported like any unretrieved
 * task error, never dropped.
 *
 * @example
 * ```ts
 * import { map, sleep } from 'weft';
 *
 * const lengths = await map(
 *   ['a', 'bbb', 'cc'],
 *   async (word) => {
 *     await sleep(10 * word.length); // the longest finishes last...
 *     return word.length;
 *   },
 *   { concurrency: 2 },
 * );
 * console.log(lengths); // [ 1, 3, 2 ] ...but results keep the input order
 * ```
 */
export function map<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  fn: MapFn<T, R>,
  options?: MapOptions,
): Promise<R[]> {
  let concurrency: unknown;
  try {
    // An options getter that throws rejects, as any bad input does.
    concurrency = isObject(options) ? options.concurrency : undefined;
  } catch (error) {
    return Promise.reject(error);
  }
  concurrency ??= Number.POSITIVE_INFINITY;
  const error = firstError(
    isIterable(items)
      ? undefined
      : new TypeError(`Expected \`items\` to be an iterable or async iterable, got ${show(items)}`),
    checkFunction('fn', fn),
    checkOptions('options', options),
    checkConcurrency(concurrency),
  );
  if (error !== undefined) return Promise.reject(error);
  const limit = concurrency as number;
  if (currentScope() === undefined) return inImplicitTask(() => mapIn(items, fn, limit), 'map');
  return mapIn(items, fn, limit);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function checkConcurrency(value: unknown): Error | undefined {
  if (value === Number.POSITIVE_INFINITY) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return undefined;
  const message = `Expected \`concurrency\` to be an integer >= 1 or Infinity, got ${show(value)}`;
  return typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}

function isIterable(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  if (value === null || value === undefined) return false;
  const object = value as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  return (
    typeof object[Symbol.iterator] === 'function' ||
    typeof object[Symbol.asyncIterator] === 'function'
  );
}

/** One `map` call: its running tasks, its permits, its first failure. */
class MapRun<T, R> {
  readonly results: R[] = [];
  /** Calls running (or about to start), with the index their result goes to. */
  readonly running = new Map<Task<R>, number>();
  readonly slots: Semaphore;
  failed: Task<R> | undefined = undefined;
  stopping = false;
  idle: Suspension<void> | undefined = undefined;
  readonly passSignal: boolean;

  constructor(
    readonly fn: MapFn<T, R>,
    concurrency: number,
  ) {
    // Infinity permits: a semaphore needs a number, and no source yields 2**53 items.
    this.slots = new Semaphore(Math.min(concurrency, Number.MAX_SAFE_INTEGER));
    this.passSignal = fn.length > 2; // the signal is built lazily: only for those who take it
  }

  readonly onDone = (task: Task<R>): void => {
    const index = this.running.get(task)!;
    this.running.delete(task);
    if (task._state === TaskState.Succeeded) this.results[index] = task._outcome as R;
    // Released here, not in the call's finally: a call cancelled before it
    // started never runs one, and its permit would be lost.
    this.slots.release();
    if (task._state !== TaskState.Succeeded && this.failed === undefined && !this.stopping) {
      this.failed = task;
      this.stop();
    }
    if (this.running.size === 0) this.idle?.resolve();
  };

  start(item: T, index: number): void {
    const fn = this.fn;
    // The task's value is the call's result, stored by onDone: no wrapper
    // async function (and its promise) per item.
    const task = new Task<R>(
      this.passSignal
        ? (signal: AbortSignal) => fn(item, index, signal)
        : () => fn(item, index, undefined as unknown as AbortSignal),
    );
    this.running.set(task, index);
    task._onDone(this.onDone);
  }

  /**
   * A slot for the next call: taken at once while one is free (no promise,
   * no turn of the microtask queue per item; taking a free permit is no
   * checkpoint anyway), else waited for.
   */
  acquire(): Promise<true> | undefined {
    const slots = this.slots;
    if (slots._value > 0 && slots._waiters.size === 0) {
      slots._value--;
      return undefined;
    }
    return slots.acquire();
  }

  stop(): void {
    this.stopping = true;
    for (const task of this.running.keys()) task.cancel('map stopped');
  }

  /** Wait until no call runs; `interruptible` makes it a checkpoint. */
  async drain(interruptible: boolean): Promise<void> {
    while (this.running.size > 0) {
      const wait = (this.idle = new Suspension<void>(interruptible ? currentScope() : undefined));
      wait.describe = () => ({ kind: 'tasks', via: 'map', ids: notDone(this.running.keys()) });
      try {
        await wait.checkPending().promise;
      } finally {
        this.idle = undefined;
      }
    }
  }
}

async function mapIn<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  fn: MapFn<T, R>,
  concurrency: number,
): Promise<R[]> {
  const run = new MapRun(fn, concurrency);
  try {
    if (Array.isArray(items)) {
      for (let i = 0; i < items.length; i++) {
        const wait = run.acquire();
        if (wait !== undefined) await wait;
        if (run.stopping) break;
        run.start(items[i] as T, i);
      }
    } else {
      const iterator =
        Symbol.asyncIterator in items
          ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
          : (items as Iterable<T>)[Symbol.iterator]();
      // As `for await` does: return() closes a source left early (a
      // failure, a cancellation), not one that ended or whose next() threw.
      let open = true;
      try {
        for (let i = 0; ; i++) {
          // A slot first, then the item: a lazy source is read only as fast as it is consumed.
          const wait = run.acquire();
          if (wait !== undefined) await wait;
          if (run.stopping) break;
          open = false;
          const next = await iterator.next();
          if (next.done) break;
          open = true;
          run.start(next.value, i);
        }
      } catch (error) {
        // Leaving on an error: that error is the one to report, even if
        // closing the source throws too.
        if (open) {
          try {
            await iterator.return?.();
          } catch {}
        }
        throw error;
      }
      if (open) await iterator.return?.();
    }
    await run.drain(true);
  } catch (error) {
    // Cancelled, or the source threw: stop the calls, wait for them, then rethrow.
    run.stop();
    await run.drain(false);
    throw error;
  }
  const failed = run.failed;
  if (failed !== undefined) {
    failed._markRetrieved();
    throw failed._outcome;
  }
  return run.results;
}
