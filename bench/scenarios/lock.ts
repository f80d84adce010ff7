/**
 * Scenario 5: a contended lock. N acquire/release cycles spread over 100
 * workers; each holds the lock across one `await` (read, await, write), so
 * the others queue up behind it.
 */

import { Mutex } from 'async-mutex';
import * as Effect from 'effect/Effect';
import * as Semaphore from 'effect/Semaphore';
import { createTask, gather, Lock, run, type Task } from '../../src/index.js';
import { fail, type Scenario } from '../harness.js';
import { indices } from './common.js';

const WORKERS = 100;

/**
 * The critical section: a read, an await, a write. Without mutual
 * exclusion increments are lost and `most` exceeds 1.
 */
class Section {
  counter = 0;
  inside = 0;
  most = 0;

  constructor(readonly cycles: number) {}

  async enter(): Promise<void> {
    if (++this.inside > this.most) this.most = this.inside;
    const seen = this.counter;
    await null;
    this.counter = seen + 1;
    this.inside--;
  }

  check(): undefined {
    if (this.most !== 1) fail(`${this.most} holders inside the lock at once`);
    if (this.counter !== this.cycles) fail(`counter ${this.counter}, expected ${this.cycles}`);
    return undefined;
  }
}

function sectionFor(n: number): { section: Section; iterations: number } {
  const iterations = Math.max(1, Math.round(n / WORKERS));
  return { section: new Section(iterations * WORKERS), iterations };
}

/** weft code runs its workers as weft tasks. */
function weftWorkers(worker: () => Promise<void>): Promise<unknown> {
  const tasks: Task<void>[] = new Array(WORKERS);
  for (let i = 0; i < WORKERS; i++) tasks[i] = createTask(worker);
  return gather(tasks);
}

/** Peers' users run plain async functions. */
function plainWorkers(worker: () => Promise<void>): Promise<unknown> {
  const workers: Promise<void>[] = new Array(WORKERS);
  for (let i = 0; i < WORKERS; i++) workers[i] = worker();
  return Promise.all(workers);
}

export const scenario: Scenario = {
  id: 'lock',
  title: `contended lock, ${WORKERS} workers`,
  work: `N acquire/release cycles spread over ${WORKERS} workers; inside the lock each reads a counter, awaits once (\`await null\`; Python \`await asyncio.sleep(0)\`) and writes it back. Checked: the counter equals N (no lost update) and never more than one holder at once.`,
  metric: 'ms',
  size: { full: 100_000, quick: 1_000 },
  unit: 'cycles',
  python: ['Python asyncio.Lock'],
  contenders: [
    {
      name: 'weft Lock acquire/release',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const { section, iterations } = sectionFor(n);
          const lock = new Lock();
          await weftWorkers(async () => {
            for (let i = 0; i < iterations; i++) {
              await lock.acquire();
              try {
                await section.enter();
              } finally {
                lock.release();
              }
            }
          });
          return section.check();
        }),
    },
    {
      name: 'weft Lock runExclusive',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const { section, iterations } = sectionFor(n);
          const lock = new Lock();
          const body = () => section.enter();
          await weftWorkers(async () => {
            for (let i = 0; i < iterations; i++) await lock.runExclusive(body);
          });
          return section.check();
        }),
    },
    {
      name: 'async-mutex Mutex acquire/release',
      library: 'async-mutex',
      role: 'peer',
      run: async (n) => {
        const { section, iterations } = sectionFor(n);
        const mutex = new Mutex();
        await plainWorkers(async () => {
          for (let i = 0; i < iterations; i++) {
            const release = await mutex.acquire();
            try {
              await section.enter();
            } finally {
              release();
            }
          }
        });
        return section.check();
      },
    },
    {
      name: 'async-mutex Mutex runExclusive',
      library: 'async-mutex',
      role: 'peer',
      run: async (n) => {
        const { section, iterations } = sectionFor(n);
        const mutex = new Mutex();
        const body = () => section.enter();
        await plainWorkers(async () => {
          for (let i = 0; i < iterations; i++) await mutex.runExclusive(body);
        });
        return section.check();
      },
    },
    {
      name: 'Effect Semaphore(1) withPermits',
      library: 'effect',
      role: 'peer',
      run: (n) => {
        const { section, iterations } = sectionFor(n);
        return Effect.runPromise(
          Effect.gen(function* () {
            const semaphore = yield* Semaphore.make(1);
            const critical = semaphore.withPermits(1)(Effect.promise(() => section.enter()));
            yield* Effect.forEach(
              indices(WORKERS),
              () =>
                Effect.gen(function* () {
                  for (let i = 0; i < iterations; i++) yield* critical;
                }),
              { concurrency: 'unbounded', discard: true },
            );
            return section.check();
          }),
        );
      },
    },
    {
      name: 'Effection',
      library: 'effection',
      role: 'peer',
      na: 'no lock or semaphore among its operations',
    },
  ],
};
