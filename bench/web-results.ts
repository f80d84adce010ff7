/**
 * bench:web's results (`bench/results/web-node<major>.json`, one per Node
 * version) and their section of BENCHMARKS.md.
 */

import { loadByNode, major } from './results.js';
import { median, quantile } from './stats.js';

export type WebVariant = 'bare' | 'weft' | 'weft+task';

export interface WebRow {
  variant: WebVariant;
  /** Requests per second under TCP load, one figure per measured round. */
  rps: number[];
  /** Server-thread CPU µs per request under TCP load, per round. */
  cpu: number[];
  /** Process CPU µs per request over in-memory connections, per round. */
  memory: number[];
}

export interface WebFramework {
  name: string;
  rows: WebRow[];
  /** Requests the weft+task server handled, and background tasks it ran (equal when the checks held). */
  handled: number;
  tasks: number;
}

export interface WebSuiteResult {
  node: string;
  date: string;
  /** weft from the build (`dist/`), as users get it, or from its sources. */
  dist: boolean;
  settings: {
    connections: number;
    rounds: number;
    duration: number;
    memoryRounds: number;
    memoryRequests: number;
  };
  frameworks: WebFramework[];
  seconds: number;
}

/** Every `web-node*.json` in `dir`, oldest Node first. */
export function loadWebResults(dir: string): WebSuiteResult[] {
  return loadByNode<WebSuiteResult>(dir, /^web-node\d+\.json$/);
}

/** Targets for CPU per request over the bare framework, in memory (µs). */
export const WEB_TARGETS: Record<Exclude<WebVariant, 'bare'>, number> = {
  weft: 3,
  'weft+task': 6,
};

/** Median, first and third quartile of each round's figure minus the bare one of the same round. */
export function pairedExtra(xs: number[], bare: number[]): [number, number, number] | undefined {
  if (xs.length === 0 || xs.length !== bare.length) return undefined;
  const d = xs.map((x, i) => x - bare[i]!);
  return [median(d), quantile(d, 0.25), quantile(d, 0.75)];
}

const NAMES: Record<WebVariant, string> = {
  bare: 'bare framework',
  weft: "weft's adapter",
  'weft+task': 'weft + 1 background task',
};

function rowsOf(result: WebSuiteResult): string[] {
  const lines: string[] = [];
  for (const framework of result.frameworks) {
    const bare = framework.rows.find((r) => r.variant === 'bare');
    for (const row of framework.rows) {
      const extra =
        row.variant === 'bare' || bare === undefined
          ? undefined
          : pairedExtra(row.memory, bare.memory);
      const target = row.variant === 'bare' ? undefined : WEB_TARGETS[row.variant];
      const verdict =
        extra === undefined || target === undefined
          ? '—'
          : `${extra[0] <= target ? '✅' : '❌'} ≤ ${target}`;
      const tcpExtra =
        row.variant === 'bare' || bare === undefined || bare.cpu.length === 0
          ? ''
          : ` (${signed(median(row.cpu) - median(bare.cpu))})`;
      lines.push(
        `| ${framework.name} | ${NAMES[row.variant]} | ${Math.round(median(row.rps)).toLocaleString('en')} | ${row.cpu.length === 0 ? '—' : `${median(row.cpu).toFixed(1)}${tcpExtra}`} | ${median(row.memory).toFixed(1)} | ${extra === undefined ? '—' : `${signed(extra[0])} (${extra[1].toFixed(1)} to ${extra[2].toFixed(1)})`} | ${verdict} |`,
      );
    }
  }
  return lines;
}

function signed(x: number): string {
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(1)}`;
}

const WHERE_THE_TIME_GOES = `### Where the time goes

Per request, weft's adapter makes a request scope (its background-task list, one \`close\` listener on the response) and runs the rest of the chain in a weft task, started at once inside the framework's handler; one background task adds a \`Supervisor\` record and a second task, started once the response has gone. Measured with the same in-memory driver on Node 24 (valgrind's callgrind, V8 single-threaded, instructions per request over the bare framework, from the difference of 2,000- and 8,000-request runs): node:http +9k instructions with weft, +28k with a background task; Express +22k, of which 10k is what any middleware costs in Express (a pass-through \`(req, res, next) => next()\` measures that much); Fastify +12k; Hono +26k, 11k of it any middleware's. Bytes allocated per request (with a young generation large enough that nothing is collected during the measurement): node:http +1.7 KB with weft and +3.5 KB with a background task, against 6.1 KB for the bare server. The largest single part is Node's: on Node 24 and later \`AsyncLocalStorage.run()\` makes two async context frames, one to enter the task and a copy of the caller's to restore it, each a \`Map\` copied from its parent (792 bytes for the pair). Keeping the caller's own frame in an \`AsyncResource\` and restoring it allocates 40% less, but measured slower per request (node:http +1.47 µs instead of +1.20 µs), so weft keeps \`run()\`. A weft task started and finished inside a request costs about 300 ns more than \`AsyncLocalStorage.run()\` alone (Node 24, 200,000 in a loop); reading the clock for its creation time (\`weft ps\` shows ages) is 60 ns of that on this machine.`;

/** The Web section of BENCHMARKS.md. */
export function renderWebSection(results: WebSuiteResult[]): string[] {
  if (results.length === 0) return [];
  const lines = [
    '## Web',
    '',
    '<!-- Generated by `npm run bench:web` (bench/web.ts) from bench/results/web-node*.json, and kept by `npm run bench`. Do not edit by hand: rerun it. -->',
    '',
    "What weft's web adapters cost per request, beside the bare framework in the same process run: one GET route answering `ok`; behind weft's adapter (the handler runs in a weft task with a request scope); and adding one trivial background task per request, run by a `Supervisor` once the response has been sent. Each framework's three servers are measured back to back, in a rotating order, round after round. Under TCP load (autocannon in a worker thread, 127.0.0.1): requests per second and the server thread's CPU per request. Over in-memory connections (a pair of streams per connection, the client in the same thread, no kernel): CPU per request, whose difference from the bare server of the same round is the figure the targets apply to. TCP figures on this shared machine move by more than weft's whole cost from one measurement to the next (the bare servers' own figures included); the in-memory figure is the steady one.",
    '',
  ];
  for (const result of results) {
    const s = result.settings;
    lines.push(
      `### Node ${major(result.node)} (${result.node}), ${result.date}`,
      '',
      `weft from ${result.dist ? 'the build (`dist/`)' : 'its TypeScript sources'}; TCP: ${s.connections} connections, ${s.rounds} rounds of ${s.duration} s; in memory: ${s.connections} connections, ${s.memoryRounds} rounds of ${s.memoryRequests.toLocaleString('en')} requests; ${Math.round(result.seconds)} s in all.`,
      '',
      '| framework | server | rps (TCP) | CPU µs/request (TCP), over bare | CPU µs/request (in memory) | over bare, in memory: median (quartiles) | target |',
      '|---|---|---:|---:|---:|---:|---|',
      ...rowsOf(result),
      '',
      `Checks: every response 2xx (200 in memory), no socket error or timeout; each weft+task server ran exactly one background task per request it handled (${result.frameworks.map((f) => `${f.name} ${f.tasks.toLocaleString('en')}`).join(', ')}), and every supervisor drained with nothing cancelled or failed.`,
      '',
    );
  }
  lines.push(WHERE_THE_TIME_GOES, '');
  return lines;
}
