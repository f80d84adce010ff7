/** Helpers shared by the scenarios. */

/**
 * Effection's cost per task grows with the number of tasks alive at once
 * (at 100k tasks a single run takes tens of seconds, mostly in the garbage
 * collector), so it runs at this size and its time is scaled linearly: a
 * figure that flatters it.
 */
export const EFFECTION_MAX_N = 2_000;

const cache = new Map<number, number[]>();

/** `[0, 1, ..., n - 1]`, built once per size. */
export function indices(n: number): number[] {
  let list = cache.get(n);
  if (list === undefined) {
    list = Array.from({ length: n }, (_, i) => i);
    cache.set(n, list);
  }
  return list;
}

/** Resolve after one turn of the event loop: every task started so far has reached its first wait. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
