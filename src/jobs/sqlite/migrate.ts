/**
 * Apply the SQLite store's migrations: in one `BEGIN IMMEDIATE`
 * transaction, so that many processes opening the same file at once
 * migrate it once (the others wait for the lock, then find nothing to do).
 *
 * @module
 */

import type BetterSqlite3 from 'better-sqlite3';
import { migrations } from './migrations/index.js';

/** @internal The schema version this code writes. */
export const LATEST = migrations[migrations.length - 1]!.version;

/** @internal Bring `db` to the latest schema; refuse a schema newer than this code. */
export function migrate(db: BetterSqlite3.Database): void {
  const apply = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS weft_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT    NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    const row = db.prepare('SELECT max(version) AS v FROM weft_migrations').get() as {
      v: number | null;
    };
    const current = row.v ?? 0;
    if (current > LATEST) {
      throw new Error(
        `The job store's schema is version ${current}, newer than this weft knows (${LATEST}): a newer weft migrated it. Upgrade weft here; the store is left untouched.`,
      );
    }
    const record = db.prepare(
      'INSERT INTO weft_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }
  });
  apply.immediate();
}
