/**
 * Cancel scopes: the machinery every checkpoint shares.
 *
 * A task is a root scope; `timeout()` and `TaskGroup` open child scopes
 * inside it. The innermost scope travels with `AsyncLocalStorage`, so any
 * weft awaitable knows which scope it waits in. A wait registers a
 * {@link Waiter} in its scope; cancelling a scope throws one
 * `CancelledError` into the waiters of that scope and of the scopes nested
 * in it, or, when nothing is waiting, leaves the request pending for the
 * next checkpoint (asyncio's `_must_cancel`).
 *
 * Signals follow scopes: each scope's `AbortSignal` is created on first use
 * and aborts with its scope or any enclosing one, through the scope tree
 * itself rather than abort listeners (so nothing is left on a long-lived
 * signal when a child scope ends).
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { CancelledError } from '../exceptions.js';
import type { WaitTarget } from '../snapshot-types.js';

/** One suspended wait: a checkpoint that can be interrupted. */
export interface Waiter {
  /**
   * Deliver a cancellation. Returns true when the wait took it (it rejects,
   * or it passed the request on to the work it waits for), false when it
   * was already over.
   */
  cancel(error: CancelledError): boolean;
  /** What the wait is on, for `snapshot()` (called only when one is taken). */
  describe?(): WaitTarget;
}

/** The per-task bookkeeping that scopes need from their owning task. */
export interface ScopeOwner {
  /** Cancellation requests not yet undone with `uncancel()`. */
  _numCancels: number;
  /**
   * A cancellation was thrown in this microtask: further requests merge into
   * it instead of throwing a second `CancelledError` at the next checkpoint.
   */
  _inFlight: boolean;
}

export const storage = new AsyncLocalStorage<Scope | undefined>();

/** The innermost scope of the code that is running, if it runs in a task. */
export function currentScope(): Scope | undefined {
  return storage.getStore();
}

/**
 * The fields most scopes never use, in one object made on first use: a
 * signal, nested scopes, several waiters at once, a cancellation waiting
 * for a checkpoint. Keeping them off the scope itself makes a task 40 bytes
 * lighter; a task that asks for its signal, or is cancelled while nothing
 * waits, pays for this object then. Tasks extend it with their own rarely used fields.
 */
export class ScopeExtra {
  children: Set<Scope> | undefined = undefined;
  controller: AbortController | undefined = undefined;
  waiters: Set<Waiter> | undefined = undefined;
  pending: CancelledError | undefined = undefined;
}

/** Base of tasks, timeouts and task groups. Internal: only `signal` is public. */
export abstract class Scope {
  /** @internal The task this scope belongs to (a task is its own). */
  abstract get _task(): ScopeOwner & Scope;
  /** @internal The enclosing scope; a task has none. */
  abstract get _parent(): Scope | undefined;
  /** @internal The one waiter, when only one wait is in this scope (the usual case). */
  _waiter: Waiter | undefined = undefined;
  /**
   * @internal What the signal aborted (or will abort) with; set once, and
   * always an error object, so it also says whether the scope is aborted.
   * A field of its own, not in the extra object: every cancellation sets it.
   */
  _abortReason: unknown = undefined;
  /** @internal See {@link ScopeExtra}. */
  _x: ScopeExtra | undefined = undefined;

  /** @internal The extra fields, made now if they were not yet. */
  _extra(): ScopeExtra {
    return (this._x ??= new ScopeExtra());
  }

  // Accessors, so that every caller reads and writes these as fields; a
  // write of the "empty" value never makes the extra object.
  /** @internal */
  get _children(): Set<Scope> | undefined {
    return this._x?.children;
  }
  set _children(value: Set<Scope> | undefined) {
    if (value !== undefined || this._x !== undefined) this._extra().children = value;
  }
  /** @internal */
  get _controller(): AbortController | undefined {
    return this._x?.controller;
  }
  set _controller(value: AbortController | undefined) {
    if (value !== undefined || this._x !== undefined) this._extra().controller = value;
  }
  /** @internal */
  get _waiters(): Set<Waiter> | undefined {
    return this._x?.waiters;
  }
  set _waiters(value: Set<Waiter> | undefined) {
    if (value !== undefined || this._x !== undefined) this._extra().waiters = value;
  }
  /** @internal */
  get _pending(): CancelledError | undefined {
    return this._x?.pending;
  }
  set _pending(value: CancelledError | undefined) {
    if (value !== undefined || this._x !== undefined) this._extra().pending = value;
  }

  /** @internal */
  get _aborted(): boolean {
    return this._abortReason !== undefined;
  }

  /**
   * Aborts when this scope is cancelled (or an enclosing scope is), and
   * stays aborted. Pass it to `fetch`, streams, child processes and drivers.
   * Created on first use.
   */
  get signal(): AbortSignal {
    const extra = this._extra();
    let controller = extra.controller;
    if (controller === undefined) {
      controller = extra.controller = new AbortController();
      if (this._abortReason !== undefined) controller.abort(this._abortReason);
    }
    return controller.signal;
  }
}

export function addWaiter(scope: Scope, waiter: Waiter): void {
  if (scope._waiter === undefined) scope._waiter = waiter;
  else (scope._waiters ??= new Set()).add(waiter);
}

export function removeWaiter(scope: Scope, waiter: Waiter): void {
  if (scope._waiter === waiter) scope._waiter = undefined;
  else scope._waiters?.delete(waiter);
}

/** Link a child scope (timeout, task group) under its parent while it is open. */
export function openScope(child: Scope): void {
  const parent = child._parent;
  if (parent === undefined) return;
  (parent._children ??= new Set()).add(child);
  if (parent._aborted) child._abortReason = parent._abortReason;
}

