/**
 * Tasks: asyncio's `Task`, on native promises.
 *
 * A task runs a function on a later microtask, carries its own cancel scope
 * through `AsyncLocalStorage`, and is itself awaitable. Awaiting a task is a
 * checkpoint that links the awaiter's cancellation to it.
 *
 * @module
 */

import { inspect } from 'node:util';
import { envSession, noteTaskStart } from './debug.js';
import {
  asCancellation,
  type CancelledError,
  cancellation,
  InvalidStateError,
} from './exceptions.js';
import { type ErrorRecord, type RunContext, retrieve, track } from './internal/report.js';
import {
  addWaiter,
  currentScope,
  isDelivering,
  removeWaiter,
  requestCancel,
  Scope,
  ScopeExtra,
  Suspension,
  storage,
  takePending,
  type Waiter,
} from './internal/scope.js';
import { creationStack } from './internal/stacks.js';
import {
  checkOptionalBoolean,
  checkOptionalString,
  checkOptions,
  isThenable,
  show,
} from './internal/validate.js';
import type { WaitTarget } from './snapshot-types.js';

/** A value or a promise of it. */
export type Awaitable<T> = T | PromiseLike<T>;

/**
 * The function a task runs. It receives the task's `AbortSignal`, created
 * only for functions that declare a parameter (a rest-parameter function
 * should call `currentSignal()` instead).
 */
export type TaskFn<T> = (signal: AbortSignal) => Awaitable<T>;

/** Options of {@link createTask}. */
export interface TaskOptions {
  /**
   * A name for logs, reports and `toString()`.
   * @default `Task-<id>`
   */
  name?: string;
  /**
   * Run the function synchronously, up to its first `await`, inside
   * `createTask` itself (asyncio's eager tasks). What that guarantees: the
   * code before the first `await` has run when `createTask` returns. A
   * plain (non-`async`) function that returns a value is then already done
   * (`task.done()` is true). An `async` function that never awaits has run
   * to its end too, but the task settles a microtask later: JavaScript
   * cannot read a settled promise synchronously, so `task.done()` is still
   * false right after `createTask`.
   * @default false
   */
  eager?: boolean;
}

/** A task's private state. */
const State = { Pending: 0, Succeeded: 1, Failed: 2, Cancelled: 3 } as const;
type State = (typeof State)[keyof typeof State];

const STATE_NAMES = ['pending', 'finished', 'failed', 'cancelled'] as const;

/**
 * Every task not yet done, as an intrusive doubly linked list (cheaper than a
 * Set at 100k tasks). Also the strong reference that keeps fire-and-forget
 * tasks alive until they finish.
 */
let firstPending: Task<unknown> | undefined;
let nextId = 1;

function linkPending(task: Task<unknown>): void {
  task._next = firstPending;
  if (firstPending !== undefined) firstPending._prev = task;
  firstPending = task;
}

function unlinkPending(task: Task<unknown>): void {
  const { _prev: prev, _next: next } = task;
  if (prev !== undefined) prev._next = next;
  else firstPending = next;
  if (next !== undefined) next._prev = prev;
  task._prev = task._next = undefined;
}

/** @internal Every task not yet done, newest first. */
export function* eachPending(): Generator<Task<unknown>> {
  for (let t = firstPending; t !== undefined; t = t._next) yield t;
}

/** Tasks waiting for their first step, started in creation order by one microtask. */
let startQueue: Task<unknown>[] = [];
let startScheduled = false;

/**
 * Creation times, in tenths of a second of `performance.now()` (a small
 * integer, so no heap number per task). Read once per batch of tasks created
 * in the same turn rather than once per task: the clock is not free.
 */
let batchBorn = 0;

function bornNow(): number {
  return Math.floor(performance.now() / 100);
}

/** @internal Milliseconds since `task` was created (100 ms resolution). */
export function taskAge(task: Task<unknown>): number {
  return (bornNow() - task._born) * 100;
}

