/** Argument checks shared by every public function. Messages name the argument and the bad value. */

import { inspect } from 'node:util';

/** Render a bad value for an error message: short, and unambiguous about its type. */
export function show(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  return inspect(value, { depth: 1, breakLength: Number.POSITIVE_INFINITY, maxStringLength: 40 });
}

/** A duration in milliseconds: a finite or infinite number >= 0. */
export function checkDuration(name: string, value: unknown): RangeError | TypeError | undefined {
  if (typeof value !== 'number') {
    return new TypeError(`Expected \`${name}\` to be a number of milliseconds, got ${show(value)}`);
  }
  if (Number.isNaN(value) || value < 0) {
    return new RangeError(`Expected \`${name}\` to be a number >= 0, got ${show(value)}`);
  }
  return undefined;
}

/**
 * A time limit in milliseconds: any number but NaN. Zero or less is a limit
 * already reached, as in asyncio (deadline arithmetic may go negative).
 */
export function checkLimit(name: string, value: unknown): RangeError | TypeError | undefined {
  if (typeof value !== 'number') {
    return new TypeError(`Expected \`${name}\` to be a number of milliseconds, got ${show(value)}`);
  }
  if (Number.isNaN(value)) return new RangeError(`Expected \`${name}\` not to be NaN`);
  return undefined;
}

/** A time limit or `null`/`undefined` (no limit). */
export function checkOptionalLimit(
  name: string,
  value: unknown,
): RangeError | TypeError | undefined {
  return value === null || value === undefined ? undefined : checkLimit(name, value);
}

/** A duration or `null` (no limit). */
export function checkOptionalDuration(
  name: string,
  value: unknown,
): RangeError | TypeError | undefined {
  return value === null || value === undefined ? undefined : checkDuration(name, value);
}

/** A deadline on the `performance.now()` clock, or `null`. */
export function checkDeadline(name: string, value: unknown): RangeError | TypeError | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'number') {
    return new TypeError(
      `Expected \`${name}\` to be a performance.now() timestamp or null, got ${show(value)}`,
    );
  }
  if (Number.isNaN(value)) return new RangeError(`Expected \`${name}\` not to be NaN`);
  return undefined;
}

export function checkFunction(name: string, value: unknown): TypeError | undefined {
  return typeof value === 'function'
    ? undefined
    : new TypeError(`Expected \`${name}\` to be a function, got ${show(value)}`);
}

export function checkOptions(name: string, value: unknown): TypeError | undefined {
  return value === undefined || (typeof value === 'object' && value !== null)
    ? undefined
    : new TypeError(`Expected \`${name}\` to be an options object, got ${show(value)}`);
}

export function checkOptionalString(name: string, value: unknown): TypeError | undefined {
  return value === undefined || typeof value === 'string'
    ? undefined
    : new TypeError(`Expected \`${name}\` to be a string, got ${show(value)}`);
}

export function checkOptionalBoolean(name: string, value: unknown): TypeError | undefined {
  return value === undefined || typeof value === 'boolean'
    ? undefined
    : new TypeError(`Expected \`${name}\` to be a boolean, got ${show(value)}`);
}

/** First error of a list of checks, or undefined. */
export function firstError(...errors: Array<Error | undefined>): Error | undefined {
  for (const e of errors) if (e !== undefined) return e;
  return undefined;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** An integer >= `min` (a count, a size, a number of permits). */
export function checkInteger(
  name: string,
  value: unknown,
  min: number,
): RangeError | TypeError | undefined {
  if (typeof value !== 'number') {
    return new TypeError(`Expected \`${name}\` to be an integer >= ${min}, got ${show(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    return new RangeError(`Expected \`${name}\` to be an integer >= ${min}, got ${show(value)}`);
  }
  return undefined;
}
