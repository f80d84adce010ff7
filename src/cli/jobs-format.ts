/**
 * `weft jobs` output in words: the list as a table, one job with every
 * field, the counts per state, and the line that says what `cancel` or
 * `retry` did.
 *
 * @module
 */

import { JOB_STATES, type JobRecord, type JobState } from '../jobs/types.js';
import { formatDuration, oneLine, plural } from './describe.js';
import { table } from './ps.js';

/** The columns of `weft jobs list`, in order. */
export const JOBS_COLUMNS = [
  'ID',
  'NAME',
  'QUEUE',
  'STATE',
  'ATTEMPTS',
  'CREATED',
  'FINISHED',
  'ERROR',
] as const;

/** A column of {@link JOBS_COLUMNS}. */
export type JobsColumn = (typeof JOBS_COLUMNS)[number];

/** How long the ERROR column's text may be before it is cut. */
export const ERROR_WIDTH = 60;

/**
 * A time for people, in the local time zone: `2026-11-30 16:31:02`
 * (`withMs`: `.123` after the seconds).
 *
 * @example
 * ```ts
 * import { formatTime } from '../../src/cli/jobs-format.js';
 *
 * console.log(formatTime(new Date(2026, 10, 30, 9, 5, 7, 42), true)); // 2026-11-30 09:05:07.042
 * ```
 */
export function formatTime(date: Date, withMs = false): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${day} ${time}${withMs ? `.${pad(date.getMilliseconds(), 3)}` : ''}`;
}

/**
 * `text` on one line, cut to `width` characters with `…` when longer.
 *
 * @example
 * ```ts
 * import { shorten } from '../../src/cli/jobs-format.js';
 *
 * console.log(shorten('Error: the mail server\nsaid no', 16)); // Error: the mail…
 * ```
 */
export function shorten(text: string, width: number): string {
  const line = oneLine(text);
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, width - 1).join('')}…`;
}

/** Text of many lines made safe for a terminal: control characters but newline and tab as `?`. */
function safeBlock(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => (c === '\n' || c === '\t' ? c : '?'));
}

/**
 * The cells of one job's row, by column.
 *
 * @example
 * ```ts
 * import { jobsRow } from '../../src/cli/jobs-format.js';
 *
 * const row = jobsRow({
 *   id: '7', name: 'send-welcome', queue: 'mail', state: 'failed', payload: {}, attempts: 3,
 *   maxAttempts: 3, priority: 0, createdAt: new Date(0), runAt: new Date(0),
 *   error: { name: 'Error', message: 'SMTP 550' },
 * });
 * console.log(row.ATTEMPTS, row.FINISHED, row.ERROR); // 3/3 - Error: SMTP 550
 * ```
 */
export function jobsRow(job: JobRecord): Record<JobsColumn, string> {
  return {
    ID: oneLine(job.id),
    NAME: oneLine(job.name) || '-',
    QUEUE: oneLine(job.queue) || '-',
    STATE: job.state,
    ATTEMPTS: `${job.attempts}/${job.maxAttempts}`,
    CREATED: formatTime(job.createdAt),
    FINISHED: job.finishedAt === undefined ? '-' : formatTime(job.finishedAt),
    ERROR:
      job.error === undefined
        ? '-'
        : shorten(`${job.error.name}: ${job.error.message}`, ERROR_WIDTH),
  };
}

/**
 * `12 jobs: 3 pending, 1 running, 8 succeeded, 0 failed, 0 cancelled`.
 *
 * @example
 * ```ts
 * import { countsLine } from '../../src/cli/jobs-format.js';
 *
 * console.log(countsLine({ pending: 1, running: 0, succeeded: 2, failed: 0, cancelled: 0 })); // 3 jobs: 1 pending, 0 running, 2 succeeded, 0 failed, 0 cancelled
 * ```
 */
export function countsLine(counts: Record<JobState, number>): string {
  const total = JOB_STATES.reduce((sum, s) => sum + counts[s], 0);
  return `${plural(total, 'job')}: ${JOB_STATES.map((s) => `${counts[s]} ${s}`).join(', ')}`;
}

/** What `weft jobs list` was asked for, to say it above the table. */
export interface ListShown {
  state?: readonly JobState[];
  name?: string;
  queue?: string;
  limit: number;
}

/**
 * `weft jobs list` output: the store's counts, what is shown, then the table
 * (newest first, as given).
 *
 * @example
 * ```ts
 * import { formatJobsList } from '../../src/cli/jobs-format.js';
 *
 * const counts = { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
 * console.log(formatJobsList([], counts, { name: 'resize', limit: 20 })); // 0 jobs: 0 pending, 0 running, 0 succeeded, 0 failed, 0 cancelled
 * // No jobs with name resize.
 * ```
 */
