/**
 * `sleep` and `checkpoint`: the simplest checkpoints.
 *
 * @module
 */

import type { CancelledError } from './exceptions.js';
import {
  addWaiter,
  currentScope,
  removeWaiter,
  type Scope,
  takePending,
  type Waiter,
} from './internal/scope.js';
import { armTimer, startTimer, stopTimer, TimerEntry } from './internal/timers.js';
import { checkDuration } from './internal/validate.js';
import type { WaitTarget } from './snapshot-types.js';

/**
 * A sleeping task's wait: its own timer entry (one object per sleeping
 * task), or an immediate for `sleep(0)`; cancellation stops either.
 */
class SleepWaiter<T> extends TimerEntry implements Waiter {
  immediate: ReturnType<typeof setImmediate> | undefined = undefined;
  constructor(
    readonly scope: Scope,
    readonly ms: number,
    readonly value: T,
    readonly resolve: (value: T) => void,
    readonly reject: (error: unknown) => void,
  ) {
    super();
  }
  describe(): WaitTarget {
    // sleep(0) waits for an immediate: it is due now.
    const until =
      this._list === undefined ? Date.now() : Date.now() - performance.now() + this._due;
    return { kind: 'sleep', ms: this.ms, until: Math.round(until) };
  }
  _fire(): void {
    removeWaiter(this.scope, this);
    this.resolve(this.value);
  }
  cancel(error: CancelledError): boolean {
    if (this._list === undefined && this.immediate === undefined) return false;
    stopTimer(this);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    removeWaiter(this.scope, this);
    this.reject(error);
    return true;
  }
}

function wakeNow<T>(waiter: SleepWaiter<T>): void {
  waiter.immediate = undefined;
  waiter._fire();
}

function suspend<T>(ms: number, value: T): Promise<T> {
  const scope = currentScope();
  if (scope === undefined) {
    return new Promise<T>((resolve) => {
      if (ms === 0) setImmediate(resolve, value);
      else startTimer(ms, resolve, value);
    });
  }
  const pending = takePending(scope);
  if (pending !== undefined) return Promise.reject(pending);
  return new Promise<T>((resolve, reject) => {
    const waiter = new SleepWaiter(scope, ms, value, resolve, reject);
    if (ms === 0) waiter.immediate = setImmediate(wakeNow, waiter);
    else armTimer(waiter, ms);
    addWaiter(scope, waiter);
  });
}

/**
 * Resolve with `value` after `ms` milliseconds. A checkpoint: cancelling
 * the task rejects it with `CancelledError` at once and clears the timer.
 * `sleep(0)` yields to the event loop like {@link checkpoint}. Rejects with
 * `RangeError` for a negative or NaN `ms`, `TypeError` for a non-number.
 *
 * @example
 * ```ts
 * import { sleep } from 'weft';
 *
 * const value = await sleep(50, 'rested');
 * console.log(value); // rested
 * ```
 */
export function sleep<T = void>(ms: number, value?: T): Promise<T> {
  const error = checkDuration('ms', ms);
  if (error !== undefined) return Promise.reject(error);
  return suspend(ms, value as T);
}

/**
 * Yield to the event loop once (asyncio's `sleep(0)`): timers, I/O and
 * other tasks run, and a pending cancellation is delivered. Put it in long
 * CPU loops so that they can be cancelled and timed out.
 *
 * @example
 * ```ts
 * import { checkpoint, timeout } from 'weft';
 *
 * await timeout(100, async () => {
 *   for (let i = 0; i < 1e9; i++) {
 *     if (i % 10_000 === 0) await checkpoint(); // lets the timeout interrupt
 *   }
 * }).catch((err) => console.log(err.name)); // TimeoutError
 * ```
 */
export function checkpoint(): Promise<void> {
  return suspend(0, undefined);
}
