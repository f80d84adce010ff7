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

const State = { Filling: 0, Draining: 1, Resetting: 2, Broken: 3 } as const;
type State = (typeof State)[keyof typeof State];
const STATE_NAMES = ['filling', 'draining', 'resetting', 'broken'] as const;

/**
 * A meeting point for `parties` tasks: each `wait()` blocks until the last
 * party arrives, then all of them go on together and the barrier is ready
 * for the next round. `wait()` resolves with the arrival index (0 for the
 * first, `parties - 1` for the one that released the others).
 *
 * As asyncio's: a waiter cancelled before the barrier trips leaves it
 * without breaking it (the round goes on one party short, and later
 * arrivals fill it). Once the barrier has tripped, the round *drains*: its
 * parties leave with their index (even if `reset()` or `abort()` is called
 * meanwhile), and parties arriving for the next round wait until the last
 * one has left, so rounds never mix.
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
  /**
   * @internal While filling: the parties of the round, in arrival order.
   * While draining or resetting: the parties arrived for the next round.
   */
  _waiters = new WaitList<number, undefined>(this);
  /** @internal Parties of a tripped round that have not resumed yet. */
  _leaving = 0;

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

  /** How many tasks are waiting in the current round (0 while it drains). */
  get nWaiting(): number {
    return this._state === State.Filling ? this._waiters.size : 0;
  }

  /** True after `abort()`, until `reset()`. */
  get broken(): boolean {
    return this._state === State.Broken;
  }

  /**
   * Arrive and wait for the others; resolves with this task's arrival index.
   * Rejects with `BrokenBarrierError` if the barrier is or becomes broken,
   * or is reset while waiting. While the previous round drains, it first
   * waits for that. The last arrival does not wait.
   */
  wait(): Promise<number> {
    const state = this._state;
    if (state === State.Broken) {
      return Promise.reject(new BrokenBarrierError(`${this}: the barrier is broken`));
    }
    // Draining or resetting: wait for the next round (a party of this one
    // that loops back must not join the round it is leaving).
    if (state !== State.Filling) return this._waiters.wait(undefined);
    const index = this._waiters.size;
    if (index + 1 < this._parties) return this._waiters.wait(undefined);
    // The last party: everyone goes, and the round drains.
    this._trip(index);
    return Promise.resolve(index);
  }

  /**
   * Start over: tasks waiting now reject with `BrokenBarrierError`, a broken
   * barrier becomes usable again. While a round drains, its parties still
   * leave with their index, and the new round starts once they have.
   */
  reset(): void {
    if (this._leaving > 0) {
      // Arrivals wait for the drain as before; the round they start is new.
      this._state = State.Resetting;
      return;
    }
    this._state = State.Filling;
    this._waiters.rejectAll(new BrokenBarrierError(`${this}: the barrier was reset`));
  }

  /**
   * Break the barrier: waiting and future `wait()` calls reject with
   * `BrokenBarrierError` (a draining round's parties still leave with their
   * index).
   */
  abort(): void {
    this._state = State.Broken;
    this._waiters.rejectAll(new BrokenBarrierError(`${this}: the barrier was aborted`));
  }

  /** `Barrier<filling waiting=2/3>` */
  toString(): string {
    const state = this._state;
    if (state === State.Filling) {
      return `Barrier<${label(this.name)}filling waiting=${this._waiters.size}/${this._parties}>`;
    }
    if (state === State.Broken)
      return `Barrier<${label(this.name)}broken parties=${this._parties}>`;
    const next = this._waiters.size > 0 ? ` next=${this._waiters.size}` : '';
    return `Barrier<${label(this.name)}${STATE_NAMES[state]} leaving=${this._leaving}/${this._parties}${next}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Release the first `count` waiters with their arrival index; the round drains. */
  _trip(count: number): void {
    for (let i = 0; i < count; i++) this._waiters.grantFirst(i);
    // Each released party resumes through `_waiterResumed` or `_waiterCancelled`.
    this._leaving += count;
    if (this._leaving > 0) this._state = State.Draining;
  }

  /** @internal A released party resumes with its index. */
  _waiterResumed(_waiter: ListWaiter<number, undefined>, index: number): number {
    this._left();
    return index;
  }

  /**
   * @internal A waiter was cancelled. Before the trip it simply leaves, as
   * in asyncio: the round goes on one party short (breaking the barrier
   * made a cancelled TaskGroup's children fail with BrokenBarrierError).
   * After the trip it has left its round like the others.
   */
  _waiterCancelled(_waiter: ListWaiter<number, undefined>, granted: boolean): void {
    if (granted) this._left();
  }

  /** @internal A party of the tripped round left; the last one starts the next round. */
  _left(): void {
    if (--this._leaving > 0 || this._state === State.Broken) return;
    this._state = State.Filling;
    // The parties that arrived meanwhile form the next round, in order.
    if (this._waiters.size >= this._parties) this._trip(this._parties);
  }
}
