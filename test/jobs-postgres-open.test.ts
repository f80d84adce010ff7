/**
 * What only the PostgreSQL store has: opening (bad URLs, refused and slow
 * connections, a missing database), migrations shared by many processes,
 * `openJobs({ pool })`, transactional enqueue, and LISTEN/NOTIFY wake-ups
 * and cancels, including after the LISTEN connection is lost.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import pg from 'pg';
import { CancelledError, sleep } from '../src/index.js';
import { defineJob, type Jobs, openJobs } from '../src/jobs/index.js';
import { dropSchema, freshSchema, POSTGRES_URL, sql } from './postgres-helpers.js';

/** Run `body` with a store in a fresh schema, and a second connection to it. */
async function withSchema(
  body: (ctx: { schema: string; jobs: Jobs; other: Jobs }) => Promise<void>,
): Promise<void> {
  const schema = freshSchema('open');
  const jobs = await openJobs(POSTGRES_URL, { schema });
  const other = await openJobs(POSTGRES_URL, { schema });
  try {
    await body({ schema, jobs, other });
  } finally {
    await jobs.close();
    await other.close();
    await dropSchema(schema);
  }
}

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 10_000) {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** The LISTEN connections open on the test database for `schema`'s channel. */
async function listeners(schema: string): Promise<number[]> {
  const { rows } = await sql(
    "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND query LIKE $1",
    [`%${schema}%`],
  );
  return rows.map((r: { pid: number }) => r.pid);
}

describe('PostgreSQL store: opening', () => {
  test('a bad URL, a refused connection and a missing database are clear errors at openJobs', async () => {
    await assert.rejects(openJobs('postgres://%zz@/'), {
      name: 'RangeError',
      message: /valid postgres:\/\/ URL/,
    });
    await assert.rejects(openJobs('postgres://postgres@127.0.0.1:1/test'), {
      message:
        /Cannot open the PostgreSQL job store at postgres:\/\/postgres@127\.0\.0\.1:1\/test: the connection was refused/,
    });
    await assert.rejects(openJobs('postgres://postgres@127.0.0.1:5432/weft_no_such_database'), {
      message: /database "weft_no_such_database" does not exist/,
    });
    await assert.rejects(openJobs('postgres://u:secret@127.0.0.1:1/test'), (error: Error) => {
      assert.doesNotMatch(error.message, /secret/, 'the password is not in the message');
      return true;
    });
  });

  test('a server that never answers is a timeout after connectTimeoutMs, not a hang', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket)); // accepts, never speaks
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const started = performance.now();
    try {
      await assert.rejects(
        openJobs(`postgres://postgres@127.0.0.1:${port}/test`, { connectTimeoutMs: 300 }),
        { message: /Cannot open the PostgreSQL job store.*timeout/i },
      );
      assert.ok(performance.now() - started < 5_000, 'rejected soon after the timeout');
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  test('bad options name the argument', async () => {
    await assert.rejects(openJobs(POSTGRES_URL, { schema: '' }), {
      name: 'RangeError',
      message: /`options.schema`/,
    });
    await assert.rejects(openJobs(POSTGRES_URL, { schema: 'x'.repeat(64) }), {
      name: 'RangeError',
    });
    await assert.rejects(openJobs(POSTGRES_URL, { schema: 7 as unknown as string }), {
      name: 'TypeError',
      message: /`options.schema`/,
    });
    await assert.rejects(openJobs(POSTGRES_URL, { connectTimeoutMs: 0 }), {
      name: 'RangeError',
      message: /`options.connectTimeoutMs`/,
    });
    await assert.rejects(openJobs({ pool: {} as pg.Pool }), {
      name: 'TypeError',
      message: /`options.pool` to be a pg.Pool/,
    });
  });

  test('many processes opening a new schema at once migrate it once', async () => {
    const schema = freshSchema('race');
    const code = `
      import { openJobs } from './src/jobs/index.ts';
      const jobs = await openJobs(${JSON.stringify(POSTGRES_URL)}, { schema: ${JSON.stringify(schema)} });
      await jobs.close();
      console.log('opened');`;
    try {
      const exits = await Promise.all(
        Array.from({ length: 6 }, () => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', '--input-type=module', '-e', code],
            {
              stdio: ['ignore', 'pipe', 'inherit'],
            },
          );
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
          });
          return new Promise<string>((resolve) =>
            child.once('exit', (c) => resolve(`${c} ${out.trim()}`)),
          );
        }),
      );
      assert.deepEqual(exits, Array(6).fill('0 opened'));
      const { rows } = await sql(
        `SELECT version FROM "${schema}".weft_migrations ORDER BY version`,
      );
      assert.deepEqual(
        rows.map((r: { version: number }) => r.version),
        [1, 2, 3, 4, 5, 6, 7].slice(0, rows.length),
      );
      assert.ok(rows.length >= 7);
    } finally {
      await dropSchema(schema);
    }
  });

  test('a schema migrated by a newer weft is refused and left untouched', async () => {
    const schema = freshSchema('newer');
    try {
      await (await openJobs(POSTGRES_URL, { schema })).close();
      await sql(
        `INSERT INTO "${schema}".weft_migrations (version, name) VALUES (999, 'from-the-future')`,
      );
      await sql(`CREATE TABLE "${schema}".from_the_future (x int)`);
      await assert.rejects(openJobs(POSTGRES_URL, { schema }), {
        message: /version 999, newer than this weft knows .*left untouched/,
      });
      const { rows } = await sql(`SELECT max(version) AS v FROM "${schema}".weft_migrations`);
      assert.equal(rows[0].v, 999);
    } finally {
      await dropSchema(schema);
    }
  });

  test('openJobs({ pool }) borrows the app pool and leaves it open on close()', async () => {
    const schema = freshSchema('pool');
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 3 });
    try {
      const jobs = await openJobs({ pool, schema });
      assert.equal(String(jobs), 'Jobs<postgres>');
      const add = defineJob('add', (p: { a: number; b: number }) => p.a + p.b);
      const worker = jobs.worker({ jobs: [add], pollMs: 20 });
      const running = worker.run();
      assert.equal(await (await jobs.enqueue(add, { a: 2, b: 3 })).result(), 5);
      await worker.stop();
      await running;
      await jobs.close();
      assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1, 'the pool is still open');
    } finally {
      await pool.end();
      await dropSchema(schema);
    }
  });

  test('ids that cannot name a job are unknown, not errors', () =>
    withSchema(async ({ jobs }) => {
      assert.equal(await jobs.get('99999999999999999999'), undefined);
      assert.equal(await jobs.get('9223372036854775808'), undefined);
      assert.equal(await jobs.get('0'), undefined);
      assert.equal(await jobs.get('01'), undefined);
      await assert.rejects(jobs.cancel('12x'), { name: 'JobNotFoundError' });
    }));
});

