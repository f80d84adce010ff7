/**
 * Apply the PostgreSQL store's migrations: the numbered `.sql` files of
 * `migrations/`, one operation each, in order, in one transaction under a
 * transaction-scoped advisory lock, so that many processes starting at once
 * migrate once (the others wait for the lock, then find nothing to do). A
 * schema that a newer weft migrated is refused, untouched.
 *
 * @module
 */

import { readdirSync, readFileSync } from 'node:fs';
import type { PostgresClient } from './types.js';

/** @internal One numbered migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{3})-([a-z0-9-]+)\.sql$/;

/** @internal The migrations shipped beside this module (copied into dist/ by the build). */
export function loadMigrations(): Migration[] {
  const dir = new URL('./migrations/', import.meta.url);
  const migrations = readdirSync(dir)
    .map((file) => FILE.exec(file))
    .filter((match) => match !== null)
    .map((match) => ({
      version: Number(match[1]),
      name: match[2]!,
      sql: readFileSync(new URL(match[0], dir), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  // A gap or a duplicate number is a packaging mistake: refuse to run half a schema.
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(
        `weft's PostgreSQL migrations are incomplete: expected ${i + 1}, found ${m.version}-${m.name}`,
      );
    }
  });
  return migrations;
}

/** Double quotes around an identifier, as PostgreSQL reads it. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * @internal Bring `schema` to the latest version with `client` (not inside
 * a transaction). Resolves the version it is at.
 */
export async function migrate(client: PostgresClient, schema: string): Promise<number> {
  const migrations = loadMigrations();
  const latest = migrations.length;
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    // One lock per schema: migrating another schema never waits for this one.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`weft migrations ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.weft_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query(`SELECT max(version) AS v FROM ${s}.weft_migrations`);
    const current = (rows[0] as { v: number | null } | undefined)?.v ?? 0;
    if (current > latest) {
      throw new Error(
        `The job store's schema ${s} is version ${current}, newer than this weft knows (${latest}): a newer weft migrated it. Upgrade weft here; the schema is left untouched.`,
      );
    }
    if (current < latest) {
      // The files name their tables without a schema: they land in this one.
      await client.query(`SET LOCAL search_path TO ${s}`);
      for (const migration of migrations) {
        if (migration.version <= current) continue;
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${s}.weft_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
    }
    await client.query('COMMIT');
    return latest;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
