/**
 * `openJobs` and `Jobs`: a job store, opened, with everything a web handler
 * or a script needs to enqueue and follow durable jobs.
 *
 * @module
 */

import { inspect } from 'node:util';
import { InvalidStateError, TimeoutError } from '../exceptions.js';
import { checkOptions, firstError, show } from '../internal/validate.js';
import { Event } from '../locks.js';
import { timeout } from '../timeouts.js';
import { checkInteger, checkOptionalInteger, checkOptionalName, Job, msOption } from './define.js';
import { JobNotFoundError, JobValidationError } from './errors.js';
import { JobHandle } from './handle.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, toJson } from './json.js';
import type { PostgresPool } from './postgres/types.js';
import type { JobStore, NewJob } from './store.js';
import {
  type EnqueueOptions,
  JOB_STATES,
  type JobRecord,
  type JobState,
  type ListFilter,
} from './types.js';
import { JobWorker, type WorkerOptions } from './worker.js';

/** Options of {@link openJobs}. */
export interface OpenJobsOptions {
  /**
   * PostgreSQL: the schema that holds weft's tables (created if missing).
   * Ignored by the SQLite store.
   * @default 'weft'
   */
  schema?: string;
  /**
   * PostgreSQL: how long `openJobs` waits for a connection before it
   * rejects (and each later connection of the pool it makes).
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * The largest payload accepted, in bytes of JSON: a bigger one is a
   * `RangeError` at enqueue (keep large data elsewhere; pass a reference).
   * @default 1048576 (1 MiB)
   */
  maxPayloadBytes?: number;
}

/** Options of {@link openJobs} with a pool of your own: `openJobs({ pool, schema })`. */
export interface OpenJobsPoolOptions extends Omit<OpenJobsOptions, 'connectTimeoutMs'> {
  /**
   * A `pg.Pool` the app already has. The store borrows connections from
   * it (and opens one more, with the pool's settings, for LISTEN while a
   * worker runs); `close()` leaves the pool open.
   */
  pool: PostgresPool;
}

/** Options of {@link Jobs.prune}. */
export interface PruneOptions {
  /** Delete finished jobs whose `finishedAt` is older than this many ms (>= 0). */
  olderThanMs: number;
}

function checkId(id: unknown): Error | undefined {
  if (typeof id !== 'string') {
    return new TypeError(`Expected \`id\` to be a job id (a string), got ${show(id)}`);
  }
  return id.length === 0
    ? new RangeError('Expected `id` to be a non-empty string, got ""')
    : undefined;
}

function checkJob(job: unknown): Error | undefined {
  return job instanceof Job
    ? undefined
    : new TypeError(`Expected \`job\` to be a Job made by defineJob(), got ${show(job)}`);
}

/** Reject instead of throwing: every method here returns a promise. */
function rejecting<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * An open job store. Enqueue jobs from anywhere (a request handler, a
 * script), run them with {@link Jobs.worker} in this or any other process
 * that opens the same store.
 *
 * @example
 * ```ts
 * import { defineJob, openJobs } from 'weft/jobs';
 *
 * const resize = defineJob('resize', async (p: { file: string }) => `${p.file} resized`);
 * const jobs = await openJobs('sqlite::memory:');
 * const handle = await jobs.enqueue(resize, { file: 'cat.png' }, { delayMs: 10 });
 * console.log((await jobs.get(handle.id))?.state); // pending
 * console.log((await jobs.counts()).pending); // 1
 * await jobs.close();
 * ```
 */
export class Jobs {
  /** @internal */ readonly _store: JobStore;
  /** @internal */ readonly _maxPayloadBytes: number;
  /** @internal Workers made by this instance, woken at once by its enqueues and cancels. */
  readonly _workers = new Set<JobWorker>();
  /** @internal Handles of this process waiting for a job to change, by id. */
  readonly _watchers = new Map<string, Event>();
  /** @internal */ _closed = false;

  /** @internal Use {@link openJobs}. */
  constructor(store: JobStore, maxPayloadBytes: number) {
    this._store = store;
    this._maxPayloadBytes = maxPayloadBytes;
  }

  /**
   * Store a job for `payload` and return its handle. The payload is
   * checked (JSON only, `TypeError` naming the bad path; the job's schema,
   * `JobValidationError`) before anything is stored.
   */
  enqueue<P, R>(job: Job<P, R>, payload: P, options?: EnqueueOptions): Promise<JobHandle<R>> {
    return rejecting(async () => {
      const [handle] = await this._enqueue(job, [payload], options, 'payload');
      return handle as JobHandle<R>;
    });
  }

