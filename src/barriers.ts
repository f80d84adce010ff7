/**
 * `Barrier`: asyncio's barrier, where `parties` tasks wait for each other.
 *
 * @module
 */

import { inspect } from 'node:util';
import { BrokenBarrierError } from './exceptions.js';
import { label, nameFrom, type PrimitiveOptions, unlabelled } from './internal/named.js';
import { checkInteger } from './internal/validate.js';
import { type ListWaiter, WaitList } from './internal/waitlist.js';
import type { WaitTarget } from './snapshot-types.js';

const State = { Filling: 0, Broken: 1 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * A meeting point for `parties` tasks: each `wait()` blocks until the last
 * party arrives, then all of them go on together and the barrier is ready
 * for the next round. `wait()` resolves with the arrival index (0 for the
 * first, `parties - 1` for the one that released the others).
 *
 * A waiter cancelled before the barrier trips breaks it, like a failed party
 * in `threading.Barrier`: the others reject with `BrokenBarrierError` at
 * once instead of waiting for a party that will not come; so do later
 * `wait()`s, until `reset()`.
 *
 * @example
 * ```ts
 * import { Barrier, gather } from 'weft';
 *
 * const barrier = new Barrier(3);
 * const order: string[] = [];
 * const party = async (name: string) => {
 *   order.push(`${name} arrived`);
 *   await barrier.wait();
 *   order.push(`${name} passed`);
 * };
 * await gather(party('a'), party('b'), party('c'));
 * console.log(order.slice(0, 3)); // [ 'a arrived', 'b arrived', 'c arrived' ]
 * ```
 */
export class Barrier {
  /** @internal */ readonly _parties: number;
  /** @internal */ _state: State = State.Filling;
  /** @internal */ _waiters = new WaitList<number, number>(this);

  /** The name given in the options, for reports. */
  readonly name: string | undefined;

  /**
   * @param parties How many tasks must call `wait()`: an integer >= 1.
   * @param options `name` for reports (`toString()`, `snapshot()`, `weft ps`).
   */
  constructor(parties: number, options?: PrimitiveOptions) {
    const error = checkInteger('parties', parties, 1);
    if (error !== undefined) throw error;
    this.name = nameFrom(options);
    this._parties = parties;
  }

  /** @internal */
  _waitTarget(): WaitTarget {
    return { kind: 'barrier', name: this.name ?? null, detail: unlabelled(this, this.name) };
  }

  /** How many tasks must arrive to trip the barrier. */
  get parties(): number {
    return this._parties;
  }

  /** How many tasks are waiting in the current round. */
  get nWaiting(): number {
    return this._state === State.Filling ? this._waiters.size : 0;
  }

  /** True after `abort()` or a cancelled waiter, until `reset()`. */
  get broken(): boolean {
    return this._state === State.Broken;
  }

  /**
   * Arrive and wait for the others; resolves with this task's arrival index.
   * Rejects with `BrokenBarrierError` if the barrier is or becomes broken,
   * or is reset while waiting. The last arrival does not wait.
   */
  wait(): Promise<number> {
    if (this._state === State.Broken) {
      return Promise.reject(new BrokenBarrierError(`${this}: the barrier is broken`));
    }
    const index = this._waiters.size;
    if (index + 1 < this._parties) return this._waiters.wait(index);
    // The last party: everyone goes, and the next round starts empty.
    for (let w = this._waiters.peek(); w !== undefined; w = this._waiters.peek()) {
      this._waiters.grant(w, w.payload);
    }
    return Promise.resolve(index);
  }

  /**
   * Start over: tasks waiting now reject with `BrokenBarrierError`, a broken
   * barrier becomes usable again.
   */
  reset(): void {
    this._state = State.Filling;
    this._waiters.rejectAll(new BrokenBarrierError(`${this}: the barrier was reset`));
  }

  /** Break the barrier: waiting and future `wait()` calls reject with `BrokenBarrierError`. */
  abort(): void {
    this._state = State.Broken;
    this._waiters.rejectAll(new BrokenBarrierError(`${this}: the barrier was aborted`));
  }

  /** `Barrier<filling waiting=2/3>` */
  toString(): string {
    return this._state === State.Broken
      ? `Barrier<${label(this.name)}broken parties=${this._parties}>`
      : `Barrier<${label(this.name)}filling waiting=${this._waiters.size}/${this._parties}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal A party left before the barrier tripped: the round can never complete. */
  _waiterCancelled(_waiter: ListWaiter<number, number>, granted: boolean): void {
    if (granted) return;
    this._state = State.Broken;
    this._waiters.rejectAll(new BrokenBarrierError(`${this}: a waiting party was cancelled`));
  }
}
