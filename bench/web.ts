/**
 * bench:web — what weft's web adapters cost in requests per second, for
 * each framework, in one process run against 127.0.0.1:
 *
 *   bare       the framework alone, one GET route answering `ok`;
 *   weft       the same route behind weft's adapter, no background task
 *              (the handler runs in a weft task, with a request scope);
 *   weft+task  the same again, adding one trivial background task per
 *              request (it increments a counter), run by a `Supervisor`
 *              after the response has been sent.
 *
 * Frameworks: node:http (`weft/web/node`), Express 5 (`weft/web/express`),
 * Fastify 5 (`weft/web/fastify`) and Hono 4 on `@hono/node-server`
 * (`weft/web/hono`). An adapter that does not exist yet, or fails to load,
 * is skipped with a note.
 *
 * Load comes from autocannon (10 connections, no pipelining) in a worker
 * thread, so the servers' event loop (the main thread) is not shared with
 * the client's. rps = responses received / elapsed seconds of one
 * measurement. Every server listens at once; each round measures every
 * contender once, the three variants of a framework back to back in a
 * rotating order, so that machine noise falls on all alike. The first
 * round is a shorter warm-up. Overhead = (bare − weft) / bare, on medians.
 *
 * rps on a loopback benchmark moves with everything else on the machine,
 * and a slower server also makes both threads sleep and wake more often,
 * which can cost more than the work itself on a VM. So, on Linux, the table
 * also gives the CPU time (user + system) of the servers' thread per
 * request handled, read from /proc: the steadier measure of what weft adds.
 *
 * weft carries its cancel scope in AsyncLocalStorage. On Node 20, the first
 * `AsyncLocalStorage.run` installs promise hooks that make every promise
 * in the process dearer, the bare frameworks' included; Node 24's async
 * context frames do not. So the bare servers are measured twice: first,
 * before any weft code has run ("bare, before weft"), then interleaved
 * with the weft contenders ("bare"). Overhead is given against both: the
 * first is what an app pays for adopting weft, the second what the
 * adapter itself costs once AsyncLocalStorage is in use anyway.
 *
 * Checks, so that a broken contender cannot look fast: every response is
 * 2xx, with no socket error or timeout; after the last round each
 * supervisor drains (`shutdown({ graceMs })`) with nothing cancelled or
 * failed, and every request the weft+task server handled ran exactly one
 * background task (counter = handled = supervisor completions). Handled
 * can exceed the responses autocannon counted by the few requests still
 * in flight when it stops each measurement (at most its connections): the
 * server answered them, their tasks ran, the client had hung up.
 *
 * Then the same servers again, over in-memory connections (web-memory.ts:
 * a pair of streams per connection, the client in the same thread): many
 * short rounds, each framework's variants back to back, CPU of the process
 * per request. Without the kernel and the second thread this is the steady
 * figure, and each round's weft figure is compared with the bare figure of
 * the same round (median of those differences, with their quartiles).
 *
 * Targets: CPU per request over the bare framework, in memory: ≤ 3 µs for
 * weft's adapter, ≤ 6 µs with one background task. Also reported: rps
 * overhead under TCP load (< 2% and < 5% were the first targets).
 *
 * weft comes from its TypeScript sources, run through tsx, like the other
 * benchmarks. tsx's esbuild transform wraps every named closure in a
 * `__name()` call (an `Object.defineProperty` each time one is created),
 * and the request path creates several per request: `--dist` measures the
 * build that users install instead (`npm run build` first).
 *
 * Usage: npm run bench:web [-- --rounds 5 --duration 2] [-- --memory-rounds 40 --memory-requests 2000] [-- --quick] [-- --only hono] [-- --dist]
 *   --quick: 1 round of 0.5 s per contender, short warm-up (~20 s in all).
 *   --only TEXT: only the frameworks whose name contains TEXT (for
 *   profiling one: node --cpu-prof --import tsx bench/web.ts --only node).
 *   --dist: weft from dist/ (the build) instead of src/.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import autocannon from 'autocannon';
import express from 'express';
import Fastify, { type FastifyPluginAsync } from 'fastify';
import { Hono } from 'hono';
import type { WeftVariables } from '../src/web/hono/index.js';
import type { BackgroundTasks, Supervisor, WebOptions } from '../src/web/index.js';
import { writeReport } from './report-file.js';
import { major } from './results.js';
import { collectsGarbage, flag, median, numberArg, spread, textArg, time } from './stats.js';
import { drive } from './web-memory.js';
import { pairedExtra, WEB_TARGETS, type WebSuiteResult } from './web-results.js';

const QUICK = flag('quick');
const arg = numberArg;
const ROUNDS = arg('rounds', QUICK ? 1 : 5);
const DURATION = arg('duration', QUICK ? 0.5 : 2);
const WARMUP_DURATION = QUICK ? 0.3 : 1;
const MEMORY_ROUNDS = arg('memory-rounds', QUICK ? 5 : 40);
const MEMORY_REQUESTS = arg('memory-requests', QUICK ? 500 : 2_000);
const CONNECTIONS = 10;
const ONLY = textArg('only', '');
const DIST = flag('dist');
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where weft comes from: its TypeScript sources (through tsx), or the build. */
const ROOT = DIST ? 'dist' : 'src';
const EXT = DIST ? 'js' : 'ts';
if (DIST && !existsSync(new URL('../dist/web/index.js', import.meta.url))) {
  throw new Error('--dist: run `npm run build` first');
}
// Computed paths: the adapters must come from the same build as this Supervisor.
const web = (await import(`../${ROOT}/web/index.js`)) as typeof import('../src/web/index.js');

