/**
 * Hostile and bad input to the core: thenables that throw, option getters
 * that throw, iterators that break, huge inputs. Nothing here may crash the
 * process, jam the scheduler, or throw where a promise should reject.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createTask,
  gather,
  map,
  run,
  shield,
  sleep,
  type Task,
  TaskGroup,
  wait,
  waitFor,
} from '../src/index.js';
import { ticks } from './helpers.js';

const boom = () => new Error('hostile then');

/** Each way a thenable can throw instead of settling. */
const hostile = {
  'a then that throws': () => ({
    // biome-ignore lint/suspicious/noThenProperty: a hostile thenable under test.
    then() {
      throw boom();
    },
  }),
  'a then getter that throws': () =>
    Object.defineProperty({}, 'then', {
      get() {
        throw boom();
      },
    }),
} as const;

/** Is the scheduler alive: does a task created now start and finish? */
async function schedulerAlive(): Promise<void> {
  const probe = createTask(() => 'alive');
  const timer = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('a new task never started')), 2_000).unref(),
  );
  assert.equal(await Promise.race([probe.then(), timer]), 'alive');
}

describe('a thenable whose then throws fails its task and never jams the scheduler', () => {
  for (const [kind, make] of Object.entries(hostile)) {
    test(`createTask(thenable) with ${kind}`, async () => {
      const task = createTask(make() as PromiseLike<unknown>);
      await assert.rejects(task, /hostile then/);
      await schedulerAlive();
    });

    test(`createTask(fn returning a thenable) with ${kind}`, async () => {
      const task = createTask(() => make() as PromiseLike<unknown>);
      await assert.rejects(task, /hostile then/);
      await schedulerAlive();
    });

    test(`gather, shield, waitFor and tg.createTask with ${kind}`, async () => {
      await assert.rejects(gather(make() as PromiseLike<unknown>, sleep(1)), /hostile then/);
      await assert.rejects(shield(make() as PromiseLike<unknown>), /hostile then/);
      await assert.rejects(waitFor(make() as PromiseLike<unknown>, 1_000), /hostile then/);
      await assert.rejects(
        TaskGroup.run((tg) => {
          tg.createTask(make() as PromiseLike<unknown>);
        }),
        (error: AggregateError) => /hostile then/.test(String(error.errors[0])),
      );
      await schedulerAlive();
    });
  }

  test('with an uncaughtException handler installed, later tasks still start', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const bad = createTask(hostile['a then that throws']() as PromiseLike<unknown>);
      const good = createTask(async () => 'ran');
      await assert.rejects(bad, /hostile then/);
      assert.equal(await good, 'ran');
      await schedulerAlive();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    assert.deepEqual(uncaught, []);
  });

  test('property: arbitrary hostile thenables never stop later tasks from starting', async () => {
    type Behaviour =
      | 'throw'
      | 'getter-throws'
      | 'resolve-twice'
      | 'reject-then-resolve'
      | 'sync-resolve'
      | 'async-resolve'
      | 'never'
      | 'throw-after-resolve';
    const behaviour = fc.constantFrom<Behaviour>(
      'throw',
      'getter-throws',
      'resolve-twice',
      'reject-then-resolve',
      'sync-resolve',
      'async-resolve',
      'never',
      'throw-after-resolve',
    );
    const make = (b: Behaviour): PromiseLike<unknown> => {
      if (b === 'getter-throws')
        return hostile['a then getter that throws']() as PromiseLike<unknown>;
      return {
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable under test.
        then(onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) {
          switch (b) {
            case 'throw':
              throw boom();
            case 'resolve-twice':
              onFulfilled?.(1);
              onFulfilled?.(2);
              break;
            case 'reject-then-resolve':
              onRejected?.(boom());
              onFulfilled?.(3);
              break;
            case 'sync-resolve':
              onFulfilled?.(4);
              break;
            case 'async-resolve':
              setTimeout(() => onFulfilled?.(5), 1);
              break;
            case 'throw-after-resolve':
              onFulfilled?.(6);
              throw boom();
            default:
              break; // never settles
          }
          return undefined as never;
        },
      } as PromiseLike<unknown>;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ b: behaviour, wrapped: fc.boolean() }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (plan) => {
          const tasks: Task<unknown>[] = plan.map(({ b, wrapped }) =>
            wrapped ? createTask(() => make(b)) : createTask(make(b)),
          );
          const after = createTask(async () => 'after');
          assert.equal(await after, 'after');
          await sleep(3);
          for (const [i, task] of tasks.entries()) {
            const { b, wrapped } = plan[i]!;
            if (b === 'never') {
              assert.equal(task.done(), false);
              task.cancel();
              // A function awaiting what never settles cannot be interrupted
              // (that is what signals are for); a wrapped promise can.
              if (wrapped) continue;
            }
            await task.then(
              () => {},
              () => {},
            );
            assert.equal(task.done(), true);
            if (b === 'resolve-twice') assert.equal(task.result(), 1);
            if (b === 'throw' || b === 'getter-throws' || b === 'reject-then-resolve') {
              assert.match(String(task.exception()), /hostile then/);
            }
          }
          await schedulerAlive();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('wait() is linear in the number of tasks', () => {
  for (const returnWhen of ['ALL_COMPLETED', 'FIRST_EXCEPTION'] as const) {
    test(`${returnWhen} over 1,000,000 tasks`, async () => {
      const tasks = Array.from({ length: 1_000_000 }, (_, i) => createTask(() => i));
      const { done, pending } = await wait(tasks, { returnWhen });
      assert.equal(done.size, 1_000_000);
      assert.equal(pending.size, 0);
    });
  }

  test('FIRST_EXCEPTION returns at the first failure among many', async () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) =>
      createTask(async () => {
        if (i === 5_000) throw new Error('one failed');
        await sleep(1_000);
      }),
    );
    const { done, pending } = await wait(tasks, { returnWhen: 'FIRST_EXCEPTION' });
    assert.equal(done.size, 1);
    assert.equal(pending.size, 9_999);
    for (const t of tasks) t.cancel();
    await assert.rejects(tasks[5_000]!, /one failed/);
  });
});

describe('map reports the error of a source whose next() throws', () => {
  test('next() throws: map rejects with that error and does not call return()', async () => {
    let returned = 0;
    const source: Iterable<number> = {
      [Symbol.iterator]() {
        let i = 0;
        return {
          next() {
            if (i++ === 2) throw new Error('next broke');
            return { value: i, done: false };
          },
          return() {
            returned++;
            throw new Error('return broke');
          },
        };
      },
    };
    await assert.rejects(
      map(source, (x) => x),
      /next broke/,
    );
    assert.equal(returned, 0);
  });

  test('a call fails: the source is closed with return(), and its error does not hide the first', async () => {
    let returned = 0;
    async function* numbers() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        returned++;
      }
    }
    await assert.rejects(
      map(numbers(), async (x) => {
        if (x === 3) throw new Error('call failed');
        return x;
      }),
      /call failed/,
    );
    assert.equal(returned, 1);
  });

  test('a source that ends is not closed again', async () => {
    let returned = 0;
    const source: Iterable<number> = {
      [Symbol.iterator]() {
        let i = 0;
        return {
          next: () => (i < 3 ? { value: i++, done: false } : { value: undefined, done: true }),
          return() {
            returned++;
            return { value: undefined, done: true };
          },
        };
      },
    };
    assert.deepEqual(await map(source, (x) => x * 2), [0, 2, 4]);
    assert.equal(returned, 0);
  });
});

