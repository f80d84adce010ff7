/**
 * fast-check: random sequences of enqueue, cancel, retry and worker
 * starts and stops (with and without grace) against a model of the job
 * states. The store never shows an impossible transition, no job is lost,
 * no finished job runs again (unless retried), and everything ends.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { sleep } from '../src/index.js';
import {
  defineJob,
  type JobState,
  type Jobs,
  type JobWorker,
  openJobs,
} from '../src/jobs/index.js';
import { dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';

type Op =
  | { kind: 'enqueue'; behaviour: 'ok' | 'fail' | 'slow'; delayMs: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'retry'; pick: number }
  | { kind: 'start' }
  | { kind: 'stop'; graceMs: number }
  | { kind: 'pause'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('enqueue' as const),
    behaviour: fc.constantFrom('ok' as const, 'fail' as const, 'slow' as const),
    delayMs: fc.constantFrom(0, 0, 30),
  }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('retry' as const), pick: fc.nat() }),
  fc.constant({ kind: 'start' as const }),
  fc.record({ kind: fc.constant('stop' as const), graceMs: fc.constantFrom(0, 50) }),
  fc.record({ kind: fc.constant('pause' as const), ms: fc.constantFrom(5, 20, 60) }),
);

/** Transitions a job may make between two looks (several steps may pass between looks). */
const reachable: Record<JobState, readonly JobState[]> = {
  pending: ['pending', 'running', 'succeeded', 'failed', 'cancelled'],
  running: ['running', 'pending', 'succeeded', 'failed', 'cancelled'],
  succeeded: ['succeeded'],
  failed: ['failed'],
  cancelled: ['cancelled'],
};

/** A fresh store of each kind, and how to remove it. */
const stores: Record<string, () => Promise<{ jobs: Jobs; remove(): Promise<void> }>> = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-jobs-prop-'));
    const jobs = await openJobs(`sqlite:${join(dir, 'jobs.db')}`);
    return { jobs, remove: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  postgres: async () => {
    const schema = freshSchema('prop');
    const jobs = await openJobs(POSTGRES_URL, { schema });
    return { jobs, remove: () => dropSchema(schema) };
  },
};

for (const [kind, fresh] of Object.entries(stores)) {
  test(`property (${kind}): random enqueue / cancel / retry / worker stop sequences respect the job state model`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 14 }), async (ops) => {
        const { jobs, remove } = await fresh();
        const starts: Array<{ id: string; at: number }> = [];
        let clock = 0;
        const job = defineJob(
          'modelled',
          async (behaviour: 'ok' | 'fail' | 'slow', ctx) => {
            starts.push({ id: ctx.id, at: clock });
            if (behaviour === 'fail') throw new Error('planned failure');
            if (behaviour === 'slow') await sleep(40);
            return behaviour;
          },
          { maxAttempts: 2, backoff: 5 },
        );
        const ids: string[] = [];
        const seen = new Map<string, JobState>();
        /** Per job: the clock at which it was last observed final, unless retried since. */
        const finalSince = new Map<string, number>();
        let worker: { w: JobWorker; run: Promise<void> } | undefined;
        const look = async (): Promise<void> => {
          clock++;
          for (const id of ids) {
            const record = await jobs.get(id);
            assert.ok(record !== undefined, `job ${id} was lost`);
            const before = seen.get(id);
            if (before !== undefined) {
              assert.ok(
                reachable[before].includes(record.state),
                `job ${id}: ${before} -> ${record.state} is impossible`,
              );
            }
            seen.set(id, record.state);
            if (
              ['succeeded', 'failed', 'cancelled'].includes(record.state) &&
              !finalSince.has(id)
            ) {
              finalSince.set(id, clock);
            }
          }
        };
        const stopWorker = async (graceMs: number): Promise<void> => {
          if (worker === undefined) return;
          await worker.w.stop({ graceMs });
          await worker.run;
          worker = undefined;
        };
        try {
          for (const step of ops) {
            switch (step.kind) {
              case 'enqueue': {
                const h = await jobs.enqueue(job, step.behaviour, { delayMs: step.delayMs });
                ids.push(h.id);
                break;
              }
              case 'cancel':
                if (ids.length > 0) await jobs.cancel(ids[step.pick % ids.length]!);
                break;
              case 'retry':
                if (ids.length > 0) {
                  const id = ids[step.pick % ids.length]!;
                  if (await jobs.retry(id)) {
                    // A retried job leaves its final state: the model allows it once.
                    seen.set(id, 'pending');
                    finalSince.delete(id);
                  }
                }
                break;
              case 'start':
                if (worker === undefined) {
                  const w = jobs.worker({
                    jobs: [job],
                    concurrency: 3,
                    pollMs: 5,
                    onError: () => {},
                  });
                  worker = { w, run: w.run() };
                }
                break;
              case 'stop':
                await stopWorker(step.graceMs);
                break;
              case 'pause':
                await sleep(step.ms);
                break;
            }
            await look();
          }
          // Drain: everything ends once a worker runs long enough.
          const w = jobs.worker({ jobs: [job], concurrency: 3, pollMs: 5, onError: () => {} });
          const run = w.run();
          const deadline = performance.now() + 20_000;
          for (;;) {
            await look();
            const counts = await jobs.counts();
            if (counts.pending === 0 && counts.running === 0) break;
            assert.ok(performance.now() < deadline, `not drained: ${JSON.stringify(counts)}`);
            await sleep(10);
          }
          await w.stop({ graceMs: 0 });
          await run;
          // No finished job ran again after it was seen finished (a retry resets that).
          for (const { id, at } of starts) {
            const since = finalSince.get(id);
            if (since !== undefined)
              assert.ok(at <= since, `job ${id} ran again after it finished`);
          }
          assert.equal((await jobs.list({ limit: 1000 })).length, ids.length, 'no job lost');
        } finally {
          await stopWorker(0);
          await jobs.close();
          await remove();
        }
      }),
      // A failing run can take the drain's 20 s; shrinking a failure must not
      // take an hour of CI: stop after 3 minutes with the smallest case so far.
      { numRuns: 25, interruptAfterTimeLimit: 180_000, markInterruptAsFailure: true },
    );
  });
}
