import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  CancelledError,
  Condition,
  checkpoint,
  createTask,
  currentTask,
  Event,
  gather,
  InvalidStateError,
  Lock,
  sleep,
  TimeoutError,
  timeout,
} from '../src/index.js';
import { ticks } from './helpers.js';

describe('Lock', () => {
  test('acquire on a free lock resolves true at once; release frees it', async () => {
    const lock = new Lock();
    assert.equal(lock.locked(), false);
    assert.equal(await lock.acquire(), true);
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
  });

  test('waiters get the lock first-in first-out', async () => {
    const lock = new Lock();
    await lock.acquire();
    const order: number[] = [];
    const tasks = [1, 2, 3].map((i) =>
      createTask(async () => {
        await lock.acquire();
        order.push(i);
        lock.release();
      }),
    );
    await ticks();
    assert.equal(String(lock), 'Lock<locked waiters=3>');
    lock.release();
    await gather(...tasks);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(lock.locked(), false);
  });

  test('a later acquire() cannot overtake a waiter woken by release()', async () => {
    const lock = new Lock();
    await lock.acquire();
    const order: string[] = [];
    const waiter = createTask(async () => {
      await lock.acquire();
      order.push('waiter');
      lock.release();
    });
    await ticks();
    lock.release();
    // The lock was handed over: it stays locked, a newcomer must queue.
    assert.equal(lock.locked(), true);
    const late = createTask(async () => {
      await lock.acquire();
      order.push('late');
      lock.release();
    });
    await gather(waiter, late);
    assert.deepEqual(order, ['waiter', 'late']);
  });

  test('a cancelled waiter leaves the queue and never gets the lock', async () => {
    const lock = new Lock();
    await lock.acquire();
    const a = createTask(() => lock.acquire());
    const b = createTask(() => lock.acquire());
    await ticks();
    a.cancel();
    await assert.rejects(a, CancelledError);
    assert.equal(String(lock), 'Lock<locked waiters=1>');
    lock.release();
    assert.equal(await b, true);
    assert.equal(lock.locked(), true);
  });

  test('cancelled after release() handed it the lock, before it resumed: passes it on', async () => {
    const lock = new Lock();
    await lock.acquire();
    const a = createTask(() => lock.acquire());
    const b = createTask(() => lock.acquire());
    await ticks();
    lock.release(); // hands the lock to a...
    a.cancel(); // ...which is cancelled before it runs
    await assert.rejects(a, CancelledError);
    assert.equal(await b, true);
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
  });

  test('the same race with nobody else waiting leaves the lock free', async () => {
    const lock = new Lock();
    await lock.acquire();
    const a = createTask(() => lock.acquire());
    await ticks();
    lock.release();
    a.cancel();
    await assert.rejects(a, CancelledError);
    assert.equal(lock.locked(), false);
  });

  test('uncancel() undoes a cancel that landed on a granted acquire: the task gets the lock', async () => {
    const lock = new Lock();
    await lock.acquire();
    const task = createTask(async () => {
      await lock.acquire();
      return 'held';
    });
    const other = createTask(() => lock.acquire());
    await ticks();
    lock.release(); // hands the lock to task...
    task.cancel(); // ...a cancel lands before it resumes...
    assert.equal(task.uncancel(), 0); // ...and is withdrawn
    assert.equal(await task, 'held');
    assert.equal(task.cancelled(), false);
    assert.equal(task.cancelling(), 0);
    assert.equal(String(lock), 'Lock<locked waiters=1>', 'task holds it; the other still waits');
    lock.release();
    assert.equal(await other, true);
  });

  test('uncancel() of one request out of two: the granted acquire still rejects and passes the lock on', async () => {
    const lock = new Lock();
    await lock.acquire();
    const task = createTask(() => lock.acquire());
    await ticks();
    lock.release();
    task.cancel();
    task.cancel();
    assert.equal(task.uncancel(), 1);
    await assert.rejects(task, CancelledError);
    assert.equal(lock.locked(), false);
  });

  test('a timeout around acquire() gives up without keeping the lock', async () => {
    const lock = new Lock();
    await lock.acquire();
    await assert.rejects(
      createTask(() => timeout(10, () => lock.acquire())),
      TimeoutError,
    );
    assert.equal(String(lock), 'Lock<locked>');
    lock.release();
  });

  test('acquire on a free lock delivers no pending cancellation (it does not wait)', async () => {
    const lock = new Lock();
    let acquired = false;
    const task = createTask(async () => {
      currentTask()?.cancel(); // pending: the task is running, not waiting
      await lock.acquire(); // free: completes without a checkpoint
      acquired = true;
      await checkpoint(); // the cancellation lands here
    });
    await assert.rejects(task, CancelledError);
    assert.equal(acquired, true);
    assert.equal(lock.locked(), true);
  });

  test('acquire on a held lock delivers a pending cancellation without queueing', async () => {
    const lock = new Lock();
    await lock.acquire();
    const task = createTask(async () => {
      currentTask()?.cancel();
      await lock.acquire();
    });
    await assert.rejects(task, CancelledError);
    assert.equal(String(lock), 'Lock<locked>');
  });

  test('release() of an unlocked lock throws InvalidStateError', () => {
    const lock = new Lock();
    assert.throws(
      () => lock.release(),
      (err: unknown) =>
        err instanceof InvalidStateError &&
        err.state === 'unlocked' &&
        /not acquired/.test(err.message),
    );
  });

  test('runExclusive releases however fn ends, and returns its value', async () => {
    const lock = new Lock();
    assert.equal(await lock.runExclusive(() => 7), 7);
    assert.equal(lock.locked(), false);
    await assert.rejects(
      lock.runExclusive(async () => {
        throw new Error('inside');
      }),
      /inside/,
    );
    assert.equal(lock.locked(), false);
    await assert.rejects(lock.runExclusive('nope' as never), TypeError);
  });

  test('runExclusive cancelled while holding the lock releases it', async () => {
    const lock = new Lock();
    const holder = createTask(() => lock.runExclusive(() => sleep(1_000)));
    await ticks();
    assert.equal(lock.locked(), true);
    holder.cancel();
    await assert.rejects(holder, CancelledError);
    assert.equal(lock.locked(), false);
  });

  test('inspect shows the state', () => {
    const lock = new Lock();
    assert.equal(inspect(lock), 'Lock<unlocked>');
  });
});

