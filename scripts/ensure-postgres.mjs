#!/usr/bin/env node
// `npm run test:unit` runs this first (its `pretest:unit` script): the
// PostgreSQL job store's tests need the database at WEFT_TEST_POSTGRES_URL
// (default: the local server's `test` database). When it does not answer,
// the local cluster is started (Debian's pg_ctlcluster, as on the project's
// machines) and waited for; if it still does not answer, the tests cannot
// run, and this says why.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import pg from 'pg';

const url = process.env.WEFT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function answers() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => {});
  }
}

let problem = await answers();
if (problem === undefined) process.exit(0);
console.log(
  `PostgreSQL does not answer at ${url} (${problem.message}): starting the local cluster`,
);
const clusters = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
for (const version of clusters) {
  spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
    stdio: 'inherit',
  });
}
for (let i = 0; i < 30 && problem !== undefined; i++) {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  problem = await answers();
}
if (problem !== undefined) {
  console.error(
    `PostgreSQL still does not answer at ${url}: ${problem.message}. The PostgreSQL job store's tests need it; set WEFT_TEST_POSTGRES_URL to a database they may create schemas in.`,
  );
  process.exit(1);
}
console.log('PostgreSQL answers');
