/** weft/jobs on one SQLite file (WAL), through better-sqlite3. */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openJobs } from '../../src/jobs/index.js';
import type { JobsContender } from './contender.js';
import { WeftClient } from './weft-client.js';

export const weftSqlite: JobsContender = {
  id: 'weft-sqlite',
  name: 'weft (SQLite)',
  library: 'weft',
  backend:
    "one SQLite file on local disk, WAL, synchronous = NORMAL (weft's settings), better-sqlite3 12; every process opens its own connection",
  async createStore(dir, label) {
    return join(dir, `${label}.db`);
  },
  async dropStore(path) {
    for (const suffix of ['', '-wal', '-shm', '-journal'])
      rmSync(`${path}${suffix}`, { force: true });
  },
  async open(path) {
    return new WeftClient(await openJobs(`sqlite:${path}`));
  },
};