// ---------------------------------------------------------------------------
// The contenders

type Variant = 'bare' | 'weft' | 'weft+task';
const VARIANTS: readonly Variant[] = ['bare', 'weft', 'weft+task'];

/** What a server saw: requests its handler ran, background tasks that ran. */
interface Counts {
  handled: number;
  tasks: number;
}

/** The background task: as trivial as it gets. */
function bump(counts: Counts): void {
  counts.tasks++;
}

interface Built {
  url: string;
  /** The Node HTTP server, for the in-memory measurements. */
  server: Server;
  close: () => Promise<void>;
}

interface Framework {
  name: string;
  /** Why it is skipped, if it is. */
  skip?: string;
  build?: (variant: Variant, counts: Counts, supervisor: Supervisor) => Promise<Built>;
}

function listen(server: Server): Promise<Built> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * An adapter module, if its file exists and loads. Imported by a computed
 * path, so that this file compiles before the adapter is written.
 */
async function loadAdapter<T>(name: string): Promise<T | string> {
  const file = `${ROOT}/web/${name}/index.${EXT}`;
  if (!existsSync(new URL(`../${file}`, import.meta.url))) {
    return `skipped: ${file} does not exist yet`;
  }
  try {
    return (await import(`../${ROOT}/web/${name}/index.js`)) as T;
  } catch (error) {
    return `skipped: ${file} failed to load: ${error instanceof Error ? error.message : String(error)}`;
  }
}

const nodeAdapter = await loadAdapter<typeof import('../src/web/node/index.js')>('node');
const honoAdapter = await loadAdapter<typeof import('../src/web/hono/index.js')>('hono');
const expressAdapter = await loadAdapter<{
  backgroundTasks: (options?: WebOptions) => express.RequestHandler;
}>('express');
const fastifyAdapter = await loadAdapter<{
  weftPlugin: FastifyPluginAsync<WebOptions>;
}>('fastify');

