/**
 * `weft jobs`: open a job store that already exists, run one subcommand on
 * it, and turn every outcome into output and an exit status.
 *
 * A read (`list`, `show`, `counts`) must never make a store where there was
 * none: a typo in the path would otherwise leave a fresh, empty database
 * behind and list nothing. So a `sqlite:` URL must name an existing file
 * that already holds weft's tables before `openJobs` (which creates and
 * migrates) is called.
 *
 * @module
 */

import { statSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { JobNotFoundError } from '../jobs/errors.js';
import type { Jobs } from '../jobs/jobs.js';
import { redact } from '../jobs/postgres/index.js';
import { quoteIdent } from '../jobs/postgres/migrate.js';
import type { JobRecord } from '../jobs/types.js';
import { oneLine } from './describe.js';
import { CliError, EXIT_CODES } from './errors.js';
import { DEFAULT_JOBS_URL, JOBS_HELP, parseJobsCommand } from './jobs-args.js';
import { formatCounts, formatJob, formatJobsList } from './jobs-format.js';
import type { Output } from './main.js';

/**
 * Where a store URL points: the file of a `sqlite:` URL, or `null` for a
 * URL that names no file (PostgreSQL).
 *
 * @throws {CliError} `USAGE` for `sqlite::memory:`, an empty path or an unknown scheme.
 *
 * @example
 * ```ts
 * import { storeFile } from '../../src/cli/jobs.js';
 *
 * console.log(storeFile('sqlite:jobs.db'), storeFile('sqlite:///var/lib/app/jobs.db')); // jobs.db /var/lib/app/jobs.db
 * console.log(storeFile('postgres://db.internal/app')); // null
 * ```
 */
export function storeFile(url: string): string | null {
  const usage = (message: string) => new CliError('USAGE', `${message} (see weft jobs --help)`);
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path, as openJobs reads it
    if (path === ':memory:') {
      throw usage(
        `${url} is a store in the memory of one process: weft jobs would open a new, empty one. Give the URL of a store file (sqlite:PATH)`,
      );
    }
    if (path.length === 0) {
      throw usage(`Expected the job store URL to name a file (sqlite:PATH), got '${url}'`);
    }
    return path;
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return null;
  throw usage(
    `Expected the job store URL to start with sqlite:, postgres:// or postgresql://, got '${url}'`,
  );
}

/** Which URL to use and where it came from, for messages. */
function chooseUrl(given: string | undefined): { url: string; from: string } {
  if (given !== undefined) return { url: given, from: 'from --url' };
  const env = process.env.WEFT_JOBS_URL;
  if (env === '') {
    throw new CliError(
      'USAGE',
      'WEFT_JOBS_URL is set but empty: give it a job store URL, or unset it for the default (see weft jobs --help)',
    );
  }
  if (env !== undefined) return { url: env, from: 'from WEFT_JOBS_URL' };
  return { url: DEFAULT_JOBS_URL, from: 'the default: no --url, no WEFT_JOBS_URL' };
}

/** SQLite's own message for an error, without weft's advice to code that calls openJobs. */
function storeMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/ Give openJobs another path\.$/, '')
    .replace(/^Cannot open the PostgreSQL job store at \S+: /, '');
}

/**
 * Check that `path` is a weft job store before anything may write to it: the
 * file exists, is a regular file, and holds weft's migrations table. A file
 * that is not SQLite at all is left to `openJobs`, which refuses it with
 * its own message.
 */
async function checkStoreFile(path: string, url: string, from: string): Promise<void> {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(
        'NO_STORE',
        `No job store at ${url} (${from}): ${path} does not exist. weft jobs does not create one; check the path, or run the app that opens the store first.`,
      );
    }
    throw new CliError('STORE', `Cannot read the job store at ${url}: ${storeMessage(error)}`, {
      cause: error,
    });
  }
  if (!stat.isFile()) {
    throw new CliError('STORE', `Cannot read the job store at ${url}: ${path} is not a file`);
  }
  let Driver: typeof BetterSqlite3;
  try {
    Driver = (await import('better-sqlite3')).default;
  } catch {
    return; // openJobs says what to install
  }
  let hasStore: boolean;
  try {
    const db = new Driver(path, { readonly: true, fileMustExist: true });
    try {
      hasStore =
        db
          .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'weft_migrations'")
          .get() !== undefined;
    } finally {
      db.close();
    }
  } catch {
    return; // not SQLite, locked, unreadable: openJobs refuses it with its own message
  }
  if (!hasStore) {
    throw new CliError(
      'NO_STORE',
      `No job store at ${url} (${from}): ${path} ${stat.size === 0 ? 'is an empty file' : 'is a SQLite database without weft tables'}. weft jobs leaves it untouched; check the path.`,
    );
  }
}

/**
 * Check that the PostgreSQL database at `url` holds a weft store in
 * `schema` before `openJobs` (which would create one) runs. A database
 * that cannot be reached is left to `openJobs`, which says why.
 */
