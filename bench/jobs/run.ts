/**
 * `npm run bench:jobs`: weft/jobs' throughput and latency on SQLite, every
 * result checked, written to `bench/results/jobs-node<major>.json` and the
 * Jobs section of `BENCHMARKS.md` (regenerated with the rest of the report,
 * so `npm run bench` keeps it).
 *
 * Scenarios, for each contender of `contenders.ts`:
 *   enqueue-serial      N `enqueue` calls, each awaited before the next;
 *   enqueue-concurrent  the same N from 16 producers at once (one process);
 *   enqueue-many        one `enqueueMany` of N;
 *   process-1, -4       N trivial jobs already queued, drained by 1 or 4
 *                       worker processes (forked, `concurrency` 24 each):
 *                       jobs/s from the first handler start to the last
 *                       outcome stored;
 *   latency-*           an idle worker, jobs enqueued one at a time 10 ms
 *                       apart: enqueue call → handler start, with the
 *                       worker in the same process (woken by the enqueue)
 *                       or in another (it finds jobs by polling, pollMs
 *                       10, 50, 250, 1000).
 * Every run checks its result (counts, each job's state, attempts and
 * result, each handler started exactly once across processes); a failed
 * check ends the run, naming the scenario, and nothing is written.
 *
 * Options: --quick (small N, one round, a few seconds; writes to
 * .tmp/bench-jobs-quick/ unless --results/--out say otherwise), --only
 * ID,ID (scenario ids or prefixes: enqueue, process, latency), --contender
 * ID, --rounds R, --n N (enqueue and processing), --latency-n N, --results
 * DIR, --out FILE, --cpu-prof (worker processes write .cpuprofile files to
 * .tmp/bench-profiles/), --verbose.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../report-file.js';
import { major } from '../results.js';
import { flag, numberArg, quantile, textArg } from '../stats.js';
import {
  type BenchPayload,
  type JobOutcome,
  type JobsClient,
  type JobsContender,
  monoNow,
} from './contender.js';
import { CONTENDER_IDS, loadContender } from './contenders.js';
import { DRIVER_DIR } from './driver.js';
import type {
  JobsCheck,
  JobsRow,
  JobsScenarioResult,
  JobsSuiteResult,
  LatencySummary,
} from './results.js';
import {
  CONCURRENCY,
  POLLS,
  PROCESSES,
  PROCESSING_POLL_MS,
  PRODUCERS,
  SPACING_MS,
} from './settings.js';
import type { FromWorker, ToWorker, WorkerReport } from './worker.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const QUICK = flag('quick');
const VERBOSE = flag('verbose');
const PROFILE = flag('cpu-prof');
const ONLY = textArg('only', '');
const CONTENDER = textArg('contender', '');
// Quick: enough jobs that each of 4 processes x 24 slots claims many times (at 300,
// one fast process could take them all before another's first claim).
const N = numberArg('n', QUICK ? 2_000 : 50_000);
const LATENCY_N = numberArg('latency-n', QUICK ? 20 : 1_000);
/**
 * Single adds per enqueue run: each is one commit, which on PostgreSQL
 * waits for its WAL flush (a few ms on this disk), so 50,000 awaited adds
 * would take minutes per contender and round. N ÷ 5 unless given.
 */
const SINGLE_N = numberArg('single-n', Math.ceil(N / 5));
const ROUNDS = numberArg('rounds', QUICK ? 1 : 3);
/** Worker processes of the retry scenario. */
const RETRY_PROCESSES = 4;
const PARTIAL =
  ONLY !== '' ||
  CONTENDER !== '' ||
  ['--n', '--single-n', '--latency-n', '--rounds'].some((a) => process.argv.includes(a));
const MODE: JobsSuiteResult['mode'] = QUICK ? 'quick' : PARTIAL ? 'partial' : 'full';

/** Each scenario run must end within this, or the run fails naming it. */
const DEADLINE_MS = QUICK ? 60_000 : 300_000;

