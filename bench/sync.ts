/**
 * bench:sync — weft's synchronisation primitives against the usual npm
 * peers, side by side in one process run:
 *
 *   1. contended lock: `--n` acquire/release cycles spread over 100
 *      workers, each holding the lock across one `await null`; weft `Lock`
 *      against async-mutex `Mutex`, both as acquire/release (the headline)
 *      and as `runExclusive` (extra rows).
 *   2. limited-concurrency map: `--n` items, 10 at a time, each
 *      `async (x) => { await null; return x * 2 }`; weft `map` against
 *      p-limit with `Promise.all`.
 *   3. producer/consumer: 10 × `--n` items through a queue of maxsize 100,
 *      one producer and one consumer; weft `Queue` against `BaselineQueue`
 *      below, a minimal fair bounded queue on plain arrays and resolvers
 *      (what you would write by hand without a library).
 *
 * Everything, peers included, runs inside one weft `run()`. weft carries
 * its cancel scope in AsyncLocalStorage, and once that is in use every
 * promise in the process costs more (Node 20 installs promise hooks; Node
 * 24 carries an async context frame with every reaction), whoever creates it.
 * Measuring the peers outside `run()` would credit them with cheaper
 * promises than a weft program ever has; inside the same `run()` both
 * sides pay the same toll, so the ratio is the libraries' own cost. weft
 * contenders use weft tasks (`createTask` + `gather`), as weft code does;
 * peers use plain async functions and `Promise.all`, as their users do.
 * Workers are few (100, 10, 2), so task creation is noise against 100k+
 * operations.
 *
 * Each round runs every contender once, in a rotating order, so that
 * machine noise and GC debt fall on all alike; the first rounds are
 * warm-up. Every run is checked (mutual exclusion held, every result
 * present and in order) so that a broken contender cannot look fast.
 *
 * Ratio = peer median / weft median of the same scenario: above 1 means
 * weft is faster. For steadier numbers, add `--expose-gc`: a full GC then
 * runs before every measurement.
 *
 * Usage: npm run bench:sync [-- --n 100000 --rounds 15] [-- --quick] [-- --only queue]
 *   --quick: n = 10 000 (10k lock cycles, 10k map items, 100k queue items), 3 rounds.
 *   --only TEXT: run only the contenders whose name contains TEXT (for
 *   profiling one of them: node --cpu-prof --import tsx bench/sync.ts --only 'weft Queue').
 */

import { Mutex } from 'async-mutex';
import pLimit from 'p-limit';
import { createTask, gather, Lock, map, Queue, run } from '../src/index.js';
import { collectsGarbage, flag, median, numberArg, spread, textArg, time } from './stats.js';

const QUICK = flag('quick');
const arg = numberArg;
const N = arg('n', QUICK ? 10_000 : 100_000);
const ROUNDS = arg('rounds', QUICK ? 3 : 15);
const WARMUP = QUICK ? 1 : Math.max(2, Math.floor(ROUNDS / 3));
const ONLY = textArg('only', '');

const LOCK_WORKERS = 100;
const LOCK_ITERATIONS = Math.max(1, Math.round(N / LOCK_WORKERS));
const LOCK_CYCLES = LOCK_WORKERS * LOCK_ITERATIONS;
const MAP_ITEMS = N;
const MAP_CONCURRENCY = 10;
const QUEUE_ITEMS = 10 * N;
const QUEUE_MAXSIZE = 100;

function fail(message: string): never {
  throw new Error(`check failed: ${message}`);
}

// ---------------------------------------------------------------------------
// 1. Contended lock

/**
 * What the critical section does: a read, an await, a write. Without
 * mutual exclusion increments are lost, and `inside` exceeds 1.
 */
class Section {
  counter = 0;
  inside = 0;
  most = 0;

  async enter(): Promise<void> {
    if (++this.inside > this.most) this.most = this.inside;
    const seen = this.counter;
    await null;
    this.counter = seen + 1;
    this.inside--;
  }

  check(): void {
    if (this.most !== 1) fail(`${this.most} holders inside the lock at once`);
    if (this.counter !== LOCK_CYCLES) fail(`counter ${this.counter}, expected ${LOCK_CYCLES}`);
  }
}

async function weftTasks(count: number, worker: () => Promise<void>): Promise<void> {
  const tasks = new Array(count);
  for (let i = 0; i < count; i++) tasks[i] = createTask(worker);
  await gather(tasks);
}

