/**
 * `JobWorker`: claims jobs from the store and runs each attempt as a weft
 * task, renewing its lease while it runs and recording its outcome once.
 *
 * Four small loops share the worker's life: claiming (stops at `stop()`),
 * schedules (likewise), lease renewal and cancel polling (both go on until
 * the last attempt has ended, so that handlers finishing in their grace
 * keep their leases and can still be cancelled).
 *
 * @module
 */

import { hostname } from 'node:os';
import { inspect } from 'node:util';
import { asCancellation, InvalidStateError, TimeoutError } from '../exceptions.js';
import { checkFunction, checkOptions, firstError, show } from '../internal/validate.js';
import { Event } from '../locks.js';
import { shield } from '../shield.js';
import { sleep } from '../sleep.js';
import { createTask, currentTask, type Task } from '../tasks.js';
import { timeout } from '../timeouts.js';
import { wait } from '../wait.js';
import { supervisorOf } from '../web/supervisor.js';
import { checkOptionalInteger, Job, msOption } from './define.js';
import { LeaseLostError } from './errors.js';
import type { Jobs } from './jobs.js';
import { toJson } from './json.js';
import { checkSchedules, type Schedule, scheduleLoop } from './schedules.js';
import type { Claimed, Finish, Lease, Outcome } from './store.js';
import type { JobContext, JobRecord, StoredError } from './types.js';

/** Options of `jobs.worker()`. */
export interface WorkerOptions {
  /** The jobs this worker runs: it claims only these names (a job no worker knows waits, never lost). */
  // biome-ignore lint/suspicious/noExplicitAny: any job, whatever its payload and result types.
  jobs: Job<any, any>[];
  /**
   * Handlers running at once, at most: an integer >= 1.
   * @default 10
   */
  concurrency?: number;
  /**
   * The queues to claim from.
   * @default the queues of `jobs`
   */
  queues?: string[];
  /**
   * A claim's lease in ms, renewed every `leaseMs / 3` while the handler
   * runs; when it expires (the process died or its event loop stalled that
   * long) another worker may claim the job: an integer >= 100.
   * @default 30000
   */
  leaseMs?: number;
  /**
   * How often to look for new jobs and for cancellations made by other
   * processes, in ms: an integer >= 1. Jobs enqueued through the same
   * `Jobs` object wake the worker at once.
   * @default 1000
   */
  pollMs?: number;
  /** Jobs to enqueue on a cron schedule (croner syntax: 5 fields, or 6 with seconds first). */
  schedules?: Schedule[];
  /**
   * Called with each failed attempt's error, a late outcome dropped
   * (`LeaseLostError`), or a store outage (once, `job` undefined). It must
   * not throw (if it does, that is logged too).
   * @default logs with the job's name and id to `console.error`
   */
  onError?: (error: unknown, job: JobRecord | undefined) => void;
}

/** Options of {@link JobWorker.stop}. */
export interface StopOptions {
  /**
   * Ms the running handlers get to finish before they are cancelled and
   * their jobs released (pending again, the attempt given back).
   * @default 10000
   */
  graceMs?: number;
}

/** What {@link JobWorker.stats} counts since the worker was made. */
export interface WorkerStats {
  /** Handlers running now. */
  running: number;
  succeeded: number;
  /** Attempts that failed (a job retried three times counts three). */
  failed: number;
  cancelled: number;
  /** Jobs given back by `stop()`. */
  released: number;
}

type CancelReason = 'cancel' | 'stop' | 'lease';

/** One attempt this worker runs. */
interface Attempt {
  record: JobRecord;
  lease: Lease;
  job: Job<unknown, unknown>;
  task: Task<AttemptEnd>;
  reason: CancelReason | undefined;
  /** When its task was cancelled (performance.now()), for the renewal cut-off. */
  cancelledAt: number | undefined;
  /** Settles once the outcome is stored (or dropped). */
  recorded: Promise<void>;
}

type AttemptEnd = { ok: true; value: unknown } | { ok: false; error: unknown };

const State = { Idle: 0, Running: 1, Stopping: 2, Stopped: 3 } as const;
type State = (typeof State)[keyof typeof State];
const STATE_NAMES = ['idle', 'running', 'stopping', 'stopped'] as const;