/** Unlink a child scope; a cancellation still pending on it goes away with it. */
export function closeScope(child: Scope): void {
  child._parent?._children?.delete(child);
  child._pending = undefined;
}

/** Abort a scope's signal and every nested scope's signal (once). */
export function abortScope(scope: Scope, reason: unknown): void {
  if (scope._aborted) return;
  scope._abortReason = reason;
  scope._controller?.abort(reason);
  if (scope._children !== undefined) {
    for (const child of [...scope._children]) abortScope(child, reason);
  }
}

/** Throw `error` into every waiter in `scope` and its nested scopes. */
function deliver(scope: Scope, error: CancelledError): boolean {
  let taken = false;
  const first = scope._waiter;
  if (first?.cancel(error)) taken = true;
  if (scope._waiters !== undefined && scope._waiters.size > 0) {
    for (const waiter of [...scope._waiters]) if (waiter.cancel(error)) taken = true;
  }
  if (scope._children !== undefined) {
    for (const child of [...scope._children]) if (deliver(child, error)) taken = true;
  }
  return taken;
}

function clearInFlight(owner: ScopeOwner): void {
  owner._inFlight = false;
}

/**
 * Owners whose in-flight flag clears on a later microtask, in the order they
 * were marked; each mark queues one reaction on a settled promise that
 * clears the oldest. That clears every owner exactly where a
 * `queueMicrotask` per mark would, without its closure and its
 * `AsyncResource` per cancellation (measurable when 100k tasks are cancelled).
 */
const toClear: ScopeOwner[] = [];
let toClearHead = 0;
const settled = Promise.resolve();

function clearOldest(): void {
  const owner = toClear[toClearHead]!;
  toClear[toClearHead++] = undefined as never;
  if (toClearHead === toClear.length) toClear.length = toClearHead = 0;
  clearInFlight(owner);
}

function markInFlight(owner: ScopeOwner): void {
  if (owner._inFlight) return;
  owner._inFlight = true;
  toClear.push(owner);
  settled.then(clearOldest);
}

/** Tasks a cancellation is being delivered into, innermost last (nested through awaits). */
const delivering: ScopeOwner[] = [];

/** Is a cancellation being delivered into `owner` right now (further up the stack)? */
export function isDelivering(owner: ScopeOwner): boolean {
  return delivering.includes(owner);
}

/**
 * One cancellation request against `target` (the scope whose waiters get
 * the error). `signalScope` is the scope whose signal aborts: the task for
 * `task.cancel()`, the timeout or group for their own cancellations;
 * `signalReason` is what that signal aborts with.
 */
export function requestCancel(
  target: Scope,
  error: CancelledError,
  signalScope: Scope = target,
  signalReason: unknown = error,
): void {
  const owner = target._task;
  owner._numCancels++;
  abortScope(signalScope, signalReason);
  // Requests made before the first one reached the task merge into it, as in
  // asyncio; without this a double cancel() would throw twice.
  if (owner._inFlight) return;
  // Delivering may come back here: in an await cycle (a deadlock: A awaits
  // B, B awaits A) cancelling A cancels B, whose wait cancels A again.
  // While this delivery runs, such a request merges into it, as requests
  // made before delivery do; without this the stack overflows.
  if (isDelivering(owner)) return;
  delivering.push(owner);
  let taken: boolean;
  try {
    taken = deliver(target, error);
  } finally {
    delivering.pop();
  }
  if (taken) markInFlight(owner);
  else if (target._pending === undefined) target._pending = error;
}

/**
 * At a checkpoint: the pending cancellation of this scope or an enclosing
 * one, consumed (all of them merge into one error), or undefined.
 */
export function takePending(scope: Scope): CancelledError | undefined {
  let found: CancelledError | undefined;
  for (let s: Scope | undefined = scope; s !== undefined; s = s._parent) {
    if (s._pending !== undefined) {
      found ??= s._pending;
      s._pending = undefined;
    }
  }
  if (found !== undefined) markInFlight(scope._task);
  return found;
}

/**
 * A generic interruptible wait: a promise plus the waiter that rejects it
 * promptly on cancellation. `onSettle` releases whatever the wait holds
 * (timers, listeners) however it ends.
 */
export class Suspension<T> implements Waiter {
  readonly promise: Promise<T>;
  private _resolve!: (value: T) => void;
  private _reject!: (error: unknown) => void;
  private _done = false;
  onSettle: (() => void) | undefined = undefined;
  /** What this wait is on, for `snapshot()`; a plain promise when not set. */
  describe: (() => WaitTarget) | undefined = undefined;

  constructor(readonly scope: Scope | undefined) {
    this.promise = new Promise<T>((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    if (scope !== undefined) addWaiter(scope, this);
  }

  get settled(): boolean {
    return this._done;
  }

  /** Deliver a cancellation that was pending when the wait began. */
  checkPending(): this {
    if (this.scope !== undefined) {
      const error = takePending(this.scope);
      if (error !== undefined) this.cancel(error);
    }
    return this;
  }

  resolve(value: T): void {
    if (this._finish()) this._resolve(value);
  }

  reject(error: unknown): void {
    if (this._finish()) this._reject(error);
  }

  cancel(error: CancelledError): boolean {
    if (this._done) return false;
    this.reject(error);
    return true;
  }

  private _finish(): boolean {
    if (this._done) return false;
    this._done = true;
    if (this.scope !== undefined) removeWaiter(this.scope, this);
    const release = this.onSettle;
    this.onSettle = undefined;
    release?.();
    return true;
  }
}
