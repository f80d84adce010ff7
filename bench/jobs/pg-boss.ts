/**
 * pg-boss 12 on PostgreSQL: one schema per scenario (pg-boss creates it and
 * its tables on `start()`), one queue `bench`, a PgBoss instance (its own
 * pg.Pool) per process.
 */

import type { Job, JobResult, WorkOptions } from 'pg-boss';
import { PgBoss } from 'pg-boss';
import {
  type BenchPayload,
  type BenchWorker,
  emptyCounts,
  type JobOutcome,
  type JobsClient,
  type JobsContender,
} from './contender.js';
import { analyzeSchemaStore, dropSchemaStore, freshSchemaStore, parseStore } from './postgres.js';

const QUEUE = 'bench';
const PLANNED = 'the first attempt fails';

/**
 * Two attempts (one retry), retried at once, and completed jobs never
 * deleted (`deleteAfterSeconds: 0`) so that `outcomes()` sees every job.
 */
const QUEUE_OPTIONS = {
  retryLimit: 1,
  retryDelay: 0,
  retryBackoff: false,
  deleteAfterSeconds: 0,
};

/** pg-boss polls no faster than every 0.5 s (`pollingIntervalSeconds` >= 0.5). */
const MIN_POLL_SECONDS = 0.5;

/** pg-boss's states, normalised to weft's. */
const STATE: Record<string, string> = {
  created: 'pending',
  retry: 'pending',
  active: 'running',
  completed: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * pg-boss's defaults (a pg.Pool of at most 10, supervision and maintenance
 * on), plus its opt-in LISTEN/NOTIFY wake-ups (one more connection).
 */
function boss(url: string, schema: string): PgBoss {
  return new PgBoss({ connectionString: url, schema, useListenNotify: true });
}

class PgBossClient implements JobsClient {
  /** Errors pg-boss reported (a failed fetch, settle or maintenance pass): each fails the run. */
  private errors = 0;

  constructor(
    private readonly boss: PgBoss,
    private readonly schema: string,
  ) {
    boss.on('error', (error) => {
      this.errors++;
      console.error('pg-boss error:', error);
    });
  }

  async enqueue(payload: BenchPayload): Promise<string> {
    const id = await this.boss.send(QUEUE, payload);
    if (id === null) throw new Error('pg-boss send() created no job');
    return id;
  }

  async enqueueMany(payloads: BenchPayload[]): Promise<string[]> {
    const ids = await this.boss.insert(
      QUEUE,
      payloads.map((data) => ({ data })),
      { returnId: true },
    );
    if (ids === null || ids.length !== payloads.length)
      throw new Error(`pg-boss insert() created ${ids?.length ?? 0} of ${payloads.length} jobs`);
    return ids;
  }

  work(settings: Parameters<JobsClient['work']>[0]): BenchWorker {
    const errorsBefore = this.errors;
    let unexpected = 0;
    const poll = Math.max(MIN_POLL_SECONDS, settings.pollMs / 1000);
    const options = {
      // One fetch loop claiming `concurrency` jobs at a time, run together
      // and settled one by one; while fetches come back full it fetches
      // again at once. (`localConcurrency` 24 × `batchSize` 1 would sleep
      // a poll interval after every job: ~50 jobs/s per process.)
      localConcurrency: 1,
      batchSize: settings.concurrency,
      burstWhenBatchFull: true,
      perJobResults: true,
      pollingIntervalSeconds: poll,
      notifyPollingIntervalSeconds: poll,
    } satisfies WorkOptions;
    const run = (job: Job<BenchPayload>): number => {
      settings.onStart(job.data, job.id);
      // retryCount: 0 on the first claim, +1 on each claim after it.
      if (job.data.f === 1 && job.retryCount === 0) throw new Error(PLANNED);
      return job.data.i;
    };
    const started = this.boss.work<BenchPayload>(QUEUE, options, async (jobs) =>
      jobs.map((job): JobResult => {
        try {
          return { id: job.id, status: 'completed', output: run(job) };
        } catch (error) {
          if (!String(error).includes(PLANNED)) {
            unexpected++;
            console.error('bench handler error:', error);
          }
          return { id: job.id, status: 'failed', output: { message: String(error) } };
        }
      }),
    );
    started.catch((error) => {
      unexpected++;
      console.error('pg-boss work() failed:', error);
    });
    return {
      stop: async () => {
        await started.catch(() => {});
        await this.boss.offWork(QUEUE, { wait: true });
      },
      failed: () => unexpected + this.errors - errorsBefore,
    };
  }

