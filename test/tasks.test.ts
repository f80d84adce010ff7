import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  allTasks,
  CancelledError,
  checkpoint,
  createTask,
  currentSignal,
  currentTask,
  gather,
  InvalidStateError,
  run,
  sleep,
  type Task,
} from '../src/index.js';
import { abortListeners, delay, ticks } from './helpers.js';

describe('createTask', () => {
  test('a cancellation the function never met is kept for code still running in its context', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let leftover: Promise<unknown> | undefined;
    const task = createTask(() => {
      // Work started in the task's context that outlives its function, as an
      // Express handler outlives the request task.
      leftover = (async () => {
        await gate; // not a checkpoint
        await sleep(10_000); // the first checkpoint afterwards gets the request
      })();
      currentTask()?.cancel('client gone');
      return 'returned';
    });
    await assert.rejects(task, CancelledError);
    release();
    await assert.rejects(
      leftover!,
      (err: unknown) => err instanceof CancelledError && err.reason === 'client gone',
    );
  });

  test('starts on a later microtask, in creation order', async () => {
    const order: string[] = [];
    createTask(() => {
      order.push('a');
    });
    createTask(() => {
      order.push('b');
    });
    order.push('sync');
    await ticks();
    assert.deepEqual(order, ['sync', 'a', 'b']);
  });

  test('a task cancelled before it starts never calls its function', async () => {
    let called = false;
    const task = createTask(() => {
      called = true;
    });
    assert.equal(task.cancel(), true);
    await assert.rejects(task, CancelledError);
    assert.equal(called, false);
    assert.equal(task.cancelled(), true);
  });

  test('eager runs synchronously up to the first await', async () => {
    const order: string[] = [];
    const task = createTask(
      async () => {
        order.push('eager start');
        await null;
        order.push('eager after await');
      },
      { eager: true },
    );
    order.push('after createTask');
    await task;
    assert.deepEqual(order, ['eager start', 'after createTask', 'eager after await']);
    const sync = createTask(() => 7, { eager: true });
    assert.equal(sync.done(), true);
    assert.equal(sync.result(), 7);
  });

  test('wraps a promise; cancelling settles the task at once', async () => {
    const value = await createTask(Promise.resolve(3));
    assert.equal(value, 3);
    let resolveSlow!: (v: number) => void;
    const slow = new Promise<number>((r) => {
      resolveSlow = r;
    });
    const task = createTask(slow);
    await ticks();
    task.cancel();
    await assert.rejects(task, CancelledError);
    resolveSlow(1);
  });

  test('names, ids, toString and inspect', async () => {
    const a = createTask(() => sleep(1, 'x'), { name: 'fetch-user' });
    const b = createTask(() => 1);
    assert.equal(a.name, 'fetch-user');
    assert.ok(b.id > a.id);
    assert.equal(b.name, `Task-${b.id}`);
    assert.equal(String(a), `Task<fetch-user #${a.id} pending>`);
    await a;
    assert.match(inspect(a), /state: 'finished', result: 'x'/);
    a.name = 'renamed';
    assert.equal(a.name, 'renamed');
    await b;
  });

  test('bad input throws TypeError naming the argument', () => {
    assert.throws(() => createTask(42 as never), {
      name: 'TypeError',
      message: /`fn`.*got 42/,
    });
    assert.throws(() => createTask(() => 1, { name: 5 as never }), /`options.name`/);
    assert.throws(() => createTask(() => 1, 'x' as never), /`options`/);
    assert.throws(() => createTask(() => 1, { eager: 'yes' as never }), /`options.eager`/);
  });

  test('passes the task signal to functions that take one', async () => {
    const task = createTask((signal) => signal);
    const signal = await task;
    assert.ok(signal instanceof AbortSignal);
    assert.equal(signal, task.signal);
  });
});

describe('result() and exception()', () => {
  test('raise InvalidStateError before the task is done', async () => {
    const task = createTask(() => sleep(5));
    assert.throws(() => task.result(), InvalidStateError);
    assert.throws(() => task.exception(), InvalidStateError);
    await task;
  });

  test('report the outcome of each end state', async () => {
    const ok = createTask(async () => 'v');
    const boom = new Error('boom');
    const bad = createTask(async () => {
      throw boom;
    });
    const gone = createTask(() => sleep(1000));
    await ticks();
    gone.cancel();
    await Promise.allSettled([ok, bad, gone]);
    assert.equal(ok.result(), 'v');
    assert.equal(ok.exception(), undefined);
    assert.throws(
      () => bad.result(),
      (e) => e === boom,
    );
    assert.equal(bad.exception(), boom);
    assert.throws(() => gone.result(), CancelledError);
    assert.throws(() => gone.exception(), CancelledError);
    assert.equal(gone.cancelled(), true);
    assert.equal(bad.cancelled(), false);
  });
});

