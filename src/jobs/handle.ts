/**
 * `JobHandle`: a job's id, with ways to follow it to its end.
 *
 * @module
 */

import { inspect } from 'node:util';
import { CancelledError, TimeoutError } from '../exceptions.js';
import { timeout } from '../timeouts.js';
import { msOption } from './define.js';
import { JobFailedError, JobNotFoundError } from './errors.js';
import type { Jobs } from './jobs.js';
import type { JobState } from './types.js';

/** Options of {@link JobHandle.result}. */
export interface ResultOptions {
  /**
   * Give up waiting after this many ms (the job itself goes on): rejects
   * with `TimeoutError`.
   * @default undefined (no limit)
   */
  timeoutMs?: number;
}

/** How often a handle looks at the store while it waits, at first and at most. */
const FIRST_LOOK_MS = 10;
const LAST_LOOK_MS = 500;

/**
 * A job, by id: its state now, its result once it ends, and a way to
 * cancel it. From `enqueue`, `enqueueMany` or `jobs.handle(id)`.
 *
 * @example
 * ```ts
 * import { defineJob, openJobs } from 'weft/jobs';
 *
 * const jobs = await openJobs('sqlite::memory:');
 * const add = defineJob('add', (p: { a: number; b: number }) => p.a + p.b);
 * const handle = await jobs.enqueue(add, { a: 2, b: 3 });
 * console.log(await handle.status()); // pending
 * const worker = jobs.worker({ jobs: [add], pollMs: 20 });
 * const running = worker.run();
 * console.log(await handle.result()); // 5
 * await worker.stop();
 * await running;
 * await jobs.close();
 * ```
 */
export class JobHandle<R = unknown> {
  /** @internal */ declare readonly _result: R;
  readonly id: string;
  /** @internal */ readonly _jobs: Jobs;

  /** @internal Use `jobs.handle(id)`. */
  constructor(jobs: Jobs, id: string) {
    this._jobs = jobs;
    this.id = id;
  }

  /** The job's state now. Rejects `JobNotFoundError` for an unknown id. */
  async status(): Promise<JobState> {
    const record = await this._jobs.get(this.id);
    if (record === undefined) throw new JobNotFoundError(this.id);
    return record.state;
  }

  /**
   * Wait for the job to end (a checkpoint: cancelling the caller stops the
   * wait, not the job) and resolve with its result. Rejects with
   * `JobFailedError` if it failed, `CancelledError` if it was cancelled,
   * `JobNotFoundError` for an unknown id, `TimeoutError` after `timeoutMs`.
   */
  result(options?: ResultOptions): Promise<R> {
    let limit: number | undefined;
    try {
      limit = msOption(options, 'timeoutMs');
    } catch (error) {
      return Promise.reject(error);
    }
    if (limit === undefined) return this._follow();
    return timeout(limit, () => this._follow()).catch((err: unknown) => {
      if (err instanceof TimeoutError) {
        throw new TimeoutError(`Job #${this.id} did not end within ${limit} ms`, {
          cause: err,
          ms: limit,
        });
      }
      throw err;
    });
  }

  /** Cancel the job (see `jobs.cancel(id)`): false when it had already ended. */
  cancel(): Promise<boolean> {
    return this._jobs.cancel(this.id);
  }

  /** `JobHandle<#12>` */
  toString(): string {
    return `JobHandle<#${this.id}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Look at the store until the job ends; woken at once by this process's workers. */
  async _follow(): Promise<R> {
    let wait = FIRST_LOOK_MS;
    for (;;) {
      const record = await this._jobs.get(this.id);
      if (record === undefined) throw new JobNotFoundError(this.id);
      switch (record.state) {
        case 'succeeded':
          return record.result as R;
        case 'failed':
          throw new JobFailedError(record);
        case 'cancelled':
          throw new CancelledError(`Job '${record.name}' (#${record.id}) was cancelled`, {
            reason: record.error?.message,
          });
        default:
          await this._jobs._changed(this.id, wait);
          wait = Math.min(LAST_LOOK_MS, wait * 2);
      }
    }
  }
}
