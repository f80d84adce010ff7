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
import { Task } from '../tasks.js';
import {
  BackgroundTasks,
  type BackgroundTasksOptions,
  checkBackgroundOptions,
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

/** @internal One request in flight. */
export class RequestScope {
  readonly backgroundTasks = new BackgroundTasks();
  readonly task: Task<void>;
  /** @internal */ _ended = false;
  /** @internal The client went away before the response was complete. */
  _disconnected = false;
  /** @internal Resolves `whenEnded()`, once someone waits for it. */
  _onEnded: (() => void) | undefined = undefined;
  /** @internal */ _endedPromise: Promise<void> | undefined = undefined;

  constructor(
    readonly label: string,
    readonly options: WebOptions & { supervisor: Supervisor },
    body: (scope: RequestScope) => Promise<void>,
  ) {
    this.task = new Task<void>(() => body(this), { name: label });
  }

  /** The request task's signal: aborts when the client goes away. */
  get signal(): AbortSignal {
    return this.task.signal;
  }

  /**
   * The response is over: `complete` when it was sent in full, otherwise
   * the client went away first (the handler is then cancelled). Runs the
   * background tasks. Idempotent.
   */
  end(status: number, complete: boolean): void {
    if (this._ended) return;
    this._ended = true;
    if (!complete) {
      this._disconnected = true;
      this.task.cancel(DISCONNECTED);
      // Not an application error: debug level at most, never the framework's error path.
      safeLog(
        this.options.supervisor._logger,
        'debug',
        `weft: ${this.label}: the client disconnected before the response was sent; its handler is cancelled`,
      );
    }
    try {
      startBackgroundTasks(
        this.backgroundTasks,
        this.options.supervisor,
        this.options,
        this.label,
        status,
        complete,
      );
    } catch (error) {
      // Called from the response's event listeners: nothing may escape.
      reportHandlerError(this, error);
    }
    this._onEnded?.();
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
   * Resolves once `end()` ran: adapters whose handler is not the task's
   * body keep the task pending until then, so that a disconnect reaches the
   * handler's checkpoints.
   */
  whenEnded(): Promise<void> {
    if (this._ended) return Promise.resolve();
    this._endedPromise ??= new Promise<void>((resolve) => {
      this._onEnded = resolve;
    });
    return this._endedPromise;
  }

  /** Follow a Node response: `finish` (sent in full) or `close` first (client gone). */
  watch(res: ServerResponse): void {
    const onFinish = (): void => this.end(res.statusCode, true);
    const onClose = (): void => this.end(res.statusCode, res.writableFinished);
    res.once('finish', onFinish);
    res.once('close', onClose);
  }
}

/** @internal Log an error a handler threw, the way the supervisor logs failures. */
export function reportHandlerError(scope: RequestScope, error: unknown): void {
  scope.options.supervisor._report(error, scope.task);
}