function flushStartQueue(): void {
  // Tasks created while this loop runs are appended and started in order too.
  const queue = startQueue;
  try {
    for (let i = 0; i < queue.length; i++) {
      const task = queue[i]!;
      try {
        startTask(task, true);
      } catch (error) {
        // startTask catches what the task's own code throws; this is the last
        // guard of the queue itself: a throw escaping here would leave
        // `startScheduled` set, and no task created afterwards would ever start.
        storage.enterWith(undefined);
        task._onThrow(error);
      }
    }
  } finally {
    // The loop entered each task's context in turn (see startTask); what
    // runs after it in this microtask is in no task.
    storage.enterWith(undefined);
  }
  startQueue = [];
  startScheduled = false;
}

function scheduleStart(task: Task<unknown>): void {
  startQueue.push(task);
  if (!startScheduled) {
    startScheduled = true;
    batchBorn = bornNow();
    // The flush must not run in the creator's context. run(undefined), not
    // exit(): on Node 20 exit() switches the promise hooks off and on again.
    if (storage.getStore() === undefined) queueMicrotask(flushStartQueue);
    else storage.run(undefined, queueMicrotask, flushStartQueue);
  }
}

/**
 * Run the first step of `task` in its context. `inFlush`: called by the
 * start queue's own microtask, which runs nothing but task starts: each
 * task's context is entered for good instead of entered and then restored
 * (`storage.run`), since the next task's replaces it anyway and the loop
 * restores once at its end. On Node 24 and later each context switch
 * allocates a frame: this saves one per task.
 */
function startTask(task: Task<unknown>, inFlush = false): void {
  if (task._state !== State.Pending) return;
  // Cancelled before it started: asyncio never runs the coroutine's body.
  const pending = task._pending;
  if (pending !== undefined) {
    task._pending = undefined;
    // Its done listeners run outside any task, not in the previous task's
    // context, which the start queue's loop may have left entered.
    if (inFlush) storage.enterWith(undefined);
    task._settle(State.Cancelled, pending);
    return;
  }
  // Only debug-mode tasks have a creation stack: a cheap test for the mode.
  if (task._creationStack !== undefined) noteTaskStart(task);
  if (inFlush) {
    storage.enterWith(task);
    runBody(task);
  } else {
    storage.run(task, runBody, task);
  }
}

function runBody(task: Task<unknown>): void {
  const body = task._body;
  task._outcome = undefined;
  if (typeof body !== 'function') {
    awaitForeign(task, body as PromiseLike<unknown>);
    return;
  }
  // Anything user code can throw here fails the task: the function itself, a
  // `then` getter on what it returned, or a `then` that throws.
  try {
    const result = body.length === 0 ? (body as () => unknown)() : body(task.signal);
    if (result instanceof Promise && Object.getPrototypeOf(result) === Promise.prototype) {
      // Reactions of a native promise run in the context they were registered
      // in, the task's own: no closure per task.
      result.then(onBodyReturn, onBodyThrow);
    } else if (isThenable(result)) {
      // Any other thenable may call back from another task's context, or
      // twice: bind the task (settling twice is a no-op).
      result.then(
        (value) => task._onReturn(value),
        (error) => task._onThrow(error),
      );
    } else {
      task._onReturn(result);
    }
  } catch (error) {
    task._onThrow(error);
  }
}

function onBodyReturn(value: unknown): void {
  (storage.getStore() as Task<unknown>)._onReturn(value);
}

function onBodyThrow(error: unknown): void {
  (storage.getStore() as Task<unknown>)._onThrow(error);
}

/** A task made from a plain promise: cancelling it settles the task at once; the promise runs on. */
function awaitForeign(task: Task<unknown>, promise: PromiseLike<unknown>): void {
  const wait = new Suspension<unknown>(task);
  wait.describe = describeForeign;
  wait.promise.then(
    (value) => task._onReturn(value),
    (error) => task._onThrow(error),
  );
  try {
    promise.then(
      (value) => wait.resolve(value),
      (error) => wait.reject(error),
    );
  } catch (error) {
    // A thenable whose `then` throws: the task fails with that error.
    wait.reject(error);
  }
}

/** What a task wraps when its argument's `then` getter threw: a thenable that rejects with it. */
function rejectingThenable(error: unknown): PromiseLike<never> {
  return {
    // biome-ignore lint/suspicious/noThenProperty: a stand-in for the thenable whose getter threw.
    then(_onFulfilled, onRejected) {
      onRejected?.(error);
      return Promise.resolve() as never;
    },
  };
}

