/**
 * `waitFor`: await something with a time limit, cancelling it on expiry.
 *
 * @module
 */

import { currentScope } from './internal/scope.js';
import { checkOptionalDuration, firstError, show } from './internal/validate.js';
import { inImplicitTask, isAwaitable, type Task, type TaskFn, toTask } from './tasks.js';
import { timeout } from './timeouts.js';

/**
 * Await `aw` (a function or promise becomes a task) for at most `ms`
 * milliseconds (`null`: no limit). On expiry the work is cancelled, and
 * once it has settled `waitFor` rejects with `TimeoutError`. Cancelling the
 * caller cancels the work too.
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
    checkOptionalDuration('ms', ms),
  );
  if (error !== undefined) return Promise.reject(error);
  if (currentScope() === undefined) return inImplicitTask(() => waitFor(aw, ms), 'waitFor');
  const task = toTask(aw);
  if (ms === null || ms === undefined) return task.then();
  return timeout(ms, () => task);
}
