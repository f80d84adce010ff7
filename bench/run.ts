/**
 * `npm run bench`: weft against its peers and Python asyncio, every scenario
 * of `bench/scenarios/` in its own child process, then `BENCHMARKS.md`.
 *
 * A full run measures the running Node, then Node 24 and 26 (see
 * `bench/nodes.ts`). Results go to `bench/results/node<major>.json` (one
 * file per Node version); the report is regenerated from every file there,
 * so running once per Node version merges them. See the Reproduce section of
 * BENCHMARKS.md for the options.
 */

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measured, Scenario } from './harness.js';
import { defaultNodes } from './nodes.js';
import { writeReport } from './report-file.js';
import { major, type RowResult, type ScenarioResult, type SuiteResult } from './results.js';
import { loadScenario, SCENARIO_IDS } from './scenarios/index.js';
import { flag, median, numberArg, textArg, textArgs } from './stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = flag('quick');
const ONLY = textArg('only', '');
const CONTENDER = textArg('contender', '');
const VERBOSE = flag('verbose');
const PROFILE = flag('cpu-prof');
const N_OVERRIDE = numberArg('n', 0);
const PARTIAL = ONLY !== '' || CONTENDER !== '' || N_OVERRIDE > 0;
const MODE: SuiteResult['mode'] = QUICK ? 'quick' : PARTIAL ? 'partial' : 'full';

const SETTINGS = QUICK
  ? { warmup: 0, rounds: 1, minSamples: 1, budgetMs: 0 }
  : { warmup: 1, rounds: 5, minSamples: 3, budgetMs: 2_000 };
// Heap figures vary little from run to run; the median of three is robust to a first run's extra code.
const MEMORY_SETTINGS = QUICK
  ? { warmup: 0, rounds: 1, minSamples: 1, budgetMs: 0 }
  : { warmup: 0, rounds: 3, minSamples: 3, budgetMs: 0 };
const PYTHON_SETTINGS = QUICK
  ? { warmup: 0, rounds: 1, minSamples: 1, budgetMs: 0 }
  : { warmup: 0, rounds: 3, minSamples: 2, budgetMs: 3_000 };

const defaultDir = QUICK ? '.tmp/bench-quick' : PARTIAL ? '.tmp/bench-partial' : 'bench/results';
const RESULTS_DIR = resolve(ROOT, textArg('results', defaultDir));
const OUT = resolve(
  ROOT,
  textArg('out', MODE === 'full' ? 'BENCHMARKS.md' : join(RESULTS_DIR, 'BENCHMARKS.md')),
);
// A full run covers this Node and Node 24 and 26 (installed on first use);
// quick and partial runs, this Node only. `--node PATH` (repeatable) chooses.
const NODES = textArgs('node');
if (NODES.length === 0) NODES.push(...(MODE === 'full' ? defaultNodes(ROOT) : [process.execPath]));
const PYTHON = flag('no-python') ? undefined : (process.env.WEFT_BENCH_PYTHON ?? 'python3');

const scenarioIds = ONLY === '' ? [...SCENARIO_IDS] : ONLY.split(',').map((s) => s.trim());
const scenarios: Scenario[] = [];
for (const id of scenarioIds) scenarios.push(await loadScenario(id));