function describeForeign(): WaitTarget {
  return { kind: 'promise', detail: 'the promise this task wraps' };
}

/** The waiter an awaiting scope holds while it awaits a task: its cancellation cancels the task. */
class AwaitLink implements Waiter {
  constructor(
    readonly scope: Scope,
    readonly awaited: Task<unknown>,
  ) {}
  cancel(error: CancelledError): boolean {
    if (isDelivering(this.awaited)) {
      // An await cycle (A awaits B, B awaits A: a deadlock) and this very
      // cancellation is going round it. The awaiting task would wait for
      // the awaited one forever, and it for us: this task ends cancelled
      // now, its function left at this await, and the cycle unwinds.
      const waiting = this.scope._task as Task<unknown>;
      waiting._settle(State.Cancelled, error);
      return true;
    }
    return cancelWith(this.awaited, error);
  }
  describe(): WaitTarget {
    return { kind: 'task', id: this.awaited.id, name: this.awaited.name };
  }
}

/** Cancel `task` with an existing error object (used to pass a cancellation on). */
export function cancelWith(task: Task<unknown>, error: CancelledError): boolean {
  if (task._state !== State.Pending) return false;
  requestCancel(task, error);
  return true;
}

/**
 * A task's rarely used fields (see {@link ScopeExtra}): a name, a debug-mode
 * creation stack, done callbacks, an unretrieved error.
 * A task made, run and awaited without any of them is 15 fields, not 27.
 */
class TaskExtra extends ScopeExtra {
  name: string | undefined = undefined;
  creationStack: string | undefined = undefined;
  callbacks: DoneListener[] | undefined = undefined;
  record: ErrorRecord | undefined = undefined;
}

/**
 * A unit of concurrent work: asyncio's `Task`. Create one with
 * {@link createTask} (or `new Task(fn)`); await it for its result.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from 'weft';
 *
 * await run(async () => {
 *   const task = createTask(() => sleep(10, 42), { name: 'answer' });
 *   console.log(String(task)); // Task<answer #2 pending>
 *   console.log(await task); // 42
 * });
 * ```
 */
export class Task<T> extends Scope implements PromiseLike<T> {
  /** Unique, increasing id. */
  readonly id: number;
  /** @internal */ _state: State = State.Pending;
  /**
   * @internal The function (or promise) to run until the task starts, then
   * nothing, then the value or the error once done: one field for the
   * three, since a task never needs two of them at once.
   */
  _outcome: unknown;
  /** @internal */ _context: RunContext | undefined;
  // Internal fields are typed without T so that Task<T> stays assignable to Task<unknown>.
  /** @internal */ _deferred: Deferred<unknown> | undefined = undefined;
  /** @internal One listener, or several (one field: most tasks have none or one). */
  _listeners: DoneListener | DoneListener[] | undefined = undefined;
  /** @internal */ _links: AwaitLink[] | undefined = undefined;
  /** @internal */ _prev: Task<unknown> | undefined = undefined;
  /** @internal */ _next: Task<unknown> | undefined = undefined;
  /** @internal Creation time in tenths of a second (see `bornNow`). */
  _born = 0;
  /** @internal Id of the task that created this one, 0 when none. */
  _creator = 0;
  /**
   * @internal Small counts and flags in one integer, since each is written
   * often and a field apiece would make every task bigger: bit 0, a
   * cancellation is in flight; bit 1, the outcome was asked for (an error
   * nobody asked for is reported); the rest, cancellation requests not
   * undone (`cancelling()`).
   */
  _bits = 0;
  /** @internal */ declare _x: TaskExtra | undefined;

