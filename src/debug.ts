/**
 * Debug mode: asyncio's `debug=True`, for weft. It reports
 *
 * - each period in which the event loop was blocked longer than
 *   `slowCallbackMs`, with the task that was running when it began;
 * - tasks still pending when their `run()` finishes (forgotten work);
 * - failed tasks whose error nobody retrieved (also reported outside debug
 *   mode, here with the stack where the task was created).
 *
 * Tasks created in debug mode record their creation stack. Off by default
 * and free when off: nothing below runs, and no hook is installed, unless
 * `run(main, { debug })`, `runMain(main, { debug })` or `WEFT_DEBUG=1`.
 *
 * @module
 */

import { createHook } from 'node:async_hooks';
import { currentScope } from './internal/scope.js';
import { creationLocation } from './internal/stacks.js';
import {
  checkFunction,
  checkInteger,
  checkOptions,
  firstError,
  show,
} from './internal/validate.js';

/** Options of debug mode: `run(main, { debug: { slowCallbackMs: 50 } })`. */
export interface DebugOptions {
  /**
   * Report each period in which the event loop was blocked longer than this
   * many milliseconds (an integer >= 1).
   * @default 100
   */
  slowCallbackMs?: number;
  /**
   * Receives every report. Each report is also emitted with
   * `process.emitWarning` (type `WeftWarning`, code as in the report), so
   * `process.on('warning')` and `--no-warnings` work as for Node's own.
   * @default (report) => console.warn(report.message)
   */
  logger?: (report: DebugReport) => void;
}

/** One thing debug mode found. */
export interface DebugReport {
  /**
   * `WEFT_BLOCKED_LOOP`, `WEFT_PENDING_AT_EXIT` or
   * `WEFT_UNRETRIEVED_ERROR`; also the warning's code.
   */
  code: 'WEFT_BLOCKED_LOOP' | 'WEFT_PENDING_AT_EXIT' | 'WEFT_UNRETRIEVED_ERROR';
  /** Human-readable report, several lines, with the creation stack when known. */
  message: string;
  /** The task concerned (for a blocked loop: the one running when it began), if any. */
  task: { id: number; name: string; location: string | null; stack: string | null } | null;
  /** How long the loop was blocked (`WEFT_BLOCKED_LOOP` only). */
  durationMs?: number;
}

/** The task fields a report needs (kept structural: this module does not import tasks). */
interface TaskLike {
  readonly id: number;
  readonly name: string;
  _creationStack: string | undefined;
}

/** The settings of one debug-mode `run()` (or of `WEFT_DEBUG=1`); not exported from the package. */
export class DebugSession {
  readonly slowCallbackMs: number;
  readonly logger: ((report: DebugReport) => void) | undefined;

  constructor(options: DebugOptions | undefined) {
    this.slowCallbackMs = options?.slowCallbackMs ?? 100;
    this.logger = options?.logger;
  }

  report(report: DebugReport): void {
    try {
      if (this.logger === undefined) console.warn(report.message);
      else this.logger(report);
    } catch (error) {
      process.emitWarning(
        `debug logger threw: ${error instanceof Error ? error.stack : show(error)}`,
        {
          type: 'WeftWarning',
          code: 'WEFT_HOOK_ERROR',
        },
      );
    }
    process.emitWarning(report.message.split('\n')[0]!, {
      type: 'WeftWarning',
      code: report.code,
    });
  }
}

/** @internal Validate `options.debug` of `run`/`runMain`. */
export function checkDebugOption(value: unknown): Error | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  if (typeof value !== 'object' || value === null) {
    return new TypeError(
      `Expected \`options.debug\` to be a boolean or an options object, got ${show(value)}`,
    );
  }
  const options = value as DebugOptions;
  return firstError(
    checkOptions('options.debug', options),
    options.slowCallbackMs === undefined
      ? undefined
      : checkInteger('options.debug.slowCallbackMs', options.slowCallbackMs, 1),
    options.logger === undefined
      ? undefined
      : checkFunction('options.debug.logger', options.logger),
  );
}

