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
import { checkFunction, checkInteger, firstError, show } from './internal/validate.js';

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
  /**
   * The task concerned, if any. For a blocked loop: the task whose code ran
   * longest without yielding in that period (the one that blocked it).
   */
  task: { id: number; name: string; location: string | null; stack: string | null } | null;
  /** For a blocked loop: the task that was running when the period began, if any. */
  beganIn?: { id: number; name: string; location: string | null; stack: string | null } | null;
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
/** The first task whose code ran in the period. */
let periodTask: TaskLike | undefined;
/** The outermost callback running now: when it began, and in which task. */
let depth = 0;
let callbackStart = 0;
let callbackTask: TaskLike | undefined;
/** The period's longest callback so far, and its task: the one that blocked. */
let longest = 0;
let longestTask: TaskLike | undefined;

const hook = createHook({ before: onBefore, after: onAfter });

function onBefore(): void {
  const now = performance.now();
  if (periodStart < 0) {
    periodStart = now;
    setImmediate(endPeriod);
  }
  const task = currentScope()?._task as TaskLike | undefined;
  // Where contexts travel in async context frames (Node 24), a timer's
  // callback does not see its task yet in `before`; the promise job it
  // resolves does.
  periodTask ??= task;
  if (depth++ === 0) {
    callbackStart = now;
    callbackTask = task;
  }
}

function onAfter(): void {
  // The hook may be enabled inside a callback: its `after` has no `before`.
  if (depth === 0 || --depth > 0) return;
  const took = performance.now() - callbackStart;
  if (took > longest && callbackTask !== undefined) {
    longest = took;
    longestTask = callbackTask;
  }
}

function endPeriod(): void {
  const duration = performance.now() - periodStart;
  const began = periodTask;
  const blocker = longestTask;
  const culprit = blocker ?? began;
  const culpritMs = Math.round(longest);
  periodStart = -1;
  periodTask = longestTask = callbackTask = undefined;
  longest = 0;
  for (const session of sessions) {
    if (duration <= session.slowCallbackMs) continue;
    const ms = Math.round(duration);
    let who = 'no weft task was running';
    if (culprit !== undefined) {
      who =
        blocker === undefined
          ? `it began in ${describeTask(culprit)}`
          : `${describeTask(culprit)} ran ${culpritMs} ms of it without yielding`;
      if (began !== undefined && began !== culprit) who += ` (it began in ${describeTask(began)})`;
    }
    session.report({
      code: 'WEFT_BLOCKED_LOOP',
      message: `weft: the event loop was blocked for ${ms} ms (more than ${session.slowCallbackMs} ms): ${who}${culprit === undefined ? '' : createdAt(culprit)}`,
      task: culprit === undefined ? null : taskReport(culprit),
      beganIn: began === undefined ? null : taskReport(began),
      durationMs: ms,
    });
  }
}

/**
 * @internal A debug-mode task starts its function: it names the period and
 * the callback if no task did yet (tasks start inside weft's own start-up
 * microtask, which runs outside any task).
 */
export function noteTaskStart(task: TaskLike): void {
  if (periodStart < 0) return;
  periodTask ??= task;
  if (depth > 0) callbackTask ??= task;
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
