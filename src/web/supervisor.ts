/**
 * `Supervisor`: owner of an application's background work.
 *
 * Fire-and-forget tasks are held by strong references until they finish,
 * their failures reach an error hook instead of vanishing, an optional
 * concurrency limit queues the rest (with a bounded backlog), and
 * `shutdown()` drains the work within a grace period before it cancels
 * what is left.
 *
 * @module
 */

import { inspect } from 'node:util';
import { InvalidStateError } from '../exceptions.js';
// Registers the inspector hook of `weft ps` in servers that load only weft/web.
import '../snapshot.js';
import { startTimer, stopTimer } from '../internal/timers.js';
import {
  checkFunction,
  checkOptionalString,
  checkOptions,
  firstError,
  show,
} from '../internal/validate.js';
import { Semaphore } from '../semaphores.js';
import { type Awaitable, Task, type TaskFn, TaskState } from '../tasks.js';

/**
 * Where weft's web layer writes: `console.error` and `console.warn` by
 * default. `debug` is optional: what weft reports at that level (a client
 * that disconnected, one line per request) is dropped without it, and by
 * the default logger.
 */
export interface Logger {
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  debug?(message: string, ...details: unknown[]): void;
}

/** Options of {@link Supervisor}. */
export interface SupervisorOptions {
  /**
   * How many tasks may run at once; the others wait, in order, in the backlog.
   * @default Infinity
   */
  concurrency?: number;
  /**
   * How many tasks may wait in the backlog (with `concurrency`); beyond it
   * `spawn` throws {@link BacklogFullError}. Nothing is dropped silently.
   * @default Infinity
   */
  maxPending?: number;
  /**
   * Called with the error of every task that fails (and of every failed
   * background function). If it throws, that is logged too.
   * @default logs `task '<name>' failed` and the stack through `logger.error`
   */
  onError?: (error: unknown, task: Task<unknown>) => void;
  /**
   * Where the default `onError` and shutdown reports go: an object with
   * `error` and `warn` methods (and optionally `debug`). A logger that
   * throws is ignored (the work goes on).
   * @default `console.error` and `console.warn` (debug messages dropped)
   */
  logger?: Logger;
  /**
   * How many finished tasks {@link Supervisor.recent} remembers.
   * @default 100
   */
  historySize?: number;
}

/** Options of {@link Supervisor.spawn}. */
export interface SpawnOptions {
  /** Name for logs, `stats`, `recent()` and `weft ps`. @default `Task-<id>` */
  name?: string;
}

/** Counts from {@link Supervisor.stats}. */
export interface SupervisorStats {
  /** Tasks running now. */
  running: number;
  /** Tasks waiting in the backlog for a free slot. */
  pending: number;
  /** Tasks that returned. */
  completed: number;
  /** Tasks that threw, or reported a failure they survived (a failed background function). */
  failed: number;
  /** Tasks that ended cancelled (by `shutdown()` or by anyone else). */
  cancelled: number;
}

/** One task as {@link Supervisor.recent} shows it. */
export interface TaskRecord {
  id: number;
  name: string;
  state: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  /** `Date.now()` when it was spawned. */
  spawnedAt: number;
  /** `Date.now()` when it started running (after waiting in the backlog), if it has. */
  startedAt: number | undefined;
  /** `Date.now()` when it finished, if it has. */
  endedAt: number | undefined;
  /** The failure's message, for a failed task. */
  error: string | undefined;
}

/** Options of {@link Supervisor.shutdown}. */
export interface ShutdownOptions {
  /**
   * How long running and queued tasks may take to finish before the rest is
   * cancelled, in milliseconds. `Infinity`: no limit, wait for them all.
   * Any length works, including more than the 24.8 days a Node timer can
   * hold.
   * @default 10_000
   */
  graceMs?: number;
}

/** What {@link Supervisor.shutdown} did. */
export interface ShutdownResult {
  /** Tasks still unfinished at the deadline, cancelled. */
  cancelled: number;
  /** Their names, all of them (the log shows the first few). */
  cancelledNames: string[];
}