  /** @internal A task is its own owning task. */
  get _task(): Task<unknown> {
    return this as Task<unknown>;
  }
  /** @internal A task is a root scope. */
  get _parent(): undefined {
    return undefined;
  }
  /** @internal */
  override _extra(): TaskExtra {
    return (this._x ??= new TaskExtra());
  }
  /** @internal The function to run, until the task starts. */
  get _body(): TaskFn<T> | PromiseLike<T> | undefined {
    return this._state === State.Pending ? (this._outcome as TaskFn<T> | undefined) : undefined;
  }
  /** @internal */
  get _name(): string | undefined {
    return this._x?.name;
  }
  set _name(value: string | undefined) {
    if (value !== undefined || this._x !== undefined) this._extra().name = value;
  }
  /** @internal */
  get _numCancels(): number {
    return this._bits >> 2;
  }
  set _numCancels(value: number) {
    this._bits = (value << 2) | (this._bits & 3);
  }
  /** @internal */
  get _inFlight(): boolean {
    return (this._bits & 1) !== 0;
  }
  set _inFlight(value: boolean) {
    this._bits = value ? this._bits | 1 : this._bits & ~1;
  }
  /** @internal */
  get _retrieved(): boolean {
    return (this._bits & 2) !== 0;
  }
  set _retrieved(value: boolean) {
    this._bits = value ? this._bits | 2 : this._bits & ~2;
  }
  /** @internal */
  get _creationStack(): string | undefined {
    return this._x?.creationStack;
  }
  set _creationStack(value: string | undefined) {
    if (value !== undefined || this._x !== undefined) this._extra().creationStack = value;
  }
  /** @internal */
  get _callbacks(): DoneListener[] | undefined {
    return this._x?.callbacks;
  }
  set _callbacks(value: DoneListener[] | undefined) {
    if (value !== undefined || this._x !== undefined) this._extra().callbacks = value;
  }
  /** @internal */
  get _record(): ErrorRecord | undefined {
    return this._x?.record;
  }
  set _record(value: ErrorRecord | undefined) {
    if (value !== undefined || this._x !== undefined) this._extra().record = value;
  }

  /**
   * Prefer {@link createTask}; the constructor does the same.
   * @param fn - the function to run (receives the task's signal), or a promise to wrap.
   */
  constructor(fn: TaskFn<T> | PromiseLike<T>, options?: TaskOptions);
  /** @internal */
  constructor(
    fn: TaskFn<T> | PromiseLike<T>,
    options: TaskOptions | undefined,
    context: RunContext,
  );
  constructor(fn: TaskFn<T> | PromiseLike<T>, options?: TaskOptions, context?: RunContext) {
    let body: TaskFn<T> | PromiseLike<T> = fn;
    if (typeof fn !== 'function') {
      let thenable: boolean;
      try {
        thenable = isThenable(fn);
      } catch (error) {
        // A `then` getter that throws: as `Promise.resolve(fn)` does, the
        // task fails with that error (it is not a bad argument).
        thenable = true;
        body = rejectingThenable(error);
      }
      if (!thenable) {
        throw new TypeError(`Expected \`fn\` to be a function or a promise, got ${show(fn)}`);
      }
    }
    if (options !== undefined) {
      // A chain, not firstError(...): its rest array is an allocation per named task.
      const error =
        checkOptions('options', options) ??
        checkOptionalString('options.name', options?.name) ??
        checkOptionalBoolean('options.eager', options?.eager);
      if (error !== undefined) throw error;
    }
    super();
    this.id = nextId++;
    if (options?.name !== undefined) this._name = options.name;
    this._outcome = body;
    const creator = currentScope()?._task as Task<unknown> | undefined;
    if (creator !== undefined) this._creator = creator.id;
    this._context = context ?? creator?._context;
    // Outside any run(), WEFT_DEBUG=1 decides.
    const debug = this._context === undefined ? envSession() : this._context.debug;
    if (debug !== undefined) this._creationStack = creationStack();
    linkPending(this as Task<unknown>);
    if (options?.eager) {
      this._born = bornNow();
      startTask(this as Task<unknown>);
    } else {
      scheduleStart(this as Task<unknown>);
      this._born = batchBorn;
    }
  }

  /** Name for logs and reports; may be changed. Defaults to `Task-<id>`. */
  get name(): string {
    return this._name ?? `Task-${this.id}`;
  }

  set name(value: string) {
    if (typeof value !== 'string') {
      throw new TypeError(`Expected \`name\` to be a string, got ${show(value)}`);
    }
    this._name = value;
  }

