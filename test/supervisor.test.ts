import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { CancelledError, InvalidStateError, sleep } from '../src/index.js';
import { BackgroundTasks, BacklogFullError, Supervisor } from '../src/web/index.js';
import { memoryLogger } from './web-helpers.js';

describe('Supervisor', () => {
  test('spawn runs the task, holds it until done, and counts it', async () => {
    const supervisor = new Supervisor();
    const task = supervisor.spawn(() => sleep(5, 'done'), { name: 'job' });
    assert.equal(task.name, 'job');
    assert.equal(await task, 'done');
    assert.deepEqual(supervisor.stats(), {
      running: 0,
      pending: 0,
      completed: 1,
      failed: 0,
      cancelled: 0,
    });
    assert.equal(supervisor.recent()[0]!.state, 'completed');
  });

  test("a function that takes a signal gets its task's signal; shutdown aborts it", async () => {
    const supervisor = new Supervisor();
    let seen: AbortSignal | undefined;
    const task = supervisor.spawn(async (signal) => {
      seen = signal;
      await sleep(10_000);
    });
    await sleep(1);
    assert.equal(seen, task.signal);
    await supervisor.shutdown({ graceMs: 0 });
    assert.equal(seen?.aborted, true);
  });

  test('a failure goes to onError with the task, and is counted', async () => {
    const seen: Array<[string, string]> = [];
    const supervisor = new Supervisor({
      onError: (err, task) => seen.push([(err as Error).message, task.name]),
    });
    const task = supervisor.spawn(
      async () => {
        throw new Error('boom');
      },
      { name: 'mailer' },
    );
    await task.catch(() => {});
    assert.deepEqual(seen, [['boom', 'mailer']]);
    assert.equal(supervisor.stats().failed, 1);
    assert.equal(supervisor.recent()[0]!.error, 'boom');
  });

  test('the default onError logs the name and the stack; a throwing hook is logged too', async () => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    await supervisor
      .spawn(
        async () => {
          throw new Error('no route to host');
        },
        { name: 'webhook' },
      )
      .catch(() => {});
    assert.match(
      logger.errors[0]!,
      /background task 'webhook' \(#\d+\) failed\nError: no route to host\n\s+at /,
    );

    const noisy = new Supervisor({
      logger,
      onError: () => {
        throw new Error('hook broke');
      },
    });
    await noisy
      .spawn(async () => {
        throw new Error('x');
      })
      .catch(() => {});
    assert.match(logger.errors[1]!, /onError threw/);
  });

  test('concurrency: the rest wait in order; the backlog is bounded', async () => {
    const supervisor = new Supervisor({ concurrency: 2, maxPending: 1 });
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(`start ${name}`);
      await sleep(20);
    };
    const a = supervisor.spawn(job('a'));
    const b = supervisor.spawn(job('b'));
    const c = supervisor.spawn(job('c'));
    assert.throws(
      () => supervisor.spawn(job('d')),
      (err: unknown) =>
        err instanceof BacklogFullError &&
        err.maxPending === 1 &&
        /backlog is full/.test(err.message),
    );
    await sleep(5);
    assert.deepEqual(supervisor.stats(), {
      running: 2,
      pending: 1,
      completed: 0,
      failed: 0,
      cancelled: 0,
    });
    await Promise.all([a, b, c]);
    assert.deepEqual(order, ['start a', 'start b', 'start c']);
    assert.equal(
      String(supervisor),
      'Supervisor<running=0 pending=0 completed=3 failed=0 cancelled=0>',
    );
  });

  test('shutdown drains within the grace period and refuses new work', async () => {
    const supervisor = new Supervisor();
    let finished = false;
    supervisor.spawn(async () => {
      await sleep(30);
      finished = true;
    });
    const result = await supervisor.shutdown({ graceMs: 1_000 });
    assert.deepEqual(result, { cancelled: 0, cancelledNames: [] });
    assert.equal(finished, true);
    assert.equal(supervisor.closed, true);
    assert.throws(
      () => supervisor.spawn(() => sleep(1)),
      (err: unknown) => err instanceof InvalidStateError && err.state === 'closed',
    );
    assert.match(inspect(supervisor), /closed>$/);
  });

  test('shutdown cancels what is left after graceMs, queued tasks included, and says so', async () => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger, concurrency: 1 });
    let cleanedUp = false;
    const slow = supervisor.spawn(
      async () => {
        try {
          await sleep(10_000);
        } finally {
          cleanedUp = true;
        }
      },
      { name: 'slow' },
    );
    const queued = supervisor.spawn(() => sleep(10), { name: 'queued' });
    const first = supervisor.shutdown({ graceMs: 30 });
    assert.equal(supervisor.shutdown(), first, 'a second call returns the same promise');
    const result = await first;
    assert.deepEqual(result, { cancelled: 2, cancelledNames: ['slow', 'queued'] });
    assert.equal(cleanedUp, true);
    await assert.rejects(slow, CancelledError);
    await assert.rejects(queued, CancelledError);
    assert.match(
      logger.warnings[0]!,
      /cancelled 2 task\(s\) still unfinished after 30 ms: slow, queued/,
    );
    assert.equal(supervisor.stats().cancelled, 2);
  });

  test('onShutdown hooks run after the tasks settled, newest first, with the grace left', async () => {
    const supervisor = new Supervisor();
    const events: string[] = [];
    supervisor.spawn(async () => {
      await sleep(20);
      events.push('task done');
    });
    const graces: number[] = [];
    supervisor.onShutdown(async ({ graceMs }) => {
      graces.push(graceMs);
      await sleep(5);
      events.push('database closed');
    });
    supervisor.onShutdown(({ graceMs }) => {
      graces.push(graceMs);
      events.push('pool closed');
    });
    const removed = supervisor.onShutdown(() => events.push('removed hook ran'));
    removed();
    await supervisor.shutdown({ graceMs: 1_000 });
    assert.deepEqual(events, ['task done', 'pool closed', 'database closed']);
    assert.ok(
      graces.every((ms) => ms > 0 && ms <= 1_000),
      `grace left: ${graces}`,
    );
    assert.ok(graces[1]! <= graces[0]!, 'each hook gets what is left');
    assert.throws(() => supervisor.onShutdown(() => {}), InvalidStateError);
  });

  test('onShutdown: a hook that throws is logged and the others run; cancellations reported count', async () => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    const slow = supervisor.spawn(() => sleep(10_000), { name: 'slow' });
    let graceLeft = -1;
    supervisor.onShutdown(({ graceMs }) => {
      graceLeft = graceMs;
      return { cancelled: 2, cancelledNames: ['hash', 'resize'] };
    });
    supervisor.onShutdown(() => {
      throw new Error('cache already gone');
    });
    const result = await supervisor.shutdown({ graceMs: 20 });
    await assert.rejects(slow, CancelledError);
    assert.equal(graceLeft, 0, 'the tasks used up the grace period');
    assert.deepEqual(result, { cancelled: 3, cancelledNames: ['slow', 'hash', 'resize'] });
    assert.deepEqual(logger.errors, ['weft: a shutdown hook failed']);
    assert.match(
      logger.warnings.at(-1)!,
      /shutdown hooks cancelled 2 job\(s\) still unfinished: hash, resize/,
    );
    const unbounded = new Supervisor();
    let seen = 0;
    unbounded.onShutdown(({ graceMs }) => {
      seen = graceMs;
    });
    await unbounded.shutdown({ graceMs: Number.POSITIVE_INFINITY });
    assert.equal(seen, Number.POSITIVE_INFINITY);
    assert.throws(() => unbounded.onShutdown('close' as never), {
      name: 'TypeError',
      message: "Expected `hook` to be a function, got 'close'",
    });
  });

  test('recent() keeps the last historySize finished tasks, newest first, after the live ones', async () => {
    const supervisor = new Supervisor({ historySize: 2 });
    for (const name of ['a', 'b', 'c']) await supervisor.spawn(() => sleep(1), { name });
    const live = supervisor.spawn(() => sleep(50), { name: 'live' });
    await sleep(5);
    assert.deepEqual(
      supervisor.recent().map((r) => `${r.name}:${r.state}`),
      ['live:running', 'c:completed', 'b:completed'],
    );
    await live;
  });

  test('bad input: messages name the argument and the value', async () => {
    assert.throws(() => new Supervisor({ concurrency: 0 }), {
      name: 'RangeError',
      message: 'Expected `concurrency` to be an integer >= 1 or Infinity, got 0',
    });
    assert.throws(() => new Supervisor({ maxPending: -1 }), RangeError);
    assert.throws(
      () => new Supervisor({ onError: 'log' as never }),
      /Expected `onError` to be a function/,
    );
    const supervisor = new Supervisor();
    assert.throws(() => supervisor.spawn('job' as never), /Expected `fn` to be a function/);
    await assert.rejects(supervisor.shutdown({ graceMs: -1 }), {
      name: 'RangeError',
      message: 'Expected `graceMs` to be a number >= 0, got -1',
    });
    await assert.rejects(supervisor.shutdown({ graceMs: '5s' as never }), TypeError);
    assert.throws(() => new BackgroundTasks().addTask('send' as never), {
      name: 'TypeError',
      message: "Expected `fn` to be a function, got 'send'",
    });
  });
});

