/**
 * `npm run bench:jobs -- --quick` keeps working: run once as a subprocess
 * into a temporary directory (never over BENCHMARKS.md or bench/results),
 * it must finish cleanly with a row for every scenario and contender, and
 * every check of every scenario recorded. Times are not asserted.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONTENDER_IDS } from '../bench/jobs/contenders.js';
import type { JobsSuiteResult } from '../bench/jobs/results.js';
import { JOBS_SCENARIO_IDS } from '../bench/jobs/settings.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-jobs-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const mtime = (path: string): number | undefined => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
};

/** The checks every scenario of a group records. */
const ENQUEUE_CHECKS = [
  'counts(): pending = N, every other state 0',
  'N distinct ids returned',
  'the store holds exactly the N jobs enqueued',
  'each payload stored once',
  'every job pending, 0 attempts',
];
const RUN_CHECKS = [
  'no attempt failed (worker stats)',
  'counts(): succeeded = N, every other state 0',
  'N distinct ids returned',
  'the store holds exactly the N jobs enqueued',
  'each payload stored once',
  'every job succeeded, after 1 attempt, with its own result',
  'every handler started exactly once (across all worker processes)',
];

function expectedChecks(id: string): string[] {
  if (id.startsWith('enqueue-')) return ENQUEUE_CHECKS;
  if (id.startsWith('process-')) return [...RUN_CHECKS, 'every worker process ran jobs'];
  if (id === 'retry') {
    return RUN_CHECKS.map((check) =>
      check
        .replace('no attempt failed', 'no attempt failed but the planned first ones')
        .replace('after 1 attempt', 'after 2 attempts')
        .replace('exactly once', 'exactly twice'),
    );
  }
  return [...RUN_CHECKS, 'a latency for every job'];
}

test('npm run bench:jobs -- --quick completes with every row and check', () => {
  const committed = [
    join(root, 'BENCHMARKS.md'),
    ...[20, 24, 26].map((v) => join(root, `bench/results/jobs-node${v}.json`)),
  ];
  const before = committed.map(mtime);
  const out = join(dir, 'BENCHMARKS.md');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/jobs/run.ts', '--quick', '--results', dir, '--out', out],
    { cwd: root, encoding: 'utf8', timeout: 480_000 },
  );
  assert.equal(
    run.status,
    0,
    `bench:jobs exited with ${run.status}:\n${run.stdout}\n${run.stderr}`,
  );
  assert.deepEqual(committed.map(mtime), before, 'a quick run touches no committed file');

  const major = process.versions.node.split('.')[0];
  const suite = JSON.parse(
    readFileSync(join(dir, `jobs-node${major}.json`), 'utf8'),
  ) as JobsSuiteResult;
  assert.equal(suite.mode, 'quick');
  assert.equal(suite.node, process.version);
  assert.deepEqual(
    suite.scenarios.map((s) => s.id),
    JOBS_SCENARIO_IDS,
  );
  const report = readFileSync(out, 'utf8');
  assert.ok(report.includes('## Jobs'), 'the Jobs section');
  // A peer whose engines exclude this Node is skipped, with its reason.
  const skipped = suite.skipped ?? [];
  for (const x of skipped) {
    assert.ok(x.reason.length > 0, `${x.id} is skipped with a reason`);
    assert.ok(
      report.includes(`**${x.name}** did not run on Node`),
      `${x.id}: its skip in the report`,
    );
  }
  assert.ok(!skipped.some((x) => x.id.startsWith('weft')), "weft's stores run on every Node");
  const ran = CONTENDER_IDS.filter((id) => !skipped.some((x) => x.id === id));
  for (const s of suite.scenarios) {
    assert.deepEqual(
      s.rows.map((r) => r.contender),
      ran,
      `rows of ${s.id}`,
    );
    for (const row of s.rows) {
      const where = `${s.id}: ${row.name}`;
      if (s.group === 'latency') {
        assert.equal(row.latency?.n, s.n, `${where}: a latency per job`);
        assert.ok(report.includes(`| ${row.name} | ${s.n} |`), `${where}: its report row`);
      } else {
        assert.equal(row.samples.length, suite.settings.rounds, `${where}: one figure per round`);
        for (const x of row.samples) assert.ok(Number.isFinite(x) && x > 0, `${where}: ${x}`);
        assert.ok(report.includes(`| ${s.title} | ${row.name} |`), `${where}: its report row`);
      }
      const held = suite.checks
        .filter((c) => c.scenario === s.id && c.contender === row.contender)
        .map((c) => c.check);
      assert.deepEqual(held.sort(), [...expectedChecks(s.id)].sort(), `checks of ${where}`);
      assert.ok(
        report
          .split('\n')
          .some(
            (l) => l.startsWith('- ') && l.includes(`**${s.id}**`) && l.includes(`${row.name}:`),
          ),
        `${where}: its checks in the report`,
      );
    }
  }
});
