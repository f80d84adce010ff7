/**
 * The job-store conformance suite: one test per rule of DESIGN.md's
 * "Durable jobs" section, written against the public API only, so that
 * every store (SQLite now, PostgreSQL next) runs this same file.
 *
 * `connect()` opens a fresh, empty store and returns a way to open more
 * connections to the same one (as another process would).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CancelledError,
  createTask,
  currentSignal,
  sleep,
  snapshot,
  TimeoutError,
} from '../src/index.js';
import {
  defineJob,
  type Job,
  JobFailedError,
  JobNotFoundError,
  type JobRecord,
  type Jobs,
  JobValidationError,
  type JobWorker,
  LeaseLostError,
  type OpenJobsOptions,
  type WorkerOptions,
} from '../src/jobs/index.js';

export interface StoreUnderTest {
  /** A connection to a fresh, empty store. */
  jobs: Jobs;
  /** Its URL, for worker processes (test/fixtures/jobs/worker.ts). */
  url: string;
  /** The options it was opened with (PostgreSQL: its schema), for worker processes. */
  options?: OpenJobsOptions;
  /** Another connection to the same store. */
  another(): Promise<Jobs>;
  /** Close every connection and remove the store. */
  dispose(): Promise<void>;
}

/** Run `body` with a fresh store; everything is closed afterwards. */
type WithStore = (body: (store: StoreUnderTest) => Promise<void>) => Promise<void>;

/** A started worker and the promise of its run(). */
interface Running {
  worker: JobWorker;
  run: Promise<void>;
  stop(graceMs?: number): Promise<{ released: number }>;
}

function start(jobs: Jobs, options: WorkerOptions): Running {
  const worker = jobs.worker({ pollMs: 20, ...options });
  const run = worker.run();
  return {
    worker,
    run,
    async stop(graceMs = 1_000) {
      const result = await worker.stop({ graceMs });
      await run;
      return result;
    },
  };
}

/** Keep this process's event loop busy, as a stalled loop (or a CPU-bound handler) does. */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
}

/** A worker in a child process on the same store (test/fixtures/jobs/worker.ts). */
export interface WorkerProcess {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  /** Resolves once the worker runs. */
  ready: Promise<void>;
  /** SIGTERM (a graceful stop), then wait for the exit. */
  stop(): Promise<void>;
}

export interface WorkerProcessOptions {
  url: string;
  /** openJobs options (PostgreSQL: the schema). */
  options?: OpenJobsOptions;
  leaseMs?: number;
  pollMs?: number;
  concurrency?: number;
  graceMs?: number;
  /** A file the child appends its events to (readable while this loop is blocked). */
  log?: string;
}

export function spawnWorker(options: WorkerProcessOptions): WorkerProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./fixtures/jobs/worker.ts', import.meta.url)),
      JSON.stringify(options),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const events: Array<Record<string, unknown>> = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let buffer = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const event = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        events.push(event);
        if ('ready' in event) resolve();
        newline = buffer.indexOf('\n');
      }
    });
    child.once('exit', (code) => reject(new Error(`the worker process exited with ${code}`)));
  });
  ready.catch(() => {});
  return {
    child,
    events,
    ready,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Spawn a worker process and wait until it runs. */
export async function workerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const worker = spawnWorker(options);
  await worker.ready;
  return worker;
}

/** The events a worker process appended to `log` so far. */
function readEvents(log: string): Array<Record<string, unknown>> {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Block this event loop until `check` holds (polled every 10 ms, synchronously). */
function blockUntil(check: () => boolean, ms: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('blockUntil timed out');
    Atomics.wait(pause, 0, 0, 10);
  }
}

/** Wait (polling, generous limit) until `check` holds. */
async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

async function stateOf(jobs: Jobs, id: string): Promise<string | undefined> {
  return (await jobs.get(id))?.state;
}

