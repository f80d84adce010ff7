import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  CancelledError,
  createTask,
  gather,
  InvalidStateError,
  LifoQueue,
  naturalOrder,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TimeoutError,
  timeout,
} from '../src/index.js';
import { ticks } from './helpers.js';

describe('Queue', () => {
  test('first in, first out; qsize/empty/full/maxsize', async () => {
    const queue = new Queue<number>(2);
    assert.equal(queue.maxsize, 2);
    assert.equal(queue.empty(), true);
    await queue.put(1);
    queue.putNowait(2);
    assert.equal(queue.full(), true);
    assert.equal(queue.qsize(), 2);
    assert.throws(
      () => queue.putNowait(3),
      (err: unknown) => err instanceof QueueFull && err.maxsize === 2,
    );
    assert.equal(await queue.get(), 1);
    assert.equal(queue.getNowait(), 2);
    assert.throws(() => queue.getNowait(), QueueEmpty);
    assert.equal(new Queue().full(), false, 'maxsize 0 is unbounded');
  });

  test('keeps order through wrap-around and growth of its storage', () => {
    const queue = new Queue<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7 + (round % 13); i++) queue.putNowait(next++);
      for (let i = 0; i < 5 + (round % 11) && !queue.empty(); i++) out.push(queue.getNowait());
    }
    while (!queue.empty()) out.push(queue.getNowait());
    assert.deepEqual(
      out,
      Array.from({ length: next }, (_, i) => i),
    );
  });

  test('get() waits for an item; waiting getters are served in order', async () => {
    const queue = new Queue<string>();
    const getters = [1, 2, 3].map(() => createTask(() => queue.get()));
    await ticks();
    assert.equal(String(queue), 'Queue<maxsize=0 size=0 unfinished=0 getters=3 putters=0>');
    for (const item of ['a', 'b', 'c']) queue.putNowait(item);
    assert.deepEqual(await gather(...getters), ['a', 'b', 'c']);
  });

  test('an item put while a getter waits cannot be taken by a late getNowait()', async () => {
    const queue = new Queue<string>();
    const getter = createTask(() => queue.get());
    await ticks();
    queue.putNowait('x');
    assert.throws(() => queue.getNowait(), QueueEmpty);
    assert.equal(await getter, 'x');
  });

  test('put() waits while full; waiting putters enter in order as slots free', async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(0);
    const putters = [1, 2, 3].map((i) => createTask(() => queue.put(i)));
    await ticks();
    assert.equal(String(queue), 'Queue<maxsize=1 size=1 unfinished=1 getters=0 putters=3>');
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(await queue.get());
    await gather(...putters);
    assert.deepEqual(got, [0, 1, 2, 3]);
  });

  test('a getter cancelled while waiting takes nothing', async () => {
    const queue = new Queue<number>();
    const a = createTask(() => queue.get());
    const b = createTask(() => queue.get());
    await ticks();
    a.cancel();
    await assert.rejects(a, CancelledError);
    queue.putNowait(1);
    assert.equal(await b, 1);
  });

  test('a cancelled get took no item: the item goes to the next reader', async () => {
    const queue = new Queue<number>();
    const reader = createTask(() => queue.get());
    await ticks();
    queue.putNowait(1); // wakes the reader...
    queue.putNowait(2);
    reader.cancel(); // ...which is cancelled before it resumes
    await assert.rejects(reader, CancelledError);
    assert.equal(reader.cancelled(), true);
    assert.equal(queue.qsize(), 2, 'item 1 is still queued');
    assert.deepEqual([queue.getNowait(), queue.getNowait()], [1, 2]);
  });

  test('a cancelled get took no item: a waiting reader gets it, in order', async () => {
    const queue = new Queue<string>();
    const readers = [1, 2, 3].map(() => createTask(() => queue.get()));
    await ticks();
    queue.putNowait('a'); // wakes reader 0
    queue.putNowait('b'); // wakes reader 1
    readers[0]!.cancel();
    await assert.rejects(readers[0]!, CancelledError);
    assert.deepEqual(await gather(readers[1]!, readers[2]!), ['a', 'b']);
    assert.equal(queue.qsize(), 0);
  });

  test('a cancelled put added no item: retrying it after the cancellation queues it once', async () => {
    const queue = new Queue<string>(1);
    queue.putNowait('first');
    const put = createTask(() => queue.put('job'));
    await ticks();
    assert.equal(queue.getNowait(), 'first'); // frees the slot: the put is woken...
    put.cancel(); // ...and cancelled before it resumes
    await assert.rejects(put, CancelledError);
    assert.equal(queue.qsize(), 0, 'the cancelled put added nothing');
    assert.equal(queue.full(), false, 'its slot is free again');
    await queue.put('job'); // the retry
    assert.equal(queue.getNowait(), 'job');
    assert.equal(queue.qsize(), 0);
  });

  test('a cancelled put added no item: its slot goes to the next waiting put', async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(0);
    const first = createTask(() => queue.put(1));
    const second = createTask(() => queue.put(2));
    await ticks();
    assert.equal(queue.getNowait(), 0); // wakes the first put...
    first.cancel(); // ...cancelled before it resumes
    await assert.rejects(first, CancelledError);
    await second;
    assert.deepEqual([queue.qsize(), queue.getNowait()], [1, 2]);
  });

  test('an item is taken when its woken get resumes: maxsize stays exact', async () => {
    const queue = new Queue<number>(1);
    const reader = createTask(() => queue.get());
    await ticks();
    queue.putNowait(1); // reserved for the reader, still in its slot
    assert.equal(queue.full(), true);
    assert.throws(() => queue.putNowait(2), QueueFull);
    assert.throws(() => queue.getNowait(), QueueEmpty, 'the woken reader goes first');
    reader.cancel();
    await assert.rejects(reader, CancelledError);
    assert.equal(queue.qsize(), 1);
    assert.equal(queue.full(), true);
    assert.equal(queue.getNowait(), 1);
  });

  test('a get arriving while a woken get has not resumed is served after it', async () => {
    const queue = new Queue<number>();
    const first = createTask(() => queue.get());
    await ticks();
    queue.putNowait(1); // wakes the first reader
    queue.putNowait(2);
    assert.equal(queue.empty(), true, 'every item is the woken reader’s first');
    assert.throws(() => queue.getNowait(), QueueEmpty);
    const late = queue.get();
    assert.equal(await first, 1);
    assert.equal(await late, 2);
  });

  test('uncancel() undoes a cancel that landed on a woken get: it takes its item', async () => {
    const queue = new Queue<number>();
    const reader = createTask(() => queue.get());
    await ticks();
    queue.putNowait(7);
    reader.cancel();
    assert.equal(reader.uncancel(), 0);
    assert.equal(await reader, 7);
    assert.equal(reader.cancelled(), false);
    assert.equal(queue.qsize(), 0);
  });

  test('uncancel() undoes a cancel that landed on a woken put: it adds its item', async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(0);
    const put = createTask(() => queue.put(1));
    await ticks();
    queue.getNowait();
    put.cancel();
    put.uncancel();
    await put;
    assert.equal(put.cancelled(), false);
    assert.equal(queue.getNowait(), 1);
  });

  test('shutdown(true) while a get is woken: it rejects QueueShutDown; a woken put adds nothing', async () => {
    const queue = new Queue<number>(1);
    const reader = createTask(() => queue.get());
    await ticks();
    queue.putNowait(1); // wakes the reader
    queue.shutdown(true); // drops the item before the reader took it
    await assert.rejects(reader, QueueShutDown);

    const full = new Queue<number>(1);
    full.putNowait(0);
    const put = createTask(() => full.put(1));
    await ticks();
    full.getNowait(); // wakes the put
    full.shutdown();
    await assert.rejects(put, QueueShutDown);
    assert.equal(full.qsize(), 0);
  });

  test('a putter cancelled while waiting adds nothing; timeout around put', async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(1);
    const putter = createTask(() => queue.put(2));
    await ticks();
    putter.cancel();
    await assert.rejects(putter, CancelledError);
    await assert.rejects(
      createTask(() => timeout(10, () => queue.put(3))),
      TimeoutError,
    );
    assert.equal(queue.qsize(), 1);
    assert.equal(queue.getNowait(), 1);
    assert.equal(queue.empty(), true);
  });

  test('taskDone/join: join waits for every item to be processed', async () => {
    const queue = new Queue<number>();
    for (let i = 0; i < 3; i++) queue.putNowait(i);
    const processed: number[] = [];
    const worker = createTask(async () => {
      for (;;) {
        const item = await queue.get();
        processed.push(item);
        queue.taskDone();
      }
    });
    await queue.join();
    assert.deepEqual(processed, [0, 1, 2]);
    worker.cancel();
    await assert.rejects(worker, CancelledError);
    assert.equal(await queue.join(), true, 'resolves at once with nothing unfinished');
    assert.throws(
      () => queue.taskDone(),
      (err: unknown) => err instanceof InvalidStateError && /too many|more times/.test(err.message),
    );
  });

  test('shutdown(): puts reject, gets drain then reject, for-await ends', async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(1);
    const putter = createTask(() => queue.put(2));
    await ticks();
    queue.shutdown();
    await assert.rejects(putter, QueueShutDown);
    await assert.rejects(queue.put(3), QueueShutDown);
    assert.throws(() => queue.putNowait(3), QueueShutDown);
    const seen: number[] = [];
    for await (const item of queue) seen.push(item);
    assert.deepEqual(seen, [1]);
    await assert.rejects(queue.get(), QueueShutDown);
    assert.throws(() => queue.getNowait(), QueueShutDown);
    assert.match(String(queue), /shut down/);
  });

  test('shutdown() wakes waiting getters with QueueShutDown', async () => {
    const queue = new Queue<number>();
    const getter = createTask(() => queue.get());
    const consumer = createTask(async () => {
      const seen: number[] = [];
      for await (const item of queue) seen.push(item);
      return seen;
    });
    await ticks();
    queue.putNowait(5);
    queue.shutdown();
    // The item went to the oldest getter; the iterator just ends.
    assert.equal(await getter, 5);
    assert.deepEqual(await consumer, []);
  });

  test('shutdown(true) drops the items, counts them done, and releases join()', async () => {
    const queue = new Queue<number>();
    for (let i = 0; i < 3; i++) queue.putNowait(i);
    const joiner = createTask(() => queue.join());
    await ticks();
    queue.shutdown(true);
    assert.equal(await joiner, true);
    assert.equal(queue.qsize(), 0);
    await assert.rejects(queue.get(), QueueShutDown);
    assert.throws(() => queue.shutdown('yes' as never), TypeError);
  });

  test('bad maxsize: the message names the argument', () => {
    assert.throws(() => new Queue(1.5), {
      name: 'RangeError',
      message: 'Expected `maxsize` to be an integer >= 0, got 1.5',
    });
    assert.throws(() => new Queue(-1), RangeError);
    assert.throws(() => new Queue('10' as never), TypeError);
    assert.throws(
      () => new PriorityQueue(0, 'desc' as never),
      /Expected `compare` to be a function/,
    );
  });

  test('inspect shows the state', () => {
    assert.equal(inspect(new Queue(3)), 'Queue<maxsize=3 size=0 unfinished=0 getters=0 putters=0>');
  });
});

