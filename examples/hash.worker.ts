/**
 * The worker module of examples/hash.ts and of the `/hash` demo route: the
 * functions a `workerPool` runs on its threads. Plain exported functions;
 * they may block as long as they like, the event loop is elsewhere.
 */
import { createHash } from 'node:crypto';
import { move } from '../src/workers/index.js';

/** SHA-256 of `data`, in hex. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Key stretching: SHA-256 applied `rounds` times to `seed` (CPU-bound for as long as you ask). */
export function stretch(seed: string, rounds: number): string {
  let digest: Buffer = Buffer.from(seed);
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex');
}

/** A buffer of `size` bytes filled with a repeating pattern, moved (not copied) back. */
export function pattern(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = i % 251;
  return move(data);
}

/** Fails, to show how an error crosses back with the worker's stack. */
export function fail(message: string): never {
  throw new Error(message);
}