describe('PostgreSQL store: transactional enqueue', () => {
  test('ROLLBACK leaves no job; COMMIT makes it runnable, and its NOTIFY wakes an idle worker', () =>
    withSchema(async ({ jobs, other }) => {
      const ran: string[] = [];
      const mail = defineJob('mail', (to: string) => {
        ran.push(to);
        return `sent to ${to}`;
      });
      // Polls only every minute: a prompt start comes from the NOTIFY.
      const worker = other.worker({ jobs: [mail], pollMs: 60_000 });
      const running = worker.run();
      const pool = new pg.Pool({ connectionString: POSTGRES_URL });
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const dropped = await jobs.enqueue(mail, 'nobody', { tx: client });
        await client.query('ROLLBACK');
        assert.equal(await jobs.get(dropped.id), undefined);

        await client.query('BEGIN');
        const kept = await jobs.enqueue(mail, 'ada', { tx: client });
        const many = await jobs.enqueueMany(mail, ['bob', 'cy'], { tx: client });
        assert.equal(await jobs.get(kept.id), undefined, 'invisible before COMMIT');
        await sleep(100);
        assert.deepEqual(ran, [], 'nothing runs before COMMIT');
        await client.query('COMMIT');
        assert.equal(await kept.result({ timeoutMs: 5_000 }), 'sent to ada');
        assert.deepEqual(await Promise.all(many.map((h) => h.result({ timeoutMs: 5_000 }))), [
          'sent to bob',
          'sent to cy',
        ]);
        assert.deepEqual(ran.sort(), ['ada', 'bob', 'cy']);
      } finally {
        client.release();
        await pool.end();
        await worker.stop();
        await running;
      }
    }));

  test('a tx that is not a pg client is a TypeError, and so is a pool', () =>
    withSchema(async ({ jobs }) => {
      const job = defineJob('noop', () => null);
      await assert.rejects(jobs.enqueue(job, null, { tx: {} }), {
        name: 'TypeError',
        message: /`options.tx` to be a pg client/,
      });
      await assert.rejects(jobs.enqueue(job, null, { tx: 'client' }), { name: 'TypeError' });
      const pool = new pg.Pool({ connectionString: POSTGRES_URL });
      try {
        await assert.rejects(jobs.enqueue(job, null, { tx: pool }), {
          name: 'TypeError',
          message: /got a pg.Pool/,
        });
      } finally {
        await pool.end();
      }
      assert.deepEqual(await jobs.list(), [], 'nothing was stored');
    }));
});

