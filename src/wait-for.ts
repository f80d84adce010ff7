/**
 * `waitFor`: await something with a time limit, cancelling it on expiry.
 *
 * @module
 */

import { CancelledError, TimeoutError } from './exceptions.js';
import { currentScope } from './internal/scope.js';
import { checkOptionalLimit, firstError, show } from './internal/validate.js';
import { inImplicitTask, isAwaitable, type Task, type TaskFn, toTask } from './tasks.js';
import { timeout } from './timeouts.js';

/**
 * Await `aw` (a function or promise becomes a task) for at most `ms`
 * milliseconds (`null`: no limit). On expiry the work is cancelled, and
 * once it has settled `waitFor` rejects with `TimeoutError`. Cancelling the
 * caller cancels the work too. As in asyncio, `ms <= 0` is already expired:
 * a done task gives its outcome, anything else is cancelled at once (a
 * function is never called) and the call rejects with `TimeoutError`.
 * `NaN` is a `RangeError`.
 *
 * @example
 * ```ts
 * import { sleep, waitFor } from 'weft';
 *
 * console.log(await waitFor(() => sleep(10, 'quick'), 1_000)); // quick
 * await waitFor(() => sleep(1_000), 10).catch((err) => console.log(err.name)); // TimeoutError
 * ```
 */
export function waitFor<T>(
  aw: Task<T> | PromiseLike<T> | TaskFn<T>,
  ms: number | null,
): Promise<T> {
  const error = firstError(
    isAwaitable(aw)
      ? undefined
      : new TypeError(`Expected \`aw\` to be a Task, a promise or a function, got ${show(aw)}`),
    checkOptionalLimit('ms', ms),
  );
  if (error !== undefined) return Promise.reject(error);
  if (currentScope() === undefined) return inImplicitTask(() => waitFor(aw, ms), 'waitFor');
  const task = toTask(aw);
  if (ms === null || ms === undefined) return task.then();
  if (ms <= 0) return expiredAlready(task, ms);
  return timeout(ms, () => task);
}

/**
 * `waitFor(aw, ms <= 0)`, asyncio's way: the time is up before anything
 * runs. A done task gives its outcome; otherwise the work is cancelled (a
 * new task before its function is ever called) and, once it has settled,
 * the call rejects with `TimeoutError`, unless the work swallowed the
 * cancellation and returned a value.
 */
async function expiredAlready<T>(task: Task<T>, ms: number): Promise<T> {
  if (!task.done()) {
    task.cancel('waitFor() timed out');
    try {
      // Awaiting links the caller: its own cancellation meanwhile passes on.
      return await task;
    } catch (error) {
      if (error instanceof CancelledError && task.cancelled()) {
        throw new TimeoutError(`The operation timed out after ${ms} ms`, { cause: error, ms });
      }
      throw error;
    }
  }
  return task.result();
}
