/**
 * Timeouts: asyncio's `timeout()` / `timeout_at()` as scopes around a function.
 *
 * Expiry cancels only the timeout's own scope: the body gets one
 * `CancelledError` at its checkpoint, the scope's `signal` aborts with a
 * `TimeoutError`, and the scope turns its own cancellation into
 * `TimeoutError` on the way out. A cancellation from outside stays
 * `CancelledError` (told apart with the task's `cancelling()` count).
 *
 * @module
 */

import { inspect } from 'node:util';
import {
  abortCause,
  CancelledError,
  cancellation,
  InvalidStateError,
  TimeoutError,
} from './exceptions.js';
import {
  closeScope,
  currentScope,
  openScope,
  requestCancel,
  Scope,
  type ScopeOwner,
  storage,
} from './internal/scope.js';
import { callSoon, cancelSoon } from './internal/soon.js';
import { startTimerAt, stopTimer, type TimerHandle } from './internal/timers.js';
import {
  checkDeadline,
  checkFunction,
  checkOptionalLimit,
  firstError,
} from './internal/validate.js';
import { type Awaitable, inImplicitTask } from './tasks.js';

const State = { Created: 0, Entered: 1, Expiring: 2, Expired: 3, Exited: 4 } as const;
type State = (typeof State)[keyof typeof State];
const STATE_NAMES = ['created', 'active', 'expiring', 'expired', 'finished'] as const;

/**
 * The scope of one `timeout()` / `timeoutAt()` call, passed to its function.
 * Deadlines are on the `performance.now()` clock.
 *
 * @example
 * ```ts
 * import { sleep, timeout } from 'weft';
 *
 * await timeout(100, async (scope) => {
 *   await sleep(50);
 *   scope.reschedule(performance.now() + 500); // more time for the slow part
 *   await sleep(200);
 *   console.log(scope.expired()); // false
 * });
 * ```
 */
export class Timeout extends Scope {
  /** @internal */ readonly _task: ScopeOwner & Scope;
  /** @internal */ readonly _parent: Scope;
  /** @internal */ _when: number | null;
  /** @internal The duration given to `timeout()`, reported in its `TimeoutError`. */
  _ms: number | undefined = undefined;
  /** @internal */ _state: State = State.Created;
  /** @internal */ _timer: TimerHandle | undefined = undefined;
  /** @internal Queued in the ready queue to expire (a deadline already past). */
  _soonQueued = false;
  /** @internal */ _cancellingAtEnter = 0;
  /** @internal The TimeoutError the signal aborted with, once expired. */
  _reason: TimeoutError | undefined = undefined;

  private constructor(parent: Scope, when: number | null) {
    super();
    this._task = parent._task;
    this._parent = parent;
    this._when = when;
  }

  /** @internal */
  static _open(parent: Scope, when: number | null, left?: number): Timeout {
    const scope = new Timeout(parent, when);
    scope._state = State.Entered;
    scope._cancellingAtEnter = scope._task._numCancels;
    openScope(scope);
    scope._arm(left);
    return scope;
  }

  /** The deadline (`performance.now()` clock), or `null` for none. */
  when(): number | null {
    return this._when;
  }

  /**
   * Move the deadline (`null`: no deadline). Throws `InvalidStateError`
   * once the timeout has expired or its function has returned.
   */
  reschedule(when: number | null): void {
    const error = checkDeadline('when', when);
    if (error !== undefined) throw error;
    if (this._state !== State.Entered) {
      throw new InvalidStateError(
        `Cannot reschedule a timeout that is ${STATE_NAMES[this._state]}`,
        {
          state: STATE_NAMES[this._state],
        },
      );
    }
    this._when = when;
    this._ms = undefined; // the duration given to timeout() no longer applies
    this._disarm();
    this._arm();
  }

  /** True once the deadline has passed and the timeout cancelled its work. */
  expired(): boolean {
    return this._state === State.Expiring || this._state === State.Expired;
  }