async function checkStoreSchema(url: string, schema: string, from: string): Promise<void> {
  let pg: typeof import('pg').default;
  try {
    pg = (await import('pg')).default;
  } catch {
    return; // openJobs says what to install
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  let found: boolean;
  try {
    await client.connect();
    const { rows } = await client.query('SELECT to_regclass($1) IS NOT NULL AS found', [
      `${quoteIdent(schema)}.weft_migrations`,
    ]);
    found = (rows[0] as { found: boolean }).found;
  } catch {
    return;
  } finally {
    await client.end().catch(() => {});
  }
  if (!found) {
    throw new CliError(
      'NO_STORE',
      `No job store at ${redact(url)} (${from}): the schema "${schema}" holds no weft tables. weft jobs does not create one; check the URL and --schema, or run the app that opens the store first.`,
    );
  }
}

/** Open the store for the command, refusing any URL that would make a new one. */
async function open(given: string | undefined, schema: string | undefined): Promise<Jobs> {
  const { url, from } = chooseUrl(given);
  const file = storeFile(url);
  if (file !== null) await checkStoreFile(file, url, from);
  else await checkStoreSchema(url, schema ?? 'weft', from);
  const { openJobs } = await import('../jobs/jobs.js');
  try {
    return await openJobs(url, schema === undefined ? undefined : { schema });
  } catch (error) {
    throw new CliError(
      'STORE',
      `Cannot open the job store at ${redact(url)}: ${storeMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** Run a store operation; store failures become `STORE` errors, a missing job `NO_JOB`. */
async function use<T>(url: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof JobNotFoundError) {
      throw new CliError('NO_JOB', error.message, { cause: error });
    }
    throw new CliError('STORE', `The job store at ${redact(url)} failed: ${storeMessage(error)}`, {
      cause: error,
    });
  }
}

function noJob(id: string): CliError {
  return new CliError('NO_JOB', `No job has the id ${JSON.stringify(id)}`);
}

const label = (job: JobRecord) => `job ${oneLine(job.id)} (${oneLine(job.name)})`;

/**
 * Run `weft jobs` with `args` (the words after `weft jobs`); resolves the
 * exit status. Failures are thrown as `CliError`s for `main` to report.
 */
export async function runJobs(args: readonly string[], out: Output): Promise<number> {
  const command = parseJobsCommand(args);
  if (command.command === 'help') {
    out.stdout(JOBS_HELP[command.topic]);
    return 0;
  }
  const jobs = await open(command.url, command.schema);
  const url = chooseUrl(command.url).url;
  try {
    const print = (value: unknown) => out.stdout(`${JSON.stringify(value, null, 2)}\n`);
    switch (command.command) {
      case 'list': {
        const filter = command.filter!;
        const records = await use(url, () => jobs.list(filter));
        if (command.json) {
          print(records);
        } else {
          const counts = await use(url, () => jobs.counts());
          out.stdout(`${formatJobsList(records, counts, filter)}\n`);
        }
        return 0;
      }
      case 'counts': {
        const counts = await use(url, () => jobs.counts());
        if (command.json) print(counts);
        else out.stdout(`${formatCounts(counts)}\n`);
        return 0;
      }
      case 'show': {
        const id = command.id!;
        const record = await use(url, () => jobs.get(id));
        if (record === undefined) throw noJob(id);
        if (command.json) print(record);
        else out.stdout(`${formatJob(record, Date.now())}\n`);
        return 0;
      }
      case 'cancel': {
        const id = command.id!;
        const before = await use(url, () => jobs.get(id));
        const cancelled = await use(url, () => jobs.cancel(id));
        const record = await use(url, () => jobs.get(id));
        if (record === undefined) throw noJob(id); // deleted (pruned) meanwhile
        // A running job stays running until its handler lets the cancellation
        // through; if that already happened, it is cancelled.
        const outcome = !cancelled
          ? 'already-finished'
          : record.state === 'cancelled'
            ? 'cancelled'
            : 'cancel-requested';
        if (command.json) print({ id, outcome, job: record });
        if (outcome === 'already-finished') {
          out.stderr(
            `weft: ${label(record)} had already finished (${record.state}): nothing to cancel\n`,
          );
          return EXIT_CODES.FINISHED;
        }
        if (!command.json) {
          out.stdout(
            outcome === 'cancelled'
              ? `Cancelled ${label(record)}: ${before?.state === 'running' ? 'its handler let the cancellation through' : 'it will not run'}.\n`
              : `Cancellation requested for ${label(record)}: it is ${record.state}; the worker running it cancels it within its pollMs, and it ends cancelled once its handler lets the cancellation through.\n`,
          );
        }
        return 0;
      }
      case 'retry': {
        const id = command.id!;
        const retried = await use(url, () => jobs.retry(id));
        const record = await use(url, () => jobs.get(id));
        if (record === undefined) throw noJob(id);
        if (command.json)
          print({ id, outcome: retried ? 'retried' : 'not-retryable', job: record });
        if (!retried) {
          const why =
            record.state === 'failed' || record.state === 'cancelled'
              ? `its key ${JSON.stringify(record.key)} is held by another pending or running job`
              : `it is ${record.state} (only failed or cancelled jobs can be retried)`;
          out.stderr(`weft: ${label(record)} is not retryable: ${why}\n`);
          return EXIT_CODES.NOT_RETRYABLE;
        }
        if (!command.json) {
          out.stdout(
            `Retried ${label(record)}: pending again, attempts from 0 of ${record.maxAttempts}.\n`,
          );
        }
        return 0;
      }
    }
  } finally {
    await jobs.close();
  }
}
