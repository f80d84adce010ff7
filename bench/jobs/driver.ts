/**
 * Which better-sqlite3 the bench loads. The project's own is built for one
 * Node ABI (the machine's Node 20); to measure another Node, give
 * `WEFT_BENCH_BETTER_SQLITE3=/path/to/node_modules` holding a
 * better-sqlite3 built for it. Imported first by run.ts and worker.ts (the
 * worker processes inherit the variable), before any store is opened: weft
 * loads the driver lazily, on the first `openJobs('sqlite:…')`.
 */

import { register } from 'node:module';

/** The node_modules directory the driver comes from, when not the project's own. */
export const DRIVER_DIR = process.env.WEFT_BENCH_BETTER_SQLITE3;

if (DRIVER_DIR !== undefined && DRIVER_DIR !== '') {
  register('./driver-hook.mjs', import.meta.url, { data: { dir: DRIVER_DIR } });
}
