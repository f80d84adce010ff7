/**
 * `WorkerPool`: CPU work on worker threads, as a weft checkpoint.
 *
 * asyncio's `to_thread` hands a function to a thread. A JavaScript closure
 * cannot cross into a worker, so a pool is bound to a *module*: `run(name,
 * ...args)` calls that module's export `name` on a free thread, typed from
 * the module itself. weft keeps its own FIFO queue in front of the threads
 * (bounded, cancellable in O(1)) and gives each thread one job at a time;
 * cancelling a running job terminates its thread, which the pool replaces.
 *
 * @module
 */

import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { Piscina } from 'piscina';
import { CancelledError, InvalidStateError } from '../exceptions.js';
import { addWaiter, currentScope, removeWaiter, takePending } from '../internal/scope.js';
import { startTimer, stopTimer } from '../internal/timers.js';
import {
  checkDuration,
  checkInteger,
  checkOptionalString,
  checkOptions,
  firstError,
  show,
} from '../internal/validate.js';
import type { JobMessage, JobOutcome } from './entry.js';
import { deserializeError, WorkerQueueFullError, workerError } from './errors.js';
import { DONE, Job, QUEUED, RUNNING, STOPPING, waitForExit } from './job.js';
import { transfersOf } from './move.js';
import {
  checkLogger,
  checkMaxQueue,
  checkResourceLimits,
  moduleUrl,
  type WorkerPoolCloseOptions,
  type WorkerPoolCloseResult,
  type WorkerPoolLogger,
  type WorkerPoolOptions,
  type WorkerPoolState,
} from './options.js';
import type {
  UntypedWorkerModule,
  WorkerFunctionArgs,
  WorkerFunctionName,
  WorkerFunctionResult,
} from './types.js';

const NO_ARGS: unknown[] = [];

/** The weft module each thread runs: the sources under tsx, the build otherwise. */
function entryFile(): string {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './entry.ts' : './entry.js', here).href;
}

/**
 * A pool of worker threads that run the exported functions of one module.
 * Made by {@link workerPool} or `new WorkerPool(file, options)`, the same.
 * `toString()` and the getters show its threads, running and queued jobs
 * and state.
 *
 * @example
 * ```ts
 * import { WorkerPool } from 'weft/workers';
 *
 * const pool = new WorkerPool<typeof import('./hash.worker.js')>(
 *   new URL('./hash.worker.js', import.meta.url),
 *   { threads: 1, name: 'hasher' },
 * );
 * const job = pool.run('stretch', 'seed', 1e9);
 * console.log(`${pool}`); // WorkerPool<hasher threads=1 running=1 queued=0 open>
 * const closing = pool.close({ graceMs: 0 });
 * console.log(pool.state); // closing
 * await job.catch((err) => console.log(err.name)); // CancelledError
 * console.log(await closing); // { cancelled: 1, cancelledNames: [ 'stretch' ] }
 * ```
 */
export class WorkerPool<M = UntypedWorkerModule> {
  /** @internal */ readonly _url: string;
  /** @internal */ readonly _name: string;
  /** @internal */ readonly _threads: number;
  /** @internal */ readonly _maxQueue: number;
  /** @internal */ readonly _logger: WorkerPoolLogger;
  /** @internal */ readonly _piscina: Piscina<JobMessage, JobOutcome>;
  /** @internal Jobs waiting for a thread, oldest first. */
  _queue = new Set<Job>();
  /** @internal Jobs on a thread (or stopping with it). */
  _active = new Set<Job>();
  /** @internal */ _state: WorkerPoolState = 'open';
  /** @internal */ _closing: Promise<WorkerPoolCloseResult> | undefined = undefined;
  /** @internal */ _idle: Array<() => void> = [];

