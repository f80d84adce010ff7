/** Timing and summary helpers shared by the benchmarks. */

const gc = (globalThis as { gc?: () => void }).gc;

/** True when node runs with `--expose-gc`: `time()` then collects before measuring. */
export const collectsGarbage = gc !== undefined;

/** Milliseconds `fn` takes (after a full GC, when available). */
export async function time(fn: () => Promise<void>): Promise<number> {
  gc?.();
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** The `q` quantile of `xs` (0 ≤ q ≤ 1), interpolated between the nearest samples. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return s[low]! + (s[high]! - s[low]!) * (at - low);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** The interquartile range, as `low–high` in ms. */
export function spread(xs: readonly number[]): string {
  return `${quantile(xs, 0.25).toFixed(1)}–${quantile(xs, 0.75).toFixed(1)}`;
}

const argv = process.argv.slice(2);

/** `--name` given on the command line. */
export function flag(name: string): boolean {
  return argv.includes(`--${name}`);
}

/** The number after `--name`, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

/** Every text given after `--name` (the option may repeat). */
export function textArgs(name: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < argv.length - 1; i++) if (argv[i] === `--${name}`) found.push(argv[i + 1]!);
  return found;
}

/** The text after `--name`, or `fallback`. */
export function textArg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
}
