/**
 * The types that let `pool.run(name, ...args)` check the function name,
 * its arguments and its result against the worker module's own exports.
 *
 * @module
 */

/** A function a worker module exports. */
type ExportedFunction = (...args: never[]) => unknown;

/**
 * What a pool made without a module type accepts: any name, any arguments,
 * an `unknown` result.
 */
export type UntypedWorkerModule = Record<string, (...args: unknown[]) => unknown>;

/**
 * The names of the functions module `M` exports (its other exports are
 * not callable on a worker).
 */
export type WorkerFunctionName<M> = {
  [K in keyof M]: M[K] extends ExportedFunction ? K : never;
}[keyof M] &
  string;

/** The parameters of export `K` of module `M`. */
export type WorkerFunctionArgs<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown
  ? A
  : never;

/** What awaiting `pool.run(K, ...)` gives: the export's result, awaited. */
export type WorkerFunctionResult<M, K extends keyof M> = M[K] extends (...args: never[]) => infer R
  ? Awaited<R>
  : never;