const defaultDir = QUICK
  ? '.tmp/bench-jobs-quick'
  : PARTIAL
    ? '.tmp/bench-jobs-partial'
    : 'bench/results';
const RESULTS_DIR = resolve(ROOT, textArg('results', defaultDir));
const OUT = resolve(
  ROOT,
  textArg('out', MODE === 'full' ? 'BENCHMARKS.md' : join(RESULTS_DIR, 'BENCHMARKS.md')),
);

const scratch = mkdtempSync(join(tmpdir(), 'weft-bench-jobs-'));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});
const profileDir = resolve(ROOT, '.tmp/bench-profiles');
if (PROFILE) mkdirSync(profileDir, { recursive: true });

const log = (text: string): void => {
  if (VERBOSE) process.stderr.write(`${text}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// Checks

const checks: JobsCheck[] = [];

class CheckFailed extends Error {}

/** Record a check that held, or end the run naming the scenario. */
function check(scenario: string, c: JobsContender, ok: boolean, what: string, detail = ''): void {
  if (!ok) {
    throw new CheckFailed(
      `check failed in scenario '${scenario}' (${c.name}): ${what}${detail ? `: ${detail}` : ''}`,
    );
  }
  if (!checks.some((x) => x.scenario === scenario && x.contender === c.id && x.check === what)) {
    checks.push({ scenario, contender: c.id, check: what });
  }
}

const STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];

function countsCheck(
  scenario: string,
  c: JobsContender,
  counts: Record<string, number>,
  state: string,
  n: number,
): void {
  const others = STATES.filter((s) => s !== state && (counts[s] ?? 0) !== 0);
  check(
    scenario,
    c,
    (counts[state] ?? 0) === n && others.length === 0,
    `counts(): ${state} = N, every other state 0`,
    JSON.stringify(counts),
  );
}

/** Every job stored once, with its own payload; for run jobs, succeeded once with its result. */
function outcomesCheck(
  scenario: string,
  c: JobsContender,
  ids: string[],
  outcomes: JobOutcome[],
  state: 'pending' | 'succeeded',
  attempts = 1,
): void {
  const n = ids.length;
  check(scenario, c, new Set(ids).size === n, 'N distinct ids returned', `${new Set(ids).size}`);
  const byId = new Map(outcomes.map((o) => [o.id, o]));
  check(
    scenario,
    c,
    outcomes.length === n && ids.every((id) => byId.has(id)),
    'the store holds exactly the N jobs enqueued',
    `${outcomes.length} stored`,
  );
  const payloads = new Set(outcomes.map((o) => o.payload.i));
  check(
    scenario,
    c,
    payloads.size === n && [...payloads].every((i) => i >= 0 && i < n),
    'each payload stored once',
  );
  if (state === 'pending') {
    const bad = outcomes.find((o) => o.state !== 'pending' || o.attempts !== 0);
    check(scenario, c, bad === undefined, 'every job pending, 0 attempts', JSON.stringify(bad));
  } else {
    const bad = outcomes.find(
      (o) =>
        o.state !== 'succeeded' ||
        o.attempts !== attempts ||
        o.result !== o.payload.i ||
        o.finishedAt === undefined,
    );
    check(
      scenario,
      c,
      bad === undefined,
      `every job succeeded, after ${attempts} attempt${attempts === 1 ? '' : 's'}, with its own result`,
      JSON.stringify(bad),
    );
  }
}

/** Each job's handler started exactly `times` (once), whichever process ran it. */
function ranOnceCheck(
  scenario: string,
  c: JobsContender,
  ids: string[],
  ran: string[],
  times = 1,
): void {
  const seen = new Map<string, number>();
  for (const id of ran) seen.set(id, (seen.get(id) ?? 0) + 1);
  const twice = [...seen].filter(([, k]) => k !== times).map(([id]) => id);
  const never = ids.filter((id) => !seen.has(id));
  const known = new Set(ids);
  const stray = [...seen.keys()].filter((id) => !known.has(id));
  check(
    scenario,
    c,
    twice.length === 0 && never.length === 0 && stray.length === 0,
    `every handler started exactly ${times === 1 ? 'once' : 'twice'} (across all worker processes)`,
    `other counts: ${twice.slice(0, 5)}, never: ${never.slice(0, 5)}, unknown: ${stray.slice(0, 5)}`,
  );
}

// ---------------------------------------------------------------------------
// Helpers

/** Resolve once `test()` holds, polling every `everyMs`; fail the scenario after the deadline. */
async function until(
  scenario: string,
  what: string,
  test: () => Promise<boolean>,
  everyMs = 50,
): Promise<void> {
  const deadline = performance.now() + DEADLINE_MS;
  while (!(await test())) {
    if (performance.now() > deadline) {
      throw new CheckFailed(
        `check failed in scenario '${scenario}': ${what} within ${DEADLINE_MS / 1000} s`,
      );
    }
    await sleep(everyMs);
  }
}

const ended = (counts: Record<string, number>): number =>
  (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.cancelled ?? 0);

let storeCount = 0;

/** A fresh store for one run, opened; dropped afterwards whatever happens. */
async function withStore<T>(
  c: JobsContender,
  label: string,
  fn: (client: JobsClient, store: string) => Promise<T>,
): Promise<T> {
  const store = await c.createStore(scratch, `${label}-${storeCount++}`);
  const client = await c.open(store);
  try {
    return await fn(client, store);
  } finally {
    await client.close();
    await c.dropStore(store);
  }
}

/** A forked worker process, ready (its store open), not yet working. */
interface WorkerProcess {
  go(): void;
  stop(): Promise<WorkerReport>;
}

async function startWorker(
  scenario: string,
  c: JobsContender,
  store: string,
  pollMs: number,
): Promise<WorkerProcess> {
  const child = fork(
    join(ROOT, 'bench/jobs/worker.ts'),
    [
      '--contender',
      c.id,
      '--store',
      store,
      '--concurrency',
      String(CONCURRENCY),
      '--poll-ms',
      String(pollMs),
    ],
    {
      cwd: ROOT,
      execArgv: [
        ...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
        '--import',
        'tsx',
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  children.add(child);
  const exited = new Promise<never>((_, reject) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      reject(
        new CheckFailed(
          `check failed in scenario '${scenario}' (${c.name}): worker process ${child.pid} exited with ${code ?? signal}`,
        ),
      );
    });
  });
  exited.catch(() => {});
  const message = (type: FromWorker['type']): Promise<FromWorker> =>
    Promise.race([
      exited,
      new Promise<FromWorker>((resolvePromise) => {
        const listener = (m: FromWorker): void => {
          if (m.type !== type) return;
          child.off('message', listener);
          resolvePromise(m);
        };
        child.on('message', listener);
      }),
    ]);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    message('ready'),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CheckFailed(
              `check failed in scenario '${scenario}': a worker process never got ready`,
            ),
          ),
        DEADLINE_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  const send = (m: ToWorker): void => {
    child.send(m);
  };
  return {
    go: () => send({ type: 'go' }),
    async stop() {
      const report = message('report');
      send({ type: 'stop' });
      const got = (await report) as WorkerReport;
      // It exits once its store is closed; one that lingers is ended (it has reported).
      const gone = new Promise<void>((r) =>
        child.exitCode !== null ? r() : child.once('exit', () => r()),
      );
      await Promise.race([gone, sleep(10_000)]);
      if (child.exitCode === null) {
        console.warn(`worker process ${child.pid} did not exit after its report: ended`);
        child.kill('SIGKILL');
        await gone;
      }
      return got;
    },
  };
}

function summarize(latencies: number[]): LatencySummary {
  return {
    n: latencies.length,
    p50: quantile(latencies, 0.5),
    p90: quantile(latencies, 0.9),
    p99: quantile(latencies, 0.99),
    max: Math.max(...latencies),
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
  };
}

// ---------------------------------------------------------------------------
// Scenarios

interface Throughput {
  id: string;
  group: 'enqueue' | 'processing';
  title: string;
  work: string;
  processes?: number;
  /** Jobs per run as a share of N (default 1). */
  size?: number;
  /** One run at size `n`: jobs/s (and the processing shares). */
  run: (c: JobsContender, n: number) => Promise<{ perSecond: number; shares?: number[] }>;
}

const payloadsOf = (n: number): BenchPayload[] =>
  Array.from({ length: n }, (_, i) => ({ i, t: 0 }));

async function enqueueRun(
  id: string,
  c: JobsContender,
  n: number,
  produce: (client: JobsClient, payloads: BenchPayload[]) => Promise<string[]>,
): Promise<{ perSecond: number }> {
  return withStore(c, id, async (client) => {
    const payloads = payloadsOf(n);
    const started = performance.now();
    const ids = await produce(client, payloads);
    const ms = performance.now() - started;
    countsCheck(id, c, await client.counts(), 'pending', n);
    outcomesCheck(id, c, ids, await client.outcomes(), 'pending');
    return { perSecond: n / (ms / 1000) };
  });
}

async function processingRun(
  id: string,
  c: JobsContender,
  n: number,
  processes: number,
  failOnce = false,
): Promise<{ perSecond: number; shares: number[] }> {
  return withStore(c, id, async (client, store) => {
    const payloads = payloadsOf(n);
    if (failOnce) for (const p of payloads) p.f = 1;
    const ids = await client.enqueueMany(payloads);
    await c.steady?.(store);
    const workers = await Promise.all(
      Array.from({ length: processes }, () => startWorker(id, c, store, PROCESSING_POLL_MS)),
    );
    for (const w of workers) w.go();
    await until(id, `all ${n} jobs ended`, async () => ended(await client.counts()) >= n);
    const reports = await Promise.all(workers.map((w) => w.stop()));
    countsCheck(id, c, await client.counts(), 'succeeded', n);
    const outcomes = await client.outcomes();
    const attempts = failOnce ? 2 : 1;
    outcomesCheck(id, c, ids, outcomes, 'succeeded', attempts);
    ranOnceCheck(
      id,
      c,
      ids,
      reports.flatMap((r) => r.ids),
      attempts,
    );
    check(
      id,
      c,
      reports.every((r) => r.failed === 0),
      failOnce
        ? 'no attempt failed but the planned first ones (worker stats)'
        : 'no attempt failed (worker stats)',
    );
    if (!failOnce) {
      // (The retry run is smaller: a process may find every job taken.)
      check(
        id,
        c,
        reports.every((r) => r.ids.length > 0),
        'every worker process ran jobs',
        reports.map((r) => r.ids.length).join(', '),
      );
    }
    const first = Math.min(...reports.map((r) => r.firstStart ?? Number.POSITIVE_INFINITY));
    const last = Math.max(...outcomes.map((o) => o.finishedAt ?? 0));
    return { perSecond: n / ((last - first) / 1000), shares: reports.map((r) => r.ids.length) };
  });
}

const THROUGHPUT: Throughput[] = [
  {
    id: 'enqueue-serial',
    group: 'enqueue',
    size: SINGLE_N / N,
    title: 'enqueue, one at a time',
    work: `${SINGLE_N.toLocaleString('en')} \`enqueue\` calls (N ÷ 5: each is one commit), each awaited before the next (one process, no worker).`,
    run: (c, n) =>
      enqueueRun('enqueue-serial', c, n, async (client, payloads) => {
        const ids: string[] = [];
        for (const p of payloads) ids.push(await client.enqueue(p));
        return ids;
      }),
  },
  {
    id: 'enqueue-concurrent',
    group: 'enqueue',
    size: SINGLE_N / N,
    title: `enqueue, ${PRODUCERS} concurrent producers`,
    work: `The same ${SINGLE_N.toLocaleString('en')} \`enqueue\` calls from ${PRODUCERS} producers at once in one process, each awaiting its own calls one after another.`,
    run: (c, n) =>
      enqueueRun('enqueue-concurrent', c, n, async (client, payloads) => {
        const ids: string[] = new Array(payloads.length);
        await Promise.all(
          Array.from({ length: PRODUCERS }, async (_, k) => {
            for (let i = k; i < payloads.length; i += PRODUCERS) {
              ids[i] = await client.enqueue(payloads[i]!);
            }
          }),
        );
        return ids;
      }),
  },
  {
    id: 'enqueue-many',
    group: 'enqueue',
    title: 'enqueueMany, one call',
    work: 'One `enqueueMany` of N payloads (one transaction).',
    run: (c, n) =>
      enqueueRun('enqueue-many', c, n, (client, payloads) => client.enqueueMany(payloads)),
  },
  ...PROCESSES.map(
    (processes): Throughput => ({
      id: `process-${processes}`,
      group: 'processing',
      title: `drain N queued jobs, ${processes} worker process${processes === 1 ? '' : 'es'}`,
      work: `N trivial jobs (the handler returns its payload's index) enqueued with \`enqueueMany\`, then drained by ${processes} forked worker process${processes === 1 ? '' : 'es'} on the same file, \`concurrency\` ${CONCURRENCY} each, started together once every process has opened the store. jobs/s = N ÷ (last outcome stored − first handler start).`,
      processes,
      run: (c, n) => processingRun(`process-${processes}`, c, n, processes),
    }),
  ),
  {
    id: 'retry',
    group: 'processing',
    title: `retry path: fail once, then succeed, ${RETRY_PROCESSES} worker processes`,
    work: `N ÷ 5 jobs whose handler throws on its first attempt and succeeds on its second, enqueued allowing 2 attempts with no backoff (where the library allows none), drained by ${RETRY_PROCESSES} worker processes, \`concurrency\` ${CONCURRENCY} each. Completions/s = jobs ÷ (last outcome stored − first handler start); every job must end succeeded after exactly 2 attempts.`,
    processes: RETRY_PROCESSES,
    size: 1 / 5,
    run: (c, n) => processingRun('retry', c, n, RETRY_PROCESSES, true),
  },
];

