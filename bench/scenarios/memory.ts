/**
 * Scenario 4: heap bytes per pending task, N tasks asleep. `bench/run.ts`
 * runs each contender in its own process (with `--expose-gc`), so that no
 * library's code or leftovers count against another.
 *
 * Figure: (heap used with the N tasks asleep − heap used before) / N, both
 * after full collections. The array that holds the N handles is allocated
 * before the first reading, so it is not counted for anyone.
 */

import { delay as acxDelay, spawn as acxSpawn, isAbortError } from 'abort-controller-x';
import * as Effect from 'effect/Effect';
import * as Exit from 'effect/Exit';
import * as Fiber from 'effect/Fiber';
import * as effection from 'effection';
import {
  CancelledError,
  createTask,
  gather,
  run,
  sleep,
  type Task,
  TaskGroup,
} from '../../src/index.js';
import { fail, type Scenario } from '../harness.js';
import { EFFECTION_MAX_N, nextTurn } from './common.js';

const LONG_MS = 600_000;

const gc = (globalThis as { gc?: () => void }).gc;

/** Heap bytes in use after full collections (the turn between lets finalizers and weak cells settle). */
async function heapUsed(): Promise<number> {
  if (gc === undefined) fail('the memory scenario needs node --expose-gc');
  gc();
  await nextTurn();
  gc();
  return process.memoryUsage().heapUsed;
}

/** One measurement: `before`, then `after` once the tasks sleep; the result is bytes per task. */
class Reading {
  before = 0;
  after = 0;
  asleep = 0;

  constructor(readonly n: number) {}

  async start(): Promise<void> {
    this.before = await heapUsed();
  }

  async asleepNow(): Promise<void> {
    await nextTurn();
    if (this.asleep !== this.n) fail(`${this.asleep} of ${this.n} tasks reached their sleep`);
    this.after = await heapUsed();
  }

  perTask(stopped: number): number {
    if (stopped !== this.n) fail(`${stopped} of ${this.n} tasks were stopped after the reading`);
    return (this.after - this.before) / this.n;
  }
}

export const scenario: Scenario = {
  id: 'memory',
  title: 'memory: heap bytes per pending task',
  work: `N tasks each asleep for ${LONG_MS / 60_000} minutes (an async function awaiting the library's sleep); figure = growth of the heap in use (after full GCs) / N. One process per contender, \`--expose-gc\`; Python: \`tracemalloc\` (allocations of the interpreter, the same notion).`,
  metric: 'bytes',
  size: { full: 100_000, quick: 1_000 },
  unit: 'tasks',
  python: ['Python asyncio.create_task + sleep'],
  contenders: [
    {
      name: 'weft createTask + sleep',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const reading = new Reading(n);
          const tasks: Task<void>[] = new Array(n);
          await reading.start();
          for (let i = 0; i < n; i++) {
            tasks[i] = createTask(async () => {
              reading.asleep++;
              await sleep(LONG_MS);
            });
          }
          await reading.asleepNow();
          for (const task of tasks) task.cancel();
          const outcomes = await gather(tasks, { returnExceptions: true });
          return reading.perTask(outcomes.filter((o) => o instanceof CancelledError).length);
        }),
    },
    {
      name: 'weft TaskGroup + sleep',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const reading = new Reading(n);
          const tasks: Task<void>[] = new Array(n);
          let group: TaskGroup | undefined;
          await reading.start();
          const done = TaskGroup.run((tg) => {
            group = tg;
            for (let i = 0; i < n; i++) {
              tasks[i] = tg.createTask(async () => {
                reading.asleep++;
                await sleep(LONG_MS);
              });
            }
          });
          await reading.asleepNow();
          group!.cancel();
          await done;
          return reading.perTask(tasks.filter((t) => t.cancelled()).length);
        }),
    },
    {
      name: 'raw async function + setTimeout promise',
      library: 'raw',
      role: 'baseline',
      run: async (n) => {
        const reading = new Reading(n);
        const timers: ReturnType<typeof setTimeout>[] = new Array(n);
        await reading.start();
        for (let i = 0; i < n; i++) {
          void (async () => {
            reading.asleep++;
            await new Promise((resolve) => {
              timers[i] = setTimeout(resolve, LONG_MS);
            });
          })();
        }
        await reading.asleepNow();
        for (const timer of timers) clearTimeout(timer);
        return reading.perTask(n);
      },
    },
    {
      name: 'Effection spawn + sleep',
      library: 'effection',
      role: 'peer',
      maxN: EFFECTION_MAX_N,
      run: (n) => {
        const reading = new Reading(n);
        let halted = 0;
        return effection.run(function* () {
          const tasks: effection.Task<void>[] = new Array(n);
          yield* effection.until(reading.start());
          for (let i = 0; i < n; i++) {
            tasks[i] = yield* effection.spawn(function* () {
              reading.asleep++;
              try {
                yield* effection.sleep(LONG_MS);
              } finally {
                halted++;
              }
            });
          }
          yield* effection.until(reading.asleepNow());
          yield* effection.until(Promise.all(tasks.map((t) => t.halt())));
          return reading.perTask(halted);
        });
      },
    },
    {
      name: 'Effect forkChild + sleep',
      library: 'effect',
      role: 'peer',
      run: (n) => {
        const reading = new Reading(n);
        return Effect.runPromise(
          Effect.gen(function* () {
            const fibers: Fiber.Fiber<void>[] = new Array(n);
            const body = Effect.suspend(() => {
              reading.asleep++;
              return Effect.sleep(LONG_MS);
            });
            yield* Effect.promise(() => reading.start());
            for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(body);
            yield* Effect.promise(() => reading.asleepNow());
            yield* Fiber.interruptAll(fibers);
            const exits = yield* Fiber.awaitAll(fibers);
            return reading.perTask(exits.filter((e) => Exit.hasInterrupts(e)).length);
          }),
        );
      },
    },
    {
      name: 'abort-controller-x fork + delay',
      library: 'abort-controller-x',
      role: 'peer',
      run: async (n) => {
        const reading = new Reading(n);
        const controller = new AbortController();
        let aborted = 0;
        await reading.start();
        const done = acxSpawn(controller.signal, async (signal, { fork }) => {
          for (let i = 0; i < n; i++) {
            fork(async (signal) => {
              reading.asleep++;
              try {
                await acxDelay(signal, LONG_MS);
              } catch (error) {
                if (isAbortError(error)) aborted++;
                throw error;
              }
            });
          }
          await acxDelay(signal, LONG_MS);
        });
        await reading.asleepNow();
        controller.abort();
        await done.catch((error: unknown) => {
          if (!isAbortError(error)) throw error;
        });
        return reading.perTask(aborted);
      },
    },
  ],
};
