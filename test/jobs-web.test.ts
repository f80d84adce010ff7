/**
 * A job worker inside a web app's Supervisor: the Supervisor's shutdown
 * stops its claims at once and gives its handlers the same grace.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sleep } from '../src/index.js';
import { defineJob, openJobs } from '../src/jobs/index.js';
import { Supervisor } from '../src/web/index.js';

describe('jobs in a Supervisor', () => {
  test('stopping aborts when shutdown() begins', async () => {
    const supervisor = new Supervisor();
    assert.equal(supervisor.stopping.aborted, false);
    const done = supervisor.shutdown({ graceMs: 100 });
    assert.equal(supervisor.stopping.aborted, true);
    await done;
  });

  test('shutdown stops the claims at once; a handler finishes within the grace', async () => {
    const jobs = await openJobs('sqlite::memory:');
    const ran: string[] = [];
    const job = defineJob('web-job', async (p: { name: string; ms: number }) => {
      ran.push(p.name);
      await sleep(p.ms);
      return p.name;
    });
    const supervisor = new Supervisor();
    const worker = jobs.worker({ jobs: [job], pollMs: 10 });
    const runner = supervisor.spawn(() => worker.run(), { name: 'jobs-worker' });
    const slow = await jobs.enqueue(job, { name: 'slow', ms: 300 });
    while ((await slow.status()) !== 'running') await sleep(5);
    const shutdown = supervisor.shutdown({ graceMs: 5_000 });
    const late = await jobs.enqueue(job, { name: 'late', ms: 0 });
    const result = await shutdown;
    assert.equal(result.cancelled, 0);
    assert.equal(await slow.status(), 'succeeded', 'finished within its grace');
    assert.equal(await late.status(), 'pending', 'no claim after shutdown began');
    assert.deepEqual(ran, ['slow']);
    assert.equal(runner.done(), true);
    await jobs.close();
  });

  test('a handler past the grace is released, its attempt given back', async () => {
    const jobs = await openJobs('sqlite::memory:');
    const job = defineJob('too-slow', () => sleep(60_000));
    const supervisor = new Supervisor();
    const worker = jobs.worker({ jobs: [job], pollMs: 10 });
    supervisor.spawn(() => worker.run(), { name: 'jobs-worker' });
    const handle = await jobs.enqueue(job, null);
    while ((await handle.status()) !== 'running') await sleep(5);
    const t0 = performance.now();
    const result = await supervisor.shutdown({ graceMs: 200 });
    assert.ok(performance.now() - t0 < 3_000);
    assert.equal(result.cancelled, 0, 'the worker stopped before the deadline: nothing to cancel');
    const record = (await jobs.get(handle.id))!;
    assert.equal(record.state, 'pending');
    assert.equal(record.attempts, 0);
    assert.equal(worker.stats().released, 1);
    await jobs.close();
  });
});
