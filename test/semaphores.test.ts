import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  BoundedSemaphore,
  CancelledError,
  createTask,
  gather,
  Semaphore,
  sleep,
  TimeoutError,
  timeout,
} from '../src/index.js';
import { ticks } from './helpers.js';

describe('Semaphore', () => {
  test('counts permits: acquire takes one, release gives it back', async () => {
    const sem = new Semaphore(2);
    assert.equal(sem.value, 2);
    await sem.acquire();
    await sem.acquire();
    assert.equal(sem.locked(), true);
    assert.equal(String(sem), 'Semaphore<value=0>');
    sem.release();
    assert.equal(sem.value, 1);
    assert.equal(sem.locked(), false);
    assert.equal(new Semaphore().value, 1);
    assert.equal(new Semaphore(0).locked(), true);
  });

  test('waiters are served first-in first-out; a newcomer cannot jump the queue', async () => {
    const sem = new Semaphore(0);
    const order: string[] = [];
    const waiter = (name: string) =>
      createTask(async () => {
        await sem.acquire();
        order.push(name);
      });
    const tasks = [waiter('a'), waiter('b'), waiter('c')];
    await ticks();
    assert.equal(String(sem), 'Semaphore<value=0 waiters=3>');
    sem.release(); // handed to a: the value stays 0
    assert.equal(sem.value, 0);
    const late = waiter('late');
    sem.release();
    sem.release();
    sem.release();
    await gather(...tasks, late);
    assert.deepEqual(order, ['a', 'b', 'c', 'late']);
  });

  test('a cancelled waiter never keeps a permit', async () => {
    const sem = new Semaphore(0);
    const a = createTask(() => sem.acquire());
    const b = createTask(() => sem.acquire());
    await ticks();
    a.cancel();
    await assert.rejects(a, CancelledError);
    sem.release();
    assert.equal(await b, true);
    assert.equal(sem.value, 0);
  });

  test('cancelled after release() handed it a permit, before it resumed: passes it on', async () => {
    const sem = new Semaphore(0);
    const a = createTask(() => sem.acquire());
    const b = createTask(() => sem.acquire());
    await ticks();
    sem.release();
    a.cancel();
    await assert.rejects(a, CancelledError);
    assert.equal(await b, true);
    assert.equal(sem.value, 0);
    // Alone, the permit goes back to the pool.
    const c = createTask(() => sem.acquire());
    await ticks();
    sem.release();
    c.cancel();
    await assert.rejects(c, CancelledError);
    assert.equal(sem.value, 1);
  });

  test('uncancel() undoes a cancel that landed on a granted acquire: the task keeps the permit', async () => {
    const sem = new Semaphore(0);
    const task = createTask(async () => {
      await sem.acquire();
      return 'permit';
    });
    const b = createTask(() => sem.acquire());
    await ticks();
    sem.release(); // handed to task
    task.cancel();
    task.uncancel();
    assert.equal(await task, 'permit');
    assert.equal(task.cancelled(), false);
    assert.equal(sem.value, 0);
    sem.release(); // b gets the next one
    assert.equal(await b, true);
  });

  test('timeout around acquire leaves the count intact', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    await assert.rejects(
      createTask(() => timeout(10, () => sem.acquire())),
      TimeoutError,
    );
    sem.release();
    assert.equal(sem.value, 1);
  });

  test('runExclusive bounds concurrency and releases on failure', async () => {
    const sem = new Semaphore(2);
    let running = 0;
    let most = 0;
    const job = (fail: boolean) =>
      createTask(() =>
        sem.runExclusive(async () => {
          most = Math.max(most, ++running);
          await sleep(5);
          running--;
          if (fail) throw new Error('job failed');
        }),
      );
    const results = await gather([job(false), job(true), job(false), job(true), job(false)], {
      returnExceptions: true,
    });
    assert.equal(most, 2);
    assert.equal(results.filter((r) => r instanceof Error).length, 2);
    assert.equal(sem.value, 2);
  });

  test('bad values: the message names the argument and the value', () => {
    assert.throws(() => new Semaphore(-1), {
      name: 'RangeError',
      message: 'Expected `value` to be an integer >= 0, got -1',
    });
    assert.throws(() => new Semaphore(1.5), RangeError);
    assert.throws(() => new Semaphore('2' as never), TypeError);
    assert.throws(() => new BoundedSemaphore(Number.NaN), RangeError);
  });

  test('inspect shows the state', () => {
    assert.equal(inspect(new Semaphore(3)), 'Semaphore<value=3>');
  });
});

describe('BoundedSemaphore', () => {
  test('releasing above the initial value throws RangeError', async () => {
    const sem = new BoundedSemaphore(2);
    assert.throws(() => sem.release(), /released too many times/);
    await sem.acquire();
    sem.release();
    assert.throws(() => sem.release(), RangeError);
    assert.equal(sem.value, 2);
    assert.equal(String(sem), 'BoundedSemaphore<value=2>');
  });

  test('hands permits over like Semaphore', async () => {
    const sem = new BoundedSemaphore(1);
    await sem.acquire();
    const waiter = createTask(() => sem.acquire());
    await ticks();
    sem.release();
    await waiter;
    assert.equal(sem.value, 0);
    sem.release();
    assert.equal(sem.value, 1);
  });
});
