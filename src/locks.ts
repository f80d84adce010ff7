/**
 * `Lock`, `Event` and `Condition`: asyncio's primitives, FIFO-fair and
 * cancellation-safe.
 *
 * Every wait is a checkpoint; a call that does not have to wait (a free
 * lock, a set event) completes without delivering a pending cancellation,
 * as in asyncio.
 *
 * @module
 */

import { inspect } from 'node:util';
import { CancelledError, InvalidStateError } from './exceptions.js';
import { runHolding } from './internal/exclusive.js';
import { label, nameFrom, type PrimitiveOptions, unlabelled } from './internal/named.js';
import { checkFunction, checkInteger, show } from './internal/validate.js';
import { type ListWaiter, WaitList } from './internal/waitlist.js';
import type { WaitTarget } from './snapshot-types.js';
import type { Awaitable } from './tasks.js';

const TRUE: Promise<true> = Promise.resolve(true);

/**
 * A mutual-exclusion lock (asyncio's `Lock`). Not owned by a task: any code
 * may release it. Waiters get the lock in the order they asked for it; a
 * `release()` hands it straight to the oldest, so a later `acquire()` cannot
 * overtake. A waiter cancelled after the hand-over but before it resumed
 * passes the lock on.
 *
 * @example
 * ```ts
 * import { gather, Lock, sleep } from 'weft';
 *
 * const lock = new Lock();
 * let balance = 100;
 * const withdraw = (amount: number) =>
 *   lock.runExclusive(async () => {
 *     const seen = balance;
 *     await sleep(5); // without the lock, both would read 100
 *     balance = seen - amount;
 *   });
 * await gather(withdraw(30), withdraw(50));
 * console.log(balance); // 20
 * ```
 */
export class Lock {
  /** The name given in the options, for reports. */
  readonly name: string | undefined;
  /** @internal */ _locked = false;
  /** @internal */ _waiters = new WaitList<true, undefined>(this);

  /** @param options `name` for reports (`toString()`, `snapshot()`, `weft ps`). */
  constructor(options?: PrimitiveOptions) {
    this.name = nameFrom(options);
  }

  /** @internal */
  _waitTarget(): WaitTarget {
    return { kind: 'lock', name: this.name ?? null, detail: unlabelled(this, this.name) };
  }

  /** True while some code holds the lock. */
  locked(): boolean {
    return this._locked;
  }

  /**
   * Take the lock, waiting for it if it is held. Resolves `true`. A
   * checkpoint when it waits: a cancelled wait rejects with
   * `CancelledError` and leaves the queue.
   */
  acquire(): Promise<true> {
    if (!this._locked) {
      this._locked = true;
      return TRUE;
    }
    return this._waiters.wait(undefined);
  }

  /**
   * Release the lock: the oldest waiter gets it, or it becomes free.
   * Throws `InvalidStateError` when the lock is not held.
   */
  release(): void {
    if (!this._locked) {
      throw new InvalidStateError(`${this}: release() of a lock that is not acquired`, {
        state: 'unlocked',
      });
    }
    // Hand-over keeps `_locked` true: nobody can slip in between.
    if (!this._waiters.grantFirst(true)) this._locked = false;
  }

  /**
   * Run `fn` holding the lock, and release it however `fn` ends.
   *
   * @example
   * ```ts
   * import { Lock } from 'weft';
   *
   * const lock = new Lock();
   * const value = await lock.runExclusive(() => 42);
   * console.log(value, lock.locked()); // 42 false
   * ```
   */
  runExclusive<T>(fn: () => Awaitable<T>): Promise<T> {
    return runHolding(this, fn);
  }

  /** `Lock<locked waiters=2>` */
  toString(): string {
    const waiters = this._waiters.size > 0 ? ` waiters=${this._waiters.size}` : '';
    return `Lock<${label(this.name)}${this._locked ? 'locked' : 'unlocked'}${waiters}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal A waiter handed the lock was cancelled before it resumed: pass it on. */
  _waiterCancelled(_waiter: ListWaiter<true, undefined>, granted: boolean): void {
    if (granted) this.release();
  }
}

/**
 * A flag that tasks can wait for (asyncio's `Event`). `set()` wakes every
 * waiter; `wait()` on a set event resolves at once.
 *
 * @example
 * ```ts
 * import { createTask, Event } from 'weft';
 *
 * const ready = new Event();
 * const waiter = createTask(async () => {
 *   await ready.wait();
 *   return 'go';
 * });
 * ready.set();
 * console.log(await waiter); // go
 * ```
 */
export class Event {
  /** The name given in the options, for reports. */
  readonly name: string | undefined;
  /** @internal */ _value = false;
  /** @internal */ _waiters = new WaitList<true, undefined>(this);

  /** @param options `name` for reports (`toString()`, `snapshot()`, `weft ps`). */
  constructor(options?: PrimitiveOptions) {
    this.name = nameFrom(options);
  }

  /** @internal */
  _waitTarget(): WaitTarget {
    return { kind: 'event', name: this.name ?? null, detail: unlabelled(this, this.name) };
  }

  /** True once `set()` was called (and `clear()` was not, since). */
  isSet(): boolean {
    return this._value;
  }

  /** Set the flag and wake every waiter. */
  set(): void {
    if (this._value) return;
    this._value = true;
    while (this._waiters.grantFirst(true)) {}
  }

  /** Reset the flag: later `wait()` calls wait again. */
  clear(): void {
    this._value = false;
  }

  /** Resolve `true` once the flag is set: at once if it is. A checkpoint when it waits. */
  wait(): Promise<true> {
    return this._value ? TRUE : this._waiters.wait(undefined);
  }

  /** `Event<unset waiters=3>` */
  toString(): string {
    const waiters = this._waiters.size > 0 ? ` waiters=${this._waiters.size}` : '';
    return `Event<${label(this.name)}${this._value ? 'set' : 'unset'}${waiters}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Nothing to pass on: every waiter was woken anyway. */
  _waiterCancelled(): void {}
}

/**
 * A condition variable (asyncio's `Condition`): tasks holding its lock
 * `wait()` until another task `notify()`s them. `wait()` releases the lock
 * while it waits and takes it back before it returns, even when cancelled;
 * a notified waiter that is cancelled passes the notification on.
 *
 * @example
 * ```ts
 * import { Condition, createTask } from 'weft';
 *
 * const cond = new Condition();
 * const items: string[] = [];
 * const consumer = createTask(() =>
 *   cond.runExclusive(async () => {
 *     await cond.waitFor(() => items.length > 0);
 *     return items.shift();
 *   }),
 * );
 * await cond.runExclusive(() => {
 *   items.push('job');
 *   cond.notify();
 * });
 * console.log(await consumer); // job
 * ```
 */
export class Condition {
  /** The name given in the options, for reports. */
  readonly name: string | undefined;
  /** @internal */ _lock: Lock;
  /** @internal */ _waiters = new WaitList<true, undefined>(this);