async function plainWorkers(count: number, worker: () => Promise<void>): Promise<void> {
  const workers: Promise<void>[] = new Array(count);
  for (let i = 0; i < count; i++) workers[i] = worker();
  await Promise.all(workers);
}

async function weftLockAcquire(): Promise<void> {
  const lock = new Lock();
  const section = new Section();
  await weftTasks(LOCK_WORKERS, async () => {
    for (let i = 0; i < LOCK_ITERATIONS; i++) {
      await lock.acquire();
      try {
        await section.enter();
      } finally {
        lock.release();
      }
    }
  });
  section.check();
}

async function mutexAcquire(): Promise<void> {
  const mutex = new Mutex();
  const section = new Section();
  await plainWorkers(LOCK_WORKERS, async () => {
    for (let i = 0; i < LOCK_ITERATIONS; i++) {
      const release = await mutex.acquire();
      try {
        await section.enter();
      } finally {
        release();
      }
    }
  });
  section.check();
}

async function weftLockRunExclusive(): Promise<void> {
  const lock = new Lock();
  const section = new Section();
  const body = () => section.enter();
  await weftTasks(LOCK_WORKERS, async () => {
    for (let i = 0; i < LOCK_ITERATIONS; i++) await lock.runExclusive(body);
  });
  section.check();
}

async function mutexRunExclusive(): Promise<void> {
  const mutex = new Mutex();
  const section = new Section();
  const body = () => section.enter();
  await plainWorkers(LOCK_WORKERS, async () => {
    for (let i = 0; i < LOCK_ITERATIONS; i++) await mutex.runExclusive(body);
  });
  section.check();
}

// ---------------------------------------------------------------------------
// 2. Limited-concurrency map

const mapInput = Array.from({ length: MAP_ITEMS }, (_, i) => i);

async function double(x: number): Promise<number> {
  await null;
  return x * 2;
}

function checkMap(results: readonly number[], most: number): void {
  if (results.length !== MAP_ITEMS) fail(`${results.length} results, expected ${MAP_ITEMS}`);
  for (let i = 0; i < MAP_ITEMS; i++) {
    if (results[i] !== i * 2) fail(`result ${i} is ${results[i]}, expected ${i * 2}`);
  }
  if (most > MAP_CONCURRENCY) fail(`${most} calls at once, limit ${MAP_CONCURRENCY}`);
}

/**
 * `double`, counting how many calls run at once: the limit must hold too.
 * (An upper bound only: with a one-tick body fewer calls overlap than the
 * limit allows, and how many depends on the contender's scheduling.)
 */
function limitedDouble(): { fn: (x: number) => Promise<number>; most: () => number } {
  let running = 0;
  let most = 0;
  return {
    fn: async (x) => {
      if (++running > most) most = running;
      try {
        return await double(x);
      } finally {
        running--;
      }
    },
    most: () => most,
  };
}

async function weftMap(): Promise<void> {
  const { fn, most } = limitedDouble();
  const results = await map(mapInput, fn, { concurrency: MAP_CONCURRENCY });
  checkMap(results, most());
}

async function pLimitMap(): Promise<void> {
  const { fn, most } = limitedDouble();
  const limit = pLimit(MAP_CONCURRENCY);
  const results = await Promise.all(mapInput.map((x) => limit(() => fn(x))));
  checkMap(results, most());
}

// ---------------------------------------------------------------------------
// 3. Producer/consumer

const DONE: Promise<void> = Promise.resolve();

/**
 * BASELINE, not a library: the least a fair bounded async queue needs. An
 * array buffer, FIFO lists of waiting getters' and putters' resolvers; an
 * item goes straight to the oldest waiting getter, a freed slot straight
 * to the oldest waiting putter. No cancellation, no shutdown, no
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

function producer(queue: AsyncQueue): () => Promise<void> {
  return async () => {
    for (let i = 0; i < QUEUE_ITEMS; i++) await queue.put(i);
  };
}

function consumer(queue: AsyncQueue, seen: { count: number }): () => Promise<void> {
  return async () => {
    for (let i = 0; i < QUEUE_ITEMS; i++) {
      const item = await queue.get();
      if (item !== i) fail(`consumer got ${item}, expected ${i}`);
      seen.count++;
    }
  };
}

function checkQueue(seen: { count: number }): void {
  if (seen.count !== QUEUE_ITEMS) fail(`consumer saw ${seen.count} items, expected ${QUEUE_ITEMS}`);
}

async function weftQueue(): Promise<void> {
  const queue = new Queue<number>(QUEUE_MAXSIZE);
  const seen = { count: 0 };
  await gather(createTask(producer(queue)), createTask(consumer(queue, seen)));
  checkQueue(seen);
}

async function baselineQueue(): Promise<void> {
  const queue = new BaselineQueue<number>(QUEUE_MAXSIZE);
  const seen = { count: 0 };
  await Promise.all([producer(queue)(), consumer(queue, seen)()]);
  checkQueue(seen);
}

// ---------------------------------------------------------------------------
// Driver

interface Contender {
  name: string;
  fn: () => Promise<void>;
  /** The weft contender this one is compared with (absent for weft's own rows). */
  vs?: string;
}

