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

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The interquartile range, as `low–high` in ms. */
export function spread(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length * 0.25)]!.toFixed(1)}–${s[Math.floor(s.length * 0.75)]!.toFixed(1)}`;
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

/** The text after `--name`, or `fallback`. */
export function textArg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
}
