/**
 * The options of `workerPool` and `WorkerPool.close`, and their checks.
 *
 * @module
 */

import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { show } from '../internal/validate.js';

/** Where a pool reports a worker failure no job was waiting for. */
export interface WorkerPoolLogger {
  error(message: string, ...details: unknown[]): void;
}

/** Options of `workerPool`. */
export interface WorkerPoolOptions {
  /**
   * How many worker threads run jobs, one job each at a time. Threads
   * start with the pool and are replaced when one dies or is terminated.
   * @default `os.availableParallelism() - 1`, at least 1 (the event loop keeps a core)
   */
  threads?: number;
  /**
   * How many jobs may wait for a thread. Beyond it `run()` rejects with
   * `WorkerQueueFullError` at once; `Infinity` for no bound.
   * @default 16 × `threads`
   */
  maxQueue?: number;
  /**
   * Name for `toString()`, errors and `weft ps`.
   * @default the module's file name
   */
  name?: string;
  /**
   * Where a worker that fails while no job runs on it (a timer that throws
   * after its job returned) is reported.
   * @default console
   */
  logger?: WorkerPoolLogger;
  /**
   * Memory limits of each thread (`worker_threads`' `resourceLimits`):
   * `maxOldGenerationSizeMb`, `maxYoungGenerationSizeMb`, `codeRangeSizeMb`,
   * `stackSizeMb`, each a number > 0. A job whose thread runs out of memory
   * rejects with `WorkerError` and the thread is replaced; the process
   * lives on.
   * @default Node's defaults (derived from the process's own limits)
   */
  resourceLimits?: ResourceLimits;
}

/** Options of `WorkerPool.close`. */
export interface WorkerPoolCloseOptions {
  /**
   * How long running and queued jobs may take to finish, in milliseconds;
   * then the rest is cancelled (their threads terminated). `Infinity`: no
   * limit. Any length works, including more than the 24.8 days a Node
   * timer can hold.
   * @default Infinity
   */
  graceMs?: number;
}

/** What `WorkerPool.close` did. */
export interface WorkerPoolCloseResult {
  /** Jobs still unfinished when the grace period ran out, cancelled. */
  cancelled: number;
  /** The functions those jobs were running (or waiting to run). */
  cancelledNames: string[];
}

/** The pool's life: taking jobs, draining after `close()`, or done. */
export type WorkerPoolState = 'open' | 'closing' | 'closed';

/** @internal The worker module as a `file:` URL, or undefined for anything else. */
export function moduleUrl(file: unknown): string | undefined {
  if (file instanceof URL) return file.protocol === 'file:' ? file.href : undefined;
  if (typeof file !== 'string') return undefined;
  if (file.startsWith('file:')) return URL.canParse(file) ? new URL(file).href : undefined;
  return isAbsolute(file) ? pathToFileURL(file).href : undefined;
}

/** @internal */
export function checkMaxQueue(value: unknown): Error | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined;
  const message = `Expected \`maxQueue\` to be an integer >= 0 or Infinity, got ${show(value)}`;
  if (typeof value !== 'number') return new TypeError(message);
  return Number.isInteger(value) && value >= 0 ? undefined : new RangeError(message);
}

/** @internal */
export function checkLogger(value: unknown): Error | undefined {
  if (value === undefined) return undefined;
  return value !== null &&
    typeof value === 'object' &&
    typeof (value as WorkerPoolLogger).error === 'function'
    ? undefined
    : new TypeError(`Expected \`logger\` to have an error() method, got ${show(value)}`);
}

const RESOURCE_LIMITS = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
] as const;

/** @internal Check `resourceLimits`; returns the error, or a copy holding the known limits. */
export function checkResourceLimits(value: unknown): Error | ResourceLimits | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return new TypeError(
      `Expected \`resourceLimits\` to be an object of limits in MB, got ${show(value)}`,
    );
  }
  const limits: ResourceLimits = {};
  for (const key of Object.keys(value)) {
    if (!(RESOURCE_LIMITS as readonly string[]).includes(key)) {
      return new TypeError(
        `Expected \`resourceLimits\` to have only ${RESOURCE_LIMITS.join(', ')}, got ${show(key)}`,
      );
    }
  }
  for (const key of RESOURCE_LIMITS) {
    const limit = (value as Record<string, unknown>)[key];
    if (limit === undefined) continue;
    if (typeof limit !== 'number') {
      return new TypeError(
        `Expected \`resourceLimits.${key}\` to be a number of MB, got ${show(limit)}`,
      );
    }
    if (!Number.isFinite(limit) || limit <= 0) {
      return new RangeError(
        `Expected \`resourceLimits.${key}\` to be a finite number > 0, got ${show(limit)}`,
      );
    }
    limits[key] = limit;
  }
  return limits;
}
