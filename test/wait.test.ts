import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  asCompleted,
  CancelledError,
  createTask,
  shield,
  sleep,
  TimeoutError,
  wait,
} from '../src/index.js';
import { ticks } from './helpers.js';

describe('wait', () => {
  const make = () => {
    // Margins wide enough that a loaded machine never fires two of these
    // timers in one turn (wait() counts every task done in its last turn).
    const fast = createTask(() => sleep(5, 'fast'));
    const failing = createTask(async () => {
      await sleep(150);
      throw new Error('failed');
    });
    const slow = createTask(() => sleep(400, 'slow'));
    return { fast, failing, slow, all: [fast, failing, slow] };
  };

  test('ALL_COMPLETED (default)', async () => {
    const { all } = make();
    const { done, pending } = await wait(all);
    assert.equal(done.size, 3);
    assert.equal(pending.size, 0);
    await Promise.allSettled(all);
  });

  test('FIRST_COMPLETED', async () => {
    const { fast, all } = make();
    const { done, pending } = await wait(all, { returnWhen: 'FIRST_COMPLETED' });
    assert.deepEqual([...done], [fast]);
    assert.equal(pending.size, 2);
    await Promise.allSettled(all);
  });

  test('FIRST_EXCEPTION returns at the first failure; cancellation does not count', async () => {
    const { fast, failing, slow, all } = make();
    const cancelled = createTask(() => sleep(1000));
    await ticks();
    cancelled.cancel();
    const { done, pending } = await wait([...all, cancelled], { returnWhen: 'FIRST_EXCEPTION' });
    assert.ok(done.has(fast) && done.has(failing) && done.has(cancelled));
    assert.deepEqual([...pending], [slow]);
    await Promise.allSettled(all);
  });

  test('timeout returns what is done so far and cancels nothing', async () => {
    const { slow, all } = make();
    const { pending } = await wait(all, { timeout: 250 });
    assert.deepEqual([...pending], [slow]);
    assert.equal(slow.cancelled(), false);
    await Promise.allSettled(all);
  });

  test('is a checkpoint that does not cancel what it waits for', async () => {
    const work = createTask(() => sleep(30, 'w'));
    const waiter = createTask(() => wait([work]));
    await ticks();
    waiter.cancel();
    await assert.rejects(waiter, CancelledError);
    assert.equal(await work, 'w');
  });

  test('bad input', async () => {
    await assert.rejects(wait([]), RangeError);
    await assert.rejects(wait([Promise.resolve(1)] as never), {
      name: 'TypeError',
      message: /`aws\[0\]`/,
    });
    const t = createTask(async () => 1);
    await assert.rejects(wait([t], { returnWhen: 'SOON' as never }), /returnWhen/);
    await assert.rejects(wait([t], { timeout: Number.NaN }), RangeError);
  });
});

describe('asCompleted', () => {
  test('yields tasks in completion order', async () => {
    const tasks = [30, 5, 15].map((ms) => createTask(() => sleep(ms, ms)));
    const order: number[] = [];
    for await (const task of asCompleted(tasks)) order.push(await task);
    assert.deepEqual(order, [5, 15, 30]);
  });

  test('wraps promises and throws TimeoutError when time runs out', async () => {
    const seen: number[] = [];
    const slow = createTask(() => sleep(500, 500));
    await assert.rejects(async () => {
      for await (const task of asCompleted([sleep(5, 5), slow], { timeout: 30 })) {
        seen.push(await task);
      }
    }, TimeoutError);
    assert.deepEqual(seen, [5]);
    assert.equal(slow.done(), false);
    slow.cancel();
  });

  test('breaking out early detaches cleanly', async () => {
    const tasks = [5, 10].map((ms) => createTask(() => sleep(ms, ms)));
    for await (const task of asCompleted(tasks)) {
      assert.equal(await task, 5);
      break;
    }
    assert.equal(await tasks[1], 10);
  });

  test('empty input ends at once; bad input throws', async () => {
    for await (const _ of asCompleted([])) assert.fail('nothing to yield');
    assert.throws(() => asCompleted([3 as never]), TypeError);
    assert.throws(() => asCompleted([], { timeout: Number.NaN }), RangeError);
  });
});

describe('shield', () => {
  test('the caller is cancelled at once; the inner work goes on', async () => {
    const inner = createTask(() => sleep(30, 'saved'));
    const caller = createTask(() => shield(inner));
    await ticks();
    caller.cancel();
    await assert.rejects(caller, CancelledError);
    assert.equal(inner.done(), false);
    assert.equal(await inner, 'saved');
  });

  test('passes results and errors through', async () => {
    assert.equal(await shield(() => sleep(1, 1)), 1);
    await assert.rejects(
      createTask(() =>
        shield(async () => {
          throw new Error('inner');
        }),
      ),
      /inner/,
    );
    await assert.rejects(shield(5 as never), TypeError);
  });
});
