import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  CancelledError,
  createTask,
  currentSignal,
  currentTask,
  InvalidStateError,
  sleep,
  TaskGroup,
  TaskGroupError,
} from '../src/index.js';
import { delay, ticks } from './helpers.js';

describe('TaskGroup.run', () => {
  test('waits for every child and returns the body value', async () => {
    const done: number[] = [];
    const value = await TaskGroup.run((tg) => {
      for (const ms of [20, 5, 10])
        tg.createTask(async () => {
          await sleep(ms);
          done.push(ms);
        });
      return 'body';
    });
    assert.equal(value, 'body');
    assert.deepEqual(done, [5, 10, 20]);
  });

  test('a child failure cancels the body and the siblings, and collects every error', async () => {
    const a = new Error('a');
    const b = new Error('b');
    const cancelled: string[] = [];
    let sibling: import('../src/index.js').Task<void> | undefined;
    const err = await TaskGroup.run(async (tg) => {
      tg.createTask(async () => {
        await sleep(5);
        throw a;
      });
      tg.createTask(async () => {
        try {
          await sleep(1000);
        } catch (_e) {
          // fails while being cancelled: its error is collected too
          throw b;
        }
      });
      sibling = tg.createTask(async () => {
        try {
          await sleep(1000);
        } finally {
          cancelled.push('sibling');
        }
      });
      try {
        await sleep(1000);
      } finally {
        cancelled.push('body');
      }
    }).catch((e) => e);
    assert.ok(err instanceof TaskGroupError);
    assert.ok(err instanceof AggregateError);
    assert.deepEqual(err.errors, [a, b]);
    assert.deepEqual(cancelled.sort(), ['body', 'sibling']);
    assert.equal(sibling!.cancelled(), true);
    assert.match(err.message, /2 sub-exceptions/);
  });

  test('a body failure cancels the children and joins the errors last', async () => {
    const childErr = new Error('child');
    const bodyErr = new Error('body');
    const err = await TaskGroup.run(async (tg) => {
      tg.createTask(async () => {
        try {
          await sleep(1000);
        } finally {
          await delay(5);
        }
      });
      tg.createTask(async () => {
        throw childErr;
      });
      await delay(1); // not a checkpoint: the body fails before it sees the cancellation
      throw bodyErr;
    }).catch((e) => e);
    assert.ok(err instanceof TaskGroupError);
    assert.deepEqual(err.errors, [childErr, bodyErr]);
  });

  test('refuses new tasks after it finished or while shutting down', async () => {
    let saved: TaskGroup | undefined;
    await TaskGroup.run((tg) => {
      saved = tg;
    });
    assert.throws(() => saved!.createTask(async () => 1), {
      name: 'InvalidStateError',
      message: /finished/,
    });
    await assert.rejects(
      TaskGroup.run(async (tg) => {
        tg.createTask(async () => {
          throw new Error('x');
        });
        await sleep(1000).catch(() => {});
        assert.throws(() => tg.createTask(async () => 1), /shutting down/);
      }),
      TaskGroupError,
    );
  });

  test('while it only waits for children, a child may add siblings', async () => {
    const seen: string[] = [];
    await TaskGroup.run((tg) => {
      tg.createTask(async () => {
        await sleep(5);
        tg.createTask(async () => {
          await sleep(5);
          seen.push('late sibling');
        });
      });
    });
    assert.deepEqual(seen, ['late sibling']);
  });

  test('cancelled from outside: cancels children and rejects CancelledError', async () => {
    let child: import('../src/index.js').Task<void> | undefined;
    const outer = createTask(() =>
      TaskGroup.run(async (tg) => {
        child = tg.createTask(() => sleep(1000));
        await sleep(1000);
      }),
    );
    await ticks();
    outer.cancel();
    await assert.rejects(outer, CancelledError);
    assert.equal(child!.cancelled(), true);
  });

  test('cancelled from outside while waiting for children', async () => {
    let child: import('../src/index.js').Task<void> | undefined;
    const outer = createTask(() =>
      TaskGroup.run((tg) => {
        child = tg.createTask(() => sleep(1000));
      }),
    );
    await delay(5);
    outer.cancel();
    await assert.rejects(outer, CancelledError);
    assert.equal(child!.cancelled(), true);
  });

  test('tg.cancel() stops body and children; the group settles normally', async () => {
    const outcome = await createTask(async () => {
      const value = await TaskGroup.run(async (tg) => {
        tg.createTask(() => sleep(1000));
        tg.createTask(async () => {
          await sleep(5);
          tg.cancel();
        });
        await sleep(1000);
        return 'unreachable';
      });
      return { value, cancelling: currentTask()!.cancelling() };
    });
    assert.deepEqual(outcome, { value: undefined, cancelling: 0 });
    const afterBody = await TaskGroup.run((tg) => {
      tg.createTask(() => sleep(1000));
      tg.cancel();
      return 'body finished first';
    });
    assert.equal(afterBody, 'body finished first');
  });

  test('the group signal aborts when it cancels its body; the task signal does not', async () => {
    await createTask(async (signal) => {
      let groupSignal: AbortSignal | undefined;
      await assert.rejects(
        TaskGroup.run(async (tg) => {
          groupSignal = currentSignal();
          assert.equal(groupSignal, tg.signal);
          tg.createTask(async () => {
            throw new Error('x');
          });
          await sleep(1000);
        }),
        TaskGroupError,
      );
      assert.equal(groupSignal!.aborted, true);
      assert.equal(signal.aborted, false);
      assert.equal(currentTask()!.cancelling(), 0);
    });
  });

  test('a body stopped through the group signal by a Node API is not an error', async () => {
    const { setTimeout: nodeSleep } = await import('node:timers/promises');
    const boom = new Error('boom');
    const err = await TaskGroup.run(async (tg) => {
      tg.createTask(async () => {
        throw boom;
      });
      await nodeSleep(60_000, undefined, { signal: tg.signal });
    }).catch((e) => e);
    assert.ok(err instanceof TaskGroupError);
    assert.deepEqual(err.errors, [boom]);
  });

  test('works at top level in an implicit task', async () => {
    assert.equal(await TaskGroup.run(() => 1), 1);
  });

  test('toString shows the state', async () => {
    await TaskGroup.run((tg) => {
      tg.createTask(() => sleep(1));
      assert.equal(String(tg), 'TaskGroup<running tasks=1 errors=0>');
    });
  });

  test('bad input', async () => {
    await assert.rejects(TaskGroup.run(3 as never), { name: 'TypeError', message: /`body`/ });
    assert.throws(() => new TaskGroup(), InvalidStateError);
  });
});