/** @internal The session for a run's `debug` option (`WEFT_DEBUG=1` when it is not given). */
export function sessionFor(debug: boolean | DebugOptions | undefined): DebugSession | undefined {
  if (debug === undefined) return envSession();
  if (debug === false) return undefined;
  return new DebugSession(debug === true ? undefined : debug);
}

let fromEnv: DebugSession | undefined | null = null;

/** @internal The process-wide session of `WEFT_DEBUG=1`, for tasks created outside any `run()`. */
export function envSession(): DebugSession | undefined {
  if (fromEnv === null) {
    fromEnv = process.env.WEFT_DEBUG === '1' ? new DebugSession(undefined) : undefined;
    if (fromEnv !== undefined) watchLoop(fromEnv);
  }
  return fromEnv;
}

/** @internal Describe a task for a report. */
export function taskReport(task: TaskLike): NonNullable<DebugReport['task']> {
  const stack = task._creationStack ?? null;
  return {
    id: task.id,
    name: task.name,
    location: stack === null ? null : creationLocation(stack),
    stack,
  };
}

/** @internal `task 'name' (#id)` */
export function describeTask(task: TaskLike): string {
  return `task '${task.name}' (#${task.id})`;
}

/** @internal Where the task was created, as lines to append to a report (empty when unknown). */
export function createdAt(task: TaskLike): string {
  return task._creationStack === undefined ? '' : `\nTask created at:\n${task._creationStack}`;
}

// ---------------------------------------------------------------- blocked loop

/**
 * A blocked period runs from the first callback after the loop was idle to
 * the moment the loop gets control back, marked by an immediate queued when
 * the period began (the check phase comes after timers, I/O callbacks and
 * every microtask in between). Only debug mode installs the hook.
 */
const sessions = new Set<DebugSession>();
let periodStart = -1;
let periodTask: TaskLike | undefined;

const hook = createHook({ before: onBefore });

function onBefore(): void {
  if (periodStart < 0) {
    periodStart = performance.now();
    setImmediate(endPeriod);
  }
  // The first callback that runs in a task names the period: where contexts
  // travel in async context frames (Node 24), a timer's callback does not
  // see its task yet in `before`, the promise job it resolves does.
  periodTask ??= currentScope()?._task as TaskLike | undefined;
}

function endPeriod(): void {
  const duration = performance.now() - periodStart;
  const task = periodTask;
  periodStart = -1;
  periodTask = undefined;
  for (const session of sessions) {
    if (duration <= session.slowCallbackMs) continue;
    const ms = Math.round(duration);
    const who =
      task === undefined ? 'no weft task was running' : `it began in ${describeTask(task)}`;
    session.report({
      code: 'WEFT_BLOCKED_LOOP',
      message: `weft: the event loop was blocked for ${ms} ms (more than ${session.slowCallbackMs} ms): ${who}${task === undefined ? '' : createdAt(task)}`,
      task: task === undefined ? null : taskReport(task),
      durationMs: ms,
    });
  }
}

/**
 * @internal A debug-mode task starts its function: it names the period if
 * no task did yet (tasks start inside weft's own start-up microtask, which
 * runs outside any task).
 */
export function noteTaskStart(task: TaskLike): void {
  if (periodStart >= 0) periodTask ??= task;
}

/** @internal Start reporting blocked periods to `session`. */
export function watchLoop(session: DebugSession): void {
  if (sessions.size === 0) hook.enable();
  sessions.add(session);
}

/** @internal Stop reporting to `session` (its run ended); the hook goes when nobody watches. */
export function unwatchLoop(session: DebugSession): void {
  if (!sessions.delete(session)) return;
  if (sessions.size === 0) {
    hook.disable();
    periodStart = -1;
    periodTask = undefined;
  }
}

/** @internal Whether the blocked-loop hook is installed (for tests). */
export function loopWatched(): boolean {
  return sessions.size > 0;
}