interface Latency {
  id: string;
  title: string;
  work: string;
  pollMs: number | null;
}

const LATENCY: Latency[] = [
  {
    id: 'latency-same',
    title: 'latency, worker in the same process',
    work: `An idle worker in the producing process (\`pollMs\` 1000, \`concurrency\` ${CONCURRENCY}); jobs enqueued one at a time, ${SPACING_MS} ms apart: each \`enqueue\` wakes the worker at once.`,
    pollMs: null,
  },
  ...POLLS.map(
    (pollMs): Latency => ({
      id: `latency-poll-${pollMs}`,
      title: `latency, worker in another process, pollMs ${pollMs}`,
      work: `An idle worker in another process (\`pollMs\` ${pollMs}); jobs enqueued one at a time, ${SPACING_MS} ms apart: the worker finds each one at its next poll.`,
      pollMs,
    }),
  ),
];

/** Enqueue `m` jobs `SPACING_MS` apart, each carrying the time its enqueue was called. */
async function produceSpaced(client: JobsClient, m: number): Promise<string[]> {
  const ids: string[] = [];
  const start = monoNow();
  for (let i = 0; i < m; i++) {
    const wait = start + i * SPACING_MS - monoNow();
    if (wait > 0) await sleep(wait);
    ids.push(await client.enqueue({ i, t: monoNow() }));
  }
  return ids;
}