/** What a {@link ShutdownHook} is given. */
export interface ShutdownHookContext {
  /**
   * What is left of the shutdown's grace period, in milliseconds: 0 when
   * the tasks used it up, `Infinity` when there is no limit.
   */
  graceMs: number;
}

/**
 * Closes a resource at the end of {@link Supervisor.shutdown}. If it
 * resolves with `{ cancelled, cancelledNames }` (as `WorkerPool.close()`
 * does), those count in the shutdown's result.
 */
export type ShutdownHook = (context: ShutdownHookContext) => Awaitable<unknown>;

/**
 * Thrown by {@link Supervisor.spawn} when the backlog already holds
 * `maxPending` tasks.
 *
 * @example
 * ```ts
 * import { BacklogFullError, Supervisor } from 'weft/web';
 * import { sleep } from 'weft';
 *
 * const supervisor = new Supervisor({ concurrency: 1, maxPending: 1 });
 * supervisor.spawn(() => sleep(20)); // runs
 * supervisor.spawn(() => sleep(20)); // waits
 * try {
 *   supervisor.spawn(() => sleep(20));
 * } catch (err) {
 *   if (err instanceof BacklogFullError) console.log(err.maxPending); // 1
 * }
 * await supervisor.shutdown();
 * ```
 */
export class BacklogFullError extends Error {
  /** The supervisor's `maxPending`. */
  readonly maxPending: number;

  constructor(message: string, options: { maxPending: number; cause?: unknown }) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'BacklogFullError';
    this.maxPending = options.maxPending;
  }
}

/** `console`'s error and warn; no debug (a disconnect per line would flood the output). */
const defaultLogger: Logger = {
  error: (message, ...details) => console.error(message, ...details),
  warn: (message, ...details) => console.warn(message, ...details),
};

/** How many task names a shutdown log line shows before it says how many more. */
const NAMES_SHOWN = 5;

/** @internal Check a {@link Logger}: `error` and `warn` methods, `debug` if any. */
export function checkLogger(value: unknown): TypeError | undefined {
  if (value === undefined) return undefined;
  const logger = value as Partial<Record<keyof Logger, unknown>> | null;
  const ok =
    logger !== null &&
    typeof logger === 'object' &&
    typeof logger.error === 'function' &&
    typeof logger.warn === 'function' &&
    (logger.debug === undefined || typeof logger.debug === 'function');
  return ok
    ? undefined
    : new TypeError(
        `Expected \`logger\` to have error() and warn() methods (and optionally debug()), got ${show(value)}`,
      );
}

/** @internal Write to a logger; a logger that throws never stops weft's work. */
export function safeLog(
  logger: Logger,
  level: 'error' | 'warn' | 'debug',
  message: string,
  ...details: unknown[]
): void {
  try {
    logger[level]?.(message, ...details);
  } catch {
    // Nowhere left to report it.
  }
}

/** @internal `2999 ms`, `Infinity ms`: whole milliseconds for the log. */
export function formatMs(ms: number): string {
  return `${Number.isFinite(ms) ? Math.round(ms) : ms} ms`;
}

/** @internal The first few names, and how many more and where to see them all. */
export function formatNames(names: string[], more: string): string {
  if (names.length <= NAMES_SHOWN) return names.join(', ');
  return `${names.slice(0, NAMES_SHOWN).join(', ')} and ${names.length - NAMES_SHOWN} more (${more})`;
}

function checkLimit(name: string, value: unknown, min: number): Error | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return undefined;
  const message = `Expected \`${name}\` to be an integer >= ${min} or Infinity, got ${show(value)}`;
  return typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}

/** @internal Check a grace period in milliseconds. */
export function checkGrace(name: string, value: unknown): Error | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined;
  if (typeof value !== 'number') {
    return new TypeError(`Expected \`${name}\` to be a number of milliseconds, got ${show(value)}`);
  }
  if (Number.isNaN(value) || value < 0) {
    return new RangeError(`Expected \`${name}\` to be a number >= 0, got ${show(value)}`);
  }
  return undefined;
}

/** Which supervisor spawned a task (weft/jobs finds its worker's through it). */
const owners = new WeakMap<Task<unknown>, Supervisor>();