  constructor(file: URL | string, options: WorkerPoolOptions = {}) {
    const url = moduleUrl(file);
    const error = firstError(
      url === undefined
        ? new TypeError(
            `Expected \`file\` to be a file: URL or an absolute path of the worker module, got ${show(file)}`,
          )
        : undefined,
      checkOptions('options', options),
      options.threads === undefined ? undefined : checkInteger('threads', options.threads, 1),
      checkMaxQueue(options.maxQueue),
      checkOptionalString('name', options.name),
      checkLogger(options.logger),
    );
    if (error !== undefined) throw error;
    const limits = checkResourceLimits(options.resourceLimits);
    if (limits instanceof Error) throw limits;
    this._url = url!;
    this._threads = options.threads ?? Math.max(1, availableParallelism() - 1);
    this._maxQueue = options.maxQueue ?? 16 * this._threads;
    this._name = options.name ?? basename(fileURLToPath(this._url));
    this._logger = options.logger ?? console;
    this._piscina = new Piscina<JobMessage, JobOutcome>({
      filename: entryFile(),
      minThreads: this._threads,
      maxThreads: this._threads,
      // Between jobs a thread's own event loop keeps running, so a callback
      // that throws after its job returned is seen (and reported) at once.
      atomics: 'disabled',
      recordTiming: false,
      ...(limits === undefined ? {} : { resourceLimits: limits }),
    });
    this._piscina.on('error', (err: unknown) =>
      this._logger.error(`weft: ${this}: a worker failed while no job was running on it`, err),
    );
  }

  /** The pool's name (the module's file name unless given). */
  get name(): string {
    return this._name;
  }

  /** Worker threads, each running one job at a time. */
  get threads(): number {
    return this._threads;
  }

  /** How many jobs may wait for a thread. */
  get maxQueue(): number {
    return this._maxQueue;
  }

  /** Jobs on a thread now (including one whose thread is being stopped). */
  get running(): number {
    return this._active.size;
  }

  /** Jobs waiting for a thread. */
  get queued(): number {
    return this._queue.size;
  }

  /** `open`, `closing` (draining after `close()`), or `closed`. */
  get state(): WorkerPoolState {
    return this._state;
  }

  /**
   * Call the module's exported function `name` with `args` on a worker
   * thread, now or when a thread is free (in call order). Resolves with its
   * (awaited) result. Arguments and results are copied with the structured
   * clone algorithm, except memory marked with `move()`.
   *
   * A checkpoint: cancelling the calling task (or its `timeout` expiring)
   * takes a queued job out of the queue at once, or terminates the thread
   * of a running one (the pool starts a new thread) and rejects once that
   * thread has exited; either way with `CancelledError`. Outside a task the
   * job simply runs.
   *
   * Rejects with {@link WorkerError} when the job fails on its thread,
   * {@link WorkerQueueFullError} when the queue is full, `InvalidStateError`
   * after `close()`, `TypeError` for a bad `name` or arguments that cannot
   * be cloned.
   */
  run<K extends WorkerFunctionName<M>>(
    name: K,
    ...args: WorkerFunctionArgs<M, K>
  ): Promise<WorkerFunctionResult<M, K>> {
    try {
      return this._run(name, args) as Promise<WorkerFunctionResult<M, K>>;
    } catch (error) {
      // Never a synchronous throw: whatever goes wrong (an argument whose
      // getter throws) rejects.
      return Promise.reject(error);
    }
  }

