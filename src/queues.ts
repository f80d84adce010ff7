/**
 * `Queue`, `LifoQueue` and `PriorityQueue`: asyncio's queues (with Python
 * 3.13's `shutdown()`), FIFO-fair and cancellation-safe.
 *
 * asyncio's rule holds for every wait: a `get()` that ends in
 * `CancelledError` took no item (the item stays for the next reader), and a
 * `put()` that ends in `CancelledError` added none (so retrying it is safe).
 * As in CPython, a waiter is only *woken*: a getter takes its item, and a
 * putter stores its item, when it resumes, and one that was cancelled in
 * between wakes the next waiter instead. Handing the item over at once and
 * giving it back on cancellation cannot work: by then later items may have
 * been taken (the given-back item would come out of order) or the freed
 * slot filled (the queue would go over `maxsize`).
 *
 * Unlike CPython's, a wake-up is a reservation, so no late-comer overtakes
 * a woken waiter (CPython's woken getter can find the item gone and wait
 * again at the back). While a woken getter has not taken its item yet (one
 * microtask), it goes first: `empty()` is true for everybody else (though
 * `qsize()` counts the items), a `getNowait()` throws `QueueEmpty` and a
 * `get()` waits behind it. Likewise, while a woken putter has not stored
 * its item, `full()` is true for everybody else. Letting a late-comer take
 * an item meanwhile would break the order: if the woken getter is then
 * cancelled, the item it left would come out after the late-comer's.
 * So items leave a FIFO queue in the order they were put, and get calls
 * receive them in the order the calls were made; an item stays in the
 * queue, taking up its slot, until its getter has it, so `maxsize` is
 * never exceeded.
 *
 * @module
 */

import { inspect } from 'node:util';
import { InvalidStateError, QueueEmpty, QueueFull, QueueShutDown } from './exceptions.js';
import { label, nameFrom, type PrimitiveOptions, unlabelled } from './internal/named.js';
import { checkFunction, checkInteger, checkOptionalBoolean, show } from './internal/validate.js';
import { type ListWaiter, WaitList, type WaitListOwner } from './internal/waitlist.js';
import type { WaitTarget } from './snapshot-types.js';

const DONE: Promise<void> = Promise.resolve();
const TRUE: Promise<true> = Promise.resolve(true);

/** What a queue's wait lists show in `snapshot()`. */
function waitTarget(
  queue: { readonly name: string | undefined },
  op: 'get' | 'put' | 'join',
): WaitTarget {
  return { kind: 'queue', op, name: queue.name ?? null, detail: unlabelled(queue, queue.name) };
}

/** Owner of a queue's getters: a woken getter takes its item when it resumes. */
class GetterOwner<T> implements WaitListOwner<T, undefined> {
  constructor(readonly queue: Queue<T>) {}

  _waiterResumed(): T {
    return this.queue._getterResumed();
  }

  _waiterCancelled(_waiter: ListWaiter<T, undefined>, granted: boolean): void {
    if (granted) this.queue._getterLeft();
  }

  _waitTarget(): WaitTarget {
    return waitTarget(this.queue, 'get');
  }
}

/** Owner of a queue's putters: a woken putter stores its item when it resumes. */
class PutterOwner<T> implements WaitListOwner<undefined, T> {
  constructor(readonly queue: Queue<T>) {}

  _waiterResumed(waiter: ListWaiter<undefined, T>): undefined {
    this.queue._putterResumed(waiter.payload);
    return undefined;
  }

  _waiterCancelled(_waiter: ListWaiter<undefined, T>, granted: boolean): void {
    if (granted) this.queue._putterLeft();
  }

  _waitTarget(): WaitTarget {
    return waitTarget(this.queue, 'put');
  }
}

/** Owner of `join()` callers: every one is woken anyway, nothing to pass on. */
class JoinerOwner implements WaitListOwner<true, undefined> {
  constructor(readonly queue: { readonly name: string | undefined }) {}

  _waiterCancelled(): void {}

  _waitTarget(): WaitTarget {
    return waitTarget(this.queue, 'join');
  }
}