/** @internal The supervisor that spawned `task`, if one did. */
export function supervisorOf(task: Task<unknown> | undefined): Supervisor | undefined {
  return task === undefined ? undefined : owners.get(task);
}

/**
 * Owns background tasks: strong references, error reporting, an optional
 * concurrency limit with a bounded backlog, statistics, and a graceful
 * shutdown. One per application; every `BackgroundTasks` of a web adapter
 * runs through one.
 *
 * @example
 * ```ts
 * import { sleep } from 'weft';
 * import { Supervisor } from 'weft/web';
 *
 * const supervisor = new Supervisor({ concurrency: 2 });
 * for (const n of [1, 2, 3]) supervisor.spawn(() => sleep(10 * n), { name: `job-${n}` });
 * await sleep(1); // two have started; the third waits for a slot
 * console.log(supervisor.stats().pending); // 1
 * const { cancelled } = await supervisor.shutdown({ graceMs: 1_000 });
 * console.log(cancelled, supervisor.stats().completed); // 0 3
 * ```
 */
export class Supervisor {
  /** @internal */ readonly _slots: Semaphore | undefined;
  /** @internal */ readonly _concurrency: number;
  /** @internal */ readonly _maxPending: number;
  /** @internal */ readonly _onError: (error: unknown, task: Task<unknown>) => void;
  /** @internal */ readonly _logger: Logger;
  /** @internal */ readonly _historySize: number;
  /** @internal Unfinished tasks and their records. */
  _live = new Map<Task<unknown>, TaskRecord>();
  /** @internal Finished tasks, oldest first. */
  _history: TaskRecord[] = [];
  /** @internal */ _running = 0;
  /** @internal */ _pending = 0;
  /** @internal */ _completed = 0;
  /** @internal */ _failed = 0;
  /** @internal */ _cancelled = 0;
  /** @internal */ _closed = false;
  /** @internal */ _idle: Array<() => void> = [];
  /** @internal */ _shutdown: Promise<ShutdownResult> | undefined = undefined;
  /** @internal Resources to close after the tasks, in registration order. */
  _hooks: ShutdownHook[] = [];
  /** @internal Aborted when `shutdown()` begins (`stopping`). */
  readonly _stopping = new AbortController();
  /** @internal When the grace period ends (performance.now()), once shut down. */
  _deadline = Number.POSITIVE_INFINITY;

  constructor(options: SupervisorOptions = {}) {
    const error = firstError(
      checkOptions('options', options),
      checkLimit('concurrency', options.concurrency, 1),
      checkLimit('maxPending', options.maxPending, 0),
      options.onError === undefined ? undefined : checkFunction('onError', options.onError),
      checkLimit('historySize', options.historySize, 0),
      checkLogger(options.logger),
    );
    if (error !== undefined) throw error;
    const concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
    this._concurrency = concurrency;
    this._slots = concurrency === Number.POSITIVE_INFINITY ? undefined : new Semaphore(concurrency);
    this._maxPending = options.maxPending ?? Number.POSITIVE_INFINITY;
    this._logger = options.logger ?? defaultLogger;
    this._onError = options.onError ?? ((err, task) => this._logFailure(err, task));
    this._historySize = options.historySize ?? 100;
  }

  /** True once `shutdown()` was called: `spawn` refuses new work. */
  get closed(): boolean {
    return this._closed;
  }

  /**
   * Aborts when `shutdown()` begins, before the grace period: the cue for
   * long-running work (a loop, a job worker) to stop taking new work and
   * finish what it has within the grace. A `weft/jobs` worker running in
   * one of this supervisor's tasks does so by itself.
   *
   * @example
   * ```ts
   * import { sleep } from 'weft';
   * import { Supervisor } from 'weft/web';
   *
   * const supervisor = new Supervisor();
   * supervisor.spawn(async () => {
   *   let rounds = 0;
   *   while (!supervisor.stopping.aborted) {
   *     rounds++; // poll a queue, flush a buffer...
   *     await sleep(10);
   *   }
   *   console.log('loop left cleanly:', rounds > 0); // loop left cleanly: true
   * });
   * await sleep(50);
   * console.log((await supervisor.shutdown({ graceMs: 1_000 })).cancelled); // 0
   * ```
   */
  get stopping(): AbortSignal {
    return this._stopping.signal;
  }

