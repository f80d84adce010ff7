/**
 * `weft ps`: a snapshot's tasks as a table, one line per task.
 *
 * @module
 */

import type { Snapshot, TaskSnapshot } from '../snapshot-types.js';
import { describeWait, formatDuration, oneLine, summaryLine } from './describe.js';

/** The table's columns, in order; `LOCATION` only when some task has one. */
export const PS_COLUMNS = [
  'ID',
  'NAME',
  'STATE',
  'PARENT',
  'GROUP',
  'AGE',
  'WAITING ON',
  'LOCATION',
] as const;

/** A column of {@link PS_COLUMNS}. */
export type PsColumn = (typeof PS_COLUMNS)[number];

function state(task: TaskSnapshot): string {
  return task.cancelling > 0 ? `${task.state} (cancelling)` : task.state;
}

/**
 * The cells of one task's row, by column.
 *
 * @example
 * ```ts
 * import { psRow } from '../../src/cli/ps.js';
 *
 * const snapshot = { pid: 7, node: 'v20.20.2', weft: '0.1.0', takenAt: 0, debug: false, groups: [], tasks: [] };
 * const task = {
 *   id: 2, name: 'worker', state: 'waiting', cancelling: 0, parent: 1, group: null, ageMs: 2500,
 *   waitingOn: [{ kind: 'promise', detail: 'fetch' }], location: null, stack: null,
 * } as const;
 * console.log(psRow(task, snapshot)['WAITING ON']); // promise: fetch
 * ```
 */
export function psRow(
  task: TaskSnapshot,
  snapshot: Pick<Snapshot, 'takenAt' | 'tasks' | 'groups'>,
): Record<PsColumn, string> {
  return {
    ID: String(task.id),
    NAME: oneLine(task.name) || '-',
    STATE: state(task),
    PARENT: task.parent === null ? '-' : String(task.parent),
    GROUP: task.group === null ? '-' : `#${task.group}`,
    AGE: formatDuration(task.ageMs),
    'WAITING ON': task.waitingOn.map((w) => describeWait(w, snapshot)).join('; ') || '-',
    LOCATION: task.location === null ? '-' : oneLine(task.location),
  };
}

/**
 * Lay rows out under a header, columns left-aligned and two spaces apart;
 * the last column is not padded.
 *
 * @example
 * ```ts
 * import { table } from '../../src/cli/ps.js';
 *
 * console.log(table(['A', 'B'], [{ A: 'x', B: 'y' }])); // A  B
 * // x  y
 * ```
 */
export function table<C extends string>(
  columns: readonly C[],
  rows: ReadonlyArray<Record<C, string>>,
): string {
  // A loop, not Math.max(...lengths): spreading 125,000 rows into a call overflows the stack.
  const widths = columns.map((c) => {
    let width = c.length;
    for (const row of rows) width = Math.max(width, row[c].length);
    return width;
  });
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const lines = [line(columns)];
  for (const row of rows) lines.push(line(columns.map((c) => row[c])));
  return lines.join('\n');
}

/**
 * `weft ps` output: a summary line, then one row per task, by id; when the
 * snapshot lists fewer tasks than its `total`, a last line says so.
 *
 * @example
 * ```ts
 * import { formatPs } from '../../src/cli/ps.js';
 *
 * const out = formatPs({
 *   pid: 7, node: 'v20.20.2', weft: '0.1.0', takenAt: 1_000, debug: false, groups: [],
 *   tasks: [{
 *     id: 1, name: 'main', state: 'waiting', cancelling: 0, parent: null, group: null,
 *     ageMs: 1200, waitingOn: [{ kind: 'sleep', ms: 5000, until: 4_000 }], location: null, stack: null,
 *   }],
 * });
 * console.log(out.split('\n')[1]); // ID  NAME  STATE    PARENT  GROUP  AGE   WAITING ON
 * ```
 */
export function formatPs(snapshot: Snapshot): string {
  const located = snapshot.tasks.some((t) => t.location !== null);
  const columns = PS_COLUMNS.filter((c) => located || c !== 'LOCATION');
  const summary = summaryLine(snapshot);
  if (snapshot.tasks.length === 0) return `${summary}\nNo pending tasks.`;
  const total = snapshot.total ?? snapshot.tasks.length;
  const footer =
    total > snapshot.tasks.length
      ? `\nshowing ${snapshot.tasks.length} of ${total} tasks; --limit 0 for all`
      : '';
  return `${summary}\n${table(
    columns,
    snapshot.tasks.map((t) => psRow(t, snapshot)),
  )}${footer}`;
}
