/**
 * Names for synchronisation primitives: shown by `toString()`, by
 * `snapshot()` and by `weft ps` as what a task waits on.
 */

import { checkOptionalString, checkOptions, firstError } from './validate.js';

/** Options every lock, event, condition, semaphore, barrier and queue takes. */
export interface PrimitiveOptions {
  /**
   * A name for reports: `toString()`, `snapshot()` and `weft ps` show it as
   * what a waiting task waits on.
   * @default undefined
   */
  name?: string;
}

/** The validated `options.name`; throws `TypeError` naming the argument. */
export function nameFrom(options: PrimitiveOptions | undefined): string | undefined {
  if (options === undefined) return undefined;
  const error = firstError(
    checkOptions('options', options),
    checkOptionalString('options.name', options.name),
  );
  if (error !== undefined) throw error;
  return options.name;
}

/** The name as `toString()` shows it before the state: `'db' `, or nothing. */
export function label(name: string | undefined): string {
  return name === undefined ? '' : `'${name}' `;
}

/** `toString()` without the name (for reports that show the name on its own). */
export function unlabelled(primitive: object, name: string | undefined): string {
  const text = String(primitive);
  return name === undefined ? text : text.replace(`<${label(name)}`, '<');
}