describe('PostgreSQL store: LISTEN/NOTIFY', () => {
  test('an idle worker starts a job enqueued elsewhere within milliseconds, not pollMs', () =>
    withSchema(async ({ schema, jobs, other }) => {
      let startedAt = 0;
      const ping = defineJob('ping', () => {
        startedAt = performance.now();
        return 'pong';
      });
      const worker = jobs.worker({ jobs: [ping], pollMs: 60_000 });
      const running = worker.run();
      try {
        await until(async () => (await listeners(schema)).length === 1, 'the worker listens');
        await sleep(50); // the first claim found nothing; the worker is idle
        const latencies: number[] = [];
        for (let i = 0; i < 5; i++) {
          const enqueued = performance.now();
          const handle = await other.enqueue(ping, null);
          assert.equal(await handle.result({ timeoutMs: 5_000 }), 'pong');
          latencies.push(startedAt - enqueued);
        }
        console.log(
          `# enqueue (another connection) → handler start: ${latencies.map((l) => l.toFixed(1)).join(', ')} ms (pollMs 60000)`,
        );
        assert.ok(Math.max(...latencies) < 3_000, 'woken by NOTIFY, not by the minute-long poll');
      } finally {
        await worker.stop();
        await running;
      }
    }));

  test('a cancel from another machine reaches the running handler at once', () =>
    withSchema(async ({ schema, jobs, other }) => {
      let started = false;
      const long = defineJob('long', async () => {
        started = true;
        await sleep(60_000);
      });
      const worker = jobs.worker({ jobs: [long], pollMs: 60_000 });
      const running = worker.run();
      try {
        await until(async () => (await listeners(schema)).length === 1, 'the worker listens');
        const handle = await other.enqueue(long, null);
        await until(() => started, 'the handler started');
        const asked = performance.now();
        assert.equal(await other.cancel(handle.id), true);
        await until(
          async () => (await other.get(handle.id))?.state === 'cancelled',
          'cancelled',
          5_000,
        );
        console.log(
          `# cancel from another connection → cancelled: ${(performance.now() - asked).toFixed(1)} ms (pollMs 60000)`,
        );
        await assert.rejects(handle.result(), CancelledError);
      } finally {
        await worker.stop();
        await running;
      }
    }));

  test('a lost LISTEN connection is re-established, reported once, and wake-ups go on', () =>
    withSchema(async ({ schema, jobs, other }) => {
      const errors: unknown[] = [];
      const ping = defineJob('ping', () => 'pong');
      const worker = jobs.worker({ jobs: [ping], pollMs: 60_000, onError: (e) => errors.push(e) });
      const running = worker.run();
      try {
        await until(async () => (await listeners(schema)).length === 1, 'the worker listens');
        const [pid] = await listeners(schema);
        await sql('SELECT pg_terminate_backend($1)', [pid]);
        await until(async () => {
          const now = await listeners(schema);
          return now.length === 1 && now[0] !== pid;
        }, 'a new LISTEN connection');
        const handle = await other.enqueue(ping, null);
        assert.equal(await handle.result({ timeoutMs: 5_000 }), 'pong');
        assert.equal(errors.length, 1, 'the loss was reported once');
        assert.match(String(errors[0]), /terminat/i);
      } finally {
        await worker.stop();
        await running;
      }
    }));

  test('no worker running: no LISTEN connection is held', () =>
    withSchema(async ({ schema, jobs }) => {
      const job = defineJob('idle', () => null);
      const worker = jobs.worker({ jobs: [job], pollMs: 20 });
      const running = worker.run();
      await until(async () => (await listeners(schema)).length === 1, 'the worker listens');
      await worker.stop();
      await running;
      await until(
        async () => (await listeners(schema)).length === 0,
        'the LISTEN connection closed',
      );
    }));
});
