/**
 * The `weft jobs` command line: its subcommands, their options and help
 * texts. Kept apart from `args.ts` (which parses `ps` and `pstree`): `weft
 * jobs` takes options of its own (`--url`, `--state`, ...).
 *
 * @module
 */

import { parseArgs } from 'node:util';
import { JOB_STATES, type JobState } from '../jobs/types.js';
import { CliError, EXIT_CODES } from './errors.js';

/** The subcommands of `weft jobs`. */
export const JOBS_SUBCOMMANDS = ['list', 'show', 'cancel', 'retry', 'counts'] as const;

/** A subcommand of `weft jobs`. */
export type JobsSubcommand = (typeof JOBS_SUBCOMMANDS)[number];

/** The default of `weft jobs list --limit`. */
export const DEFAULT_LIST_LIMIT = 20;

/** The store URL when neither `--url` nor `WEFT_JOBS_URL` gives one (as `openJobs()`). */
export const DEFAULT_JOBS_URL = 'sqlite:weft-jobs.db';

/** A parsed `weft jobs` command line. */
export type JobsCommand =
  | { command: 'help'; topic: 'jobs' | JobsSubcommand }
  | {
      command: JobsSubcommand;
      /** The store, as given by `--url` (undefined: `WEFT_JOBS_URL`, else the default). */
      url: string | undefined;
      /** PostgreSQL: the schema of the store (`--schema`; absent: 'weft'). */
      schema?: string;
      /** Print JSON instead of text. */
      json: boolean;
      /** `show`, `cancel`, `retry`: the job's id. */
      id?: string;
      /** `list`: the filter. */
      filter?: { state?: JobState[]; name?: string; queue?: string; limit: number };
    };

const TAKES_ID: ReadonlySet<JobsSubcommand> = new Set(['show', 'cancel', 'retry']);

const URL_NOTE = `The store: --url URL, else the environment variable WEFT_JOBS_URL, else
${DEFAULT_JOBS_URL} (a file in the working directory), as openJobs() does.
sqlite:PATH must name an existing job store: weft jobs never creates a file;
postgres://... must hold one in its schema: weft jobs never creates tables.`;

const JOBS_EXIT_NOTE = `Exit status: 0 ok, 1 unexpected error, ${EXIT_CODES.USAGE} bad arguments, ${EXIT_CODES.NO_STORE} no job store at
the URL (no such file, or not one weft made), ${EXIT_CODES.STORE} the store cannot be opened
(not a SQLite file, a schema newer than this weft, ...), ${EXIT_CODES.NO_JOB} no job has the
id, ${EXIT_CODES.FINISHED} cancel: the job had already finished, ${EXIT_CODES.NOT_RETRYABLE} retry: the job is not
retryable.`;

const COMMON_OPTIONS = `  --url URL       the job store (see below)
  --schema NAME   PostgreSQL: the schema that holds the store (default weft)
  --json          print JSON instead of text
  -h, --help      show this help`;