const allFrameworks: Framework[] = [
  typeof nodeAdapter === 'string'
    ? { name: 'node:http', skip: nodeAdapter }
    : {
        name: 'node:http',
        build: async (variant, counts, supervisor) => {
          const listener: RequestListener =
            variant === 'bare'
              ? (_req, res) => {
                  counts.handled++;
                  res.end('ok');
                }
              : nodeAdapter.withBackgroundTasks(
                  (_req, res, ctx) => {
                    counts.handled++;
                    if (variant === 'weft+task') ctx.backgroundTasks.addTask(bump, counts);
                    res.end('ok');
                  },
                  { supervisor },
                );
          return listen(createServer(listener));
        },
      },
  typeof expressAdapter === 'string'
    ? { name: 'Express 5', skip: expressAdapter }
    : {
        name: 'Express 5',
        build: async (variant, counts, supervisor) => {
          const app = express();
          if (variant !== 'bare') app.use(expressAdapter.backgroundTasks({ supervisor }));
          app.get('/', (_req, res) => {
            counts.handled++;
            if (variant === 'weft+task') {
              (res.locals.backgroundTasks as BackgroundTasks).addTask(bump, counts);
            }
            res.send('ok');
          });
          return listen(createServer(app));
        },
      },
  typeof fastifyAdapter === 'string'
    ? { name: 'Fastify 5', skip: fastifyAdapter }
    : {
        name: 'Fastify 5',
        build: async (variant, counts, supervisor) => {
          const app = Fastify({ logger: false });
          if (variant !== 'bare') await app.register(fastifyAdapter.weftPlugin, { supervisor });
          app.get('/', (request, reply) => {
            counts.handled++;
            if (variant === 'weft+task') {
              (request as unknown as { backgroundTasks: BackgroundTasks }).backgroundTasks.addTask(
                bump,
                counts,
              );
            }
            reply.send('ok');
          });
          await app.listen({ port: 0, host: '127.0.0.1' });
          const { port } = app.server.address() as AddressInfo;
          return { url: `http://127.0.0.1:${port}/`, server: app.server, close: () => app.close() };
        },
      },
  typeof honoAdapter === 'string'
    ? { name: 'Hono 4', skip: honoAdapter }
    : {
        name: 'Hono 4',
        build: async (variant, counts, supervisor) => {
          const app = new Hono<{ Variables: WeftVariables }>();
          if (variant !== 'bare') app.use(honoAdapter.backgroundTasks({ supervisor }));
          app.get('/', (c) => {
            counts.handled++;
            if (variant === 'weft+task') c.get('backgroundTasks').addTask(bump, counts);
            return c.text('ok');
          });
          return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
        },
      },
];

const frameworks = allFrameworks.filter((f) => f.name.toLowerCase().includes(ONLY.toLowerCase()));
if (frameworks.length === 0) throw new Error(`--only ${ONLY}: no framework matches`);

interface Contender {
  framework: string;
  variant: Variant;
  built: Built;
  counts: Counts;
  supervisor: Supervisor;
  /** Responses autocannon received, over every measurement. */
  ok: number;
  /** rps of each measured round. */
  rps: number[];
  /** rps of each round before weft ran (bare only). */
  pure: number[];
  /** Server-thread CPU µs per request handled, each measured round. */
  cpu: number[];
  /** The same, before weft ran (bare only). */
  pureCpu: number[];
  /** CPU µs per request over in-memory connections, each measured round. */
  memory: number[];
  /** Set when a check failed: the framework is measured no further. */
  failure?: string;
}

// ---------------------------------------------------------------------------
// Measuring

/**
 * CPU time (user + system) of the main thread, where the servers run, in
 * µs; undefined where /proc is missing (not Linux). Clock ticks are 10 ms.
 */
