// `weft jobs`: the command run as a real subprocess against SQLite job
// stores prepared here with openJobs/enqueue (and a worker for the jobs that
// must have run), its effects checked through openJobs, every error case
// with its exit status, and no store file ever created by the command.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { CliError, EXIT_CODES } from '../src/cli/errors.js';
import { parseJobsCommand } from '../src/cli/jobs-args.js';
import { ERROR_WIDTH, formatTime } from '../src/cli/jobs-format.js';
import { sleep } from '../src/index.js';
import {
  defineJob,
  JobFailedError,
  type JobRecord,
  type Jobs,
  openJobs,
} from '../src/jobs/index.js';
import { delay } from './helpers.js';
import { dropSchema, freshSchema, POSTGRES_URL, sql } from './postgres-helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** tsx, resolved here: the command also runs with another working directory. */
const tsx = import.meta.resolve('tsx');
const dir = mkdtempSync(join(tmpdir(), 'weft-cli-jobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `weft ...args` as a subprocess (from the sources unless `entry` says otherwise). */
function weft(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; entry?: string[] } = {},
): Promise<Run> {
  const entry = options.entry ?? ['--import', tsx, `${root}src/cli/weft.ts`];
  const env = { ...process.env, ...options.env };
  if (options.env?.WEFT_JOBS_URL === undefined) delete env.WEFT_JOBS_URL;
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: options.cwd ?? root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) => {
    child.on('error', (err) => resolve({ code: null, stdout, stderr: `${stderr}${err}` }));
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `weft jobs ...args --url URL`. */
const jobsCmd = (url: string, ...args: string[]) => weft(['jobs', ...args, '--url', url]);

/** Rows of a table printed after `skip` lines, cells cut at the header's column starts. */
function parseTable(text: string, skip: number): Array<Record<string, string>> {
  const lines = text.trimEnd().split('\n').slice(skip);
  const header = lines[0]!;
  const names = header.split(/ {2,}/);
  const starts = names.map((n) => header.indexOf(n));
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    names.forEach((n, i) => {
      row[n] = line.slice(starts[i], starts[i + 1] ?? line.length).trim();
    });
    return row;
  });
}

/** A record as `--json` prints it. */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

/** The files of `dir` (to check that nothing was created or left behind). */
const filesIn = (d: string) => readdirSync(d).sort();

function assertUsage(run: Run, message: RegExp): void {
  assert.equal(run.code, EXIT_CODES.USAGE, run.stderr);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /^weft: /);
  assert.match(run.stderr, message);
  assert.match(run.stderr, /see weft jobs.* --help\)\n$/);
}

// ---------------------------------------------------------------------------
// The store: five jobs in known states

const resize = defineJob('resize', async (p: { width: number }) => ({ resized: p.width }), {
  queue: 'images',
});
const LONG =
  'the mail server said no\nbecause the mailbox of the recipient is full, and it will stay full for days';
const sendMail = defineJob(
  'send-mail',
  async (_p: { to: string }) => {
    throw new Error(LONG);
  },
  { maxAttempts: 2, backoff: 0 },
);
const report = defineJob('report', async (_p: null, ctx) => {
  await ctx.progress({ page: 3 });
  return 'done';
});
/** Runs until cancelled, then takes 2 s to clean up: it is still running when `cancel` looks. */
const block = defineJob('block', async (_p: null, ctx) => {
  await ctx.progress('started');
  try {
    await sleep(120_000);
  } catch (error) {
    await sleep(2_000);
    throw error;
  }
});

interface Store {
  url: string;
  path: string;
  ids: { resized: string; failed: string; report: string; later: string; cancelled: string };
}

/** A store with: resize (succeeded), send-mail (failed), report (succeeded, with progress),
 *  a pending resize with a key, a cancelled send-mail. */
