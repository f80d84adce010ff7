/**
 * `Semaphore` and `BoundedSemaphore`: asyncio's counting semaphores,
 * FIFO-fair and cancellation-safe.
 *
 * @module
 */

import { inspect } from 'node:util';
import { runHolding } from './internal/exclusive.js';
import { label, nameFrom, type PrimitiveOptions, unlabelled } from './internal/named.js';
import { checkInteger } from './internal/validate.js';
import { type ListWaiter, WaitList } from './internal/waitlist.js';
import type { WaitTarget } from './snapshot-types.js';
import type { Awaitable } from './tasks.js';

const TRUE: Promise<true> = Promise.resolve(true);

/**
 * A counter of permits (asyncio's `Semaphore`). `acquire()` takes one,
 * waiting while there are none; `release()` hands one to the oldest waiter
 * or puts it back. A later `acquire()` never overtakes a waiter, and a
 * waiter cancelled after it was handed a permit passes it on.
 *
 * @example
 * ```ts
 * import { gather, Semaphore, sleep } from 'weft';
 *
 * const slots = new Semaphore(2);
 * let running = 0;
 * let most = 0;
 * const job = () =>
 *   slots.runExclusive(async () => {
 *     most = Math.max(most, ++running);
 *     await sleep(5);
 *     running--;
 *   });
 * await gather(job(), job(), job(), job());
 * console.log(most); // 2
 * ```
 */
export class Semaphore {
  /** The name given in the options, for reports. */
  readonly name: string | undefined;
  /** @internal */ _value: number;
  /** @internal */ _waiters = new WaitList<true, undefined>(this);

  /**
   * @param value Permits available at the start: an integer >= 0.
   * @param options `name` for reports (`toString()`, `snapshot()`, `weft ps`).
   * @default 1
   */
  constructor(value = 1, options?: PrimitiveOptions) {
    const error = checkInteger('value', value, 0);
    if (error !== undefined) throw error;
    this.name = nameFrom(options);
    this._value = value;
  }

  /** @internal */
  _waitTarget(): WaitTarget {
    return { kind: 'semaphore', name: this.name ?? null, detail: unlabelled(this, this.name) };
  }

  /** True when `acquire()` would wait. */
  locked(): boolean {
    return this._value === 0;
  }

  /** Permits available now. */
  get value(): number {
    return this._value;
  }

  /**
   * Take a permit, waiting for one if none is free. Resolves `true`. A
   * checkpoint when it waits: a cancelled wait rejects with
   * `CancelledError` and never keeps a permit.
   */
  acquire(): Promise<true> {
    // Permits are handed straight to waiters, so a free permit means nobody waits.
    if (this._value > 0) {
      this._value--;
      return TRUE;
    }
    return this._waiters.wait(undefined);
  }

  /** Give a permit back: to the oldest waiter, or to the pool. */
  release(): void {
    this._release();
  }

  /**
   * Run `fn` holding a permit, and release it however `fn` ends.
   *
   * @example
   * ```ts
   * import { Semaphore } from 'weft';
   *
   * const semaphore = new Semaphore(3);
   * console.log(await semaphore.runExclusive(() => semaphore.value)); // 2
   * ```
   */
  runExclusive<T>(fn: () => Awaitable<T>): Promise<T> {
    return runHolding(this, fn);
  }

  /** `Semaphore<value=0 waiters=4>` */
  toString(): string {
    const waiters = this._waiters.size > 0 ? ` waiters=${this._waiters.size}` : '';
    return `${this.constructor.name}<${label(this.name)}value=${this._value}${waiters}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal */
  _release(): void {
    if (!this._waiters.grantFirst(true)) this._value++;
  }

  /** @internal A waiter handed a permit was cancelled before it resumed: pass it on. */
  _waiterCancelled(_waiter: ListWaiter<true, undefined>, granted: boolean): void {
    if (granted) this._release();
  }
}

/**
 * A {@link Semaphore} that refuses to grow: releasing more permits than it
 * started with throws `RangeError` (asyncio raises `ValueError`), which
 * catches a double `release()`.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from 'weft';
 *
 * const semaphore = new BoundedSemaphore(1);
 * await semaphore.acquire();
 * semaphore.release();
 * try {
 *   semaphore.release();
 * } catch (err) {
 *   console.log((err as Error).name); // RangeError
 * }
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** @internal */ readonly _bound: number;

  /**
   * @param value Permits available at the start, and the most it may hold.
   * @default 1
   */
  constructor(value = 1, options?: PrimitiveOptions) {
    super(value, options);
    this._bound = value;
  }

  /** Give a permit back. Throws `RangeError` if that would exceed the initial value. */
  override release(): void {
    if (this._value >= this._bound) {
      throw new RangeError(
        `${this}: release() would raise the value above its initial ${this._bound} (released too many times)`,
      );
    }
    this._release();
  }
}
