import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError, createTask, currentTask, gather, sleep } from '../src/index.js';
import { ticks } from './helpers.js';

describe('gather', () => {
  test('runs concurrently and returns a typed tuple in argument order', async () => {
    const events: string[] = [];
    const step = async <T>(name: string, ms: number, value: T): Promise<T> => {
      events.push(`${name} started`);
      await sleep(ms);
      events.push(`${name} done`);
      return value;
    };
    const [a, b, c] = await gather(
      () => step('a', 40, 'a'),
      step('b', 5, 2),
      createTask(async () => true),
    );
    const typed: [string, number, boolean] = [a, b, c];
    assert.deepEqual(typed, ['a', 2, true]);
    assert.deepEqual(events, ['b started', 'a started', 'b done', 'a done']);
  });

  test('accepts a list and options; empty list resolves to []', async () => {
    assert.deepEqual(await gather([async () => 1, async () => 2]), [1, 2]);
    assert.deepEqual(await gather([]), []);
    assert.deepEqual(await gather(), []);
  });

  test('without returnExceptions: rejects with the first error, other children keep running', async () => {
    const slow = createTask(() => sleep(30, 'slow'));
    const boom = new Error('boom');
    await assert.rejects(
      gather(slow, async () => {
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.equal(slow.done(), false);
    assert.equal(await slow, 'slow');
  });

  test('a child cancelled on its own rejects the gather with CancelledError', async () => {
    const child = createTask(() => sleep(1000));
    const g = gather(child, () => sleep(5));
    await ticks();
    child.cancel();
    await assert.rejects(g, CancelledError);
  });

  test('with returnExceptions: errors and cancellations are results', async () => {
    const boom = new Error('x');
    const cancelled = createTask(() => sleep(1000));
    const g = gather(
      [
        async () => 1,
        async () => {
          throw boom;
        },
        cancelled,
      ],
      { returnExceptions: true },
    );
    await ticks();
    cancelled.cancel();
    const [one, err, gone] = await g;
    assert.equal(one, 1);
    assert.equal(err, boom);
    assert.ok(gone instanceof CancelledError);
  });

  test('cancelling the gather cancels every child and settles after they have', async () => {
    const cleaned: string[] = [];
    const child = (name: string) => async () => {
      try {
        await sleep(1000);
      } finally {
        await new Promise((r) => setTimeout(r, 10));
        cleaned.push(name);
      }
    };
    const children = [createTask(child('a')), createTask(child('b'))];
    const outer = createTask(() => gather(...children));
    await ticks();
    outer.cancel();
    await assert.rejects(outer, CancelledError);
    assert.deepEqual(cleaned.sort(), ['a', 'b']);
    assert.ok(children.every((c) => c.cancelled()));
  });

  test('a pending cancellation reaches the children at the gather', async () => {
    const child = createTask(() => sleep(1000));
    const outer = createTask(async () => {
      currentTask()!.cancel();
      await gather(child);
    });
    await assert.rejects(outer, CancelledError);
    assert.equal(child.cancelled(), true);
  });

  test('bad input rejects with TypeError naming the position', async () => {
    await assert.rejects(
      gather(async () => 1, 5 as never),
      {
        name: 'TypeError',
        message: /`arguments\[1\]`.*got 5/,
      },
    );
    await assert.rejects(gather([null as never]), /`aws\[0\]`/);
    await assert.rejects(gather([], { returnExceptions: 'y' as never }), /returnExceptions/);
  });
});
