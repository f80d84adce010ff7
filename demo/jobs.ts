/**
 * Durable jobs in the demo: `/signup` stores a `send-welcome` job before it
 * answers (FastAPI's BackgroundTasks example, made durable), a `JobWorker`
 * runs them in this process under the demo's Supervisor, and `/jobs` shows
 * the store with cancel and retry buttons.
 *
 *   curl '127.0.0.1:3000/signup?email=ada@example.com'   {"queued":"send-welcome","job":"1",...}
 *   curl -X POST 127.0.0.1:3000/jobs/1/cancel              cancel (loopback clients only)
 *   curl -X POST 127.0.0.1:3000/jobs/1/retry               run a failed or cancelled job again
 *
 *   WEFT_JOBS_URL=sqlite:/tmp/jobs.db npm start   another store (default: .weft/demo-jobs.db)
 *   WEFT_DEMO_JOB_MS=5000 npm start               how long send-welcome takes (default 500)
 *   WEFT_DEMO_JOBS_WORKER=0 npm start             no worker: jobs wait for the next start
 *
 * The store outlives the process: a job enqueued and not finished when the
 * demo stops (Ctrl-C, SIGTERM, a crash) runs on its next start.
 */

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../src/index.js';
import {
  defineJob,
  JobNotFoundError,
  type JobRecord,
  type Jobs,
  openJobs,
} from '../src/jobs/index.js';
import type { Supervisor } from '../src/web/index.js';
import { renderJobsPage } from './jobs-page.js';
import { type DemoResponse, type DemoRoute, isLoopback } from './routes.js';

/** The default store: a git-ignored file in the repository, made on first start. */
const DEFAULT_DB = fileURLToPath(new URL('../.weft/demo-jobs.db', import.meta.url));

/** How many jobs /jobs and /jobs.json show. */
const RECENT = 50;

/** Mail to a `.invalid` domain (RFC 2606) always fails: what a failed job looks like. */
const FAILING_DOMAIN = '.invalid';

/** A plausible address: something@domain.tld, no spaces, at most 254 characters. */
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  const ms = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(ms) || ms < 0) {
    console.error(`${name} must be an integer number of milliseconds >= 0, got ${raw}`);
    process.exit(2);
  }
  return ms;
}

const JOB_MS = envMs('WEFT_DEMO_JOB_MS', 500);

/** The durable `send-welcome` job: takes JOB_MS, reports its progress, returns whom it mailed. */
export const sendWelcome = defineJob(
  'send-welcome',
  async ({ email }: { email: string }, ctx) => {
    await ctx.progress('writing the mail');
    await sleep(JOB_MS / 2);
    await ctx.progress('sending');
    await sleep(JOB_MS / 2);
    if (email.endsWith(FAILING_DOMAIN)) {
      throw new Error(`no mail server for ${email.slice(email.indexOf('@') + 1)}`);
    }
    console.log(`send-welcome #${ctx.id}: welcome mail sent to ${email}`);
    await ctx.progress('sent');
    return { sentTo: email };
  },
  { maxAttempts: 3, backoff: 1_000 },
);

/** What /jobs.json shows of a record (the error's stack stays in the store). */
export interface JobView {
  id: string;
  name: string;
  state: JobRecord['state'];
  attempts: number;
  maxAttempts: number;
  payload: unknown;
  progress?: unknown;
  result?: unknown;
  error?: { name: string; message: string };
  createdAt: Date;
  runAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
}

function view(record: JobRecord): JobView {
  const { id, name, state, attempts, maxAttempts, payload, progress, result, error } = record;
  return {
    id,
    name,
    state,
    attempts,
    maxAttempts,
    payload,
    progress,
    result,
    error: error === undefined ? undefined : { name: error.name, message: error.message },
    createdAt: record.createdAt,
    runAt: record.runAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
  };
}

