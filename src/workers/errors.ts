/**
 * The errors of `weft/workers`, and how a failure on a worker thread is
 * carried back to the caller with its stack.
 *
 * @module
 */

import { inspect } from 'node:util';
import type { WeftErrorOptions } from '../exceptions.js';

/**
 * A job failed on its worker thread: the function threw (or rejected), the
 * module could not be loaded, or the worker died under it (it exited, or
 * threw from a callback). `cause` is the worker's error, rebuilt on this
 * thread with its name, message, stack, `cause` and own fields (a
 * `TypeError` stays a `TypeError`); `workerStack` is the worker's stack,
 * whose frames `stack` also shows, followed by the frames of the
 * `pool.run()` call. The pool goes on: a dead worker is replaced.
 *
 * @example
 * ```ts
 * import { WorkerError, workerPool } from 'weft/workers';
 *
 * const pool = workerPool<typeof import('./hash.worker.js')>(
 *   new URL('./hash.worker.js', import.meta.url),
 *   { threads: 1 },
 * );
 * try {
 *   await pool.run('fail', 'disk on fire');
 * } catch (err) {
 *   if (err instanceof WorkerError) {
 *     console.log(err.message); // worker function 'fail' failed: disk on fire
 *     console.log(err.workerStack?.includes('hash.worker')); // true
 *   }
 * }
 * await pool.close();
 * ```
 */
export class WorkerError extends Error {
  /** The exported function that was called. */
  readonly functionName: string;
  /** The stack of the error on the worker thread, when there was one. */
  readonly workerStack: string | undefined;
  /** The worker's exit code, when the worker exited during the job. */
  readonly exitCode: number | undefined;

  constructor(
    message: string,
    options: WeftErrorOptions & { functionName: string; workerStack?: string; exitCode?: number },
  ) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'WorkerError';
    this.functionName = options.functionName;
    this.workerStack = options.workerStack;
    this.exitCode = options.exitCode;
  }
}

/**
 * `pool.run()` found every thread busy and the queue holding `maxQueue`
 * jobs already. Nothing was queued: answer "busy" (HTTP 503) or try again
 * later, rather than letting latency grow without bound.
 *
 * @example
 * ```ts
 * import { WorkerQueueFullError, workerPool } from 'weft/workers';
 *
 * const pool = workerPool<typeof import('./hash.worker.js')>(
 *   new URL('./hash.worker.js', import.meta.url),
 *   { threads: 1, maxQueue: 0 },
 * );
 * const first = pool.run('stretch', 'seed', 1_000);
 * try {
 *   await pool.run('stretch', 'seed', 1_000);
 * } catch (err) {
 *   if (err instanceof WorkerQueueFullError) console.log(err.maxQueue, err.threads); // 0 1
 * }
 * await first;
 * await pool.close();
 * ```
 */
export class WorkerQueueFullError extends Error {
  /** The pool's `maxQueue`. */
  readonly maxQueue: number;
  /** The pool's `threads`, all busy. */
  readonly threads: number;

  constructor(message: string, options: WeftErrorOptions & { maxQueue: number; threads: number }) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'WorkerQueueFullError';
    this.maxQueue = options.maxQueue;
    this.threads = options.threads;
  }
}

/** @internal An error as it crosses from a worker: plain, structured-cloneable data. */
export type SerializedError =
  | { thrown: unknown }
  | {
      name: string;
      message: string;
      stack: string | undefined;
      fields: Record<string, unknown>;
      cause?: SerializedError;
    };

/** @internal Turn what a worker function threw into data that crosses threads (worker side). */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return { thrown: cloneable(error) };
  }
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === 'cause' || key === 'name' || key === 'message' || key === 'stack') continue;
    fields[key] = cloneable((error as unknown as Record<string, unknown>)[key]);
  }
  const out: SerializedError = {
    name: error.name,
    message: error.message,
    stack: error.stack,
    fields,
  };
  if (error.cause !== undefined && depth < 8) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

function cloneable(value: unknown): unknown {
  try {
    structuredClone(value);
    return value;
  } catch {
    return String(value);
  }
}

const BUILTIN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** @internal Rebuild a worker's error on this thread. */
export function deserializeError(data: SerializedError): unknown {
  if ('thrown' in data) return data.thrown;
  const Ctor = BUILTIN[data.name] ?? Error;
  const error = new Ctor(data.message);
  if (!(data.name in BUILTIN)) {
    Object.defineProperty(error, 'name', {
      value: data.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  Object.defineProperty(error, 'stack', {
    value: data.stack,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  Object.assign(error, data.fields);
  if (data.cause !== undefined) {
    Object.defineProperty(error, 'cause', {
      value: deserializeError(data.cause),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return error;
}

/** A message for what a worker threw, whatever it is. */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    return cause.message || cause.stack?.split('\n', 1)[0] || cause.name;
  }
  if (typeof cause === 'string') return cause;
  if (cause !== null && typeof cause === 'object' && Object.keys(cause).length === 0) {
    // What Node 20 reports for a worker error it could not serialize,
    // typically a result that cannot be cloned.
    return 'the worker thread died of an error that could not be read (a result that cannot be cloned, such as a function, does this)';
  }
  return inspect(cause);
}

const EXIT = /^worker exited with code: (-?\d+)$/;

/**
 * @internal The {@link WorkerError} for a failed job. `cause` is the
 * worker's error (rebuilt) or the pool's own report of a dead worker;
 * `site` holds the frames of the `run()` call.
 */
export function workerError(
  functionName: string,
  cause: unknown,
  site: { stack?: string },
): WorkerError {
  const message = describeCause(cause);
  const exit = cause instanceof Error ? EXIT.exec(cause.message) : null;
  // A worker that exited left no stack: the error saying so was made here.
  const workerStack = cause instanceof Error && exit === null ? cause.stack : undefined;
  const error = new WorkerError(`worker function '${functionName}' failed: ${message}`, {
    functionName,
    cause,
    ...(workerStack === undefined ? {} : { workerStack }),
    ...(exit === null ? {} : { exitCode: Number(exit[1]) }),
  });
  const frames = (stack: string | undefined): string[] =>
    (stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  error.stack = [
    `${error.name}: ${error.message}`,
    ...frames(workerStack),
    ...frames(site.stack),
  ].join('\n');
  return error;
}