  /** Store one job per payload, in one transaction: all or none. */
  enqueueMany<P, R>(
    job: Job<P, R>,
    payloads: P[],
    options?: EnqueueOptions,
  ): Promise<JobHandle<R>[]> {
    return rejecting(async () => {
      if (!Array.isArray(payloads)) {
        throw new TypeError(`Expected \`payloads\` to be an array, got ${show(payloads)}`);
      }
      return (await this._enqueue(job, payloads, options, 'payloads')) as JobHandle<R>[];
    });
  }

  /** A handle for a job id (nothing is read until it is used). */
  handle<R = unknown>(id: string): JobHandle<R> {
    const error = checkId(id);
    if (error !== undefined) throw error;
    return new JobHandle<R>(this, id);
  }

  /** The job's record, or `undefined` for an unknown id. */
  get(id: string): Promise<JobRecord | undefined> {
    return rejecting(async () => {
      const error = checkId(id);
      if (error !== undefined) throw error;
      this._checkOpen();
      return this._store.get(id);
    });
  }

  /** Records, newest first (`createdAt`, then id): 100 unless `limit` says otherwise. */
  list(filter?: ListFilter): Promise<JobRecord[]> {
    return rejecting(async () => {
      const { state, name, queue, limit } = (filter ?? {}) as ListFilter;
      const states = state === undefined ? undefined : Array.isArray(state) ? state : [state];
      const error = firstError(
        checkOptions('filter', filter),
        states?.every((s) => JOB_STATES.includes(s)) === false
          ? new TypeError(
              `Expected \`filter.state\` to be one of ${JOB_STATES.join(', ')} (or an array of them), got ${show(state)}`,
            )
          : undefined,
        checkOptionalName('filter.name', name),
        checkOptionalName('filter.queue', queue),
        checkOptionalInteger('filter.limit', limit, 1),
      );
      if (error !== undefined) throw error;
      this._checkOpen();
      return this._store.list({ states, name, queue, limit: limit ?? 100 });
    });
  }

  /** How many jobs are in each state. */
  counts(): Promise<Record<JobState, number>> {
    return rejecting(async () => {
      this._checkOpen();
      return this._store.counts();
    });
  }

  /**
   * Cancel a job. A pending one is `cancelled` at once and never runs; a
   * running one's task is cancelled in whatever process runs it (at once in
   * this one, within `pollMs` elsewhere). False when it had already ended;
   * `JobNotFoundError` for an unknown id.
   */
  cancel(id: string): Promise<boolean> {
    return rejecting(async () => {
      const error = checkId(id);
      if (error !== undefined) throw error;
      this._checkOpen();
      const outcome = await this._store.cancel(id);
      if (outcome === 'missing') throw new JobNotFoundError(id);
      if (outcome === 'requested') for (const worker of this._workers) worker._cancelRequested(id);
      if (outcome === 'cancelled') this._notify(id);
      return outcome !== 'finished';
    });
  }

  /**
   * Run a failed or cancelled job again: `pending` now, attempts from 0, its
   * result and error cleared. False for a job not in those states, or whose
   * key another active job holds.
   */
  retry(id: string): Promise<boolean> {
    return rejecting(async () => {
      const error = checkId(id);
      if (error !== undefined) throw error;
      this._checkOpen();
      const outcome = await this._store.retry(id);
      if (outcome === 'missing') throw new JobNotFoundError(id);
      if (outcome === 'retried') this._wakeWorkers();
      return outcome === 'retried';
    });
  }

  /** Delete finished jobs older than `olderThanMs`; resolves how many were deleted. */
  prune(options: PruneOptions): Promise<number> {
    return rejecting(async () => {
      if (typeof options !== 'object' || options === null) {
        throw new TypeError(`Expected \`options\` to be { olderThanMs }, got ${show(options)}`);
      }
      const olderThanMs = msOption(options, 'olderThanMs');
      if (olderThanMs === undefined) {
        throw new TypeError(
          'Expected `options.olderThanMs` to be a number of milliseconds, got undefined',
        );
      }
      this._checkOpen();
      return this._store.prune(olderThanMs);
    });
  }

  /** A worker that runs `options.jobs` from this store (start it with `run()`). */
  worker(options: WorkerOptions): JobWorker {
    this._checkOpen();
    const worker = new JobWorker(this, options);
    this._workers.add(worker);
    return worker;
  }

  /**
   * Stop this instance's workers (with their default grace) and close the
   * store. Further calls reject with `InvalidStateError`. Idempotent.
   */
  async close(): Promise<void> {
    if (this._closed) return;
    await Promise.all([...this._workers].map((w) => w.stop()));
    this._closed = true;
    await this._store.close();
  }