async function latencyRun(s: Latency, c: JobsContender, m: number): Promise<LatencySummary> {
  return withStore(c, s.id, async (client, store) => {
    let latencies: number[];
    let ran: string[];
    let ids: string[];
    if (s.pollMs === null) {
      latencies = [];
      ran = [];
      const worker = client.work({
        concurrency: CONCURRENCY,
        pollMs: 1000,
        onStart: (payload, id) => {
          latencies.push(monoNow() - payload.t);
          ran.push(id);
        },
      });
      await sleep(100); // its first claim found nothing: idle
      ids = await produceSpaced(client, m);
      await until(s.id, `all ${m} jobs ended`, async () => ended(await client.counts()) >= m, 10);
      await worker.stop();
      check(s.id, c, worker.failed() === 0, 'no attempt failed (worker stats)');
    } else {
      const [worker] = [await startWorker(s.id, c, store, s.pollMs)];
      worker!.go();
      await sleep(100);
      ids = await produceSpaced(client, m);
      await until(s.id, `all ${m} jobs ended`, async () => ended(await client.counts()) >= m, 10);
      const report = await worker!.stop();
      check(s.id, c, report.failed === 0, 'no attempt failed (worker stats)');
      latencies = report.latencies;
      ran = report.ids;
    }
    countsCheck(s.id, c, await client.counts(), 'succeeded', m);
    outcomesCheck(s.id, c, ids, await client.outcomes(), 'succeeded');
    ranOnceCheck(s.id, c, ids, ran);
    check(
      s.id,
      c,
      latencies.length === m && latencies.every((x) => Number.isFinite(x) && x >= 0),
      'a latency for every job',
    );
    return summarize(latencies);
  });
}

