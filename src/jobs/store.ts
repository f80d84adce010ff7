/**
 * The store interface: everything `Jobs` and `JobWorker` need from a
 * database, as a handful of short operations, each one transaction. The
 * SQLite store implements it now; the PostgreSQL store slots in behind the
 * same interface. Times are milliseconds since the epoch on the store's own
 * clock (SQLite: this machine's; PostgreSQL: the database's `now()`), so
 * processes whose clocks disagree still agree on `runAt` and leases.
 *
 * @module
 */

import type { JobRecord, JobState, ListFilter, StoredError } from './types.js';

/** A job to insert: values already checked and turned into JSON text. */
export interface NewJob {
  name: string;
  queue: string;
  /** JSON text. */
  payload: string;
  priority: number;
  maxAttempts: number;
  /** Delay from the store's now, in ms (>= 0), when `runAt` is not given. */
  delayMs: number;
  /** Absolute time (ms since the epoch), when given. */
  runAt: number | undefined;
  key: string | undefined;
}

/** What `enqueue` did for one job. */
export interface Enqueued {
  id: string;
  /** False when the key was held by an active job, whose id this is. */
  created: boolean;
}

/** The holder's proof: the job and the claim number that made this attempt. */
export interface Lease {
  id: string;
  token: number;
}

/** A job as claimed by a worker: its record and its lease. */
export interface Claimed {
  record: JobRecord;
  lease: Lease;
}

/** What to claim. */
export interface ClaimRequest {
  /** Who claims (host:pid:worker), for reports. */
  owner: string;
  names: readonly string[];
  queues: readonly string[];
  limit: number;
  leaseMs: number;
}

/** Outcome of `cancel`. */
export type CancelOutcome = 'cancelled' | 'requested' | 'finished' | 'missing';
/** Outcome of `retry`. */
export type RetryOutcome = 'retried' | 'not-finished' | 'succeeded' | 'key-taken' | 'missing';

/** An attempt's end, as the holder of its lease records it. */
export type Outcome =
  | { kind: 'succeeded'; result: string }
  /** `retryInMs` null: the last attempt; the job is `failed`. */
  | { kind: 'failed'; error: StoredError; retryInMs: number | null }
  | { kind: 'cancelled'; error: StoredError }
  /** Stopped by `stop()`: pending again now, the attempt given back. */
  | { kind: 'released' };

/** One attempt's end, for `finish`. */
export interface Finish {
  lease: Lease;
  outcome: Outcome;
}

/** A schedule's tick to record and enqueue, atomically. */
export interface ScheduleTick {
  /** The schedule's identity: `<job name> <cron>`. */
  schedule: string;
  /** The tick last recorded, as read (undefined: none yet). */
  previous: number | undefined;
  /** The tick to record. */
  tick: number;
  /** The job to enqueue for it, or undefined to only record the tick. */
  job: NewJob | undefined;
}

export interface JobStore {
  /** `sqlite` or `postgres`: for messages. */
  readonly kind: string;
  /** The store's clock, ms since the epoch. */
  now(): Promise<number>;
  enqueue(jobs: readonly NewJob[], tx?: unknown): Promise<Enqueued[]>;
  get(id: string): Promise<JobRecord | undefined>;
  list(
    filter: Required<Pick<ListFilter, 'limit'>> &
      Omit<ListFilter, 'limit' | 'state'> & {
        states: JobState[] | undefined;
      },
  ): Promise<JobRecord[]>;
  counts(): Promise<Record<JobState, number>>;
  /** Pending: cancelled now. Running: a request its worker acts on. */
  cancel(id: string): Promise<CancelOutcome>;
  retry(id: string): Promise<RetryOutcome>;
  prune(olderThanMs: number): Promise<number>;
  /**
   * Settle expired leases (the last attempt: `failed` with
   * `LeaseExpiredError`; a cancel requested: `cancelled`), then claim up to
   * `limit` ready jobs (pending and due, or running with an expired lease):
   * lowest priority first, then earliest runAt, then enqueue order.
   */
  claim(request: ClaimRequest): Promise<Claimed[]>;
  /** Extend these leases; returns the ids whose lease is still held. */
  renew(leases: readonly Lease[], leaseMs: number): Promise<Set<string>>;
  /**
   * Record attempts' ends, in one transaction; for each, false when its
   * lease was no longer held (the outcome is dropped).
   */
  finish(items: readonly Finish[]): Promise<boolean[]>;
  /** Store a progress value (JSON text); false when the lease was no longer held. */
  progress(lease: Lease, value: string): Promise<boolean>;
  /** Of these running jobs, the ids whose cancellation was requested. */
  cancelRequested(ids: readonly string[]): Promise<string[]>;
  /** The tick last recorded for a schedule. */
  lastTick(schedule: string): Promise<number | undefined>;
  /** Advance a schedule from `previous` to `tick` and enqueue its job, atomically; false if another worker did. */
  advanceSchedule(tick: ScheduleTick): Promise<boolean>;
  /**
   * Hear of changes made by other processes as they happen (PostgreSQL:
   * LISTEN/NOTIFY), while at least one subscriber is left. Optional: a
   * store without it is polled. Returns the unsubscribe.
   */
  subscribe?(events: StoreEvents): () => void;
  /** A store that takes `enqueue(…, tx)`: why `tx` is not a usable transaction, if it is not. */
  checkTx?(tx: unknown): Error | undefined;
  close(): Promise<void>;
}

/** What a store that pushes changes tells a running worker. */
export interface StoreEvents {
  /** A job may be claimable now (enqueued, retried, released), or notifications were missed. */
  ready(): void;
  /** A cancel was requested for job `id`. */
  cancel(id: string): void;
  /** The push channel failed (the polls go on); reported once per outage. */
  failed(error: unknown): void;
}

/** The error stored on a job cancelled through `cancel(id)`. */
export function cancelledByRequest(): StoredError {
  return { name: 'CancelledError', message: 'The job was cancelled' };
}

/** The error recorded for a job whose last attempt's lease expired. */
export function leaseExpiredError(attempt: number | string): StoredError {
  return {
    name: 'LeaseExpiredError',
    message: `The lease of attempt ${attempt} expired before it finished: its worker died, or its event loop stalled for longer than leaseMs`,
  };
}