  /** `Jobs<sqlite>` */
  toString(): string {
    return `Jobs<${this._store.kind}${this._closed ? ' closed' : ''}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal */
  _checkOpen(): void {
    if (this._closed) {
      throw new InvalidStateError(`${this} is closed`, { state: 'closed' });
    }
  }

  /** @internal Check, turn into rows, store, and wake local workers. */
  async _enqueue<P>(
    job: Job<P, unknown>,
    payloads: P[],
    options: EnqueueOptions | undefined,
    label: string,
  ): Promise<JobHandle<unknown>[]> {
    const given = readEnqueueOptions(options);
    const error = firstError(checkJob(job), checkEnqueueOptions(given));
    if (error !== undefined) throw error;
    if (given.tx !== undefined) {
      const txError =
        this._store.checkTx === undefined
          ? new TypeError(
              `\`options.tx\` is for the PostgreSQL store (a pg client inside a transaction); this store is ${this._store.kind}`,
            )
          : this._store.checkTx(given.tx);
      if (txError !== undefined) throw txError;
    }
    this._checkOpen();
    const rows: NewJob[] = [];
    for (let i = 0; i < payloads.length; i++) {
      const path = label === 'payload' ? 'payload' : `payloads[${i}]`;
      const value = await validate(job, payloads[i], path);
      rows.push({
        name: job.name,
        queue: given.queue ?? job.queue,
        payload: toJson(value, path, this._maxPayloadBytes),
        priority: given.priority ?? job.priority,
        maxAttempts: given.maxAttempts ?? job.maxAttempts,
        delayMs: given.delayMs ?? 0,
        runAt: given.runAt?.getTime(),
        key: given.key,
      });
    }
    if (rows.length === 0) return [];
    const stored = await this._store.enqueue(rows, given.tx);
    this._wakeWorkers();
    return stored.map(({ id }) => new JobHandle(this, id));
  }

  /** @internal Workers of this process: claim now rather than at the next poll. */
  _wakeWorkers(): void {
    for (const worker of this._workers) worker._wake();
  }

  /** @internal A job changed state here: handles waiting for it look again. */
  _notify(id: string): void {
    this._watchers.get(id)?.set();
  }

  /** @internal Wait until job `id` changes in this process, or `ms` pass (a checkpoint). */
  async _changed(id: string, ms: number): Promise<void> {
    let event = this._watchers.get(id);
    if (event === undefined) this._watchers.set(id, (event = new Event()));
    try {
      await timeout(ms, () => event.wait());
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    } finally {
      // The event served this round; the next round waits afresh.
      if (this._watchers.get(id) === event && event.isSet()) this._watchers.delete(id);
    }
  }
}

/** Each enqueue option read once (a getter that throws rejects the enqueue). */
function readEnqueueOptions(options: EnqueueOptions | undefined): EnqueueOptions {
  const error = checkOptions('options', options);
  if (error !== undefined) throw error;
  if (options === undefined) return {};
  const { delayMs, runAt, priority, maxAttempts, queue, key, tx } = options;
  return { delayMs, runAt, priority, maxAttempts, queue, key, tx };
}

function checkEnqueueOptions(o: EnqueueOptions): Error | undefined {
  return firstError(
    o.delayMs === undefined
      ? undefined
      : typeof o.delayMs !== 'number'
        ? new TypeError(`Expected \`options.delayMs\` to be a number, got ${show(o.delayMs)}`)
        : !(o.delayMs >= 0) || !Number.isFinite(o.delayMs)
          ? new RangeError(
              `Expected \`options.delayMs\` to be a finite number >= 0, got ${show(o.delayMs)}`,
            )
          : undefined,
    o.runAt === undefined
      ? undefined
      : !(o.runAt instanceof Date)
        ? new TypeError(`Expected \`options.runAt\` to be a Date, got ${show(o.runAt)}`)
        : Number.isNaN(o.runAt.getTime())
          ? new RangeError('Expected `options.runAt` to be a valid Date, got an invalid one')
          : undefined,
    o.runAt !== undefined && o.delayMs !== undefined
      ? new TypeError('Give `options.delayMs` or `options.runAt`, not both')
      : undefined,
    o.priority === undefined ? undefined : checkInteger('options.priority', o.priority),
    checkOptionalInteger('options.maxAttempts', o.maxAttempts, 1),
    checkOptionalName('options.queue', o.queue),
    o.key === undefined
      ? undefined
      : typeof o.key !== 'string' || o.key.length === 0
        ? new TypeError(`Expected \`options.key\` to be a non-empty string, got ${show(o.key)}`)
        : undefined,
  );
}

