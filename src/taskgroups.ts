/**
 * `TaskGroup`: structured concurrency, asyncio's `TaskGroup` (with Python
 * 3.15's `cancel()`).
 *
 * The body runs in the group's own scope. The first failure of a child (or
 * of the body) cancels the body and every other child; the group waits for
 * all of them and rejects with a `TaskGroupError` holding every error.
 *
 * @module
 */

import { inspect } from 'node:util';
import {
  abortCause,
  asCancellation,
  CancelledError,
  InvalidStateError,
  TaskGroupError,
} from './exceptions.js';
import { LiveTasks } from './internal/live-tasks.js';
import {
  abortScope,
  closeScope,
  currentScope,
  openScope,
  requestCancel,
  Scope,
  type ScopeOwner,
  Suspension,
  storage,
} from './internal/scope.js';
import { checkFunction } from './internal/validate.js';
import { type Awaitable, inImplicitTask, Task, type TaskFn, TaskState } from './tasks.js';

/** Options of {@link TaskGroup.createTask}. */
export interface GroupTaskOptions {
  /**
   * A name for logs, reports and `toString()`.
   * @default `Task-<id>`
   */
  name?: string;
  /**
   * Run the function synchronously up to its first `await`, inside
   * `createTask` itself, as the top-level `createTask`'s `eager` (asyncio's eager
   * tasks in a group). A child that fails before `createTask` returns
   * cancels the group's body at its next checkpoint, as any failed child.
   * @default false
   */
  eager?: boolean;
}