/**
 * A first-in first-out queue (asyncio's `Queue`), bounded by `maxsize`
 * (0: unbounded). Consume it with `get()` or `for await`, which ends when
 * the queue is shut down and drained.
 *
 * @example
 * ```ts
 * import { createTask, Queue } from 'weft';
 *
 * const queue = new Queue<number>(2);
 * const producer = createTask(async () => {
 *   for (let i = 1; i <= 5; i++) await queue.put(i); // waits while 2 are queued
 *   queue.shutdown(); // no more items: consumers finish once it is drained
 * });
 * const seen: number[] = [];
 * for await (const item of queue) {
 *   seen.push(item);
 *   queue.taskDone();
 * }
 * await producer;
 * console.log(seen); // [ 1, 2, 3, 4, 5 ]
 * ```
 */
export class Queue<T> implements AsyncIterable<T> {
  /** The name given in the options, for reports. */
  readonly name: string | undefined;
  /** @internal */ readonly _maxsize: number;
  /** @internal */ _unfinished = 0;
  /** @internal 0 open, 1 shut down, 2 shut down immediately. */
  _shutdown: 0 | 1 | 2 = 0;
  /**
   * @internal Getters waiting for an item: only while every item is
   * reserved for a woken getter (or there is none).
   */
  _getters = new WaitList<T, undefined>(new GetterOwner(this));
  /** @internal Putters waiting for a slot, with their item. */
  _putters = new WaitList<undefined, T>(new PutterOwner(this));
  /** @internal `join()` callers. */
  _joiners = new WaitList<true, undefined>(new JoinerOwner(this));
  /**
   * @internal Getters woken and not yet resumed: the first this many items
   * are theirs. They stay stored (in their slots) until taken, so a
   * cancelled getter leaves its item where it was.
   */
  _wokenGetters = 0;
  /**
   * @internal Putters woken and not yet resumed: this many free slots are
   * theirs. Their items are stored only when they resume, so a cancelled
   * putter adds nothing.
   */
  _wokenPutters = 0;
  /**
   * @internal FIFO storage: a ring buffer of power-of-two capacity. A plain
   * array emptied after almost every item (a producer and a consumer in
   * lockstep) frees and reallocates its storage each time.
   */
  _ring: Array<T | undefined> = new Array(16);
  /** @internal */ _head = 0;
  /** @internal */ _count = 0;

  /**
   * @param maxsize The most items the queue holds before `put()` waits: an
   * integer >= 0, where 0 means unbounded.
   * @param options `name` for reports (`toString()`, `snapshot()`, `weft ps`).
   * @default 0
   */
  constructor(maxsize = 0, options?: PrimitiveOptions) {
    const error = checkInteger('maxsize', maxsize, 0);
    if (error !== undefined) throw error;
    this.name = nameFrom(options);
    this._maxsize = maxsize;
  }

  /** The capacity given to the constructor (0: unbounded). */
  get maxsize(): number {
    return this._maxsize;
  }

  /** How many items the queue holds (an item a woken `get()` will take stays until it does). */
  qsize(): number {
    return this._size();
  }

  /**
   * True when a `get()` would wait and `getNowait()` would throw: no item
   * is queued, or every one is a woken getter's for now (until it resumes,
   * a microtask later; `qsize()` still counts them).
   */
  empty(): boolean {
    return this._wokenGetters > 0 || this._size() === 0;
  }

  /**
   * True when a `put()` would wait and `putNowait()` would throw: a bounded
   * queue holds `maxsize` items, counting the slots of woken putters that
   * have not stored theirs yet (a microtask), or such a putter goes first.
   */
  full(): boolean {
    return (
      this._maxsize > 0 &&
      (this._wokenPutters > 0 || this._size() + this._wokenPutters >= this._maxsize)
    );
  }

  /**
   * Add `item`, waiting for a free slot while the queue is full. A
   * checkpoint when it waits; rejects with `QueueShutDown` after
   * `shutdown()`. A put that ends in `CancelledError` added nothing, even
   * if a slot had been freed for it: retrying it is safe.
   */
  put(item: T): Promise<void> {
    if (this._shutdown !== 0) return Promise.reject(this._shutDownError('put()'));
    if (!this.full()) {
      try {
        this._add(item);
      } catch (error) {
        return Promise.reject(error);
      }
      return DONE;
    }
    const put = this._putters.wait(item);
    // Full only because a woken putter goes first: this one follows it.
    this._wakePutters();
    return put;
  }

  /** Add `item` now, or throw `QueueFull` (or `QueueShutDown`). */
  putNowait(item: T): void {
    if (this._shutdown !== 0) throw this._shutDownError('putNowait()');
    if (this.full()) {
      throw new QueueFull(`${this}: putNowait() on a full queue`, { maxsize: this._maxsize });
    }
    this._add(item);
  }

