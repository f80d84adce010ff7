/** The test database and fresh schemas in it, for the PostgreSQL store's tests. */
import pg from 'pg';

/** The database the PostgreSQL tests use (scripts/ensure-postgres.mjs makes sure it answers). */
export const POSTGRES_URL =
  process.env.WEFT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let counter = 0;

/** A schema name no other test (or test process) uses. */
export function freshSchema(label: string): string {
  return `weft_test_${label}_${process.pid}_${++counter}`;
}

/** Run one statement on a connection of its own. */
export async function sql(text: string, values?: unknown[]): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** Drop a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
