import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createTask, run, sleep, timeout } from '../src/index.js';
import { activeTimers, startTimer, stopTimer } from '../src/internal/timers.js';

/** Node timers still armed (weft keeps one per duration in use, none when idle). */
function nodeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('timers', () => {
  test('sleeps of one duration wake in the order they started, not before their time', async () => {
    await run(async () => {
      const woke: number[] = [];
      const started = performance.now();
      const tasks = Array.from({ length: 50 }, (_, i) =>
        createTask(async () => {
          await sleep(20);
          woke.push(i);
          assert.ok(performance.now() - started >= 20);
        }),
      );
      for (const t of tasks) await t;
      assert.deepEqual(
        woke,
        Array.from({ length: 50 }, (_, i) => i),
      );
    });
    assert.equal(activeTimers(), 0);
  });

  test('property: any mix of sleeps, cancellations and timeouts wakes each in due order, none early by more than 1 ms, none left behind', async () => {
    const baseline = nodeTimers();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            ms: fc.integer({ min: 1, max: 30 }),
            cancelAfter: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
            underTimeout: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (plans) => {
          await run(async () => {
            const woke: Array<{ i: number; due: number; at: number }> = [];
            const tasks = plans.map((plan, i) =>
              createTask(async () => {
                const start = performance.now();
                const nap = () => sleep(plan.ms);
                if (plan.underTimeout === undefined) await nap();
                else await timeout(plan.underTimeout, nap);
                const at = performance.now();
                // At most a millisecond early (timers started in the same turn
                // wake together), like Node's own timers.
                assert.ok(at - start >= plan.ms - 1, `woke after ${at - start} < ${plan.ms} - 1`);
                woke.push({ i, due: start + plan.ms, at });
              }),
            );
            for (const [i, plan] of plans.entries()) {
              if (plan.cancelAfter !== undefined) {
                const task = tasks[i]!;
                setTimeout(() => task.cancel(), plan.cancelAfter);
              }
            }
            for (const t of tasks)
              await t.then(
                () => {},
                () => {},
              );
            // Plain sleeps resume in due order, to within the millisecond
            // rounding of durations (a timeout around a sleep adds its own
            // steps on the way out, so those are left out of the order).
            const plain = woke.filter((w) => plans[w.i]!.underTimeout === undefined);
            for (let k = 1; k < plain.length; k++) {
              assert.ok(plain[k]!.due >= plain[k - 1]!.due - 1, JSON.stringify(plain));
            }
            await sleep(35); // the cancel timers above have all fired
          });
          assert.equal(activeTimers(), 0);
          assert.equal(nodeTimers(), baseline);
        },
      ),
      { numRuns: 30 },
    );
  });

  test('stopping a timer is O(1) and idempotent; an emptied duration leaves no Node timer', () => {
    const baseline = nodeTimers();
    let fired = 0;
    const timers = Array.from({ length: 1_000 }, () => startTimer(50, () => fired++, undefined));
    assert.equal(activeTimers(), 1_000);
    assert.equal(nodeTimers(), baseline + 1);
    for (const t of timers) stopTimer(t);
    stopTimer(timers[0]);
    stopTimer(undefined);
    assert.equal(activeTimers(), 0);
    assert.equal(nodeTimers(), baseline);
    assert.equal(fired, 0);
  });

  test('delays beyond setTimeout range wait (re-armed in steps), and can be stopped', async () => {
    let fired = false;
    const far = startTimer(
      30 * 24 * 3600_000,
      () => {
        fired = true;
      },
      undefined,
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(fired, false);
    stopTimer(far);
    assert.equal(activeTimers(), 0);
  });
});

describe('timers: a Node timer left armed for reuse', () => {
  test('timeouts that finished in time do not keep the process alive', async () => {
    const { execFile } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const fixture = fileURLToPath(new URL('./fixtures/timeout-in-time.ts', import.meta.url));
    const started = performance.now();
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', fixture],
        { timeout: 100_000 },
        (error, out) => (error ? reject(error) : resolve(out)),
      );
    });
    assert.equal(stdout.trim(), 'done');
    // The deadline was 120 s away; a process held by its timer would take that long.
    assert.ok(performance.now() - started < 60_000, 'the process waited for the deadline');
  });

  test('a duration reused after its timers all stopped still fires on time', async () => {
    await run(async () => {
      await timeout(30, () => sleep(1));
      // The list of 30 ms timers is empty now, its Node timer still armed for the first.
      const started = performance.now();
      await timeout(30, () => sleep(10)).catch(() => undefined);
      await assert.rejects(
        timeout(30, () => sleep(1_000)),
        { name: 'TimeoutError' },
      );
      assert.ok(performance.now() - started >= 39, 'a reused duration fired early');
    });
    assert.equal(activeTimers(), 0);
  });
});