  /**
   * Remove and return the next item, waiting while the queue is empty. A
   * checkpoint when it waits; after `shutdown()` it drains what is left,
   * then rejects with `QueueShutDown`. A get that ends in `CancelledError`
   * took no item, even if one had been put for it: it stays for the next
   * reader.
   */
  get(): Promise<T> {
    if (this._wokenGetters === 0 && this._size() > 0) {
      try {
        return Promise.resolve(this._take());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    // Shut down, and every item left (if any) is a woken getter's.
    if (this._shutdown !== 0 && this._size() <= this._wokenGetters) {
      return Promise.reject(this._shutDownError('get()'));
    }
    const get = this._getters.wait(undefined);
    // Items beyond the woken getters' are this one's, after theirs.
    this._wakeGetters();
    return get;
  }

  /** Remove and return the next item now, or throw `QueueEmpty` (or `QueueShutDown`). */
  getNowait(): T {
    if (this._wokenGetters === 0 && this._size() > 0) return this._take();
    if (this._shutdown !== 0 && this._size() <= this._wokenGetters) {
      throw this._shutDownError('getNowait()');
    }
    throw new QueueEmpty(`${this}: getNowait() on an empty queue`);
  }

  /**
   * Mark one item taken with `get()` as processed. When every item put so
   * far is processed, `join()` resolves. Throws `InvalidStateError` when
   * called more often than items were put.
   */
  taskDone(): void {
    if (this._unfinished <= 0) {
      throw new InvalidStateError(`${this}: taskDone() called more times than items were put`, {
        state: 'no unfinished items',
      });
    }
    if (--this._unfinished === 0) while (this._joiners.grantFirst(true)) {}
  }

  /** Wait until every item put so far was marked done with `taskDone()`. A checkpoint when it waits. */
  join(): Promise<true> {
    return this._unfinished === 0 ? TRUE : this._joiners.wait(undefined);
  }

  /**
   * Refuse new items: waiting and later `put()`s reject with
   * `QueueShutDown`; `get()`s drain the queue, then reject likewise. With
   * `immediate`, the queued items are dropped (counted as done, so `join()`
   * can resolve) and waiting `get()`s reject at once.
   */
  shutdown(immediate = false): void {
    const error = checkOptionalBoolean('immediate', immediate);
    if (error !== undefined) throw error;
    if (immediate) {
      const dropped = this._size();
      this._clear();
      this._unfinished = Math.max(0, this._unfinished - dropped);
      this._shutdown = 2;
      if (this._unfinished === 0) while (this._joiners.grantFirst(true)) {}
    } else if (this._shutdown === 0) {
      this._shutdown = 1;
    }
    // Getters wait only while every item left is a woken getter's (or there
    // is none): nothing is left for them. Woken putters find the queue shut
    // down when they resume, and add nothing.
    this._getters.rejectAll(this._shutDownError('get()'));
    this._putters.rejectAll(this._shutDownError('put()'));
  }

  /** `for await (const item of queue)`: `get()` until the queue is shut down and drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (error) {
        if (error instanceof QueueShutDown) return;
        throw error;
      }
      yield item;
    }
  }

  /** `Queue<maxsize=10 size=3 unfinished=3 getters=0 putters=0>` (getters and putters: waiting or woken) */
  toString(): string {
    const state = this._shutdown === 0 ? '' : ' shut down';
    const getters = this._getters.size + this._wokenGetters;
    const putters = this._putters.size + this._wokenPutters;
    return `${this.constructor.name}<${label(this.name)}maxsize=${this._maxsize} size=${this._size()} unfinished=${this._unfinished} getters=${getters} putters=${putters}${state}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Enqueue, count it unfinished, and wake the oldest waiting getter for it. */
  _add(item: T): void {
    this._store(item);
    this._unfinished++;
    if (this._getters.size > 0) this._wakeGetters(); // nobody waits on the fast path
  }

  /** @internal Dequeue, then wake the oldest waiting putter for the freed slot. */
  _take(): T {
    const item = this._retrieve();
    if (this._putters.size > 0) this._wakePutters();
    return item;
  }

  /** @internal Wake waiting getters, oldest first, for the items not yet reserved. */
  _wakeGetters(): void {
    while (this._getters.size > 0 && this._size() > this._wokenGetters) {
      this._wokenGetters++;
      this._getters.grantFirst(undefined as T);
    }
  }

  /** @internal Wake waiting putters, oldest first, for the slots not yet reserved. */
  _wakePutters(): void {
    while (
      this._putters.size > 0 &&
      (this._maxsize === 0 || this._size() + this._wokenPutters < this._maxsize)
    ) {
      this._wokenPutters++;
      this._putters.grantFirst(undefined);
    }
  }

  /** @internal A woken getter resumes: it takes the next item now. */
  _getterResumed(): T {
    this._wokenGetters--;
    // Its item is gone only if shutdown(true) dropped every item.
    if (this._size() === 0) throw this._shutDownError('get()');
    return this._take();
  }

  /** @internal A woken getter was cancelled before it resumed: the item it would have taken goes to the next getter, or stays. */
  _getterLeft(): void {
    this._wokenGetters--;
    this._wakeGetters();
  }

  /** @internal A woken putter resumes: it stores its item now. */
  _putterResumed(item: T): void {
    this._wokenPutters--;
    if (this._shutdown !== 0) throw this._shutDownError('put()');
    try {
      this._store(item);
    } catch (error) {
      // A PriorityQueue's compare threw: nothing was added, the slot goes on.
      this._wakePutters();
      throw error;
    }
    this._unfinished++;
    this._wakeGetters();
  }

  /** @internal A woken putter was cancelled before it resumed: its slot goes to the next putter, or is free. */
  _putterLeft(): void {
    this._wokenPutters--;
    this._wakePutters();
  }

  /** @internal */
  _shutDownError(operation: string): QueueShutDown {
    return new QueueShutDown(`${this}: ${operation} on a shut-down queue`);
  }

  // Storage: overridden by LifoQueue and PriorityQueue.

  /** @internal */
  _size(): number {
    return this._count;
  }

  /** @internal */
  _store(item: T): void {
    if (this._count === this._ring.length) this._grow();
    this._ring[(this._head + this._count) & (this._ring.length - 1)] = item;
    this._count++;
  }

  /** @internal */
  _retrieve(): T {
    const ring = this._ring;
    const item = ring[this._head] as T;
    ring[this._head] = undefined; // no reference kept to a consumed item
    this._head = (this._head + 1) & (ring.length - 1);
    this._count--;
    return item;
  }

  /** @internal */
  _clear(): void {
    this._ring = new Array(16);
    this._head = 0;
    this._count = 0;
  }

  /** @internal Double the ring, unrolling it so that the head is at 0. */
  _grow(): void {
    const old = this._ring;
    const ring: Array<T | undefined> = new Array(old.length * 2);
    for (let i = 0; i < this._count; i++) ring[i] = old[(this._head + i) & (old.length - 1)];
    this._ring = ring;
    this._head = 0;
  }
}

/**
 * A last-in first-out queue (asyncio's `LifoQueue`): `get()` returns the
 * newest item.
 *
 * @example
 * ```ts
 * import { LifoQueue } from 'weft';
 *
 * const stack = new LifoQueue<string>();
 * for (const page of ['home', 'list', 'detail']) stack.putNowait(page);
 * console.log(stack.getNowait(), stack.getNowait()); // detail list
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  /** @internal */ _stack: T[] = [];

  /** @internal */
  override _size(): number {
    return this._stack.length;
  }

  /** @internal */
  override _store(item: T): void {
    this._stack.push(item);
  }

  /** @internal */
  override _retrieve(): T {
    return this._stack.pop()!;
  }

  /** @internal */
  override _clear(): void {
    this._stack = [];
  }
}

/**
 * How a {@link PriorityQueue} orders items: negative when `a` comes first,
 * positive when `b` does, 0 when they tie.
 */
export type Compare<T> = (a: T, b: T) => number;

/**
 * A queue that returns the smallest item first (asyncio's
 * `PriorityQueue`). Without `compare` it orders numbers (and bigints) and
 * strings naturally, and arrays element by element like Python tuples, so
 * `[priority, payload]` pairs work as in Python; other items need a
 * `compare` function (a `TypeError` says so). Items that tie come out in
 * the order they were put (Python's heap gives no such promise).
 *
 * @example
 * ```ts
 * import { PriorityQueue } from 'weft';
 *
 * const jobs = new PriorityQueue<[number, string]>();
 * jobs.putNowait([10, 'reindex']);
 * jobs.putNowait([1, 'page the on-call']);
 * jobs.putNowait([5, 'send digest']);
 * console.log(jobs.getNowait()[1]); // page the on-call
 *
 * const byDeadline = new PriorityQueue<{ due: number }>(0, (a, b) => a.due - b.due);
 * byDeadline.putNowait({ due: 30 });
 * byDeadline.putNowait({ due: 20 });
 * console.log(byDeadline.getNowait().due); // 20
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  /** @internal */ readonly _compare: Compare<T>;
  /** @internal The binary heap. */
  _items: T[] = [];
  /** @internal Insertion numbers, parallel to `_items`: ties come out in order. */
  _seqs: number[] = [];
  /** @internal */ _nextSeq = 0;
  /** @internal Reused by `_retrieve`. */
  _path: number[] = [];

  /**
   * @param maxsize As for {@link Queue}: 0 means unbounded.
   * @param compare Item order; without it, {@link naturalOrder}.
   * @param options `name` for reports (`toString()`, `snapshot()`, `weft ps`).
   */
  constructor(maxsize = 0, compare?: Compare<T>, options?: PrimitiveOptions) {
    super(maxsize, options);
    if (compare !== undefined) {
      const error = checkFunction('compare', compare);
      if (error !== undefined) throw error;
    }
    this._compare = compare ?? (naturalOrder as Compare<T>);
  }

  /** @internal */
  _before(a: T, seqA: number, b: T, seqB: number): boolean {
    const order = this._compare(a, b);
    if (typeof order !== 'number' || Number.isNaN(order)) {
      throw new TypeError(`Expected \`compare\` to return a number, got ${show(order)}`);
    }
    return order < 0 || (order === 0 && seqA < seqB);
  }

  /** @internal Sift up; every comparison happens before the heap changes, so a throwing `compare` leaves it intact. */
  override _store(item: T): void {
    const heap = this._items;
    const seqs = this._seqs;
    const seq = this._nextSeq;
    let pos = heap.length;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this._before(item, seq, heap[parent]!, seqs[parent]!)) break;
      pos = parent;
    }
    this._nextSeq++;
    let hole = heap.length;
    heap.push(item);
    seqs.push(seq);
    while (hole > pos) {
      const parent = (hole - 1) >> 1;
      heap[hole] = heap[parent]!;
      seqs[hole] = seqs[parent]!;
      hole = parent;
    }
    heap[pos] = item;
    seqs[pos] = seq;
  }

