/**
 * One `pool.run()` call: a scope waiter while it is queued or running.
 *
 * @module
 */

import type { Worker } from 'node:worker_threads';
import type { CancelledError } from '../exceptions.js';
import type { Scope, Waiter } from '../internal/scope.js';
import type { WaitTarget } from '../snapshot-types.js';

/** What a job needs from its pool. */
export interface JobOwner {
  /** Cancel `job` (the scope waiter protocol goes through the pool). */
  _cancel(job: Job, error: CancelledError): boolean;
  toString(): string;
}

export const QUEUED = 0;
export const RUNNING = 1;
export const STOPPING = 2;
export const DONE = 3;
const STATE_NAMES = ['queued', 'running', 'stopping', 'done'] as const;

/** One `run()` call: a scope waiter while it is queued or running. */
export class Job implements Waiter {
  state = QUEUED;
  controller: AbortController | undefined = undefined;
  readonly promise: Promise<unknown>;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;

  constructor(
    readonly pool: JobOwner,
    readonly scope: Scope | undefined,
    readonly name: string,
    public args: unknown[],
    /** Frames of the `run()` call, for the stack of a failure. */
    readonly site: { stack?: string },
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  cancel(error: CancelledError): boolean {
    return this.pool._cancel(this, error);
  }

  describe(): WaitTarget {
    return { kind: 'worker', detail: `${this.name}() ${STATE_NAMES[this.state]} on ${this.pool}` };
  }
}

/** Call `done` once every worker of `workers` has exited. */
export function waitForExit(workers: Worker[], done: () => void): void {
  let left = workers.length;
  for (const worker of workers) {
    worker.once('exit', () => {
      if (--left === 0) done();
    });
  }
}
