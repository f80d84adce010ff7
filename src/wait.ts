/**
 * `wait` and `asCompleted`: watch several tasks without cancelling them.
 *
 * @module
 */

import { TimeoutError } from './exceptions.js';
import { currentScope, Suspension } from './internal/scope.js';
import { startTimer, stopTimer, type TimerHandle } from './internal/timers.js';
import { checkOptionalDuration, checkOptions, firstError, show } from './internal/validate.js';
import { isAwaitable, Task, TaskState, toTask } from './tasks.js';

/** When {@link wait} returns. */
/** Ids of the tasks not done yet (what a wait over them still waits on). */
export function notDone(tasks: Iterable<Task<unknown>>): number[] {
  const ids: number[] = [];
  for (const t of tasks) if (!t.done()) ids.push(t.id);
  return ids;
}

export type ReturnWhen = 'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED';

/** Options of {@link wait}. */
export interface WaitOptions {
  /**
   * `FIRST_COMPLETED`: as soon as one task is done. `FIRST_EXCEPTION`: as
   * soon as one fails (cancellation does not count), else when all are done.
   * `ALL_COMPLETED`: when all are done.
   * @default 'ALL_COMPLETED'
   */
  returnWhen?: ReturnWhen;
  /**
   * Return after this many milliseconds even if the condition is not met
   * (nothing is cancelled and nothing is thrown). `undefined`/`null`: no limit.
   * @default undefined
   */
  timeout?: number | null;
}

/** The two sets {@link wait} resolves with. */
export interface WaitResult<T> {
  done: Set<T>;
  pending: Set<T>;
}

const RETURN_WHEN: readonly string[] = ['FIRST_COMPLETED', 'FIRST_EXCEPTION', 'ALL_COMPLETED'];

function collectTasks<T>(aws: unknown, label: string, allowPromises: boolean): T[] | Error {
  const allowEmpty = allowPromises;
  if (aws === null || typeof aws !== 'object' || !(Symbol.iterator in aws)) {
    return new TypeError(`Expected \`${label}\` to be an iterable of tasks, got ${show(aws)}`);
  }
  const list = [...(aws as Iterable<unknown>)];
  if (list.length === 0 && !allowEmpty) {
    return new RangeError(`Expected \`${label}\` to hold at least one task, got none`);
  }
  for (const [i, aw] of list.entries()) {
    const ok = allowPromises ? isAwaitable(aw) && typeof aw !== 'function' : aw instanceof Task;
    if (!ok) {
      const kind = allowPromises ? 'a Task or a promise' : 'a Task';
      return new TypeError(`Expected \`${label}[${i}]\` to be ${kind}, got ${show(aw)}`);
    }
  }
  return list as T[];
}

/**
 * Wait for tasks until `returnWhen` is met or `timeout` ms pass, and
 * return which are done and which are pending. Nothing is cancelled; a
 * checkpoint (cancelling the caller rejects it at once).
 *
 * @example
 * ```ts
 * import { createTask, sleep, wait } from 'weft';
 *
 * const fast = createTask(() => sleep(10, 'fast'));
 * const slow = createTask(() => sleep(1_000, 'slow'));
 * const { done, pending } = await wait([fast, slow], { returnWhen: 'FIRST_COMPLETED' });
 * console.log(done.has(fast), pending.has(slow)); // true true
 * slow.cancel();
 * ```
 */
export function wait<T extends Task<unknown>>(
  aws: Iterable<T>,
  options?: WaitOptions,
): Promise<WaitResult<T>> {
  const tasks = collectTasks<T>(aws, 'aws', false);
  const returnWhen = options?.returnWhen ?? 'ALL_COMPLETED';
  const error = firstError(
    tasks instanceof Error ? tasks : undefined,
    checkOptions('options', options),
    RETURN_WHEN.includes(returnWhen)
      ? undefined
      : new TypeError(
          `Expected \`options.returnWhen\` to be one of ${RETURN_WHEN.join(', ')}, got ${show(returnWhen)}`,
        ),
    checkOptionalDuration('options.timeout', options?.timeout),
  );
  if (error !== undefined || tasks instanceof Error) return Promise.reject(error);

  const result = (): WaitResult<T> => {
    const done = new Set<T>();
    const pending = new Set<T>();
    for (const t of tasks) (t.done() ? done : pending).add(t);
    return { done, pending };
  };
  const satisfied = (): boolean => {
    let doneCount = 0;
    for (const t of tasks) {
      if (!t.done()) continue;
      doneCount++;
      if (returnWhen === 'FIRST_COMPLETED') return true;
      if (returnWhen === 'FIRST_EXCEPTION' && t._state === TaskState.Failed) return true;
    }
    return doneCount === tasks.length;
  };

  const wait = new Suspension<WaitResult<T>>(currentScope());
  wait.describe = () => ({ kind: 'tasks', via: 'wait', ids: notDone(tasks) });
  const listener = (): void => {
    if (satisfied()) wait.resolve(result());
  };
  let timer: TimerHandle | undefined;
  wait.onSettle = () => {
    stopTimer(timer);
    for (const t of tasks) t._offDone(listener);
  };
  for (const t of tasks) if (!t.done()) t._onDone(listener);
  const limit = options?.timeout;
  if (limit !== undefined && limit !== null)
    timer = startTimer(limit, () => wait.resolve(result()), undefined);
  wait.checkPending();
  listener();
  return wait.promise;
}

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /**
   * Throw `TimeoutError` from the iteration if not everything has completed
   * this many milliseconds after the call. The tasks are not cancelled.
   * @default undefined (no limit)
   */
  timeout?: number | null;
}

