/**
 * The benchmark suite's model and its measuring loop.
 *
 * A scenario is one piece of work (spawn and await N tasks, N sleeps, ...)
 * done by several contenders: weft, plain Node code, and the libraries users
 * would pick instead. `bench/run.ts` runs each scenario in a fresh child
 * process (`bench/child.ts`), where {@link measure} times every contender in
 * the same process run, interleaved round by round.
 *
 * A contender checks its own result (counts, order, mutual exclusion) and
 * calls {@link fail} when it is wrong: the child exits non-zero and the whole
 * run fails, so a broken contender can never look fast.
 */

/** Who a row measures; `raw` is plain Node code, the floor everyone builds on. */
export type Library =
  | 'weft'
  | 'raw'
  | 'effection'
  | 'effect'
  | 'abort-controller-x'
  | 'async-mutex'
  | 'p-limit'
  | 'p-queue'
  | 'python';

/**
 * `weft`: one of weft's rows (the first one of a scenario is the reference
 * every ratio is taken against); `peer`: a library users would pick
 * instead; `baseline`: plain code, the floor.
 */
export type Role = 'weft' | 'peer' | 'baseline';

export interface Contender {
  name: string;
  library: Library;
  role: Role;
  /**
   * Runs the work once at size `n` and checks it. Returns the figure when it
   * measures only part of its run itself (ms, or bytes per task for a
   * memory scenario); otherwise the harness times the whole call.
   */
  run?: (n: number) => Promise<number | undefined>;
  /** Why this library cannot express the scenario (the row says so instead of a figure). */
  na?: string;
  /**
   * Uses `AsyncLocalStorage` (weft itself, the floor row). Such rows are left
   * out of the first phase, which measures everything else before any
   * storage is in use (on Node 20 that installs promise hooks for the rest
   * of the process).
   */
  usesStorage?: boolean;
  /**
   * The largest size it runs at. Above it, the contender runs at `maxN` and
   * its time is scaled linearly to the scenario's size (the report says so).
   */
  maxN?: number;
}

export interface Scenario {
  /** Short id for `--only` and for the results file. */
  id: string;
  title: string;
  /** What every contender does, for the report. */
  work: string;
  /** `ms`: time of one run; `bytes`: heap bytes per pending task. */
  metric: 'ms' | 'bytes';
  size: { full: number; quick: number };
  /** What one unit of `n` is (tasks, cycles, items, operations). */
  unit: string;
  contenders: Contender[];
  /** Rows the Python script reports for this scenario (`bench/python/asyncio_bench.py`). */
  python: string[];
}

/** Throw the failure that stops the run: a contender computed a wrong result. */
export function fail(message: string): never {
  throw new Error(`check failed: ${message}`);
}

export interface MeasureOptions {
  n: number;
  /** Times are scaled to `n` for a contender with `maxN`; per-task figures are not. */
  metric: 'ms' | 'bytes';
  warmup: number;
  rounds: number;
  /** At least this many samples per contender, whatever the budget. */
  minSamples: number;
  /** Once a contender has spent this long (ms) in measured rounds, it gets no more. */
  budgetMs: number;
  /**
   * Who is measured in a first phase, before any `AsyncLocalStorage` is in
   * use: every contender that does not use one (`all`), only the plain-code
   * baselines (`baselines`), or nobody.
   */
  alonePhase: 'all' | 'baselines' | 'none';
  /** Called after each sample, for progress output. */
  onSample?: (name: string, value: number) => void;
}

export interface Measured {
  name: string;
  /** The size it ran at (below the scenario's for a contender with `maxN`). */
  n: number;
  /** Figures in the common phase, scaled to the scenario's size. */
  samples: number[];
  /** Figures of the first phase, before any `AsyncLocalStorage` was in use. */
  alone?: number[];
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Run `contender` once at its size, returning its figure (a time scaled to
 * `n`). A warm-up run is a quarter of the size: enough for the code to be
 * compiled and optimised, at a quarter of the cost.
 */
async function sample(
  contender: Contender,
  n: number,
  scale: boolean,
  warmup = false,
): Promise<number> {
  const full = Math.min(n, contender.maxN ?? n);
  const size = warmup ? Math.ceil(full / 4) : full;
  gc?.();
  const start = performance.now();
  const own = await contender.run!(size);
  const value = own ?? performance.now() - start;
  return scale ? value * (n / size) : value;
}

/**
 * Measure the runnable contenders of a scenario: warm-up rounds, then
 * measured rounds in which every contender runs once, in a rotating order
 * (no contender always inherits the previous one's garbage). A full GC runs
 * before every sample when node has `--expose-gc`.
 */
export async function measure(
  contenders: Contender[],
  options: MeasureOptions,
): Promise<Measured[]> {
  const runnable = contenders.filter((c) => c.run !== undefined);
  const results = new Map<string, Measured>(
    runnable.map((c) => [
      c.name,
      { name: c.name, n: Math.min(options.n, c.maxN ?? options.n), samples: [] },
    ]),
  );
  // A contender measured in the first phase needs no second warm-up.
  const warm = new Set<string>();
  const phase = async (
    list: Contender[],
    rounds: number,
    minSamples: (c: Contender) => number,
    budgetMs: number,
    into: (m: Measured) => number[],
  ) => {
    const spent = new Map<string, number>(list.map((c) => [c.name, 0]));
    for (let round = 0; round < options.warmup + rounds; round++) {
      const measured = round >= options.warmup;
      for (let k = 0; k < list.length; k++) {
        const contender = list[(round + k) % list.length]!;
        if (!measured && warm.has(contender.name)) continue;
        const samples = into(results.get(contender.name)!);
        if (
          measured &&
          samples.length >= minSamples(contender) &&
          spent.get(contender.name)! > budgetMs
        ) {
          continue;
        }
        const started = performance.now();
        const value = await sample(contender, options.n, options.metric === 'ms', !measured);
        if (!measured) continue;
        warm.add(contender.name);
        spent.set(contender.name, spent.get(contender.name)! + performance.now() - started);
        samples.push(value);
        options.onSample?.(contender.name, value);
      }
    }
  };
  if (options.alonePhase !== 'none') {
    const alone = runnable.filter(
      (c) =>
        !c.usesStorage &&
        (c.role === 'baseline' || (options.alonePhase === 'all' && c.role === 'peer')),
    );
    for (const c of alone) results.get(c.name)!.alone = [];
    // Peers get one sample here (it only shows what the storage costs them);
    // baselines, the floor of some targets, get their full count.
    await phase(
      alone,
      Math.ceil(options.rounds / 2),
      (c) => (c.role === 'baseline' ? options.minSamples : 1),
      options.budgetMs / 3,
      (m) => m.alone!,
    );
  }
  await phase(
    runnable,
    options.rounds,
    () => options.minSamples,
    options.budgetMs,
    (m) => m.samples,
  );
  return [...results.values()];
}