export function formatJobsList(
  jobs: readonly JobRecord[],
  counts: Record<JobState, number>,
  shown: ListShown,
): string {
  const criteria = [
    shown.state === undefined ? undefined : `state ${shown.state.join(' or ')}`,
    shown.name === undefined ? undefined : `name ${oneLine(shown.name)}`,
    shown.queue === undefined ? undefined : `queue ${oneLine(shown.queue)}`,
  ].filter((c) => c !== undefined);
  const which = criteria.length === 0 ? '' : ` with ${criteria.join(', ')}`;
  const head = countsLine(counts);
  if (jobs.length === 0) return `${head}\nNo jobs${which}.`;
  const more =
    jobs.length === shown.limit ? ` (--limit ${shown.limit}: there may be older ones)` : '';
  const what = `${plural(jobs.length, 'job')}${which}, newest first${more}:`;
  return `${head}\n${what}\n${table(JOBS_COLUMNS, jobs.map(jobsRow))}`;
}

/** A JSON value, indented, each line after the first starting with `indent`. */
function json(value: unknown, indent: string): string {
  return safeBlock(JSON.stringify(value, null, 2) ?? 'undefined').replace(/\n/g, `\n${indent}`);
}

function when(date: Date | undefined, now: number): string {
  if (date === undefined) return '-';
  const ms = date.getTime() - now;
  const relative = ms > 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
  return `${formatTime(date, true)} (${relative})`;
}

/**
 * `weft jobs show` output: every field of the record, one per line; JSON
 * values (payload, result, progress) indented, and the error's stack under
 * its message. `now` (ms since the epoch) dates the relative times.
 *
 * @example
 * ```ts
 * import { formatJob } from '../../src/cli/jobs-format.js';
 *
 * const text = formatJob({
 *   id: '7', name: 'resize', queue: 'default', state: 'pending', payload: { w: 640 },
 *   attempts: 0, maxAttempts: 3, priority: 0, createdAt: new Date(0), runAt: new Date(5000),
 * }, 2000);
 * console.log(text.split('\n')[0]); // job 7: resize
 * console.log(text.split('\n')[3]); // attempts  0 of 3
 * ```
 */
export function formatJob(job: JobRecord, now: number): string {
  const pad = 'finished'.length + 2;
  const field = (label: string, value: string) => `${label.padEnd(pad)}${value}`;
  const indent = ' '.repeat(pad);
  const lines = [
    `job ${oneLine(job.id)}: ${oneLine(job.name)}`,
    field('queue', oneLine(job.queue)),
    field('state', job.state),
    field('attempts', `${job.attempts} of ${job.maxAttempts}`),
    field('priority', String(job.priority)),
    field('key', job.key === undefined ? '-' : oneLine(job.key)),
    field('created', when(job.createdAt, now)),
    field('run at', when(job.runAt, now)),
    field('started', when(job.startedAt, now)),
    field('finished', when(job.finishedAt, now)),
    field('progress', job.progress === undefined ? '-' : json(job.progress, indent)),
    field('payload', json(job.payload, indent)),
    field('result', 'result' in job ? json(job.result, indent) : '-'),
  ];
  if (job.error === undefined) {
    lines.push(field('error', '-'));
  } else {
    const { name, message, stack } = job.error;
    lines.push(field('error', safeBlock(`${name}: ${message}`).replace(/\n/g, `\n${indent}`)));
    if (stack !== undefined && stack.length > 0) {
      lines.push(field('stack', safeBlock(stack).replace(/\n/g, `\n${indent}`)));
    }
  }
  return lines.join('\n');
}

/**
 * `weft jobs counts` output: a table of the states and their counts, then
 * the total.
 *
 * @example
 * ```ts
 * import { formatCounts } from '../../src/cli/jobs-format.js';
 *
 * const text = formatCounts({ pending: 2, running: 1, succeeded: 40, failed: 3, cancelled: 0 });
 * console.log(text.split('\n').at(-1)); // total      46
 * ```
 */
export function formatCounts(counts: Record<JobState, number>): string {
  const rows = JOB_STATES.map((s) => ({ STATE: s, JOBS: String(counts[s]) }));
  const total = JOB_STATES.reduce((sum, s) => sum + counts[s], 0);
  return table(['STATE', 'JOBS'] as const, [...rows, { STATE: 'total', JOBS: String(total) }]);
}
