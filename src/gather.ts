/**
 * `gather`: run awaitables concurrently and collect their results in order.
 *
 * @module
 */

import type { CancelledError } from './exceptions.js';
import {
  addWaiter,
  currentScope,
  removeWaiter,
  type Scope,
  takePending,
  type Waiter,
} from './internal/scope.js';
import { checkOptionalBoolean, checkOptions, firstError, show } from './internal/validate.js';
import type { WaitTarget } from './snapshot-types.js';
import { cancelWith, isAwaitable, type Task, type TaskFn, TaskState, toTask } from './tasks.js';
import { notDone } from './wait.js';

/** Anything weft can wait for: a task, a promise, or a function to run as a task. */
export type Awaitee<T = unknown> = Task<T> | PromiseLike<T> | TaskFn<T>;

/** The value an {@link Awaitee} produces. */
export type ResultOf<A> =
  A extends PromiseLike<infer V> ? V : A extends (...args: never[]) => infer R ? Awaited<R> : never;

/** `gather`'s typed tuple of results. */
export type GatherResults<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: ResultOf<T[K]>;
};

/** `gather(..., { returnExceptions: true })`'s results: each a value or the error it threw. */
export type GatherSettledResults<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: ResultOf<T[K]> | Error;
};

/** Options of {@link gather}. */
export interface GatherOptions {
  /**
   * Return errors (and `CancelledError`s) as results instead of rejecting
   * with the first one.
   * @default false
   */
  returnExceptions?: boolean;
}

class Gathering implements Waiter {
  remaining: number;
  /** The cancellation that cancelled this gather: what it rejects with once its children are done. */
  cancelRequested: CancelledError | undefined = undefined;
  settled = false;
  readonly promise: Promise<unknown[]>;
  private resolve!: (results: unknown[]) => void;
  private reject!: (error: unknown) => void;
  private readonly listener = (task: Task<unknown>) => this.childDone(task);

  constructor(
    readonly children: Task<unknown>[],
    readonly returnExceptions: boolean,
    readonly scope: Scope | undefined,
  ) {
    this.remaining = children.length;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (scope !== undefined) addWaiter(scope, this);
    for (const child of children) child._onDone(this.listener);
    if (scope !== undefined && !this.settled) {
      const pending = takePending(scope);
      if (pending !== undefined) this.cancel(pending);
    }
  }

  describe(): WaitTarget {
    return { kind: 'tasks', via: 'gather', ids: notDone(this.children) };
  }

  /** Cancelling a gather cancels every child; it settles once they all have. */
  cancel(error: CancelledError): boolean {
    if (this.settled) return false;
    let any = false;
    for (const child of this.children) if (cancelWith(child, error)) any = true;
    // The first request is the one the caller sees (asyncio's gather keeps
    // its cancel message); later ones merge into it.
    if (any) this.cancelRequested ??= error;
    return any;
  }

  private childDone(child: Task<unknown>): void {
    this.remaining--;
    if (this.settled) return;
    if (!this.returnExceptions && this.cancelRequested === undefined) {
      if (child._state === TaskState.Failed) {
        child._markRetrieved();
        this.finish(false, child._outcome);
        return;
      }
      if (child._state === TaskState.Cancelled) {
        this.finish(false, child._outcome);
        return;
      }
    }
    if (this.remaining > 0) return;
    if (this.cancelRequested !== undefined) {
      const failed = this.children.find((c) => c._state === TaskState.Failed);
      if (failed !== undefined && !this.returnExceptions) {
        failed._markRetrieved();
        this.finish(false, failed._outcome);
        return;
      }
      this.finish(false, this.cancelRequested);
      return;
    }
    const results = this.children.map((c) => {
      if (c._state === TaskState.Succeeded) return c._outcome;
      if (c._state === TaskState.Failed) c._markRetrieved();
      return c._outcome;
    });
    this.finish(true, results);
  }

  private finish(ok: boolean, outcome: unknown): void {
    this.settled = true;
    if (this.scope !== undefined) removeWaiter(this.scope, this);
    if (ok) this.resolve(outcome as unknown[]);
    else this.reject(outcome);
  }
}

function isOptions(value: unknown): boolean {
  return (
    value !== null && typeof value === 'object' && !Array.isArray(value) && !isAwaitable(value)
  );
}

/**
 * Run every awaitable concurrently (functions and promises become tasks)
 * and resolve with their results in argument order, typed as a tuple.
 *
 * Without `returnExceptions`, the first error (or child cancellation)
 * rejects the gather and the other children keep running. With it, errors
 * are results. Cancelling the gather cancels every child; it then rejects
 * with `CancelledError` once they have all settled.
 *
 * Unlike asyncio, the errors of other children after the first are not
 * silently marked retrieved: if nobody looks at them, they are reported.
 *
 * @example
 * ```ts
 * import { gather, sleep } from 'weft';
 *
 * const [a, b, c] = await gather(
 *   () => sleep(20, 'a'),
 *   sleep(10, 2),
 *   async () => true,
 * ); // a: string, b: number, c: boolean
 *
 * const settled = await gather([async () => 1, async () => { throw new Error('x'); }], {
 *   returnExceptions: true,
 * }); // [1, Error: x]
 * ```
 */
export function gather<const T extends readonly Awaitee[]>(
  aws: T,
  options: GatherOptions & { returnExceptions: true },
): Promise<GatherSettledResults<T>>;
export function gather<const T extends readonly Awaitee[]>(
  aws: T,
  options?: GatherOptions,
): Promise<GatherResults<T>>;
export function gather<const T extends readonly Awaitee[]>(...aws: T): Promise<GatherResults<T>>;
export function gather(...args: unknown[]): Promise<unknown[]> {
  // Never a synchronous throw: an options getter or a `then` getter that
  // throws, like a bad argument, rejects the returned promise.
  try {
    return gatherAll(args);
  } catch (error) {
    return Promise.reject(error);
  }
}

function gatherAll(args: unknown[]): Promise<unknown[]> {
  let inputs: readonly unknown[] = args;
  let options: GatherOptions | undefined;
  let label = 'aws';
  if (
    args.length >= 1 &&
    args.length <= 2 &&
    Array.isArray(args[0]) &&
    (args.length === 1 || args[1] === undefined || isOptions(args[1]))
  ) {
    inputs = args[0] as unknown[];
    options = args[1] as GatherOptions | undefined;
  } else {
    label = 'arguments';
  }
  const error = firstError(
    checkOptions('options', options),
    checkOptionalBoolean('options.returnExceptions', options?.returnExceptions),
    checkAwaitables(inputs, label),
  );
  if (error !== undefined) return Promise.reject(error);
  if (inputs.length === 0) return Promise.resolve([]);
  const returnExceptions = options?.returnExceptions === true;
  const children = inputs.map((aw) => toTask(aw as Awaitee));
  return new Gathering(children, returnExceptions, currentScope()).promise;
}

/**
 * The first input that is not awaitable, as a TypeError. A loop, not a
 * spread into a call: `gather(...tasks)` with 100k tasks is a common port
 * of asyncio's `gather(*tasks)`, and spreading them again overflows the stack.
 */
function checkAwaitables(inputs: readonly unknown[], label: string): TypeError | undefined {
  for (let i = 0; i < inputs.length; i++) {
    const aw = inputs[i];
    if (!isAwaitable(aw)) {
      return new TypeError(
        `Expected \`${label}[${i}]\` to be a Task, a promise or a function, got ${show(aw)}`,
      );
    }
  }
  return undefined;
}
