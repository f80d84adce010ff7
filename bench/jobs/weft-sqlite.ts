/** weft/jobs on one SQLite file (WAL), through better-sqlite3. */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, type JobRecord, type Jobs, openJobs } from '../../src/jobs/index.js';
import type {
  BenchPayload,
  BenchWorker,
  JobOutcome,
  JobsClient,
  JobsContender,
} from './contender.js';

/** The handler the bench job runs: set by `work()` (one worker per process). */
let onStart: ((payload: BenchPayload, id: string) => void) | undefined;

const benchJob = defineJob(
  'bench',
  (payload: BenchPayload, ctx) => {
    onStart?.(payload, ctx.id);
    return payload.i;
  },
  { maxAttempts: 1 },
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

class WeftClient implements JobsClient {
  constructor(private readonly jobs: Jobs) {}

  async enqueue(payload: BenchPayload): Promise<string> {
    return (await this.jobs.enqueue(benchJob, payload)).id;
  }

  async enqueueMany(payloads: BenchPayload[]): Promise<string[]> {
    return (await this.jobs.enqueueMany(benchJob, payloads)).map((h) => h.id);
  }

  work(settings: Parameters<JobsClient['work']>[0]): BenchWorker {
    onStart = settings.onStart;
    let failed = 0;
    const worker = this.jobs.worker({
      jobs: [benchJob],
      concurrency: settings.concurrency,
      pollMs: settings.pollMs,
      onError: (error) => {
        failed++;
        console.error('bench job failed:', error);
      },
    });
    const running = worker.run();
    return {
      stop: async () => {
        await worker.stop();
        await running;
      },
      failed: () => failed + worker.stats().failed,
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

export const weftSqlite: JobsContender = {
  id: 'weft-sqlite',
  name: 'weft (SQLite)',
  library: 'weft',
  backend:
    "one SQLite file on local disk, WAL, synchronous = NORMAL (weft's settings), better-sqlite3 12; every process opens its own connection",
  async createStore(dir, label) {
    return join(dir, `${label}.db`);
  },
  async dropStore(path) {
    for (const suffix of ['', '-wal', '-shm', '-journal'])
      rmSync(`${path}${suffix}`, { force: true });
  },
  async open(path) {
    return new WeftClient(await openJobs(`sqlite:${path}`));
  },
};
