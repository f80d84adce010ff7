/**
 * `wait` and `asCompleted`: watch several tasks without cancelling them.
 *
 * @module
 */

import { TimeoutError } from './exceptions.js';
import { currentScope, Suspension } from './internal/scope.js';
import { startTimer, stopTimer, type TimerHandle } from './internal/timers.js';
import { checkOptionalLimit, checkOptions, firstError, show } from './internal/validate.js';
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

/**
 * The distinct tasks of `aws` (asyncio takes a set: a task given twice is
 * waited for once), or the error that names the bad argument.
 */
function collectTasks<T>(aws: unknown, label: string, allowPromises: boolean): T[] | Error {
  const allowEmpty = allowPromises;
  if (aws === null || typeof aws !== 'object' || !(Symbol.iterator in aws)) {
    return new TypeError(`Expected \`${label}\` to be an iterable of tasks, got ${show(aws)}`);
  }
  const seen = new Set<unknown>();
  let i = 0;
  for (const aw of aws as Iterable<unknown>) {
    const ok = allowPromises ? isAwaitable(aw) && typeof aw !== 'function' : aw instanceof Task;
    if (!ok) {
      const kind = allowPromises ? 'a Task or a promise' : 'a Task';
      return new TypeError(`Expected \`${label}[${i}]\` to be ${kind}, got ${show(aw)}`);
    }
    seen.add(aw);
    i++;
  }
  if (seen.size === 0 && !allowEmpty) {
    return new RangeError(`Expected \`${label}\` to hold at least one task, got none`);
  }
  return [...seen] as T[];
}

/**
 * Wait for tasks until `returnWhen` is met or `timeout` ms pass, and
 * return which are done and which are pending. Nothing is cancelled; a
 * checkpoint (cancelling the caller rejects it at once). A task given twice
 * counts once. The two sets are taken when the wait settles, a turn of the
 * event loop after the condition was met (asyncio's waiter resumes on the
 * next loop iteration too): tasks that finished in that same turn are in
 * `done`. `timeout <= 0` reports what is done now.
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
  let returnWhen: unknown;
  let limit: unknown;
  let tasks: T[] | Error;
  try {
    // Getters (of the options, of the iterable) that throw reject, as any
    // bad input to a function returning a promise does.
    tasks = collectTasks<T>(aws, 'aws', false);
    if (typeof options === 'object' && options !== null) {
      returnWhen = options.returnWhen;
      limit = options.timeout;
    }
  } catch (error) {
    return Promise.reject(error);
  }
  returnWhen ??= 'ALL_COMPLETED';
  const error = firstError(
    tasks instanceof Error ? tasks : undefined,
    checkOptions('options', options),
    RETURN_WHEN.includes(returnWhen as string)
      ? undefined
      : new TypeError(
          `Expected \`options.returnWhen\` to be one of ${RETURN_WHEN.join(', ')}, got ${show(returnWhen)}`,
        ),
    checkOptionalLimit('options.timeout', limit),
  );
  if (error !== undefined || tasks instanceof Error) return Promise.reject(error);
  return new TaskWait(tasks, returnWhen as ReturnWhen, limit as number | null | undefined).promise;
}

/**
 * One `wait()` call. O(1) per completion (a count, not a rescan of every
 * task: 300k tasks used to take minutes), O(n) once when it settles.
 */
class TaskWait<T extends Task<unknown>> extends Suspension<WaitResult<T>> {
  private left: number;
  private timer: TimerHandle | undefined = undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined = undefined;
  private readonly listener = (task: Task<unknown>): void => {
    this.left--;
    if (
      this.left === 0 ||
      this.returnWhen === 'FIRST_COMPLETED' ||
      (this.returnWhen === 'FIRST_EXCEPTION' && task._state === TaskState.Failed)
    ) {
      this.settleSoon();
    }
  };

  constructor(
    private readonly tasks: T[],
    private readonly returnWhen: ReturnWhen,
    limit: number | null | undefined,
  ) {
    super(currentScope());
    this.describe = () => ({ kind: 'tasks', via: 'wait', ids: notDone(tasks) });
    this.onSettle = () => this.release();
    let left = 0;
    let met = false;
    for (const t of tasks) {
      if (!t.done()) {
        left++;
        t._onDone(this.listener);
      } else if (
        returnWhen === 'FIRST_COMPLETED' ||
        (returnWhen === 'FIRST_EXCEPTION' && t._state === TaskState.Failed)
      ) {
        met = true;
      }
    }
    this.left = left;
    if (met || left === 0 || (limit !== undefined && limit !== null && limit <= 0)) {
      // Nothing to wait for: what is done now is the answer.
      this.checkPending();
      this.settleNow();
      return;
    }
    if (limit !== undefined && limit !== null) {
      this.timer = startTimer(limit, settleWaitSoon, this);
    }
    this.checkPending();
  }

  /**
   * The condition is met (or time is up): settle on the next turn, once
   * every task that finished in this turn has run its completion.
   */
  settleSoon(): void {
    if (this.immediate !== undefined || this.settled) return;
    stopTimer(this.timer);
    this.timer = undefined;
    this.immediate = setImmediate(settleWaitNow, this);
  }

  settleNow(): void {
    this.immediate = undefined;
    if (this.settled) return;
    const done = new Set<T>();
    const pending = new Set<T>();
    for (const t of this.tasks) (t.done() ? done : pending).add(t);
    this.resolve({ done, pending });
  }

  private release(): void {
    stopTimer(this.timer);
    this.timer = undefined;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.left > 0) for (const t of this.tasks) if (!t.done()) t._offDone(this.listener);
  }
}

function settleWaitSoon(wait: { settleSoon(): void }): void {
  wait.settleSoon();
}

function settleWaitNow(wait: { settleNow(): void }): void {
  wait.settleNow();
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
  /** Completed tasks not yet yielded, from `head` on (no O(n) shift per step). */
  private ready: Task<T>[] = [];
  private head = 0;
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
      // `ms <= 0`: the tasks done now are yielded, then the time is up.
      if (ms <= 0) this.expire();
      else this.timer = startTimer(ms, () => this.expire(), undefined);
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Task<T>>> {
    if (this.head < this.ready.length) {
      const task = this.ready[this.head]!;
      this.ready[this.head++] = undefined as unknown as Task<T>;
      if (this.head === this.ready.length) {
        this.ready = [];
        this.head = 0;
      }
      return Promise.resolve({ value: task, done: false });
    }
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
    this.ready = [];
    this.head = 0;
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
 * Each step is a checkpoint. A task or promise given twice is yielded once
 * (asyncio takes a set). With `timeout`, the iteration throws
 * `TimeoutError` when time runs out; the tasks themselves keep running.
 * `timeout <= 0` yields the tasks done now, then throws.
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
    checkOptionalLimit('options.timeout', options?.timeout),
  );
  if (error !== undefined || list instanceof Error) throw error;
  return new CompletionIterator(
    list.map((aw) => toTask(aw)),
    options?.timeout,
  );
}