  /**
   * Use `lock` (shared with other conditions), or a new `Lock`.
   * @param options `name` for reports (`toString()`, `snapshot()`, `weft ps`).
   */
  constructor(lock?: Lock, options?: PrimitiveOptions) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(`Expected \`lock\` to be a weft Lock, got ${show(lock)}`);
    }
    this.name = nameFrom(options);
    this._lock = lock ?? new Lock();
  }

  /** @internal */
  _waitTarget(): WaitTarget {
    return { kind: 'condition', name: this.name ?? null, detail: unlabelled(this, this.name) };
  }

  /** Whether the underlying lock is held. */
  locked(): boolean {
    return this._lock.locked();
  }

  /** Take the underlying lock (see {@link Lock.acquire}). */
  acquire(): Promise<true> {
    return this._lock.acquire();
  }

  /** Release the underlying lock (see {@link Lock.release}). */
  release(): void {
    this._lock.release();
  }

  /** Run `fn` holding the underlying lock (see {@link Lock.runExclusive}). */
  runExclusive<T>(fn: () => Awaitable<T>): Promise<T> {
    return this._lock.runExclusive(fn);
  }

  /**
   * Release the lock, wait to be notified, take the lock back, resolve
   * `true`. Rejects with `InvalidStateError` unless the lock is held. If
   * cancelled, it still re-acquires the lock before it rejects, so the
   * caller's `finally { release() }` stays correct.
   */
  async wait(): Promise<true> {
    if (!this._lock._locked) {
      throw new InvalidStateError(`${this}: wait() needs the lock to be held`, {
        state: 'unlocked',
      });
    }
    this._lock.release();
    let failure: { error: unknown } | undefined;
    let notified = false;
    try {
      await this._waiters.wait(undefined);
      notified = true;
    } catch (error) {
      failure = { error };
    }
    // Take the lock back whatever happened; a cancellation meanwhile is
    // remembered (the last one wins) and thrown once the lock is ours.
    for (;;) {
      try {
        await this._lock.acquire();
        break;
      } catch (error) {
        if (!(error instanceof CancelledError)) throw error;
        failure = { error };
      }
    }
    if (failure !== undefined) {
      // Notified, but the caller will only see the error: wake someone else.
      if (notified) this._notify(1);
      throw failure.error;
    }
    return true;
  }

  /**
   * Wait until `predicate()` is truthy, checking it first and after each
   * notification; resolves with its value. Same lock rules as `wait()`.
   */
  async waitFor<T>(predicate: () => T): Promise<T> {
    const error = checkFunction('predicate', predicate);
    if (error !== undefined) throw error;
    let result = predicate();
    while (!result) {
      await this.wait();
      result = predicate();
    }
    return result;
  }

  /**
   * Wake up to `n` waiters (oldest first). Needs the lock to be held
   * (`InvalidStateError`); `n` must be an integer >= 0.
   */
  notify(n = 1): void {
    const error = checkInteger('n', n, 0);
    if (error !== undefined) throw error;
    if (!this._lock._locked) {
      throw new InvalidStateError(`${this}: notify() needs the lock to be held`, {
        state: 'unlocked',
      });
    }
    this._notify(n);
  }

  /** Wake every waiter. Needs the lock to be held. */
  notifyAll(): void {
    this.notify(this._waiters.size);
  }

  /** `Condition<locked waiters=1>` */
  toString(): string {
    const waiters = this._waiters.size > 0 ? ` waiters=${this._waiters.size}` : '';
    return `Condition<${label(this.name)}${this._lock._locked ? 'locked' : 'unlocked'}${waiters}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal */
  _notify(n: number): void {
    for (let i = 0; i < n && this._waiters.grantFirst(true); i++) {}
  }

  /** @internal A notified waiter was cancelled before it resumed: notify the next one. */
  _waiterCancelled(_waiter: ListWaiter<true, undefined>, granted: boolean): void {
    if (granted) this._notify(1);
  }
}
