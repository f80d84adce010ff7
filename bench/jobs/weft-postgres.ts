/** weft/jobs on PostgreSQL: one schema per scenario, a pg.Pool per process. */

import { openJobs } from '../../src/jobs/index.js';
import type { JobsContender } from './contender.js';
import { analyzeSchemaStore, dropSchemaStore, freshSchemaStore, parseStore } from './postgres.js';
import { WeftClient } from './weft-client.js';

export const weftPostgres: JobsContender = {
  id: 'weft-postgres',
  name: 'weft (PostgreSQL)',
  library: 'weft',
  backend:
    "PostgreSQL 15 on 127.0.0.1, weft's defaults: a pg.Pool of 10 per process, LISTEN/NOTIFY wake-ups, a 30 s lease renewed every 10 s, SKIP LOCKED batch claims",
  async createStore(_dir, label) {
    return freshSchemaStore('weft', label);
  },
  dropStore: dropSchemaStore,
  steady: analyzeSchemaStore,
  async open(store) {
    const { url, schema } = parseStore(store);
    return new WeftClient(await openJobs(url, { schema }));
  },
};