/** The help text of `weft jobs` and of each subcommand. */
export const JOBS_HELP: Readonly<Record<'jobs' | JobsSubcommand, string>> = {
  jobs: `weft jobs: look at and act on the durable jobs of a job store (weft/jobs)

Usage:
  weft jobs list [--state S[,S]] [--name N] [--queue Q] [--limit N]
                                 the newest jobs, a table
  weft jobs show ID              every field of one job
  weft jobs cancel ID            cancel a pending or running job
  weft jobs retry ID             run a failed or cancelled job again
  weft jobs counts               how many jobs are in each state
  weft jobs SUBCOMMAND --help    help on a subcommand

Options of every subcommand:
${COMMON_OPTIONS}

${URL_NOTE}

${JOBS_EXIT_NOTE}
`,
  list: `Usage: weft jobs list [--state S[,S]] [--name N] [--queue Q] [--limit N] [--url URL] [--json]

The newest jobs first (by creation time): ID, NAME, QUEUE, STATE, ATTEMPTS
(made/allowed), CREATED and FINISHED (local time), ERROR (the last error,
shortened: a pending job keeps its last attempt's error until it succeeds),
under a line with the store's count of jobs in each state.

With --json, prints the records as a JSON array (times as ISO strings).

Options:
  --state S[,S]   only jobs in these states: ${JOB_STATES.join(', ')}
  --name N        only jobs of this job name
  --queue Q       only jobs of this queue
  --limit N       at most N jobs (default ${DEFAULT_LIST_LIMIT})
${COMMON_OPTIONS}

${URL_NOTE}

${JOBS_EXIT_NOTE}
`,
  show: `Usage: weft jobs show ID [--url URL] [--json]

Every field of job ID: name, queue, state, attempts, priority, key, times
(created, run at, started, finished), progress, payload, result, and the
last error with its stack.

With --json, prints the record as JSON (times as ISO strings).

Options:
${COMMON_OPTIONS}

${URL_NOTE}

${JOBS_EXIT_NOTE}
`,
  cancel: `Usage: weft jobs cancel ID [--url URL] [--json]

Cancel job ID. A pending job is cancelled at once and never runs. A running
job's cancellation is requested: the worker that runs it cancels its task
within its pollMs, and the job ends cancelled once its handler lets the
CancelledError through. A job that had already finished is left as it is:
the message says how it ended, and the exit status is ${EXIT_CODES.FINISHED}.

With --json, prints { id, outcome, job }: outcome is "cancelled",
"cancel-requested" or "already-finished", job the record afterwards.

Options:
${COMMON_OPTIONS}

${URL_NOTE}

${JOBS_EXIT_NOTE}
`,
  retry: `Usage: weft jobs retry ID [--url URL] [--json]

Run failed or cancelled job ID again: it is pending now, its attempts start
again from 0, its result and error are cleared. Any other job (pending,
running, succeeded), or one whose key another pending or running job holds,
is not retryable: the message says why, and the exit status is ${EXIT_CODES.NOT_RETRYABLE}.

With --json, prints { id, outcome, job }: outcome is "retried" or
"not-retryable", job the record afterwards.

Options:
${COMMON_OPTIONS}

${URL_NOTE}

${JOBS_EXIT_NOTE}
`,
  counts: `Usage: weft jobs counts [--url URL] [--json]

How many jobs of the store are in each state (${JOB_STATES.join(', ')}),
and in all.

With --json, prints { ${JOB_STATES.map((s) => `${s}: n`).join(', ')} }.

Options:
${COMMON_OPTIONS}

${URL_NOTE}

${JOBS_EXIT_NOTE}
`,
};

function usage(message: string, topic: 'jobs' | JobsSubcommand = 'jobs'): CliError {
  return new CliError(
    'USAGE',
    `${message} (see weft jobs${topic === 'jobs' ? '' : ` ${topic}`} --help)`,
  );
}

/**
 * The arguments of `weft jobs` when `args` (the words after `weft`) is a
 * jobs command: `weft jobs ...`, `weft help jobs [SUBCOMMAND]` or `weft
 * --help jobs [SUBCOMMAND]`. Undefined for every other command.
 *
 * @example
 * ```ts
 * import { jobsArgs } from '../../src/cli/jobs-args.js';
 *
 * console.log(jobsArgs(['jobs', 'list', '--json'])); // [ 'list', '--json' ]
 * console.log(jobsArgs(['help', 'jobs', 'show'])); // [ 'show', '--help' ]
 * console.log(jobsArgs(['ps', '1'])); // undefined
 * ```
 */
export function jobsArgs(args: readonly string[]): string[] | undefined {
  if (args[0] === 'jobs') return args.slice(1);
  if ((args[0] === 'help' || args[0] === '--help' || args[0] === '-h') && args[1] === 'jobs') {
    return [...args.slice(2), '--help'];
  }
  return undefined;
}

/**
 * Parse the arguments after `weft jobs`.
 *
 * @throws {CliError} `USAGE` for anything it does not accept.
 *
 * @example
 * ```ts
 * import { parseJobsCommand } from '../../src/cli/jobs-args.js';
 *
 * const list = parseJobsCommand(['list', '--state', 'failed,cancelled', '--limit', '5']);
 * console.log(list.command, list.command === 'list' && list.filter?.state); // list [ 'failed', 'cancelled' ]
 * console.log(parseJobsCommand(['show', '42', '--json'])); // { command: 'show', url: undefined, json: true, id: '42' }
 * ```
 */