  /**
   * Request cancellation: a `CancelledError` is thrown into the task at the
   * checkpoint it waits on, or at its next one; `signal` aborts now.
   * Returns false if the task is already done.
   */
  cancel(reason?: unknown): boolean {
    if (this._state !== State.Pending) return false;
    const message =
      typeof reason === 'string' ? reason : `Task '${this.name}' (#${this.id}) was cancelled`;
    // Debug-mode tasks (those with a creation stack) also record where
    // cancel() was called; otherwise the error carries no stack trace.
    requestCancel(this, cancellation(message, { reason }, this._creationStack !== undefined));
    return true;
  }

  /** True when the task ended cancelled. */
  cancelled(): boolean {
    return this._state === State.Cancelled;
  }

  /** True when the task has finished: returned, failed or cancelled. */
  done(): boolean {
    return this._state !== State.Pending;
  }

  /** Number of cancellation requests not yet undone by {@link Task.uncancel}. */
  cancelling(): number {
    return this._numCancels;
  }

  /**
   * Undo one cancellation request and return how many remain. At zero, a
   * request not yet delivered is dropped (Python 3.13 semantics).
   */
  uncancel(): number {
    if (this._numCancels > 0) this._numCancels--;
    if (this._numCancels === 0) this._pending = undefined;
    return this._numCancels;
  }

  /**
   * The task's value. Throws `InvalidStateError` if it is not done,
   * `CancelledError` if it was cancelled, and its error if it failed.
   */
  result(): T {
    switch (this._state) {
      case State.Succeeded:
        return this._outcome as T;
      case State.Pending:
        throw new InvalidStateError(`Task '${this.name}' (#${this.id}) is not done yet`, {
          state: 'pending',
        });
      default:
        this._markRetrieved();
        throw this._outcome;
    }
  }

  /**
   * The task's error, or `undefined` if it succeeded. Throws
   * `InvalidStateError` if it is not done and `CancelledError` if it was
   * cancelled.
   */
  exception(): unknown {
    switch (this._state) {
      case State.Pending:
        throw new InvalidStateError(`Task '${this.name}' (#${this.id}) is not done yet`, {
          state: 'pending',
        });
      case State.Cancelled:
        throw this._outcome;
      case State.Failed:
        this._markRetrieved();
        return this._outcome;
      default:
        return undefined;
    }
  }

  /**
   * Call `callback(task)` once the task is done (on a later microtask, like
   * asyncio's `call_soon`). If it is already done, the call is scheduled now.
   */
  addDoneCallback(callback: (task: Task<T>) => void): void {
    if (typeof callback !== 'function') {
      throw new TypeError(`Expected \`callback\` to be a function, got ${show(callback)}`);
    }
    if (this._state !== State.Pending) scheduleCallback(callback as DoneListener, this);
    else (this._callbacks ??= []).push(callback as DoneListener);
  }

  /** Remove every registration of `callback`; returns how many were removed. */
  removeDoneCallback(callback: (task: Task<T>) => void): number {
    const list = this._callbacks;
    if (list === undefined) return 0;
    const kept = list.filter((cb) => cb !== callback);
    this._callbacks = kept;
    return list.length - kept.length;
  }