async function makeStore(name: string): Promise<Store> {
  const path = join(dir, name);
  const url = `sqlite:${path}`;
  const jobs = await openJobs(url);
  try {
    const worker = jobs.worker({ jobs: [resize, sendMail, report], pollMs: 10, onError() {} });
    const running = worker.run();
    const resized = await jobs.enqueue(resize, { width: 640 });
    assert.deepEqual(await resized.result(), { resized: 640 });
    const failed = await jobs.enqueue(sendMail, { to: 'ada@example.com' });
    await assert.rejects(failed.result(), JobFailedError);
    const done = await jobs.enqueue(report, null);
    await done.result();
    await worker.stop();
    await running;
    const later = await jobs.enqueue(resize, { width: 1 }, { delayMs: 3_600_000, key: 'nightly' });
    const cancelled = await jobs.enqueue(
      sendMail,
      { to: 'bob@example.com' },
      { delayMs: 3_600_000 },
    );
    assert.equal(await jobs.cancel(cancelled.id), true);
    return {
      url,
      path,
      ids: {
        resized: resized.id,
        failed: failed.id,
        report: done.id,
        later: later.id,
        cancelled: cancelled.id,
      },
    };
  } finally {
    await jobs.close();
  }
}

/** Open `url` here, run `fn`, close. */
async function withJobs<T>(url: string, fn: (jobs: Jobs) => Promise<T>): Promise<T> {
  const jobs = await openJobs(url);
  try {
    return await fn(jobs);
  } finally {
    await jobs.close();
  }
}

let store: Store;
before(async () => {
  store = await makeStore('jobs.db');
});