  async counts(): Promise<Record<string, number>> {
    // pg-boss's own queue counts (getQueue) are cached: read the job table.
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        `SELECT state::text AS state, count(*)::int AS n FROM "${this.schema}".job WHERE name = $1 GROUP BY state`,
        [QUEUE],
      );
    const counts = emptyCounts();
    for (const row of rows as { state: string; n: number }[]) {
      const state = STATE[row.state] ?? row.state;
      counts[state] = (counts[state] ?? 0) + row.n;
    }
    return counts;
  }

  async outcomes(): Promise<JobOutcome[]> {
    const outcomes: JobOutcome[] = [];
    const limit = 100_000;
    let after: string | undefined;
    for (;;) {
      const page = await this.boss.findJobs<BenchPayload>(QUEUE, {
        limit,
        ...(after === undefined ? {} : { after }),
      });
      for (const job of page) {
        outcomes.push({
          id: job.id,
          state: STATE[job.state] ?? job.state,
          // retry_count counts the claims after the first; a job never claimed has no started_on.
          attempts: job.startedOn ? job.retryCount + 1 : 0,
          payload: job.data,
          result: (job.output as { value?: unknown } | null)?.value,
          finishedAt: job.completedOn ? new Date(job.completedOn).getTime() : undefined,
        });
      }
      if (page.length < limit) return outcomes;
      after = page[page.length - 1]!.id;
    }
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: true, close: true });
  }
}

export const pgBoss: JobsContender = {
  id: 'pg-boss',
  name: 'pg-boss',
  library: 'pg-boss',
  backend:
    'PostgreSQL 15 on 127.0.0.1, pg-boss 12.38 defaults (a pg.Pool of at most 10 per process, supervision and maintenance on) plus its opt-in LISTEN/NOTIFY wake-ups (`useListenNotify`, queue `notify: true`; docs/api/workers.md, "Low-latency dispatch"); queue `bench`: `retryLimit` 1, `retryDelay` 0, `retryBackoff` false, `deleteAfterSeconds` 0 (completed jobs kept for the checks). Worker: one `work()` per process, `batchSize` = concurrency (24), `localConcurrency` 1, `burstWhenBatchFull` (fetch again at once while batches come back full), `perJobResults` (each job settled with its own output); `pollingIntervalSeconds` = `notifyPollingIntervalSeconds` = pollMs, clamped to the 0.5 s pg-boss minimum. `enqueueMany` = `insert()` (one statement)',
  notes:
    'No lease renewal by default: a claimed job is failed or retried only once it has been active `expireInSeconds` (default 900 s); heartbeats (`heartbeatSeconds` >= 10 s) are opt-in and left off here. Settling is fenced to the attempt (id + retry count). Polls no faster than every 0.5 s, so pollMs 10, 50 and 250 all poll at 0.5 s: the latency rows measure the NOTIFY wake-up, which a retried job does not get (it waits for the next fetch). A batch is claimed together and the next fetch waits for its slowest job. Declares Node >= 22.12 but runs on Node 20',
  async createStore(_dir, label) {
    const store = freshSchemaStore('pgboss', label);
    const { url, schema } = parseStore(store);
    const b = boss(url, schema);
    b.on('error', (error) => console.error('pg-boss error:', error));
    await b.start();
    try {
      await b.createQueue(QUEUE, { ...QUEUE_OPTIONS, notify: true });
    } finally {
      await b.stop({ graceful: false, close: true });
    }
    return store;
  },
  dropStore: dropSchemaStore,
  steady: analyzeSchemaStore,
  async open(store) {
    const { url, schema } = parseStore(store);
    const b = boss(url, schema);
    const client = new PgBossClient(b, schema);
    await b.start();
    return client;
  },
};