// ---------------------------------------------------------------------------
// The run

const selected = (id: string): boolean =>
  ONLY === '' || ONLY.split(',').some((o) => id === o.trim() || id.startsWith(`${o.trim()}-`));

const contenders: JobsContender[] = [];
/** Contenders that cannot run on this Node, and why (in the report). */
const skipped: Array<{ id: string; name: string; reason: string }> = [];
for (const id of CONTENDER_IDS) {
  if (CONTENDER !== '' && !CONTENDER.split(',').includes(id)) continue;
  const c = await loadContender(id);
  const reason = c.unsupported?.();
  if (reason === undefined) contenders.push(c);
  else {
    skipped.push({ id: c.id, name: c.name, reason });
    console.log(`  ${c.name}: not run on Node ${process.version}: ${reason}`);
  }
}
if (contenders.length === 0) throw new Error(`no jobs contender runs here for '${CONTENDER}'`);

function machine(): JobsSuiteResult['machine'] {
  const list = cpus();
  return {
    cpu: (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    load: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Which better-sqlite3 ran, for the report. */
function driverLabel(): string {
  const dir = DRIVER_DIR ? DRIVER_DIR : join(ROOT, 'node_modules');
  let version = '?';
  try {
    version = (
      JSON.parse(readFileSync(join(dir, 'better-sqlite3/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {}
  return DRIVER_DIR
    ? `better-sqlite3 ${version}, built for Node ${major(process.version)}'s ABI (WEFT_BENCH_BETTER_SQLITE3)`
    : `better-sqlite3 ${version} (the project's)`;
}

const suiteStarted = performance.now();
const loadBefore = machine().load;
console.log(
  `weft bench:jobs (${MODE}) on Node ${process.version} — N = ${N}, latency N = ${LATENCY_N}, ${ROUNDS} round(s); load average ${loadBefore.join(' ')}`,
);

const results: JobsScenarioResult[] = [];
try {
  const throughput = THROUGHPUT.filter((s) => selected(s.id));
  const rows = new Map<string, JobsRow>();
  const seconds = new Map<string, number>();
  const rowOf = (s: Throughput, c: JobsContender): JobsRow => {
    const key = `${s.id}:${c.id}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = {
        contender: c.id,
        name: c.name,
        library: c.library,
        n: Math.ceil(N * (s.size ?? 1)),
        samples: [],
      };
      if (s.group === 'processing') row.shares = [];
      rows.set(key, row);
    }
    return row;
  };
  // A warm-up at a quarter of N (not counted), then rounds in a rotating order.
  for (let round = QUICK ? 0 : -1; round < ROUNDS; round++) {
    const measured = round >= 0;
    for (let k = 0; k < throughput.length; k++) {
      const s = throughput[(Math.max(0, round) + k) % throughput.length]!;
      if (!measured && s.group === 'processing') continue; // processes start fresh anyway
      for (const c of contenders) {
        const started = performance.now();
        const n = Math.ceil((measured ? N : N / 4) * (s.size ?? 1));
        const { perSecond, shares } = await s.run(c, n);
        log(`  ${s.id} ${c.id}${measured ? '' : ' (warm-up)'}: ${Math.round(perSecond)} jobs/s`);
        if (!measured) continue;
        const row = rowOf(s, c);
        row.samples.push(perSecond);
        if (shares !== undefined) row.shares!.push(shares);
        seconds.set(s.id, (seconds.get(s.id) ?? 0) + (performance.now() - started) / 1000);
      }
    }
  }
  for (const s of throughput) {
    const result: JobsScenarioResult = {
      id: s.id,
      group: s.group,
      title: s.title,
      work: s.work,
      n: Math.ceil(N * (s.size ?? 1)),
      rows: contenders.map((c) => rowOf(s, c)),
      seconds: seconds.get(s.id) ?? 0,
    };
    if (s.processes !== undefined) result.processes = s.processes;
    results.push(result);
    for (const row of result.rows) {
      const sorted = [...row.samples].sort((a, b) => a - b);
      console.log(
        `  ${s.title.padEnd(48)} ${row.name.padEnd(16)} ${Math.round(quantile(sorted, 0.5)).toLocaleString('en').padStart(8)} jobs/s  (${sorted.map((x) => Math.round(x)).join(', ')})`,
      );
    }
  }
  for (const s of LATENCY.filter((x) => selected(x.id))) {
    const started = performance.now();
    const result: JobsScenarioResult = {
      id: s.id,
      group: 'latency',
      title: s.title,
      work: s.work,
      n: LATENCY_N,
      pollMs: s.pollMs,
      rows: [],
      seconds: 0,
    };
    for (const c of contenders) {
      const latency = await latencyRun(s, c, LATENCY_N);
      result.rows.push({
        contender: c.id,
        name: c.name,
        library: c.library,
        n: LATENCY_N,
        samples: [],
        latency,
      });
      const f = (x: number): string => x.toFixed(1).padStart(7);
      console.log(
        `  ${s.title.padEnd(48)} ${c.name.padEnd(16)} p50 ${f(latency.p50)}  p90 ${f(latency.p90)}  p99 ${f(latency.p99)}  max ${f(latency.max)} ms`,
      );
    }
    result.seconds = (performance.now() - started) / 1000;
    results.push(result);
  }
} catch (error) {
  console.error(`\nbench:jobs FAILED on Node ${process.version}:`);
  console.error(error instanceof CheckFailed ? error.message : error);
  process.exit(1);
}

const suite: JobsSuiteResult = {
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
  mode: MODE,
  machine: { ...machine(), load: loadBefore, loadAfter: machine().load },
  driver: driverLabel(),
  contenders: contenders.map(({ id, name, library, backend, notes }) => ({
    id,
    name,
    library,
    backend,
    ...(notes === undefined ? {} : { notes }),
  })),
  skipped,
  settings: {
    rounds: ROUNDS,
    producers: PRODUCERS,
    concurrency: CONCURRENCY,
    processingPollMs: PROCESSING_POLL_MS,
    spacingMs: SPACING_MS,
  },
  scenarios: results,
  checks,
  seconds: (performance.now() - suiteStarted) / 1000,
};
mkdirSync(RESULTS_DIR, { recursive: true });
const file = join(RESULTS_DIR, `jobs-node${major(process.version)}.json`);
writeFileSync(file, `${JSON.stringify(suite, null, 1)}\n`);
console.log(`${checks.length} checks held; results in ${file}`);
writeReport(ROOT, RESULTS_DIR, OUT);
console.log(`${OUT} written (${suite.seconds.toFixed(1)} s)`);