  /**
   * Whether a `spawn` now would be accepted: the supervisor is not shut
   * down and its backlog has room (`maxPending`). A background task is
   * handed to the supervisor after the response has been sent, too late to
   * tell the client it was refused: check this first and answer 503 when it
   * is false.
   *
   * @example
   * ```ts
   * import { sleep } from 'weft';
   * import { Supervisor } from 'weft/web';
   *
   * const supervisor = new Supervisor({ concurrency: 1, maxPending: 1 });
   * supervisor.spawn(() => sleep(20)); // runs
   * console.log(supervisor.canAccept()); // true
   * supervisor.spawn(() => sleep(20)); // waits in the backlog, which is now full
   * console.log(supervisor.canAccept()); // false
   * await supervisor.shutdown();
   * console.log(supervisor.canAccept()); // false
   * ```
   */
  canAccept(): boolean {
    return !this._closed && this._backlog() < this._maxPending;
  }

  /** @internal Tasks not yet started beyond the concurrency (those waiting for a slot). */
  _backlog(): number {
    // Tasks not yet started count as pending even when a slot awaits them:
    // the backlog is what exceeds the concurrency.
    return this._pending + this._running - this._concurrency;
  }

  /**
   * Start `fn` as a task owned by this supervisor (now, or once a slot is
   * free). Throws `InvalidStateError` after `shutdown()`, and
   * {@link BacklogFullError} when the backlog is full.
   */
  spawn<T>(fn: TaskFn<T>, options?: SpawnOptions): Task<T> {
    const error = firstError(
      checkFunction('fn', fn),
      checkOptions('options', options),
      checkOptionalString('options.name', options?.name),
    );
    if (error !== undefined) throw error;
    if (this._closed) {
      throw new InvalidStateError(`${this} is shut down: it cannot spawn new tasks`, {
        state: 'closed',
      });
    }
    const slots = this._slots;
    if (this._backlog() >= this._maxPending) {
      throw new BacklogFullError(
        `${this}: the backlog is full (maxPending ${this._maxPending}); try again later`,
        { maxPending: this._maxPending },
      );
    }
    const record: TaskRecord = {
      id: 0,
      name: '',
      state: 'pending',
      spawnedAt: Date.now(),
      startedAt: undefined,
      endedAt: undefined,
      error: undefined,
    };
    this._pending++;
    const start = (): void => {
      this._pending--;
      this._running++;
      record.state = 'running';
      record.startedAt = Date.now();
    };
    // The wrapper takes the signal only if `fn` does: a task's signal (an
    // AbortController) is built on demand, and most background work never asks.
    const wantsSignal = fn.length > 0;
    const call = (task: Task<T>): Awaitable<T> =>
      wantsSignal ? fn(task.signal) : (fn as () => Awaitable<T>)();
    const body: () => Awaitable<T> =
      slots === undefined
        ? () => {
            start();
            return call(task);
          }
        : async () => {
            await slots.acquire(); // in the backlog: a checkpoint, so shutdown can cancel it
            start();
            try {
              return await call(task);
            } finally {
              slots.release();
            }
          };
    const task: Task<T> = new Task<T>(body, { name: options?.name });
    owners.set(task as Task<unknown>, this);
    record.id = task.id;
    record.name = task.name;
    this._live.set(task as Task<unknown>, record);
    task._onDone((done) => this._finished(done as Task<unknown>, record));
    return task;
  }

  /** Counts of running, queued and finished tasks. */
  stats(): SupervisorStats {
    return {
      running: this._running,
      pending: this._pending,
      completed: this._completed,
      failed: this._failed,
      cancelled: this._cancelled,
    };
  }

  /** Unfinished tasks, then the last `historySize` finished ones, newest first. */
  recent(): TaskRecord[] {
    const live = [...this._live.values()].reverse();
    // The history is trimmed in batches: it may hold more than historySize.
    const finished =
      this._historySize === 0 ? [] : this._history.slice(-this._historySize).reverse();
    return [...live, ...finished].map((r) => ({ ...r }));
  }

