/**
 * `npm run bench:web` keeps working: one short run of every framework and
 * variant, over TCP and in memory, as a subprocess writing its results and
 * report into a temporary directory (never over BENCHMARKS.md). Its checks
 * (every response 2xx, one background task per request handled, every
 * supervisor drained) are the run's own; times are not asserted.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { WebSuiteResult } from '../bench/web-results.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-web-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('npm run bench:web writes every framework and variant, and its report section', () => {
  const committed = join(root, 'BENCHMARKS.md');
  const before = statSync(committed).mtimeMs;
  const out = join(dir, 'BENCHMARKS.md');
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/web.ts',
      ...['--rounds', '1', '--duration', '0.2'],
      ...['--memory-rounds', '3', '--memory-requests', '50'],
      ...['--results', dir, '--out', out],
    ],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(run.status, 0, `bench:web exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
  assert.equal(statSync(committed).mtimeMs, before, 'BENCHMARKS.md must be left alone');

  const major = process.versions.node.split('.')[0];
  const suite = JSON.parse(
    readFileSync(join(dir, `web-node${major}.json`), 'utf8'),
  ) as WebSuiteResult;
  assert.equal(suite.node, process.version);
  assert.deepEqual(
    suite.frameworks.map((f) => f.name),
    ['node:http', 'Express 5', 'Fastify 5', 'Hono 4'],
  );
  const report = readFileSync(out, 'utf8');
  assert.ok(report.includes('## Web'), 'the Web section');
  for (const framework of suite.frameworks) {
    assert.deepEqual(
      framework.rows.map((r) => r.variant),
      ['bare', 'weft', 'weft+task'],
    );
    for (const row of framework.rows) {
      const where = `${framework.name} ${row.variant}`;
      assert.equal(row.rps.length, 1, where);
      assert.equal(row.memory.length, 3, where);
      for (const x of [...row.rps, ...row.memory]) assert.ok(Number.isFinite(x) && x > 0, where);
    }
    assert.ok(framework.handled > 0, framework.name);
    assert.equal(framework.tasks, framework.handled, `${framework.name}: a task per request`);
    assert.ok(report.includes(`| ${framework.name} | weft + 1 background task |`), framework.name);
  }
});
