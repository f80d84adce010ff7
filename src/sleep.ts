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

/** `sleep(0)`: waits for an immediate (one turn of the event loop) instead of a timer. */
class YieldWaiter<T> extends SleepWaiter<T> {
  immediate: ReturnType<typeof setImmediate> | undefined = undefined;
  override describe(): WaitTarget {
    return { kind: 'sleep', ms: 0, until: Date.now() };
  }
  override cancel(error: CancelledError): boolean {
    if (this.immediate === undefined) return false;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    removeWaiter(this.scope, this);
    this.reject(error);
    return true;
  }
}

function wakeNow<T>(waiter: YieldWaiter<T>): void {
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
    let waiter: SleepWaiter<T>;
    if (ms === 0) {
      const yielding = new YieldWaiter(scope, value, resolve, reject);
      yielding.immediate = setImmediate(wakeNow, yielding);
      waiter = yielding;
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