  /**
   * Refuse new work, wait up to `graceMs` for running and queued tasks,
   * then cancel what is left and wait for it to stop. Resolves with what
   * was cancelled (logged with the first few names; the result lists them
   * all). Calling it again returns the same promise. Bad options reject
   * (`TypeError`/`RangeError` naming them); it never throws.
   */
  shutdown(options: ShutdownOptions = {}): Promise<ShutdownResult> {
    let graceMs: number;
    try {
      const error = checkOptions('options', options);
      if (error !== undefined) return Promise.reject(error);
      const given = options.graceMs; // read once: it may be a getter
      const graceError = checkGrace('graceMs', given);
      if (graceError !== undefined) return Promise.reject(graceError);
      graceMs = given ?? 10_000;
    } catch (error) {
      return Promise.reject(error);
    }
    return this._shutdownFor(graceMs, undefined);
  }

  /** @internal Start the shutdown (once); `note` says where the rest of the grace went. */
  _shutdownFor(graceMs: number, note: string | undefined): Promise<ShutdownResult> {
    this._closed = true;
    if (this._shutdown === undefined) {
      this._deadline = performance.now() + graceMs;
      this._shutdown = this._drain(graceMs, note);
      // After the drain has started: a listener that spawns nothing new and
      // stops its loops sees the grace period already running.
      this._stopping.abort();
    }
    return this._shutdown;
  }

  /**
   * Close a resource when `shutdown()` has drained the tasks (or cancelled
   * what was left): a worker pool, a database pool, a cache. Hooks run one
   * at a time, the last registered first, each given what is left of the
   * grace period; one that throws is logged and the others still run.
   * Returns a function that removes the hook. Throws `InvalidStateError`
   * once the supervisor is shut down.
   *
   * @example
   * ```ts
   * import { sleep } from 'weft';
   * import { Supervisor } from 'weft/web';
   *
   * const supervisor = new Supervisor();
   * supervisor.spawn(() => sleep(20));
   * supervisor.onShutdown(({ graceMs }) => console.log(`closing the pool, ${graceMs > 0 ? 'grace left' : 'no grace left'}`)); // closing the pool, grace left
   * await supervisor.shutdown({ graceMs: 1_000 });
   * ```
   */
  onShutdown(hook: ShutdownHook): () => void {
    const error = checkFunction('hook', hook);
    if (error !== undefined) throw error;
    if (this._closed) {
      throw new InvalidStateError(`${this} is shut down: it cannot take a shutdown hook`, {
        state: 'closed',
      });
    }
    this._hooks.push(hook);
    return () => {
      const at = this._hooks.indexOf(hook);
      if (at !== -1) this._hooks.splice(at, 1);
    };
  }

  /** `Supervisor<running=2 pending=0 completed=10 failed=1 cancelled=0>` */
  toString(): string {
    const s = this.stats();
    const closed = this._closed ? ' closed' : '';
    return `Supervisor<running=${s.running} pending=${s.pending} completed=${s.completed} failed=${s.failed} cancelled=${s.cancelled}${closed}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Report an error through the `onError` hook (used by BackgroundTasks too). */
  _report(error: unknown, task: Task<unknown>): void {
    try {
      this._onError(error, task);
    } catch (hookError) {
      safeLog(
        this._logger,
        'error',
        `weft: onError threw while reporting task '${task.name}'`,
        hookError,
      );
    }
  }

  /**
   * @internal A task reported a failure it survived (a background function
   * that failed while the others went on): report it, and count the task as
   * failed when it ends.
   */
  _reportFailure(error: unknown, task: Task<unknown>): void {
    const record = this._live.get(task);
    if (record !== undefined && record.error === undefined) {
      record.error = error instanceof Error ? error.message : String(error);
    }
    this._report(error, task);
  }

  /** @internal */
  _logFailure(error: unknown, task: Task<unknown>): void {
    const detail = error instanceof Error ? (error.stack ?? String(error)) : inspect(error);
    safeLog(
      this._logger,
      'error',
      `weft: background task '${task.name}' (#${task.id}) failed\n${detail}`,
    );
  }

