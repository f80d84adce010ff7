import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  map,
  run,
  sleep,
  TimeoutError,
  timeout,
} from '../src/index.js';
import { ticks } from './helpers.js';

describe('map', () => {
  test('results keep input order whatever order the calls finish in', async () => {
    const result = await map([30, 10, 20], async (ms, index) => {
      await sleep(ms);
      return `${index}:${ms}`;
    });
    assert.deepEqual(result, ['0:30', '1:10', '2:20']);
  });

  test('never runs more than `concurrency` calls at once', async () => {
    let running = 0;
    let most = 0;
    const result = await map(
      Array.from({ length: 20 }, (_, i) => i),
      async (i) => {
        most = Math.max(most, ++running);
        await sleep(1);
        running--;
        return i * 2;
      },
      { concurrency: 3 },
    );
    assert.equal(most, 3);
    assert.deepEqual(
      result,
      Array.from({ length: 20 }, (_, i) => i * 2),
    );
  });

  test('each call runs in its own task and gets a signal', async () => {
    const names = new Set<number>();
    await map(
      [1, 2, 3],
      async (_item, _index, signal) => {
        assert.ok(signal instanceof AbortSignal);
        names.add(currentTask()!.id);
      },
      { concurrency: 2 },
    );
    assert.equal(names.size, 3);
  });

  test('the first failure stops scheduling, cancels the running calls, and rejects with it', async () => {
    const started: number[] = [];
    const cancelled: number[] = [];
    await assert.rejects(
      map(
        [0, 1, 2, 3, 4, 5],
        async (i) => {
          started.push(i);
          try {
            await sleep(i === 1 ? 5 : 50);
          } catch (err) {
            if (err instanceof CancelledError) cancelled.push(i);
            throw err;
          }
          if (i === 1) throw new Error('item 1 failed');
        },
        { concurrency: 2 },
      ),
      /item 1 failed/,
    );
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(cancelled, [0]);
    assert.equal(allTasks().size, 0);
  });

  test('cancelling the caller cancels every running call before map rejects', async () => {
    let finallies = 0;
    const caller = createTask(() =>
      map(
        [1, 2, 3, 4],
        async () => {
          try {
            await sleep(1_000);
          } finally {
            finallies++;
          }
        },
        { concurrency: 2 },
      ),
    );
    await ticks(2);
    caller.cancel();
    await assert.rejects(caller, CancelledError);
    assert.equal(finallies, 2);
    assert.equal(allTasks().size, 0);
  });

  test('a timeout around map turns into TimeoutError and leaves nothing running', async () => {
    await assert.rejects(
      timeout(20, () => map([1, 2, 3], () => sleep(1_000), { concurrency: 3 })),
      TimeoutError,
    );
    assert.equal(allTasks().size, 0);
  });

  test('lazy and async sources are read only as slots free up', async () => {
    const pulled: number[] = [];
    function* source() {
      for (let i = 0; i < 5; i++) {
        pulled.push(i);
        yield i;
      }
    }
    let seenWhenFirstDone = -1;
    await map(
      source(),
      async (i) => {
        await sleep(5);
        if (seenWhenFirstDone < 0) seenWhenFirstDone = pulled.length;
        return i;
      },
      { concurrency: 2 },
    );
    assert.equal(seenWhenFirstDone, 2);
    async function* asyncSource() {
      yield 'a';
      await sleep(1);
      yield 'b';
    }
    assert.deepEqual(await map(asyncSource(), (s) => s.toUpperCase()), ['A', 'B']);
  });

  test('a source that throws cancels the calls and rejects with its error', async () => {
    async function* source() {
      yield 1;
      await sleep(20); // the first call is running when the source breaks
      throw new Error('source broke');
    }
    let cancelled = false;
    await assert.rejects(
      map(source(), async () => {
        try {
          await sleep(1_000);
        } catch (err) {
          cancelled = err instanceof CancelledError;
          throw err;
        }
      }),
      /source broke/,
    );
    assert.equal(cancelled, true);
  });

  test('another failure during the stop is reported, not dropped', async () => {
    const reported: unknown[] = [];
    await run(
      async () => {
        await assert.rejects(
          map(
            [0, 1],
            async (i) => {
              if (i === 0) throw new Error('first');
              try {
                await sleep(1_000);
              } catch {
                throw new Error('second, while stopping');
              }
            },
            { concurrency: 2 },
          ),
          /first/,
        );
      },
      { onUnretrievedError: (error) => reported.push(error) },
    );
    assert.deepEqual(
      reported.map((e) => (e as Error).message),
      ['second, while stopping'],
    );
  });

  test('an empty input resolves to []; no signal listener is left behind', async () => {
    assert.deepEqual(await map([], () => 1), []);
    await run(async () => {
      const signal = currentTask()!.signal;
      await map([1, 2], (x) => x, { concurrency: 1 });
      assert.equal(getEventListeners(signal, 'abort').length, 0);
    });
  });

  test('bad input: messages name the argument and the value', async () => {
    await assert.rejects(
      map([1], (x) => x, { concurrency: 0 }),
      {
        name: 'RangeError',
        message: 'Expected `concurrency` to be an integer >= 1 or Infinity, got 0',
      },
    );
    await assert.rejects(
      map([1], (x) => x, { concurrency: 1.5 }),
      RangeError,
    );
    await assert.rejects(
      map([1], (x) => x, { concurrency: '2' as never }),
      TypeError,
    );
    await assert.rejects(
      map(42 as never, (x) => x),
      /Expected `items` to be an iterable/,
    );
    await assert.rejects(map([1], 'fn' as never), /Expected `fn` to be a function/);
  });
});