describe('Event', () => {
  test('wait() resolves for every waiter once set(); at once when already set', async () => {
    const event = new Event();
    assert.equal(event.isSet(), false);
    const waiters = [1, 2, 3].map(() => createTask(() => event.wait()));
    await ticks();
    assert.equal(String(event), 'Event<unset waiters=3>');
    event.set();
    assert.deepEqual(await gather(...waiters), [true, true, true]);
    assert.equal(event.isSet(), true);
    assert.equal(await event.wait(), true);
  });

  test('clear() makes later waits block again', async () => {
    const event = new Event();
    event.set();
    event.clear();
    assert.equal(event.isSet(), false);
    const waiter = createTask(() => event.wait());
    await ticks();
    assert.equal(waiter.done(), false);
    event.set();
    await waiter;
  });

  test('set() then clear() in one turn still wakes the waiters (asyncio test_clear_with_waiters)', async () => {
    const event = new Event();
    const waiter = createTask(() => event.wait());
    await ticks();
    event.set();
    event.clear();
    assert.equal(await waiter, true);
    assert.equal(event.isSet(), false);
  });

  test('a cancelled waiter rejects and leaves the list', async () => {
    const event = new Event();
    const waiter = createTask(() => event.wait());
    await ticks();
    waiter.cancel();
    await assert.rejects(waiter, CancelledError);
    assert.equal(String(event), 'Event<unset>');
  });

  test('uncancel() undoes a cancel that landed on a woken wait: the task returns its value', async () => {
    const event = new Event();
    const task = createTask(async () => {
      await event.wait();
      return 'value';
    });
    await ticks();
    event.set();
    task.cancel();
    task.uncancel();
    assert.equal(await task, 'value');
    assert.equal(task.cancelled(), false);
    assert.equal(task.cancelling(), 0);
  });

  test('a cancel() made after uncancel() withdrew one on a woken wait is not lost: it lands at the next checkpoint', async () => {
    const event = new Event();
    let reached = '';
    const task = createTask(async () => {
      await event.wait();
      reached = 'woke';
      await checkpoint();
      reached = 'past the checkpoint';
    });
    await ticks();
    event.set();
    queueMicrotask(() => task.cancel()); // runs once the waiter has resumed (normally)
    task.cancel();
    task.uncancel();
    await assert.rejects(task, CancelledError);
    assert.equal(reached, 'woke');
    assert.equal(task.cancelling(), 1);
  });
});

/** A task that waits on `cond` (holding its lock) and records `name` once notified. */
function waitThenRecord(cond: Condition, name: string, got: string[]) {
  return createTask(async () => {
    await cond.acquire();
    try {
      await cond.wait();
      got.push(name);
    } finally {
      cond.release();
    }
  });
}

