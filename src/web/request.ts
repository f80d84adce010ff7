/**
 * The request scope every adapter shares: the handler runs in a weft task
 * that is cancelled when the client goes away before the response is
 * complete; once the response is over, the request's background tasks run
 * through the supervisor.
 *
 * @module
 */

import type { ServerResponse } from 'node:http';
import { asCancellation, CancelledError } from '../exceptions.js';
import { checkOptions, firstError, show } from '../internal/validate.js';
import { type Awaitable, currentTask, Task } from '../tasks.js';
import {
  BackgroundTasks,
  type BackgroundTasksOptions,
  checkBackgroundOptions,
  type Ended,
  startBackgroundTasks,
} from './background-tasks.js';
import { Supervisor, safeLog } from './supervisor.js';

/** What a disconnect's `CancelledError` says. */
const DISCONNECTED = 'The client disconnected before the response was sent';

/** Options every adapter takes. */
export interface WebOptions extends BackgroundTasksOptions {
  /**
   * The supervisor that owns the background tasks.
   * @default the process-wide {@link defaultSupervisor}
   */
  supervisor?: Supervisor;
}

let shared: Supervisor | undefined;

/**
 * The supervisor adapters use when none is given (created on first use).
 * Pass your own to control its limits and to shut it down.
 *
 * @example
 * ```ts
 * import { defaultSupervisor } from 'weft/web';
 *
 * console.log(String(defaultSupervisor())); // Supervisor<running=0 pending=0 completed=0 failed=0 cancelled=0>
 * ```
 */
export function defaultSupervisor(): Supervisor {
  shared ??= new Supervisor();
  return shared;
}

/** @internal Validate adapter options; returns them with the supervisor resolved. */
export function resolveWebOptions(
  options: WebOptions | undefined,
): WebOptions & { supervisor: Supervisor } {
  const error = firstError(
    checkOptions('options', options),
    options === undefined ? undefined : checkBackgroundOptions(options),
    options?.supervisor === undefined || options.supervisor instanceof Supervisor
      ? undefined
      : new TypeError(
          `Expected \`supervisor\` to be a weft Supervisor, got ${show(options.supervisor)}`,
        ),
  );
  if (error !== undefined) throw error;
  return { ...options, supervisor: options?.supervisor ?? defaultSupervisor() };
}

/** The body of a task that only stands for the request (the client went away before its handler started). */
function noop(): void {}

/**
 * @internal One request in flight. Its task runs the handler; the scope
 * itself is what a late background task needs (`Ended`).
 */
export class RequestScope implements Ended {
  readonly backgroundTasks = new BackgroundTasks();
  readonly supervisor: Supervisor;
  /** @internal Set by `start()` (or on a disconnect before it). */
  _task: Task<void> | undefined = undefined;
  /** The response's status, once it is over. */
  status = 0;
  /** The response was sent in full (set when it is over). */
  complete = false;
  /** The background tasks are skipped (set when the response is over). */
  skip = false;
  /** `runOn` threw. */
  runOnThrew = false;
  /** @internal */ _ended = false;
  /** @internal The client went away before the response was complete. */
  _disconnected = false;
  /** @internal Fulfils the task of an adapter whose handler is not the task's body (see `then`). */
  _onEnded: ((value: undefined) => unknown) | undefined = undefined;

  constructor(
    readonly label: string,
    readonly options: WebOptions & { supervisor: Supervisor },
  ) {
    this.supervisor = options.supervisor;
  }

  /**
   * Run `body` as the request's task, starting now (an eager task: no
   * microtask before the handler). `body` must begin with
   * `scope.enter()`, so that the scope knows its task before `new Task`
   * returns.
   */
  start(body: () => Awaitable<void>): void {
    const task = new Task<void>(body, { name: this.label, eager: true });
    this._task ??= task;
  }

  /** @internal The first thing a task body started by `start()` does. */
  enter(): void {
    this._task ??= currentTask() as Task<void>;
  }

  /** The request's task. */
  get task(): Task<void> {
    // No task yet: the client went away before the handler was reached. A
    // task that never runs stands for it, cancelled by `end()`.
    this._task ??= new Task<void>(noop, { name: this.label });
    return this._task;
  }

  /** The request task's signal: aborts when the client goes away. */
  get signal(): AbortSignal {
    return this.task.signal;
  }

  /**
   * The response is over: `complete` when it was sent in full, otherwise
   * the client went away first (the handler is then cancelled). Runs the
   * background tasks: when the response was `sent` in full (a Node
   * response's `close`), their task starts in this call; otherwise as new
   * tasks do, on a later microtask (after a disconnect, once the handler
   * has seen its cancellation). Idempotent.
   */
  end(status: number, complete: boolean, sent = true): void {
    if (this._ended) return;
    this._ended = true;
    this.status = status;
    this.complete = complete;
    if (!complete) {
      this._disconnected = true;
      this.task.cancel(DISCONNECTED);
      // Not an application error: debug level at most, never the framework's error path.
      safeLog(
        this.supervisor._logger,
        'debug',
        `weft: ${this.label}: the client disconnected before the response was sent; its handler is cancelled`,
      );
    }
    const onEnded = this._onEnded;
    if (onEnded !== undefined) {
      this._onEnded = undefined;
      onEnded(undefined);
    }
    try {
      startBackgroundTasks(this.backgroundTasks, this, sent && complete);
    } catch (error) {
      // Called from the response's event listeners: nothing may escape.
      reportHandlerError(this, error);
    }
  }

  /**
   * The `CancelledError` a disconnect threw into the handler (once the
   * client went away), for adapters to mark it as the framework expects of
   * a client error.
   */
  disconnectError(): CancelledError | undefined {
    if (!this._disconnected) return undefined;
    const reason: unknown = this.task._abortReason;
    return reason instanceof CancelledError ? reason : undefined;
  }

  /** Whether `error` is the cancellation of this request by its client's disconnect. */
  isDisconnect(error: unknown): boolean {
    return this._disconnected && asCancellation(error) !== undefined;
  }

  /**
   * @internal What the body of a task whose handler is not its body
   * returns (Express, Fastify), to keep the task pending while the
   * response is in flight, so that a disconnect reaches the handler's
   * checkpoints. A thenable that `end()` fulfils, synchronously: no promise
   * per request. One taker (the task).
   */
  // biome-ignore lint/suspicious/noThenProperty: the request task waits on its scope through this.
  then<R1 = undefined, R2 = never>(
    onFulfilled?: ((value: undefined) => R1 | PromiseLike<R1>) | null,
    _onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    if (onFulfilled != null) {
      if (this._ended) onFulfilled(undefined);
      else this._onEnded = onFulfilled;
    }
    return this as unknown as PromiseLike<R1 | R2>;
  }

  /**
   * Follow a Node response: its `close` says it is over, `writableFinished`
   * whether it was sent in full; `then` runs after `end()`, if given.
   */
  watch(res: ServerResponse, then?: (scope: RequestScope) => void): void {
    res.on('close', () => {
      this.end(res.statusCode, res.writableFinished);
      then?.(this);
    });
  }
}

/** @internal Log an error a handler threw, the way the supervisor logs failures. */
export function reportHandlerError(scope: RequestScope, error: unknown): void {
  scope.supervisor._report(error, scope.task);
}