  /** @internal */
  _finished(task: Task<unknown>, record: TaskRecord): void {
    this._live.delete(task);
    if (record.state === 'running') this._running--;
    else this._pending--;
    record.endedAt = Date.now();
    switch (task._state) {
      case TaskState.Succeeded:
        // A task that survived a failure it reported still counts as failed.
        if (record.error === undefined) {
          record.state = 'completed';
          this._completed++;
        } else {
          record.state = 'failed';
          this._failed++;
        }
        break;
      case TaskState.Failed:
        record.state = 'failed';
        record.error =
          task._outcome instanceof Error ? task._outcome.message : String(task._outcome);
        this._failed++;
        task._markRetrieved();
        this._report(task._outcome, task);
        break;
      default:
        record.state = 'cancelled';
        this._cancelled++;
    }
    this._history.push(record);
    // Trimmed in batches: shift() on every finished task is a copy each time.
    if (this._history.length > 2 * this._historySize + 16) {
      this._history.splice(0, this._history.length - this._historySize);
    }
    if (this._live.size === 0) for (const resolve of this._idle.splice(0)) resolve();
  }

  /** @internal Resolves once no task is unfinished. */
  _whenIdle(): Promise<void> {
    if (this._live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this._idle.push(resolve));
  }

  /** @internal */
  async _drain(graceMs: number, note: string | undefined): Promise<ShutdownResult> {
    const deadline = performance.now() + graceMs;
    // weft's timers: a grace period beyond 2^31-1 ms is not cut to 1 ms.
    let timer: ReturnType<typeof startTimer> | undefined;
    const expired = new Promise<void>((resolve) => {
      if (graceMs !== Number.POSITIVE_INFINITY) timer = startTimer(graceMs, resolve, undefined);
    });
    await Promise.race([this._whenIdle(), expired]);
    stopTimer(timer);
    const left = [...this._live.keys()];
    for (const task of left) task.cancel('Supervisor shutdown: grace period over');
    await this._whenIdle();
    const cancelledNames = left.map((task) => task.name);
    if (left.length > 0) {
      const where = `all in the shutdown result's cancelledNames; while it runs, supervisor.recent() or \`weft ps ${process.pid}\``;
      safeLog(
        this._logger,
        'warn',
        `weft: shutdown cancelled ${left.length} task(s) still unfinished after ${formatMs(graceMs)}${note === undefined ? '' : ` (${note})`}: ${formatNames(cancelledNames, where)}`,
      );
    }
    // Tasks had to be cancelled: the grace period is over, whatever the
    // clock says (a Node timer may fire a fraction of a millisecond before
    // performance.now() reaches the deadline).
    const closed = await this._runHooks(left.length > 0 ? 0 : deadline);
    return {
      cancelled: left.length + closed.length,
      cancelledNames: [...cancelledNames, ...closed],
    };
  }

  /** @internal Run the shutdown hooks, newest first; the names of what they cancelled. */
  async _runHooks(deadline: number): Promise<string[]> {
    const cancelled: string[] = [];
    for (const hook of this._hooks.splice(0).reverse()) {
      try {
        const result = await hook({ graceMs: Math.max(0, deadline - performance.now()) });
        const report = result as Partial<ShutdownResult> | null | undefined;
        if (typeof report?.cancelled === 'number' && report.cancelled > 0) {
          const names = Array.isArray(report.cancelledNames) ? report.cancelledNames : [];
          for (let i = 0; i < report.cancelled; i++) cancelled.push(String(names[i] ?? hook.name));
        }
      } catch (hookError) {
        safeLog(this._logger, 'error', 'weft: a shutdown hook failed', hookError);
      }
    }
    if (cancelled.length > 0) {
      safeLog(
        this._logger,
        'warn',
        `weft: shutdown hooks cancelled ${cancelled.length} job(s) still unfinished: ${formatNames(cancelled, "all in the shutdown result's cancelledNames")}`,
      );
    }
    return cancelled;
  }
}