export function parseJobsCommand(args: readonly string[]): JobsCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    const sub = JOBS_SUBCOMMANDS.find((s) => s === args[0]) ?? 'jobs';
    throw usage(
      err instanceof Error ? err.message.replace(/\. To specify .*$/s, '') : String(err),
      sub,
    );
  }
  const { values, positionals } = parsed;
  const [sub, ...rest] = positionals;
  if (sub === undefined) {
    if (values.help) return { command: 'help', topic: 'jobs' };
    throw usage(`Expected a subcommand: ${JOBS_SUBCOMMANDS.join(', ')}`);
  }
  const command = JOBS_SUBCOMMANDS.find((s) => s === sub);
  if (command === undefined) throw usage(`Unknown subcommand '${sub}' of weft jobs`);
  if (values.help) return { command: 'help', topic: command };
  const url = values.url;
  if (url !== undefined && url.length === 0) {
    throw usage('Expected `--url` to be a job store URL, got an empty string', command);
  }
  const parsedCommand: JobsCommand = { command, url, json: values.json === true };
  if (values.schema !== undefined) {
    if (values.schema.length === 0 || Buffer.byteLength(values.schema) > 63) {
      throw usage(
        `Expected \`--schema\` to be a PostgreSQL schema name of 1 to 63 bytes, got '${values.schema}'`,
        command,
      );
    }
    parsedCommand.schema = values.schema;
  }
  if (TAKES_ID.has(command)) {
    if (rest.length === 0) throw usage(`Expected a job id: weft jobs ${command} ID`, command);
    if (rest.length > 1) {
      throw usage(`Expected one job id, got ${rest.length}: ${rest.join(' ')}`, command);
    }
    if (rest[0]!.length === 0) throw usage('Expected a job id, got an empty string', command);
    parsedCommand.id = rest[0]!;
  } else if (rest.length > 0) {
    throw usage(`weft jobs ${command} takes no argument, got: ${rest.join(' ')}`, command);
  }
  const filters = (['state', 'name', 'queue', 'limit'] as const).filter(
    (o) => values[o] !== undefined,
  );
  if (command !== 'list') {
    if (filters.length > 0) {
      throw usage(`--${filters[0]} is an option of weft jobs list, not of ${command}`, command);
    }
    return parsedCommand;
  }
  const filter: NonNullable<Extract<JobsCommand, { url: unknown }>['filter']> = {
    limit: DEFAULT_LIST_LIMIT,
  };
  if (values.state !== undefined) filter.state = parseStates(values.state);
  for (const option of ['name', 'queue'] as const) {
    const value = values[option];
    if (value === undefined) continue;
    if (value.length === 0 || value.length > 200) {
      throw usage(
        `Expected \`--${option}\` to be 1 to 200 characters long, got '${value}'`,
        'list',
      );
    }
    filter[option] = value;
  }
  if (values.limit !== undefined) {
    const limit = Number(values.limit);
    if (!/^\d+$/.test(values.limit) || !Number.isSafeInteger(limit) || limit < 1) {
      throw usage(`Expected \`--limit\` to be an integer >= 1, got '${values.limit}'`, 'list');
    }
    filter.limit = limit;
  }
  parsedCommand.filter = filter;
  return parsedCommand;
}

/** `--state failed,cancelled` (also given more than once), checked and without repeats. */
function parseStates(given: readonly string[]): JobState[] {
  const states: JobState[] = [];
  for (const word of given.flatMap((g) => g.split(','))) {
    const state = JOB_STATES.find((s) => s === word.trim());
    if (state === undefined) {
      throw usage(
        `Expected \`--state\` to be one of ${JOB_STATES.join(', ')} (or several, comma-separated), got '${word}'`,
        'list',
      );
    }
    if (!states.includes(state)) states.push(state);
  }
  return states;
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      schema: { type: 'string' },
      json: { type: 'boolean' },
      state: { type: 'string', multiple: true },
      name: { type: 'string' },
      queue: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
