import type { Awaitable } from '../tasks.js';
import { checkFunction } from './validate.js';

/** Something with an async `acquire` and a `release`: a lock or a semaphore. */
export interface Acquirable {
  acquire(): Promise<unknown>;
  release(): void;
}

/**
 * `runExclusive` of locks and semaphores: `fn` runs holding one permit,
 * released however it ends. A cancelled acquire holds nothing to release.
 */
export async function runHolding<T>(holder: Acquirable, fn: () => Awaitable<T>): Promise<T> {
  const error = checkFunction('fn', fn);
  if (error !== undefined) throw error;
  await holder.acquire();
  try {
    return await fn();
  } finally {
    holder.release();
  }
}
