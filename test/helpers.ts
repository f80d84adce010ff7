/** Small helpers shared by the tests. */

import { getEventListeners } from 'node:events';

/** Resolve after `n` macrotask turns (lets timers at 0 ms and immediates run). */
export async function ticks(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Plain delay, not a weft checkpoint. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

/** Collect weft warnings emitted while `fn` runs (and one macrotask after). */
export async function captureWarnings(fn: () => Promise<unknown>): Promise<Error[]> {
  const seen: Error[] = [];
  const onWarning = (w: Error): void => {
    seen.push(w);
  };
  process.on('warning', onWarning);
  try {
    await fn().catch(() => {});
    await ticks(2);
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

/**
 * Point `weft`, `weft/web/...`, `weft/workers` and `weft/jobs` imports of a doc example at
 * the sources, and its `./x.worker.js` modules at examples/ (from `.tmp/<dir>/`).
 */
export function localImports(code: string): string {
  return code
    .replace(/new URL\('\.\/([\w.-]+\.worker\.js)'/g, "new URL('../../examples/$1'")
    .replaceAll("from 'weft/workers'", "from '../../src/workers/index.js'")
    .replaceAll("from 'weft/jobs'", "from '../../src/jobs/index.js'")
    .replace(/from 'weft\/web\/(\w+)'/g, "from '../../src/web/$1/index.js'")
    .replaceAll("from 'weft/web'", "from '../../src/web/index.js'")
    .replaceAll("from 'weft'", "from '../../src/index.js'");
}
