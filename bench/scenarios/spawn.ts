/**
 * Scenario 1: spawn N tasks, each one `await` of a resolved promise, and
 * await them all.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn as acxSpawn } from 'abort-controller-x';
import * as Effect from 'effect/Effect';
import * as Fiber from 'effect/Fiber';
import * as effection from 'effection';
import { createTask, gather, run, type Task, TaskGroup } from '../../src/index.js';
import { fail, type Scenario } from '../harness.js';
import { EFFECTION_MAX_N, indices } from './common.js';

/** The work of every task: one `await` of a resolved promise. */
async function work(i: number): Promise<number> {
  await null;
  return i;
}

function check(results: readonly unknown[], n: number): undefined {
  if (results.length !== n) fail(`${results.length} results, expected ${n}`);
  for (let i = 0; i < n; i++) {
    if (results[i] !== i) fail(`result ${i} is ${String(results[i])}`);
  }
  return undefined;
}

const floor = new AsyncLocalStorage<number>();

/** Effection's tasks, each awaiting the work's promise with `until` (lighter than `call`). */
function* effectionSpawn(n: number): effection.Operation<effection.Task<number>[]> {
  const tasks: effection.Task<number>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    tasks[i] = yield* effection.spawn(function* () {
      return yield* effection.until(work(i));
    });
  }
  return tasks;
}

export const scenario: Scenario = {
  id: 'spawn',
  title: 'spawn + await N tasks',
  work: 'N tasks, each `await null; return i` (Python: `await asyncio.sleep(0); return i`), all awaited; results checked in order.',
  metric: 'ms',
  size: { full: 100_000, quick: 1_000 },
  unit: 'tasks',
  python: ['Python asyncio.gather', 'Python asyncio.TaskGroup'],
  contenders: [
    {
      name: 'weft createTask + gather',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const tasks: Task<number>[] = new Array(n);
          for (let i = 0; i < n; i++) tasks[i] = createTask(() => work(i));
          return check(await gather(tasks), n);
        }),
    },
    {
      name: 'weft TaskGroup',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const tasks = await TaskGroup.run((tg) => {
            const list: Task<number>[] = new Array(n);
            for (let i = 0; i < n; i++) list[i] = tg.createTask(() => work(i));
            return list;
          });
          return check(
            tasks.map((t) => t.result()),
            n,
          );
        }),
    },
    {
      name: 'raw Promise.all',
      library: 'raw',
      role: 'baseline',
      run: async (n) => {
        const ps: Promise<number>[] = new Array(n);
        for (let i = 0; i < n; i++) ps[i] = work(i);
        return check(await Promise.all(ps), n);
      },
    },
    {
      // The floor for anything that carries a context per task, as weft's
      // design requires: one AsyncLocalStorage.run per call, nothing else.
      name: 'raw + AsyncLocalStorage.run per task',
      library: 'raw',
      role: 'baseline',
      usesStorage: true,
      run: async (n) => {
        const ps: Promise<number>[] = new Array(n);
        for (let i = 0; i < n; i++) ps[i] = floor.run(i, work, i);
        return check(await Promise.all(ps), n);
      },
    },
    {
      // The same floor with the one thing createTask's signature adds: the
      // caller's closure per task (`() => work(i)`, a function object and the
      // context holding `i`). Every weft row pays for it; the row above does
      // not, so it shows how much of weft's distance to the floor is the
      // closure and how much is weft.
      name: 'raw + AsyncLocalStorage.run of a closure per task',
      library: 'raw',
      role: 'baseline',
      usesStorage: true,
      run: async (n) => {
        const ps: Promise<number>[] = new Array(n);
        for (let i = 0; i < n; i++) ps[i] = floor.run(i, () => work(i));
        return check(await Promise.all(ps), n);
      },
    },
    {
      name: 'Effection spawn + all',
      library: 'effection',
      role: 'peer',
      maxN: EFFECTION_MAX_N,
      run: async (n) =>
        check(
          await effection.run(function* () {
            return yield* effection.all(yield* effectionSpawn(n));
          }),
          n,
        ),
    },
    {
      // all() watches each operation in a task of its own; awaiting the tasks one by one does not.
      name: 'Effection spawn + yield* each task',
      library: 'effection',
      role: 'peer',
      maxN: EFFECTION_MAX_N,
      run: async (n) =>
        check(
          await effection.run(function* () {
            const tasks = yield* effectionSpawn(n);
            const results: number[] = new Array(n);
            for (let i = 0; i < n; i++) results[i] = yield* tasks[i]!;
            return results;
          }),
          n,
        ),
    },
    {
      name: "Effect forEach { concurrency: 'unbounded' }",
      library: 'effect',
      role: 'peer',
      run: async (n) =>
        check(
          await Effect.runPromise(
            Effect.forEach(indices(n), (i) => Effect.promise(() => work(i)), {
              concurrency: 'unbounded',
            }),
          ),
          n,
        ),
    },
    {
      name: 'Effect forkChild + Fiber.joinAll',
      library: 'effect',
      role: 'peer',
      run: async (n) =>
        check(
          await Effect.runPromise(
            Effect.gen(function* () {
              const fibers: Fiber.Fiber<number>[] = new Array(n);
              for (let i = 0; i < n; i++) {
                fibers[i] = yield* Effect.forkChild(Effect.promise(() => work(i)));
              }
              return yield* Fiber.joinAll(fibers);
            }),
          ),
          n,
        ),
    },
    {
      name: 'abort-controller-x spawn + fork',
      library: 'abort-controller-x',
      role: 'peer',
      run: async (n) =>
        check(
          await acxSpawn(new AbortController().signal, (_signal, { fork }) => {
            const joins: Promise<number>[] = new Array(n);
            for (let i = 0; i < n; i++) joins[i] = fork(() => work(i)).join();
            return Promise.all(joins);
          }),
          n,
        ),
    },
  ],
};