/** The schema's output for `payload` (the payload itself without a schema). */
async function validate<P>(job: Job<P, unknown>, payload: unknown, path: string): Promise<unknown> {
  const schema = job.schema;
  if (schema === undefined) return payload;
  const result = await schema['~standard'].validate(payload);
  if (result.issues !== undefined) {
    const first = result.issues[0];
    const where = first?.path?.length
      ? ` at ${first.path.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.')}`
      : '';
    throw new JobValidationError(
      `${path} of job '${job.name}' was rejected by its schema${where}: ${first?.message ?? 'invalid'}`,
      [...result.issues],
    );
  }
  return result.value;
}

/**
 * Open a job store, creating or migrating its tables (numbered migrations,
 * safe when many processes open it at once). `url`: `sqlite:PATH`,
 * `sqlite::memory:`, or `postgres://…` / `postgresql://…`; default
 * `process.env.WEFT_JOBS_URL`, else `sqlite:weft-jobs.db`. With
 * PostgreSQL, `{ pool }` opens the store on a `pg.Pool` the app already has.
 *
 * @example
 * ```ts
 * import { openJobs } from 'weft/jobs';
 *
 * const jobs = await openJobs('sqlite::memory:'); // a file path for jobs that survive restarts
 * console.log(String(jobs)); // Jobs<sqlite>
 * await jobs.close();
 * ```
 */
export async function openJobs(url?: string, options?: OpenJobsOptions): Promise<Jobs>;
export async function openJobs(options: OpenJobsPoolOptions): Promise<Jobs>;
export async function openJobs(
  first?: string | OpenJobsPoolOptions,
  second?: OpenJobsOptions,
): Promise<Jobs> {
  const withPool = typeof first === 'object' && first !== null;
  const target = withPool
    ? undefined
    : (first ?? process.env.WEFT_JOBS_URL ?? 'sqlite:weft-jobs.db');
  const options: OpenJobsOptions | undefined = withPool ? first : second;
  const pool = withPool ? first.pool : undefined;
  const maxPayloadBytes = options?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const error = firstError(
    withPool || typeof target === 'string'
      ? undefined
      : new TypeError(
          `Expected \`url\` to be a string (or { pool } with a pg.Pool), got ${show(target)}`,
        ),
    withPool && second !== undefined
      ? new TypeError('Give openJobs({ pool, ...options }) alone, without a second argument')
      : undefined,
    checkOptions('options', options),
    withPool &&
      (typeof pool !== 'object' ||
        pool === null ||
        typeof (pool as { connect?: unknown }).connect !== 'function' ||
        typeof (pool as { query?: unknown }).query !== 'function')
      ? new TypeError(`Expected \`options.pool\` to be a pg.Pool, got ${show(pool)}`)
      : undefined,
    checkSchema(options?.schema),
    checkOptionalInteger('options.maxPayloadBytes', options?.maxPayloadBytes, 1),
    checkOptionalInteger('options.connectTimeoutMs', options?.connectTimeoutMs, 1),
  );
  if (error !== undefined) throw error;
  const schema = options?.schema ?? 'weft';
  const connectTimeoutMs = options?.connectTimeoutMs ?? 10_000;
  if (pool !== undefined) {
    const { openPostgresStore } = await import('./postgres/index.js');
    return new Jobs(await openPostgresStore({ pool }, schema, connectTimeoutMs), maxPayloadBytes);
  }
  const url = target as string;
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path
    if (path.length === 0) {
      throw new RangeError(
        `Expected \`url\` to name a file (sqlite:PATH or sqlite::memory:), got ${show(url)}`,
      );
    }
    const { openSqliteStore } = await import('./sqlite/index.js');
    return new Jobs(await openSqliteStore(path), maxPayloadBytes);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    if (!URL.canParse(url)) {
      throw new RangeError(
        `Expected \`url\` to be a valid postgres:// URL (postgres://user:password@host:5432/database), got an unparsable one`,
      );
    }
    const { openPostgresStore } = await import('./postgres/index.js');
    return new Jobs(await openPostgresStore({ url }, schema, connectTimeoutMs), maxPayloadBytes);
  }
  throw new RangeError(
    `Expected \`url\` to start with sqlite:, postgres:// or postgresql://, got ${show(url)}`,
  );
}

/** A PostgreSQL schema name weft can use: 1 to 63 bytes, no NUL. */
function checkSchema(schema: unknown): Error | undefined {
  if (schema === undefined) return undefined;
  if (typeof schema !== 'string') {
    return new TypeError(`Expected \`options.schema\` to be a string, got ${show(schema)}`);
  }
  if (schema.length === 0 || Buffer.byteLength(schema) > 63 || schema.includes('\0')) {
    return new RangeError(
      `Expected \`options.schema\` to be a PostgreSQL identifier of 1 to 63 bytes without NUL, got ${show(schema)}`,
    );
  }
  return undefined;
}
