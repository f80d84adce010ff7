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
import { type Awaitable, currentTask, Task, type TaskFn, TaskState } from '../tasks.js';

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

/**
 * Supervisors that own unfinished tasks (a supervisor is here from its first
 * live task to its last): `supervisorOf` looks a task up in their lists. A
 * per-task map (one entry per spawn) would cost every request that has a
 * background task; this lookup runs once per job worker.
 */
const busy: Supervisor[] = [];

/** @internal The supervisor that spawned `task`, if one did and it is not done. */
export function supervisorOf(task: Task<unknown> | undefined): Supervisor | undefined {
  if (task === undefined) return undefined;
  for (const supervisor of busy) {
    for (let h = supervisor._first; h !== undefined; h = h.next)
      if (h.task === task) return supervisor;
  }
  return undefined;
}

/**
 * @internal A task a supervisor owns: its record (what `recent()` shows a
 * copy of), linked into the supervisor's list of unfinished tasks until it
 * ends, then kept in its history.
 */
export class Held implements TaskRecord {
  id = 0;
  name = '';
  state: TaskRecord['state'] = 'pending';
  startedAt: number | undefined = undefined;
  endedAt: number | undefined = undefined;
  error: string | undefined = undefined;
  /** The task, until it ends. */
  task: Task<unknown> | undefined = undefined;
  prev: Held | undefined = undefined;
  next: Held | undefined = undefined;

  constructor(readonly spawnedAt: number) {}

  /** The public fields, in a new object. */
  copy(): TaskRecord {
    return {
      id: this.id,
      name: this.name,
      state: this.state,
      spawnedAt: this.spawnedAt,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      error: this.error,
    };
  }
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
  /**
   * @internal Unfinished tasks, oldest first: a linked list of their
   * records (a Map keyed by task costs an insertion and a deletion per
   * task, and V8 shrinks and regrows its table as the count swings).
   */
  _first: Held | undefined = undefined;
  /** @internal */ _last: Held | undefined = undefined;
  /** @internal How many are in the list. */
  _liveCount = 0;
  /**
   * @internal The last `historySize` finished tasks: in finishing order
   * until it is full, then a ring whose oldest is at `_historyAt`.
   */
  _history: Held[] = [];
  /** @internal */ _historyAt = 0;
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
    // The wrapper takes the signal only if `fn` does: a task's signal (an
    // AbortController) is built on demand, and most background work never
    // asks. Otherwise `fn` is called with no argument at all.
    const run: (held: Held) => Awaitable<T> =
      fn.length > 0 ? (held) => fn(held.task!.signal) : () => (fn as () => Awaitable<T>)();
    return this._spawn(run, options?.name).task as Task<T>;
  }

  /**
   * @internal `spawn` with its arguments known to be valid: `run` gets the
   * task's record (for `_reportFailure`). `eager`: the task starts in this
   * call, as `createTask(fn, { eager: true })` does (the web layer, once a
   * response has left). Returns the record; its `task` is set.
   */
  _spawn<T>(run: (held: Held) => Awaitable<T>, name: string | undefined, eager = false): Held {
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
    const held = new Held(Date.now());
    this._pending++;
    const last = this._last;
    if (last === undefined) {
      this._first = held;
      busy.push(this);
    } else {
      last.next = held;
      held.prev = last;
    }
    this._last = held;
    this._liveCount++;
    const body: () => Awaitable<T> =
      slots === undefined
        ? () => {
            this._start(held, true, eager);
            return run(held);
          }
        : async () => {
            this._start(held, false);
            await slots.acquire(); // in the backlog: a checkpoint, so shutdown can cancel it
            this._start(held);
            try {
              return await run(held);
            } finally {
              slots.release();
            }
          };
    let task: Task<T>;
    if (eager) task = new Task<T>(body, { name, eager });
    else {
      task = new Task<T>(body);
      // The name through the setter: `new Task(body, { name })` checks the options again.
      if (name !== undefined) task.name = name;
    }
    if (held.task === undefined) this._adopt(held, task as Task<unknown>);
    task._onDone((done) => this._finished(done as Task<unknown>, held));
    return held;
  }

  /** @internal The record learns its task (inside `new Task()` when eager). */
  _adopt(held: Held, task: Task<unknown>): void {
    held.task = task;
    held.id = task.id;
    held.name = task.name;
  }

  /**
   * @internal A task's function starts: it leaves the backlog (`running`),
   * or with a concurrency limit, first waits for a slot (`!running`). The
   * record learns its task here when that runs inside `new Task()`.
   */
  _start(held: Held, running = true, now = false): void {
    if (held.task === undefined) this._adopt(held, currentTask()!);
    if (!running) return;
    this._pending--;
    this._running++;
    held.state = 'running';
    // Started inside `_spawn` itself (eager, no slot to wait for): when it was spawned.
    held.startedAt = now ? held.spawnedAt : Date.now();
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
    const records: TaskRecord[] = [];
    for (let h = this._last; h !== undefined; h = h.prev) records.push(h.copy());
    const history = this._history;
    // Newest first: the slot before `_historyAt`, going back round the ring.
    const n = history.length;
    const at = n < this._historySize ? n : this._historyAt;
    for (let i = 1; i <= n; i++) records.push(history[(at - i + n) % n]!.copy());
    return records;
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
  _reportFailure(error: unknown, held: Held): void {
    if (held.error === undefined) {
      held.error = error instanceof Error ? error.message : String(error);
    }
    this._report(error, held.task!);
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
  _finished(task: Task<unknown>, record: Held): void {
    const { prev, next } = record;
    if (prev === undefined) this._first = next;
    else prev.next = next;
    if (next === undefined) this._last = prev;
    else next.prev = prev;
    record.prev = record.next = record.task = undefined;
    this._liveCount--;
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
    const size = this._historySize;
    if (this._history.length < size) this._history.push(record);
    else if (size > 0) {
      this._history[this._historyAt] = record;
      this._historyAt = (this._historyAt + 1) % size;
    }
    if (this._liveCount === 0) {
      const at = busy.indexOf(this);
      if (at !== -1) {
        busy[at] = busy[busy.length - 1]!;
        busy.pop();
      }
      if (this._idle.length > 0) for (const resolve of this._idle.splice(0)) resolve();
    }
  }

  /** @internal Resolves once no task is unfinished. */
  _whenIdle(): Promise<void> {
    if (this._liveCount === 0) return Promise.resolve();
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
    const left: Task<unknown>[] = [];
    for (let h = this._first; h !== undefined; h = h.next) left.push(h.task!);
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