async function overview(jobs: Jobs) {
  const [counts, recent] = await Promise.all([jobs.counts(), jobs.list({ limit: RECENT })]);
  return { counts, jobs: recent.map(view) };
}

/**
 * A POST that changes a job: loopback clients only; 303 back to /jobs (the
 * page's buttons are plain forms), with a JSON body for curl.
 */
async function change(
  jobs: Jobs,
  action: 'cancel' | 'retry',
  id: string | undefined,
  remote: string | undefined,
): Promise<DemoResponse> {
  if (!isLoopback(remote)) {
    return {
      status: 403,
      json: { error: `POST /jobs/:id/${action} answers loopback clients only` },
    };
  }
  if (id === undefined || !/^[1-9][0-9]*$/.test(id)) {
    return {
      status: 400,
      json: { error: `a job id is a positive integer, got ${JSON.stringify(id)}` },
    };
  }
  let done: boolean;
  try {
    done = action === 'cancel' ? await jobs.cancel(id) : await jobs.retry(id);
  } catch (error) {
    if (error instanceof JobNotFoundError) return { status: 404, json: { error: `no job ${id}` } };
    throw error;
  }
  if (!done) {
    const state = (await jobs.get(id))?.state;
    const why =
      action === 'cancel'
        ? `job ${id} is ${state}: only a pending or running job can be cancelled`
        : `job ${id} is ${state}: only a failed or cancelled job can be retried`;
    return { status: 409, json: { error: why } };
  }
  return {
    status: 303,
    headers: { location: '/jobs' },
    json: { id, [action === 'cancel' ? 'cancelled' : 'retried']: true },
  };
}

export function jobsRoutes(jobs: Jobs): Record<string, DemoRoute> {
  return {
    // Stored before the answer: the job runs even if this process dies the next moment.
    '/signup': async ({ query }) => {
      const email = query.get('email');
      if (email === null || email === '') {
        return { status: 400, json: { error: 'email is required: /signup?email=ada@example.com' } };
      }
      if (email.length > 254 || !EMAIL.test(email)) {
        return {
          status: 400,
          json: { error: `email must look like ada@example.com, got ${JSON.stringify(email)}` },
        };
      }
      const handle = await jobs.enqueue(sendWelcome, { email });
      return { status: 202, json: { queued: 'send-welcome', job: handle.id, email } };
    },

    '/jobs': async () => {
      const { counts, jobs: recent } = await overview(jobs);
      return { html: renderJobsPage(counts, recent) };
    },

    '/jobs.json': async () => ({ json: await overview(jobs) }),

    'POST /jobs/:id/cancel': ({ params, remote }) => change(jobs, 'cancel', params.id, remote),

    'POST /jobs/:id/retry': ({ params, remote }) => change(jobs, 'retry', params.id, remote),
  };
}

/** The demo's jobs, started: their routes. */
export interface DemoJobs {
  routes: Record<string, DemoRoute>;
}

/**
 * Open the demo's job store and run its worker as a task of `supervisor`,
 * so that the app's shutdown drains it: the Supervisor's `stopping` stops
 * the worker's claims at once and gives its running jobs what is left of
 * the grace; a job cut off is released, and runs on the next start.
 */
export async function startJobs(supervisor: Supervisor): Promise<DemoJobs> {
  let url = process.env.WEFT_JOBS_URL;
  if (url === undefined || url === '') {
    mkdirSync(dirname(DEFAULT_DB), { recursive: true });
    url = `sqlite:${DEFAULT_DB}`;
  }
  const jobs = await openJobs(url);
  const worker =
    process.env.WEFT_DEMO_JOBS_WORKER === '0'
      ? undefined
      : jobs.worker({ jobs: [sendWelcome], concurrency: 4 });
  if (worker !== undefined) supervisor.spawn(() => worker.run(), { name: 'jobs-worker' });
  // After the tasks (the worker among them): close the file.
  supervisor.onShutdown(() => jobs.close());
  return {
    routes: jobsRoutes(jobs),
  };
}
