/**
 * What `npm run bench:jobs` needs from a durable-job library: a fresh store,
 * enqueueing, a worker, and every job's outcome read back for the checks.
 * weft on SQLite (`weft-sqlite.ts`) and on PostgreSQL (`weft-postgres.ts`),
 * graphile-worker (default and batched), pg-boss and BullMQ implement the
 * same interface and are listed in `contenders.ts`, so every scenario runs
 * them side by side without change.
 */

/** The library a contender measures. */
export type JobsLibrary = 'weft' | 'graphile-worker' | 'pg-boss' | 'bullmq';

/** Every bench job's payload: its index, and the time `enqueue` was called (latency runs). */
export interface BenchPayload {
  i: number;
  /** `process.hrtime` in ms when enqueue was called (one clock for every process of the machine); 0 when unused. */
  t: number;
  /**
   * 1: the handler throws on the job's first attempt (the retry scenario).
   * Every contender enqueues its bench jobs allowing 2 attempts with no
   * backoff (retried at once), so such a job succeeds on its second.
   */
  f?: 1;
}

/** A job's end as the store recorded it. */
export interface JobOutcome {
  id: string;
  /** Normalised: pending, running, succeeded, failed, cancelled. */
  state: string;
  /** Attempts the store counted (1: the handler ran once). */
  attempts: number;
  payload: BenchPayload;
  result: unknown;
  /** Wall-clock ms (`Date.now()` scale) when the outcome was stored. */
  finishedAt: number | undefined;
}

export interface WorkerSettings {
  concurrency: number;
  pollMs: number;
  /**
   * Runs at the start of every attempt (it records times); then the handler
   * throws if `payload.f` is set and this is the job's first attempt, else
   * the job's result is `payload.i`.
   */
  onStart: (payload: BenchPayload, id: string) => void;
}

export interface BenchWorker {
  /** Stop claiming, let running handlers end, resolve once stopped. */
  stop(): Promise<void>;
  /** Attempts that failed so far (each one also fails the run). */
  failed(): number;
}

/** One open connection to a store. */
export interface JobsClient {
  enqueue(payload: BenchPayload): Promise<string>;
  /** One call (one transaction where the library has it). */
  enqueueMany(payloads: BenchPayload[]): Promise<string[]>;
  /** Start a worker for the bench job in this process. */
  work(settings: WorkerSettings): BenchWorker;
  /** Jobs in each state (pending, running, succeeded, failed, cancelled). */
  counts(): Promise<Record<string, number>>;
  /** Every job of the store, for the per-job checks. */
  outcomes(): Promise<JobOutcome[]>;
  close(): Promise<void>;
}

export interface JobsContender {
  /** Short id (`--contender`, the worker processes' argument). */
  id: string;
  /** Row name in the report. */
  name: string;
  library: JobsLibrary;
  /** The store and its settings (the library's documented recommendations), for the report. */
  backend: string;
  /**
   * What the reader must know beside its numbers: where it promises less
   * than weft (no lease renewal, no per-job outcome check, ...) or cannot
   * do what a scenario asks (say, no zero backoff). Optional.
   */
  notes?: string;
  /** Why it cannot run on this Node (its engines field, a failed load), or undefined. */
  unsupported?(): string | undefined;
  /**
   * Make a fresh, empty store (files under `dir`) and return what any
   * process needs to open it (a URL or path: text).
   */
  createStore(dir: string, label: string): Promise<string>;
  /** Remove what `createStore` made. */
  dropStore(store: string): Promise<void>;
  /**
   * After a bulk enqueue, before timing: bring the store to the state a
   * live one is in (PostgreSQL: `ANALYZE`, as autovacuum does within a
   * minute; a brand-new table's statistics say it is empty, and claims
   * plan for that). Optional.
   */
  steady?(store: string): Promise<void>;
  open(store: string): Promise<JobsClient>;
}

/** Every normalised state at 0: what a `counts()` starts from. */
export function emptyCounts(): Record<string, number> {
  return { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
}

/** The bench clock shared by every process of the machine (CLOCK_MONOTONIC), in ms. */
export function monoNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Wall-clock ms with sub-ms precision, comparable with `Date.now()` across processes. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
