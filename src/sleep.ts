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
import { startTimer, stopTimer, type TimerHandle } from './internal/timers.js';
import { checkDuration } from './internal/validate.js';
import type { WaitTarget } from './snapshot-types.js';

/** A sleeping task's wait: a timer (or an immediate, for `sleep(0)`) that cancellation clears. */
class SleepWaiter<T> implements Waiter {
  timer: TimerHandle | undefined = undefined;
  immediate: ReturnType<typeof setImmediate> | undefined = undefined;
  constructor(
    readonly scope: Scope,
    readonly ms: number,
    readonly value: T,
    readonly resolve: (value: T) => void,
    readonly reject: (error: unknown) => void,
  ) {}
  describe(): WaitTarget {
    return { kind: 'sleep', ms: this.ms, until: wakeTime(this.timer, this.ms) };
  }
  cancel(error: CancelledError): boolean {
    if (this.timer === undefined && this.immediate === undefined) return false;
    stopTimer(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
    removeWaiter(this.scope, this);
    this.reject(error);
    return true;
  }
}

/**
 * When a sleep ends, on the `Date.now()` clock. Node's timers keep their
 * start on the event loop's clock, which runs with `performance.now()`.
 */
function wakeTime(timer: TimerHandle | undefined, ms: number): number {
  if (timer?.deadline !== undefined) {
    return Math.round(Date.now() - performance.now() + timer.deadline);
  }
  const started = (timer?.handle as { _idleStart?: unknown } | undefined)?._idleStart;
  // sleep(0) waits for an immediate: it is due now.
  if (typeof started !== 'number') return Math.round(Date.now());
  return Math.round(loopClockOffset() + started + ms);
}

let offsetAt = Number.NEGATIVE_INFINITY;
let offset = 0;

/**
 * `Date.now()` minus the event loop's clock, which timers start from. It is
 * not `performance.now()` (they differ by the process's start-up time), so
 * it is read off a fresh timer; cached for a millisecond, as a snapshot asks
 * once per sleeping task.
 */
function loopClockOffset(): number {
  const now = performance.now();
  if (now - offsetAt < 1) return offset;
  const probe = setTimeout(() => {}, 0) as unknown as { _idleStart?: unknown };
  clearTimeout(probe as unknown as ReturnType<typeof setTimeout>);
  offset = typeof probe._idleStart === 'number' ? Date.now() - probe._idleStart : Date.now() - now;
  offsetAt = now;
  return offset;
}

function wake<T>(waiter: SleepWaiter<T>): void {
  waiter.timer = waiter.immediate = undefined;
  removeWaiter(waiter.scope, waiter);
  waiter.resolve(waiter.value);
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
    if (ms === 0) waiter.immediate = setImmediate(wake, waiter);
    else waiter.timer = startTimer(ms, wake, waiter);
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