describe('cancellation delivery', () => {
  test('throws one CancelledError at the checkpoint and records the reason', async () => {
    let caught: unknown;
    const task = createTask(async () => {
      try {
        await sleep(1000);
      } catch (e) {
        caught = e;
        throw e;
      }
    });
    await ticks();
    task.cancel('shutting down');
    await assert.rejects(task, CancelledError);
    assert.ok(caught instanceof CancelledError);
    assert.equal(caught.reason, 'shutting down');
    assert.equal(caught.message, 'shutting down');
  });

  test('requests made before delivery merge into one CancelledError', async () => {
    let thrown = 0;
    const task = createTask(async () => {
      try {
        await sleep(1000);
      } catch {
        thrown++;
      }
      await sleep(5);
      return 'survived';
    });
    await ticks();
    task.cancel();
    task.cancel();
    task.cancel();
    assert.equal(task.cancelling(), 3);
    assert.equal(await task, 'survived');
    assert.equal(thrown, 1);
    assert.equal(task.cancelled(), false);
  });

  test('a task that catches and returns is not cancelled; uncancel counts down', async () => {
    const task = createTask(async () => {
      try {
        await sleep(1000);
      } catch {
        const me = currentTask()!;
        assert.equal(me.cancelling(), 1);
        assert.equal(me.uncancel(), 0);
        assert.equal(me.uncancel(), 0);
      }
      return 'ok';
    });
    await ticks();
    task.cancel();
    assert.equal(await task, 'ok');
    assert.equal(task.cancelling(), 0);
  });

  test('a request that never reaches a checkpoint still cancels the task', async () => {
    let finished = false;
    const task = createTask(async () => {
      await delay(200); // not a checkpoint (long enough to cancel first on a loaded machine)
      finished = true;
      return 1;
    });
    await ticks();
    task.cancel();
    await assert.rejects(task, CancelledError);
    assert.equal(finished, true);
  });

  test('a pending request is delivered at the next checkpoint', async () => {
    const steps: string[] = [];
    const task = createTask(async () => {
      await delay(10);
      steps.push('before checkpoint');
      await checkpoint();
      steps.push('after checkpoint');
    });
    await ticks();
    task.cancel();
    await assert.rejects(task, CancelledError);
    assert.deepEqual(steps, ['before checkpoint']);
  });

  test('a call that completes without waiting delivers nothing; checkpoint always does', async () => {
    const other = createTask(async () => 5);
    await other;
    const task = createTask(async () => {
      currentTask()!.cancel();
      const v = await other; // already done: no delivery
      await checkpoint();
      return v;
    });
    await assert.rejects(task, CancelledError);
  });

  test('cancel() of a done task returns false', async () => {
    const task = createTask(async () => 1);
    await task;
    assert.equal(task.cancel(), false);
    assert.equal(task.cancelling(), 0);
  });

  test('cancelling a task that awaits another cancels that one too', async () => {
    const inner = createTask(() => sleep(1000));
    const outer = createTask(async () => await inner);
    await ticks();
    outer.cancel();
    await assert.rejects(outer, CancelledError);
    assert.equal(inner.cancelled(), true);
  });

  test('the awaiter settles only after the awaited task has settled', async () => {
    const steps: string[] = [];
    const inner = createTask(async () => {
      try {
        await sleep(1000);
      } finally {
        await delay(20);
        steps.push('inner cleaned up');
      }
    });
    const outer = createTask(async () => {
      try {
        await inner;
      } finally {
        steps.push('outer resumed');
      }
    });
    await ticks();
    outer.cancel();
    await assert.rejects(outer, CancelledError);
    assert.deepEqual(steps, ['inner cleaned up', 'outer resumed']);
  });

  test('if the awaited task swallows the cancellation, its awaiter gets the value', async () => {
    const inner = createTask(async () => {
      try {
        await sleep(1000);
      } catch {
        return 'swallowed';
      }
      return 'slept';
    });
    const outer = createTask(async () => await inner);
    await ticks();
    outer.cancel();
    assert.equal(await outer, 'swallowed');
  });
});

describe('signals', () => {
  test('task.signal aborts at the first request and stays aborted', async () => {
    const task = createTask(async () => {
      try {
        await sleep(1000);
      } catch {
        currentTask()!.uncancel();
      }
      return currentSignal()!.aborted;
    });
    await ticks();
    assert.equal(task.signal.aborted, false);
    task.cancel('why');
    assert.equal(task.signal.aborted, true);
    assert.ok(task.signal.reason instanceof CancelledError);
    assert.equal(await task, true);
  });

  test('a signal created after cancellation is already aborted', async () => {
    const task = createTask(() => sleep(1000));
    task.cancel();
    assert.equal(task.signal.aborted, true);
    await assert.rejects(task);
  });

  test('work stopped through the signal by a Node API ends the task cancelled', async () => {
    const { setTimeout: nodeSleep } = await import('node:timers/promises');
    const task = createTask((signal) => nodeSleep(60_000, undefined, { signal }));
    await ticks();
    task.cancel('stop');
    await assert.rejects(task, (e) => e instanceof CancelledError && e.reason === 'stop');
    assert.equal(task.cancelled(), true);
  });

  test('checkpoints leave no abort listener behind', async () => {
    const task = createTask(async (signal) => {
      for (let i = 0; i < 20; i++) await sleep(0);
      return abortListeners(signal);
    });
    assert.equal(await task, 0);
  });
});

