/**
 * The errors of `weft/jobs`, each a class with `name`, `cause` and the
 * structured fields a caller needs.
 *
 * @module
 */

import type { WeftErrorOptions } from '../exceptions.js';
import type { JobRecord } from './types.js';

/**
 * `result()` of a job that failed its last attempt. `job` is its record, with
 * the last error in `job.error`.
 *
 * @example
 * ```ts
 * import { defineJob, JobFailedError, openJobs } from 'weft/jobs';
 *
 * const jobs = await openJobs('sqlite::memory:');
 * const flaky = defineJob('flaky', () => { throw new Error('no luck'); }, { maxAttempts: 1 });
 * const worker = jobs.worker({ jobs: [flaky], pollMs: 20 });
 * const running = worker.run();
 * const handle = await jobs.enqueue(flaky, {});
 * try {
 *   await handle.result();
 * } catch (err) {
 *   if (err instanceof JobFailedError) console.log(err.job.error?.message); // no luck
 * }
 * await worker.stop();
 * await running;
 * await jobs.close();
 * ```
 */
export class JobFailedError extends Error {
  /** The failed job's record. */
  readonly job: JobRecord;

  constructor(job: JobRecord, options: WeftErrorOptions = {}) {
    super(
      `Job '${job.name}' (#${job.id}) failed after ${job.attempts} attempt(s): ${job.error?.message ?? 'unknown error'}`,
      'cause' in options ? { cause: options.cause } : undefined,
    );
    this.name = 'JobFailedError';
    this.job = job;
  }
}

/**
 * The job's schema rejected a payload at `enqueue`: nothing was stored.
 * `issues` are the schema's own (Standard Schema issues: `message`, `path`).
 *
 * @example
 * ```ts
 * import { defineJob, JobValidationError, openJobs } from 'weft/jobs';
 * import { z } from 'zod';
 *
 * const jobs = await openJobs('sqlite::memory:');
 * const welcome = defineJob('welcome', async (p: { email: string }) => p.email, {
 *   schema: z.object({ email: z.email() }),
 * });
 * try {
 *   await jobs.enqueue(welcome, { email: 'not an address' });
 * } catch (err) {
 *   if (err instanceof JobValidationError) console.log(err.issues.length); // 1
 * }
 * await jobs.close();
 * ```
 */
export class JobValidationError extends TypeError {
  /** What the schema reported. */
  readonly issues: unknown[];

  constructor(message: string, issues: unknown[], options: WeftErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'JobValidationError';
    this.issues = issues;
  }
}

/**
 * No job has this id (every id-taking method but `get()`, which resolves
 * `undefined`).
 *
 * @example
 * ```ts
 * import { JobNotFoundError, openJobs } from 'weft/jobs';
 *
 * const jobs = await openJobs('sqlite::memory:');
 * await jobs.cancel('12345').catch((err) => console.log(err instanceof JobNotFoundError)); // true
 * await jobs.close();
 * ```
 */
export class JobNotFoundError extends Error {
  /** The id that was asked for. */
  readonly id: string;

  constructor(id: string, options: WeftErrorOptions = {}) {
    super(
      `No job has the id ${JSON.stringify(id)}`,
      'cause' in options ? { cause: options.cause } : undefined,
    );
    this.name = 'JobNotFoundError';
    this.id = id;
  }
}

/**
 * The outcome of an attempt whose lease was no longer its own (it expired and
 * another worker claimed the job, or the job was cancelled meanwhile): it is
 * dropped, and reported to the worker's `onError` with this error.
 *
 * @example
 * ```ts
 * import { LeaseLostError } from 'weft/jobs';
 *
 * // A worker's onError tells a dropped late outcome from a failed attempt:
 * const error: unknown = new LeaseLostError('7', 'send-welcome', 2);
 * if (error instanceof LeaseLostError) console.log(`late: #${error.jobId}`); // late: #7
 * ```
 */
export class LeaseLostError extends Error {
  /** The job whose outcome was dropped. */
  readonly jobId: string;
  /** Its name. */
  readonly jobName: string;
  /** The attempt (1-based) whose outcome was dropped. */
  readonly attempt: number;

  constructor(jobId: string, jobName: string, attempt: number, options: WeftErrorOptions = {}) {
    super(
      `The lease of job '${jobName}' (#${jobId}), attempt ${attempt}, was lost before its outcome was stored: the outcome is dropped (another worker holds the job, or it was cancelled)`,
      'cause' in options ? { cause: options.cause } : undefined,
    );
    this.name = 'LeaseLostError';
    this.jobId = jobId;
    this.jobName = jobName;
    this.attempt = attempt;
  }
}