  /** @internal Sift down; as in `_store`, the path is chosen before anything moves. */
  override _retrieve(): T {
    const heap = this._items;
    const seqs = this._seqs;
    const top = heap[0]!;
    const n = heap.length - 1;
    const last = heap[n]!;
    const lastSeq = seqs[n]!;
    const path = this._path;
    path.length = 0;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child =
        right < n && this._before(heap[right]!, seqs[right]!, heap[left]!, seqs[left]!)
          ? right
          : left;
      if (!this._before(heap[child]!, seqs[child]!, last, lastSeq)) break;
      path.push(child);
      i = child;
    }
    heap.pop();
    seqs.pop();
    if (n > 0) {
      let hole = 0;
      for (const child of path) {
        heap[hole] = heap[child]!;
        seqs[hole] = seqs[child]!;
        hole = child;
      }
      heap[hole] = last;
      seqs[hole] = lastSeq;
    }
    return top;
  }

  /** @internal */
  override _size(): number {
    return this._items.length;
  }

  /** @internal */
  override _clear(): void {
    this._items = [];
    this._seqs = [];
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

/**
 * The default order of a {@link PriorityQueue}: numbers and bigints by
 * value, strings by UTF-16 code units, arrays element by element (a
 * shorter prefix first). Anything else throws `TypeError`.
 *
 * @example
 * ```ts
 * import { naturalOrder } from 'weft';
 *
 * console.log(naturalOrder([9, 'z'], [10, 'a']) < 0); // true, as Python orders tuples
 * ```
 */
export function naturalOrder(a: unknown, b: unknown): number {
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint')) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  if (ta === 'string' && tb === 'string') {
    return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const order = naturalOrder(a[i], b[i]);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  throw new TypeError(
    `PriorityQueue cannot order ${kindOf(a)} and ${kindOf(b)} by default: pass a \`compare\` function`,
  );
}
