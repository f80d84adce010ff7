/**
 * `shield`: protect work from the caller's cancellation.
 *
 * @module
 */

import { currentScope, Suspension } from './internal/scope.js';
import { show } from './internal/validate.js';
import { isAwaitable, type Task, type TaskFn, TaskState, toTask } from './tasks.js';

/**
 * Await `aw` without letting the caller's cancellation reach it. If the
 * caller is cancelled, `shield` rejects with `CancelledError` at once and
 * the inner work goes on (a function or promise becomes a task). An error
 * the inner work throws after nobody waits for it any more is reported,
 * not lost.
 *
 * @example
 * ```ts
 * import { createTask, shield, sleep } from 'weft';
 *
 * const save = createTask(() => sleep(50, 'saved'));
 * const caller = createTask(() => shield(save));
 * caller.cancel();
 * console.log(await save); // saved: the caller's cancellation did not reach it
 * ```
 */
export function shield<T>(aw: Task<T> | PromiseLike<T> | TaskFn<T>): Promise<T> {
  if (!isAwaitable(aw)) {
    return Promise.reject(
      new TypeError(`Expected \`aw\` to be a Task, a promise or a function, got ${show(aw)}`),
    );
  }
  const inner = toTask(aw);
  const scope = currentScope();
  // Done, or nobody to cancel us: awaiting directly links nothing.
  if (inner.done() || scope === undefined) return inner.then();
  const wait = new Suspension<T>(scope);
  wait.describe = () => ({ kind: 'task', id: inner.id, name: inner.name });
  const listener = (task: Task<T>): void => {
    if (wait.settled) return;
    if (task._state === TaskState.Succeeded) wait.resolve(task._outcome as T);
    else {
      task._markRetrieved();
      wait.reject(task._outcome);
    }
  };
  wait.onSettle = () => inner._offDone(listener);
  inner._onDone(listener);
  wait.checkPending();
  return wait.promise;
}
