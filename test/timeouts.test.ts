import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CancelledError,
  createTask,
  currentSignal,
  currentTask,
  InvalidStateError,
  sleep,
  TimeoutError,
  timeout,
  timeoutAt,
  waitFor,
} from '../src/index.js';
import { abortListeners, delay, ticks } from './helpers.js';

describe('timeout', () => {
  test('returns the value when the work finishes in time', async () => {
    assert.equal(await timeout(200, () => sleep(5, 'ok')), 'ok');
  });

  test('its TimeoutError tells the duration that expired', async () => {
    await assert.rejects(
      timeout(10, () => sleep(1_000)),
      (e) => e instanceof TimeoutError && e.ms === 10 && /after 10 ms/.test(e.message),
    );
  });

  test('turns its own expiry into TimeoutError after the work settled', async () => {
    const steps: string[] = [];
    await assert.rejects(
      timeout(10, async () => {
        try {
          await sleep(1000);
        } finally {
          await delay(10);
          steps.push('cleanup');
        }
      }),
      (e) => e instanceof TimeoutError && e.cause instanceof CancelledError,
    );
    assert.deepEqual(steps, ['cleanup']);
  });

  test('leaves cancelling() as it was and the task signal untouched', async () => {
    await createTask(async (signal) => {
      await assert.rejects(
        timeout(5, () => sleep(1000)),
        TimeoutError,
      );
      assert.equal(currentTask()!.cancelling(), 0);
      assert.equal(signal.aborted, false);
      assert.equal(await sleep(1, 'still works'), 'still works');
    });
  });

  test('its signal aborts with a TimeoutError; currentSignal() is the innermost', async () => {
    let inner: AbortSignal | undefined;
    let taskSignal: AbortSignal | undefined;
    await createTask(async (signal) => {
      taskSignal = signal;
      await assert.rejects(
        timeout(5, async (scope) => {
          inner = currentSignal();
          assert.equal(inner, scope.signal);
          assert.notEqual(inner, signal);
          await sleep(1000);
        }),
        TimeoutError,
      );
    });
    assert.equal(inner!.aborted, true);
    assert.ok(inner!.reason instanceof TimeoutError);
    assert.equal(taskSignal!.aborted, false);
    assert.equal(abortListeners(taskSignal!), 0);
  });

  test('work stopped through its signal by a Node API still becomes TimeoutError', async () => {
    const { setTimeout: nodeSleep } = await import('node:timers/promises');
    await assert.rejects(
      timeout(5, (scope) => nodeSleep(60_000, undefined, { signal: scope.signal })),
      TimeoutError,
    );
  });

  test('a cancellation from outside stays CancelledError', async () => {
    const task = createTask(() => timeout(1000, () => sleep(1000)));
    await ticks();
    task.cancel();
    await assert.rejects(task, CancelledError);
  });

  test('outer cancel and expiry together: outer wins', async () => {
    const task = createTask(() =>
      timeout(0, async () => {
        currentTask()!.cancel();
        await delay(5);
        await sleep(1000);
      }),
    );
    await assert.rejects(task, (e) => e instanceof CancelledError && !(e instanceof TimeoutError));
  });

  test('nested timeouts: only the one that expired converts', async () => {
    let innerError: unknown;
    const outer = timeout(10, async () => {
      try {
        await timeout(1000, () => sleep(1000));
      } catch (e) {
        innerError = e;
        throw e;
      }
    });
    await assert.rejects(outer, TimeoutError);
    assert.ok(innerError instanceof CancelledError);
    assert.ok(!(innerError instanceof TimeoutError));

    const inner = timeout(1000, () => timeout(5, () => sleep(1000)).catch((e) => e));
    assert.ok((await inner) instanceof TimeoutError);
  });

  test('reschedule, when, expired', async () => {
    await timeout(10, async (scope) => {
      const first = scope.when()!;
      assert.ok(first > performance.now() - 1);
      scope.reschedule(performance.now() + 200);
      await sleep(30);
      assert.equal(scope.expired(), false);
      scope.reschedule(null);
      assert.equal(scope.when(), null);
      assert.match(String(scope), /^Timeout<active when=none>$/);
    });
    let saved: import('../src/index.js').Timeout | undefined;
    await assert.rejects(
      timeout(5, async (scope) => {
        saved = scope;
        await sleep(100);
      }),
      TimeoutError,
    );
    assert.equal(saved!.expired(), true);
    assert.throws(() => saved!.reschedule(null), InvalidStateError);
  });

  test('timeout(null) never expires until rescheduled', async () => {
    await assert.rejects(
      timeout(null, async (scope) => {
        await sleep(20);
        scope.reschedule(performance.now() + 5);
        await sleep(1000);
      }),
      TimeoutError,
    );
  });

  test('timeoutAt takes a performance.now() deadline; a past one expires at the first checkpoint', async () => {
    assert.equal(await timeoutAt(performance.now() + 100, () => sleep(1, 'in time')), 'in time');
    assert.equal(await timeoutAt(performance.now() - 10, () => 'no checkpoint'), 'no checkpoint');
    await assert.rejects(
      timeoutAt(performance.now() - 10, () => sleep(10)),
      TimeoutError,
    );
  });

  test('work that ignores the expiry and returns still returns its value', async () => {
    assert.equal(
      await timeout(5, async () => {
        await delay(20); // not a checkpoint
        return 'late but done';
      }),
      'late but done',
    );
  });

  test('bad input rejects with RangeError / TypeError naming the argument', async () => {
    await assert.rejects(
      timeout(Number.NaN, () => 1),
      { name: 'RangeError', message: /`ms`.*NaN/ },
    );
    await assert.rejects(
      timeout('5' as never, () => 1),
      TypeError,
    );
    await assert.rejects(timeout(5, 5 as never), /`fn`/);
    await assert.rejects(
      timeoutAt(Number.NaN, () => 1),
      /`deadline`/,
    );
  });
});

