// The demo's durable jobs as a user meets them: real processes on one SQLite
// file, real HTTP, real signals, and the /jobs page in Debian's chromium.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { JobView } from '../demo/jobs.js';
import type { JobState } from '../src/jobs/index.js';
import {
  CHROMIUM,
  type Demo,
  externalAddress as external,
  FRAMEWORKS,
  getJson,
  killDemo,
  startDemo,
  tempJobsUrl,
} from './demo-helpers.js';
import { eventually } from './web-helpers.js';

/** /jobs.json as JSON gives it (dates as ISO strings). */
interface Overview {
  counts: Record<JobState, number>;
  jobs: Array<Omit<JobView, 'createdAt' | 'runAt' | 'startedAt' | 'finishedAt'>>;
}

async function jobOf(demo: Demo, id: string) {
  const { jobs } = (await getJson(`${demo.base}/jobs.json`)) as Overview;
  return jobs.find((job) => job.id === id);
}

/** Poll /jobs.json until job `id` is in `state` (generous: a loaded machine is slow). */
async function until(demo: Demo, id: string, state: JobState, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const job = await jobOf(demo, id);
    if (job?.state === state) return job;
    if (Date.now() > end) {
      throw new Error(`job ${id} not ${state} within ${ms} ms: ${JSON.stringify(job)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function signup(demo: Demo, email: string): Promise<string> {
  const res = await fetch(`${demo.base}/signup?email=${encodeURIComponent(email)}`);
  const body = (await res.json()) as { queued: string; job: string; email: string };
  assert.equal(res.status, 202, JSON.stringify(body));
  assert.equal(body.queued, 'send-welcome');
  assert.equal(body.email, email);
  assert.match(body.job, /^[1-9][0-9]*$/);
  return body.job;
}

function post(url: string): Promise<Response> {
  return fetch(url, { method: 'POST', redirect: 'manual' });
}

describe('demo: durable jobs', { timeout: 300_000 }, () => {
  for (const framework of FRAMEWORKS) {
    test(`${framework}: /signup stores a job before it answers, the worker runs it; cancel, retry and failures`, async () => {
      const demo = await startDemo({ WEFT_DEMO_FRAMEWORK: framework, WEFT_DEMO_JOB_MS: '100' });
      try {
        const id = await signup(demo, 'ada@example.com');
        // Stored before the answer: /jobs.json knows it at once.
        assert.ok(await jobOf(demo, id), 'the job is in the store when /signup answers');
        const done = await until(demo, id, 'succeeded');
        assert.deepEqual(done.result, { sentTo: 'ada@example.com' });
        assert.deepEqual(done.payload, { email: 'ada@example.com' });
        assert.equal(done.progress, 'sent');
        assert.equal(done.attempts, 1);
        await eventually(
          () => demo.output().includes(`send-welcome #${id}: welcome mail sent to ada@example.com`),
          5_000,
        );

        // Bad emails: 400, nothing stored.
        const before = ((await getJson(`${demo.base}/jobs.json`)) as Overview).jobs.length;
        for (const query of [
          '',
          '?email=',
          '?email=ada',
          '?email=a%20b@example.com',
          '?email=@x.org',
        ]) {
          const res = await fetch(`${demo.base}/signup${query}`);
          assert.equal(res.status, 400, query);
          const { error } = (await res.json()) as { error: string };
          assert.match(error, /^email (is required|must look like ada@example\.com)/, query);
        }
        const after = (await getJson(`${demo.base}/jobs.json`)) as Overview;
        assert.equal(after.jobs.length, before);
        assert.equal(after.counts.succeeded, 1);

        // A finished job cannot be cancelled; an unknown one is 404.
        const late = await post(`${demo.base}/jobs/${id}/cancel`);
        assert.equal(late.status, 409);
        assert.match(((await late.json()) as { error: string }).error, /is succeeded/);
        assert.equal((await post(`${demo.base}/jobs/999999/cancel`)).status, 404);
        assert.equal((await post(`${demo.base}/jobs/abc/retry`)).status, 400);
        assert.equal((await post(`${demo.base}/jobs/${id}/delete`)).status, 404);

        // Mail to a .invalid domain fails: cancel it, retry it, see it fail for good.
        const bad = await signup(demo, 'bob@mail.invalid');
        const cancel = await post(`${demo.base}/jobs/${bad}/cancel`);
        assert.equal(cancel.status, 303);
        assert.equal(cancel.headers.get('location'), '/jobs');
        assert.deepEqual(await cancel.json(), { id: bad, cancelled: true });
        await until(demo, bad, 'cancelled');
        const retry = await post(`${demo.base}/jobs/${bad}/retry`);
        assert.equal(retry.status, 303);
        assert.deepEqual(await retry.json(), { id: bad, retried: true });
        const failed = await until(demo, bad, 'failed');
        assert.equal(failed.attempts, 3);
        assert.deepEqual(failed.error, {
          name: 'Error',
          message: 'no mail server for mail.invalid',
        });
        const { counts } = (await getJson(`${demo.base}/jobs.json`)) as Overview;
        assert.deepEqual(counts, { pending: 0, running: 0, succeeded: 1, failed: 1, cancelled: 0 });
      } finally {
        await killDemo(demo);
      }
    });
  }

  test('a job still pending when the demo stops runs on its next start', async () => {
    const store = tempJobsUrl();
    const first = await startDemo({ WEFT_JOBS_URL: store, WEFT_DEMO_JOBS_WORKER: '0' });
    const id = await signup(first, 'ada@example.com');
    assert.equal((await jobOf(first, id))?.state, 'pending');
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.doesNotMatch(first.output(), /welcome mail sent/);

    const second = await startDemo({ WEFT_JOBS_URL: store, WEFT_DEMO_JOB_MS: '100' });
    try {
      const job = await until(second, id, 'succeeded');
      assert.equal(job.attempts, 1);
      assert.match(second.output(), new RegExp(`send-welcome #${id}: welcome mail sent`));
    } finally {
      await killDemo(second);
    }
  });

  test('a job running when the demo stops is released at the end of the grace period, and runs on the next start', async () => {
    const store = tempJobsUrl();
    const first = await startDemo({
      WEFT_JOBS_URL: store,
      WEFT_DEMO_JOB_MS: '60000',
      GRACE_MS: '300',
    });
    const id = await signup(first, 'ada@example.com');
    await until(first, id, 'running');
    const stopping = Date.now();
    first.child.kill('SIGTERM');
    await first.exited; // 0 or 1: the worker's stop and the Supervisor's deadline race
    assert.ok(Date.now() - stopping < 15_000, 'the demo exits soon after the grace period');
    assert.doesNotMatch(first.output(), /welcome mail sent/);

    const second = await startDemo({
      WEFT_JOBS_URL: store,
      WEFT_DEMO_JOB_MS: '100',
      WEFT_DEMO_JOBS_WORKER: '0',
    });
    try {
      // Released: pending again, the cut-off attempt given back.
      const released = await jobOf(second, id);
      assert.equal(released?.state, 'pending');
      assert.equal(released?.attempts, 0);
    } finally {
      await killDemo(second);
    }
    const third = await startDemo({ WEFT_JOBS_URL: store, WEFT_DEMO_JOB_MS: '100' });
    try {
      const job = await until(third, id, 'succeeded');
      assert.equal(job.attempts, 1);
    } finally {
      await killDemo(third);
    }
  });

  test('POST /jobs/:id/cancel and /retry answer loopback clients only', {
    skip: external === undefined && 'no non-loopback address',
  }, async () => {
    const demo = await startDemo({ HOST: '0.0.0.0', WEFT_DEMO_JOBS_WORKER: '0' });
    try {
      const port = new URL(demo.base).port;
      const id = await signup(demo, 'ada@example.com');
      for (const action of ['cancel', 'retry']) {
        const res = await post(`http://${external}:${port}/jobs/${id}/${action}`);
        assert.equal(res.status, 403);
        assert.deepEqual(await res.json(), {
          error: `POST /jobs/:id/${action} answers loopback clients only`,
        });
      }
      assert.equal((await jobOf(demo, id))?.state, 'pending');
      // Reading is open to all, like /tasks.
      assert.equal((await fetch(`http://${external}:${port}/jobs.json`)).status, 200);
      assert.equal((await post(`http://127.0.0.1:${port}/jobs/${id}/cancel`)).status, 303);
      assert.equal((await jobOf(demo, id))?.state, 'cancelled');
    } finally {
      await killDemo(demo);
    }
  });

  test('the /jobs page shows counts and jobs, and its buttons cancel and retry, in a real browser', async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: npm test installs Debian's chromium (scripts/ensure-chromium.mjs)`,
    );
    const { chromium } = await import('playwright-core');
    // No worker: the jobs stay pending until a button changes them.
    const demo = await startDemo({ WEFT_DEMO_JOBS_WORKER: '0' });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const ada = await signup(demo, 'ada@example.com');
      // Values from the store are escaped: this address renders as text, not markup.
      const markup = await signup(demo, '<b>bob</b>@example.com');
      const page = await browser.newPage();
      await page.goto(`${demo.base}/jobs`);
      assert.equal(await page.title(), 'weft: durable jobs');
      assert.equal(
        await page.textContent('#counts'),
        'pending 2 · running 0 · succeeded 0 · failed 0 · cancelled 0',
      );
      const cells = await page.$$eval(`tr[data-id="${ada}"] td`, (tds) =>
        tds.map((td) => td.textContent?.trim() ?? ''),
      );
      assert.deepEqual(cells.slice(0, 5), [
        ada,
        'send-welcome',
        '{"email":"ada@example.com"}',
        'pending',
        '0/3',
      ]);
      assert.match(cells[7] ?? '', /^created \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
      assert.equal(cells[8], 'cancel');
      assert.equal(
        await page.textContent(`tr[data-id="${markup}"] td:nth-child(3)`),
        '{"email":"<b>bob</b>@example.com"}',
      );
      assert.equal(await page.$$eval('tbody b', (bs) => bs.length), 0);
      assert.equal(await page.getAttribute('meta[http-equiv="refresh"]', 'content'), '2');

      // Cancel: the form posts, the answer sends the browser back to /jobs.
      await page.click(`tr[data-id="${ada}"] button.cancel`);
      await page.waitForSelector(`tr.cancelled[data-id="${ada}"]`, { timeout: 20_000 });
      assert.equal(new URL(page.url()).pathname, '/jobs');
      assert.equal((await jobOf(demo, ada))?.state, 'cancelled');
      assert.match((await page.textContent('#counts')) ?? '', /pending 1 · .* · cancelled 1/);

      // Retry: pending again.
      await page.click(`tr[data-id="${ada}"] button.retry`);
      await page.waitForSelector(`tr.pending[data-id="${ada}"]`, { timeout: 20_000 });
      assert.equal((await jobOf(demo, ada))?.state, 'pending');
      assert.equal((await jobOf(demo, markup))?.state, 'pending');
    } finally {
      await browser.close();
      await killDemo(demo);
    }
  });
});
