/**
 * Jobs across real processes on one SQLite file: workers killed with
 * SIGKILL mid-job, and four workers sharing thousands of jobs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sleep } from '../src/index.js';
import { defineJob, openJobs } from '../src/jobs/index.js';
import { spawnWorker, type WorkerProcess, workerProcess } from './jobs-conformance.js';

// The fixture's job, as enqueued here (the handler runs in the worker processes).
const work = defineJob('work', async (_p: { ms: number }) => process.pid);

async function withFile(body: (url: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-jobs-proc-'));
  try {
    await body(`sqlite:${join(dir, 'jobs.db')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('jobs across processes', { timeout: 300_000 }, () => {
  test('workers SIGKILLed mid-job at random points: another finishes every job, each outcome recorded once', () =>
    withFile(async (url) => {
      const jobs = await openJobs(url);
      const handles = await jobs.enqueueMany(
        work,
        Array.from({ length: 40 }, (_, i) => ({ ms: 40 + ((i * 37) % 200) })),
        { maxAttempts: 10 }, // four kills may each cost a job an attempt
      );
      /** Per killed worker: the jobs whose handler had ended before the kill. */
      const endedBeforeKill = new Map<number, Set<string>>();
      let startedBeforeKill = 0;
      for (let round = 0; round < 4; round++) {
        const doomed = await workerProcess({ url, concurrency: 4, leaseMs: 400, pollMs: 10 });
        await sleep(60 + Math.floor(Math.random() * 250));
        doomed.child.kill('SIGKILL');
        await new Promise((resolve) => doomed.child.once('exit', resolve));
        const ended = new Set<string>();
        for (const e of doomed.events) {
          if ('start' in e) startedBeforeKill++;
          if ('end' in e) ended.add(String(e.end));
        }
        endedBeforeKill.set(doomed.child.pid!, ended);
      }
      assert.ok(startedBeforeKill > 0, 'the killed workers had started jobs');
      const survivor = await workerProcess({ url, concurrency: 8, leaseMs: 400, pollMs: 10 });
      try {
        const deadline = performance.now() + 60_000;
        for (;;) {
          const counts = await jobs.counts();
          if (counts.succeeded === 40) break;
          assert.ok(performance.now() < deadline, `not all done: ${JSON.stringify(counts)}`);
          await sleep(50);
        }
        const counts = await jobs.counts();
        assert.deepEqual(counts, {
          pending: 0,
          running: 0,
          succeeded: 40,
          failed: 0,
          cancelled: 0,
        });
        for (const handle of handles) {
          const record = (await jobs.get(handle.id))!;
          assert.ok(typeof record.result === 'number');
          // The recorded outcome is from a run that ended: a killed worker's
          // only if its handler had finished before the kill.
          const ended = endedBeforeKill.get(record.result as number);
          if (ended !== undefined)
            assert.ok(ended.has(record.id), `#${record.id} recorded by a dead run`);
          else assert.equal(record.result, survivor.child.pid);
          assert.ok(record.attempts >= 1 && record.attempts <= 5, `attempts ${record.attempts}`);
        }
        assert.deepEqual(
          survivor.events.filter((e) => 'error' in e),
          [],
          'no lease lost, no store error in the survivor',
        );
      } finally {
        await survivor.stop();
        await jobs.close();
      }
    }));

  test('four worker processes on one file share 5,000 jobs: each runs exactly once, no SQLITE_BUSY, concurrency kept', () =>
    withFile(async (url) => {
      const jobs = await openJobs(url);
      const concurrency = 6;
      const workers: WorkerProcess[] = [];
      for (let i = 0; i < 4; i++)
        workers.push(spawnWorker({ url, concurrency, leaseMs: 30_000, pollMs: 20 }));
      await Promise.all(workers.map((w) => w.ready));
      const handles = await jobs.enqueueMany(
        work,
        Array.from({ length: 5_000 }, (_, i) => ({ ms: i % 10 === 0 ? 1 : 0 })),
      );
      try {
        const deadline = performance.now() + 180_000;
        for (;;) {
          const counts = await jobs.counts();
          if (counts.succeeded === 5_000) break;
          assert.ok(performance.now() < deadline, `not all done: ${JSON.stringify(counts)}`);
          await sleep(100);
        }
      } finally {
        for (const w of workers) await w.stop();
      }
      const starts = new Map<string, number>();
      for (const w of workers) {
        for (const e of w.events) {
          if ('start' in e) starts.set(String(e.start), (starts.get(String(e.start)) ?? 0) + 1);
        }
        assert.deepEqual(
          w.events.filter((e) => 'error' in e),
          [],
          'no error reported (SQLITE_BUSY included)',
        );
        const stopped = w.events.find((e) => 'stopped' in e);
        assert.ok(stopped !== undefined, 'stopped gracefully');
        assert.ok(
          (stopped.mostRunning as number) <= concurrency,
          `ran ${stopped.mostRunning} at once`,
        );
      }
      assert.equal(starts.size, 5_000);
      assert.ok(
        [...starts.values()].every((n) => n === 1),
        'every job ran exactly once',
      );
      assert.ok(
        workers.filter((w) => w.events.some((e) => 'start' in e)).length >= 2,
        'the work was shared',
      );
      assert.equal((await jobs.counts()).succeeded, 5_000);
      assert.equal(handles.length, 5_000);
      await jobs.close();
    }));
});
