/** `openJobs`: URLs, options, and files it must refuse without touching them. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { defineJob, openJobs } from '../src/jobs/index.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'weft-jobs-open-'));
}

describe('openJobs', () => {
  test('a file that is not a SQLite database is refused and left untouched', async () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'notes.txt');
      const content = 'these are my notes, not a database\n'.repeat(100);
      writeFileSync(path, content);
      await assert.rejects(openJobs(`sqlite:${path}`), /is not a SQLite database.*untouched/);
      assert.equal(readFileSync(path, 'utf8'), content);
      const short = join(dir, 'short');
      writeFileSync(short, 'abc');
      await assert.rejects(openJobs(`sqlite:${short}`), /is not a SQLite database/);
      assert.equal(readFileSync(short, 'utf8'), 'abc');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a schema newer than this weft is refused, the store untouched', async () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'jobs.db');
      const jobs = await openJobs(`sqlite:${path}`);
      await jobs.close();
      const db = new Database(path);
      db.prepare('INSERT INTO weft_migrations (version, name, applied_at) VALUES (999, ?, 0)').run(
        'from-the-future',
      );
      db.close();
      await assert.rejects(
        openJobs(`sqlite:${path}`),
        /schema is version 999, newer than this weft knows/,
      );
      const after = new Database(path);
      assert.equal(
        (after.prepare('SELECT max(version) AS v FROM weft_migrations').get() as { v: number }).v,
        999,
      );
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('many processes opening one new file at once migrate it once', async () => {
    const dir = tempDir();
    try {
      const url = `sqlite:${join(dir, 'jobs.db')}`;
      const opened = await Promise.all(Array.from({ length: 5 }, () => openJobs(url)));
      const job = defineJob('j', () => 1);
      await opened[0]!.enqueue(job, null);
      assert.equal((await opened[4]!.counts()).pending, 1);
      for (const jobs of opened) await jobs.close();
      const db = new Database(join(dir, 'jobs.db'));
      const versions = db.prepare('SELECT version FROM weft_migrations ORDER BY version').all();
      db.close();
      assert.deepEqual(
        versions.map((v) => (v as { version: number }).version),
        [1, 2, 3, 4, 5, 6, 7],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the default is WEFT_JOBS_URL, else sqlite:weft-jobs.db', async () => {
    const dir = tempDir();
    const saved = process.env.WEFT_JOBS_URL;
    try {
      process.env.WEFT_JOBS_URL = `sqlite:${join(dir, 'from-env.db')}`;
      const jobs = await openJobs();
      await jobs.close();
      assert.ok(readFileSync(join(dir, 'from-env.db')).length > 0);
    } finally {
      if (saved === undefined) delete process.env.WEFT_JOBS_URL;
      else process.env.WEFT_JOBS_URL = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad URLs and options name the argument', async () => {
    await assert.rejects(openJobs(42 as never), { name: 'TypeError', message: /`url`/ });
    await assert.rejects(openJobs('mysql://x'), { name: 'RangeError', message: /`url`.*sqlite:/ });
    await assert.rejects(openJobs('sqlite:'), { name: 'RangeError', message: /`url`/ });
    await assert.rejects(openJobs('postgresql://%zz@/'), {
      name: 'RangeError',
      message: /valid postgres:\/\/ URL/,
    });
    await assert.rejects(openJobs({ pool: 'pool' as never }), /`options.pool`/);
    await assert.rejects(openJobs('sqlite::memory:', 'x' as never), /`options`/);
    await assert.rejects(openJobs('sqlite::memory:', { maxPayloadBytes: 0 }), /maxPayloadBytes/);
    await assert.rejects(openJobs('sqlite::memory:', { schema: 5 as never }), /options\.schema/);
  });

  test('defineJob names its bad arguments', () => {
    assert.throws(() => defineJob('', () => 1), { name: 'RangeError', message: /`name`/ });
    assert.throws(() => defineJob(5 as never, () => 1), { name: 'TypeError', message: /`name`/ });
    assert.throws(() => defineJob('j', 'x' as never), /`handler`/);
    assert.throws(() => defineJob('j', () => 1, { maxAttempts: 0 }), /options\.maxAttempts/);
    assert.throws(() => defineJob('j', () => 1, { backoff: -1 }), /options\.backoff/);
    assert.throws(() => defineJob('j', () => 1, { timeoutMs: 0 }), /options\.timeoutMs/);
    assert.throws(() => defineJob('j', () => 1, { priority: 0.5 }), /options\.priority/);
    assert.throws(() => defineJob('j', () => 1, { queue: '' }), /options\.queue/);
    assert.throws(() => defineJob('j', () => 1, { schema: {} as never }), /options\.schema/);
  });

  test('a closed store refuses further calls', async () => {
    const jobs = await openJobs('sqlite::memory:');
    await jobs.close();
    await jobs.close(); // idempotent
    await assert.rejects(jobs.counts(), { name: 'InvalidStateError' });
    await assert.rejects(
      jobs.enqueue(
        defineJob('j', () => 1),
        null,
      ),
      { name: 'InvalidStateError' },
    );
  });
});
