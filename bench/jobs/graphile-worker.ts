/**
 * graphile-worker 0.18 on PostgreSQL, one schema per scenario: its default
 * mode (`graphileWorker`) and its batched mode (`graphileWorkerBatched`: a
 * local queue and batched completions, as its performance page advises for
 * high throughput).
 *
 * graphile-worker deletes a job when it completes and keeps no result. So
 * that the checks see every job, `createStore` adds a side table to the
 * schema and a statement-level AFTER DELETE trigger on its `_private_jobs`
 * that copies each deleted row's id, payload and attempts there with the
 * time of the delete. The trigger runs inside graphile-worker's own
 * completion statement: no extra round trip, one INSERT … SELECT per DELETE
 * (a batched DELETE included), into an UNLOGGED table (no WAL). Measured:
 * 20,000 single-row deletes take about 3 µs each without it, 7.5 µs with it.
 * Wrapping the task to INSERT its result instead would add a round trip per
 * job to the hot path, and would time the outcome before graphile-worker
 * stored it.
 */

import { EventEmitter } from 'node:events';
import type { Job, Runner, Task, WorkerEvents, WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import {
  type BenchPayload,
  type BenchWorker,
  emptyCounts,
  type JobOutcome,
  type JobsClient,
  type JobsContender,
  type WorkerSettings,
} from './contender.js';
import { analyzeSchemaStore, dropSchemaStore, freshSchemaStore, parseStore } from './postgres.js';
import { CONCURRENCY } from './settings.js';

// graphile-worker's perfTest (perfTest/run.js) sets this so that no "Completed
// task" line is formatted per job; it is read when the library loads.
process.env.NO_LOG_SUCCESS ??= '1';
const { Logger, makeWorkerUtils, run, runMigrations } = await import('graphile-worker');

const TASK = 'bench';
const PLANNED = 'the first attempt fails';
/** Side table of completed jobs (see the header). */
const COMPLETED = 'bench_completed';

/** One mode's worker options (graphile-worker's preset.worker). */
interface Mode {
  /** maxPoolSize of the worker's pool (made on open, for the bench's concurrency). */
  poolSize: (concurrency: number) => number;
  /**
   * Connections of that pool opened on open, the ones the worker needs as it
   * starts (connecting takes tens of ms here: a batched worker process that
   * starts late finds a 300-job backlog gone to the others).
   */
  warm: number;
  batching?: (concurrency: number) => {
    localQueue: { size: number };
    completeJobBatchDelay: number;
    failJobBatchDelay: number;
  };
}

/**
 * Its logs, minus info and debug (a production setting). Errors other than
 * a failed attempt (reported by the `job:error` event) are failures of the run.
 */
function makeLogger(onError: (message: string) => void) {
  return new Logger(() => (level, message, meta) => {
    if (level === 'error') {
      if (meta?.failure !== true) onError(message);
    } else if (level === 'warning' && !message.includes('smaller than concurrency')) {
      // (The default mode's pool is smaller than its concurrency on purpose: see its backend.)
      console.warn(`graphile-worker: ${message}`);
    }
  });
}

/**
 * Normalised state of a job still in graphile-worker's table: locked →
 * running; out of attempts → failed (with its last error) or cancelled (no
 * error: a job superseded by one with the same key); else pending (retries
 * waiting for their run_at included).
 */
const STATE_SQL = `case when locked_at is not null then 'running'
  when attempts >= max_attempts and last_error is not null then 'failed'
  when attempts >= max_attempts then 'cancelled' else 'pending' end`;

interface OutcomeRow {
  id: string;
  payload: BenchPayload;
  attempts: number;
  state: string;
  completed_at: Date | null;
}

class GraphileClient implements JobsClient {
  private utils: Promise<WorkerUtils> | undefined;
  private readonly q: string;
  private errors = 0;
  private readonly logger = makeLogger((message) => {
    this.errors++;
    console.error(`graphile-worker error: ${message}`);
  });
  /** The worker's pool (`maxPoolSize` of its mode): made and connected by `open`. */
  readonly pool: pg.Pool;

  constructor(
    private readonly url: string,
    private readonly schema: string,
    private readonly mode: Mode,
  ) {
    this.q = pg.Client.prototype.escapeIdentifier(schema);
    this.pool = new pg.Pool({ connectionString: url, max: mode.poolSize(CONCURRENCY) });
    // graphile-worker asks for these on a pool it is given (its own pools have them).
    this.pool.on('error', (error) => this.logger.error(`idle client: ${error.message}`));
    this.pool.on('connect', (client) =>
      client.on('error', (error) => this.logger.error(`active client: ${error.message}`)),
    );
  }

  /**
   * What `run()` would do when the worker starts (its migrations check, a
   * first connection), done on open as weft does, so that the worker
   * processes of a scenario start claiming together.
   */
  async prepare(): Promise<void> {
    await runMigrations({ pgPool: this.pool, schema: this.schema, logger: this.logger });
    const clients = await Promise.all(
      Array.from({ length: this.mode.warm }, () => this.pool.connect()),
    );
    for (const client of clients) client.release();
  }

  /**
   * The producer's WorkerUtils (its own pool, graphile-worker's default size
   * 10), made on first use: a worker process never needs it.
   */
  private getUtils(): Promise<WorkerUtils> {
    this.utils ??= makeWorkerUtils({
      connectionString: this.url,
      schema: this.schema,
      logger: this.logger,
    });
    return this.utils;
  }

  async enqueue(payload: BenchPayload): Promise<string> {
    const job = await (await this.getUtils()).addJob(TASK, payload, { maxAttempts: 2 });
    return job.id;
  }

  async enqueueMany(payloads: BenchPayload[]): Promise<string[]> {
    const jobs = await (await this.getUtils()).addJobs(
      payloads.map((payload) => ({ identifier: TASK, payload, maxAttempts: 2 })),
    );
    // In payload order (add_jobs returns its inserted rows; match them by index).
    const byIndex = new Map<number, Job>();
    for (const job of jobs) byIndex.set((job.payload as BenchPayload).i, job);
    return payloads.map((p, k) => (byIndex.get(p.i) ?? jobs[k]!).id);
  }

  work(settings: WorkerSettings): BenchWorker {
    let failed = 0;
    const unexpected = (what: string, error: unknown): void => {
      failed++;
      console.error(`graphile-worker ${what}:`, error);
    };
    const task: Task = (raw, helpers) => {
      const payload = raw as BenchPayload;
      settings.onStart(payload, helpers.job.id);
      if (payload.f === 1 && helpers.job.attempts === 1) throw new Error(PLANNED);
      // The result is payload.i; graphile-worker discards a task's return value.
    };
    const events = new EventEmitter() as WorkerEvents;
    events.on('job:error', ({ job, error }) => {
      const planned =
        (job.payload as BenchPayload).f === 1 &&
        job.attempts === 1 &&
        error instanceof Error &&
        error.message === PLANNED;
      if (!planned) unexpected(`job ${job.id} failed`, error);
    });
    const errorsBefore = this.errors;
    const runner: Promise<Runner> = run({
      pgPool: this.pool,
      schema: this.schema,
      concurrency: settings.concurrency,
      pollInterval: settings.pollMs,
      taskList: { [TASK]: task },
      parsedCronItems: [],
      noHandleSignals: true,
      logger: this.logger,
      events,
      ...(this.mode.batching && {
        preset: { worker: this.mode.batching(settings.concurrency) },
      }),
    });
    // Its promise rejects if the pool dies (say, a completion it could not
    // store): counted at once, not left unhandled.
    const running = runner.then(
      (r) => {
        const ended = r.promise.catch((error) => unexpected('runner failed', error));
        return { r, ended };
      },
      (error) => {
        unexpected('runner failed to start', error);
        return undefined;
      },
    );
    return {
      stop: async () => {
        const started = await running;
        if (started === undefined) return;
        await started.r.stop().catch((error) => unexpected('runner failed to stop', error));
        await started.ended;
      },
      failed: () => failed + this.errors - errorsBefore,
    };
  }

  private async query<R extends pg.QueryResultRow>(text: string): Promise<R[]> {
    const utils = await this.getUtils();
    return utils.withPgClient(async (client) => (await client.query<R>(text)).rows);
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.query<{ state: string; n: number }>(
      `select state, count(*)::int as n from (
         select ${STATE_SQL} as state from ${this.q}._private_jobs
         union all select 'succeeded' from ${this.q}.${COMPLETED}
       ) s group by state`,
    );
    const counts = emptyCounts();
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  async outcomes(): Promise<JobOutcome[]> {
    // One statement (one snapshot): a job completing meanwhile is seen once.
    const rows = await this.query<OutcomeRow>(
      `select id::text as id, payload, attempts, ${STATE_SQL} as state, null as completed_at
         from ${this.q}._private_jobs
       union all
       select id::text, payload, attempts, 'succeeded', completed_at from ${this.q}.${COMPLETED}`,
    );
    return rows.map((row) => ({
      id: row.id,
      state: row.state,
      attempts: row.attempts,
      payload: row.payload,
      // graphile-worker keeps no result: the bench task's result is payload.i by definition.
      result: row.state === 'succeeded' ? row.payload.i : undefined,
      // Only completions have a time (graphile-worker stores none for a permanent failure).
      finishedAt: row.completed_at?.getTime(),
    }));
  }

  async close(): Promise<void> {
    const utils = this.utils;
    this.utils = undefined;
    if (utils !== undefined) await (await utils).release();
    await this.pool.end();
  }
}

/** Run graphile-worker's migrations in the fresh schema, then add the completion record. */
async function createStore(prefix: string, label: string): Promise<string> {
  const store = freshSchemaStore(prefix, label);
  const { url, schema } = parseStore(store);
  await runMigrations({ connectionString: url, schema, logger: makeLogger(console.error) });
  const q = pg.Client.prototype.escapeIdentifier(schema);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      create unlogged table ${q}.${COMPLETED} (
        id bigint not null, payload json not null, attempts smallint not null,
        completed_at timestamptz not null
      );
      create function ${q}.bench_record_completed() returns trigger language plpgsql as $$
      begin
        insert into ${q}.${COMPLETED} (id, payload, attempts, completed_at)
          select id, payload, attempts, clock_timestamp() from deleted;
        return null;
      end $$;
      create trigger bench_record_completed after delete on ${q}._private_jobs
        referencing old table as deleted
        for each statement execute function ${q}.bench_record_completed();
    `);
  } finally {
    await client.end();
  }
  return store;
}

function contender(
  id: string,
  name: string,
  prefix: string,
  mode: Mode,
  backend: string,
  notes: string,
): JobsContender {
  return {
    id,
    name,
    library: 'graphile-worker',
    backend,
    notes,
    createStore: (_dir, label) => createStore(prefix, label),
    dropStore: dropSchemaStore,
    steady: analyzeSchemaStore,
    async open(store) {
      const { url, schema } = parseStore(store);
      const client = new GraphileClient(url, schema, mode);
      await client.prepare();
      return client;
    },
  };
}

const COMMON_BACKEND =
  'PostgreSQL 15 on 127.0.0.1; `run()` with `concurrency` 24, `pollInterval` = pollMs (it polls only for jobs no notification announced, such as retries: new jobs wake it by LISTEN/NOTIFY, so pollMs barely matters), no info/debug logs (`NO_LOG_SUCCESS`, as its perfTest); producers: `makeWorkerUtils` (`addJob`; `addJobs` for enqueueMany), its default pool of 10. Completed jobs are deleted by graphile-worker: an AFTER DELETE trigger copies them to an unlogged side table for the checks (about 4 µs of database time per job)';

const COMMON_NOTES =
  "Retry delay fixed at exp(min(attempts, 10)) s in its SQL (not configurable in the open-source version): the retry scenario's second attempts wait about e ≈ 2.7 s. It keeps no job result (outcomes report payload.i) and no time of a permanent failure. No lease renewal: a job locked by a dead worker runs again only after 4 h (its reset of stale locks).";

export const graphileWorker = contender(
  'graphile-worker',
  'graphile-worker',
  'gw',
  { poolSize: () => 10, warm: 1 },
  `${COMMON_BACKEND}. Default mode: each of the 24 workers fetches and completes its own jobs (a statement each); \`maxPoolSize\` 10, its default (and weft's pool): the docs advise concurrency + 1 (performance page: concurrentJobs 24, maxPoolSize 25) or + 2 (option reference), but 4 processes × 25 plus the producer exceed this server's max_connections (100), and the docs allow a pool smaller than concurrency; here 10 drained faster than 12, 16 or 24 (4 processes: about 1,700 against 1,350 jobs/s with 24)`,
  COMMON_NOTES,
);

export const graphileWorkerBatched = contender(
  'graphile-worker-batched',
  'graphile-worker (batched)',
  'gwb',
  {
    poolSize: (concurrency) => concurrency + 1,
    // Its LISTEN client, the local queue's fetch, a batch of outcomes.
    warm: 3,
    batching: (concurrency) => ({
      localQueue: { size: concurrency + 1 },
      completeJobBatchDelay: 25,
      failJobBatchDelay: 25,
    }),
  },
  `${COMMON_BACKEND}. Batched mode, the starting point of its performance page's Batching section (worker.graphile.org/docs/performance): \`localQueue.size\` concurrency + 1 = 25 (one query fetches and locks 25 jobs, handed out in-process), \`completeJobBatchDelay\` and \`failJobBatchDelay\` 25 ms (a 25 ms window of outcomes in one statement); \`maxPoolSize\` 25 (performance page). Its perfTest's size 500 with 0 ms delays drains faster, but one process then locks a small backlog whole (300 jobs: the other 3 processes ran none)`,
  `${COMMON_NOTES} Batched: jobs waiting in a local queue, and outcomes waiting for their batch, stay locked if the process dies.`,
);
