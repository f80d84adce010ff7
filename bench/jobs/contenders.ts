/**
 * The contenders of `npm run bench:jobs`, in report order: weft's stores,
 * then the peers, each a module implementing `JobsContender`. Loaded by id,
 * so a worker process imports only its own library.
 */

import type { JobsContender } from './contender.js';

export const CONTENDER_IDS = [
  'weft-sqlite',
  'weft-postgres',
  'graphile-worker',
  'graphile-worker-batched',
  'pg-boss',
  'bullmq',
] as const;

export async function loadContender(id: string): Promise<JobsContender> {
  switch (id) {
    case 'weft-sqlite':
      return (await import('./weft-sqlite.js')).weftSqlite;
    case 'weft-postgres':
      return (await import('./weft-postgres.js')).weftPostgres;
    case 'graphile-worker':
      return (await import('./graphile-worker.js')).graphileWorker;
    case 'graphile-worker-batched':
      return (await import('./graphile-worker.js')).graphileWorkerBatched;
    case 'pg-boss':
      return (await import('./pg-boss.js')).pgBoss;
    case 'bullmq':
      return (await import('./bullmq.js')).bullmq;
    default:
      throw new RangeError(
        `Expected a jobs contender among ${CONTENDER_IDS.join(', ')}, got '${id}'`,
      );
  }
}