describe('tg.createTask validates its options as createTask does', () => {
  test('a string, null or a mistyped option is a TypeError naming it', async () => {
    await TaskGroup.run((tg) => {
      assert.throws(() => tg.createTask(async () => 1, 'worker-1' as never), {
        name: 'TypeError',
        message: /`options`.*worker-1/,
      });
      assert.throws(() => tg.createTask(async () => 1, null as never), {
        name: 'TypeError',
        message: /`options`/,
      });
      assert.throws(() => tg.createTask(async () => 1, { name: 7 as never }), /`options.name`/);
      assert.throws(
        () => tg.createTask(async () => 1, { eager: 'yes' as never }),
        /`options.eager`/,
      );
    });
  });

  test('eager runs the child synchronously up to its first await', async () => {
    const steps: string[] = [];
    const value = await TaskGroup.run(async (tg) => {
      const child = tg.createTask(
        async () => {
          steps.push('child started');
          await sleep(1);
          return 'child';
        },
        { eager: true, name: 'eager-child' },
      );
      steps.push('createTask returned');
      assert.equal(child.name, 'eager-child');
      return child;
    });
    assert.deepEqual(steps, ['child started', 'createTask returned']);
    assert.equal(await value, 'child');
  });

  test('an eager child that fails at once cancels the body at its next checkpoint', async () => {
    let bodyWentOn = false;
    await assert.rejects(
      TaskGroup.run(async (tg) => {
        tg.createTask(
          () => {
            throw new Error('failed at once');
          },
          { eager: true },
        );
        await sleep(1_000);
        bodyWentOn = true;
      }),
      (error: AggregateError) => /failed at once/.test(String(error.errors[0])),
    );
    assert.equal(bodyWentOn, false);
  });

  test('an eager child that finishes at once is counted and does not keep the group open', async () => {
    const result = await TaskGroup.run((tg) => {
      const child = tg.createTask(() => 'sync', { eager: true });
      assert.equal(child.done(), true);
      return child.result();
    });
    assert.equal(result, 'sync');
  });
});

describe('promise-returning functions reject, never throw, when an option getter throws', () => {
  const throwing = (name: string) =>
    Object.defineProperty({}, name, {
      enumerable: true,
      get() {
        throw new Error(`getter of ${name}`);
      },
    });

  test('run', async () => {
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = run(async () => 1, throwing('name'));
    });
    await assert.rejects(promise!, /getter of name/);
  });

  test('gather', async () => {
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = gather([async () => 1], throwing('returnExceptions'));
    });
    await assert.rejects(promise!, /getter of returnExceptions/);
  });

  test('wait', async () => {
    const t = createTask(async () => 1);
    for (const name of ['returnWhen', 'timeout']) {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = wait([t], throwing(name));
      });
      await assert.rejects(promise!, new RegExp(`getter of ${name}`));
    }
  });

  test('map', async () => {
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = map([1], (x) => x, throwing('concurrency'));
    });
    await assert.rejects(promise!, /getter of concurrency/);
  });

  test('an iterable whose iterator throws rejects wait() too', async () => {
    const broken = {
      [Symbol.iterator]() {
        throw new Error('no iterator');
      },
    };
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = wait(broken as never);
    });
    await assert.rejects(promise!, /no iterator/);
    await ticks();
  });
});
