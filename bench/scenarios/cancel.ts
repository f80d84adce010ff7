/**
 * Scenario 3: cancel N sleeping tasks and wait until every one has settled.
 * Only the cancellation is timed: the tasks are started (and have reached
 * their sleep) before the clock starts.
 */

import { AbortError, delay as acxDelay, spawn as acxSpawn, isAbortError } from 'abort-controller-x';
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

/** Long enough never to end on its own during a run. */
const LONG_MS = 600_000;

/** Counts the tasks that reached their sleep and those that got past it (none may). */
class Census {
  asleep = 0;
  woke = 0;

  checkStarted(n: number): void {
    if (this.asleep !== n)
      fail(`${this.asleep} of ${n} tasks reached their sleep before the cancel`);
  }

  checkStopped(cancelled: number, n: number): void {
    if (this.woke !== 0) fail(`${this.woke} tasks ran past their sleep`);
    if (cancelled !== n) fail(`${cancelled} of ${n} tasks ended cancelled`);
  }
}

/** Time `cancel()` and the wait for all to settle. */
async function timed(cancel: () => Promise<number>, census: Census, n: number): Promise<number> {
  census.checkStarted(n);
  const started = performance.now();
  const cancelled = await cancel();
  const ms = performance.now() - started;
  census.checkStopped(cancelled, n);
  return ms;
}

export const scenario: Scenario = {
  id: 'cancel',
  title: 'cancel N sleeping tasks, wait until all settled',
  work: `N tasks each sleeping ${LONG_MS / 60_000} minutes are started and reach their sleep (untimed); the clock then runs from the first cancellation until every task has settled. Each contender checks that every task reached its sleep, none ran past it, and all N ended cancelled.`,
  metric: 'ms',
  size: { full: 100_000, quick: 1_000 },
  unit: 'tasks',
  python: ['Python task.cancel + gather'],
  contenders: [
    {
      name: 'weft Task.cancel + gather',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const census = new Census();
          const tasks: Task<void>[] = new Array(n);
          for (let i = 0; i < n; i++) {
            tasks[i] = createTask(async () => {
              census.asleep++;
              await sleep(LONG_MS);
              census.woke++;
            });
          }
          await nextTurn();
          return timed(
            async () => {
              for (let i = 0; i < n; i++) tasks[i]!.cancel();
              const outcomes = await gather(tasks, { returnExceptions: true });
              return outcomes.filter((o) => o instanceof CancelledError).length;
            },
            census,
            n,
          );
        }),
    },
    {
      name: 'weft TaskGroup.cancel',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const census = new Census();
          const tasks: Task<void>[] = new Array(n);
          let group: TaskGroup | undefined;
          const done = TaskGroup.run((tg) => {
            group = tg;
            for (let i = 0; i < n; i++) {
              tasks[i] = tg.createTask(async () => {
                census.asleep++;
                await sleep(LONG_MS);
                census.woke++;
              });
            }
          });
          await nextTurn();
          return timed(
            async () => {
              group!.cancel();
              await done;
              return tasks.filter((t) => t.cancelled()).length;
            },
            census,
            n,
          );
        }),
    },
    {
      name: 'Effection Task.halt each',
      library: 'effection',
      role: 'peer',
      maxN: EFFECTION_MAX_N,
      run: async (n) => {
        const census = new Census();
        let halted = 0;
        return effection.run(function* () {
          const tasks: effection.Task<void>[] = new Array(n);
          for (let i = 0; i < n; i++) {
            tasks[i] = yield* effection.spawn(function* () {
              census.asleep++;
              try {
                yield* effection.sleep(LONG_MS);
                census.woke++;
              } finally {
                halted++;
              }
            });
          }
          yield* effection.until(nextTurn());
          return yield* effection.until(
            timed(
              async () => {
                await Promise.all(tasks.map((t) => t.halt()));
                return halted;
              },
              census,
              n,
            ),
          );
        });
      },
    },
    {
      name: 'Effect Fiber.interruptAll',
      library: 'effect',
      role: 'peer',
      run: (n) => {
        const census = new Census();
        return Effect.runPromise(
          Effect.gen(function* () {
            const fibers: Fiber.Fiber<void>[] = new Array(n);
            const body = Effect.suspend(() => {
              census.asleep++;
              return Effect.sleep(LONG_MS).pipe(
                Effect.map(() => {
                  census.woke++;
                  return undefined;
                }),
              );
            });
            for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(body);
            yield* Effect.promise(nextTurn);
            census.checkStarted(n);
            const started = performance.now();
            yield* Fiber.interruptAll(fibers);
            const ms = performance.now() - started;
            const exits = yield* Fiber.awaitAll(fibers);
            census.checkStopped(exits.filter((e) => Exit.hasInterrupts(e)).length, n);
            return ms;
          }),
        );
      },
    },
    {
      name: 'abort-controller-x abort of spawn',
      library: 'abort-controller-x',
      role: 'peer',
      run: async (n) => {
        const census = new Census();
        const controller = new AbortController();
        let aborted = 0;
        const done = acxSpawn(controller.signal, async (signal, { fork }) => {
          for (let i = 0; i < n; i++) {
            fork(async (signal) => {
              census.asleep++;
              try {
                await acxDelay(signal, LONG_MS);
                census.woke++;
              } catch (error) {
                if (isAbortError(error)) aborted++;
                throw error;
              }
            });
          }
          await acxDelay(signal, LONG_MS);
        });
        await nextTurn();
        return timed(
          async () => {
            controller.abort();
            const outcome = await done.then(
              () => undefined,
              (error: unknown) => error,
            );
            if (!(outcome instanceof AbortError)) fail(`spawn ended with ${String(outcome)}`);
            return aborted;
          },
          census,
          n,
        );
      },
    },
  ],
};
