/**
 * The public shapes of `weft/jobs`: states, records, options.
 *
 * @module
 */

import type { Awaitable } from '../tasks.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** Where a job is in its life. `succeeded`, `failed` and `cancelled` are final. */
export type JobState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Every state, in their natural order. */
export const JOB_STATES: readonly JobState[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
];

/** An error as stored: what is left of it once it has crossed a process boundary. */
export interface StoredError {
  name: string;
  message: string;
  stack?: string;
}

/** A job as stored, from `get()`, `list()` and `JobFailedError.job`. */
export interface JobRecord {
  id: string;
  name: string;
  queue: string;
  state: JobState;
  /** The payload as stored (JSON: a `Date` became its ISO string). */
  payload: unknown;
  /** The handler's value, once it succeeded. */
  result?: unknown;
  /** The last attempt's error: kept while retries are pending, cleared by a success or `retry()`. */
  error?: StoredError;
  /** Attempts made so far (a released attempt is given back). */
  attempts: number;
  maxAttempts: number;
  priority: number;
  key?: string;
  /** The last value given to `ctx.progress()`. */
  progress?: unknown;
  createdAt: Date;
  /** When the job may run (next): enqueue time, a delay, or a retry's backoff. */
  runAt: Date;
  /** When the latest attempt started. */
  startedAt?: Date;
  finishedAt?: Date;
}

/** Options of `defineJob`. */
export interface JobOptions<P> {
  /**
   * The queue its jobs go to; a worker claims from the queues of its jobs.
   * @default 'default'
   */
  queue?: string;
  /**
   * Attempts before the job is `failed`: an integer >= 1; 1 means no retry.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Milliseconds before the next attempt after a failed one: a number >= 0,
   * or a function of the attempt that failed (1-based) and its error.
   * @default exponential: 1000 * 2 ** (attempt - 1), at most one hour, ±20% jitter
   */
  backoff?: number | ((attempt: number, error: unknown) => number);
  /**
   * Time limit of each attempt in ms (`null`: none). On expiry the handler
   * is cancelled and the attempt fails with `TimeoutError`.
   * @default null
   */
  timeoutMs?: number | null;
  /**
   * Lower runs first, like a `PriorityQueue`: an integer.
   * @default 0
   */
  priority?: number;
  /**
   * A Standard Schema (zod, valibot, arktype, …) checked at enqueue: its
   * output is what is stored and what the handler receives.
   * @default undefined
   */
  schema?: StandardSchemaV1<unknown, P>;
}

/** What a handler receives besides its payload. */
export interface JobContext {
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  /** This attempt, 1-based. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /**
   * The attempt's scope: aborts on `cancel(id)`, on `stop()` past its grace
   * and when `timeoutMs` expires. Inside the handler `currentSignal()` is it.
   */
  readonly signal: AbortSignal;
  /** Store a JSON value as the job's progress, shown by `get()` and `list()`. */
  progress(value: unknown): Promise<void>;
}

/** A job's handler: the same async function a background task would run. */
export type JobHandler<P, R> = (payload: P, ctx: JobContext) => Awaitable<R>;

/** Options of `enqueue` and `enqueueMany`. */
export interface EnqueueOptions {
  /** Run no earlier than this many ms from now (>= 0). Not with `runAt`. */
  delayMs?: number;
  /** Run no earlier than this time. Not with `delayMs`. */
  runAt?: Date;
  /** Overrides the job's `priority`. */
  priority?: number;
  /** Overrides the job's `maxAttempts`. */
  maxAttempts?: number;
  /** Overrides the job's `queue`. */
  queue?: string;
  /**
   * Dedupe: while a job with this key is pending or running, `enqueue`
   * returns a handle to it and stores nothing. Keys are one namespace per store.
   */
  key?: string;
  /** PostgreSQL only: a `pg` client inside `BEGIN`; the job exists only if it commits. */
  tx?: unknown;
}

/** Filter of `list()`. */
export interface ListFilter {
  state?: JobState | JobState[];
  name?: string;
  queue?: string;
  /**
   * How many records at most, newest first.
   * @default 100
   */
  limit?: number;
}
