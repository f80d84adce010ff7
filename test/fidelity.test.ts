/**
 * Rules where weft follows CPython's asyncio to the letter (DESIGN.md, "Core
 * semantics"), each test named after the rule.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  asCompleted,
  CancelledError,
  checkpoint,
  createTask,
  gather,
  sleep,
  TaskGroup,
  TimeoutError,
  timeout,
  wait,
  waitFor,
} from '../src/index.js';
import { ticks } from './helpers.js';

describe('a cancelled gather, wait or waitFor rejects with the CancelledError that cancelled it', () => {
  const reasons = async (start: () => Promise<unknown>): Promise<CancelledError> => {
    const outer = createTask(start);
    await ticks();
    outer.cancel('my message');
    const error = await outer.then(
      () => assert.fail('the task should end cancelled'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CancelledError);
    assert.equal(outer.cancelled(), true);
    return error;
  };

  test('gather', async () => {
    const error = await reasons(() => gather(sleep(1_000), () => sleep(1_000)));
    assert.equal(error.message, 'my message');
    assert.equal(error.reason, 'my message');
  });

  test('gather with returnExceptions', async () => {
    const error = await reasons(() => gather([() => sleep(1_000)], { returnExceptions: true }));
    assert.equal(error.message, 'my message');
  });

  test('wait', async () => {
    const child = createTask(() => sleep(1_000));
    const error = await reasons(() => wait([child]));
    assert.equal(error.message, 'my message');
    child.cancel();
  });

  test('waitFor', async () => {
    const error = await reasons(() => waitFor(() => sleep(1_000), 5_000));
    assert.equal(error.message, 'my message');
  });
});

describe('zero and negative timeouts are already expired', () => {
  for (const ms of [0, -1, -11_000, Number.NEGATIVE_INFINITY]) {
    test(`waitFor(fn, ${ms}) rejects TimeoutError and never calls fn`, async () => {
      let called = false;
      await assert.rejects(
        waitFor(() => {
          called = true;
          return 'ran';
        }, ms),
        TimeoutError,
      );
      await ticks(2);
      assert.equal(called, false);
    });

    test(`timeout(${ms}, fn) starts fn and expires at its first checkpoint`, async () => {
      const steps: string[] = [];
      await assert.rejects(
        timeout(ms, async () => {
          steps.push('started');
          await checkpoint();
          steps.push('went on');
        }),
        TimeoutError,
      );
      assert.deepEqual(steps, ['started']);
    });
  }

  test('waitFor(task, 0) of a task already done gives its value', async () => {
    const done = createTask(() => 'early');
    await ticks();
    assert.equal(await waitFor(done, 0), 'early');
  });

  test('waitFor(task, 0) of a task that swallows the cancellation gives its value', async () => {
    const stubborn = createTask(async () => {
      try {
        await sleep(1_000);
      } catch {
        return 'kept going';
      }
    });
    await ticks();
    assert.equal(await waitFor(stubborn, 0), 'kept going');
  });

  test('timeout(0, fn) whose fn reaches no checkpoint returns its value (as asyncio)', async () => {
    assert.equal(await timeout(0, () => 'quick'), 'quick');
  });

  test('wait and asCompleted with timeout <= 0 report what is done now', async () => {
    const done = createTask<unknown>(() => 'done');
    const slow = createTask<unknown>(() => sleep(1_000));
    await ticks();
    for (const ms of [0, -5]) {
      const result = await wait([done, slow], { timeout: ms });
      assert.deepEqual([...result.done], [done]);
      assert.deepEqual([...result.pending], [slow]);
    }
    const seen: unknown[] = [];
    await assert.rejects(async () => {
      for await (const task of asCompleted([slow, done], { timeout: 0 })) seen.push(await task);
    }, TimeoutError);
    assert.deepEqual(seen, ['done']);
    slow.cancel();
  });

  test('NaN is still a RangeError everywhere', async () => {
    await assert.rejects(
      timeout(Number.NaN, () => 1),
      RangeError,
    );
    await assert.rejects(
      waitFor(() => 1, Number.NaN),
      RangeError,
    );
    await assert.rejects(wait([createTask(() => 1)], { timeout: Number.NaN }), RangeError);
    assert.throws(() => asCompleted([], { timeout: Number.NaN }), RangeError);
  });
});

describe('wait() reports what is done when the caller resumes', () => {
  test('a task finishing in the same timer batch as the timeout is done, not pending', async () => {
    for (let round = 0; round < 5; round++) {
      // Eager: a's sleep is armed before wait()'s timer, in the same list of
      // 100 ms timers, so both fire in one batch, a's first.
      const a = createTask(() => sleep(100, 'a'), { eager: true });
      const b = createTask(() => sleep(150, 'b'), { eager: true });
      const { done, pending } = await wait([b, a], { timeout: 100 });
      assert.ok(done.has(a), `round ${round}: a finished with the timer and is done`);
      assert.ok(pending.has(b));
      b.cancel();
    }
  });

  test('FIRST_COMPLETED counts every task that finished in the same turn', async () => {
    const a = createTask(async () => {
      await checkpoint();
      return 'a';
    });
    const b = createTask(async () => {
      await checkpoint();
      return 'b';
    });
    const { done, pending } = await wait([a, b], { returnWhen: 'FIRST_COMPLETED' });
    assert.equal(done.size, 2);
    assert.equal(pending.size, 0);
  });
});

describe('asCompleted and wait de-duplicate their input', () => {
  test('asCompleted([t, t, u]) yields two tasks', async () => {
    const t = createTask(() => sleep(5, 't'));
    const u = createTask(() => sleep(10, 'u'));
    const seen: unknown[] = [];
    for await (const task of asCompleted([t, t, u])) seen.push(await task);
    assert.deepEqual(seen, ['t', 'u']);
  });

  test('the same promise given twice is one task', async () => {
    const p = sleep(5, 'p');
    const seen: unknown[] = [];
    for await (const task of asCompleted([p, p])) seen.push(await task);
    assert.deepEqual(seen, ['p']);
  });

  test('wait([t, t]) waits for t once', async () => {
    const t = createTask(() => sleep(5, 't'));
    const { done, pending } = await wait([t, t]);
    assert.deepEqual([...done], [t]);
    assert.equal(pending.size, 0);
  });
});

describe('wake-ups of one loop iteration resume in order, as asyncio ready queue', () => {
  test('siblings woken in one turn resume before what one of them triggers', async () => {
    const events: string[] = [];
    const a = createTask(async () => {
      await checkpoint();
      events.push('a resumed');
    });
    const b = createTask(async () => {
      await checkpoint();
      events.push('b resumed');
    });
    const c = createTask(async () => {
      await a;
      events.push('c saw a done');
    });
    await gather(a, b, c);
    assert.deepEqual(events, ['a resumed', 'b resumed', 'c saw a done']);
  });

  test('checkpoints resume in the order they were reached, turn by turn', async () => {
    const events: string[] = [];
    const worker = (name: string) => async () => {
      for (let i = 0; i < 3; i++) {
        await checkpoint();
        events.push(`${name}${i}`);
      }
    };
    await gather(worker('x'), worker('y'), worker('z'));
    assert.deepEqual(events, ['x0', 'y0', 'z0', 'x1', 'y1', 'z1', 'x2', 'y2', 'z2']);
  });

  test('a task cancelled once its wake-up is due resumes, and its next checkpoint delivers', async () => {
    const events: string[] = [];
    let victim: ReturnType<typeof createTask<void>> | undefined;
    const killer = createTask(async () => {
      await checkpoint();
      victim?.cancel();
      events.push('killer');
    });
    victim = createTask(async () => {
      await checkpoint(); // woken in the killer's batch: the wake-up stands
      events.push('victim woke');
      try {
        await checkpoint();
        events.push('victim went on');
      } catch (error) {
        events.push(error instanceof CancelledError ? 'victim cancelled' : 'other');
        throw error;
      }
    });
    const bystander = createTask(async () => {
      await checkpoint();
      events.push('bystander');
    });
    await gather([killer, victim, bystander], { returnExceptions: true });
    assert.equal(victim.cancelled(), true);
    assert.deepEqual(events, ['killer', 'victim woke', 'bystander', 'victim cancelled']);
  });

  test('nested task groups cancelled together: each child cancelled once, one request counted', async () => {
    const finallies: string[] = [];
    const child = (name: string) => async () => {
      try {
        await sleep(1_000);
      } finally {
        finallies.push(name);
      }
    };
    const outer = createTask(() =>
      TaskGroup.run(async (tg) => {
        tg.createTask(() =>
          TaskGroup.run(async (inner) => {
            inner.createTask(child('inner child'));
            await sleep(1_000);
          }),
        );
        tg.createTask(child('outer child'));
        await sleep(1_000);
      }),
    );
    await ticks(3);
    outer.cancel();
    await assert.rejects(outer, CancelledError);
    assert.equal(outer.cancelling(), 1);
    assert.deepEqual(finallies.sort(), ['inner child', 'outer child']);
  });
});

describe('gather takes any count the call site can pass', () => {
  test('gather(...tasks) with 100,000 spread arguments', async () => {
    const tasks = Array.from({ length: 100_000 }, (_, i) => createTask(() => i));
    const results = await gather(...tasks);
    assert.equal(results.length, 100_000);
    assert.equal(results[99_999], 99_999);
  });

  test('gather([...]) with 1,000,000 tasks', async () => {
    const fns = Array.from({ length: 1_000_000 }, (_, i) => () => i);
    const results = await gather(fns);
    assert.equal(results.length, 1_000_000);
    let sum = 0;
    for (const r of results) sum += r;
    assert.equal(sum, (999_999 * 1_000_000) / 2);
  });

  test('a bad input among 100,000 is named by its index', async () => {
    const inputs: unknown[] = Array.from({ length: 100_000 }, () => () => 1);
    inputs[77_777] = 42;
    await assert.rejects(gather(...(inputs as Array<() => number>)), {
      name: 'TypeError',
      message: /`arguments\[77777\]`.*42/,
    });
  });
});

describe('eager tasks run up to their first await inside createTask', () => {
  test('a plain function that returns is done when createTask returns', () => {
    const task = createTask(() => 'now', { eager: true });
    assert.equal(task.done(), true);
    assert.equal(task.result(), 'now');
  });

  test('an async function that never awaits has run, but settles a microtask later', async () => {
    let ran = false;
    const task = createTask(
      async () => {
        ran = true;
        return 'soon';
      },
      { eager: true },
    );
    assert.equal(ran, true);
    assert.equal(task.done(), false);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(task.done(), true);
    assert.equal(task.result(), 'soon');
  });
});
