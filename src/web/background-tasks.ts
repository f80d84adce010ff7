/**
 * `BackgroundTasks`: FastAPI's per-request background tasks, run after the
 * response has been sent, as one weft task owned by the app's `Supervisor`.
 *
 * @module
 */

import { inspect } from 'node:util';
import { asCancellation } from '../exceptions.js';
import { checkFunction, isThenable, show } from '../internal/validate.js';
import { TaskGroup } from '../taskgroups.js';
import type { Awaitable, Task } from '../tasks.js';
import { type Held, type Supervisor, safeLog } from './supervisor.js';

/** Which responses run their background tasks. */
export type RunOn = 'success' | 'always' | ((status: number) => boolean);

/** How a request's background tasks run. Every adapter accepts these. */
export interface BackgroundTasksOptions {
  /**
   * `'sequential'`: one after the other, in the order added (FastAPI).
   * `'concurrent'`: all at once.
   * @default 'sequential'
   */
  mode?: 'sequential' | 'concurrent';
  /**
   * Keep going after a task fails: every task runs and each failure is
   * reported through the supervisor's `onError`. With `false`, the first
   * failure stops the rest (and cancels them, in `'concurrent'` mode).
   * @default true
   */
  continueOnError?: boolean;
  /**
   * Which response statuses run the tasks: `'success'` (2xx and 3xx),
   * `'always'`, or a predicate. Skipped tasks are logged, never dropped
   * silently.
   * @default 'success'
   */
  runOn?: RunOn;
  /**
   * Run the tasks when the client went away before the response was
   * complete. A disconnect never cancels background tasks already running.
   * @default true
   */
  runOnDisconnect?: boolean;
}

const MODES = new Set(['sequential', 'concurrent']);

/** @internal Validate the options every adapter takes. */
export function checkBackgroundOptions(options: BackgroundTasksOptions): Error | undefined {
  if (options.mode !== undefined && !MODES.has(options.mode)) {
    return new TypeError(
      `Expected \`mode\` to be 'sequential' or 'concurrent', got ${show(options.mode)}`,
    );
  }
  for (const name of ['continueOnError', 'runOnDisconnect'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'boolean') {
      return new TypeError(`Expected \`${name}\` to be a boolean, got ${show(value)}`);
    }
  }
  const runOn = options.runOn;
  if (
    runOn !== undefined &&
    runOn !== 'success' &&
    runOn !== 'always' &&
    typeof runOn !== 'function'
  ) {
    return new TypeError(
      `Expected \`runOn\` to be 'success', 'always' or a function, got ${show(runOn)}`,
    );
  }
  return undefined;
}

/** @internal */
export interface Entry {
  fn: (...args: never[]) => Awaitable<unknown>;
  args: unknown[];
}

/**
 * The background tasks of one request. Add them while handling the request;
 * they run once the response has been sent, in the order added, as one
 * weft task owned by the app's {@link Supervisor}. A failing task never
 * stops the ones after it (by default) and is always reported.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { sleep } from 'weft';
 * import { withBackgroundTasks } from 'weft/web/node';
 *
 * const server = createServer(
 *   withBackgroundTasks((req, res, { backgroundTasks }) => {
 *     backgroundTasks.addTask(async (name: string) => {
 *       await sleep(10);
 *       console.log(`hello ${name}`);
 *     }, 'ann');
 *     res.end('queued');
 *   }),
 * );
 * server.listen(0, '127.0.0.1', async () => {
 *   const { port } = server.address() as { port: number };
 *   console.log(await (await fetch(`http://127.0.0.1:${port}/`)).text()); // queued
 *   setTimeout(() => server.close(), 50);
 * });
 * // hello ann
 * ```
 */
export class BackgroundTasks {
  /** @internal Made by the first `addTask`: most requests add none. */
  _entries: Entry[] | undefined = undefined;
  /** @internal Set once the response is over: tasks added later run at once. */
  _ended: Ended | undefined = undefined;

  /**
   * Queue `fn(...args)` to run after the response. `args` are typed from
   * `fn`. Throws `TypeError` if `fn` is not a function.
   */
  addTask<A extends unknown[]>(fn: (...args: A) => Awaitable<unknown>, ...args: A): void {
    const error = checkFunction('fn', fn);
    if (error !== undefined) throw error;
    const entry: Entry = { fn: fn as Entry['fn'], args };
    const ended = this._ended;
    if (ended !== undefined) dispatch(ended, `${ended.label} (late)`, [entry]);
    else if (this._entries === undefined) this._entries = [entry];
    else this._entries.push(entry);
  }

  /** How many tasks are queued and not yet started. */
  get size(): number {
    return this._entries?.length ?? 0;
  }

