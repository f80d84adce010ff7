/**
 * Shared by the property tests: run a random program under `run()` with a
 * guard against hangs, recording what must never happen (unhandled
 * rejections, unretrieved task errors, weft warnings).
 */
import { run, type TaskFn } from '../src/index.js';

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export function settle<T>(promise: PromiseLike<T>): Promise<Settled<T>> {
  return Promise.resolve(promise).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Let the event loop turn, so that late unhandled-rejection reports arrive. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Run `main` under weft's `run()`, with a guard against hangs, while
 * recording unhandled rejections, unretrieved task errors and weft warnings.
 */
export async function runWatched<T>(main: TaskFn<T>): Promise<{
  outcome: Settled<T>;
  unhandled: unknown[];
  unretrieved: unknown[];
  warnings: Error[];
}> {
  const unhandled: unknown[] = [];
  const unretrieved: unknown[] = [];
  const warnings: Error[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  const onWarning = (warning: Error): void => {
    if (warning.name === 'WeftWarning') warnings.push(warning);
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('warning', onWarning);
  let guard: ReturnType<typeof setTimeout> | undefined;
  try {
    const hang = new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(new Error('run() did not settle within 10 s')), 10_000);
    });
    const outcome = await Promise.race([
      settle(run(main, { onUnretrievedError: (error) => unretrieved.push(error) })),
      hang,
    ]);
    await turns(2);
    return { outcome, unhandled, unretrieved, warnings };
  } finally {
    clearTimeout(guard);
    process.off('unhandledRejection', onUnhandled);
    process.off('warning', onWarning);
  }
}