let nextWorker = 1;

/** An error as the store keeps it. */
export function storedError(error: unknown): StoredError {
  if (error instanceof Error) {
    const stored: StoredError = { name: error.name, message: error.message };
    if (error.stack !== undefined) stored.stack = error.stack;
    return stored;
  }
  return { name: 'Error', message: typeof error === 'string' ? error : inspect(error) };
}

function defaultOnError(error: unknown, job: JobRecord | undefined): void {
  const where =
    job === undefined ? 'job store' : `job '${job.name}' (#${job.id}) attempt ${job.attempts}`;
  console.error(`weft: ${where}:`, error);
}

function checkWorkerOptions(options: WorkerOptions): Error | undefined {
  const base = checkOptions('options', options);
  if (base !== undefined || options === undefined) {
    return base ?? new TypeError('Expected `options` to be { jobs, ... }, got undefined');
  }
  const { jobs, queues, onError } = options;
  let jobsError: Error | undefined;
  if (!Array.isArray(jobs) || jobs.length === 0) {
    jobsError = new TypeError(
      `Expected \`options.jobs\` to be a non-empty array of jobs, got ${show(jobs)}`,
    );
  } else {
    const names = new Set<string>();
    for (const [i, job] of jobs.entries()) {
      if (!(job instanceof Job)) {
        jobsError = new TypeError(
          `Expected \`options.jobs[${i}]\` to be a Job made by defineJob(), got ${show(job)}`,
        );
        break;
      }
      if (names.has(job.name)) {
        jobsError = new TypeError(`\`options.jobs[${i}]\`: two jobs are named '${job.name}'`);
        break;
      }
      names.add(job.name);
    }
  }
  return firstError(
    jobsError,
    checkOptionalInteger('options.concurrency', options.concurrency, 1),
    queues === undefined ||
      (Array.isArray(queues) &&
        queues.length > 0 &&
        queues.every((q) => typeof q === 'string' && q.length > 0))
      ? undefined
      : new TypeError(
          `Expected \`options.queues\` to be a non-empty array of queue names, got ${show(queues)}`,
        ),
    checkOptionalInteger('options.leaseMs', options.leaseMs, 100),
    checkOptionalInteger('options.pollMs', options.pollMs, 1),
    options.schedules === undefined ? undefined : checkSchedules(options.schedules, jobs),
    onError === undefined ? undefined : checkFunction('options.onError', onError),
  );
}

/**
 * Runs jobs from a store: made by `jobs.worker(options)`, started with
 * `run()`, stopped with `stop()`. Any number of workers, in any number of
 * processes, can share one store.
 *
 * @example
 * ```ts
 * import { defineJob, openJobs } from 'weft/jobs';
 *
 * const jobs = await openJobs('sqlite::memory:');
 * const ping = defineJob('ping', () => 'pong');
 * const worker = jobs.worker({ jobs: [ping], concurrency: 4, pollMs: 20 });
 * const running = worker.run();
 * await (await jobs.enqueue(ping, null)).result();
 * console.log(await worker.stop()); // { released: 0 }
 * await running;
 * console.log(worker.stats().succeeded); // 1
 * await jobs.close();
 * ```
 */
export class JobWorker {
  /** @internal */ readonly _jobs: Jobs;
  /** @internal */ readonly _byName = new Map<string, Job<unknown, unknown>>();
  /** @internal */ readonly _queues: string[];
  /** @internal */ readonly _concurrency: number;
  /** @internal */ readonly _leaseMs: number;
  /** @internal */ readonly _pollMs: number;
  /** @internal */ readonly _schedules: Schedule[];
  /** @internal */ readonly _onError: (error: unknown, job: JobRecord | undefined) => void;
  /** @internal */ readonly _owner: string;
  /** @internal Attempts claimed here whose outcome is not stored yet, by job id. */
  readonly _running = new Map<string, Attempt>();
  /** @internal Of those, the ones whose handler still runs (what `concurrency` limits). */
  _handlers = 0;
  /** @internal */ _state: State = State.Idle;
  /** @internal */ readonly _stats = { succeeded: 0, failed: 0, cancelled: 0, released: 0 };
  /** @internal Set when a claim may find work (an enqueue here, a slot freed after a full claim). */
  readonly _wakeEvent = new Event();
  /** @internal */ _backlog = false;
  /** @internal */ _stopTask: Task<{ released: number }> | undefined = undefined;
  /** @internal */ readonly _stopped = new Event();
  /** @internal */ _loops: Task<unknown>[] = [];
  /** @internal */ _drainLoops: Task<unknown>[] = [];
  /** @internal The store failed: reported once until it works again. */
  _outage = false;
  /** @internal Outcomes waiting to be written together. */
  _outcomes: Array<{
    attempt: Attempt;
    item: Finish;
    resolve: (held: boolean | undefined) => void;
  }> = [];

