/**
 * BullMQ on Redis (127.0.0.1:6379): one queue, `bench`, under a key prefix
 * of its own per scenario; a `Queue` per process to enqueue and read back,
 * and a `Worker` where `work()` is called.
 */

import { type Job, type JobType, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  type BenchPayload,
  type BenchWorker,
  emptyCounts,
  type JobOutcome,
  type JobsClient,
  type JobsContender,
} from './contender.js';

/** What `createStore` returns (as JSON text): the key prefix and the queue's name. */
interface BullStore {
  prefix: string;
  queue: string;
}

/** `maxRetriesPerRequest: null`: required for workers (docs.bullmq.io/guide/going-to-production). */
const CONNECTION = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };

/**
 * Two attempts; no `backoff`, so a failed first attempt goes straight back
 * to `wait` (BullMQ's `retryJob`). Finished jobs are kept for the checks.
 */
const JOB_OPTIONS = { attempts: 2, removeOnComplete: false, removeOnFail: false } as const;

const PLANNED = 'the first attempt fails';

/** BullMQ's job states (`getJobCounts()`'s default set) and weft's names for them. */
const STATES: [JobType, string][] = [
  ['waiting', 'pending'],
  ['delayed', 'pending'],
  ['prioritized', 'pending'],
  ['waiting-children', 'pending'],
  ['active', 'running'],
  ['completed', 'succeeded'],
  ['failed', 'failed'],
];
const NORMALISED = new Map(STATES);

const parse = (store: string): BullStore => JSON.parse(store) as BullStore;

function outcome(job: Job, state: string): JobOutcome {
  return {
    id: job.id!,
    state,
    // Incremented when an attempt completes or fails (moveToFinished, retryJob):
    // 1 after one run, 2 after a failed first attempt and a retry.
    attempts: job.attemptsMade,
    payload: job.data as BenchPayload,
    result: job.returnvalue ?? undefined,
    finishedAt: job.finishedOn,
  };
}

class BullClient implements JobsClient {
  private worker: Worker | undefined;

  constructor(
    private readonly store: BullStore,
    private readonly queue: Queue,
  ) {}

  async enqueue(payload: BenchPayload): Promise<string> {
    return (await this.queue.add('bench', payload, JOB_OPTIONS)).id!;
  }

  /** `addBulk`: one MULTI/EXEC transaction. */
  async enqueueMany(payloads: BenchPayload[]): Promise<string[]> {
    const jobs = await this.queue.addBulk(
      payloads.map((data) => ({ name: 'bench', data, opts: JOB_OPTIONS })),
    );
    return jobs.map((job) => job.id!);
  }

  work(settings: Parameters<JobsClient['work']>[0]): BenchWorker {
    let unexpected = 0;
    const report = (what: string, error: unknown): void => {
      unexpected++;
      console.error(`bench worker ${what}:`, error);
    };
    const worker = new Worker(
      this.store.queue,
      async (job: Job) => {
        const payload = job.data as BenchPayload;
        settings.onStart(payload, job.id!);
        // attemptsMade: attempts finished before this one.
        if (payload.f === 1 && job.attemptsMade === 0) throw new Error(PLANNED);
        return payload.i;
      },
      {
        connection: CONNECTION,
        prefix: this.store.prefix,
        concurrency: settings.concurrency,
        // The rest are BullMQ's defaults (WorkerOptions): autorun, lockDuration
        // 30 s renewed every 15 s, stalledInterval 30 s, maxStalledCount 1, drainDelay 5 s.
      },
    );
    worker.on('failed', (job, error) => {
      if (job?.data.f === 1 && error.message === PLANNED) return;
      report(`job ${job?.id} failed`, error);
    });
    worker.on('error', (error) => report('error', error));
    worker.on('stalled', (id) => report('stalled job', id));
    this.worker = worker;
    return {
      stop: () => worker.close(),
      failed: () => unexpected,
    };
  }

  async counts(): Promise<Record<string, number>> {
    const counts = emptyCounts();
    const byType = await this.queue.getJobCounts(...STATES.map(([type]) => type));
    for (const [type, n] of Object.entries(byType)) {
      const state = NORMALISED.get(type as JobType)!;
      counts[state] = (counts[state] ?? 0) + n;
    }
    return counts;
  }

  async outcomes(): Promise<JobOutcome[]> {
    const byId = new Map<string, JobOutcome>();
    for (const [type, state] of STATES) {
      for (const job of await this.queue.getJobs([type], 0, -1, true)) {
        byId.set(job.id!, outcome(job as Job, state));
      }
    }
    return [...byId.values()];
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}

export const bullmq: JobsContender = {
  id: 'bullmq',
  name: 'BullMQ',
  library: 'bullmq',
  backend:
    "Redis 7.0 on 127.0.0.1:6379 as this machine runs it (in memory: no AOF, no RDB snapshots), a key prefix per scenario. BullMQ's Worker defaults (WorkerOptions; docs.bullmq.io/guide/workers): autorun, lockDuration 30 s renewed every 15 s, stalledInterval 30 s, maxStalledCount 1; concurrency 24 per process (docs.bullmq.io/guide/workers/concurrency: a concurrency factor for async handlers, and several worker processes as the recommended setup); connections with maxRetriesPerRequest: null (docs.bullmq.io/guide/going-to-production): a Queue's client and the Worker's own plus its blocking one per process. Push-based: an idle worker blocks on BZPOPMIN of the queue's marker key (up to drainDelay 5 s) and each add wakes it, so pollMs does not apply. attempts 2 with no backoff (retried at once); completed and failed jobs kept (removeOnComplete/removeOnFail false, not the docs' production advice to auto-remove them) so that the checks read every job; enqueueMany = addBulk, one MULTI/EXEC.",
  notes:
    "Jobs live in Redis, not in the application's database: no enqueue in the same transaction as the application's writes, and on this Redis (no persistence) a restart loses every job. A handler's lock is renewed while it runs (lockDuration 30 s, every 15 s); a job whose lock lapses is moved back to wait by the stalled check and run again (at least once; failed after maxStalledCount 1). A worker finishing a job it no longer holds the lock of gets an error rather than storing an outcome.",
  async createStore(_dir, label) {
    const prefix = `weft-bench-${label}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '_');
    return JSON.stringify({ prefix, queue: 'bench' } satisfies BullStore);
  },
  async dropStore(store) {
    const { prefix, queue: name } = parse(store);
    const queue = new Queue(name, { connection: CONNECTION, prefix });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
    // Whatever obliterate leaves (markers, event streams, meta): every key under the prefix.
    const redis = new Redis(CONNECTION);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      await redis.quit();
    }
  },
  async open(store) {
    const parsed = parse(store);
    const queue = new Queue(parsed.queue, { connection: CONNECTION, prefix: parsed.prefix });
    await queue.waitUntilReady();
    return new BullClient(parsed, queue);
  },
};