  /** `Timeout<active when=123.4>` */
  override toString(): string {
    const when = this._when === null ? 'none' : this._when.toFixed(1);
    return `Timeout<${STATE_NAMES[this._state]} when=${when}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal */
  /**
   * @internal `left`: the time to the deadline when the caller has just
   * computed the deadline from it (`timeout(ms)`), which saves reading the
   * clock again (a third of a short `timeout()`'s own time went to clock
   * reads).
   */
  _arm(left?: number): void {
    const when = this._when;
    if (when === null) return;
    const rest = left ?? when - performance.now();
    // A deadline already passed expires "soon", as asyncio's call_soon: the
    // body still starts, and is cancelled at its first checkpoint.
    if (rest <= 0) callSoon(this);
    else this._timer = startTimerAt(when, expire, this, rest);
  }

  /** @internal */
  _disarm(): void {
    stopTimer(this._timer);
    this._timer = undefined;
    cancelSoon(this);
  }

  /** @internal The ready queue's call: a deadline already past expires. */
  _runSoon(): void {
    expire(this);
  }

  /** @internal Leave the scope; returns the error to throw instead of `error`, if any. */
  _close(threw: boolean, error: unknown): unknown {
    this._disarm();
    closeScope(this);
    if (this._state === State.Expiring) {
      this._state = State.Expired;
      const remaining = this._task._numCancels > 0 ? --this._task._numCancels : 0;
      if (threw && remaining <= this._cancellingAtEnter) {
        if (error instanceof CancelledError) return this._timeoutError(error);
        // Work stopped through our signal by a Node API that wraps the reason.
        if (abortCause(error) === this._reason) return this._reason;
      }
    } else {
      this._state = State.Exited;
    }
    return error;
  }

  /** @internal */
  _timeoutError(cause?: unknown): TimeoutError {
    const deadline = this._when ?? undefined;
    const ms = this._ms;
    const message =
      ms === undefined ? 'The operation timed out' : `The operation timed out after ${ms} ms`;
    return new TimeoutError(message, { cause, deadline, ms });
  }
}

function expire(scope: Timeout): void {
  scope._timer = undefined;
  if (scope._state !== State.Entered) return;
  scope._state = State.Expiring;
  const reason = (scope._reason = scope._timeoutError());
  // The body gets a CancelledError (turned into TimeoutError on the way
  // out); the signal aborts with the TimeoutError itself, so fetch() and
  // friends reject with it.
  const cancel = cancellation(
    'Timeout expired',
    { cause: reason, reason },
    (scope._task as { _creationStack?: string })._creationStack !== undefined,
  );
  requestCancel(scope, cancel, scope, reason);
}

async function runIn<T>(scope: Timeout, fn: (scope: Timeout) => Awaitable<T>): Promise<T> {
  // The await happens inside the scope, so awaiting a task here links it to this scope.
  return await fn(scope);
}

async function within<T>(
  parent: Scope,
  deadline: number | null,
  fn: (scope: Timeout) => Awaitable<T>,
  ms: number | undefined,
): Promise<T> {
  const scope = Timeout._open(parent, deadline, ms);
  scope._ms = ms;
  let value: T;
  try {
    value = await storage.run(scope, runIn<T>, scope, fn);
  } catch (error) {
    throw scope._close(true, error);
  }
  scope._close(false, undefined);
  return value;
}

/**
 * Run `fn` with a deadline `ms` milliseconds from now (`null`: none, until
 * rescheduled). On expiry the work is cancelled at its checkpoint, the
 * scope's `signal` aborts, and once the work has settled the call rejects
 * with `TimeoutError`. As in asyncio, `ms <= 0` is already expired: `fn`
 * starts, and is cancelled at its first checkpoint (so a computed deadline
 * that went negative needs no special case). Rejects with `RangeError` for
 * `NaN`, `TypeError` for a non-number.
 *
 * @example
 * ```ts
 * import { sleep, timeout, TimeoutError } from 'weft';
 *
 * try {
 *   await timeout(50, async () => {
 *     await sleep(1_000);
 *   });
 * } catch (err) {
 *   console.log(err instanceof TimeoutError); // true
 * }
 * ```
 */
export function timeout<T>(ms: number | null, fn: (scope: Timeout) => Awaitable<T>): Promise<T> {
  const error = firstError(checkOptionalLimit('ms', ms), checkFunction('fn', fn));
  if (error !== undefined) return Promise.reject(error);
  const deadline = ms === null ? null : performance.now() + ms;
  const parent = currentScope();
  if (parent === undefined) return inImplicitTask(() => timeout(ms, fn), 'timeout');
  return within(parent, deadline, fn, ms ?? undefined);
}

/**
 * Like {@link timeout} with an absolute deadline on the `performance.now()`
 * clock (`null`: none). A deadline in the past expires at the first
 * checkpoint.
 *
 * @example
 * ```ts
 * import { sleep, timeoutAt } from 'weft';
 *
 * const deadline = performance.now() + 200;
 * await timeoutAt(deadline, () => sleep(10)); // both steps share one deadline
 * await timeoutAt(deadline, () => sleep(10));
 * ```
 */
export function timeoutAt<T>(
  deadline: number | null,
  fn: (scope: Timeout) => Awaitable<T>,
): Promise<T> {
  const error = firstError(checkDeadline('deadline', deadline), checkFunction('fn', fn));
  if (error !== undefined) return Promise.reject(error);
  const parent = currentScope();
  if (parent === undefined) {
    return inImplicitTask(() => timeoutAt(deadline, fn), 'timeout');
  }
  return within(parent, deadline, fn, undefined);
}
