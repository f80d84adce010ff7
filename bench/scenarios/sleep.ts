/** Scenario 2: N concurrent sleeps of 10 ms, each in its own task. */

import { setTimeout as delay } from 'node:timers/promises';
import * as Effect from 'effect/Effect';
import * as effection from 'effection';
import { createTask, gather, run, sleep, type Task } from '../../src/index.js';
import { fail, type Scenario } from '../harness.js';
import { EFFECTION_MAX_N, indices } from './common.js';

const SLEEP_MS = 10;
/** Every 1000th task times its own sleep: a contender that does not really sleep fails. */
const PROBE = 1000;

/** Times of the probed sleeps of one run. */
class Probe {
  shortest = Number.POSITIVE_INFINITY;
  count = 0;

  start(i: number): number {
    return i % PROBE === 0 ? performance.now() : 0;
  }

  end(started: number): void {
    if (started === 0) return;
    this.count++;
    this.shortest = Math.min(this.shortest, performance.now() - started);
  }

  check(results: readonly unknown[], n: number): undefined {
    if (results.length !== n) fail(`${results.length} results, expected ${n}`);
    for (let i = 0; i < n; i++) {
      if (results[i] !== i) fail(`result ${i} is ${String(results[i])}`);
    }
    if (this.count !== Math.ceil(n / PROBE)) fail(`${this.count} probed sleeps ended`);
    // Half the delay: timers may fire a little early against performance.now().
    if (this.shortest < SLEEP_MS / 2) fail(`a sleep of ${SLEEP_MS} ms took ${this.shortest} ms`);
    return undefined;
  }
}

export const scenario: Scenario = {
  id: 'sleep',
  title: `N concurrent sleeps of ${SLEEP_MS} ms`,
  work: `N tasks started at once, each sleeping ${SLEEP_MS} ms with the library's own sleep, then returning its index; the run ends when all are done (so at least ${SLEEP_MS} ms). Every 1000th task checks that its sleep really lasted.`,
  metric: 'ms',
  size: { full: 100_000, quick: 1_000 },
  unit: 'tasks',
  python: ['Python asyncio.sleep + gather'],
  contenders: [
    {
      name: 'weft sleep in createTask + gather',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const probe = new Probe();
          const tasks: Task<number>[] = new Array(n);
          for (let i = 0; i < n; i++) {
            tasks[i] = createTask(async () => {
              const started = probe.start(i);
              await sleep(SLEEP_MS);
              probe.end(started);
              return i;
            });
          }
          return probe.check(await gather(tasks), n);
        }),
    },
    {
      name: 'raw timers/promises setTimeout + Promise.all',
      library: 'raw',
      role: 'baseline',
      run: async (n) => {
        const probe = new Probe();
        const ps: Promise<number>[] = new Array(n);
        for (let i = 0; i < n; i++) {
          ps[i] = (async () => {
            const started = probe.start(i);
            await delay(SLEEP_MS);
            probe.end(started);
            return i;
          })();
        }
        return probe.check(await Promise.all(ps), n);
      },
    },
    {
      name: 'Effection sleep in spawn, yield* each task',
      library: 'effection',
      role: 'peer',
      maxN: EFFECTION_MAX_N,
      run: async (n) => {
        const probe = new Probe();
        const results = await effection.run(function* () {
          const tasks: effection.Task<number>[] = new Array(n);
          for (let i = 0; i < n; i++) {
            tasks[i] = yield* effection.spawn(function* () {
              const started = probe.start(i);
              yield* effection.sleep(SLEEP_MS);
              probe.end(started);
              return i;
            });
          }
          const results: number[] = new Array(n);
          for (let i = 0; i < n; i++) results[i] = yield* tasks[i]!;
          return results;
        });
        return probe.check(results, n);
      },
    },
    {
      name: "Effect sleep in forEach { concurrency: 'unbounded' }",
      library: 'effect',
      role: 'peer',
      run: async (n) => {
        const probe = new Probe();
        const results = await Effect.runPromise(
          Effect.forEach(
            indices(n),
            (i) =>
              Effect.suspend(() => {
                const started = probe.start(i);
                return Effect.sleep(SLEEP_MS).pipe(
                  Effect.map(() => {
                    probe.end(started);
                    return i;
                  }),
                );
              }),
            { concurrency: 'unbounded' },
          ),
        );
        return probe.check(results, n);
      },
    },
  ],
};