function serverCpu(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** Send load to `c` for `seconds`; returns requests/second and server CPU µs/request. */
async function measure(c: Contender, seconds: number): Promise<[number, number | undefined]> {
  let result: autocannon.Result | undefined;
  const handled = c.counts.handled;
  let cpu: number | undefined;
  await time(async () => {
    const cpu0 = serverCpu();
    result = await autocannon({
      url: c.built.url,
      connections: CONNECTIONS,
      pipelining: 1,
      duration: seconds,
      sampleInt: 100,
      workers: 1,
    });
    const cpu1 = serverCpu();
    if (cpu0 !== undefined && cpu1 !== undefined) {
      cpu = (cpu1 - cpu0) / Math.max(1, c.counts.handled - handled);
    }
  });
  const r = result!;
  if (r.non2xx !== 0 || r.errors !== 0 || r.timeouts !== 0 || r['2xx'] === 0) {
    throw new Error(
      `${r['2xx']} 2xx, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`,
    );
  }
  c.ok += r['2xx'];
  // The weft+task server's background work is done before anyone else is measured.
  await idle(c.supervisor);
  return [r.requests.total / r.duration, cpu];
}

async function idle(supervisor: Supervisor): Promise<void> {
  for (let i = 0; i < 5_000; i++) {
    const { running, pending } = supervisor.stats();
    if (running + pending === 0) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`the supervisor is still busy: ${supervisor}`);
}

async function measureInto(
  c: Contender,
  seconds: number,
  into?: number[],
  cpuInto?: number[],
): Promise<void> {
  if (c.failure !== undefined) return;
  try {
    const [rps, cpu] = await measure(c, seconds);
    into?.push(rps);
    if (cpu !== undefined) cpuInto?.push(cpu);
  } catch (error) {
    c.failure = `${c.variant}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

const started = performance.now();
const notes: string[] = [];
const contenders: Contender[] = [];
for (const framework of frameworks) {
  if (framework.build === undefined) {
    notes.push(`${framework.name}: ${framework.skip}`);
    continue;
  }
  for (const variant of VARIANTS) {
    const counts: Counts = { handled: 0, tasks: 0 };
    const supervisor = new web.Supervisor();
    try {
      const built = await framework.build(variant, counts, supervisor);
      contenders.push({
        framework: framework.name,
        variant,
        built,
        counts,
        supervisor,
        ok: 0,
        rps: [],
        pure: [],
        cpu: [],
        pureCpu: [],
        memory: [],
      });
    } catch (error) {
      notes.push(
        `${framework.name} (${variant}): skipped, could not start: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
const names = [...new Set(contenders.map((c) => c.framework))];
const of = (framework: string, variant: Variant): Contender | undefined =>
  contenders.find((c) => c.framework === framework && c.variant === variant);

// 1. The bare frameworks before any weft code has run (AsyncLocalStorage unused).
const bare = contenders.filter((c) => c.variant === 'bare');
for (const c of bare) await measureInto(c, WARMUP_DURATION);
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < bare.length; k++) {
    const c = bare[(round + k) % bare.length]!;
    await measureInto(c, DURATION, c.pure, c.pureCpu);
  }
}

/**
 * A warm-up round, then `rounds` rounds: in each, every framework's variants
 * back to back, in an order that rotates from round to round.
 */
async function interleaved(
  rounds: number,
  visit: (c: Contender, warmUp: boolean) => Promise<void>,
): Promise<void> {
  for (let round = -1; round < rounds; round++) {
    for (const name of names) {
      for (let k = 0; k < VARIANTS.length; k++) {
        const c = of(name, VARIANTS[(Math.max(round, 0) + k) % VARIANTS.length]!);
        if (c !== undefined) await visit(c, round < 0);
      }
    }
  }
}

// 2. Everyone, interleaved.
await interleaved(ROUNDS, (c, warmUp) =>
  warmUp ? measureInto(c, WARMUP_DURATION) : measureInto(c, DURATION, c.rps, c.cpu),
);

// 3. In memory, interleaved the same way, many short rounds: each round's
// weft figures are compared with the bare figure of the same round.
async function measureInMemory(c: Contender, requests: number, into?: number[]): Promise<void> {
  if (c.failure !== undefined) return;
  try {
    const before = process.cpuUsage();
    const seen = await drive(c.built.server, CONNECTIONS, requests);
    const used = process.cpuUsage(before);
    if (seen.notOk !== 0) throw new Error(`in memory: ${seen.notOk} responses were not 200`);
    c.ok += seen.responses;
    await idle(c.supervisor);
    into?.push((used.user + used.system) / requests);
  } catch (error) {
    c.failure = `${c.variant}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
await interleaved(MEMORY_ROUNDS, (c, warmUp) =>
  warmUp ? measureInMemory(c, MEMORY_REQUESTS * 2) : measureInMemory(c, MEMORY_REQUESTS, c.memory),
);

// 4. Drain, then check the counts.
for (const c of contenders) {
  const { cancelled } = await c.supervisor.shutdown({ graceMs: 10_000 });
  await c.built.close();
  if (c.failure !== undefined) continue;
  const { completed, failed } = c.supervisor.stats();
  const { handled, tasks } = c.counts;
  const expectedTasks = c.variant === 'weft+task' ? handled : 0;
  const problems = [
    cancelled !== 0 && `${cancelled} task(s) cancelled at shutdown`,
    failed !== 0 && `${failed} task(s) failed`,
    tasks !== expectedTasks && `${tasks} background tasks ran for ${handled} requests handled`,
    completed !== expectedTasks &&
      `the supervisor completed ${completed}, expected ${expectedTasks}`,
    (handled < c.ok || handled > c.ok + CONNECTIONS * (2 * ROUNDS + 3)) &&
      `${handled} requests handled for ${c.ok} 2xx responses`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) c.failure = `${c.variant}: ${problems.join('; ')}`;
}
const elapsed = (performance.now() - started) / 1000;

// ---------------------------------------------------------------------------
// Report

const rpsText = (x: number): string => Math.round(x).toLocaleString('en');
const iqr = (xs: number[]): string =>
  xs.length === 0
    ? '—'
    : spread(xs.map((x) => x / 1000))
        .split('–')
        .map((k) => `${k}k`)
        .join('–');
const overhead = (rps: number, base: number | undefined): string =>
  base === undefined ? '—' : `${(((base - rps) / base) * 100).toFixed(1)}%`;
const micros = (xs: number[], base: number[] | undefined): string => {
  if (xs.length === 0) return '—';
  const m = median(xs);
  const extra =
    base === undefined || base.length === 0 ? '' : ` (+${(m - median(base)).toFixed(1)})`;
  return `${m.toFixed(1)}${extra}`;
};
/** The in-memory figure, and its extra over bare (`d`: median, quartiles) when there is one. */
const inMemory = (xs: number[], d: number[] | undefined): string =>
  xs.length === 0
    ? '—'
    : `${median(xs).toFixed(1)}${d === undefined ? '' : ` (+${d[0]!.toFixed(1)}, ${d[1]!.toFixed(1)}–${d[2]!.toFixed(1)})`}`;
const columns = [
  'median rps',
  'IQR rps',
  'overhead',
  'vs before weft',
  'server µs/req',
  'in memory µs/req',
];
const widths = [12, 15, 10, 16, 16, 26];
const row = (first: string, cells: string[]): string =>
  `  ${first.padEnd(26)}${cells.map((c, i) => c.padStart(widths[i]!)).join('')}`;

console.log(
  `bench:web — ${CONNECTIONS} connections, ${ROUNDS} round(s) of ${DURATION} s per contender (+ warm-up), weft from ${DIST ? 'dist/' : 'src/ (tsx)'}, Node ${process.version}${collectsGarbage ? ', gc before each run' : ''}`,
);
console.log(row('contender', columns));
const verdicts: string[] = [];
let failed = false;
for (const name of names) {
  console.log(name);
  const bareC = of(name, 'bare');
  const bareRps = bareC && bareC.rps.length > 0 ? median(bareC.rps) : undefined;
  const pureRps = bareC && bareC.pure.length > 0 ? median(bareC.pure) : undefined;
  if (bareC !== undefined && pureRps !== undefined) {
    console.log(
      row('bare, before weft', [
        rpsText(pureRps),
        iqr(bareC.pure),
        '—',
        '—',
        micros(bareC.pureCpu, undefined),
        '',
      ]),
    );
  }
  const cost: Partial<Record<Variant, number>> = {};
  const micro: Partial<Record<Variant, number>> = {};
  for (const variant of VARIANTS) {
    const c = of(name, variant);
    if (c === undefined || c.rps.length === 0) continue;
    const extra =
      variant === 'bare' || bareC === undefined ? undefined : pairedExtra(c.memory, bareC.memory);
    const m = median(c.rps);
    if (variant !== 'bare' && bareRps !== undefined) cost[variant] = (bareRps - m) / bareRps;
    console.log(
      row(variant === 'weft+task' ? 'weft + 1 background task' : variant, [
        rpsText(m),
        iqr(c.rps),
        variant === 'bare' ? '—' : overhead(m, bareRps),
        overhead(m, pureRps),
        micros(c.cpu, variant === 'bare' ? bareC?.pureCpu : bareC?.cpu),
        inMemory(c.memory, extra),
      ]),
    );
    if (extra !== undefined) micro[variant] = extra[0];
  }
  const failures = contenders.filter((c) => c.framework === name && c.failure !== undefined);
  for (const c of failures) {
    failed = true;
    console.log(`  CHECK FAILED ${c.failure}`);
  }
  const withTask = of(name, 'weft+task');
  if (failures.length === 0 && withTask !== undefined) {
    const n = withTask.counts.handled.toLocaleString('en');
    console.log(
      `  checks ok: every response 2xx, no errors; weft+task: ${n} requests handled, ${n} background tasks run`,
    );
  }
  const show = (v: Variant, target: number): string => {
    const x = cost[v];
    if (x === undefined) return `${v} —`;
    const pct = `${(x * 100).toFixed(1)}%`;
    return x < target
      ? `${v} ${pct} < ${target * 100}% ok`
      : `${v} ${pct} ≥ ${target * 100}% MISSED`;
  };
  const showMicro = (v: Variant, target: number): string => {
    const x = micro[v];
    if (x === undefined) return `${v} —`;
    return `${v} +${x.toFixed(1)} µs ${x <= target ? `≤ ${target} ok` : `> ${target} MISSED`}`;
  };
  verdicts.push(
    `  ${name.padEnd(12)}${showMicro('weft', WEB_TARGETS.weft)}; ${showMicro('weft+task', WEB_TARGETS['weft+task'])}   (rps: ${show('weft', 0.02)}; ${show('weft+task', 0.05)})`,
  );
}
console.log(
  "targets: CPU per request over the bare framework, in memory (median of the rounds' differences): weft ≤ 3 µs, weft+task ≤ 6 µs (rps overhead under TCP load, same run: weft < 2%, weft+task < 5%)",
);
for (const line of verdicts) console.log(line);
for (const note of notes) console.log(`note: ${note}`);
console.log(
  `(${elapsed.toFixed(1)} s in all; overhead = (bare − variant) / bare on medians; "vs before weft": against the bare server measured before weft first ran; server µs/req: CPU of the servers' thread per request handled under TCP load, (+ extra over bare); in memory µs/req: CPU of the process per request over in-memory connections, ${MEMORY_ROUNDS} rounds of ${MEMORY_REQUESTS} requests, (+ median extra over the bare server in the same round, its quartiles))`,
);
if (failed) process.exitCode = 1;
else if (QUICK || ONLY !== '') {
  console.log('(a quick or partial run: bench/results and BENCHMARKS.md are left as they are)');
} else {
  // A full run: its results join the others', and BENCHMARKS.md is rewritten from them all.
  const suite: WebSuiteResult = {
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
    dist: DIST,
    settings: {
      connections: CONNECTIONS,
      rounds: ROUNDS,
      duration: DURATION,
      memoryRounds: MEMORY_ROUNDS,
      memoryRequests: MEMORY_REQUESTS,
    },
    frameworks: names.map((name) => {
      const withTask = of(name, 'weft+task');
      return {
        name,
        rows: VARIANTS.flatMap((variant) => {
          const c = of(name, variant);
          return c === undefined ? [] : [{ variant, rps: c.rps, cpu: c.cpu, memory: c.memory }];
        }),
        handled: withTask?.counts.handled ?? 0,
        tasks: withTask?.counts.tasks ?? 0,
      };
    }),
    seconds: elapsed,
  };
  const resultsDir = resolve(REPO, textArg('results', 'bench/results'));
  const out = resolve(REPO, textArg('out', 'BENCHMARKS.md'));
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `web-node${major(process.version)}.json`);
  writeFileSync(file, `${JSON.stringify(suite, null, 1)}\n`);
  writeReport(REPO, resultsDir, out);
  console.log(`results in ${file}; ${out} written`);
}