  /**
   * Awaiting a task is a checkpoint: if the awaiting task is cancelled, this
   * task is cancelled too, and the await settles when this task does.
   */
  // biome-ignore lint/suspicious/noThenProperty: a Task is awaitable by design, like asyncio's.
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (this._state !== State.Pending) {
      this._markRetrieved();
      const settled =
        this._state === State.Succeeded
          ? Promise.resolve(this._outcome as T)
          : Promise.reject(this._outcome);
      return settled.then(onFulfilled, onRejected);
    }
    this._retrieved = true;
    const scope = currentScope();
    // A task registering a callback on itself is not waiting: no link.
    if (scope !== undefined && scope._task !== this) this._link(scope);
    const deferred = (this._deferred ??= new Deferred<unknown>());
    return (deferred.promise as Promise<T>).then(onFulfilled, onRejected);
  }

  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onRejected);
  }

  /** Like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onFinally);
  }

  /** Makes a task usable wherever a `Promise` is expected (it has `then`, `catch`, `finally`). */
  get [Symbol.toStringTag](): string {
    return 'Task';
  }

  /** `Task<name #id state>` */
  override toString(): string {
    return `Task<${this.name} #${this.id} ${STATE_NAMES[this._state]}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    let text = `Task { id: ${this.id}, name: ${JSON.stringify(this.name)}, state: '${STATE_NAMES[this._state]}'`;
    if (this._state === State.Pending && this._numCancels > 0) {
      text += `, cancelling: ${this._numCancels}`;
    }
    if (this._state === State.Succeeded)
      text += `, result: ${inspect(this._outcome, { depth: 0 })}`;
    if (this._state === State.Failed)
      text += `, error: ${inspect(this._outcome, { depth: 0 }).split('\n')[0]}`;
    return `${text} }`;
  }

  /** @internal The awaiting `scope` waits for this task: its cancellation passes to us. */
  _link(scope: Scope): void {
    const link = new AwaitLink(scope, this as Task<unknown>);
    addWaiter(scope, link);
    (this._links ??= []).push(link);
    const pending = takePending(scope);
    if (pending !== undefined) link.cancel(pending);
  }

  /** @internal Run `listener` synchronously when the task is done (now, if it is). */
  _onDone(listener: (task: Task<T>) => void): void {
    if (this._state !== State.Pending) listener(this);
    else {
      const current = this._listeners;
      if (current === undefined) this._listeners = listener as DoneListener;
      else if (typeof current === 'function') this._listeners = [current, listener as DoneListener];
      else current.push(listener as DoneListener);
    }
  }

  /** @internal */
  _offDone(listener: (task: Task<T>) => void): void {
    const list = this._listeners;
    if (list === listener) this._listeners = undefined;
    else if (Array.isArray(list)) {
      const index = list.indexOf(listener as DoneListener);
      if (index >= 0) list.splice(index, 1);
    }
  }

  /** @internal */
  _markRetrieved(): void {
    this._retrieved = true;
    if (this._record !== undefined) {
      retrieve(this._record);
      this._record = undefined;
    }
  }

  /** @internal The function returned. */
  _onReturn(value: T): void {
    // asyncio's _must_cancel: a request that never reached a checkpoint still cancels.
    const pending = this._pending;
    if (pending !== undefined) {
      // The request stays pending: code still running in this task's context
      // after its function returned (an Express handler after the request
      // task ended) gets it at its next checkpoint instead of never.
      this._settle(State.Cancelled, pending);
    } else {
      this._settle(State.Succeeded, value);
    }
  }

  /** @internal The function threw. */
  _onThrow(error: unknown): void {
    this._pending = undefined;
    // Work stopped through the signal (an AbortError caused by our
    // CancelledError) ends the task cancelled, not failed.
    const cancelled = asCancellation(error);
    if (cancelled !== undefined) this._settle(State.Cancelled, cancelled);
    else this._settle(State.Failed, error);
  }

  /** @internal */
  _settle(state: State, outcome: unknown): void {
    if (this._state !== State.Pending) return;
    this._state = state;
    this._outcome = outcome;
    unlinkPending(this as Task<unknown>);
    const links = this._links;
    if (links !== undefined) {
      this._links = undefined;
      for (const link of links) removeWaiter(link.scope, link);
    }
    const deferred = this._deferred;
    if (deferred !== undefined) {
      if (state === State.Succeeded) deferred.resolve(outcome);
      else deferred.reject(outcome);
    }
    const listeners = this._listeners;
    if (listeners !== undefined) {
      this._listeners = undefined;
      if (typeof listeners === 'function') listeners(this);
      else for (const listener of listeners) listener(this);
    }
    const callbacks = this._callbacks;
    if (callbacks !== undefined) {
      this._callbacks = undefined;
      for (const callback of callbacks) scheduleCallback(callback, this);
    }
    if (state === State.Failed && !this._retrieved) {
      this._record = track(
        this,
        outcome,
        { id: this.id, name: this.name, creationStack: this._creationStack },
        this._context,
      );
    }
  }
}

/** Internal done listener (typed without the task's value type). */
type DoneListener = (task: Task<unknown>) => void;

/** The promise behind `await task`, made on first await. */
class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

function scheduleCallback(callback: DoneListener, task: Task<unknown>): void {
  // Outside the task's own context: a callback is not part of the task
  // (run(undefined) rather than exit(), which toggles Node 20's promise hooks).
  storage.run(undefined, queueMicrotask, () => {
    try {
      callback(task);
    } catch (error) {
      process.emitWarning(
        `A done callback of ${task} threw: ${error instanceof Error ? error.stack : String(error)}`,
        { type: 'WeftWarning', code: 'WEFT_CALLBACK_ERROR' },
      );
    }
  });
}

/** @internal Internal state constants for sibling modules. */
export const TaskState = State;

/**
 * Start `fn` as a task on a later microtask (in creation order) and return
 * the task. `fn` receives the task's `AbortSignal`. Pass a promise to give
 * it a task's cancellation: cancelling settles the task at once while the
 * promise runs on. Throws `TypeError` for anything else.
 *
 * @example
 * ```ts
 * import { createTask, sleep } from 'weft';
 *
 * const slow = createTask(async (signal) => {
 *   const res = await fetch('http://127.0.0.1:8080/slow', { signal });
 *   return res.status;
 * }, { name: 'slow-fetch' });
 * const ticker = createTask(() => sleep(100, 'tick'));
 * console.log(await ticker);
 * slow.cancel(); // aborts the fetch through its signal
 * ```
 */
export function createTask<T>(fn: TaskFn<T> | PromiseLike<T>, options?: TaskOptions): Task<T> {
  return new Task(fn, options);
}

/**
 * The task whose code is running, or `undefined` outside any task.
 *
 * @example
 * ```ts
 * import { currentTask, run } from 'weft';
 *
 * await run(async () => console.log(currentTask()?.name), { name: 'main' }); // main
 * ```
 */
export function currentTask(): Task<unknown> | undefined {
  return currentScope()?._task as Task<unknown> | undefined;
}

/**
 * The signal of the innermost scope (a `timeout`, a `TaskGroup` body, or the
 * task itself), or `undefined` outside any task. The idiom for anything weft
 * cannot interrupt itself: `fetch(url, { signal: currentSignal() })`.
 *
 * @example
 * ```ts
 * import { currentSignal, timeout } from 'weft';
 *
 * const res = await timeout(5_000, () =>
 *   fetch('http://127.0.0.1:8080/', { signal: currentSignal() }),
 * );
 * ```
 */
export function currentSignal(): AbortSignal | undefined {
  return currentScope()?.signal;
}

/**
 * Every task not yet done (a new set each call).
 *
 * @example
 * ```ts
 * import { allTasks, createTask, sleep } from 'weft';
 *
 * createTask(() => sleep(10));
 * console.log(allTasks().size); // 1
 * ```
 */
export function allTasks(): Set<Task<unknown>> {
  return new Set(eachPending());
}

/** @internal Tasks of one run() still pending. */
export function pendingTasksOf(context: RunContext): Task<unknown>[] {
  const found: Task<unknown>[] = [];
  for (const task of eachPending()) if (task._context === context) found.push(task);
  return found;
}

/** @internal Turn any awaitable argument into a task (functions and promises get a new one). */
export function toTask<T>(aw: Task<T> | PromiseLike<T> | TaskFn<T>): Task<T> {
  return aw instanceof Task ? aw : new Task(aw);
}

/** @internal Is this a valid awaitable argument? */
export function isAwaitable(value: unknown): boolean {
  if (value instanceof Task || typeof value === 'function') return true;
  try {
    return isThenable(value);
  } catch {
    // A `then` getter that throws: a thenable whose task fails with that
    // error (see the Task constructor), not a bad argument.
    return true;
  }
}

/**
 * @internal Outside any task, run `fn` in a new task so that scopes have a
 * task to cancel (asyncio would raise RuntimeError instead).
 */
export function inImplicitTask<T>(fn: () => Awaitable<T>, name: string): Promise<T> {
  return new Task<T>(() => fn(), { name }).then();
}
