/**
 * Errors never vanish: a task that failed and whose error nobody retrieved
 * (it was not awaited, and neither `result()` nor `exception()` was called)
 * is reported once — when its `run()` ends, when the task is garbage
 * collected, or, for tasks created outside `run()`, before the process exits.
 */

import { type DebugSession, taskReport } from '../debug.js';

/** What a report says about the task that failed. */
export interface TaskInfo {
  /** The task's `id`. */
  readonly id: number;
  /** The task's `name` when it failed. */
  readonly name: string;
  /** Where the task was created (only in debug mode). */
  readonly creationStack: string | undefined;
}

/**
 * Receives a failed task's error that nobody retrieved, instead of the
 * default `process.emitWarning` (code `WEFT_UNRETRIEVED_ERROR`).
 */
export type UnretrievedErrorHandler = (error: unknown, task: TaskInfo) => void;

/** Per-`run()` settings that tasks created under it inherit. */
export class RunContext {
  readonly unretrieved = new Set<ErrorRecord>();
  constructor(
    /** Debug mode's settings, when on. */
    readonly debug: DebugSession | undefined,
    readonly onUnretrievedError: UnretrievedErrorHandler | undefined,
  ) {}

  /** Report everything still unretrieved (called when `run()` ends). */
  flush(): void {
    for (const record of [...this.unretrieved]) report(record);
  }
}

export class ErrorRecord {
  retrieved = false;
  reported = false;
  constructor(
    readonly error: unknown,
    readonly info: TaskInfo,
    readonly context: RunContext | undefined,
  ) {}
}

const outsideRun = new Set<ErrorRecord>();
let exitHookInstalled = false;

const collected = new FinalizationRegistry<ErrorRecord>((record) => report(record));

/** Start tracking a failure nobody has retrieved yet. `task` is watched for collection. */
export function track(
  task: object,
  error: unknown,
  info: TaskInfo,
  context: RunContext | undefined,
): ErrorRecord {
  const record = new ErrorRecord(error, info, context);
  (context?.unretrieved ?? outsideRun).add(record);
  collected.register(task, record, record);
  if (context === undefined && !exitHookInstalled) {
    exitHookInstalled = true;
    process.once('beforeExit', reportOutsideRun);
  }
  return record;
}

function reportOutsideRun(): void {
  exitHookInstalled = false;
  for (const record of [...outsideRun]) report(record);
}

/** The error was seen by someone: never report it. */
export function retrieve(record: ErrorRecord): void {
  if (record.retrieved) return;
  record.retrieved = true;
  forget(record);
}

function forget(record: ErrorRecord): void {
  (record.context?.unretrieved ?? outsideRun).delete(record);
  collected.unregister(record);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

export function report(record: ErrorRecord): void {
  if (record.retrieved || record.reported) return;
  record.reported = true;
  forget(record);
  const handler = record.context?.onUnretrievedError;
  if (handler !== undefined) {
    try {
      handler(record.error, record.info);
      return;
    } catch (hookError) {
      process.emitWarning(`onUnretrievedError threw: ${describe(hookError)}`, {
        type: 'WeftWarning',
        code: 'WEFT_HOOK_ERROR',
      });
    }
  }
  const { id, name, creationStack } = record.info;
  let detail = describe(record.error);
  if (creationStack !== undefined) detail += `\nTask created at:\n${creationStack}`;
  const session = record.context?.debug;
  if (session !== undefined) {
    session.report({
      code: 'WEFT_UNRETRIEVED_ERROR',
      message: `weft: task '${name}' (#${id}) failed and its error was never retrieved: ${detail}`,
      task: taskReport({ id, name, _creationStack: creationStack }),
    });
    return;
  }
  process.emitWarning(`Task '${name}' (#${id}) failed and its error was never retrieved`, {
    type: 'WeftWarning',
    code: 'WEFT_UNRETRIEVED_ERROR',
    detail,
  });
}
