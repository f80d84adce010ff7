import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  Barrier,
  BrokenBarrierError,
  CancelledError,
  createTask,
  gather,
  TaskGroup,
} from '../src/index.js';
import { ticks } from './helpers.js';

describe('Barrier', () => {
  test('everyone waits for the last party; indexes follow arrival', async () => {
    const barrier = new Barrier(3);
    const passed: number[] = [];
    const party = (i: number) =>
      createTask(async () => {
        const index = await barrier.wait();
        passed.push(i);
        return index;
      });
    const a = party(0);
    const b = party(1);
    await ticks();
    assert.equal(barrier.nWaiting, 2);
    assert.deepEqual(passed, []);
    assert.equal(String(barrier), 'Barrier<filling waiting=2/3>');
    const c = party(2);
    assert.deepEqual(await gather(a, b, c), [0, 1, 2]);
    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.parties, 3);
    assert.equal(barrier.broken, false);
  });

  test('it can be used round after round', async () => {
    const barrier = new Barrier(2);
    const log: string[] = [];
    const worker = (name: string) =>
      createTask(async () => {
        for (let round = 0; round < 3; round++) {
          log.push(`${name}${round}`);
          await barrier.wait();
        }
      });
    await gather(worker('a'), worker('b'));
    // No one starts round r+1 before both finished round r.
    for (let round = 0; round < 3; round++) {
      const slice = log.slice(round * 2, round * 2 + 2).sort();
      assert.deepEqual(slice, [`a${round}`, `b${round}`]);
    }
  });

  test('abort() breaks it for waiting and later callers; reset() repairs it', async () => {
    const barrier = new Barrier(3);
    const waiter = createTask(() => barrier.wait());
    await ticks();
    barrier.abort();
    await assert.rejects(waiter, BrokenBarrierError);
    assert.equal(barrier.broken, true);
    assert.equal(String(barrier), 'Barrier<broken parties=3>');
    await assert.rejects(barrier.wait(), BrokenBarrierError);
    barrier.reset();
    assert.equal(barrier.broken, false);
    const again = [1, 2, 3].map(() => createTask(() => barrier.wait()));
    assert.deepEqual((await gather(...again)).sort(), [0, 1, 2]);
  });

  test('reset() while tasks wait rejects them with BrokenBarrierError', async () => {
    const barrier = new Barrier(2);
    const waiter = createTask(() => barrier.wait());
    await ticks();
    barrier.reset();
    await assert.rejects(waiter, /reset/);
    assert.equal(barrier.broken, false);
    assert.equal(barrier.nWaiting, 0);
  });

  test('a waiter cancelled before the trip leaves without breaking the barrier: the round continues one party short', async () => {
    const barrier = new Barrier(3);
    const a = createTask(() => barrier.wait());
    const b = createTask(() => barrier.wait());
    await ticks();
    a.cancel();
    await assert.rejects(a, CancelledError);
    assert.equal(barrier.broken, false);
    assert.equal(barrier.nWaiting, 1);
    const c = createTask(() => barrier.wait());
    await ticks();
    assert.equal(barrier.nWaiting, 2);
    const d = barrier.wait(); // the third party trips it
    assert.deepEqual(await gather(b, c, d), [0, 1, 2]);
    assert.equal(barrier.broken, false);
  });

  test('cancelling a TaskGroup whose children wait on a barrier rejects CancelledError, not TaskGroupError(BrokenBarrierError)', async () => {
    const barrier = new Barrier(4);
    const group = createTask(() =>
      TaskGroup.run((tg) => {
        for (let i = 0; i < 3; i++) tg.createTask(() => barrier.wait());
      }),
    );
    await ticks();
    assert.equal(barrier.nWaiting, 3);
    group.cancel();
    await assert.rejects(group, (err: unknown) => err instanceof CancelledError);
    assert.equal(barrier.broken, false);
    assert.equal(barrier.nWaiting, 0);

    // tg.cancel() stops the group without an error.
    const stopped = await TaskGroup.run(async (tg) => {
      for (let i = 0; i < 3; i++) tg.createTask(() => barrier.wait());
      await ticks();
      tg.cancel();
      return 'stopped';
    });
    assert.equal(stopped, 'stopped');
    assert.equal(barrier.broken, false);
  });

  test('parties arriving while a round drains wait for it to finish, then form the next round', async () => {
    const barrier = new Barrier(2);
    const a = createTask(() => barrier.wait());
    await ticks();
    const trip = barrier.wait(); // releases a, which has not resumed yet: the round drains
    const next1 = barrier.wait(); // a party looping back must not join the round it leaves
    const next2 = barrier.wait();
    assert.equal(barrier.nWaiting, 0);
    assert.equal(String(barrier), 'Barrier<draining leaving=1/2 next=2>');
    assert.equal(await trip, 1);
    assert.equal(await a, 0);
    // Once a has left, the two that waited trip the next round.
    assert.deepEqual(await Promise.all([next1, next2]), [0, 1]);
    assert.equal(String(barrier), 'Barrier<filling waiting=0/2>');
  });

  test('reset() while a round drains: its parties leave with their index, the new round starts clean', async () => {
    const barrier = new Barrier(2);
    const a = createTask(() => barrier.wait());
    await ticks();
    const trip = barrier.wait();
    barrier.reset();
    const next = barrier.wait(); // waits for the old round to leave
    assert.match(String(barrier), /^Barrier<resetting/);
    assert.equal(await a, 0);
    assert.equal(await trip, 1);
    assert.equal(barrier.broken, false);
    assert.equal(barrier.nWaiting, 1, 'the new round has one party');
    const last = barrier.wait();
    assert.deepEqual([await next, await last], [0, 1]);
  });

  test('abort() while a round drains: its parties leave with their index, later arrivals reject', async () => {
    const barrier = new Barrier(2);
    const a = createTask(() => barrier.wait());
    await ticks();
    const trip = barrier.wait();
    const next = barrier.wait();
    barrier.abort();
    await assert.rejects(next, BrokenBarrierError);
    assert.equal(await a, 0);
    assert.equal(await trip, 1);
    assert.equal(barrier.broken, true);
    await assert.rejects(barrier.wait(), BrokenBarrierError);
    barrier.reset();
    assert.equal(String(barrier), 'Barrier<filling waiting=0/2>');
  });

  test('uncancel() undoes a cancel that landed on a released party: it leaves with its index', async () => {
    const barrier = new Barrier(2);
    const a = createTask(() => barrier.wait());
    await ticks();
    const last = barrier.wait();
    a.cancel();
    a.uncancel();
    assert.equal(await a, 0);
    assert.equal(await last, 1);
    assert.equal(a.cancelled(), false);
  });

  test('a party cancelled after the barrier tripped, before it resumed, does not break it', async () => {
    const barrier = new Barrier(2);
    const a = createTask(() => barrier.wait());
    await ticks();
    const last = barrier.wait(); // trips the barrier now
    a.cancel(); // a was released but has not run yet
    assert.equal(await last, 1);
    await assert.rejects(a, CancelledError);
    assert.equal(barrier.broken, false);
    assert.equal(barrier.nWaiting, 0);
  });

  test('parties must be an integer >= 1', () => {
    assert.throws(() => new Barrier(0), {
      name: 'RangeError',
      message: 'Expected `parties` to be an integer >= 1, got 0',
    });
    assert.throws(() => new Barrier(2.5), RangeError);
    assert.throws(() => new Barrier(undefined as never), TypeError);
    assert.equal(inspect(new Barrier(1)), 'Barrier<filling waiting=0/1>');
  });

  test('a barrier of one never waits', async () => {
    const barrier = new Barrier(1);
    assert.equal(await barrier.wait(), 0);
    assert.equal(await barrier.wait(), 0);
  });
});
