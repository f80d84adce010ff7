/**
 * The benchmark suite keeps working: `npm run bench -- --quick` runs once as
 * a subprocess, into a temporary directory (never over BENCHMARKS.md or
 * bench/results), and must finish cleanly with a row for every contender of
 * every scenario. Times are not asserted: this machine's speed is not the
 * test's business.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SuiteResult } from '../bench/results.js';
import { loadScenario, SCENARIO_IDS } from '../bench/scenarios/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const committedReport = join(root, 'BENCHMARKS.md');
const mtime = (path: string): number | undefined => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
};

test('npm run bench -- --quick completes and reports every scenario row', async () => {
  const before = mtime(committedReport);
  const out = join(dir, 'BENCHMARKS.md');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--quick', '--results', dir, '--out', out],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(run.status, 0, `bench exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
  assert.equal(mtime(committedReport), before, 'the quick run must not touch BENCHMARKS.md');

  const major = process.versions.node.split('.')[0];
  const suite = JSON.parse(readFileSync(join(dir, `node${major}.json`), 'utf8')) as SuiteResult;
  assert.equal(suite.mode, 'quick');
  assert.equal(suite.node, process.version);
  const report = readFileSync(out, 'utf8');

  assert.deepEqual(
    suite.scenarios.map((s) => s.id),
    [...SCENARIO_IDS],
  );
  for (const id of SCENARIO_IDS) {
    const scenario = await loadScenario(id);
    const result = suite.scenarios.find((s) => s.id === id)!;
    assert.ok(report.includes(`. ${scenario.title} (N = `), `report section of ${id}`);
    const expected = [...scenario.contenders.map((c) => c.name), ...scenario.python];
    assert.deepEqual(
      result.rows.map((r) => r.name),
      expected,
      `rows of ${id}`,
    );
    for (const row of result.rows) {
      const where = `${id}: ${row.name}`;
      assert.ok(report.includes(`| ${id} | ${row.name} |`), `summary row of ${where}`);
      if (row.na !== undefined) {
        assert.equal(row.samples.length, 0, where);
        assert.ok(report.includes(`n/a: ${row.na}`), `n/a reason of ${where}`);
        // Only Python may be missing for want of python3; every library row has a figure or a reason in its scenario.
        assert.ok(row.library !== 'python' || row.na.includes('python3'), where);
      } else {
        assert.ok(row.samples.length >= 1, `${where} has a figure`);
        for (const x of row.samples) assert.ok(Number.isFinite(x) && x > 0, `${where}: ${x}`);
      }
    }
  }
});