  /** @internal Use `jobs.worker(options)`. */
  constructor(jobs: Jobs, options: WorkerOptions) {
    const error = checkWorkerOptions(options);
    if (error !== undefined) throw error;
    this._jobs = jobs;
    for (const job of options.jobs) this._byName.set(job.name, job as Job<unknown, unknown>);
    this._queues = options.queues ?? [...new Set(options.jobs.map((j) => j.queue))];
    this._concurrency = options.concurrency ?? 10;
    this._leaseMs = options.leaseMs ?? 30_000;
    this._pollMs = options.pollMs ?? 1_000;
    this._schedules = options.schedules ?? [];
    this._onError = options.onError ?? defaultOnError;
    this._owner = `${hostname()}:${process.pid}:${nextWorker++}`;
  }

  /**
   * Claim and run jobs until `stop()`. Resolves once stopped. Cancelling the
   * task that runs it is `stop({ graceMs: 0 })`: it then rejects with
   * `CancelledError` once every release is stored.
   */
  run(): Promise<void> {
    if (this._state !== State.Idle && this._state !== State.Stopped) {
      return Promise.reject(
        new InvalidStateError(`${this}: run() was called already`, {
          state: STATE_NAMES[this._state],
        }),
      );
    }
    if (this._state === State.Stopped) return Promise.resolve();
    this._state = State.Running;
    const body = async (): Promise<void> => {
      this._loops = [createTask(() => this._claimLoop(), { name: `${this._owner} claims` })];
      if (this._schedules.length > 0) {
        this._loops.push(
          createTask(() => scheduleLoop(this), { name: `${this._owner} schedules` }),
        );
      }
      this._drainLoops = [
        createTask(() => this._renewLoop(), { name: `${this._owner} leases` }),
        createTask(() => this._cancelLoop(), { name: `${this._owner} cancels` }),
      ];
      // In a Supervisor's task (`supervisor.spawn(() => worker.run())`): its
      // shutdown stops the claims at once and gives the handlers what is
      // left of its grace, so the app and its jobs drain together.
      const supervisor = supervisorOf(currentTask());
      const onStopping = (): void => {
        // A margin before the supervisor's own deadline: the releases are
        // stored and run() has ended by then, so the shutdown counts no
        // cancelled task (and the process exits 0).
        const left = supervisor!._deadline - performance.now();
        void this.stop({ graceMs: Math.max(0, left - Math.min(1_000, Math.max(50, left / 5))) });
      };
      if (supervisor?.stopping.aborted) onStopping();
      else supervisor?.stopping.addEventListener('abort', onStopping, { once: true });
      // A store that pushes changes (PostgreSQL's LISTEN/NOTIFY) wakes the
      // claims and carries cancels at once; the polls stay as the fallback.
      const unsubscribe = this._jobs._store.subscribe?.({
        ready: () => this._wake(),
        cancel: (id) => this._cancelRequested(id),
        failed: (error) => this._storeFailed(error),
      });
      try {
        await this._stopped.wait();
      } catch (error) {
        if (asCancellation(error) === undefined) throw error;
        // Cancelling run() is stop({ graceMs: 0 }): reject once the releases are stored.
        await this.stop({ graceMs: 0 });
        throw error;
      } finally {
        supervisor?.stopping.removeEventListener('abort', onStopping);
        unsubscribe?.();
      }
    };
    return currentTask() === undefined
      ? createTask(body, { name: `${this._owner} run` }).then()
      : body();
  }