describe('waitFor', () => {
  test('returns in time, times out otherwise and cancels the work', async () => {
    assert.equal(await waitFor(() => sleep(5, 'quick'), 1000), 'quick');
    const work = createTask(() => sleep(1000));
    await assert.rejects(waitFor(work, 10), TimeoutError);
    assert.equal(work.cancelled(), true);
    assert.equal(await waitFor(sleep(5, 'promise'), null), 'promise');
  });

  test('cancelling the caller cancels the work', async () => {
    const work = createTask(() => sleep(1000));
    const caller = createTask(() => waitFor(work, 1000));
    await ticks();
    caller.cancel();
    await assert.rejects(caller, CancelledError);
    assert.equal(work.cancelled(), true);
  });

  test('bad input', async () => {
    await assert.rejects(waitFor(1 as never, 5), /`aw`/);
    await assert.rejects(
      waitFor(() => 1, Number.NaN),
      { name: 'RangeError', message: /`ms`/ },
    );
  });
});

describe('sleep and checkpoint', () => {
  test('sleep resolves with its value; bad ms rejects', async () => {
    assert.equal(await sleep(1, 'v'), 'v');
    await assert.rejects(sleep(-1), { name: 'RangeError', message: /`ms`.*-1/ });
    await assert.rejects(sleep(Number.NaN), RangeError);
    await assert.rejects(sleep('1' as never), TypeError);
  });

  test('a cancelled sleep clears its timer at once', async () => {
    const task = createTask(() => sleep(60_000));
    await ticks();
    const start = performance.now();
    task.cancel();
    await assert.rejects(task, CancelledError);
    assert.ok(performance.now() - start < 50);
  });

  test('a long sleep is not cut short by the setTimeout limit', async () => {
    const task = createTask(() => sleep(2 ** 31 + 1000));
    await delay(20);
    assert.equal(task.done(), false);
    task.cancel();
    await assert.rejects(task);
  });
});
