import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loopWatched } from '../src/debug.js';
import { createTask, type DebugReport, run, sleep, snapshot } from '../src/index.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const thisFile = fileURLToPath(import.meta.url);

/** Keep the CPU busy for `ms` without yielding. */
function block(ms: number): void {
  const start = performance.now();
  while (performance.now() - start < ms) {
    // busy
  }
}

/** Collect weft warnings emitted while `fn` runs. */
async function warningsDuring(
  fn: () => Promise<void>,
): Promise<Array<{ code?: string; message: string }>> {
  const seen: Array<{ code?: string; message: string }> = [];
  // Warnings of earlier tests are emitted on the next tick: let them pass.
  await new Promise((resolve) => setImmediate(resolve));
  const listener = (w: Error & { code?: string }): void => {
    if (w.name === 'WeftWarning') seen.push({ code: w.code, message: w.message });
  };
  process.on('warning', listener);
  try {
    await fn();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('debug mode', () => {
  test('a blocked loop is reported with its duration and the task that was running', async () => {
    const reports: DebugReport[] = [];
    const warnings = await warningsDuring(() =>
      run(
        async () => {
          const cruncher = createTask(
            async () => {
              await sleep(5);
              block(250);
            },
            { name: 'cruncher' },
          );
          await cruncher;
          await sleep(20); // let the period end
        },
        { debug: { slowCallbackMs: 100, logger: (r) => reports.push(r) } },
      ),
    );
    const blocked = reports.filter((r) => r.code === 'WEFT_BLOCKED_LOOP');
    assert.ok(blocked.length >= 1, JSON.stringify(reports));
    const report = blocked.find((r) => r.task?.name === 'cruncher');
    assert.ok(report, JSON.stringify(blocked));
    assert.ok(report.durationMs! >= 240, `durationMs ${report.durationMs}`);
    assert.ok(report.task!.location!.startsWith(`${thisFile}:`), report.task!.location!);
    assert.match(report.task!.stack!, /debug\.test\.ts/);
    assert.match(report.message, /blocked for \d+ ms .*task 'cruncher' \(#\d+\) ran \d+ ms of it/);
    assert.ok(report.beganIn === null || typeof report.beganIn?.name === 'string');
    assert.ok(warnings.some((w) => w.code === 'WEFT_BLOCKED_LOOP'));
  });

  test('short periods are not reported', async () => {
    const reports: DebugReport[] = [];
    await run(
      async () => {
        for (let i = 0; i < 10; i++) {
          block(2);
          await sleep(5);
        }
      },
      { debug: { slowCallbackMs: 2_000, logger: (r) => reports.push(r) } },
    );
    assert.deepEqual(reports, []);
  });

  test('a task still pending when run() finishes is reported with its creation stack, then cancelled', async () => {
    const reports: DebugReport[] = [];
    let forgotten: ReturnType<typeof createTask> | undefined;
    await run(
      async () => {
        forgotten = createTask(() => sleep(60_000), { name: 'forgotten' });
        await sleep(1);
      },
      { debug: { logger: (r) => reports.push(r) } },
    );
    assert.equal(reports.length, 1, JSON.stringify(reports));
    const [report] = reports;
    assert.equal(report!.code, 'WEFT_PENDING_AT_EXIT');
    assert.equal(report!.task!.name, 'forgotten');
    assert.ok(report!.task!.location!.startsWith(`${thisFile}:`));
    assert.match(
      report!.message,
      /was still pending when run\(\) finished[\s\S]*Task created at:[\s\S]*debug\.test\.ts/,
    );
    assert.ok(forgotten!.cancelled());
  });

  test('a failed task whose error nobody retrieved is reported with its creation stack', async () => {
    const reports: DebugReport[] = [];
    await run(
      async () => {
        createTask(
          async () => {
            throw new Error('boom');
          },
          { name: 'failing' },
        );
        await sleep(5);
      },
      { debug: { logger: (r) => reports.push(r) } },
    );
    assert.equal(reports.length, 1, JSON.stringify(reports));
    const [report] = reports;
    assert.equal(report!.code, 'WEFT_UNRETRIEVED_ERROR');
    assert.equal(report!.task!.name, 'failing');
    assert.match(report!.message, /Error: boom[\s\S]*Task created at:[\s\S]*debug\.test\.ts/);
  });

  test('the default logger is console.warn, and every report is also a process warning', async () => {
    const printed: string[] = [];
    const original = console.warn;
    console.warn = (message: string) => printed.push(message);
    try {
      const warnings = await warningsDuring(() =>
        run(
          async () => {
            createTask(() => sleep(60_000), { name: 'left' });
          },
          { debug: true },
        ),
      );
      assert.equal(printed.length, 1);
      assert.match(printed[0]!, /task 'left' .* was still pending/);
      assert.deepEqual(
        warnings.map((w) => w.code),
        ['WEFT_PENDING_AT_EXIT'],
      );
    } finally {
      console.warn = original;
    }
  });

  test('off by default: no hook, no creation stacks, no reports', async () => {
    const warnings = await warningsDuring(() =>
      run(async () => {
        assert.equal(loopWatched(), false);
        const t = createTask(() => sleep(50), { name: 'plain' });
        await sleep(1);
        const info = snapshot().tasks.find((s) => s.name === 'plain');
        assert.equal(info?.stack, null);
        assert.equal(info?.location, null);
        block(150);
        await t;
      }),
    );
    assert.deepEqual(warnings, []);
  });

  test('the hook is removed when the last debug run ends', async () => {
    await run(
      async () => {
        assert.equal(loopWatched(), true);
      },
      { debug: true },
    );
    assert.equal(loopWatched(), false);
  });

  test('WEFT_DEBUG=1 turns it on, also for tasks created outside run()', async () => {
    const dir = `${root}.tmp/debug-test`;
    mkdirSync(dir, { recursive: true });
    const script = `${dir}/debug-env.ts`;
    writeFileSync(
      script,
      [
        `import { createTask, run, sleep } from '${root}src/index.ts';`,
        'const outside = createTask(async () => { throw new Error("outside"); }, { name: "outside" });',
        'await sleep(5);',
        'await run(async () => {',
        '  createTask(async () => { await sleep(5); const t = performance.now(); while (performance.now() - t < 200); }, { name: "busy" });',
        '  await sleep(300);',
        '});',
        'console.log("done", outside.done());',
      ].join('\n'),
    );
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      env: { ...process.env, WEFT_DEBUG: '1' },
    });
    assert.match(stdout, /done true/);
    assert.match(stderr, /event loop was blocked for \d+ ms .*task 'busy'/);
    assert.match(stderr, /\[WEFT_BLOCKED_LOOP\]/);
    // A task created outside run() under WEFT_DEBUG=1 has its creation stack.
    assert.match(stderr, /Task 'outside' \(#1\) failed[\s\S]*Task created at:[\s\S]*debug-env\.ts/);
  });

  test('a CancelledError records where cancel() was called in debug mode only', async () => {
    const errorOf = async (debug: boolean) =>
      run(
        async () => {
          const t = createTask(() => sleep(1_000));
          await sleep(1);
          t.cancel();
          return t.then(
            () => undefined,
            (e: unknown) => e as Error,
          );
        },
        { debug },
      );
    const plain = await errorOf(false);
    assert.equal(plain?.name, 'CancelledError');
    assert.doesNotMatch(plain!.stack!, /\n\s+at /);
    const debugged = await errorOf(true);
    assert.match(debugged!.stack!, /debug\.test\.ts/);
  });

  test('bad options are rejected naming the argument', async () => {
    await assert.rejects(
      run(async () => {}, { debug: 'yes' as never }),
      {
        name: 'TypeError',
        message: /`options\.debug` to be a boolean or an options object, got 'yes'/,
      },
    );
    await assert.rejects(
      run(async () => {}, { debug: { slowCallbackMs: 0 } }),
      {
        name: 'RangeError',
        message: /`options\.debug\.slowCallbackMs`.*got 0/,
      },
    );
    await assert.rejects(
      run(async () => {}, { debug: { logger: 'console' as never } }),
      {
        name: 'TypeError',
        message: /`options\.debug\.logger`/,
      },
    );
  });
});