class CompletionIterator<T> implements AsyncIterableIterator<Task<T>> {
  private readonly ready: Task<T>[] = [];
  private readonly waiting: Suspension<IteratorResult<Task<T>>>[] = [];
  private remaining: number;
  private timedOut = false;
  private timer: TimerHandle | undefined;
  private readonly listener = (task: Task<T>): void => this.completed(task);

  constructor(
    private readonly tasks: Task<T>[],
    ms: number | null | undefined,
  ) {
    this.remaining = tasks.length;
    for (const t of tasks) t._onDone(this.listener);
    if (ms !== undefined && ms !== null && this.remaining > 0) {
      this.timer = startTimer(ms, () => this.expire(), undefined);
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Task<T>>> {
    const task = this.ready.shift();
    if (task !== undefined) return Promise.resolve({ value: task, done: false });
    if (this.remaining === 0) return Promise.resolve({ value: undefined, done: true });
    if (this.timedOut) return Promise.reject(this.timeoutError());
    const wait = new Suspension<IteratorResult<Task<T>>>(currentScope());
    wait.describe = () => ({ kind: 'tasks', via: 'asCompleted', ids: notDone(this.tasks) });
    this.waiting.push(wait);
    wait.onSettle = () => {
      const i = this.waiting.indexOf(wait);
      if (i >= 0) this.waiting.splice(i, 1);
    };
    wait.checkPending();
    return wait.promise;
  }

  return(): Promise<IteratorResult<Task<T>>> {
    this.close();
    this.remaining = 0;
    this.ready.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  private completed(task: Task<T>): void {
    this.remaining--;
    if (this.remaining === 0) stopTimer(this.timer);
    const wait = this.waiting[0];
    if (wait !== undefined) wait.resolve({ value: task, done: false });
    else this.ready.push(task);
  }

  private expire(): void {
    this.timedOut = true;
    this.close();
    for (const wait of [...this.waiting]) wait.reject(this.timeoutError());
  }

  private timeoutError(): TimeoutError {
    return new TimeoutError(`asCompleted() timed out with ${this.remaining} task(s) pending`);
  }

  private close(): void {
    stopTimer(this.timer);
    for (const t of this.tasks) t._offDone(this.listener);
  }
}

/**
 * Iterate over tasks in the order they complete (promises become tasks).
 * Each step is a checkpoint. With `timeout`, the iteration throws
 * `TimeoutError` when time runs out; the tasks themselves keep running.
 *
 * @example
 * ```ts
 * import { asCompleted, createTask, sleep } from 'weft';
 *
 * const tasks = [30, 10, 20].map((ms) => createTask(() => sleep(ms, ms)));
 * for await (const task of asCompleted(tasks)) {
 *   console.log(await task);
 * }
 * // 10
 * // 20
 * // 30
 * ```
 */
export function asCompleted<T>(
  aws: Iterable<Task<T> | PromiseLike<T>>,
  options?: AsCompletedOptions,
): AsyncIterableIterator<Task<T>> {
  const list = collectTasks<Task<T> | PromiseLike<T>>(aws, 'aws', true);
  const error = firstError(
    list instanceof Error ? list : undefined,
    checkOptions('options', options),
    checkOptionalDuration('options.timeout', options?.timeout),
  );
  if (error !== undefined || list instanceof Error) throw error;
  return new CompletionIterator(
    list.map((aw) => toTask(aw)),
    options?.timeout,
  );
}