describe('await using TaskGroup', () => {
  test('waits for the children at the end of the block', async () => {
    const done: string[] = [];
    await createTask(async () => {
      {
        await using tg = new TaskGroup();
        tg.createTask(async () => {
          await sleep(10);
          done.push('child');
        });
      }
      done.push('after block');
    });
    assert.deepEqual(done, ['child', 'after block']);
  });

  test('a child failure cancels the block and rejects with TaskGroupError', async () => {
    const boom = new Error('boom');
    const err = await createTask(async () => {
      await using tg = new TaskGroup();
      tg.createTask(async () => {
        throw boom;
      });
      await sleep(1000);
    }).catch((e) => e);
    // The block's CancelledError and the group's TaskGroupError meet in a SuppressedError.
    const group = err instanceof TaskGroupError ? err : (err as { error?: unknown }).error;
    assert.ok(group instanceof TaskGroupError, String(err));
    assert.deepEqual(group.errors, [boom]);
  });
});

describe('TaskGroup: finished children', () => {
  test('a long-lived group does not hold on to its finished children', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs: WeakRef<object>[] = [];
    await TaskGroup.run(async (tg) => {
      for (let i = 0; i < 2_000; i++) refs.push(new WeakRef(tg.createTask(() => i)));
      const keeper = tg.createTask(() => delay(1_000));
      await ticks(5);
      gc();
      await ticks(1);
      gc();
      const alive = refs.filter((r) => r.deref() !== undefined).length;
      // At most one compaction's worth of finished children may remain.
      assert.ok(alive < 200, `${alive} of 2,000 finished children still reachable`);
      assert.equal(String(tg), 'TaskGroup<running tasks=1 errors=0>');
      keeper.cancel();
    });
  });
});
