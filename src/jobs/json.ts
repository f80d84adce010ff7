/**
 * Values in and out of the store: JSON exactly as `JSON.stringify` writes
 * it, but refusing what it would silently drop or choke on.
 *
 * @module
 */

/** Default of `openJobs`' `maxPayloadBytes`: 1 MiB of JSON. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Throw a `TypeError` naming the first path (`payload.user.id is a bigint`)
 * that holds a function, bigint or symbol, or closes a cycle, anywhere in
 * `value`: even where `JSON.stringify` would drop it without a word. A
 * `toJSON()` method (a `Date`'s) is honoured as `JSON.stringify` does.
 */
export function checkJson(value: unknown, path: string): void {
  walk(value, path, '', new Set());
}

function walk(raw: unknown, path: string, key: string, ancestors: Set<object>): void {
  let value = raw;
  if (
    value !== null &&
    (typeof value === 'object' || typeof value === 'bigint') &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  switch (typeof value) {
    case 'bigint':
      throw new TypeError(`${path} is a bigint: JSON cannot hold it (store it as a string)`);
    case 'function':
      throw new TypeError(`${path} is a function: JSON cannot hold it`);
    case 'symbol':
      throw new TypeError(`${path} is a symbol: JSON cannot hold it`);
    case 'object': {
      if (value === null) return;
      if (ancestors.has(value)) throw new TypeError(`${path} is a cycle: it contains itself`);
      ancestors.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) walk(value[i], child(path, i), String(i), ancestors);
      } else {
        for (const k of Object.keys(value)) {
          walk((value as Record<string, unknown>)[k], child(path, k), k, ancestors);
        }
      }
      ancestors.delete(value);
      return;
    }
    default:
      return;
  }
}

/**
 * `value` as stored JSON text (top-level `undefined` becomes `null`), after
 * {@link checkJson}; a `RangeError` past `maxBytes`.
 */
export function toJson(value: unknown, path: string, maxBytes = Number.POSITIVE_INFINITY): string {
  checkJson(value, path);
  const text = JSON.stringify(value) ?? 'null';
  // UTF-8 takes at most 3 bytes per UTF-16 unit: count bytes only when it may matter.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new RangeError(
        `${path} is ${bytes} bytes of JSON, more than the ${maxBytes} allowed (openJobs' maxPayloadBytes): store large data elsewhere and pass a reference`,
      );
    }
  }
  return text;
}

/** Parse stored JSON text (`undefined` for SQL NULL). */
export function fromJson(text: string | null | undefined): unknown {
  return text === null || text === undefined ? undefined : JSON.parse(text);
}