const State = { Running: 0, Exiting: 1, Finished: 2 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * A group of child tasks that never outlive it.
 *
 * Lead with {@link TaskGroup.run}; `await using tg = new TaskGroup()` also
 * works (native from Node 24, or transpiled), but cannot see an error thrown
 * by its block, so such an error does not cancel the children.
 *
 * @example
 * ```ts
 * import { sleep, TaskGroup } from 'weft';
 *
 * const [a, b] = await TaskGroup.run(async (tg) => {
 *   const a = tg.createTask(() => sleep(20, 'a'));
 *   const b = tg.createTask(() => sleep(10, 'b'));
 *   return [a, b] as const;
 * }); // both children are done here
 * console.log(a.result(), b.result()); // a b
 * ```
 */
let nextGroupId = 1;

export class TaskGroup extends Scope {
  /** @internal */ readonly _task: ScopeOwner & Scope;
  /** @internal */ readonly _parent: Scope;
  /** @internal Group id for snapshots (its own sequence). */
  readonly _id = nextGroupId++;
  /** @internal */ _state: State = State.Running;
  /** @internal The children not yet done. */ _tasks = new LiveTasks<Task<unknown>>();
  /** @internal */ _errors: unknown[] = [];
  /** @internal */ _aborting = false;
  /** @internal */ _parentCancelRequested = false;
  /** @internal */ _cancellingAtEnter: number;
  /** @internal Where the body's checkpoints wait: the group's scope, or the enclosing one for `await using`. */
  _bodyScope: Scope;
  /** @internal */ _allDone: Suspension<void> | undefined = undefined;
  /** @internal */ _listener = (task: Task<unknown>): void => this._onTaskDone(task);

  /**
   * Open a group in the current task (for `await using`). Throws
   * `InvalidStateError` outside any task: use {@link TaskGroup.run} there.
   */
  constructor() {
    const parent = currentScope();
    if (parent === undefined) {
      throw new InvalidStateError(
        'new TaskGroup() needs a current task (inside run(), createTask() or TaskGroup.run()); at top level use TaskGroup.run(body)',
      );
    }
    super();
    this._task = parent._task;
    this._parent = parent;
    this._bodyScope = parent;
    this._cancellingAtEnter = parent._task._numCancels;
    openScope(this);
  }

  /**
   * Run `body(tg)` in a new group and resolve with its value once every
   * child is done. Rejects with `TaskGroupError` if any child or the body
   * failed, with `CancelledError` if the caller was cancelled. After
   * `tg.cancel()` it settles normally (with `undefined` if the body was
   * stopped before it returned).
   *
   * @example
   * ```ts
   * import { sleep, TaskGroup } from 'weft';
   *
   * await TaskGroup.run((tg) => {
   *   for (const ms of [30, 10, 20]) tg.createTask(() => sleep(ms));
   * }); // resolves after about 30 ms
   * ```
   */
  static run<T>(body: (tg: TaskGroup) => Awaitable<T>): Promise<T> {
    const error = checkFunction('body', body);
    if (error !== undefined) return Promise.reject(error);
    if (currentScope() === undefined) return inImplicitTask(() => TaskGroup.run(body), 'TaskGroup');
    const group = new TaskGroup();
    group._bodyScope = group;
    return group._runBody(body);
  }

  /**
   * Start a child task. Throws `InvalidStateError` once the group has
   * finished or is shutting down (after a failure or `cancel()`); while it
   * only waits for its children, a child may still add siblings.
   */
  createTask<T>(fn: TaskFn<T> | PromiseLike<T>, options?: GroupTaskOptions): Task<T> {
    if (this._state === State.Finished) {
      throw new InvalidStateError(`${this} is finished: it cannot start new tasks`, {
        state: 'finished',
      });
    }
    if (this._aborting) {
      throw new InvalidStateError(`${this} is shutting down: it cannot start new tasks`, {
        state: 'shutting down',
      });
    }
    // The same checks as createTask's: a misspelt or mistyped option throws
    // rather than being silently dropped.
    const task = new Task(fn, options);
    // An eager child may be done already: _onDone then reports it at once
    // (added first, so that the count of live children stays exact).
    this._tasks.add(task as Task<unknown>);
    (task as Task<unknown>)._onDone(this._listener);
    return task;
  }

  /**
   * Stop the group without an error (Python 3.15): cancel the body and every
   * child; the group then settles normally. No-op once finished.
   */
  cancel(reason?: unknown): void {
    if (this._state === State.Finished) return;
    const error = new CancelledError(
      typeof reason === 'string' ? reason : 'TaskGroup was cancelled',
      {
        reason,
      },
    );
    if (!this._aborting) this._abort(error);
    if (!this._parentCancelRequested) {
      this._parentCancelRequested = true;
      requestCancel(this._bodyScope, error, this);
    }
  }

  /** Wait for the children (the end of an `await using` block). */
  async [Symbol.asyncDispose](): Promise<void> {
    // An `await using` block's own error is invisible here; a cancellation
    // from outside is not: the task's count went up while the block ran.
    const cancelledFromOutside =
      !this._parentCancelRequested && this._task._numCancels > this._cancellingAtEnter;
    await this._exit(
      cancelledFromOutside,
      cancelledFromOutside ? new CancelledError('TaskGroup was cancelled from outside') : undefined,
    );
  }

  /** `TaskGroup<running tasks=2>` */
  override toString(): string {
    const state =
      this._aborting && this._state !== State.Finished
        ? 'shutting down'
        : ['running', 'exiting', 'finished'][this._state];
    return `TaskGroup<${state} tasks=${this._tasks.size} errors=${this._errors.length}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal */
  async _runBody<T>(body: (tg: TaskGroup) => Awaitable<T>): Promise<T> {
    let value: T | undefined;
    try {
      value = await storage.run(this, runIn<T>, this, body);
    } catch (error) {
      await this._exit(true, this._cancellationOf(error) ?? error);
      return undefined as T;
    }
    await this._exit(false, undefined);
    return value;
  }

  /**
   * @internal The cancellation `error` stands for. Besides weft's own
   * (possibly wrapped in a Node `AbortError`), an API given our signal
   * rejects with the signal's reason: when an enclosing timeout aborted the
   * group's signal, that is the `TimeoutError` itself. Counting it as a body
   * failure would turn the timeout into a `TaskGroupError`.
   */
  _cancellationOf(error: unknown): CancelledError | undefined {
    const cancellation = asCancellation(error);
    if (cancellation !== undefined) return cancellation;
    if (this._aborted && error !== undefined && abortCause(error) === this._abortReason) {
      return new CancelledError('TaskGroup was cancelled', { cause: error });
    }
    return undefined;
  }

  /** @internal Cancel every child (and abort the group's signal). */
  _abort(reason: CancelledError): void {
    this._aborting = true;
    abortScope(this, reason);
    for (const task of this._tasks) task.cancel(reason.reason ?? 'TaskGroup is shutting down');
  }

  /** @internal asyncio's `__aexit__`. */
  async _exit(threw: boolean, error: unknown): Promise<void> {
    this._state = State.Exiting;
    let propagate: unknown = threw && error instanceof CancelledError ? error : undefined;
    if (threw && !this._aborting) {
      this._abort(
        error instanceof CancelledError ? error : new CancelledError('TaskGroup body failed'),
      );
    }
    try {
      while (this._tasks.size > 0) {
        // Waits in the enclosing scope: our own cancellation of the body
        // must not interrupt it, an outside cancellation must.
        const parent = this._parent!;
        const wait = (this._allDone = new Suspension<void>(parent));
        wait.describe = () => ({ kind: 'group', id: this._id });
        wait.checkPending();
        try {
          await wait.promise;
        } catch (outside) {
          if (!this._aborting) {
            propagate = outside;
            this._abort(outside instanceof CancelledError ? outside : new CancelledError());
          }
        } finally {
          this._allDone = undefined;
        }
      }
    } finally {
      this._state = State.Finished;
      closeScope(this);
    }
    const task = this._task;
    if (this._parentCancelRequested) {
      if (task._numCancels > 0) task._numCancels--;
      if (task._numCancels <= this._cancellingAtEnter) {
        propagate = undefined;
        // Our request may never have reached a checkpoint: it must not leak out.
        if (this._bodyScope !== this) this._bodyScope._pending = undefined;
        if (task._numCancels === 0) task._pending = undefined;
      }
    }
    if (propagate !== undefined && this._errors.length === 0) throw propagate;
    // A body that awaited a failed child rethrows that child's error: it is
    // already in the list, once is enough.
    if (threw && !(error instanceof CancelledError) && !this._errors.includes(error)) {
      this._errors.push(error);
    }
    if (this._errors.length > 0) {
      // Cancelled from outside as well: keep that cancellation for the next
      // checkpoint instead of losing it behind the TaskGroupError.
      if (task._numCancels > this._cancellingAtEnter && this._parent!._pending === undefined) {
        this._parent!._pending = new CancelledError('TaskGroup was cancelled from outside');
      }
      throw new TaskGroupError(this._errors);
    }
  }

  /** @internal */
  _onTaskDone(task: Task<unknown>): void {
    this._tasks.doneOne();
    if (this._tasks.size === 0) this._allDone?.resolve();
    if (task._state !== TaskState.Failed) return;
    task._markRetrieved();
    this._errors.push(task._outcome);
    if (!this._aborting && !this._parentCancelRequested) {
      const error = new CancelledError('A task in the TaskGroup failed', { cause: task._outcome });
      this._abort(error);
      this._parentCancelRequested = true;
      requestCancel(this._bodyScope, error, this);
    }
  }
}

async function runIn<T>(group: TaskGroup, body: (tg: TaskGroup) => Awaitable<T>): Promise<T> {
  // Await inside the group's scope, so that a task returned by the body is linked to it.
  return await body(group);
}