interface Scenario {
  title: string;
  ops: number;
  contenders: Contender[];
}

const allScenarios: Scenario[] = [
  {
    title: `contended lock: ${LOCK_CYCLES.toLocaleString('en')} cycles, ${LOCK_WORKERS} workers`,
    ops: LOCK_CYCLES,
    contenders: [
      { name: 'weft Lock acquire/release', fn: weftLockAcquire },
      { name: 'async-mutex acquire/release', fn: mutexAcquire, vs: 'weft Lock acquire/release' },
      { name: 'weft Lock runExclusive', fn: weftLockRunExclusive },
      { name: 'async-mutex runExclusive', fn: mutexRunExclusive, vs: 'weft Lock runExclusive' },
    ],
  },
  {
    title: `map: ${MAP_ITEMS.toLocaleString('en')} items, concurrency ${MAP_CONCURRENCY}`,
    ops: MAP_ITEMS,
    contenders: [
      { name: 'weft map', fn: weftMap },
      { name: 'p-limit + Promise.all', fn: pLimitMap, vs: 'weft map' },
    ],
  },
  {
    title: `queue: ${QUEUE_ITEMS.toLocaleString('en')} items, maxsize ${QUEUE_MAXSIZE}, 1 producer, 1 consumer`,
    ops: QUEUE_ITEMS,
    contenders: [
      { name: 'weft Queue', fn: weftQueue },
      { name: 'baseline array queue', fn: baselineQueue, vs: 'weft Queue' },
    ],
  },
];

const scenarios = allScenarios
  .map((s) => ({ ...s, contenders: s.contenders.filter((c) => c.name.includes(ONLY)) }))
  .filter((s) => s.contenders.length > 0);
if (scenarios.length === 0) throw new Error(`--only ${ONLY}: no contender matches`);

const samples = new Map<string, number[]>(
  scenarios.flatMap((s) => s.contenders.map((c): [string, number[]] => [c.name, []])),
);
const started = performance.now();
await run(async () => {
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (const { contenders } of scenarios) {
      // Rotate who goes first, so that no contender always inherits the previous one's GC debt.
      for (let k = 0; k < contenders.length; k++) {
        const { name, fn } = contenders[(round + k) % contenders.length]!;
        const ms = await time(fn);
        if (round >= WARMUP) samples.get(name)!.push(ms);
      }
    }
  }
});
const elapsed = (performance.now() - started) / 1000;

const columns = ['median ms', 'IQR ms', 'ns/op', 'peer/weft'];
const widths = [11, 17, 9, 11];
const row = (first: string, cells: string[]): string =>
  `  ${first.padEnd(30)}${cells.map((c, i) => c.padStart(widths[i]!)).join('')}`;

console.log(
  `bench:sync — n=${N.toLocaleString('en')}, ${ROUNDS} rounds (+${WARMUP} warm-up), Node ${process.version}${collectsGarbage ? ', gc before each run' : ''}`,
);
console.log(row('contender', columns));
for (const { title, ops, contenders } of scenarios) {
  console.log(title);
  for (const { name, vs } of contenders) {
    const xs = samples.get(name)!;
    const m = median(xs);
    const weft = vs === undefined ? undefined : samples.get(vs);
    const ratio = weft === undefined ? '—' : `${(m / median(weft)).toFixed(2)}x`;
    console.log(row(name, [m.toFixed(1), spread(xs), ((m * 1e6) / ops).toFixed(0), ratio]));
  }
}
console.log(`(${elapsed.toFixed(1)} s in all; peer/weft > 1 means weft is faster)`);
