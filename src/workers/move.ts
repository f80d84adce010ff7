/**
 * `move()`: hand an `ArrayBuffer` to or from a worker thread without
 * copying it.
 *
 * A marked value is put in the transfer list of the message that carries
 * it: its memory changes owner instead of being copied, and the sender's
 * buffer is left empty (`byteLength` 0). This module imports nothing else
 * from weft, so worker modules can use it cheaply.
 *
 * @module
 */

import type { MessagePort } from 'node:worker_threads';
import { show } from '../internal/validate.js';

/** What {@link move} accepts: memory or a port that can change threads. */
export type Movable = ArrayBuffer | ArrayBufferView | MessagePort;

/** What ends up in a `postMessage` transfer list. */
type TransferItem = ArrayBuffer | MessagePort;

// One registry per thread, shared by every copy of this module that a thread
// may load (sources under tsx and dist/ side by side, say).
const KEY = Symbol.for('weft.workers.moved');
const registry: WeakSet<object> =
  ((globalThis as Record<symbol, unknown>)[KEY] as WeakSet<object> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[KEY] = new WeakSet<object>());

function isMessagePort(value: object): boolean {
  return (
    typeof (value as { postMessage?: unknown }).postMessage === 'function' &&
    typeof (value as { start?: unknown }).start === 'function' &&
    typeof (value as { close?: unknown }).close === 'function'
  );
}

/**
 * Mark `value` to be moved, not copied, when it crosses to a worker (as an
 * argument of `pool.run`) or back (as what a worker function returns):
 * an `ArrayBuffer`, a typed array or `DataView` (its whole buffer moves), or
 * a `MessagePort`. Returns `value` itself, so the types do not change.
 * A marked value is found as an argument or result, or directly inside an
 * array or plain object that is one. After the call the sender's buffer is
 * empty (`byteLength` 0). Throws `TypeError` for anything else, including
 * memory on a `SharedArrayBuffer` (already shared: pass it as it is).
 *
 * @example
 * ```ts
 * import { move, workerPool } from 'weft/workers';
 *
 * const pool = workerPool<typeof import('./hash.worker.js')>(
 *   new URL('./hash.worker.js', import.meta.url),
 *   { threads: 1 },
 * );
 * const data = new Uint8Array(1 << 20).fill(97);
 * const digest = await pool.run('sha256', move(data));
 * console.log(data.byteLength); // 0: the megabyte moved to the worker
 * console.log(digest.length); // 64
 * await pool.close();
 * ```
 */
export function move<T extends Movable>(value: T): T {
  if (value === null || typeof value !== 'object') {
    throw new TypeError(
      `Expected \`value\` to be an ArrayBuffer, a typed array, a DataView or a MessagePort, got ${show(value)}`,
    );
  }
  if (ArrayBuffer.isView(value)) {
    if (!(value.buffer instanceof ArrayBuffer)) {
      throw new TypeError(
        'Expected `value` to be on an ArrayBuffer, got a view of a SharedArrayBuffer (it is shared already: pass it without move())',
      );
    }
  } else if (!(value instanceof ArrayBuffer) && !isMessagePort(value)) {
    throw new TypeError(
      `Expected \`value\` to be an ArrayBuffer, a typed array, a DataView or a MessagePort, got ${show(value)}`,
    );
  }
  registry.add(value);
  return value;
}

function add(found: Set<TransferItem>, value: unknown): void {
  if (value === null || typeof value !== 'object' || !registry.has(value)) return;
  found.add(ArrayBuffer.isView(value) ? (value.buffer as ArrayBuffer) : (value as TransferItem));
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * @internal The transfer list for `values`: every value marked by
 * {@link move} among them or directly inside an array or plain object
 * among them, once each.
 */
export function transfersOf(values: readonly unknown[]): TransferItem[] {
  const found = new Set<TransferItem>();
  for (const value of values) {
    if (value === null || typeof value !== 'object') continue;
    if (registry.has(value)) add(found, value);
    else if (Array.isArray(value)) for (const item of value) add(found, item);
    else if (isPlainObject(value)) for (const key in value) add(found, (value as never)[key]);
  }
  return [...found];
}