describe('LifoQueue', () => {
  test('newest first', async () => {
    const stack = new LifoQueue<number>();
    for (const i of [1, 2, 3]) await stack.put(i);
    assert.deepEqual([await stack.get(), stack.getNowait(), stack.getNowait()], [3, 2, 1]);
    assert.match(String(stack), /^LifoQueue</);
  });

  test('waiting putters enter as slots free', async () => {
    const stack = new LifoQueue<number>(1);
    stack.putNowait(1);
    const putter = createTask(() => stack.put(2));
    await ticks();
    assert.equal(stack.getNowait(), 1);
    await putter;
    assert.equal(stack.getNowait(), 2);
  });
});

describe('PriorityQueue', () => {
  test('smallest first; tuples compare element by element like Python', () => {
    const queue = new PriorityQueue<[number, string]>();
    for (const item of [
      [10, 'a'],
      [9, 'z'],
      [9, 'b'],
      [1, 'x'],
    ] as Array<[number, string]>) {
      queue.putNowait(item);
    }
    const out = [];
    while (!queue.empty()) out.push(queue.getNowait());
    assert.deepEqual(out, [
      [1, 'x'],
      [9, 'b'],
      [9, 'z'],
      [10, 'a'],
    ]);
  });

  test('many random numbers come out sorted; ties keep insertion order', () => {
    const queue = new PriorityQueue<{ p: number; i: number }>(0, (a, b) => a.p - b.p);
    const items = Array.from({ length: 500 }, (_, i) => ({ p: (i * 7919) % 13, i }));
    for (const item of items) queue.putNowait(item);
    const out = [];
    while (!queue.empty()) out.push(queue.getNowait());
    const expected = [...items].sort((a, b) => a.p - b.p || a.i - b.i);
    assert.deepEqual(out, expected);
  });

  test('strings, bigints and numbers by default; other items need compare', async () => {
    const words = new PriorityQueue<string>();
    for (const w of ['pear', 'apple', 'fig']) words.putNowait(w);
    assert.equal(words.getNowait(), 'apple');
    const mixed = new PriorityQueue<number | bigint>();
    mixed.putNowait(3n);
    mixed.putNowait(2.5);
    assert.equal(mixed.getNowait(), 2.5);
    const objects = new PriorityQueue<object>();
    objects.putNowait({});
    assert.throws(() => objects.putNowait({}), /cannot order Object and Object by default/);
    await assert.rejects(objects.put({}), TypeError);
    assert.equal(objects.qsize(), 1, 'a failed put leaves the heap as it was');
  });

  test('a compare that returns no number is a TypeError', () => {
    const queue = new PriorityQueue<number>(0, () => Number.NaN);
    queue.putNowait(1);
    assert.throws(() => queue.putNowait(2), /Expected `compare` to return a number/);
    assert.equal(queue.qsize(), 1);
  });

  test('naturalOrder orders like Python', () => {
    assert.ok(naturalOrder([9, 'z'], [10, 'a']) < 0);
    assert.ok(naturalOrder([1, 2], [1, 2, 0]) < 0);
    assert.equal(naturalOrder('a', 'a'), 0);
    assert.throws(() => naturalOrder(1, 'a'), TypeError);
  });
});
