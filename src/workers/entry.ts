/**
 * The module every worker thread of a weft pool runs: it loads the user's
 * worker module once, calls the named export with the job's arguments, and
 * sends back either the value (moving what `move()` marked) or the error
 * as plain data with its stack.
 *
 * Not public: `WorkerPool` points its threads here.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { move as piscinaMove, transferableSymbol, valueSymbol } from 'piscina';
import { type SerializedError, serializeError } from './errors.js';
import { transfersOf } from './move.js';

/** One job, as the pool posts it. */
export interface JobMessage {
  /** The worker module, as a `file:` URL. */
  url: string;
  /** The export to call. */
  name: string;
  args: unknown[];
}

/** What a job sends back. */
export type JobOutcome = { ok: true; value: unknown } | { ok: false; error: SerializedError };

type Namespace = Record<string, unknown>;

const modules = new Map<string, Promise<Namespace>>();

/**
 * Import the worker module. A TypeScript module that the worker's ES module
 * loader cannot read is required instead: Node 20 under tsx registers
 * tsx's hooks on worker threads for `require` only, and there a
 * `./x.worker.js` URL written in a source file names `./x.worker.ts`.
 */
async function importModule(url: string): Promise<Namespace> {
  try {
    return (await import(url)) as Namespace;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
    const path = fileURLToPath(url);
    const require = createRequire(path);
    // Only where a TypeScript require hook is installed (tsx, ts-node).
    if (!('.ts' in require.extensions)) throw error;
    for (const candidate of [path, path.replace(/\.([mc]?)js$/, '.$1ts')]) {
      if (existsSync(candidate)) return require(candidate) as Namespace;
    }
    throw error;
  }
}

function load(url: string): Promise<Namespace> {
  let loading = modules.get(url);
  if (loading === undefined) {
    loading = importModule(url);
    modules.set(url, loading);
    loading.catch(() => modules.delete(url));
  }
  return loading;
}

/** Run one job (called by the pool's thread with the posted message). */
export default async function runJob(job: JobMessage): Promise<JobOutcome> {
  try {
    const namespace = await load(job.url);
    const fn = namespace[job.name];
    if (typeof fn !== 'function') {
      throw new TypeError(`${job.url} has no exported function named '${job.name}'`);
    }
    const value: unknown = await fn(...job.args);
    const outcome: JobOutcome = { ok: true, value };
    const transfers = transfersOf([value]);
    if (transfers.length === 0) return outcome;
    // The pool's thread moves what the result lists instead of copying it.
    return piscinaMove({
      [transferableSymbol]: transfers,
      [valueSymbol]: outcome,
    } as never) as unknown as JobOutcome;
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}