describe('done callbacks', () => {
  test('run on a later microtask once done, and can be removed', async () => {
    const calls: string[] = [];
    const task = createTask(async () => 1);
    const a = (): void => {
      calls.push('a');
    };
    const b = (): void => {
      calls.push('b');
    };
    task.addDoneCallback(a);
    task.addDoneCallback(b);
    task.addDoneCallback(b);
    assert.equal(task.removeDoneCallback(b), 2);
    assert.equal(calls.length, 0);
    await task;
    await ticks();
    assert.deepEqual(calls, ['a']);
    task.addDoneCallback((t) => calls.push(`late ${t.result()}`));
    assert.deepEqual(calls, ['a']);
    await ticks();
    assert.deepEqual(calls, ['a', 'late 1']);
    assert.throws(() => task.addDoneCallback(3 as never), /`callback`/);
  });
});

describe('allTasks and strong references', () => {
  test('lists pending tasks only', async () => {
    const before = allTasks().size;
    const task = createTask(() => sleep(5));
    assert.equal(allTasks().size, before + 1);
    assert.ok(allTasks().has(task as Task<unknown>));
    await task;
    assert.equal(allTasks().has(task as Task<unknown>), false);
  });

  test('a fire-and-forget task survives garbage collection', async () => {
    let done = false;
    (() => {
      createTask(async () => {
        await sleep(20);
        done = true;
      });
    })();
    globalThis.gc?.();
    await delay(40);
    assert.equal(done, true);
  });
});

describe('run()', () => {
  test('returns main value, cancels leftovers and waits for them', async () => {
    const steps: string[] = [];
    let leftover: Task<void> | undefined;
    const value = await run(async () => {
      leftover = createTask(async () => {
        try {
          await sleep(10_000);
        } finally {
          await delay(5);
          steps.push('leftover cleaned up');
        }
      });
      await sleep(1);
      return 'main';
    });
    assert.equal(value, 'main');
    assert.deepEqual(steps, ['leftover cleaned up']);
    assert.equal(leftover!.cancelled(), true);
  });

  test('rejects with main error; main is named', async () => {
    await assert.rejects(
      run(
        async () => {
          assert.equal(currentTask()!.name, 'entry');
          throw new Error('bad');
        },
        { name: 'entry' },
      ),
      /bad/,
    );
  });

  test('reports a failed task whose error nobody retrieved, once', async () => {
    const reports: Array<[unknown, string]> = [];
    const boom = new Error('lost');
    await run(
      async () => {
        createTask(
          async () => {
            throw boom;
          },
          { name: 'forgotten' },
        );
        const seen = createTask(async () => {
          throw new Error('seen');
        });
        await sleep(5);
        assert.equal((seen.exception() as Error).message, 'seen');
      },
      { onUnretrievedError: (error, task) => reports.push([error, task.name]) },
    );
    assert.deepEqual(reports, [[boom, 'forgotten']]);
  });

  test('debug mode records where tasks were created', async () => {
    const stacks: Array<string | undefined> = [];
    await run(
      async () => {
        createTask(async () => {
          throw new Error('x');
        });
      },
      { debug: true, onUnretrievedError: (_e, info) => stacks.push(info.creationStack) },
    );
    assert.equal(stacks.length, 1);
    assert.match(stacks[0]!, /tasks\.test\.ts/);
  });

  test('bad input rejects with TypeError naming the argument', async () => {
    await assert.rejects(run(5 as never), { name: 'TypeError', message: /`main`/ });
    await assert.rejects(
      run(async () => 1, { debug: 1 as never }),
      /`options.debug`/,
    );
  });
});

describe('await cycles', () => {
  test('cancelling a task in an await cycle unwinds the whole cycle', async () => {
    for (const size of [2, 3]) {
      await run(async () => {
        const tasks: Task<unknown>[] = [];
        for (let i = 0; i < size; i++) {
          tasks.push(
            createTask(
              async () => {
                await sleep(1);
                return await tasks[(i + 1) % size]!;
              },
              { name: `t${i}` },
            ),
          );
        }
        await sleep(10);
        assert.ok(
          tasks.every((t) => !t.done()),
          'deadlocked before the cancel',
        );
        tasks[0]!.cancel();
        const results = await gather(tasks, { returnExceptions: true });
        assert.ok(results.every((r) => r instanceof CancelledError));
        assert.ok(tasks.every((t) => t.cancelled()));
      });
    }
  });

  test('run() ends even when main leaves an await cycle behind', async () => {
    const result = await run(async () => {
      let b: Task<unknown> | undefined;
      const a = createTask(async () => {
        await sleep(1);
        return await b!;
      });
      b = createTask(async () => {
        await sleep(1);
        return await a;
      });
      await sleep(10);
      return 'done';
    });
    assert.equal(result, 'done');
  });
});
