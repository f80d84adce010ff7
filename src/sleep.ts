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
import { callSoon, cancelSoon, type SoonEntry } from './internal/soon.js';
import { armTimer, startTimer, stopTimer, TimerEntry, timerDuration } from './internal/timers.js';
import { checkDuration } from './internal/validate.js';
import type { WaitTarget } from './snapshot-types.js';

/**
 * A sleeping task's wait: its own timer entry (one object per sleeping
 * task, kept small: 100k sleeping tasks hold 100k of them).
 */
class SleepWaiter<T> extends TimerEntry implements Waiter {
  constructor(
    readonly scope: Scope,
    readonly value: T,
    readonly resolve: (value: T) => void,
    readonly reject: (error: unknown) => void,
  ) {
    super();
  }
  describe(): WaitTarget {
    const until = Date.now() - performance.now() + this._due;
    return { kind: 'sleep', ms: timerDuration(this), until: Math.round(until) };
  }
  _fire(): void {
    removeWaiter(this.scope, this);
    this.resolve(this.value);
  }
  cancel(error: CancelledError): boolean {
    if (this._list === undefined) return false;
    stopTimer(this);
    removeWaiter(this.scope, this);
    this.reject(error);
    return true;
  }
}

/**
 * `sleep(0)` and `checkpoint()`: wait for the next turn of the event loop in
 * the ready queue, not for a timer, so that every task woken in one turn
 * resumes before what those tasks then trigger (asyncio's order).
 */
class YieldWaiter<T> extends SleepWaiter<T> implements SoonEntry {
  _soonQueued = false;
  override describe(): WaitTarget {
    return { kind: 'sleep', ms: 0, until: Date.now() };
  }
  _runSoon(): void {
    this._fire();
  }
  override cancel(error: CancelledError): boolean {
    if (!cancelSoon(this)) return false;
    removeWaiter(this.scope, this);
    this.reject(error);
    return true;
  }
}

function suspend<T>(ms: number, value: T): Promise<T> {
  const scope = currentScope();
  if (scope === undefined) {
    return new Promise<T>((resolve) => {
      if (ms === 0) callSoon({ _soonQueued: false, _runSoon: () => resolve(value) });
      else startTimer(ms, resolve, value);
    });
  }
  const pending = takePending(scope);
  if (pending !== undefined) return Promise.reject(pending);
  return new Promise<T>((resolve, reject) => {
    let waiter: SleepWaiter<T>;
    if (ms === 0) {
      waiter = new YieldWaiter(scope, value, resolve, reject);
      callSoon(waiter as YieldWaiter<T>);
    } else {
      waiter = new SleepWaiter(scope, value, resolve, reject);
      armTimer(waiter, ms);
    }
    addWaiter(scope, waiter);
  });
}

/**
 * Resolve with `value` after `ms` milliseconds. A checkpoint: cancelling
 * the task rejects it with `CancelledError` at once and clears the timer.
 * `sleep(0)` yields to the event loop like {@link checkpoint}. Sleeps of the
 * same duration that fall due within a millisecond of each other wake in
 * the same turn (as asyncio's), so one may end up to 1 ms early, as Node's
 * own timers can. Rejects with `RangeError` for a negative or NaN `ms`,
 * `TypeError` for a non-number.
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
