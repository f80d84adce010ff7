/**
 * `defineJob`: a named handler with its retry, timeout and queue settings.
 *
 * @module
 */

import { inspect } from 'node:util';
import { checkFunction, checkOptions, firstError, show } from '../internal/validate.js';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.js';
import type { JobHandler, JobOptions } from './types.js';

/** One hour: the default backoff's ceiling. */
const MAX_DEFAULT_BACKOFF = 60 * 60 * 1000;

/** The default backoff: 1 s, 2 s, 4 s, … at most an hour, each ±20%. */
export function defaultBackoff(attempt: number): number {
  const base = Math.min(MAX_DEFAULT_BACKOFF, 1000 * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * A durable job: a name, its handler, and its settings. Made by
 * {@link defineJob}; enqueue it with `jobs.enqueue(job, payload)`.
 */
export class Job<P = unknown, R = unknown> {
  /** @internal */ declare readonly _types: { payload: P; result: R };
  readonly name: string;
  /** @internal */ readonly handler: JobHandler<P, R>;
  readonly queue: string;
  readonly maxAttempts: number;
  readonly priority: number;
  readonly timeoutMs: number | null;
  /** @internal */ readonly backoff:
    | number
    | ((attempt: number, error: unknown) => number)
    | undefined;
  /** @internal */ readonly schema: StandardSchemaV1<unknown, P> | undefined;

  /** @internal Use {@link defineJob}. */
  constructor(name: string, handler: JobHandler<P, R>, options: JobOptions<P> = {}) {
    this.name = name;
    this.handler = handler;
    this.queue = options.queue ?? 'default';
    this.maxAttempts = options.maxAttempts ?? 3;
    this.priority = options.priority ?? 0;
    this.timeoutMs = options.timeoutMs ?? null;
    this.backoff = options.backoff;
    this.schema = options.schema;
  }

  /** @internal Milliseconds to wait after failed attempt `attempt` (1-based). */
  _retryDelay(attempt: number, error: unknown): number {
    const backoff = this.backoff;
    if (backoff === undefined) return defaultBackoff(attempt);
    if (typeof backoff === 'number') return backoff;
    const ms = backoff(attempt, error);
    // A backoff function that returns nonsense must not wedge the job: retry now.
    return typeof ms === 'number' && ms >= 0 ? Math.min(ms, 2 ** 31 - 1) : 0;
  }

  /** `Job<send-welcome queue=default>` */
  toString(): string {
    return `Job<${this.name} queue=${this.queue}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }
}

function checkName(value: unknown, label: string): Error | undefined {
  if (typeof value !== 'string') {
    return new TypeError(`Expected \`${label}\` to be a non-empty string, got ${show(value)}`);
  }
  if (value.length === 0 || value.length > 200) {
    return new RangeError(
      `Expected \`${label}\` to be 1 to 200 characters long, got ${show(value)}`,
    );
  }
  return undefined;
}

/** @internal An integer >= `min`, or undefined. */
export function checkOptionalInteger(
  label: string,
  value: unknown,
  min: number,
): Error | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    return new TypeError(`Expected \`${label}\` to be an integer >= ${min}, got ${show(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min) {
    return new RangeError(`Expected \`${label}\` to be an integer >= ${min}, got ${show(value)}`);
  }
  return undefined;
}

/** @internal A queue or job name given as an option. */
export function checkOptionalName(label: string, value: unknown): Error | undefined {
  return value === undefined ? undefined : checkName(value, label);
}

function checkJobOptions(options: JobOptions<unknown> | undefined): Error | undefined {
  if (options === undefined) return undefined;
  const backoff = options.backoff;
  const timeoutMs = options.timeoutMs;
  return firstError(
    checkOptionalName('options.queue', options.queue),
    checkOptionalInteger('options.maxAttempts', options.maxAttempts, 1),
    backoff === undefined || typeof backoff === 'function'
      ? undefined
      : typeof backoff !== 'number'
        ? new TypeError(
            `Expected \`options.backoff\` to be a number of milliseconds or a function, got ${show(backoff)}`,
          )
        : Number.isNaN(backoff) || backoff < 0 || !Number.isFinite(backoff)
          ? new RangeError(
              `Expected \`options.backoff\` to be a finite number >= 0, got ${show(backoff)}`,
            )
          : undefined,
    timeoutMs === undefined || timeoutMs === null
      ? undefined
      : typeof timeoutMs !== 'number'
        ? new TypeError(
            `Expected \`options.timeoutMs\` to be a number or null, got ${show(timeoutMs)}`,
          )
        : !(timeoutMs > 0)
          ? new RangeError(
              `Expected \`options.timeoutMs\` to be a number > 0 or null, got ${show(timeoutMs)}`,
            )
          : undefined,
    options.priority === undefined ? undefined : checkInteger('options.priority', options.priority),
    options.schema === undefined || isStandardSchema(options.schema)
      ? undefined
      : new TypeError(
          `Expected \`options.schema\` to be a Standard Schema (zod, valibot, arktype, …), got ${show(options.schema)}`,
        ),
  );
}

/**
 * @internal Read `options[key]` once: undefined, or a number of ms >= 0.
 * Throws the error that names it (callers returning a promise reject with it).
 */
export function msOption(options: unknown, key: string): number | undefined {
  const error = checkOptions('options', options);
  if (error !== undefined) throw error;
  const value = (options as Record<string, unknown> | undefined)?.[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(
      `Expected \`options.${key}\` to be a number of milliseconds, got ${show(value)}`,
    );
  }
  if (Number.isNaN(value) || value < 0) {
    throw new RangeError(`Expected \`options.${key}\` to be a number >= 0, got ${show(value)}`);
  }
  return value;
}

/** @internal Any safe integer. */
export function checkInteger(label: string, value: unknown): Error | undefined {
  if (typeof value !== 'number') {
    return new TypeError(`Expected \`${label}\` to be an integer, got ${show(value)}`);
  }
  return Number.isSafeInteger(value)
    ? undefined
    : new RangeError(`Expected \`${label}\` to be an integer, got ${show(value)}`);
}

/**
 * Define a durable job: the same async function a background task runs,
 * made to survive restarts, crashes and deploys. `name` is what the store
 * records and what workers claim by, so it must stay stable across
 * deploys.
 *
 * @example
 * ```ts
 * import { defineJob, openJobs } from 'weft/jobs';
 *
 * const sendWelcome = defineJob(
 *   'send-welcome',
 *   async (payload: { email: string }, ctx) => {
 *     await ctx.progress('sending');
 *     return `sent to ${payload.email}`;
 *   },
 *   { maxAttempts: 5, timeoutMs: 30_000 },
 * );
 * const jobs = await openJobs('sqlite::memory:');
 * const worker = jobs.worker({ jobs: [sendWelcome], pollMs: 20 });
 * const running = worker.run();
 * const handle = await jobs.enqueue(sendWelcome, { email: 'ada@example.com' });
 * console.log(await handle.result()); // sent to ada@example.com
 * await worker.stop();
 * await running;
 * await jobs.close();
 * ```
 */
export function defineJob<P, R>(
  name: string,
  handler: JobHandler<P, R>,
  options?: JobOptions<P>,
): Job<P, R> {
  const error = firstError(
    checkName(name, 'name'),
    checkFunction('handler', handler),
    checkOptions('options', options),
    checkJobOptions(options as JobOptions<unknown> | undefined),
  );
  if (error !== undefined) throw error;
  return new Job(name, handler, options);
}