describe('weft jobs: reading a store', { timeout: 600_000 }, () => {
  test('list: the counts, then a table newest first with every column', async () => {
    const expected = await withJobs(store.url, (jobs) => jobs.list());
    const run = await jobsCmd(store.url, 'list');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const [countsLine, what] = run.stdout.split('\n');
    assert.equal(countsLine, '5 jobs: 1 pending, 0 running, 2 succeeded, 1 failed, 1 cancelled');
    assert.equal(what, '5 jobs, newest first:');
    const rows = parseTable(run.stdout, 2);
    assert.deepEqual(
      rows.map((r) => r.ID),
      expected.map((j) => j.id),
    );
    assert.deepEqual(
      rows.map((r) => r.ID),
      [store.ids.cancelled, store.ids.later, store.ids.report, store.ids.failed, store.ids.resized],
    );
    for (const [i, row] of rows.entries()) {
      const job = expected[i]!;
      assert.equal(row.NAME, job.name);
      assert.equal(row.QUEUE, job.queue);
      assert.equal(row.STATE, job.state);
      assert.equal(row.ATTEMPTS, `${job.attempts}/${job.maxAttempts}`);
      assert.equal(row.CREATED, formatTime(job.createdAt));
      assert.equal(row.FINISHED, job.finishedAt ? formatTime(job.finishedAt) : '-');
    }
    const failed = rows.find((r) => r.ID === store.ids.failed)!;
    assert.equal(failed.STATE, 'failed');
    assert.equal(failed.ATTEMPTS, '2/2');
    assert.equal(failed.QUEUE, 'default');
    // The error: name and message on one line, cut with an ellipsis.
    assert.equal([...failed.ERROR!].length, ERROR_WIDTH);
    assert.ok(failed.ERROR!.startsWith('Error: the mail server said no because the mailbox'));
    assert.ok(failed.ERROR!.endsWith('…'));
    assert.equal(rows.find((r) => r.ID === store.ids.resized)!.QUEUE, 'images');
    assert.equal(rows.find((r) => r.ID === store.ids.later)!.FINISHED, '-');
    assert.equal(
      rows.find((r) => r.ID === store.ids.cancelled)!.ERROR,
      'CancelledError: The job was cancelled',
    );
  });

  test('list --json: the records, as openJobs reads them', async () => {
    const expected = await withJobs(store.url, (jobs) => jobs.list());
    const run = await jobsCmd(store.url, 'list', '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), asJson(expected));
    const failed = (JSON.parse(run.stdout) as JobRecord[]).find((j) => j.id === store.ids.failed)!;
    assert.equal(failed.error?.message, LONG);
    assert.match(failed.error?.stack ?? '', /^Error: the mail server said no/);
  });

  test('list filters: --state (comma-separated or repeated), --name, --queue, --limit', async () => {
    const ids = async (...args: string[]) => {
      const run = await jobsCmd(store.url, 'list', '--json', ...args);
      assert.equal(run.code, 0, run.stderr);
      return (JSON.parse(run.stdout) as JobRecord[]).map((j) => j.id);
    };
    assert.deepEqual(await ids('--state', 'failed'), [store.ids.failed]);
    assert.deepEqual(await ids('--state', 'failed,cancelled'), [
      store.ids.cancelled,
      store.ids.failed,
    ]);
    assert.deepEqual(await ids('--state', 'failed', '--state', 'cancelled'), [
      store.ids.cancelled,
      store.ids.failed,
    ]);
    assert.deepEqual(await ids('--name', 'resize'), [store.ids.later, store.ids.resized]);
    assert.deepEqual(await ids('--queue', 'images', '--state', 'succeeded'), [store.ids.resized]);
    assert.deepEqual(await ids('--limit', '2'), [store.ids.cancelled, store.ids.later]);
    assert.deepEqual(await ids('--name', 'nobody'), []);

    const limited = await jobsCmd(
      store.url,
      'list',
      '--limit',
      '2',
      '--state',
      'succeeded,pending',
    );
    assert.equal(limited.code, 0, limited.stderr);
    assert.equal(
      limited.stdout.split('\n')[1],
      '2 jobs with state succeeded or pending, newest first (--limit 2: there may be older ones):',
    );
    assert.deepEqual(
      parseTable(limited.stdout, 2).map((r) => r.ID),
      [store.ids.later, store.ids.report],
    );
    const none = await jobsCmd(store.url, 'list', '--name', 'nobody', '--queue', 'q');
    assert.equal(none.code, 0, none.stderr);
    assert.equal(
      none.stdout,
      '5 jobs: 1 pending, 0 running, 2 succeeded, 1 failed, 1 cancelled\nNo jobs with name nobody, queue q.\n',
    );
  });

  test('show: every field of one job; --json: its record', async () => {
    const record = (await withJobs(store.url, (jobs) => jobs.get(store.ids.failed)))!;
    const run = await jobsCmd(store.url, 'show', store.ids.failed);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `job ${store.ids.failed}: send-mail`);
    const field = (label: string) => {
      const line = lines.find((l) => l.startsWith(`${label} `));
      assert.ok(line, `no ${label} line in:\n${run.stdout}`);
      return line.slice(label.length).trim();
    };
    assert.equal(field('queue'), 'default');
    assert.equal(field('state'), 'failed');
    assert.equal(field('attempts'), '2 of 2');
    assert.equal(field('priority'), '0');
    assert.equal(field('key'), '-');
    assert.match(
      field('created'),
      new RegExp(`^${formatTime(record.createdAt, true)} \\(.* ago\\)$`),
    );
    assert.match(field('finished'), new RegExp(`^${formatTime(record.finishedAt!, true)} \\(`));
    assert.match(field('started'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \(/);
    assert.match(field('run at'), /^\d{4}-/);
    assert.equal(field('progress'), '-');
    assert.equal(field('result'), '-');
    // The payload as indented JSON, on the lines after its label.
    const payloadAt = lines.findIndex((l) => l.startsWith('payload '));
    assert.deepEqual(
      lines.slice(payloadAt, payloadAt + 3).map((l) => l.trim()),
      ['payload   {', '"to": "ada@example.com"', '}'],
    );
    // The error's message (both lines) and its stack.
    assert.equal(field('error'), 'Error: the mail server said no');
    assert.ok(run.stdout.includes('because the mailbox of the recipient is full'));
    assert.match(field('stack'), /^Error: the mail server said no/);
    assert.match(run.stdout, /\n {10,}at /);

    const json = await jobsCmd(store.url, 'show', store.ids.failed, '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), asJson(record));

    const done = await jobsCmd(store.url, 'show', store.ids.report);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /\nprogress {2}\{\n {12}"page": 3\n {10}\}\n/);
    assert.match(done.stdout, /\nresult {4}"done"\n/);
    assert.match(done.stdout, /\nerror {5}-\n/);
    const later = await jobsCmd(store.url, 'show', store.ids.later);
    assert.match(later.stdout, /\nkey {7}nightly\n/);
    assert.match(later.stdout, /\nrun at {4}\S+ \S+ \(in (\d+m\d\ds|1h00m)\)\n/);
    assert.match(later.stdout, /\nstarted {3}-\n/);
  });

  test('counts: per state and in all; --json: the counts', async () => {
    const run = await jobsCmd(store.url, 'counts');
    assert.equal(run.code, 0, run.stderr);
    const rows = parseTable(run.stdout, 0);
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.STATE, Number(r.JOBS)])), {
      pending: 1,
      running: 0,
      succeeded: 2,
      failed: 1,
      cancelled: 1,
      total: 5,
    });
    const json = await jobsCmd(store.url, 'counts', '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), await withJobs(store.url, (jobs) => jobs.counts()));
  });

  test('an unknown id: its own exit status, for show, cancel and retry', async () => {
    for (const sub of ['show', 'cancel', 'retry']) {
      const run = await jobsCmd(store.url, sub, '424242');
      assert.equal(run.code, EXIT_CODES.NO_JOB, `${sub}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr, 'weft: No job has the id "424242"\n');
    }
    const word = await jobsCmd(store.url, 'show', 'abc', '--json');
    assert.equal(word.code, EXIT_CODES.NO_JOB);
    assert.equal(word.stdout, '');
  });
});

describe('weft jobs: cancel and retry', { timeout: 300_000 }, () => {
  test('cancel: a pending job is cancelled; a finished one is left, with its own status', async () => {
    const s = await makeStore('cancel.db');
    const run = await jobsCmd(s.url, 'cancel', s.ids.later);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `Cancelled job ${s.ids.later} (resize): it will not run.\n`);
    const after = (await withJobs(s.url, (jobs) => jobs.get(s.ids.later)))!;
    assert.equal(after.state, 'cancelled');
    assert.equal(after.error?.name, 'CancelledError');

    for (const [id, state] of [
      [s.ids.resized, 'succeeded'],
      [s.ids.failed, 'failed'],
      [s.ids.later, 'cancelled'],
    ] as const) {
      const again = await jobsCmd(s.url, 'cancel', id);
      assert.equal(again.code, EXIT_CODES.FINISHED, again.stderr);
      assert.equal(again.stdout, '');
      assert.match(
        again.stderr,
        new RegExp(`^weft: job ${id} \\(\\S+\\) had already finished \\(${state}\\)`),
      );
      assert.equal((await withJobs(s.url, (jobs) => jobs.get(id)))!.state, state);
    }
    const json = await jobsCmd(s.url, 'cancel', s.ids.resized, '--json');
    assert.equal(json.code, EXIT_CODES.FINISHED);
    const printed = JSON.parse(json.stdout) as { id: string; outcome: string; job: JobRecord };
    assert.equal(printed.outcome, 'already-finished');
    assert.equal(printed.job.state, 'succeeded');
  });

  test('cancel: a running job, run by a worker of another process, is cancelled there', async () => {
    const s = await makeStore('running.db');
    const jobs = await openJobs(s.url);
    try {
      const worker = jobs.worker({ jobs: [block], pollMs: 20 });
      const running = worker.run();
      const handle = await jobs.enqueue(block, null);
      while ((await jobs.get(handle.id))?.progress !== 'started') await delay(10);
      const listed = await jobsCmd(s.url, 'list', '--state', 'running');
      assert.deepEqual(
        parseTable(listed.stdout, 2).map((r) => [r.ID, r.STATE, r.ATTEMPTS]),
        [[handle.id, 'running', '1/3']],
      );
      const run = await jobsCmd(s.url, 'cancel', handle.id, '--json');
      assert.equal(run.code, 0, run.stderr);
      const printed = JSON.parse(run.stdout) as { id: string; outcome: string; job: JobRecord };
      assert.deepEqual(
        [printed.id, printed.outcome, printed.job.state],
        [handle.id, 'cancel-requested', 'running'],
      );
      await assert.rejects(handle.result({ timeoutMs: 10_000 }), { name: 'CancelledError' });
      assert.equal(await handle.status(), 'cancelled');
      await worker.stop();
      await running;
    } finally {
      await jobs.close();
    }
  });

  test('cancel (text) of a running job says the cancellation was requested', async () => {
    const s = await makeStore('running2.db');
    const jobs = await openJobs(s.url);
    try {
      const handle = await jobs.enqueue(block, null);
      const worker = jobs.worker({ jobs: [block], pollMs: 20 });
      const running = worker.run();
      while ((await jobs.get(handle.id))?.progress !== 'started') await delay(10);
      const run = await jobsCmd(s.url, 'cancel', handle.id);
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        new RegExp(`^Cancellation requested for job ${handle.id} \\(block\\)`),
      );
      await assert.rejects(handle.result({ timeoutMs: 10_000 }), { name: 'CancelledError' });
      await worker.stop();
      await running;
    } finally {
      await jobs.close();
    }
  });

  test('retry: a failed or cancelled job is pending again; others are not retryable', async () => {
    const s = await makeStore('retry.db');
    const run = await jobsCmd(s.url, 'retry', s.ids.failed);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      `Retried job ${s.ids.failed} (send-mail): pending again, attempts from 0 of 2.\n`,
    );
    const retried = (await withJobs(s.url, (jobs) => jobs.get(s.ids.failed)))!;
    assert.deepEqual([retried.state, retried.attempts, retried.error], ['pending', 0, undefined]);

    const json = await jobsCmd(s.url, 'retry', s.ids.cancelled, '--json');
    assert.equal(json.code, 0, json.stderr);
    const printed = JSON.parse(json.stdout) as { id: string; outcome: string; job: JobRecord };
    assert.deepEqual([printed.outcome, printed.job.state], ['retried', 'pending']);

    for (const [id, state] of [
      [s.ids.resized, 'succeeded'],
      [s.ids.later, 'pending'],
    ] as const) {
      const refused = await jobsCmd(s.url, 'retry', id);
      assert.equal(refused.code, EXIT_CODES.NOT_RETRYABLE, refused.stderr);
      assert.equal(refused.stdout, '');
      assert.match(
        refused.stderr,
        new RegExp(
          `^weft: job ${id} \\(resize\\) is not retryable: it is ${state} \\(only failed or cancelled`,
        ),
      );
      assert.equal((await withJobs(s.url, (jobs) => jobs.get(id)))!.state, state);
    }

    // A cancelled job whose key another pending job holds.
    await withJobs(s.url, async (jobs) => {
      assert.equal(await jobs.cancel(s.ids.later), true);
      await jobs.enqueue(resize, { width: 2 }, { delayMs: 3_600_000, key: 'nightly' });
    });
    const taken = await jobsCmd(s.url, 'retry', s.ids.later, '--json');
    assert.equal(taken.code, EXIT_CODES.NOT_RETRYABLE);
    assert.match(
      taken.stderr,
      /is not retryable: its key "nightly" is held by another pending or running job/,
    );
    assert.equal((JSON.parse(taken.stdout) as { outcome: string }).outcome, 'not-retryable');
    assert.equal((await withJobs(s.url, (jobs) => jobs.get(s.ids.later)))!.state, 'cancelled');
  });
});

describe('weft jobs: which store, and stores it refuses', { timeout: 300_000 }, () => {
  test('a missing file is refused and not created (--url, WEFT_JOBS_URL, the default)', async () => {
    const empty = mkdtempSync(join(dir, 'none-'));
    const missing = join(empty, 'typo.db');
    for (const url of [`sqlite:${missing}`, `sqlite://${missing}`]) {
      const run = await jobsCmd(url, 'list');
      assert.equal(run.code, EXIT_CODES.NO_STORE, run.stderr);
      assert.equal(run.stdout, '');
      assert.equal(
        run.stderr,
        `weft: No job store at ${url} (from --url): ${missing} does not exist. weft jobs does not create one; check the path, or run the app that opens the store first.\n`,
      );
    }
    const env = await weft(['jobs', 'counts'], { env: { WEFT_JOBS_URL: `sqlite:${missing}` } });
    assert.equal(env.code, EXIT_CODES.NO_STORE);
    assert.match(env.stderr, /\(from WEFT_JOBS_URL\)/);
    const byDefault = await weft(['jobs', 'cancel', '1'], { cwd: empty });
    assert.equal(byDefault.code, EXIT_CODES.NO_STORE);
    assert.match(
      byDefault.stderr,
      /^weft: No job store at sqlite:weft-jobs\.db \(the default: no --url, no WEFT_JOBS_URL\)/,
    );
    const inMissingDir = await jobsCmd(
      `sqlite:${join(empty, 'no', 'such', 'dir.db')}`,
      'show',
      '1',
    );
    assert.equal(inMissingDir.code, EXIT_CODES.NO_STORE);
    assert.deepEqual(filesIn(empty), [], 'the command created a file');
  });

  test('the URL: --url, else WEFT_JOBS_URL, else sqlite:weft-jobs.db in the working directory', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    await withJobs(`sqlite:${join(cwd, 'weft-jobs.db')}`, (jobs) =>
      jobs.enqueue(resize, { width: 3 }),
    );
    const count = (run: Run) => {
      assert.equal(run.code, 0, run.stderr);
      const counts = JSON.parse(run.stdout) as Record<string, number>;
      return Object.values(counts).reduce((a, b) => a + b, 0);
    };
    assert.equal(count(await weft(['jobs', 'counts', '--json'], { cwd })), 1);
    assert.equal(
      count(await weft(['jobs', 'counts', '--json'], { cwd, env: { WEFT_JOBS_URL: store.url } })),
      5,
    );
    assert.equal(
      count(
        await weft(['jobs', 'counts', '--json', '--url', 'sqlite:weft-jobs.db'], {
          cwd,
          env: { WEFT_JOBS_URL: store.url },
        }),
      ),
      1,
    );
  });

  test('files that are not job stores are refused and left untouched', async () => {
    const d = mkdtempSync(join(dir, 'bad-'));
    const text = join(d, 'notes.db');
    writeFileSync(text, 'not a database, just some notes\n');
    const blank = join(d, 'blank.db');
    writeFileSync(blank, '');
    const other = join(d, 'other.db');
    const db = new BetterSqlite3(other);
    db.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada')");
    db.close();
    const before = new Map([text, blank, other].map((f) => [f, readFileSync(f)]));
    const filesBefore = filesIn(d);

    const notSqlite = await jobsCmd(`sqlite:${text}`, 'list');
    assert.equal(notSqlite.code, EXIT_CODES.STORE, notSqlite.stderr);
    assert.equal(notSqlite.stdout, '');
    assert.equal(
      notSqlite.stderr,
      `weft: Cannot open the job store at sqlite:${text}: ${text} is not a SQLite database (its first bytes are not SQLite's header): weft leaves it untouched.\n`,
    );
    const empty = await jobsCmd(`sqlite:${blank}`, 'counts');
    assert.equal(empty.code, EXIT_CODES.NO_STORE);
    assert.match(empty.stderr, /is an empty file\. weft jobs leaves it untouched/);
    const foreign = await jobsCmd(`sqlite:${other}`, 'list', '--json');
    assert.equal(foreign.code, EXIT_CODES.NO_STORE);
    assert.match(
      foreign.stderr,
      /is a SQLite database without weft tables\. weft jobs leaves it untouched/,
    );
    const directory = await jobsCmd(`sqlite:${d}`, 'counts');
    assert.equal(directory.code, EXIT_CODES.STORE);
    assert.match(directory.stderr, /is not a file\n$/);

    for (const [file, bytes] of before) assert.deepEqual(readFileSync(file), bytes, file);
    assert.deepEqual(filesIn(d), filesBefore);
    assert.equal(statSync(blank).size, 0);
  });

  test('a store whose schema is newer than this weft: refused, untouched', async () => {
    const s = await makeStore('newer.db');
    const db = new BetterSqlite3(s.path);
    db.prepare('INSERT INTO weft_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      999,
      'from the future',
      Date.now(),
    );
    db.close();
    const run = await jobsCmd(s.url, 'list');
    assert.equal(run.code, EXIT_CODES.STORE, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /^weft: Cannot open the job store at sqlite:.*newer\.db: The job store's schema is version 999, newer than this weft knows \(\d+\)/,
    );
  });

  test('URLs it cannot use: memory, no path, another scheme (usage)', async () => {
    assertUsage(
      await jobsCmd('sqlite::memory:', 'list'),
      /sqlite::memory: is a store in the memory of one process/,
    );
    assertUsage(
      await jobsCmd('sqlite:', 'counts'),
      /to name a file \(sqlite:PATH\), got 'sqlite:'/,
    );
    assertUsage(
      await jobsCmd('mysql://db/app', 'counts'),
      /start with sqlite:, postgres:\/\/ or postgresql:\/\//,
    );
    assertUsage(
      await weft(['jobs', 'counts'], { env: { WEFT_JOBS_URL: 'sqlite::memory:' } }),
      /memory of one process/,
    );
    assertUsage(
      await weft(['jobs', 'counts'], { env: { WEFT_JOBS_URL: '' } }),
      /WEFT_JOBS_URL is set but empty/,
    );
  });

  test('PostgreSQL: a store in its schema is listed and acted on; a schema without one is refused untouched', async () => {
    const schema = freshSchema('cli');
    const jobs = await openJobs(POSTGRES_URL, { schema });
    try {
      const mail = defineJob('mail', (to: string) => to);
      const handle = await jobs.enqueue(mail, 'ada@example.com', { delayMs: 60_000 });
      const counts = await weft([
        'jobs',
        'counts',
        '--json',
        '--url',
        POSTGRES_URL,
        '--schema',
        schema,
      ]);
      assert.equal(counts.code, 0, counts.stderr);
      assert.deepEqual(JSON.parse(counts.stdout), {
        pending: 1,
        running: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
      });
      const cancel = await weft([
        'jobs',
        'cancel',
        handle.id,
        '--url',
        POSTGRES_URL,
        '--schema',
        schema,
      ]);
      assert.equal(cancel.code, 0, cancel.stderr);
      assert.equal(await handle.status(), 'cancelled');

      const missing = `${schema}_none`;
      const refused = await weft(['jobs', 'list', '--url', POSTGRES_URL, '--schema', missing]);
      assert.equal(refused.code, EXIT_CODES.NO_STORE, refused.stderr);
      assert.match(refused.stderr, new RegExp(`the schema "${missing}" holds no weft tables`));
      const { rows } = await sql('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [
        missing,
      ]);
      assert.equal(rows[0].n, 0, 'weft jobs created nothing');

      const down = await jobsCmd('postgres://u:secret@127.0.0.1:1/app', 'counts');
      assert.equal(down.code, EXIT_CODES.STORE);
      assert.match(
        down.stderr,
        /^weft: Cannot open the job store at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/app: .*refused/,
      );
      assertUsage(
        await weft(['jobs', 'counts', '--url', POSTGRES_URL, '--schema', '']),
        /`--schema` to be a PostgreSQL schema name/,
      );
    } finally {
      await jobs.close();
      await dropSchema(schema);
    }
  });
});

