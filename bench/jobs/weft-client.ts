/** The bench client over any weft/jobs store (SQLite or PostgreSQL): one job, `bench`. */

import { defineJob, type JobRecord, type Jobs } from '../../src/jobs/index.js';
import type { BenchPayload, BenchWorker, JobOutcome, JobsClient } from './contender.js';

/** The handler the bench job runs: set by `work()` (one worker per process). */
let onStart: ((payload: BenchPayload, id: string) => void) | undefined;

/** Two attempts, no backoff: the retry scenario's jobs fail once and run again at once. */
const benchJob = defineJob(
  'bench',
  (payload: BenchPayload, ctx) => {
    onStart?.(payload, ctx.id);
    if (payload.f === 1 && ctx.attempt === 1) throw new Error('the first attempt fails');
    return payload.i;
  },
  { maxAttempts: 2, backoff: 0 },
);

function outcome(record: JobRecord): JobOutcome {
  return {
    id: record.id,
    state: record.state,
    attempts: record.attempts,
    payload: record.payload as BenchPayload,
    result: record.result,
    finishedAt: record.finishedAt?.getTime(),
  };
}

/** @internal */
export class WeftClient implements JobsClient {
  constructor(private readonly jobs: Jobs) {}

  async enqueue(payload: BenchPayload): Promise<string> {
    return (await this.jobs.enqueue(benchJob, payload)).id;
  }

  async enqueueMany(payloads: BenchPayload[]): Promise<string[]> {
    return (await this.jobs.enqueueMany(benchJob, payloads)).map((h) => h.id);
  }

  work(settings: Parameters<JobsClient['work']>[0]): BenchWorker {
    onStart = settings.onStart;
    let reported = 0;
    const worker = this.jobs.worker({
      jobs: [benchJob],
      concurrency: settings.concurrency,
      pollMs: settings.pollMs,
      // Every failed attempt, lost lease or store outage comes here: all but
      // the retry scenario's planned first-attempt failures fail the run.
      onError: (error) => {
        if (String(error).includes('the first attempt fails')) return;
        reported++;
        console.error('bench worker error:', error);
      },
    });
    const running = worker.run();
    return {
      stop: async () => {
        await worker.stop();
        await running;
      },
      failed: () => reported,
    };
  }

  counts(): Promise<Record<string, number>> {
    return this.jobs.counts();
  }

  async outcomes(): Promise<JobOutcome[]> {
    const total = Object.values(await this.jobs.counts()).reduce((a, b) => a + b, 0);
    return (await this.jobs.list({ limit: Math.max(1, total) })).map(outcome);
  }

  close(): Promise<void> {
    return this.jobs.close();
  }
}
