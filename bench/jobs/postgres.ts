/**
 * The PostgreSQL database the jobs benchmark uses, and fresh schemas in it:
 * every PostgreSQL contender runs each scenario in its own schema, dropped
 * afterwards. `WEFT_BENCH_POSTGRES_URL` overrides the local default.
 */

import pg from 'pg';

export const BENCH_POSTGRES_URL =
  process.env.WEFT_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** What a PostgreSQL contender's `createStore` returns (as JSON text). */
export interface PostgresStore {
  url: string;
  schema: string;
}

/** A new schema name for `label` (created by the library itself when it opens). */
export function freshSchemaStore(prefix: string, label: string): string {
  const schema = `bench_${prefix}_${label}_${process.pid}`.replace(/[^a-z0-9_]/g, '_').slice(0, 63);
  return JSON.stringify({ url: BENCH_POSTGRES_URL, schema } satisfies PostgresStore);
}

export function parseStore(store: string): PostgresStore {
  return JSON.parse(store) as PostgresStore;
}

/** Drop a contender's schema and everything in it. */
export async function dropSchemaStore(store: string): Promise<void> {
  const { url, schema } = parseStore(store);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * ANALYZE every table of a contender's schema: what autovacuum does on a
 * live table within a minute of a large insert. A benchmark's brand-new
 * tables would otherwise be planned as empty (seen: a claim sorting all
 * 50,000 pending rows instead of reading an index in order).
 */
export async function analyzeSchemaStore(store: string): Promise<void> {
  const { url, schema } = parseStore(store);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = $1",
      [schema],
    );
    for (const { t } of rows as Array<{ t: string }>) await client.query(`ANALYZE ${t}`);
  } finally {
    await client.end();
  }
}