  /** `BackgroundTasks<2 queued>` */
  toString(): string {
    return `BackgroundTasks<${this.size} queued>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }
}

function statusRuns(runOn: RunOn, status: number): boolean {
  if (runOn === 'always') return true;
  if (runOn === 'success') return status >= 200 && status < 400;
  return runOn(status);
}

/**
 * @internal The response is over (`ended.complete`: sent in full; otherwise
 * the client went away): run or skip the queued tasks. `ended` is kept for
 * tasks added later (a request's scope is one: no object per request).
 * `now`: the response has left, the task that runs them starts in this
 * call (eagerly) rather than on a later microtask. Returns that task, if any.
 */
export function startBackgroundTasks(
  tasks: BackgroundTasks,
  ended: Ended,
  now: boolean,
): Task<void> | undefined {
  const { supervisor, options, label, status, complete } = ended;
  let skip = !complete && options.runOnDisconnect === false;
  if (complete && !skip) {
    try {
      skip = !statusRuns(options.runOn ?? 'success', status);
    } catch (error) {
      // A user callback that throws is reported like a failed task, never
      // thrown into the response's event handlers.
      const count = tasks.size;
      safeLog(
        supervisor._logger,
        'error',
        `weft: runOn threw for ${label} (status ${status}): its ${count} background task(s) are skipped`,
        error,
      );
      ended.skip = true;
      ended.runOnThrew = true;
      tasks._ended = ended;
      tasks._entries = undefined;
      return undefined;
    }
  }
  ended.skip = skip;
  // Kept for tasks added once the response is over: they run (or are skipped) at once.
  tasks._ended = ended;
  const entries = tasks._entries;
  if (entries === undefined || entries.length === 0) return undefined;
  tasks._entries = undefined;
  return dispatch(ended, label, entries, now);
}

/** @internal How a request's response ended, for its background tasks. */
export interface Ended {
  readonly supervisor: Supervisor;
  readonly options: BackgroundTasksOptions;
  readonly label: string;
  /** The response's status. */
  status: number;
  /** Sent in full (otherwise the client went away first). */
  complete: boolean;
  /** The tasks are skipped (set by `startBackgroundTasks`). */
  skip: boolean;
  /** `runOn` threw (reported as an error): the tasks, late ones too, are skipped. */
  runOnThrew: boolean;
}

/**
 * @internal Run `entries` through the supervisor, or log why they are
 * skipped; `now`: start their task eagerly (see `startBackgroundTasks`).
 */
export function dispatch(
  ended: Ended,
  label: string,
  entries: Entry[],
  now = false,
): Task<void> | undefined {
  const { supervisor } = ended;
  if (ended.skip) {
    const why = ended.runOnThrew
      ? 'runOn threw'
      : ended.complete
        ? `response status ${ended.status}`
        : 'the client disconnected';
    safeLog(
      supervisor._logger,
      'warn',
      `weft: skipped ${entries.length} background task(s) of ${label}: ${why} (see the runOn and runOnDisconnect options)`,
    );
    return undefined;
  }
  if (supervisor.closed) {
    safeLog(
      supervisor._logger,
      'warn',
      `weft: skipped ${entries.length} background task(s) of ${label}: the supervisor is shut down`,
    );
    return undefined;
  }
  return spawnRunner(supervisor, ended.options, label, entries, now);
}

/**
 * Hand the tasks to the supervisor. It may refuse them (shut down, or its
 * backlog is full): that is logged as an error with the count, never
 * thrown into the response's event handlers or dropped silently.
 */
function spawnRunner(
  supervisor: Supervisor,
  options: BackgroundTasksOptions,
  label: string,
  entries: Entry[],
  now: boolean,
): Task<void> | undefined {
  const concurrent = options.mode === 'concurrent';
  const keepGoing = options.continueOnError !== false;
  try {
    return supervisor._spawn<void>(
      (held) =>
        concurrent
          ? runConcurrently(supervisor, held, entries, keepGoing)
          : runInOrder(supervisor, held, entries, keepGoing),
      `background: ${label}`,
      now,
    ).task as Task<void>;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    safeLog(
      supervisor._logger,
      'error',
      `weft: could not start ${entries.length} background task(s) of ${label}: ${why}`,
    );
    return undefined;
  }
}

function call(entry: Entry): Awaitable<unknown> {
  return entry.fn(...(entry.args as never[]));
}

/**
 * Run `entries` one after the other: synchronously as long as they return
 * no promise (the runner task then ends at once, with no promise of its
 * own), from the first promise on in `continueInOrder`.
 */
function runInOrder(
  supervisor: Supervisor,
  held: Held,
  entries: Entry[],
  keepGoing: boolean,
): Awaitable<void> {
  for (let i = 0; i < entries.length; i++) {
    try {
      const result = call(entries[i]!);
      if (isThenable(result)) {
        return continueInOrder(supervisor, held, entries, keepGoing, i, result);
      }
    } catch (error) {
      failed(supervisor, held, keepGoing, error);
    }
  }
  return undefined;
}

async function continueInOrder(
  supervisor: Supervisor,
  held: Held,
  entries: Entry[],
  keepGoing: boolean,
  at: number,
  result: PromiseLike<unknown>,
): Promise<void> {
  try {
    await result;
  } catch (error) {
    failed(supervisor, held, keepGoing, error);
  }
  for (let i = at + 1; i < entries.length; i++) {
    try {
      // Only a promise is awaited: a plain function costs no extra microtask.
      const next = call(entries[i]!);
      if (isThenable(next)) await next;
    } catch (error) {
      failed(supervisor, held, keepGoing, error);
    }
  }
}

/** A background function failed: report it and go on, or end the runner with it. */
function failed(supervisor: Supervisor, held: Held, keepGoing: boolean, error: unknown): void {
  if (!keepGoing || asCancellation(error) !== undefined) throw error;
  supervisor._reportFailure(error, held);
}

async function runConcurrently(
  supervisor: Supervisor,
  held: Held,
  entries: Entry[],
  keepGoing: boolean,
): Promise<void> {
  // A task group: no function outlives the runner, and a shutdown that
  // cancels the runner cancels them all.
  await TaskGroup.run((tg) => {
    for (const entry of entries) {
      tg.createTask(async () => {
        try {
          await call(entry);
        } catch (error) {
          // Without keepGoing the group's first failure cancels the others.
          if (!keepGoing || asCancellation(error) !== undefined) throw error;
          supervisor._reportFailure(error, held);
        }
      });
    }
  });
}
