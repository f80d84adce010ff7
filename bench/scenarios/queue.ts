/**
 * Scenario 7: producer/consumer through a bounded queue (maxsize 100), one
 * producer and one consumer, N items.
 */

import * as Effect from 'effect/Effect';
import * as EffectQueue from 'effect/Queue';
import { createTask, gather, Queue, run } from '../../src/index.js';
import { fail, type Scenario } from '../harness.js';

const MAXSIZE = 100;

const DONE: Promise<void> = Promise.resolve();

/**
 * BASELINE, not a library: the least a fair bounded async queue needs. An
 * array buffer, FIFO lists of waiting getters' and putters' resolvers; an
 * item goes straight to the oldest waiting getter, a freed slot straight to
 * the oldest waiting putter. No cancellation, no shutdown, no
 * `taskDone`/`join`. (The waiter lists use `shift()`: with one producer and
 * one consumer they never hold more than one entry.)
 */
class BaselineQueue<T> {
  private items: T[] = [];
  private head = 0;
  private readonly getters: Array<(item: T) => void> = [];
  private readonly putters: Array<{ item: T; resolve: () => void }> = [];

  constructor(private readonly maxsize: number) {}

  put(item: T): Promise<void> {
    const getter = this.getters.shift();
    if (getter !== undefined) {
      getter(item);
      return DONE;
    }
    if (this.items.length - this.head < this.maxsize) {
      this.items.push(item);
      return DONE;
    }
    return new Promise((resolve) => this.putters.push({ item, resolve }));
  }

  get(): Promise<T> {
    if (this.items.length - this.head === 0) {
      return new Promise((resolve) => this.getters.push(resolve));
    }
    const item = this.items[this.head++]!;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    const putter = this.putters.shift();
    if (putter !== undefined) {
      this.items.push(putter.item);
      putter.resolve();
    }
    return Promise.resolve(item);
  }
}

interface AsyncQueue {
  put(item: number): Promise<void>;
  get(): Promise<number>;
}

/** What the consumer saw: every item, in order. */
class Seen {
  count = 0;

  constructor(readonly n: number) {}

  take(item: number): void {
    if (item !== this.count) fail(`consumer got ${item}, expected ${this.count}`);
    this.count++;
  }

  check(): undefined {
    if (this.count !== this.n) fail(`consumer saw ${this.count} items, expected ${this.n}`);
    return undefined;
  }
}

function producer(queue: AsyncQueue, n: number): () => Promise<void> {
  return async () => {
    for (let i = 0; i < n; i++) await queue.put(i);
  };
}

function consumer(queue: AsyncQueue, seen: Seen): () => Promise<void> {
  return async () => {
    for (let i = 0; i < seen.n; i++) seen.take(await queue.get());
  };
}

export const scenario: Scenario = {
  id: 'queue',
  title: `queue producer/consumer, maxsize ${MAXSIZE}`,
  work: `One producer puts N integers into a queue of maxsize ${MAXSIZE} (waiting while it is full), one consumer takes them; checked: all N arrive, in order.`,
  metric: 'ms',
  size: { full: 1_000_000, quick: 10_000 },
  unit: 'items',
  python: ['Python asyncio.Queue'],
  contenders: [
    {
      name: 'weft Queue',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const queue = new Queue<number>(MAXSIZE);
          const seen = new Seen(n);
          await gather(createTask(producer(queue, n)), createTask(consumer(queue, seen)));
          return seen.check();
        }),
    },
    {
      name: 'baseline array + resolvers queue',
      library: 'raw',
      role: 'baseline',
      run: async (n) => {
        const queue = new BaselineQueue<number>(MAXSIZE);
        const seen = new Seen(n);
        await Promise.all([producer(queue, n)(), consumer(queue, seen)()]);
        return seen.check();
      },
    },
    {
      name: 'Effect Queue.bounded offer/take',
      library: 'effect',
      role: 'peer',
      run: (n) => {
        const seen = new Seen(n);
        return Effect.runPromise(
          Effect.gen(function* () {
            const queue = yield* EffectQueue.bounded<number>(MAXSIZE);
            const produce = Effect.gen(function* () {
              for (let i = 0; i < n; i++) yield* EffectQueue.offer(queue, i);
            });
            const consume = Effect.gen(function* () {
              for (let i = 0; i < n; i++) seen.take(yield* EffectQueue.take(queue));
            });
            yield* Effect.all([produce, consume], { concurrency: 2, discard: true });
            return seen.check();
          }),
        );
      },
    },
    {
      name: 'Effection',
      library: 'effection',
      role: 'peer',
      na: 'no bounded queue: createQueue() and createChannel() never make the sender wait',
    },
  ],
};
