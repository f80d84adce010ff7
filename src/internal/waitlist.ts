/**
 * The FIFO wait list every lock, event, condition, semaphore, barrier and
 * queue is built on.
 *
 * A waiter is served by a *grant*: the primitive reserves for it what it
 * waited for (a lock, a permit, a notification, a queue item or slot) at
 * once, so a task that arrives later can never overtake it. The waiting
 * task resumes a microtask later, and until then a cancellation can still
 * land on it (asyncio's "woken, then cancelled before it ran"). asyncio's
 * rule decides what happens then: a wait that ends in `CancelledError` did
 * nothing. So the waiter rejects and its owner passes the grant on to the
 * next waiter (`_waiterCancelled(waiter, true)`): the lock, permit or
 * notification goes to the next in line, a queue's reserved item or slot
 * to the next getter or putter. Owners whose waiters must act when they
 * resume (a queue's getter takes its item then, a putter stores its item
 * then) do it in `_waiterResumed`, so that nothing has happened on the
 * waiter's behalf before it is known not to be cancelled.
 *
 * The grant is only settled when the waiter resumes, not when the
 * cancellation lands, because `uncancel()` may still withdraw it: when the
 * task's requests are all undone by then (`cancelling()` is 0), the wait
 * completes normally, as asyncio's `uncancel()` clears `_must_cancel`.
 */

import type { CancelledError } from '../exceptions.js';
import type { WaitTarget } from '../snapshot-types.js';
import { addWaiter, currentScope, removeWaiter, type Scope, takePending } from './scope.js';

const WAITING = 0;
const GRANTED = 1;
const DONE = 2;

/** What a primitive must do when one of its waiters is cancelled or resumes. */
export interface WaitListOwner<V, P> {
  /**
   * `waiter` was cancelled: while still waiting (`granted` false), or after
   * it had been granted but before it resumed (`granted` true; the owner
   * passes the grant on).
   */
  _waiterCancelled(waiter: ListWaiter<V, P>, granted: boolean): void;
  /**
   * `waiter`, granted `value`, resumes (it was not cancelled, or its
   * cancellation was withdrawn): returns what its wait resolves with, or
   * throws what it rejects with. Without it, the wait resolves with `value`.
   */
  _waiterResumed?(waiter: ListWaiter<V, P>, value: V): V;
  /** What waiting in this list is waiting on, for `snapshot()`. */
  _waitTarget?(): WaitTarget;
}

/** One suspended `acquire`/`wait`/`get`/`put`. */
export class ListWaiter<V, P> {
  /** @internal */ _state = WAITING;
  /** @internal */ _next: ListWaiter<V, P> | undefined = undefined;
  /** @internal */ _prev: ListWaiter<V, P> | undefined = undefined;
  /** @internal */ _value: V | undefined = undefined;
  /** @internal A cancellation that arrived after the grant. */
  _late: CancelledError | undefined = undefined;

  constructor(
    readonly list: WaitList<V, P>,
    readonly scope: Scope | undefined,
    /** What the waiter brings along (the item of a waiting `put`). */
    readonly payload: P,
    readonly resolve: (value: V) => void,
    readonly reject: (error: unknown) => void,
  ) {}

  /** Scope waiter protocol: what this waits on. */
  describe(): WaitTarget {
    return this.list.owner._waitTarget?.() ?? { kind: 'promise', detail: 'a weft wait' };
  }

  /** Scope waiter protocol: deliver a cancellation. */
  cancel(error: CancelledError): boolean {
    if (this._state === WAITING) {
      this.list._unlink(this);
      this._state = DONE;
      removeWaiter(this.scope!, this);
      this.reject(error);
      this.list.owner._waiterCancelled(this, false);
      return true;
    }
    if (this._state === GRANTED && this._late === undefined) {
      // Settled when the waiter resumes: uncancel() may withdraw it until then.
      this._late = error;
      return true;
    }
    return false;
  }
}

/** Granted waiters, resumed together on one microtask, in the order they were granted. */
let granted: Array<ListWaiter<unknown, unknown>> = [];
let flushScheduled = false;

function flush(): void {
  // Passing a grant on may grant another waiter: it joins this same batch.
  for (let i = 0; i < granted.length; i++) resume(granted[i]!);
  granted = [];
  flushScheduled = false;
}

