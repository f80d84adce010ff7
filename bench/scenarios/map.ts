/**
 * Scenario 6: map N items through an async function, at most 10 at a time,
 * results in input order.
 */

import * as Effect from 'effect/Effect';
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import { map, run, Semaphore } from '../../src/index.js';
import { fail, type Scenario } from '../harness.js';
import { indices } from './common.js';

const CONCURRENCY = 10;

async function double(x: number): Promise<number> {
  await null;
  return x * 2;
}

/**
 * `double`, counting how many calls run at once: the limit must hold. (An
 * upper bound only: with a one-tick body fewer calls may overlap than the
 * limit allows, depending on the contender's scheduling.)
 */
class Limited {
  running = 0;
  most = 0;
  calls = 0;

  readonly fn = async (x: number): Promise<number> => {
    this.calls++;
    if (++this.running > this.most) this.most = this.running;
    try {
      return await double(x);
    } finally {
      this.running--;
    }
  };

  check(results: readonly unknown[], n: number): undefined {
    if (results.length !== n) fail(`${results.length} results, expected ${n}`);
    for (let i = 0; i < n; i++) {
      if (results[i] !== i * 2) fail(`result ${i} is ${String(results[i])}, expected ${i * 2}`);
    }
    if (this.calls !== n) fail(`${this.calls} calls for ${n} items`);
    if (this.most > CONCURRENCY) fail(`${this.most} calls at once, limit ${CONCURRENCY}`);
    return undefined;
  }
}

export const scenario: Scenario = {
  id: 'map',
  title: `limited-concurrency map, concurrency ${CONCURRENCY}`,
  work: `N items, each through \`async (x) => { await null; return x * 2 }\` (Python: \`await asyncio.sleep(0)\`), at most ${CONCURRENCY} at a time; results checked in input order, and the number of calls running at once never above ${CONCURRENCY}.`,
  metric: 'ms',
  size: { full: 100_000, quick: 1_000 },
  unit: 'items',
  python: ['Python asyncio.Semaphore + gather'],
  contenders: [
    {
      name: 'weft map',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const limited = new Limited();
          const results = await map(indices(n), limited.fn, { concurrency: CONCURRENCY });
          return limited.check(results, n);
        }),
    },
    {
      name: 'weft Semaphore.runExclusive + Promise.all',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const limited = new Limited();
          const semaphore = new Semaphore(CONCURRENCY);
          const results = await Promise.all(
            indices(n).map((x) => semaphore.runExclusive(() => limited.fn(x))),
          );
          return limited.check(results, n);
        }),
    },
    {
      name: 'p-limit + Promise.all',
      library: 'p-limit',
      role: 'peer',
      run: async (n) => {
        const limited = new Limited();
        const limit = pLimit(CONCURRENCY);
        const results = await Promise.all(indices(n).map((x) => limit(() => limited.fn(x))));
        return limited.check(results, n);
      },
    },
    {
      name: 'p-queue add + Promise.all',
      library: 'p-queue',
      role: 'peer',
      run: async (n) => {
        const limited = new Limited();
        const queue = new PQueue({ concurrency: CONCURRENCY });
        const results = await Promise.all(indices(n).map((x) => queue.add(() => limited.fn(x))));
        return limited.check(results, n);
      },
    },
    {
      name: 'Effect forEach { concurrency: 10 }',
      library: 'effect',
      role: 'peer',
      run: async (n) => {
        const limited = new Limited();
        const results = await Effect.runPromise(
          Effect.forEach(indices(n), (x) => Effect.promise(() => limited.fn(x)), {
            concurrency: CONCURRENCY,
          }),
        );
        return limited.check(results, n);
      },
    },
    {
      name: 'Effection',
      library: 'effection',
      role: 'peer',
      na: 'no concurrency-limited map or semaphore',
    },
  ],
};
