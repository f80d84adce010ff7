/**
 * The Jobs section of `BENCHMARKS.md`, from `bench/results/jobs-node*.json`
 * (`npm run bench:jobs`). Rendered by `bench/report.ts` with the rest of
 * the report, so that either benchmark regenerates the whole file.
 */

import { major } from '../results.js';
import { quantile } from '../stats.js';
import type { JobsScenarioResult, JobsSuiteResult } from './results.js';

const fmtInt = (x: number): string => Math.round(x).toLocaleString('en');

function fmtMs(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function duration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}

const label = (r: JobsSuiteResult): string => `Node ${major(r.node)}`;

const median = (xs: number[]): number => quantile(xs, 0.5);

/**
 * `samples ÷ reference`, round by round (the scenarios of a round ran one
 * after another, so they shared the machine's load), then the median.
 */
function roundRatio(samples: number[], reference: number[]): number {
  const k = Math.min(samples.length, reference.length);
  return median(Array.from({ length: k }, (_, i) => samples[i]! / reference[i]!));
}

/** The scenario every ratio of a group is taken against. */
const REFERENCE: Record<string, string> = {
  enqueue: 'enqueue-serial',
  processing: 'process-1',
};

function throughputTable(r: JobsSuiteResult): string[] {
  const scenarios = r.scenarios.filter((s) => s.group !== 'latency');
  if (scenarios.length === 0) return [];
  const lines = [
    `| scenario | contender | N | jobs/s (median) | min–max | × ${REFERENCE.enqueue} / × ${REFERENCE.processing} | rounds |`,
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  const shares: string[] = [];
  for (const s of scenarios) {
    for (const row of s.rows) {
      if (row.samples.length === 0) {
        lines.push(`| ${s.title} | ${row.name} | ${fmtInt(s.n)} | not measured |  |  |  |`);
        continue;
      }
      const m = median(row.samples);
      const ref = r.scenarios
        .find((x) => x.id === REFERENCE[s.group])
        ?.rows.find((x) => x.contender === row.contender);
      const ratio =
        ref === undefined || ref.samples.length === 0
          ? '—'
          : `${roundRatio(row.samples, ref.samples).toFixed(2)}×`;
      lines.push(
        `| ${s.title} | ${row.name} | ${fmtInt(s.n)} | ${fmtInt(m)} | ${fmtInt(Math.min(...row.samples))}–${fmtInt(Math.max(...row.samples))} | ${ratio} | ${row.samples.length} |`,
      );
      if (row.shares !== undefined && row.shares.length > 0 && (s.processes ?? 1) > 1) {
        shares.push(
          `${s.title}, ${row.name}: jobs per worker process in each round: ${row.shares.map((x) => x.map(fmtInt).join(' / ')).join('; ')}.`,
        );
      }
    }
  }
  if (shares.length > 0) lines.push('', ...shares);
  return lines;
}

/**
 * Every contender side by side: one row per scenario, the median jobs/s
 * (throughput) or p50 / p99 ms (latency) of each, and the best in bold.
 */
function headToHead(r: JobsSuiteResult): string[] {
  const ids = r.contenders.map((c) => c.id);
  if (ids.length < 2) return [];
  const lines = [
    `| scenario | ${r.contenders.map((c) => c.name).join(' | ')} |`,
    `|---|${ids.map(() => '---:').join('|')}|`,
  ];
  for (const s of r.scenarios) {
    const cells = ids.map((id) => {
      const row = s.rows.find((x) => x.contender === id);
      if (row === undefined) return { text: '—', score: undefined };
      if (s.group === 'latency') {
        const l = row.latency;
        return l === undefined
          ? { text: '—', score: undefined }
          : { text: `${fmtMs(l.p50)} / ${fmtMs(l.p99)}`, score: -l.p50 };
      }
      if (row.samples.length === 0) return { text: '—', score: undefined };
      const m = median(row.samples);
      return { text: fmtInt(m), score: m };
    });
    const best = Math.max(...cells.map((c) => c.score ?? Number.NEGATIVE_INFINITY));
    const unit = s.group === 'latency' ? 'p50 / p99 ms' : 'jobs/s';
    lines.push(
      `| ${s.title} (${unit}) | ${cells.map((c) => (c.score === best ? `**${c.text}**` : c.text)).join(' | ')} |`,
    );
  }
  return lines;
}

function latencyTable(r: JobsSuiteResult): string[] {
  const scenarios = r.scenarios.filter((s) => s.group === 'latency');
  if (scenarios.length === 0) return [];
  const lines = [
    '| worker | pollMs | contender | jobs | p50 | p90 | p99 | max | mean | p50 ÷ pollMs |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of scenarios) {
    const where =
      s.pollMs === null ? 'same process (woken by the enqueue)' : 'another process (polls)';
    for (const row of s.rows) {
      const l = row.latency;
      if (l === undefined) {
        lines.push(
          `| ${where} | ${s.pollMs ?? '—'} | ${row.name} | not measured |  |  |  |  |  |  |`,
        );
        continue;
      }
      lines.push(
        `| ${where} | ${s.pollMs ?? '—'} | ${row.name} | ${fmtInt(l.n)} | ${fmtMs(l.p50)} | ${fmtMs(l.p90)} | ${fmtMs(l.p99)} | ${fmtMs(l.max)} | ${fmtMs(l.mean)} | ${s.pollMs ? (l.p50 / s.pollMs).toFixed(2) : '—'} |`,
      );
    }
  }
  return lines;
}

function checksList(results: JobsSuiteResult[]): string[] {
  const names = new Map(results.flatMap((r) => r.contenders).map((c) => [c.id, c.name]));
  // One line per contender and list of checks, naming every scenario that held exactly those.
  const lines = new Map<string, { scenarios: string[]; on: Set<string> }>();
  for (const r of results) {
    const ids: string[] = [];
    for (const s of r.scenarios) if (!ids.includes(s.id)) ids.push(s.id);
    for (const id of ids) {
      const contenders = new Set(r.checks.filter((c) => c.scenario === id).map((c) => c.contender));
      for (const contender of contenders) {
        const list = r.checks
          .filter((c) => c.scenario === id && c.contender === contender)
          .map((c) => c.check);
        const key = `${names.get(contender) ?? contender}: ${list.join('; ')}.`;
        const line = lines.get(key) ?? { scenarios: [], on: new Set<string>() };
        if (!line.scenarios.includes(id)) line.scenarios.push(id);
        line.on.add(label(r));
        lines.set(key, line);
      }
    }
  }
  return [...lines].map(
    ([key, { scenarios, on }]) =>
      `- ${scenarios.map((id) => `**${id}**`).join(', ')} (${[...on].join(', ')}), ${key}`,
  );
}

/**
 * What profiling showed (`--cpu-prof` on the worker processes, and the
 * store's calls timed one by one), for the SQLite store and then the
 * PostgreSQL one. Rerun the profile when a store changes.
 */
const WHERE_TIME_GOES = [
  "- **Recording outcomes.** A worker writes the outcomes that end in the same turn of its event loop in one `BEGIN IMMEDIATE` transaction (the store's `finish` takes a batch), and claims up to its free `concurrency` jobs per transaction (24 in these drains). When every outcome was its own transaction, `finish` was about half of a one-process drain (timed call by call over 5,000 jobs); batching them made the one-process drain about 1.8× faster (same machine, old and new code alternating: 8,022 and 7,765 → 15,111 and 13,694 jobs/s on 5,000 jobs).",
  "- **More processes share one writer.** SQLite lets one transaction write at a time, so worker processes on one file queue for the write lock: SQLite's own wait (which blocks the event loop) is kept to 10 ms, and a longer one is retried asynchronously, so lease renewals keep running. An idle poll reads before it takes the write lock, so idle workers leave it to producers. With trivial handlers, 4 processes drain at about the rate of one or below (the × column): more processes on one SQLite file add resilience and handler concurrency, not write throughput.",
  '- **Enqueue** is one transaction per call: `enqueueMany` stores N jobs in one, over 10 times the rate of awaited single calls. In one process, concurrent producers gain little (better-sqlite3 is synchronous: the calls commit one after another).',
  "- **PostgreSQL drains are round-trip bound.** A CPU profile of a draining weft worker process showed it idle two thirds of the time, waiting on the database; timed one by one, a claim of 24 jobs takes about 1.0 ms and the outcomes of 24 about 1.1 ms (one statement each, each its own commit). A worker used to free a slot only once its outcome was stored, so each claim waited for the previous batch's write: freeing the slot when the handler ends (the outcome's write then overlaps the next claim, still at most `concurrency` handlers at once) took the one-process drain from about 7,500 to about 10,000 jobs/s on this machine. Expired leases are now settled at most every second rather than before every claim.",
  "- **Where a peer drains faster, and why.** graphile-worker's batched mode keeps a local queue of jobs claimed ahead of its running handlers and writes completions together after a 25 ms wait: fewer, larger statements, and jobs that sit locked in a process without running (weft claims only what it can start at once, each job under a lease it renews). BullMQ's Redis keeps everything in memory here (no AOF, no snapshots): its commits wait for no disk, which also gives it the fastest single adds and latency. pg-boss ran the retry path faster than weft on PostgreSQL. Profiled: after each batch of outcomes that left a job pending again, weft's store sent its NOTIFY as a statement of its own and awaited it before the outcomes counted as stored; the NOTIFY is now part of the outcome statement. In a back-to-back run (50,000 × ÷ 5 jobs, Node 20) weft's retry path went from 3,245 to 4,000 completions/s, pg-boss's measured 3,988 and 4,379 in the same two runs. The tables above were measured before that change.",
];

/** The whole Jobs section, one subsection per Node version measured. */
export function renderJobsSection(results: JobsSuiteResult[]): string[] {
  if (results.length === 0) return [];
  const row = (name: string, cell: (r: JobsSuiteResult) => string): string =>
    `| ${name} | ${results.map(cell).join(' | ')} |`;
  const first = results[0]!;
  const lines = [
    '## Jobs',
    '',
    '<!-- Generated by `npm run bench:jobs` (bench/jobs/) from bench/results/jobs-node*.json, and kept by `npm run bench`. Do not edit by hand: rerun it. -->',
    '',
    "`weft/jobs`' durable jobs beside graphile-worker, pg-boss and BullMQ, on the same machine, the same PostgreSQL (and Redis for BullMQ), the same jobs, in one run: how fast jobs are stored, how fast workers drain them, how a failed attempt is retried, and how long an idle worker takes to start a job. Every contender runs each scenario in a fresh schema (or Redis key prefix), removed afterwards, with the settings its documentation recommends (listed below, with where a peer promises less than weft). Every run checks its result (see Checks): a failed check fails the run, naming the scenario, and writes nothing.",
    '',
    `| | ${results.map(label).join(' | ')} |`,
    `|---|${results.map(() => '---').join('|')}|`,
    row('Node', (r) => r.node),
    row('date', (r) => r.date),
    row(
      'machine',
      (r) =>
        `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.os}; load average ${r.machine.load.join(' ')} at the start${r.machine.loadAfter ? `, ${r.machine.loadAfter.join(' ')} at the end` : ''}`,
    ),
    row(
      'mode',
      (r) =>
        `${r.mode}; ${r.settings.rounds} measured round(s) per throughput row, after a warm-up`,
    ),
    row('SQLite driver', (r) => r.driver ?? "the project's better-sqlite3"),
    row('run time', (r) => duration(r.seconds)),
    '',
    ...first.contenders.map(
      (c) => `- **${c.name}**: ${c.backend}.${c.notes ? ` *Note:* ${c.notes}` : ''}`,
    ),
    ...results.flatMap((r) =>
      (r.skipped ?? []).map((x) => `- **${x.name}** did not run on ${label(r)}: ${x.reason}.`),
    ),
    '',
    'The machine is a shared 2-core virtual machine on which other work (other test suites) was running during the run: absolute figures move by tens of percent from run to run. The ratios within one run (the × column; the latency at each `pollMs` against the same-process figure) are the steadier reading.',
    '',
  ];
  for (const r of results) {
    const side = headToHead(r);
    if (side.length > 0) {
      lines.push(
        `### Side by side, ${label(r)} (${r.node})`,
        '',
        'Medians over the rounds; the best of each row in bold. Details, spreads and ratios in the tables that follow.',
        '',
        ...side,
        '',
      );
    }
    lines.push(`### Throughput, ${label(r)} (${r.node})`, '', ...throughputTable(r), '');
    lines.push(
      `### Latency: enqueue → handler start, ms, ${label(r)} (${r.node})`,
      '',
      ...latencyTable(r),
      '',
    );
  }
  const s = first.settings;
  const work = (id: string): JobsScenarioResult | undefined =>
    results.flatMap((r) => r.scenarios).find((x) => x.id === id);
  lines.push(
    '### What the numbers mean',
    '',
    `- **enqueue, one at a time**: ${work('enqueue-serial')?.work ?? ''} jobs/s = jobs ÷ the time from the first call to the last one's resolution. Each call is one transaction (one commit). PostgreSQL runs with its defaults (\`synchronous_commit = on\`): a commit returns once its WAL is flushed to disk, which bounds every PostgreSQL contender's awaited single adds alike; Redis (BullMQ) keeps its data in memory here (no AOF, no snapshots), so its adds wait for no disk.`,
    `- **enqueue, ${s.producers} concurrent producers**: ${work('enqueue-concurrent')?.work ?? ''} On PostgreSQL, concurrent commits share WAL flushes; better-sqlite3 is synchronous, so in one process SQLite's commits still happen one at a time.`,
    `- **enqueueMany, one call**: ${work('enqueue-many')?.work ?? ''} The × column is each row ÷ the one-at-a-time row of the same round (median over rounds).`,
    `- **drain**: N trivial jobs (the handler returns its payload's index), enqueued with \`enqueueMany\`, drained by 1 or by 4 forked worker processes on the same store (\`concurrency\` ${s.concurrency} each), started together once every process has opened the store. jobs/s = N ÷ (last outcome stored − first handler start); the processes' start-up (tsx, opening the store) is not counted. The × column is each row ÷ the 1-process row of the same round (median over rounds). Workers poll every ${s.processingPollMs} ms but barely need to: a worker that claimed a full batch claims again as soon as a slot frees.`,
    `- **retry path**: ${work('retry')?.work ?? ''}`,
    `- **latency**: the time from the \`enqueue\` call (its transaction included) to the handler's first line, for every job of the run (jobs ${s.spacingMs} ms apart, so the worker is idle when each arrives, except at long \`pollMs\`, where several arrive between two polls and are claimed together). Measured on \`process.hrtime\` (CLOCK_MONOTONIC, one clock for every process of the machine). In the same process, \`enqueue\` wakes the worker at once; from another process the worker only finds a job at its next poll, so its latency is spread evenly over 0 to \`pollMs\` (p50 ≈ pollMs ÷ 2) plus the cost of a claim: a shorter \`pollMs\` is lower latency paid for with one claim query per worker every \`pollMs\` while idle. That holds for stores that are polled (weft on SQLite; pg-boss, whose polling interval is its own setting); weft on PostgreSQL and graphile-worker are woken by LISTEN/NOTIFY and BullMQ by a blocking Redis pop, so for them \`pollMs\` is only a fallback.`,
    "- Every store is fresh for each run (a SQLite file in a temporary directory, a PostgreSQL schema, a Redis key prefix; removed afterwards): it holds only that run's jobs.",
    '',
    '### Where the time goes',
    '',
    ...WHERE_TIME_GOES,
    '',
    '### Checks',
    '',
    "Each held in every run listed (N is the run's size):",
    '',
    ...checksList(results),
    '',
    "Reproduce: `npm run bench:jobs` (writes `bench/results/jobs-node<major>.json` and regenerates this file); `-- --quick` (small N, one round: a few seconds, written to `.tmp/bench-jobs-quick/`), `--only enqueue,process,latency` (scenario ids or their prefixes), `--n N`, `--latency-n N`, `--rounds R`, `--results DIR`, `--out FILE`, `--cpu-prof` (a `.cpuprofile` per worker process in `.tmp/bench-profiles/`), `--verbose`. Another Node: `/path/to/node --import tsx bench/jobs/run.ts`, with `WEFT_BENCH_BETTER_SQLITE3=/path/to/node_modules` naming a better-sqlite3 built for that Node's ABI when the project's is built for another (the worker processes inherit it); each Node version writes its own results file, and this section shows every one present.",
    '',
  );
  return lines;
}