function resume(waiter: ListWaiter<unknown, unknown>): void {
  waiter._state = DONE;
  const scope = waiter.scope;
  let late = waiter._late;
  if (scope !== undefined) {
    removeWaiter(scope, waiter);
    if (late !== undefined && scope._task._numCancels === 0) {
      // Every request was undone with uncancel() before the waiter resumed:
      // the wait completes normally (asyncio drops `_must_cancel` at 0).
      // Without this the task ended cancelled with `cancelling()` at 0.
      late = undefined;
      // The withdrawn error is no longer in flight: a cancel() made after
      // this must be delivered, not merged into an error never thrown.
      scope._task._inFlight = false;
    }
  }
  const owner = waiter.list.owner;
  if (late !== undefined) {
    waiter.reject(late);
    owner._waiterCancelled(waiter, true);
    return;
  }
  const hook = owner._waiterResumed;
  if (hook === undefined) {
    waiter.resolve(waiter._value);
    return;
  }
  let value: unknown;
  try {
    value = hook.call(owner, waiter, waiter._value);
  } catch (error) {
    waiter.reject(error);
    return;
  }
  waiter.resolve(value);
}

/** A doubly linked FIFO of waiters: O(1) append, serve and removal on cancel. */
export class WaitList<V, P = undefined> {
  /** @internal */ _head: ListWaiter<V, P> | undefined = undefined;
  /** @internal */ _tail: ListWaiter<V, P> | undefined = undefined;
  /** Waiters not yet granted. */
  size = 0;

  constructor(readonly owner: WaitListOwner<V, P>) {}

  /**
   * Wait at the end of the list: a checkpoint. A cancellation pending on
   * the current task rejects at once and nothing is queued.
   */
  wait(payload: P): Promise<V> {
    const scope = currentScope();
    if (scope !== undefined) {
      const pending = takePending(scope);
      if (pending !== undefined) return Promise.reject(pending);
    }
    return new Promise<V>((resolve, reject) => {
      const waiter = new ListWaiter<V, P>(this, scope, payload, resolve, reject);
      const tail = this._tail;
      if (tail === undefined) this._head = waiter;
      else {
        tail._next = waiter;
        waiter._prev = tail;
      }
      this._tail = waiter;
      this.size++;
      if (scope !== undefined) addWaiter(scope, waiter);
    });
  }

  /** The oldest waiter, still in the list. */
  peek(): ListWaiter<V, P> | undefined {
    return this._head;
  }

  /** Serve the oldest waiter with `value`. Returns false when nobody waits. */
  grantFirst(value: V): boolean {
    const waiter = this._head;
    if (waiter === undefined) return false;
    this.grant(waiter, value);
    return true;
  }

  /** Serve `waiter` (which must still be waiting) with `value`. */
  grant(waiter: ListWaiter<V, P>, value: V): void {
    this._unlink(waiter);
    if (waiter.scope === undefined && this.owner._waiterResumed === undefined) {
      // Nothing can take the grant back (no task to cancel) and nothing is
      // to be done when it resumes: resolve it directly, a microtask sooner.
      // (Waiters of an owner with `_waiterResumed` keep their turn in the
      // batch, so that they act in the order they were granted.)
      waiter._state = DONE;
      waiter.resolve(value);
      return;
    }
    waiter._state = GRANTED;
    waiter._value = value;
    granted.push(waiter as ListWaiter<unknown, unknown>);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flush);
    }
  }

  /** Reject `waiter` (which must still be waiting) with `error`. */
  reject(waiter: ListWaiter<V, P>, error: unknown): void {
    this._unlink(waiter);
    waiter._state = DONE;
    if (waiter.scope !== undefined) removeWaiter(waiter.scope, waiter);
    waiter.reject(error);
  }

  /** Reject every waiter with `error` (shutdown, reset, abort), oldest first. */
  rejectAll(error: unknown): void {
    for (let waiter = this._head; waiter !== undefined; waiter = this._head) {
      this.reject(waiter, error);
    }
  }

  /** @internal */
  _unlink(waiter: ListWaiter<V, P>): void {
    const { _prev: prev, _next: next } = waiter;
    if (prev === undefined) this._head = next;
    else prev._next = next;
    if (next === undefined) this._tail = prev;
    else next._prev = prev;
    waiter._prev = waiter._next = undefined;
    this.size--;
  }
}