describe('weft jobs: the command line', { timeout: 300_000 }, () => {
  test('parsed: subcommands, ids, filters, defaults', () => {
    assert.deepEqual(parseJobsCommand(['list']), {
      command: 'list',
      url: undefined,
      json: false,
      filter: { limit: 20 },
    });
    assert.deepEqual(
      parseJobsCommand([
        'list',
        '--state',
        'failed,running',
        '--state',
        'failed',
        '--name',
        'a',
        '--queue',
        'q',
        '--limit',
        '5',
        '--url',
        'sqlite:x.db',
      ]),
      {
        command: 'list',
        url: 'sqlite:x.db',
        json: false,
        filter: { state: ['failed', 'running'], name: 'a', queue: 'q', limit: 5 },
      },
    );
    assert.deepEqual(parseJobsCommand(['retry', '7', '--json']), {
      command: 'retry',
      url: undefined,
      json: true,
      id: '7',
    });
    assert.deepEqual(parseJobsCommand(['--help']), { command: 'help', topic: 'jobs' });
    assert.deepEqual(parseJobsCommand(['show', '-h']), { command: 'help', topic: 'show' });
  });

  test('bad command lines are usage errors (exit 2) naming the problem', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Expected a subcommand: list, show, cancel, retry, counts/],
      [['top'], /Unknown subcommand 'top' of weft jobs/],
      [['show'], /Expected a job id: weft jobs show ID/],
      [['cancel', '1', '2'], /Expected one job id, got 2: 1 2/],
      [['retry', ''], /Expected a job id, got an empty string/],
      [['counts', 'x'], /weft jobs counts takes no argument, got: x/],
      [
        ['list', '--state', 'done'],
        /Expected `--state` to be one of pending, running, succeeded, failed, cancelled .*got 'done'/,
      ],
      [['list', '--state', 'failed,'], /got ''/],
      [['list', '--limit', '0'], /Expected `--limit` to be an integer >= 1, got '0'/],
      [['list', '--limit', '2.5'], /got '2\.5'/],
      [['list', '--name', ''], /Expected `--name` to be 1 to 200 characters long/],
      [['show', '1', '--state', 'failed'], /--state is an option of weft jobs list, not of show/],
      [['list', '--frobnicate'], /--frobnicate/],
      [['list', '--url', ''], /Expected `--url` to be a job store URL, got an empty string/],
    ];
    for (const [args, message] of cases) {
      assert.throws(
        () => parseJobsCommand(args),
        (err: unknown) =>
          err instanceof CliError && err.code === 'USAGE' && message.test(err.message),
        `${args.join(' ')}`,
      );
    }
    // The same through the real command: nothing opened, exit 2.
    assertUsage(await weft(['jobs']), /Expected a subcommand/);
    assertUsage(await weft(['jobs', 'list', '--limit', 'all', '--url', store.url]), /`--limit`/);
    assertUsage(await weft(['jobs', 'show', '--url', store.url]), /Expected a job id/);
    const before = await weft(['--json', 'jobs', 'list']);
    assert.equal(before.code, EXIT_CODES.USAGE);
    assert.match(before.stderr, /^weft: Put weft jobs first: weft jobs SUBCOMMAND/);
  });

  test('--help for weft jobs and each subcommand; weft --help mentions jobs', async () => {
    const top = await weft(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /weft jobs SUBCOMMAND .*the durable jobs of a job store/);
    const jobs = await weft(['jobs', '--help']);
    assert.equal(jobs.code, 0);
    assert.match(jobs.stdout, /^weft jobs: /);
    assert.match(jobs.stdout, /WEFT_JOBS_URL/);
    assert.match(
      jobs.stdout,
      /Exit status: 0 ok, 1 unexpected error, 2 bad arguments, 9 no job store/,
    );
    assert.equal((await weft(['help', 'jobs'])).stdout, jobs.stdout);
    for (const sub of ['list', 'show', 'cancel', 'retry', 'counts']) {
      const run = await weft(['jobs', sub, '--help']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Usage: weft jobs ${sub}`));
      assert.equal(run.stderr, '');
    }
    assert.match((await weft(['help', 'jobs', 'list'])).stdout, /^Usage: weft jobs list/);
  });

  test('output into a closed pipe ends quietly; the built command (dist) runs', async () => {
    const s = join(dir, 'many.db');
    await withJobs(`sqlite:${s}`, (jobs) =>
      jobs.enqueueMany(
        resize,
        Array.from({ length: 3000 }, (_, i) => ({ width: i })),
        { delayMs: 3_600_000 },
      ),
    );
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        `${root}src/cli/weft.ts`,
        'jobs',
        'list',
        '--limit',
        '3000',
        '--url',
        `sqlite:${s}`,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);

    const built = `${root}dist/cli/weft.js`;
    assert.ok(existsSync(built), 'dist/ is missing: run `npm run build` first');
    const run = await weft(['jobs', 'counts', '--json', '--url', store.url], { entry: [built] });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { failed: number }).failed, 1);
    const missing = await weft(
      ['jobs', 'list', '--url', `sqlite:${join(dir, 'nothing-here.db')}`],
      {
        entry: [built],
      },
    );
    assert.equal(missing.code, EXIT_CODES.NO_STORE);
    assert.equal(existsSync(join(dir, 'nothing-here.db')), false);
  });
});
