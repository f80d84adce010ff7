/**
 * The contenders of `npm run bench:jobs`, in report order: weft's stores,
 * then the peers (graphile-worker, pg-boss and BullMQ come with the
 * PostgreSQL store, each a module implementing `JobsContender`).
 * Loaded by id, so a worker process imports only its own.
 */

import type { JobsContender } from './contender.js';

export const CONTENDER_IDS = ['weft-sqlite'] as const;

export async function loadContender(id: string): Promise<JobsContender> {
  switch (id) {
    case 'weft-sqlite':
      return (await import('./weft-sqlite.js')).weftSqlite;
    default:
      throw new RangeError(
        `Expected a jobs contender among ${CONTENDER_IDS.join(', ')}, got '${id}'`,
      );
  }
}
