/**
 * Write `BENCHMARKS.md` (or another report file) from every result in a
 * directory: the suite's `node*.json`, bench:jobs' `jobs-node*.json` and
 * bench:web's `web-node*.json`. `npm run bench`, `npm run bench:jobs` and
 * `npm run bench:web` regenerate the whole file through here, so none drops
 * the others' sections.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadJobsResults } from './jobs/results.js';
import { renderReport } from './report.js';
import { loadResults } from './results.js';
import { loadWebResults } from './web-results.js';

/**
 * The committed report is formatted as `npm run lint` wants it (Biome pads
 * Markdown tables). Reports elsewhere (quick runs, tests) are left as written.
 */
function formatReport(root: string, file: string): void {
  if (file !== join(root, 'BENCHMARKS.md')) return;
  try {
    execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', file], {
      cwd: root,
      stdio: 'ignore',
    });
  } catch {
    console.warn('BENCHMARKS.md could not be formatted with Biome: run `npm run format`');
  }
}

/** Render the results found in `resultsDir` into `out`. */
export function writeReport(root: string, resultsDir: string, out: string): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    renderReport(loadResults(resultsDir), loadJobsResults(resultsDir), loadWebResults(resultsDir)),
  );
  formatReport(root, out);
}
