/**
 * bench:core — create and await 100k tasks with weft, against raw
 * `Promise.all` of the same async functions, in one process run.
 *
 * Node's AsyncLocalStorage changes the cost of every promise once it is in
 * use (on Node 20 it installs promise hooks), so the raw baseline is
 * measured twice: before weft has run anything (pure) and interleaved with
 * weft (same conditions). The headline ratio uses the pure baseline.
 *
 * "raw + AsyncLocalStorage.run" shows the floor that carrying a context per
 * task sets, whatever the library does on top.
 *
 * Usage: npm run bench:core [-- --n 100000 --rounds 15]
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { createTask, gather, run, TaskGroup } from '../src/index.js';
import { median, numberArg, spread, time } from './stats.js';

const arg = numberArg;
const N = arg('n', 100_000);
const ROUNDS = arg('rounds', 15);
const WARMUP = Math.max(2, Math.floor(ROUNDS / 3));

const floor = new AsyncLocalStorage<number>();

async function work(i: number): Promise<number> {
  await null;
  return i;
}

function check(results: readonly number[]): void {
  if (results.length !== N) throw new Error(`expected ${N} results, got ${results.length}`);
  for (let i = 0; i < N; i += 9973) {
    if (results[i] !== i) throw new Error(`result ${i} is ${results[i]}`);
  }
}

const scenarios: Record<string, () => Promise<void>> = {
  'raw Promise.all': async () => {
    const ps: Promise<number>[] = new Array(N);
    for (let i = 0; i < N; i++) ps[i] = work(i);
    check(await Promise.all(ps));
  },
  // The floor for any library that carries a context per task: one
  // AsyncLocalStorage.run per call and nothing else.
  'raw + AsyncLocalStorage.run': async () => {
    const ps: Promise<number>[] = new Array(N);
    for (let i = 0; i < N; i++) ps[i] = floor.run(i, work, i);
    check(await Promise.all(ps));
  },
  'weft createTask + gather': async () => {
    const tasks = new Array(N);
    for (let i = 0; i < N; i++) tasks[i] = createTask(() => work(i));
    check((await gather(tasks)) as number[]);
  },
  'weft createTask + await each': async () => {
    const tasks = new Array(N);
    for (let i = 0; i < N; i++) tasks[i] = createTask(() => work(i));
    const out: number[] = new Array(N);
    for (let i = 0; i < N; i++) out[i] = await tasks[i];
    check(out);
  },
  'weft TaskGroup': async () => {
    const tasks = await TaskGroup.run((tg) => {
      const list = new Array(N);
      for (let i = 0; i < N; i++) list[i] = tg.createTask(() => work(i));
      return list;
    });
    check(tasks.map((t) => t.result()));
  },
};

const rawFn = scenarios['raw Promise.all']!;
// 1. Pure baseline: before weft has touched AsyncLocalStorage.
for (let i = 0; i < WARMUP; i++) await time(rawFn);
const pure: number[] = [];
for (let i = 0; i < ROUNDS; i++) pure.push(await time(rawFn));

// 2. Interleaved: every contender once per round, inside run().
const samples = new Map<string, number[]>(Object.keys(scenarios).map((k) => [k, []]));
await run(async () => {
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (const [name, fn] of Object.entries(scenarios)) {
      const ms = await time(fn);
      if (round >= WARMUP) samples.get(name)!.push(ms);
    }
  }
});

const base = median(pure);
const sameRaw = median(samples.get('raw Promise.all')!);
const floorMs = median(samples.get('raw + AsyncLocalStorage.run')!);
const ratio = (m: number, of: number): string => `${(m / of).toFixed(2)}x`;
const columns = ['median ms', 'IQR ms', 'vs pure raw', 'vs raw (same run)', 'vs ALS floor'];
const widths = [11, 15, 13, 19, 14];
const row = (first: string, cells: string[]): string =>
  first.padEnd(32) + cells.map((c, i) => c.padStart(widths[i]!)).join('');

console.log(
  `bench:core — ${N.toLocaleString('en')} tasks, ${ROUNDS} rounds, Node ${process.version}`,
);
console.log(row('contender', columns));
const line = (name: string, xs: number[]): void => {
  const m = median(xs);
  console.log(
    row(name, [m.toFixed(1), spread(xs), ratio(m, base), ratio(m, sameRaw), ratio(m, floorMs)]),
  );
};
line('raw Promise.all (pure)', pure);
for (const [name, xs] of samples) line(name, xs);