export function conformance(name: string, withStore: WithStore): void {
  describe(`job store conformance: ${name}`, { timeout: 120_000 }, () => {
    describe('values', () => {
      test('payloads are stored as JSON.stringify writes them', () =>
        withStore(async ({ jobs }) => {
          const echo = defineJob('echo', (p: unknown) => p);
          const when = new Date('2026-01-02T03:04:05.000Z');
          const payload = {
            when,
            text: 'nul \u0000 inside, ünïcødé, 😀',
            nothing: undefined,
            n: 1.5,
          };
          const handle = await jobs.enqueue(echo, payload);
          const record = await jobs.get(handle.id);
          assert.deepEqual(record?.payload, {
            when: '2026-01-02T03:04:05.000Z',
            text: 'nul \u0000 inside, ünïcødé, 😀',
            n: 1.5,
          });
          const top = await jobs.enqueue(echo, undefined);
          assert.equal((await jobs.get(top.id))?.payload, null);
          const running = start(jobs, { jobs: [echo] });
          assert.deepEqual(await handle.result(), record?.payload);
          await running.stop();
        }));

      test('a function, bigint, symbol or cycle anywhere is a TypeError naming its path; nothing is stored', () =>
        withStore(async ({ jobs }) => {
          const job = defineJob('j', (p: unknown) => p);
          const cyclic: Record<string, unknown> = { a: 1 };
          cyclic.self = cyclic;
          const cases: Array<[unknown, RegExp]> = [
            [{ user: { id: 1n } }, /payload\.user\.id is a bigint/],
            [{ cb: () => 1 }, /payload\.cb is a function/],
            [{ list: [1, Symbol('s')] }, /payload\.list\[1\] is a symbol/],
            [cyclic, /payload\.self is a cycle/],
            [{ 'odd key': { fn: function named() {} } }, /payload\["odd key"\]\.fn is a function/],
          ];
          for (const [payload, message] of cases) {
            await assert.rejects(jobs.enqueue(job, payload), { name: 'TypeError', message });
          }
          await assert.rejects(
            jobs.enqueueMany(job, [1, { x: 2n }, 3]),
            /payloads\[1\]\.x is a bigint/,
          );
          assert.deepEqual(await jobs.list(), []);
        }));

      test('a schema that rejects is a JobValidationError; its output is stored and handled', () =>
        withStore(async ({ jobs }) => {
          let seen: unknown;
          const upper = {
            '~standard': {
              version: 1 as const,
              vendor: 'test',
              validate(value: unknown) {
                return typeof value === 'string'
                  ? { value: value.toUpperCase() }
                  : { issues: [{ message: 'expected a string', path: [] }] };
              },
            },
          };
          const shout = defineJob(
            'shout',
            (p: string) => {
              seen = p;
              return p;
            },
            { schema: upper },
          );
          const error = await jobs.enqueue(shout, 42 as unknown as string).catch((e: unknown) => e);
          assert.ok(error instanceof JobValidationError);
          assert.ok(error instanceof TypeError);
          assert.equal(error.issues.length, 1);
          assert.deepEqual(await jobs.list(), []);
          const handle = await jobs.enqueue(shout, 'hey');
          assert.equal((await jobs.get(handle.id))?.payload, 'HEY');
          const running = start(jobs, { jobs: [shout] });
          assert.equal(await handle.result(), 'HEY');
          assert.equal(seen, 'HEY');
          await running.stop();
        }));

      test('a result JSON cannot carry fails the attempt with a TypeError', () =>
        withStore(async ({ jobs }) => {
          const bad = defineJob('bad-result', () => ({ id: 10n }), { maxAttempts: 1 });
          const handle = await jobs.enqueue(bad, null);
          const running = start(jobs, { jobs: [bad], onError: () => {} });
          const error = await handle.result().catch((e: unknown) => e);
          assert.ok(error instanceof JobFailedError);
          assert.equal(error.job.error?.name, 'TypeError');
          assert.match(error.job.error?.message ?? '', /result\.id is a bigint/);
          await running.stop();
        }));

      test('a payload over maxPayloadBytes is refused with a RangeError', () =>
        withStore(async ({ jobs }) => {
          const job = defineJob('big', (p: string) => p.length);
          await assert.rejects(jobs.enqueue(job, 'x'.repeat(1024 * 1024 + 1)), {
            name: 'RangeError',
            message: /payload is \d+ bytes of JSON, more than the 1048576 allowed/,
          });
          assert.deepEqual(await jobs.list(), []);
        }));
    });

    describe('ordering', () => {
      test('ready jobs run lowest priority first, then earliest runAt, then in enqueue order', () =>
        withStore(async ({ jobs }) => {
          const order: string[] = [];
          const job = defineJob('ordered', (p: string) => {
            order.push(p);
          });
          const past = (ms: number) => new Date(Date.now() - ms);
          await jobs.enqueue(job, 'p0-late', { priority: 0, runAt: past(1_000) });
          await jobs.enqueue(job, 'p0-early', { priority: 0, runAt: past(5_000) });
          await jobs.enqueue(job, 'p5', { priority: 5, runAt: past(9_000) });
          await jobs.enqueue(job, 'p-1', { priority: -1 });
          await jobs.enqueueMany(job, ['p0-late-2', 'p0-late-3'], { runAt: past(1_000) });
          const running = start(jobs, { jobs: [job], concurrency: 1 });
          await until(async () => (await jobs.counts()).succeeded === 6, 'all ran');
          assert.deepEqual(order, ['p-1', 'p0-early', 'p0-late', 'p0-late-2', 'p0-late-3', 'p5']);
          await running.stop();
        }));

      test('a job with delayMs or runAt is never claimed early', () =>
        withStore(async ({ jobs }) => {
          const startedAt = new Map<string, number>();
          const job = defineJob('later', (p: string) => {
            startedAt.set(p, Date.now());
          });
          const t0 = Date.now();
          await jobs.enqueue(job, 'delay', { delayMs: 300 });
          await jobs.enqueue(job, 'runAt', { runAt: new Date(t0 + 400) });
          const running = start(jobs, { jobs: [job], pollMs: 10 });
          await until(() => startedAt.size === 2, 'both ran');
          assert.ok(startedAt.get('delay')! >= t0 + 300);
          assert.ok(startedAt.get('runAt')! >= t0 + 400);
          await running.stop();
        }));
    });

    describe('attempts', () => {
      test('each attempt is a weft task named job:<name>#<id>, with its context', () =>
        withStore(async ({ jobs }) => {
          let seen: Record<string, unknown> = {};
          const job = defineJob(
            'named',
            async (_p: null, ctx) => {
              const me = snapshot().tasks.find((t) => t.name === `job:named#${ctx.id}`);
              seen = {
                found: me !== undefined,
                signalIsCurrent: currentSignal() === ctx.signal,
                attempt: ctx.attempt,
                maxAttempts: ctx.maxAttempts,
                queue: ctx.queue,
                name: ctx.name,
              };
              await ctx.progress({ done: 1, of: 2 });
              return 'ok';
            },
            { queue: 'q1', maxAttempts: 4 },
          );
          const handle = await jobs.enqueue(job, null);
          const running = start(jobs, { jobs: [job] });
          await handle.result();
          assert.deepEqual(seen, {
            found: true,
            signalIsCurrent: true,
            attempt: 1,
            maxAttempts: 4,
            queue: 'q1',
            name: 'named',
          });
          assert.deepEqual((await jobs.get(handle.id))?.progress, { done: 1, of: 2 });
          await running.stop();
        }));

      test('a failed attempt is pending again after its backoff, the error kept; the last one fails the job', () =>
        withStore(async ({ jobs }) => {
          const attempts: number[] = [];
          const errors: unknown[] = [];
          const job = defineJob(
            'always-fails',
            (_p: null, ctx) => {
              attempts.push(ctx.attempt);
              throw new Error(`attempt ${ctx.attempt} failed`);
            },
            { maxAttempts: 3, backoff: 150 },
          );
          const handle = await jobs.enqueue(job, null);
          const running = start(jobs, { jobs: [job], onError: (e) => errors.push(e) });
          await until(() => attempts.length === 1, 'first attempt');
          await until(
            async () => (await jobs.get(handle.id))?.state === 'pending',
            'pending again',
          );
          const between = (await jobs.get(handle.id))!;
          assert.equal(between.attempts, 1);
          assert.equal(between.error?.message, 'attempt 1 failed');
          assert.ok(between.runAt.getTime() >= Date.now() + 50, 'runAt is after the backoff');
          const error = await handle.result().catch((e: unknown) => e);
          assert.ok(error instanceof JobFailedError);
          assert.equal(error.job.state, 'failed');
          assert.equal(error.job.attempts, 3);
          assert.equal(error.job.error?.message, 'attempt 3 failed');
          assert.deepEqual(attempts, [1, 2, 3]);
          assert.equal(errors.length, 3);
          assert.equal(running.worker.stats().failed, 3);
          await running.stop();
        }));

      test('the default backoff is exponential with jitter, and a success clears the error', () =>
        withStore(async ({ jobs }) => {
          let calls = 0;
          const job = defineJob('second-time', () => {
            if (++calls === 1) throw new Error('once');
            return 'fine';
          });
          const handle = await jobs.enqueue(job, null);
          const running = start(jobs, { jobs: [job], onError: () => {} });
          await until(
            async () =>
              (await jobs.get(handle.id))?.attempts === 1 &&
              (await stateOf(jobs, handle.id)) === 'pending',
            'retry scheduled',
          );
          const record = (await jobs.get(handle.id))!;
          const delay = record.runAt.getTime() - Date.now();
          assert.ok(delay > 500 && delay <= 1_250, `1 s ±20%, got ${delay} ms`);
          assert.equal(await handle.result(), 'fine');
          const done = (await jobs.get(handle.id))!;
          assert.equal(done.error, undefined);
          assert.equal(done.attempts, 2);
          await running.stop();
        }));

      test('timeoutMs expiry fails the attempt with TimeoutError', () =>
        withStore(async ({ jobs }) => {
          let aborted = false;
          const job = defineJob(
            'slow',
            async (_p: null, ctx) => {
              ctx.signal.addEventListener('abort', () => {
                aborted = true;
              });
              await sleep(5_000);
            },
            { timeoutMs: 50, maxAttempts: 1 },
          );
          const handle = await jobs.enqueue(job, null);
          const errors: unknown[] = [];
          const running = start(jobs, { jobs: [job], onError: (e) => errors.push(e) });
          const error = await handle.result().catch((e: unknown) => e);
          assert.ok(error instanceof JobFailedError);
          assert.equal(error.job.error?.name, 'TimeoutError');
          assert.ok(errors[0] instanceof TimeoutError);
          assert.equal(aborted, true);
          await running.stop();
        }));

      test('a handler that catches its cancellation and returns a value succeeds with it', () =>
        withStore(async ({ jobs }) => {
          const job = defineJob('stubborn', async () => {
            try {
              await sleep(5_000);
              return 'slept';
            } catch {
              return 'caught';
            }
          });
          const handle = await jobs.enqueue(job, null);
          const running = start(jobs, { jobs: [job] });
          await until(async () => (await stateOf(jobs, handle.id)) === 'running', 'running');
          assert.equal(await jobs.cancel(handle.id), true);
          assert.equal(await handle.result(), 'caught');
          assert.equal(await stateOf(jobs, handle.id), 'succeeded');
          await running.stop();
        }));

      test('a worker never runs more than concurrency handlers at once', () =>
        withStore(async ({ jobs }) => {
          let now = 0;
          let most = 0;
          const job = defineJob('counted', async () => {
            most = Math.max(most, ++now);
            await sleep(5);
            now--;
          });
          await jobs.enqueueMany(
            job,
            Array.from({ length: 60 }, (_, i) => i),
          );
          const running = start(jobs, { jobs: [job], concurrency: 4 });
          await until(async () => (await jobs.counts()).succeeded === 60, 'all ran');
          assert.equal(most, 4);
          await running.stop();
        }));

      test('a worker whose every slot is busy keeps serving when an enqueue wakes it', () =>
        withStore(async ({ url, options }) => {
          // In a child process: a frozen event loop (the old failure) is then
          // a kill after the limit, not a hung test file.
          const child = spawn(
            process.execPath,
            [
              '--import',
              'tsx',
              fileURLToPath(new URL('./fixtures/jobs/wake-when-full.ts', import.meta.url)),
              JSON.stringify({ url, options }),
            ],
            { stdio: ['ignore', 'pipe', 'inherit'] },
          );
          let out = '';
          child.stdout!.on('data', (chunk: Buffer) => {
            out += chunk.toString();
          });
          const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          const code = await new Promise<number | null>((resolve) =>
            child.once('exit', (c) => resolve(c)),
          );
          clearTimeout(killer);
          assert.equal(code, 0, 'the worker process finished both jobs (it was killed if frozen)');
          assert.equal(out.trim(), 'ok');
        }));

      test('a job no worker knows waits; it is never lost', () =>
        withStore(async ({ jobs }) => {
          const known = defineJob('known', () => 'k');
          const unknown = defineJob('unknown', () => 'u');
          const waiting = await jobs.enqueue(unknown, null);
          const done = await jobs.enqueue(known, null);
          const running = start(jobs, { jobs: [known] });
          await done.result();
          await sleep(60);
          assert.equal(await waiting.status(), 'pending');
          await running.stop();
          const other = start(jobs, { jobs: [unknown] });
          assert.equal(await waiting.result(), 'u');
          await other.stop();
        }));
    });

    describe('cancel', () => {
      test('a pending job is cancelled and never runs; result() rejects CancelledError', () =>
        withStore(async ({ jobs }) => {
          let ran = false;
          const job = defineJob('never', () => {
            ran = true;
          });
          const handle = await jobs.enqueue(job, null);
          assert.equal(await handle.cancel(), true);
          assert.equal(await handle.status(), 'cancelled');
          const running = start(jobs, { jobs: [job] });
          await sleep(80);
          await assert.rejects(handle.result(), CancelledError);
          assert.equal(ran, false);
          assert.equal(await jobs.cancel(handle.id), false, 'already finished');
          await running.stop();
        }));

      test('a running job is cancelled in its task, from another connection, within pollMs', () =>
        withStore(async ({ jobs, another }) => {
          let cleanup = false;
          const job = defineJob('long', async () => {
            try {
              await sleep(10_000);
            } finally {
              cleanup = true;
            }
          });
          const handle = await jobs.enqueue(job, null);
          const running = start(jobs, { jobs: [job], pollMs: 50 });
          await until(async () => (await handle.status()) === 'running', 'running');
          const elsewhere = await another();
          const t0 = performance.now();
          assert.equal(await elsewhere.cancel(handle.id), true);
          await assert.rejects(elsewhere.handle(handle.id).result(), CancelledError);
          assert.ok(performance.now() - t0 < 2_000);
          assert.equal(cleanup, true);
          assert.equal(running.worker.stats().cancelled, 1);
          await sleep(100);
          assert.equal(await handle.status(), 'cancelled', 'never retried by itself');
          await running.stop();
        }));
    });

    describe('stop and release', () => {
      test('stop() gives handlers their grace, then releases the rest with the attempt given back', () =>
        withStore(async ({ jobs }) => {
          const job = defineJob('sleepy', async (ms: number) => {
            await sleep(ms);
            return ms;
          });
          const quick = await jobs.enqueue(job, 30);
          const slow = await jobs.enqueue(job, 10_000);
          const running = start(jobs, { jobs: [job] });
          await until(async () => (await slow.status()) === 'running', 'running');
          const claimedBefore = await jobs.enqueue(job, 1, { delayMs: 50 });
          const result = await running.worker.stop({ graceMs: 200 });
          await running.run;
          assert.deepEqual(result, { released: 1 });
          assert.equal(await quick.result(), 30, 'finished within its grace');
          const released = (await jobs.get(slow.id))!;
          assert.equal(released.state, 'pending');
          assert.equal(released.attempts, 0, 'a deploy costs no attempt');
          assert.ok(released.runAt.getTime() <= Date.now(), 'pending again at once');
          assert.equal(await claimedBefore.status(), 'pending', 'no claims after stop');
          assert.deepEqual(await running.worker.stop(), { released: 1 }, 'idempotent');
        }));

      test('a stop right after a claim, before the handler started, still releases the job', () =>
        withStore(async ({ jobs }) => {
          const job = defineJob('barely', () => 'ran');
          await jobs.enqueueMany(job, [1, 2, 3]);
          for (let round = 0; round < 5; round++) {
            const worker = jobs.worker({ jobs: [job], pollMs: 5 });
            const run = worker.run();
            await sleep(round); // 0..4 ms: around the first claim
            await worker.stop({ graceMs: 0 });
            await run;
          }
          const counts = await jobs.counts();
          assert.equal(counts.running, 0, 'nothing left running');
          assert.equal(counts.pending + counts.succeeded, 3, 'no job lost');
          for (const record of await jobs.list()) {
            if (record.state === 'pending') assert.equal(record.attempts, 0);
          }
        }));

      test('cancelling the task that runs run() is stop({ graceMs: 0 }): it rejects once the release is stored', () =>
        withStore(async ({ jobs }) => {
          const job = defineJob('forever', () => sleep(60_000));
          const handle = await jobs.enqueue(job, null);
          const worker = jobs.worker({ jobs: [job], pollMs: 20 });
          const runner = createTask(() => worker.run());
          await until(async () => (await handle.status()) === 'running', 'running');
          runner.cancel();
          await assert.rejects(runner, CancelledError);
          const record = (await jobs.get(handle.id))!;
          assert.equal(record.state, 'pending');
          assert.equal(record.attempts, 0);
          assert.equal(worker.stats().released, 1);
        }));
    });

    describe('leases', () => {
      test('a lease is renewed while the handler runs: no other worker claims it', () =>
        withStore(async ({ jobs, another }) => {
          let runs = 0;
          const job = defineJob('outlives-lease', async () => {
            runs++;
            await sleep(900);
            return 'done';
          });
          const handle = await jobs.enqueue(job, null);
          const first = start(jobs, { jobs: [job], leaseMs: 300 });
          await until(async () => (await handle.status()) === 'running', 'running');
          const other = start(await another(), { jobs: [job], leaseMs: 300 });
          assert.equal(await handle.result(), 'done');
          assert.equal(runs, 1);
          assert.equal((await jobs.get(handle.id))?.attempts, 1);
          await other.stop();
          await first.stop();
        }));

      test('an expired lease (a stalled event loop) is claimed again; the late outcome is dropped as LeaseLostError', () =>
        withStore(async ({ jobs, url, options }) => {
          const errors: unknown[] = [];
          const log = join(mkdtempSync(join(tmpdir(), 'weft-jobs-log-')), 'events');
          let child: WorkerProcess | undefined;
          const stalls = defineJob('stalls', (_p: null, ctx) => {
            // Stall this event loop (no renewal: the lease expires) until
            // another process has claimed the job again.
            child = spawnWorker({ url, options, leaseMs: 200, pollMs: 20, log });
            blockUntil(() => readEvents(log).some((e) => e.start === ctx.id), 30_000);
            return 'stalled one';
          });
          const handle = await jobs.enqueue(stalls, null);
          const here = start(jobs, {
            jobs: [stalls],
            leaseMs: 200,
            onError: (e) => errors.push(e),
          });
          try {
            await until(
              () => errors.some((e) => e instanceof LeaseLostError),
              'late outcome reported',
              30_000,
            );
            const record = (await jobs.get(handle.id))!;
            assert.equal(record.state, 'succeeded');
            assert.equal(record.result, 'child', "the outcome recorded is the current holder's");
            assert.equal(record.attempts, 2, 'the expired attempt counts');
            assert.equal(here.worker.stats().succeeded, 0);
          } finally {
            await here.stop();
            await child?.stop();
          }
        }));

      test('the last attempt whose lease expired fails the job with LeaseExpiredError', () =>
        withStore(async ({ jobs, url, options }) => {
          const log = join(mkdtempSync(join(tmpdir(), 'weft-jobs-log-')), 'events');
          let child: WorkerProcess | undefined;
          const dies = defineJob(
            'dies',
            () => {
              child = spawnWorker({ url, options, leaseMs: 200, pollMs: 20, log });
              // Stalled past the lease while the other process's claims sweep it.
              blockUntil(() => readEvents(log).some((e) => 'ready' in e), 30_000);
              blockEventLoop(1_000);
            },
            { maxAttempts: 1 },
          );
          const errors: unknown[] = [];
          const here = start(jobs, { jobs: [dies], leaseMs: 200, onError: (e) => errors.push(e) });
          const handle = await jobs.enqueue(dies, null);
          try {
            await until(async () => (await handle.status()) === 'failed', 'failed', 30_000);
            assert.equal((await jobs.get(handle.id))?.error?.name, 'LeaseExpiredError');
            await until(
              () => errors.some((e) => e instanceof LeaseLostError),
              'late outcome reported',
            );
          } finally {
            await here.stop();
            await child?.stop();
          }
        }));

      test('a handler that ignores its cancellation for leaseMs stops being renewed, and is reported', () =>
        withStore(async ({ jobs, another }) => {
          const errors: unknown[] = [];
          let stubbornRuns = 0;
          const stubborn = defineJob('ignores-cancel', async (_p: null, ctx) => {
            stubbornRuns++;
            if (ctx.attempt > 1) return 'second';
            // Swallows every cancellation: only ever ends by itself.
            const end = performance.now() + 2_000;
            while (performance.now() < end) await sleep(20).catch(() => {});
            return 'first';
          });
          const handle = await jobs.enqueue(stubborn, null);
          const first = start(jobs, {
            jobs: [stubborn],
            leaseMs: 300,
            onError: (e) => errors.push(e),
          });
          await until(async () => (await handle.status()) === 'running', 'running');
          await jobs.cancel(handle.id);
          await until(
            () => errors.some((e) => /ignored its cancellation/.test(String(e))),
            'reported',
          );
          // Its lease now runs out: the job is settled as cancelled (a cancel was requested).
          const other = start(await another(), { jobs: [stubborn], leaseMs: 300 });
          await until(async () => (await handle.status()) === 'cancelled', 'cancelled');
          await other.stop();
          await first.stop(5_000);
          assert.equal(stubbornRuns, 1);
        }));
    });

    describe('keys', () => {
      test('while a job with the key is active, enqueue returns it; once finished, the key is free', () =>
        withStore(async ({ jobs }) => {
          const job = defineJob('keyed', (p: number) => p);
          const a = await jobs.enqueue(job, 1, { key: 'k' });
          const b = await jobs.enqueue(job, 2, { key: 'k' });
          assert.equal(b.id, a.id);
          assert.equal((await jobs.list()).length, 1);
          const running = start(jobs, { jobs: [job] });
          assert.equal(await a.result(), 1);
          const c = await jobs.enqueue(job, 3, { key: 'k' });
          assert.notEqual(c.id, a.id);
          assert.equal(await c.result(), 3);
          await running.stop();
        }));

      test('keys are one namespace across job names; retry of a job whose key is held returns false', () =>
        withStore(async ({ jobs }) => {
          const one = defineJob(
            'one',
            () => {
              throw new Error('x');
            },
            { maxAttempts: 1 },
          );
          const two = defineJob('two', () => 2);
          const failed = await jobs.enqueue(one, null, { key: 'shared' });
          const running = start(jobs, { jobs: [one], onError: () => {} });
          await assert.rejects(failed.result(), JobFailedError);
          await running.stop();
          const holder = await jobs.enqueue(two, null, { key: 'shared' });
          assert.notEqual(holder.id, failed.id);
          assert.equal(
            await jobs.enqueue(one, null, { key: 'shared' }).then((h) => h.id),
            holder.id,
          );
          assert.equal(await jobs.retry(failed.id), false);
          await jobs.cancel(holder.id);
          assert.equal(await jobs.retry(failed.id), true);
        }));
    });

    describe('retry, prune, list, get', () => {
      test('retry: a failed or cancelled job is pending now with attempts 0, result and error cleared', () =>
        withStore(async ({ jobs }) => {
          let fail = true;
          const job = defineJob(
            'fixable',
            () => {
              if (fail) throw new Error('broken');
              return 'fixed';
            },
            { maxAttempts: 1 },
          );
          const handle = await jobs.enqueue(job, null);
          const running = start(jobs, { jobs: [job], onError: () => {} });
          await assert.rejects(handle.result(), JobFailedError);
          fail = false;
          assert.equal(await jobs.retry(handle.id), true);
          const record = (await jobs.get(handle.id))!;
          assert.equal(
            record.state === 'pending' ||
              record.state === 'running' ||
              record.state === 'succeeded',
            true,
          );
          assert.equal(await handle.result(), 'fixed');
          const done = (await jobs.get(handle.id))!;
          assert.equal(done.attempts, 1);
          assert.equal(done.error, undefined);
          assert.equal(await jobs.retry(handle.id), false, 'a succeeded job is not retried');
          const pending = await jobs.enqueue(job, null, { delayMs: 60_000 });
          assert.equal(await jobs.retry(pending.id), false, 'nor a pending one');
          await jobs.cancel(pending.id);
          assert.equal(await jobs.retry(pending.id), true, 'a cancelled one is');
          await running.stop();
        }));

      test('prune deletes finished jobs older than olderThanMs', () =>
        withStore(async ({ jobs }) => {
          const job = defineJob('p', () => 1);
          const old = await jobs.enqueue(job, null);
          const keep = await jobs.enqueue(job, null, { delayMs: 60_000 });
          await jobs.cancel(old.id);
          await sleep(60);
          assert.equal(await jobs.prune({ olderThanMs: 10_000 }), 0);
          assert.equal(await jobs.prune({ olderThanMs: 20 }), 1);
          assert.equal(await jobs.get(old.id), undefined);
          assert.equal(await keep.status(), 'pending');
        }));

      test('list is newest first, 100 by default, filtered by state, name and queue; counts count', () =>
        withStore(async ({ jobs }) => {
          const a = defineJob('a', () => 1);
          const b = defineJob('b', () => 1, { queue: 'other' });
          await jobs.enqueueMany(
            a,
            Array.from({ length: 105 }, (_, i) => i),
          );
          const last = await jobs.enqueue(b, 'last');
          const list = await jobs.list();
          assert.equal(list.length, 100);
          assert.equal(list[0]?.id, last.id);
          assert.ok(list.every((r, i) => i === 0 || BigInt(r.id) < BigInt(list[i - 1]!.id)));
          assert.equal((await jobs.list({ name: 'a', limit: 500 })).length, 105);
          assert.equal((await jobs.list({ queue: 'other' })).length, 1);
          await jobs.cancel(last.id);
          assert.deepEqual(
            (await jobs.list({ state: ['cancelled', 'failed'] })).map((r: JobRecord) => r.id),
            [last.id],
          );
          assert.deepEqual(await jobs.counts(), {
            pending: 105,
            running: 0,
            succeeded: 0,
            failed: 0,
            cancelled: 1,
          });
        }));

      test('get of an unknown id is undefined; the handle and id methods reject JobNotFoundError', () =>
        withStore(async ({ jobs }) => {
          assert.equal(await jobs.get('999999'), undefined);
          const handle = jobs.handle('999999');
          await assert.rejects(handle.status(), JobNotFoundError);
          await assert.rejects(handle.result(), JobNotFoundError);
          await assert.rejects(handle.cancel(), JobNotFoundError);
          await assert.rejects(
            jobs.retry('999999'),
            (e: unknown) => e instanceof JobNotFoundError && e.id === '999999',
          );
          const real = await jobs.enqueue(
            defineJob('exact', () => 1),
            null,
            { delayMs: 60_000 },
          );
          for (const near of [`0${real.id}`, `${real.id}.0`, ` ${real.id}`, `${real.id}e0`]) {
            assert.equal(await jobs.get(near), undefined, `${JSON.stringify(near)} names no job`);
            await assert.rejects(jobs.cancel(near), JobNotFoundError);
          }
          assert.equal(await real.status(), 'pending');
        }));

      test('result({ timeoutMs }) gives up waiting with TimeoutError; the job goes on', () =>
        withStore(async ({ jobs }) => {
          const job = defineJob('t', () => 1);
          const handle = await jobs.enqueue(job, null);
          await assert.rejects(handle.result({ timeoutMs: 50 }), TimeoutError);
          assert.equal(await handle.status(), 'pending');
        }));
    });

    describe('schedules', () => {
      test('each tick runs exactly once however many workers share the store, keyed <name>@<tick ISO>', () =>
        withStore(async ({ jobs, another }) => {
          const ticks: string[] = [];
          const job = defineJob('every-second', (p: string) => {
            ticks.push(p);
          });
          const schedules = [{ job, cron: '* * * * * *', payload: 'tick' }];
          const workers = [
            start(jobs, { jobs: [job], schedules }),
            start(await another(), { jobs: [job], schedules }),
            start(await another(), { jobs: [job], schedules }),
          ];
          await until(async () => (await jobs.counts()).succeeded >= 3, 'three ticks', 15_000);
          for (const w of workers) await w.stop();
          const records = await jobs.list({ name: 'every-second' });
          const keys = records.map((r) => r.key);
          assert.equal(new Set(keys).size, keys.length, 'no tick twice');
          for (const key of keys)
            assert.match(key ?? '', /^every-second@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
          assert.ok(ticks.every((t) => t === 'tick'));
        }));
    });

    describe('bad input', () => {
      test('enqueue, worker and the id methods name the bad argument', () =>
        withStore(async ({ jobs }) => {
          const job: Job<number, number> = defineJob('n', (p: number) => p);
          await assert.rejects(jobs.enqueue({} as never, 1), /`job`/);
          await assert.rejects(jobs.enqueue(job, 1, { delayMs: -1 }), {
            name: 'RangeError',
            message: /options\.delayMs/,
          });
          await assert.rejects(
            jobs.enqueue(job, 1, { runAt: new Date(Number.NaN) }),
            /options\.runAt/,
          );
          await assert.rejects(jobs.enqueue(job, 1, { delayMs: 1, runAt: new Date() }), /not both/);
          await assert.rejects(jobs.enqueue(job, 1, { priority: 1.5 }), /options\.priority/);
          await assert.rejects(jobs.enqueue(job, 1, { maxAttempts: 0 }), /options\.maxAttempts/);
          await assert.rejects(jobs.enqueue(job, 1, { key: '' }), /options\.key/);
          await assert.rejects(jobs.enqueueMany(job, 1 as never), /`payloads`/);
          await assert.rejects(jobs.get(7 as never), /`id`/);
          await assert.rejects(jobs.list({ state: 'done' as never }), /filter\.state/);
          await assert.rejects(jobs.list({ limit: 0 }), /filter\.limit/);
          await assert.rejects(jobs.prune({ olderThanMs: -1 }), /olderThanMs/);
          assert.throws(() => jobs.handle(''), /`id`/);
          assert.throws(() => jobs.worker({ jobs: [] }), /options\.jobs/);
          assert.throws(() => jobs.worker({ jobs: [job], concurrency: 0 }), /options\.concurrency/);
          assert.throws(() => jobs.worker({ jobs: [job], leaseMs: 10 }), /options\.leaseMs/);
          assert.throws(() => jobs.worker({ jobs: [job], pollMs: 0 }), /options\.pollMs/);
          assert.throws(() => jobs.worker({ jobs: [job, job] }), /two jobs are named/);
          assert.throws(
            () => jobs.worker({ jobs: [job], schedules: [{ job, cron: 'every minute' }] }),
            /schedules\[0\]\.cron/,
          );
          assert.throws(
            () =>
              jobs.worker({
                jobs: [job],
                schedules: [{ job, cron: '* * * * *', timezone: 'Mars/Base' }],
              }),
            /schedules\[0\]\.timezone/,
          );
          assert.throws(
            () => jobs.worker({ jobs: [job], onError: 'log' as never }),
            /options\.onError/,
          );
          const worker = jobs.worker({ jobs: [job] });
          await assert.rejects(worker.stop({ graceMs: -5 }), /options\.graceMs/);
          await worker.stop();
        }));
    });
  });
}
