/**
 * Scenario 8: N operations one after another, each under a timeout that
 * does not fire.
 */

import * as Effect from 'effect/Effect';
import { run, timeout } from '../../src/index.js';
import { fail, type Scenario } from '../harness.js';

/** Far longer than any run: the timeouts never fire. */
const LIMIT_MS = 60_000;

async function work(i: number): Promise<number> {
  await null;
  return i;
}

/** Sum of the results: each operation ran once, with its own value. */
class Total {
  sum = 0;

  add(value: number): void {
    this.sum += value;
  }

  check(n: number): undefined {
    const expected = (n * (n - 1)) / 2;
    if (this.sum !== expected) fail(`results add up to ${this.sum}, expected ${expected}`);
    return undefined;
  }
}

/**
 * What code without a library writes: a controller, a timer that aborts it,
 * and a race between the work and the abort; the timer cleared at the end.
 */
async function rawTimeout(ms: number, i: number): Promise<number> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timed out')), ms);
  try {
    return await withAbort(controller.signal, work(i));
  } finally {
    clearTimeout(timer);
  }
}

/** Settle with `promise`, or reject once `signal` aborts; the listener removed either way. */
function withAbort<T>(signal: AbortSignal, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export const scenario: Scenario = {
  id: 'timeouts',
  title: 'timeouts that do not fire',
  work: `N operations one after another, each \`await null; return i\` (Python: \`await asyncio.sleep(0)\`) under a ${LIMIT_MS / 1000} s timeout that never fires; checked: the sum of the results.`,
  metric: 'ms',
  size: { full: 50_000, quick: 1_000 },
  unit: 'operations',
  python: ['Python asyncio.timeout'],
  contenders: [
    {
      name: 'weft timeout',
      library: 'weft',
      role: 'weft',
      usesStorage: true,
      run: (n) =>
        run(async () => {
          const total = new Total();
          for (let i = 0; i < n; i++) total.add(await timeout(LIMIT_MS, () => work(i)));
          return total.check(n);
        }),
    },
    {
      name: 'raw AbortController + setTimeout/clearTimeout',
      library: 'raw',
      role: 'baseline',
      run: async (n) => {
        const total = new Total();
        for (let i = 0; i < n; i++) total.add(await rawTimeout(LIMIT_MS, i));
        return total.check(n);
      },
    },
    {
      name: 'AbortSignal.timeout + abort listener',
      library: 'raw',
      role: 'baseline',
      run: async (n) => {
        const total = new Total();
        for (let i = 0; i < n; i++) {
          total.add(await withAbort(AbortSignal.timeout(LIMIT_MS), work(i)));
        }
        return total.check(n);
      },
    },
    {
      name: 'Effect timeout',
      library: 'effect',
      role: 'peer',
      run: (n) => {
        const total = new Total();
        return Effect.runPromise(
          Effect.gen(function* () {
            for (let i = 0; i < n; i++) {
              total.add(yield* Effect.promise(() => work(i)).pipe(Effect.timeout(LIMIT_MS)));
            }
            return total.check(n);
          }),
        );
      },
    },
    {
      name: 'Effection',
      library: 'effection',
      role: 'peer',
      na: 'no timeout operation (the idiom is race() against sleep())',
    },
  ],
};