describe('Condition', () => {
  test('wait() needs the lock; notify() too', async () => {
    const cond = new Condition();
    await assert.rejects(cond.wait(), InvalidStateError);
    assert.throws(() => cond.notify(), InvalidStateError);
    assert.throws(() => cond.notifyAll(), InvalidStateError);
  });

  test('notify(n) wakes n waiters in order; each re-acquires the lock', async () => {
    const cond = new Condition();
    const woken: number[] = [];
    const waiters = [1, 2, 3].map((i) =>
      createTask(async () => {
        await cond.acquire();
        try {
          await cond.wait();
          assert.equal(cond.locked(), true);
          woken.push(i);
        } finally {
          cond.release();
        }
      }),
    );
    await ticks();
    assert.equal(String(cond), 'Condition<unlocked waiters=3>');
    await cond.runExclusive(() => cond.notify(2));
    await ticks(2);
    assert.deepEqual(woken, [1, 2]);
    await cond.runExclusive(() => cond.notifyAll());
    await gather(...waiters);
    assert.deepEqual(woken, [1, 2, 3]);
  });

  test('waitFor(predicate) returns the predicate value once it holds', async () => {
    const cond = new Condition();
    let value = 0;
    const waiter = createTask(() =>
      cond.runExclusive(() => cond.waitFor(() => value >= 2 && value)),
    );
    for (let i = 1; i <= 2; i++) {
      await ticks();
      await cond.runExclusive(() => {
        value = i;
        cond.notifyAll();
      });
    }
    assert.equal(await waiter, 2);
  });

  test('a cancelled wait() re-acquires the lock before it rejects', async () => {
    const cond = new Condition();
    let lockedInCatch: boolean | undefined;
    const waiter = createTask(async () => {
      await cond.acquire();
      try {
        await cond.wait();
      } catch (err) {
        lockedInCatch = cond.locked();
        throw err;
      } finally {
        cond.release();
      }
    });
    await ticks();
    // Hold the lock while cancelling: the waiter must wait for it.
    await cond.acquire();
    waiter.cancel();
    await ticks();
    assert.equal(waiter.done(), false, 'it waits for the lock before it rejects');
    cond.release();
    await assert.rejects(waiter, CancelledError);
    assert.equal(lockedInCatch, true);
    assert.equal(cond.locked(), false);
  });

  test('a notified waiter cancelled before it resumed passes the notification on', async () => {
    const cond = new Condition();
    const got: string[] = [];
    const make = (name: string) => waitThenRecord(cond, name, got);
    const a = make('a');
    const b = make('b');
    await ticks();
    await cond.acquire();
    cond.notify(1); // a is notified...
    a.cancel(); // ...and cancelled before it runs
    cond.release();
    await assert.rejects(a, CancelledError);
    await b;
    assert.deepEqual(got, ['b']);
  });

  test('a notified waiter cancelled while re-acquiring the lock passes the notification on', async () => {
    const cond = new Condition();
    const got: string[] = [];
    const make = (name: string) => waitThenRecord(cond, name, got);
    const a = make('a');
    const b = make('b');
    await ticks();
    await cond.acquire();
    cond.notify(1); // a is notified, resumes, and waits for the lock we hold
    await ticks();
    a.cancel(); // cancelled while it waits for the lock
    cond.release();
    await assert.rejects(a, CancelledError);
    await b; // woken by the notification a passed on
    assert.deepEqual(got, ['b']);
    assert.equal(cond.locked(), false);
  });

  test('uncancel() undoes a cancel that landed on a notified wait: it returns with the lock held', async () => {
    const cond = new Condition();
    const got: string[] = [];
    const a = waitThenRecord(cond, 'a', got);
    const b = waitThenRecord(cond, 'b', got);
    await ticks();
    await cond.acquire();
    cond.notify(1); // a is notified...
    a.cancel(); // ...a cancel lands before it runs...
    a.uncancel(); // ...and is withdrawn
    cond.release();
    await a;
    assert.equal(a.cancelled(), false);
    assert.deepEqual(got, ['a'], 'the notification was not passed on');
    await cond.acquire();
    cond.notify(1);
    cond.release();
    await b;
    assert.deepEqual(got, ['a', 'b']);
  });

  test('conditions can share a lock; a non-Lock argument is a TypeError', async () => {
    const lock = new Lock();
    const c1 = new Condition(lock);
    const c2 = new Condition(lock);
    await c1.acquire();
    assert.equal(c2.locked(), true);
    c2.release();
    assert.equal(lock.locked(), false);
    assert.throws(() => new Condition({} as never), /Expected `lock` to be a weft Lock/);
    assert.throws(() => {
      const cond = new Condition();
      cond.notify(-1);
    }, RangeError);
  });

  test('many waiters, repeated rounds: nobody is lost', async () => {
    const cond = new Condition();
    let round = 0;
    const seen: number[] = [];
    const waiters = Array.from({ length: 5 }, (_, i) =>
      createTask(() =>
        cond.runExclusive(async () => {
          await cond.waitFor(() => round > 0);
          seen.push(i);
        }),
      ),
    );
    await checkpoint();
    await ticks();
    await cond.runExclusive(() => {
      round = 1;
      cond.notifyAll();
    });
    await gather(...waiters);
    assert.deepEqual(
      seen.sort((x, y) => x - y),
      [0, 1, 2, 3, 4],
    );
  });
});