describe('Supervisor: issue 13', () => {
  test('a grace period above 2^31-1 ms is not cut to 1 ms, and warns nothing', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const supervisor = new Supervisor();
      supervisor.spawn(() => sleep(30), { name: 'short' });
      const result = await supervisor.shutdown({ graceMs: 2 ** 31 });
      assert.deepEqual(result, { cancelled: 0, cancelledNames: [] });
      assert.equal(supervisor.stats().completed, 1);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('the shutdown log rounds the duration and shows a few names, a count and where to see the rest', async () => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    for (let i = 0; i < 12; i++) supervisor.spawn(() => sleep(10_000), { name: `job-${i}` });
    const result = await supervisor.shutdown({ graceMs: 20.123456 });
    assert.equal(result.cancelled, 12);
    assert.equal(result.cancelledNames.length, 12, 'the result lists them all');
    assert.equal(logger.warnings.length, 1);
    const line = logger.warnings[0]!;
    assert.match(
      line,
      /^weft: shutdown cancelled 12 task\(s\) still unfinished after 20 ms: job-0, job-1, job-2, job-3, job-4 and 7 more \(/,
    );
    assert.match(line, /cancelledNames/);
    assert.match(line, new RegExp(`weft ps ${process.pid}`));
    assert.doesNotMatch(line, /job-5/);
  });

  test('a logger without error() and warn() is refused at construction', () => {
    for (const logger of [
      {},
      'x',
      -1,
      [],
      null,
      { error() {} },
      { error() {}, warn() {}, debug: 1 },
    ]) {
      assert.throws(() => new Supervisor({ logger: logger as never }), {
        name: 'TypeError',
        message:
          /^Expected `logger` to have error\(\) and warn\(\) methods \(and optionally debug\(\)\), got /,
      });
    }
  });

  test('a logger that throws never makes a failed task fatal', async () => {
    const supervisor = new Supervisor({
      logger: {
        error: () => {
          throw new Error('log sink down');
        },
        warn: () => {
          throw new Error('log sink down');
        },
      },
    });
    await supervisor
      .spawn(async () => {
        throw new Error('boom');
      })
      .catch(() => {});
    supervisor.spawn(() => sleep(10_000));
    const result = await supervisor.shutdown({ graceMs: 10 });
    assert.equal(result.cancelled, 1);
    assert.equal(supervisor.stats().failed, 1);
  });

  test('shutdown rejects, never throws, when reading its options throws', async () => {
    const supervisor = new Supervisor();
    const options = {
      get graceMs(): number {
        throw new Error('getter broke');
      },
    };
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = supervisor.shutdown(options);
    });
    await assert.rejects(promise!, { message: 'getter broke' });
    assert.equal(supervisor.closed, false, 'nothing was started');
    await supervisor.shutdown();
  });

  test('canAccept(): true while a spawn would be accepted', async () => {
    const supervisor = new Supervisor({ concurrency: 1, maxPending: 1 });
    assert.equal(supervisor.canAccept(), true);
    const a = supervisor.spawn(() => sleep(20));
    assert.equal(supervisor.canAccept(), true, 'one slot taken, the backlog is empty');
    const b = supervisor.spawn(() => sleep(20));
    assert.equal(supervisor.canAccept(), false, 'the backlog is full');
    assert.throws(() => supervisor.spawn(() => sleep(1)), BacklogFullError);
    await Promise.all([a, b]);
    assert.equal(supervisor.canAccept(), true);
    await supervisor.shutdown();
    assert.equal(supervisor.canAccept(), false, 'shut down');
    const unbounded = new Supervisor();
    for (let i = 0; i < 100; i++) unbounded.spawn(() => sleep(1));
    assert.equal(unbounded.canAccept(), true);
    await unbounded.shutdown();
  });
});

describe('BackgroundTasks', () => {
  test('addTask keeps typed arguments; size and toString show the queue', () => {
    const tasks = new BackgroundTasks();
    tasks.addTask((name: string, times: number) => name.repeat(times), 'ab', 2);
    // @ts-expect-error: the arguments must match the function
    tasks.addTask((name: string) => name, 42);
    assert.equal(tasks.size, 2);
    assert.equal(String(tasks), 'BackgroundTasks<2 queued>');
  });
});
