// The demo (`npm start`) as a user meets it: a real process, real HTTP, real
// signals, and its /tasks page in a real browser (Debian's chromium).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Snapshot } from '../src/index.js';
import {
  CHROMIUM,
  externalAddress as external,
  FRAMEWORKS,
  getJson,
  startDemo,
} from './demo-helpers.js';
import { abandon, eventually } from './web-helpers.js';

describe('demo', { timeout: 300_000 }, () => {
  test('/debug/tasks answers loopback clients only', {
    skip: external === undefined && 'no non-loopback address',
  }, async () => {
    const demo = await startDemo({ HOST: '0.0.0.0' });
    try {
      const port = new URL(demo.base).port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/debug/tasks`)).status, 200);
      const res = await fetch(`http://${external}:${port}/debug/tasks`);
      assert.equal(res.status, 403);
      assert.deepEqual(await res.json(), { error: '/debug/tasks answers loopback clients only' });
    } finally {
      demo.child.kill('SIGKILL');
      await demo.exited;
    }
  });

  for (const framework of FRAMEWORKS) {
    test(`${framework}: the routes answer, and background work happens after the response`, async () => {
      const demo = await startDemo({ WEFT_DEMO_FRAMEWORK: framework });
      try {
        assert.deepEqual(await getJson(`${demo.base}/`), {
          message: 'Task is running in the background',
        });
        await eventually(() =>
          demo.output().includes('Hello FastAPI User, this is a background task.'),
        );
        assert.deepEqual(await getJson(`${demo.base}/flask`), { data: 'Data' });
        assert.deepEqual(await getJson(`${demo.base}/fastapi`), {
          data: 'Data',
          task: 'fetch_data',
        });
        const gathered = (await getJson(`${demo.base}/gather`)) as {
          results: string[];
          ms: number;
        };
        assert.deepEqual(gathered.results, ['first', 'second']);
        // A client that leaves /slow cancels its handler.
        await abandon(`${demo.base}/slow?ms=10000`, 200);
        await eventually(() =>
          demo.output().includes('GET /slow?ms=10000: cancelled, the client went away'),
        );
        await getJson(`${demo.base}/fail`);
        await eventually(() => demo.output().includes('the mail server said no'));
        const tasks = (await getJson(`${demo.base}/tasks.json`)) as {
          stats: { completed: number; failed: number };
          tasks: Array<{ name: string; state: string }>;
        };
        assert.ok(
          tasks.tasks.some((t) => t.name === 'background: GET /' && t.state === 'completed'),
        );
        assert.equal((await fetch(`${demo.base}/nope`)).status, 404);
        // Bad query values get a 400 that says what is expected, and start nothing.
        for (const [path, error] of [
          ['/report?ms=1e400', 'ms must be a whole number from 0 to 600000, got "1e400"'],
          ['/report?ms=abc', 'ms must be a whole number from 0 to 600000, got "abc"'],
          ['/report?ms=NaN', 'ms must be a whole number from 0 to 600000, got "NaN"'],
          ['/report?ms=-5', 'ms must be a whole number from 0 to 600000, got "-5"'],
          ['/report?ms=', 'ms must be a whole number from 0 to 600000, got ""'],
          ['/slow?ms=Infinity', 'ms must be a whole number from 0 to 600000, got "Infinity"'],
          ['/slow?ms=2.5', 'ms must be a whole number from 0 to 600000, got "2.5"'],
          ['/hash?mb=abc', 'mb must be a whole number from 1 to 1024, got "abc"'],
          ['/hash?on=gpu', `on must be one of 'worker', 'main', got "gpu"`],
        ] as const) {
          const res = await fetch(`${demo.base}${path}`);
          assert.equal(res.status, 400, path);
          assert.deepEqual(await res.json(), { error }, path);
        }
        const after = (await getJson(`${demo.base}/tasks.json`)) as {
          tasks: Array<{ name: string; state: string }>;
        };
        assert.ok(
          !after.tasks.some((t) => /\?ms=(1e400|abc|NaN|-5|)$/.test(t.name)),
          'no job was started for a bad value',
        );
        // /debug/tasks: what weft ps shows, from inside the process.
        await (await fetch(`${demo.base}/report?ms=5000`)).text();
        let report: Snapshot['tasks'][number] | undefined;
        for (let i = 0; i < 200 && report?.waitingOn[0]?.kind !== 'sleep'; i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, 10));
          const snap = (await getJson(`${demo.base}/debug/tasks`)) as Snapshot;
          report = snap.tasks.find((t) => t.name.startsWith('background: GET /report'));
        }
        assert.equal(report?.state, 'waiting');
        assert.equal(report?.waitingOn[0]?.kind, 'sleep');
        const snap = (await getJson(`${demo.base}/debug/tasks`)) as Snapshot;
        assert.equal(snap.pid, demo.child.pid);
        assert.ok(snap.tasks.some((t) => t.name === 'GET /debug/tasks' && t.state === 'running'));
      } finally {
        demo.child.kill('SIGKILL');
        await demo.exited;
      }
    });

    test(`${framework}: SIGTERM: background work that fits the grace period completes, exit code 0`, async () => {
      const demo = await startDemo({ WEFT_DEMO_FRAMEWORK: framework, GRACE_MS: '5000' });
      const res = await fetch(`${demo.base}/report?ms=300`);
      assert.equal(res.status, 202);
      await res.text();
      demo.child.kill('SIGTERM');
      assert.equal(await demo.exited, 0);
      assert.match(demo.output(), /report ready after 300 ms/);
    });

    test(`${framework}: SIGTERM: work past the grace period is cancelled and reported, exit code 1`, async () => {
      const demo = await startDemo({ WEFT_DEMO_FRAMEWORK: framework, GRACE_MS: '300' });
      await (await fetch(`${demo.base}/report?ms=30000`)).text();
      demo.child.kill('SIGTERM');
      assert.equal(await demo.exited, 1);
      assert.doesNotMatch(demo.output(), /report ready/);
      assert.match(demo.output(), /cancelled 1 task\(s\) still unfinished after/);
    });

    test(`${framework}: SIGTERM while a request is in flight: it finishes before the exit`, async () => {
      const demo = await startDemo({ WEFT_DEMO_FRAMEWORK: framework, GRACE_MS: '5000' });
      const pending = fetch(`${demo.base}/slow?ms=400`).then((r) => r.json());
      await new Promise((r) => setTimeout(r, 100));
      demo.child.kill('SIGTERM');
      assert.deepEqual(await pending, { slept: 400 });
      assert.equal(await demo.exited, 0);
    });
  }

  test('the /tasks page lists recent background tasks in a real browser', async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: npm test installs Debian's chromium (scripts/ensure-chromium.mjs)`,
    );
    const { chromium } = await import('playwright-core');
    const demo = await startDemo();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      await (await fetch(`${demo.base}/`)).text();
      await (await fetch(`${demo.base}/report?ms=20000`)).text();
      await (await fetch(`${demo.base}/fail`)).text();
      await eventually(() => demo.output().includes('the mail server said no'));
      const page = await browser.newPage();
      await page.goto(`${demo.base}/tasks`);
      assert.equal(await page.title(), 'weft: background tasks');
      const rows = await page.$$eval('tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')),
      );
      const byName = new Map(rows.map((cells) => [cells[1], cells]));
      assert.equal(byName.get('background: GET /')?.[2], 'completed');
      assert.equal(byName.get('background: GET /report?ms=20000')?.[2], 'running');
      assert.equal(byName.get('background: GET /fail')?.[2], 'failed');
      assert.equal(byName.get('background: GET /fail')?.[4], 'the mail server said no');
      // The durable jobs' worker is a supervised task too, running for the life of the app.
      assert.equal(byName.get('jobs-worker')?.[2], 'running');
      assert.match(
        (await page.textContent('#stats')) ?? '',
        /running 2 · pending 0 · completed 1 · failed 1/,
      );
      // It refreshes itself.
      const refresh = await page.getAttribute('meta[http-equiv="refresh"]', 'content');
      assert.equal(refresh, '2');
    } finally {
      await browser.close();
      demo.child.kill('SIGKILL');
      await demo.exited;
    }
  });
});