  /** @internal */
  _run(name: unknown, args: unknown[]): Promise<unknown> {
    if (typeof name !== 'string' || name === '') {
      return Promise.reject(
        new TypeError(
          `Expected \`name\` to be the name of a function the worker module exports, got ${show(name)}`,
        ),
      );
    }
    if (this._state !== 'open') {
      return Promise.reject(
        new InvalidStateError(`${this} is ${this._state}: it takes no new jobs`, {
          state: this._state,
        }),
      );
    }
    const scope = currentScope();
    if (scope !== undefined) {
      const pending = takePending(scope);
      if (pending !== undefined) return Promise.reject(pending);
    }
    const busy = this._active.size >= this._threads;
    if (busy && this._queue.size >= this._maxQueue) {
      return Promise.reject(
        new WorkerQueueFullError(
          `${this}: every thread is busy and the queue is full (maxQueue ${this._maxQueue}); try again later`,
          { maxQueue: this._maxQueue, threads: this._threads },
        ),
      );
    }
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, WorkerPool.prototype.run);
    const job = new Job(this, scope, name, args, site);
    if (scope !== undefined) addWaiter(scope, job);
    if (busy) this._queue.add(job);
    else this._start(job);
    return job.promise;
  }

  /**
   * Stop taking jobs, let the running and queued ones finish (within
   * `graceMs`, after which the rest is cancelled: queued jobs dropped,
   * running threads terminated), then stop the threads. Resolves with what
   * was cancelled. Calling it again returns the same promise. With a web
   * `Supervisor`, `supervisor.onShutdown(({ graceMs }) => pool.close({ graceMs }))`
   * closes the pool after the background tasks.
   */
  close(options: WorkerPoolCloseOptions = {}): Promise<WorkerPoolCloseResult> {
    let graceMs: number;
    try {
      const error = checkOptions('options', options);
      if (error !== undefined) return Promise.reject(error);
      const given = options.graceMs; // read once, inside the rejection path: it may be a getter
      const graceError = given === undefined ? undefined : checkDuration('graceMs', given);
      if (graceError !== undefined) return Promise.reject(graceError);
      graceMs = given ?? Number.POSITIVE_INFINITY;
    } catch (error) {
      return Promise.reject(error);
    }
    this._closing ??= this._close(graceMs);
    return this._closing;
  }

  /** `await using pool = workerPool(...)`: `close()` when the block ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** `WorkerPool<hash.worker.js threads=3 running=1 queued=0 open>` */
  toString(): string {
    return `WorkerPool<${this._name} threads=${this._threads} running=${this._active.size} queued=${this._queue.size} ${this._state}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Post `job` to a thread. */
  _start(job: Job): void {
    let transfers: ReturnType<typeof transfersOf>;
    try {
      transfers = transfersOf(job.args); // reads the arguments: a getter may throw
    } catch (error) {
      job.state = DONE;
      if (job.scope !== undefined) removeWaiter(job.scope, job);
      job.reject(error);
      this._checkIdle();
      return;
    }
    job.state = RUNNING;
    this._active.add(job);
    const controller = (job.controller = new AbortController());
    const message: JobMessage = { url: this._url, name: job.name, args: job.args };
    job.args = NO_ARGS;
    this._piscina
      .run(message, {
        signal: controller.signal,
        ...(transfers.length === 0 ? {} : { transferList: transfers as never }),
      })
      .then(
        (outcome) => this._succeeded(job, outcome),
        (error: unknown) => this._failed(job, error),
      );
  }

  /** @internal The thread answered. */
  _succeeded(job: Job, outcome: JobOutcome): void {
    if (job.state !== RUNNING) return; // cancelled meanwhile: settles when its thread is gone
    this._settle(job);
    if (outcome.ok) job.resolve(outcome.value);
    else job.reject(workerError(job.name, deserializeError(outcome.error), job.site));
  }

  /** @internal The job never ran to an answer: bad arguments, or its thread died. */
  _failed(job: Job, error: unknown): void {
    if (job.state !== RUNNING) return;
    this._settle(job);
    if ((error as { name?: unknown } | null)?.name === 'DataCloneError') {
      job.reject(
        new TypeError(
          `Expected the arguments of ${this._name} '${job.name}' to be structured-cloneable: ${(error as Error).message}`,
          { cause: error },
        ),
      );
    } else {
      job.reject(workerError(job.name, error, job.site));
    }
  }

  /** @internal Cancel `job` (scope waiter protocol; also used by `close()`). */
  _cancel(job: Job, error: CancelledError): boolean {
    if (job.state === QUEUED) {
      this._queue.delete(job);
      job.state = DONE;
      if (job.scope !== undefined) removeWaiter(job.scope, job);
      job.reject(error);
      this._checkIdle();
      return true;
    }
    if (job.state === RUNNING) {
      job.state = STOPPING;
      // Aborting a started job terminates its thread: find which one, and
      // settle only once it has exited (the work is really over then).
      const before = this._piscina.threads;
      job.controller!.abort(error);
      const after = new Set(this._piscina.threads);
      const stopped = before.filter((worker) => !after.has(worker));
      const finish = (): void => {
        job.state = DONE;
        this._active.delete(job);
        if (job.scope !== undefined) removeWaiter(job.scope, job);
        job.reject(error);
        this._dispatch();
        this._checkIdle();
      };
      if (stopped.length === 0) finish();
      else waitForExit(stopped, finish);
      return true;
    }
    // Stopping already: this request merges into the one under way.
    return job.state === STOPPING;
  }

  /** @internal */
  _settle(job: Job): void {
    job.state = DONE;
    this._active.delete(job);
    if (job.scope !== undefined) removeWaiter(job.scope, job);
    this._dispatch();
    this._checkIdle();
  }

  /** @internal Start queued jobs while threads are free. */
  _dispatch(): void {
    while (this._active.size < this._threads && this._queue.size > 0) {
      const next = this._queue.values().next().value as Job;
      this._queue.delete(next);
      this._start(next);
    }
  }

  /** @internal */
  _checkIdle(): void {
    if (this._queue.size === 0 && this._active.size === 0) {
      for (const resolve of this._idle.splice(0)) resolve();
    }
  }

  /** @internal */
  _whenIdle(): Promise<void> {
    if (this._queue.size === 0 && this._active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this._idle.push(resolve));
  }

  /** @internal */
  async _close(graceMs: number): Promise<WorkerPoolCloseResult> {
    this._state = 'closing';
    // weft's timers: a grace period beyond 2^31-1 ms is not cut to 1 ms.
    let timer: ReturnType<typeof startTimer> | undefined;
    const expired = new Promise<void>((resolve) => {
      if (graceMs !== Number.POSITIVE_INFINITY) timer = startTimer(graceMs, resolve, undefined);
    });
    await Promise.race([this._whenIdle(), expired]);
    stopTimer(timer);
    // Queued jobs first, so that stopping a running one does not start them.
    const left = [...this._queue, ...[...this._active].filter((job) => job.state === RUNNING)];
    for (const job of left) {
      this._cancel(
        job,
        new CancelledError(`${this._name}: closed before '${job.name}' finished`, {
          reason: `WorkerPool ${this._name} closed: grace period over`,
        }),
      );
    }
    await this._whenIdle();
    await this._piscina.destroy();
    this._state = 'closed';
    return { cancelled: left.length, cancelledNames: left.map((job) => job.name) };
  }
}

/**
 * A pool of worker threads for the functions that the module at `file`
 * exports: asyncio's `to_thread`, for code that would block the event loop
 * (hashing, compression, parsing, image work). Give the module's type to
 * have names, arguments and results checked:
 * `workerPool<typeof import('./hash.worker.js')>(new URL('./hash.worker.js', import.meta.url))`.
 * The module runs on each thread; it is loaded on first use.
 *
 * Throws `TypeError` for a `file` that is neither a `file:` URL nor an
 * absolute path, and `TypeError`/`RangeError` for bad options.
 *
 * @example
 * ```ts
 * import { run, timeout } from 'weft';
 * import { workerPool } from 'weft/workers';
 *
 * // hash.worker.ts exports `sha256(data: Uint8Array): string` and `stretch(seed, rounds)`
 * const pool = workerPool<typeof import('./hash.worker.js')>(
 *   new URL('./hash.worker.js', import.meta.url),
 *   { threads: 2 },
 * );
 * const digest = await pool.run('sha256', new TextEncoder().encode('abc'));
 * console.log(digest.slice(0, 16)); // ba7816bf8f01cfea
 * await run(async () => {
 *   // A checkpoint: the timeout terminates the thread, the pool replaces it.
 *   await timeout(20, () => pool.run('stretch', 'seed', 1e9)).catch((err) => console.log(err.name)); // TimeoutError
 * });
 * console.log(`${pool}`); // WorkerPool<hash.worker.js threads=2 running=0 queued=0 open>
 * await pool.close();
 * ```
 */
export function workerPool<M = UntypedWorkerModule>(
  file: URL | string,
  options?: WorkerPoolOptions,
): WorkerPool<M> {
  return new WorkerPool<M>(file, options);
}