/** Run a command; resolve with its stdout, reject (with its stderr) when it fails. */
function exec(command: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      if (VERBOSE) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}\n${err}`));
    });
  });
}

function settingsArgs(s: typeof SETTINGS): string[] {
  return [
    '--warmup',
    String(s.warmup),
    '--rounds',
    String(s.rounds),
    '--min-samples',
    String(s.minSamples),
    '--budget',
    String(s.budgetMs),
  ];
}

const scratch = mkdtempSync(join(tmpdir(), 'weft-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const profileDir = resolve(ROOT, '.tmp/bench-profiles');
if (PROFILE) mkdirSync(profileDir, { recursive: true });
let childCount = 0;

/** One child process of `bench/child.ts`; its measurements. */
async function runChild(
  node: string,
  scenario: Scenario,
  n: number,
  extra: string[],
): Promise<Measured[]> {
  const out = join(scratch, `child-${childCount++}.json`);
  const settings = scenario.metric === 'bytes' ? MEMORY_SETTINGS : SETTINGS;
  const args = [
    '--expose-gc',
    ...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    '--import',
    'tsx',
    'bench/child.ts',
    '--scenario',
    scenario.id,
    '--n',
    String(n),
    ...settingsArgs(settings),
    '--out',
    out,
    ...extra,
  ];
  await exec(node, args);
  return (JSON.parse(readFileSync(out, 'utf8')) as { measured: Measured[] }).measured;
}

/** Python's version, or why it cannot be measured: absent, or older than the 3.11 the script needs. */
function probePython(): SuiteResult['python'] {
  if (PYTHON === undefined) return { missing: 'disabled with --no-python' };
  let version: string;
  try {
    const code = 'import sys; print("%d.%d.%d" % sys.version_info[:3])';
    version = execFileSync(PYTHON, ['-c', code], { encoding: 'utf8' }).trim();
  } catch {
    return { missing: `${PYTHON} not found` };
  }
  const [majorPart = 0, minorPart = 0] = version.split('.').map(Number);
  if (majorPart < 3 || (majorPart === 3 && minorPart < 11)) {
    return { missing: `${PYTHON} is ${version}; asyncio.TaskGroup and asyncio.timeout need 3.11` };
  }
  return { version };
}

const PYTHON_STATUS = probePython();

/** Python's rows of a scenario, measured once per invocation (shared by every Node version). */
const pythonCache = new Map<string, Measured[] | string>();

async function runPython(scenario: Scenario, n: number): Promise<Measured[] | string> {
  if ('missing' in PYTHON_STATUS) return PYTHON_STATUS.missing;
  if (PYTHON === undefined) return 'disabled with --no-python';
  const cached = pythonCache.get(scenario.id);
  if (cached !== undefined) return cached;
  // A failed check in Python throws here and fails the run like any other.
  const stdout = await exec(PYTHON, [
    'bench/python/asyncio_bench.py',
    scenario.id,
    '--n',
    String(n),
    ...settingsArgs(PYTHON_SETTINGS),
  ]);
  const parsed = JSON.parse(stdout) as { measured: Measured[] };
  const result = parsed.measured.filter((m) => CONTENDER === '' || m.name.includes(CONTENDER));
  pythonCache.set(scenario.id, result);
  return result;
}

/**
 * On Node 20 an AsyncLocalStorage in use installs promise hooks that tax
 * every promise: peers are also measured before that. From Node 24 the
 * async context travels with every promise whether a storage is used or
 * not; only the baselines are measured first there, to show it.
 */
function alonePhase(version: string): 'all' | 'baselines' {
  return major(version) >= 24 ? 'baselines' : 'all';
}

async function runScenario(
  node: string,
  version: string,
  scenario: Scenario,
): Promise<ScenarioResult> {
  const started = performance.now();
  const n = N_OVERRIDE > 0 ? N_OVERRIDE : QUICK ? scenario.size.quick : scenario.size.full;
  const selected = scenario.contenders.filter(
    (c) => CONTENDER === '' || c.name.includes(CONTENDER),
  );
  const runnable = selected.filter((c) => c.run !== undefined);
  const measured: Measured[] = [];
  if (scenario.metric === 'bytes') {
    // One process per contender: no library's code or leftovers count against another.
    for (const c of runnable)
      measured.push(...(await runChild(node, scenario, n, ['--contender', c.name])));
  } else if (runnable.length > 0) {
    const match = CONTENDER === '' ? [] : ['--match', CONTENDER];
    measured.push(
      ...(await runChild(node, scenario, n, ['--alone', alonePhase(version), ...match])),
    );
  }
  const rows: RowResult[] = selected.map((c) => {
    const m = measured.find((x) => x.name === c.name);
    const row: RowResult = {
      name: c.name,
      library: c.library,
      role: c.role,
      n: m?.n ?? n,
      samples: m?.samples ?? [],
    };
    if (m?.alone !== undefined) row.alone = m.alone;
    if (c.na !== undefined) row.na = c.na;
    return row;
  });
  const pythonNames = scenario.python.filter(
    (name) => CONTENDER === '' || name.includes(CONTENDER),
  );
  if (pythonNames.length > 0) {
    const python = await runPython(scenario, n);
    for (const name of pythonNames) {
      const m = typeof python === 'string' ? undefined : python.find((x) => x.name === name);
      rows.push({
        name,
        library: 'python',
        role: 'peer',
        n,
        samples: m?.samples ?? [],
        ...(typeof python === 'string' ? { na: python } : {}),
      });
    }
  }
  return {
    id: scenario.id,
    title: scenario.title,
    work: scenario.work,
    metric: scenario.metric,
    unit: scenario.unit,
    n,
    rows,
    seconds: (performance.now() - started) / 1000,
  };
}

function printScenario(s: ScenarioResult): void {
  const weft = s.rows.find((r) => r.role === 'weft' && r.samples.length > 0);
  const weftMedian = weft === undefined ? undefined : median(weft.samples);
  console.log(`  ${s.title} — N = ${s.n.toLocaleString('en')} (${s.seconds.toFixed(1)} s)`);
  for (const row of s.rows) {
    let cells: string;
    if (row.na !== undefined) cells = `n/a: ${row.na}`;
    else if (row.samples.length === 0) cells = 'not measured';
    else {
      const m = median(row.samples);
      const figure = s.metric === 'ms' ? `${m.toFixed(1)} ms` : `${Math.round(m)} B/task`;
      const ratio = weftMedian === undefined ? '' : `${(m / weftMedian).toFixed(2)}x weft`;
      cells = `${figure.padStart(12)}  ${ratio.padStart(11)}  (${row.samples.length} samples)`;
    }
    console.log(`    ${row.name.padEnd(52)} ${cells}`);
  }
}

function machine(): SuiteResult['machine'] {
  const list = cpus();
  return {
    cpu: (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
  };
}

const suiteStarted = performance.now();
for (const node of NODES) {
  const version = execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
  console.log(`weft bench (${MODE}) on Node ${version} — ${scenarios.length} scenario(s)`);
  const started = performance.now();
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    let result: ScenarioResult;
    try {
      result = await runScenario(node, version, scenario);
    } catch (error) {
      // A failed check (or a crash) ends the run: no results are written from a broken contender.
      console.error(`\nbench FAILED in scenario '${scenario.id}' on Node ${version}:\n`);
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    }
    printScenario(result);
    results.push(result);
  }
  const suite: SuiteResult = {
    node: version,
    date: new Date().toISOString().slice(0, 10),
    mode: MODE,
    machine: machine(),
    python: PYTHON_STATUS,
    settings: SETTINGS,
    scenarios: results,
    seconds: (performance.now() - started) / 1000,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `node${major(version)}.json`);
  writeFileSync(file, `${JSON.stringify(suite, null, 1)}\n`);
  console.log(`Node ${version}: ${suite.seconds.toFixed(1)} s; results in ${file}`);
}
writeReport(ROOT, RESULTS_DIR, OUT);
console.log(`${OUT} written (${((performance.now() - suiteStarted) / 1000).toFixed(1)} s in all)`);