  /**
   * Stop claiming at once; give running handlers `graceMs`, then cancel them
   * and release their jobs (pending again, the attempt given back: a deploy
   * costs no attempt). Idempotent: every call resolves with the first one's
   * result. Cancelling the caller stops its wait, not the stop.
   */
  stop(options?: StopOptions): Promise<{ released: number }> {
    let graceMs: number | undefined;
    try {
      graceMs = msOption(options, 'graceMs');
    } catch (error) {
      return Promise.reject(error);
    }
    this._stopTask ??= createTask(() => this._stop(graceMs ?? 10_000), {
      name: `${this._owner} stop`,
    });
    return shield(this._stopTask);
  }

  /** What this worker has done so far. */
  stats(): WorkerStats {
    return { running: this._running.size, ...this._stats };
  }

  /** `JobWorker<host:pid:1 running 3/10>` */
  toString(): string {
    return `JobWorker<${this._owner} ${STATE_NAMES[this._state]} ${this._running.size}/${this._concurrency}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Claim now, not at the next poll. */
  _wake(): void {
    this._wakeEvent.set();
  }

  /** @internal `jobs.cancel(id)` in this process: cancel the attempt at once if it runs here. */
  _cancelRequested(id: string): void {
    const attempt = this._running.get(id);
    // Once per attempt: the request can arrive twice (this process's cancel()
    // and the store's notification), and a handler that caught the first
    // CancelledError must not get a second one in its cleanup.
    if (attempt !== undefined && attempt.reason !== 'cancel') {
      this._cancel(attempt, 'cancel', 'the job was cancelled');
    }
  }

  /** @internal Report to `onError`, which must never take the worker down. */
  _report(error: unknown, job: JobRecord | undefined): void {
    try {
      this._onError(error, job);
    } catch (thrown) {
      console.error('weft: a job worker onError threw:', thrown);
    }
  }

  /** @internal The store failed (reported once per outage). */
  _storeFailed(error: unknown): void {
    if (this._outage) return;
    this._outage = true;
    this._report(error, undefined);
  }

  /** @internal */
  _storeWorks(): void {
    this._outage = false;
  }

  private async _stop(graceMs: number): Promise<{ released: number }> {
    const before = this._stats.released;
    if (this._state === State.Idle) {
      this._state = State.Stopped;
      this._jobs._workers.delete(this);
      this._stopped.set();
      return { released: 0 };
    }
    this._state = State.Stopping;
    for (const loop of this._loops) loop.cancel('the worker is stopping');
    await Promise.allSettled(this._loops);
    const attempts = [...this._running.values()];
    if (attempts.length > 0 && graceMs > 0) {
      await wait(
        attempts.map((a) => a.task),
        { timeout: graceMs },
      );
    }
    for (const attempt of this._running.values()) {
      this._cancel(attempt, 'stop', 'the worker is stopping');
    }
    await Promise.all(attempts.map((a) => a.recorded));
    for (const loop of this._drainLoops) loop.cancel('the worker stopped');
    await Promise.allSettled(this._drainLoops);
    this._state = State.Stopped;
    this._jobs._workers.delete(this);
    this._stopped.set();
    return { released: this._stats.released - before };
  }

  private _cancel(attempt: Attempt, reason: CancelReason, message: string): void {
    if (attempt.reason === undefined) attempt.reason = reason;
    if (attempt.cancelledAt === undefined) attempt.cancelledAt = performance.now();
    attempt.task.cancel(message);
  }

  private async _claimLoop(): Promise<never> {
    let retryMs = this._pollMs;
    for (;;) {
      // A slot frees when its handler ends, not when its outcome is stored:
      // the next claim then overlaps the outcome's write instead of waiting
      // for it (a drain waited for one round trip after the other). At most
      // `concurrency` outcomes wait to be written.
      const free = Math.min(
        this._concurrency - this._handlers,
        2 * this._concurrency - this._running.size,
      );
      if (free > 0) {
        this._wakeEvent.clear();
        let claimed: Claimed[];
        try {
          claimed = await this._jobs._store.claim({
            owner: this._owner,
            names: [...this._byName.keys()],
            queues: this._queues,
            limit: free,
            leaseMs: this._leaseMs,
          });
          this._storeWorks();
          retryMs = this._pollMs;
        } catch (error) {
          this._storeFailed(error);
          // Back off, but claim at once when woken: a store that pushes
          // changes says when it is back (its LISTEN connection reconnected).
          this._wakeEvent.clear();
          await this._wakeOr(retryMs);
          retryMs = Math.min(30_000, retryMs * 2);
          continue;
        }
        for (const c of claimed) this._start(c);
        // A full claim: more jobs may be waiting, claim again when a slot frees.
        this._backlog = claimed.length === free;
        if (this._backlog) continue;
      } else {
        // Every slot is busy: a wake-up now (an enqueue) cannot be served,
        // so it is dropped and the next freed slot claims instead. Without
        // the clear, a set event made this loop spin without awaiting and
        // froze the process (a full worker woken by an enqueue).
        this._wakeEvent.clear();
        this._backlog = true;
      }
      if (this._wakeEvent.isSet()) continue;
      await this._wakeOr(this._pollMs);
    }
  }

  /** Wait until woken (`_wake()`) or `ms` pass. */
  private async _wakeOr(ms: number): Promise<void> {
    try {
      await timeout(ms, () => this._wakeEvent.wait());
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    }
  }

  private _start({ record, lease }: Claimed): void {
    const job = this._byName.get(record.name)!;
    let recordedDone!: () => void;
    const attempt: Attempt = {
      record,
      lease,
      job,
      task: undefined as unknown as Task<AttemptEnd>,
      reason: undefined,
      cancelledAt: undefined,
      recorded: new Promise<void>((resolve) => {
        recordedDone = resolve;
      }),
    };
    this._running.set(record.id, attempt);
    this._handlers++;
    attempt.task = createTask(() => this._execute(attempt), {
      name: `job:${record.name}#${record.id}`,
    });
    attempt.task._onDone((task) => {
      this._handlers--;
      if (this._backlog) this._wake();
      // Cancelled before it started (a stop or cancel right after the
      // claim), the task never ran _execute: its outcome is its error.
      const end: AttemptEnd = task.cancelled()
        ? { ok: false, error: task._outcome }
        : task.result();
      void this._finish(attempt, end).finally(() => {
        // (A lease that expired and came back to this worker is a newer attempt.)
        if (this._running.get(record.id) === attempt) this._running.delete(record.id);
        this._jobs._notify(record.id);
        if (this._backlog) this._wake();
        recordedDone();
      });
    });
  }

  /** The attempt's task: the handler inside `timeout(timeoutMs)`; never throws. */
  private async _execute(attempt: Attempt): Promise<AttemptEnd> {
    const { record, job, lease } = attempt;
    const store = this._jobs._store;
    try {
      const value = await timeout(job.timeoutMs, (scope) => {
        const ctx: JobContext = {
          id: record.id,
          name: record.name,
          queue: record.queue,
          attempt: record.attempts,
          maxAttempts: record.maxAttempts,
          signal: scope.signal,
          progress: async (value: unknown) => {
            await store.progress(lease, toJson(value, 'progress', this._jobs._maxPayloadBytes));
          },
        };
        return job.handler(record.payload, ctx);
      });
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Store the attempt's outcome, as the holder of its lease; retried through store outages. */
  private async _finish(attempt: Attempt, end: AttemptEnd): Promise<void> {
    const { record, job, lease } = attempt;
    let outcome: Outcome | undefined;
    let failure: unknown;
    if (end.ok) {
      try {
        outcome = { kind: 'succeeded', result: toJson(end.value, 'result') };
      } catch (error) {
        failure = error; // a result JSON cannot carry fails the attempt
      }
    } else if (asCancellation(end.error) !== undefined && attempt.reason !== undefined) {
      if (attempt.reason === 'lease') {
        this._report(new LeaseLostError(record.id, record.name, record.attempts), record);
        return;
      }
      outcome =
        attempt.reason === 'stop'
          ? { kind: 'released' }
          : { kind: 'cancelled', error: storedError(end.error) };
    } else {
      failure = end.error;
    }
    if (outcome === undefined) {
      const last = record.attempts >= record.maxAttempts;
      outcome = {
        kind: 'failed',
        error: storedError(failure),
        retryInMs: last ? null : job._retryDelay(record.attempts, failure),
      };
      this._stats.failed++;
      this._report(failure, record);
    }
    const held = await this._record(attempt, { lease, outcome });
    if (held === undefined) return;
    if (!held) {
      this._report(new LeaseLostError(record.id, record.name, record.attempts), record);
      return;
    }
    if (outcome.kind === 'succeeded') this._stats.succeeded++;
    else if (outcome.kind === 'cancelled') this._stats.cancelled++;
    else if (outcome.kind === 'released') this._stats.released++;
  }

  /**
   * Record an outcome. Outcomes that end in the same turn are written in
   * one transaction (one per outcome was half of a drain's time); after a
   * failed batch, each is retried on its own.
   */
  private _record(attempt: Attempt, item: Finish): Promise<boolean | undefined> {
    return new Promise((resolve) => {
      this._outcomes.push({ attempt, item, resolve });
      if (this._outcomes.length === 1) setImmediate(() => void this._flushOutcomes());
    });
  }

  private async _flushOutcomes(): Promise<void> {
    const batch = this._outcomes;
    this._outcomes = [];
    const store = this._jobs._store;
    try {
      const held = await store.finish(batch.map((b) => b.item));
      this._storeWorks();
      for (const [i, b] of batch.entries()) b.resolve(held[i]);
    } catch (error) {
      this._storeFailed(error);
      for (const b of batch) {
        void this._write(async () => (await store.finish([b.item]))[0], b.attempt).then(b.resolve);
      }
    }
  }

  /**
   * A store write for an attempt, retried with backoff while the store is
   * down, as long as the lease could still be ours (undefined: given up).
   */
  private async _write<T>(op: () => Promise<T>, attempt: Attempt): Promise<T | undefined> {
    const giveUp = performance.now() + this._leaseMs;
    for (let delay = 50; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        const value = await op();
        this._storeWorks();
        return value;
      } catch (error) {
        this._storeFailed(error);
        if (performance.now() + delay > giveUp) {
          this._report(
            new LeaseLostError(attempt.record.id, attempt.record.name, attempt.record.attempts, {
              cause: error,
            }),
            attempt.record,
          );
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Renew the leases of running attempts every `leaseMs / 3`. */
  private async _renewLoop(): Promise<never> {
    const every = Math.max(1, Math.floor(this._leaseMs / 3));
    for (;;) {
      await sleep(every);
      const now = performance.now();
      const leases: Lease[] = [];
      for (const attempt of this._running.values()) {
        if (attempt.cancelledAt !== undefined && now - attempt.cancelledAt > this._leaseMs) {
          if (attempt.reason !== 'lease') {
            // It ignored its cancellation for a whole lease: let the job go.
            attempt.reason = 'lease';
            this._report(
              new Error(
                `Job '${attempt.record.name}' (#${attempt.record.id}) ignored its cancellation for ${this._leaseMs} ms: its lease is no longer renewed, and another worker may claim it`,
              ),
              attempt.record,
            );
          }
          continue;
        }
        leases.push(attempt.lease);
      }
      if (leases.length === 0) continue;
      let held: Set<string>;
      try {
        held = await this._jobs._store.renew(leases, this._leaseMs);
        this._storeWorks();
      } catch (error) {
        this._storeFailed(error);
        continue;
      }
      for (const lease of leases) {
        if (held.has(lease.id)) continue;
        const attempt = this._running.get(lease.id);
        // Lost (expired and claimed elsewhere, or settled by a cancel): stop the work.
        if (attempt !== undefined) this._cancel(attempt, 'lease', 'the job lease was lost');
      }
    }
  }

  /** Cancellations requested from other processes, every `pollMs`. */
  private async _cancelLoop(): Promise<never> {
    for (;;) {
      await sleep(this._pollMs);
      if (this._running.size === 0) continue;
      let ids: string[];
      try {
        ids = await this._jobs._store.cancelRequested([...this._running.keys()]);
        this._storeWorks();
      } catch (error) {
        this._storeFailed(error);
        continue;
      }
      for (const id of ids) this._cancelRequested(id);
    }
  }
}
