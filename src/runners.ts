/**
 * `run` and `runMain`: asyncio's `asyncio.run()` for programs and scripts.
 *
 * @module
 */

import {
  checkDebugOption,
  createdAt,
  type DebugOptions,
  type DebugSession,
  describeTask,
  envSession,
  sessionFor,
  taskReport,
  unwatchLoop,
  watchLoop,
} from './debug.js';
import { CancelledError } from './exceptions.js';
import { RunContext, type UnretrievedErrorHandler } from './internal/report.js';
import {
  checkFunction,
  checkOptionalString,
  checkOptions,
  firstError,
  show,
} from './internal/validate.js';
import { pendingTasksOf, Task, type TaskFn } from './tasks.js';

/** Options of {@link run}. */
export interface RunOptions {
  /**
   * The main task's name.
   * @default 'main'
   */
  name?: string;
  /**
   * Debug mode (`true`, or its options): tasks created under this run
   * record where they were created; blocked event-loop periods (with the
   * task that blocked), tasks still
   * pending when the run ends and never-retrieved errors are reported with
   * those stacks. When not given, `WEFT_DEBUG=1` in the environment turns
   * it on. See {@link DebugOptions}.
   * @default false
   */
  debug?: boolean | DebugOptions;
  /**
   * Called once for each task that failed and whose error nobody retrieved
   * (not awaited, no `result()`/`exception()`), at the latest when `run()`
   * ends.
   * @default process.emitWarning with code `WEFT_UNRETRIEVED_ERROR`
   */
  onUnretrievedError?: UnretrievedErrorHandler;
}

function checkRunOptions(main: unknown, options: RunOptions | undefined): Error | undefined {
  return firstError(
    checkFunction('main', main),
    checkOptions('options', options),
    checkOptionalString('options.name', options?.name),
    checkDebugOption(options?.debug),
    options?.onUnretrievedError === undefined
      ? undefined
      : checkFunction('options.onUnretrievedError', options.onUnretrievedError),
  );
}

function settled<T>(task: Task<T>): Promise<void> {
  return new Promise((resolve) => task._onDone(() => resolve()));
}

/** Debug mode: work nobody waited for is a bug worth a report before it is cancelled. */
function reportLeftovers(session: DebugSession, context: RunContext): void {
  for (const task of pendingTasksOf(context)) {
    session.report({
      code: 'WEFT_PENDING_AT_EXIT',
      message: `weft: ${describeTask(task)} was still pending when run() finished: it is cancelled now${createdAt(task)}`,
      task: taskReport(task),
    });
  }
}

/** Cancel and wait for every task of this run still pending (including ones they start meanwhile). */
async function cancelLeftovers(context: RunContext): Promise<void> {
  for (;;) {
    const left = pendingTasksOf(context);
    if (left.length === 0) return;
    for (const task of left) task.cancel('run() is finishing: main returned');
    await Promise.all(left.map(settled));
  }
}

/**
 * Start `main` as the main task, wait for it, then cancel every task still
 * pending that was created under it and wait for them, report failed tasks
 * whose errors nobody retrieved, and settle with `main`'s outcome.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from 'weft';
 *
 * const answer = await run(async () => {
 *   createTask(() => sleep(60_000)); // forgotten: cancelled when main returns
 *   return 42;
 * });
 * console.log(answer); // 42
 * ```
 */
export function run<T>(main: TaskFn<T>, options?: RunOptions): Promise<T> {
  try {
    // An options getter that throws rejects, as any bad input to a function
    // returning a promise does; each option is read once.
    const given = readRunOptions(options);
    const error = checkRunOptions(main, given);
    if (error !== undefined) return Promise.reject(error);
    return startRun(main, given).promise;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The options, each read once into a plain object (anything not an object is left for the checks). */
function readRunOptions(options: RunOptions | undefined): RunOptions | undefined {
  if (typeof options !== 'object' || options === null) return options;
  const { name, debug, onUnretrievedError } = options;
  return { name, debug, onUnretrievedError };
}

function startRun<T>(main: TaskFn<T>, options: RunOptions | undefined) {
  const session = sessionFor(options?.debug);
  const context = new RunContext(session, options?.onUnretrievedError);
  if (session !== undefined) watchLoop(session);
  const task = new Task(main, { name: options?.name ?? 'main' }, context);
  task._retrieved = true;
  const promise = (async () => {
    await settled(task);
    if (session !== undefined) reportLeftovers(session, context);
    await cancelLeftovers(context);
    context.flush();
    if (session !== undefined && session !== envSession()) unwatchLoop(session);
    return task.result();
  })();
  return { task, promise };
}

/**
 * Run `main` as a script's entry point. SIGINT and SIGTERM cancel the main
 * task (a second signal exits at once); the process then exits with code 0
 * on success, 1 on error (printed to stderr), 130 when interrupted.
 *
 * @example
 * ```ts
 * import { runMain, sleep } from 'weft';
 *
 * runMain(async (signal) => {
 *   console.log('working... press Ctrl-C to stop');
 *   await sleep(60_000);
 * });
 * ```
 */
export function runMain(main: TaskFn<unknown>, options?: RunOptions): void {
  const given = readRunOptions(options);
  const error = checkRunOptions(main, given);
  if (error !== undefined) throw error;
  let interrupted = 0;
  const { task: mainTask, promise } = startRun(main, given);
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted++;
    if (interrupted > 1) {
      process.stderr.write(`\nReceived ${signal} again: exiting without cleanup\n`);
      process.exit(130);
    }
    mainTask.cancel(`received ${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const finish = (code: number): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.exit(code);
  };
  promise.then(
    () => finish(0),
    (err: unknown) => {
      if (interrupted > 0 && err instanceof CancelledError) return finish(130);
      process.stderr.write(`${err instanceof Error ? (err.stack ?? String(err)) : show(err)}\n`);
      finish(1);
    },
  );
}
