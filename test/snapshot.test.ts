import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  asCompleted,
  Barrier,
  BoundedSemaphore,
  Condition,
  createTask,
  Event,
  gather,
  Lock,
  map,
  PriorityQueue,
  Queue,
  run,
  Semaphore,
  type Snapshot,
  shield,
  sleep,
  snapshot,
  TaskGroup,
  type TaskSnapshot,
  timeout,
  wait,
} from '../src/index.js';

function byName(snap: Snapshot): Map<string, TaskSnapshot> {
  return new Map(snap.tasks.map((t) => [t.name, t]));
}

/** Let every task created so far start and reach its first wait. */
const settle = () => sleep(5);

describe('snapshot()', () => {
  test('describes the process and every pending task, by id, as plain JSON data', async () => {
    await run(async () => {
      const a = createTask(() => sleep(1_000), { name: 'a' });
      await settle();
      const snap = snapshot();
      assert.equal(snap.pid, process.pid);
      assert.equal(snap.node, process.version);
      assert.match(snap.weft, /^\d+\.\d+\.\d+/);
      assert.ok(Math.abs(snap.takenAt - Date.now()) < 1_000);
      assert.equal(snap.debug, false);
      assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
      const ids = snap.tasks.map((t) => t.id);
      assert.deepEqual(
        ids,
        [...ids].sort((x, y) => x - y),
      );
      assert.ok(ids.includes(a.id));
      a.cancel();
    });
  });

  test('states: running (the caller), scheduled (not started), waiting', async () => {
    await run(async () => {
      const waiting = createTask(() => sleep(1_000), { name: 'waiting' });
      await settle();
      const scheduled = createTask(() => sleep(1_000), { name: 'scheduled' });
      const tasks = byName(snapshot());
      assert.equal(tasks.get('main')?.state, 'running');
      assert.deepEqual(tasks.get('main')?.waitingOn, []);
      assert.equal(tasks.get('scheduled')?.state, 'scheduled');
      assert.equal(tasks.get('waiting')?.state, 'waiting');
      waiting.cancel();
      scheduled.cancel();
    });
  });

  test('parent, age and cancelling', async () => {
    await run(async () => {
      const outer = createTask(
        async () => {
          createTask(() => sleep(1_000), { name: 'inner' });
          try {
            await sleep(1_000);
          } finally {
            await sleep(50); // cleanup after the cancellation: still pending, cancelling
          }
        },
        { name: 'outer' },
      );
      await sleep(250);
      outer.cancel();
      await sleep(5);
      const tasks = byName(snapshot());
      const main = tasks.get('main')!;
      assert.equal(main.parent, null);
      assert.equal(tasks.get('outer')?.parent, main.id);
      assert.equal(tasks.get('inner')?.parent, outer.id);
      assert.equal(tasks.get('outer')?.cancelling, 1);
      const age = tasks.get('outer')!.ageMs;
      assert.ok(age >= 100 && age < 10_000, `ageMs ${age}`);
      for (const t of tasks.values()) if (t.name === 'inner') assert.equal(t.cancelling, 0);
      await outer.then(
        () => {},
        () => {},
      );
      for (const t of snapshot().tasks) if (t.name === 'inner') assert.ok(t);
    });
  });

  test('what each task waits on', async () => {
    await run(async () => {
      const lock = new Lock({ name: 'db' });
      await lock.acquire();
      const event = new Event({ name: 'ready' });
      const cond = new Condition(undefined, { name: 'cv' });
      const sem = new Semaphore(0, { name: 'slots' });
      const bsem = new BoundedSemaphore(1);
      await bsem.acquire();
      const barrier = new Barrier(3, { name: 'start' });
      const empty = new Queue<number>(0, { name: 'jobs' });
      const full = new Queue<number>(1, { name: 'out' });
      await full.put(1);
      const unfinished = new PriorityQueue<number>(0, undefined, { name: 'prio' });
      await unfinished.put(1);
      const sleeper = createTask(() => sleep(1_000), { name: 'sleeper' });
      const tasks = [
        sleeper,
        createTask(() => lock.acquire(), { name: 'lock' }),
        createTask(() => event.wait(), { name: 'event' }),
        createTask(
          async () => {
            await cond.acquire();
            await cond.wait();
          },
          { name: 'condition' },
        ),
        createTask(() => sem.acquire(), { name: 'semaphore' }),
        createTask(() => bsem.acquire(), { name: 'bounded' }),
        createTask(() => barrier.wait(), { name: 'barrier' }),
        createTask(() => empty.get(), { name: 'get' }),
        createTask(() => full.put(2), { name: 'put' }),
        createTask(() => unfinished.join(), { name: 'join' }),
        createTask(() => sleeper, { name: 'awaits' }),
        createTask(() => shield(sleeper), { name: 'shield' }),
        createTask(() => gather(sleeper, sleep(1_000)), { name: 'gather' }),
        createTask(() => wait([sleeper]), { name: 'wait' }),
        createTask(
          async () => {
            for await (const t of asCompleted([sleeper])) return t;
          },
          { name: 'asCompleted' },
        ),
        createTask(() => map([1, 2], () => sleep(1_000)), { name: 'map' }),
        createTask(() => timeout(5_000, () => sleep(1_000)), { name: 'timeout' }),
        createTask(new Promise<never>(() => {}), { name: 'foreign' }),
        // A plain promise (ended by the task's signal, which weft cannot see).
        createTask((signal) => new Promise((r) => signal.addEventListener('abort', r)), {
          name: 'opaque',
        }),
      ];
      await settle();
      const snap = snapshot();
      const t = byName(snap);
      const on = (name: string) => {
        const info = t.get(name);
        assert.ok(info, `no task ${name}`);
        assert.equal(info.state, 'waiting', name);
        return info.waitingOn;
      };
      const [sleep0] = on('sleeper');
      assert.equal(sleep0?.kind, 'sleep');
      if (sleep0?.kind === 'sleep') {
        assert.equal(sleep0.ms, 1_000);
        const left = sleep0.until - snap.takenAt;
        assert.ok(left > 800 && left <= 1_100, `until is ${left} ms away`);
      }
      assert.deepEqual(on('lock'), [
        { kind: 'lock', name: 'db', detail: 'Lock<locked waiters=1>' },
      ]);
      assert.deepEqual(on('event'), [
        { kind: 'event', name: 'ready', detail: 'Event<unset waiters=1>' },
      ]);
      assert.equal(on('condition')[0]?.kind, 'condition');
      assert.deepEqual(on('semaphore'), [
        { kind: 'semaphore', name: 'slots', detail: 'Semaphore<value=0 waiters=1>' },
      ]);
      assert.deepEqual(on('bounded'), [
        { kind: 'semaphore', name: null, detail: 'BoundedSemaphore<value=0 waiters=1>' },
      ]);
      assert.deepEqual(on('barrier'), [
        { kind: 'barrier', name: 'start', detail: 'Barrier<filling waiting=1/3>' },
      ]);
      assert.deepEqual(
        on('get').map((w) => w.kind === 'queue' && [w.op, w.name]),
        [['get', 'jobs']],
      );
      assert.deepEqual(
        on('put').map((w) => w.kind === 'queue' && [w.op, w.name]),
        [['put', 'out']],
      );
      assert.deepEqual(
        on('join').map((w) => w.kind === 'queue' && [w.op, w.name]),
        [['join', 'prio']],
      );
      assert.deepEqual(on('awaits'), [{ kind: 'task', id: sleeper.id, name: 'sleeper' }]);
      assert.deepEqual(on('shield'), [{ kind: 'task', id: sleeper.id, name: 'sleeper' }]);
      // The sleep(1_000) promise handed to gather was started in that task, and is waited on too.
      const g = on('gather').find((w) => w.kind === 'tasks');
      assert.ok(g?.kind === 'tasks' && g.via === 'gather' && g.ids.length === 2);
      assert.ok(g.ids.includes(sleeper.id));
      assert.deepEqual(on('wait'), [{ kind: 'tasks', via: 'wait', ids: [sleeper.id] }]);
      assert.deepEqual(on('asCompleted'), [
        { kind: 'tasks', via: 'asCompleted', ids: [sleeper.id] },
      ]);
      const m = on('map')[0];
      assert.ok(m?.kind === 'tasks' && m.via === 'map' && m.ids.length === 2);
      // Inside a timeout scope: the innermost wait is found.
      assert.equal(on('timeout')[0]?.kind, 'sleep');
      assert.deepEqual(on('foreign'), [{ kind: 'promise', detail: 'the promise this task wraps' }]);
      assert.equal(on('opaque')[0]?.kind, 'promise');
      for (const task of tasks) task.cancel();
      lock.release();
      bsem.release();
    });
  });

  test('task groups: their members, owner and state', async () => {
    await run(async () => {
      let members: number[] = [];
      const owner = createTask(
        () =>
          TaskGroup.run((tg) => {
            members = [
              tg.createTask(() => sleep(1_000), { name: 'm1' }).id,
              tg.createTask(() => sleep(1_000), { name: 'm2' }).id,
            ];
          }),
        { name: 'owner' },
      );
      await settle();
      const snap = snapshot();
      assert.equal(snap.groups.length, 1);
      const [group] = snap.groups;
      assert.equal(group!.owner, owner.id);
      assert.equal(group!.state, 'open');
      assert.deepEqual(group!.tasks, members);
      const t = byName(snap);
      assert.equal(t.get('m1')?.group, group!.id);
      assert.equal(t.get('m2')?.group, group!.id);
      assert.equal(t.get('owner')?.group, null);
      assert.deepEqual(t.get('owner')?.waitingOn, [{ kind: 'group', id: group!.id }]);
      owner.cancel();
      await owner.then(
        () => {},
        () => {},
      );
      assert.deepEqual(snapshot().groups, []);
    });
  });

  test('debug mode adds the creation location and stack', async () => {
    await run(
      async () => {
        const t = createTask(() => sleep(1_000), { name: 'located' });
        await settle();
        const snap = snapshot();
        const info = byName(snap).get('located')!;
        assert.equal(snap.debug, true);
        assert.match(info.location!, /snapshot\.test\.ts:\d+:\d+$/);
        assert.match(info.stack!, /snapshot\.test\.ts/);
        t.cancel();
      },
      { debug: true },
    );
  });

  test('the inspector hook on globalThis serves the same data', async () => {
    const hook = (globalThis as Record<symbol, unknown>)[Symbol.for('weft.inspect')] as {
      version: number;
      snapshot(): Snapshot;
    };
    assert.equal(hook.version, 1);
    await run(async () => {
      const t = createTask(() => sleep(1_000), { name: 'seen-by-hook' });
      await settle();
      assert.ok(hook.snapshot().tasks.some((s) => s.name === 'seen-by-hook'));
      t.cancel();
    });
  });

  test('a slice: limit takes the smallest ids, afterId the next ones, total counts them all', async () => {
    await run(async () => {
      const done = new Event();
      const tasks = Array.from({ length: 30 }, (_, i) =>
        createTask(() => done.wait(), { name: `s${i}` }),
      );
      await settle();
      const whole = snapshot();
      assert.equal(whole.total, whole.tasks.length);
      const ids = whole.tasks.map((t) => t.id);
      const first = snapshot({ limit: 10 });
      assert.equal(first.total, whole.total);
      assert.deepEqual(
        first.tasks.map((t) => t.id),
        ids.slice(0, 10),
      );
      // Slice after slice, the same tasks as one snapshot.
      const read: number[] = [];
      let afterId = 0;
      for (;;) {
        const slice = snapshot({ limit: 7, afterId });
        assert.ok(slice.tasks.length <= 7);
        assert.equal(slice.total, whole.total);
        for (const t of slice.tasks) read.push(t.id);
        if (slice.tasks.length < 7) break;
        afterId = slice.tasks.at(-1)!.id;
      }
      assert.deepEqual(read, ids);
      // Ages are read again, and may cross a tenth of a second between two snapshots.
      const ageless = (tasks: Snapshot['tasks']) => tasks.map(({ ageMs: _, ...rest }) => rest);
      assert.deepEqual(
        ageless(snapshot({ limit: Number.POSITIVE_INFINITY }).tasks),
        ageless(whole.tasks),
      );
      assert.deepEqual(snapshot({ afterId: ids.at(-1)! }).tasks, []);
      const hook = (globalThis as Record<symbol, unknown>)[Symbol.for('weft.inspect')] as {
        snapshot(options?: { limit?: number }): Snapshot;
      };
      assert.equal(hook.snapshot({ limit: 3 }).tasks.length, 3);
      done.set();
      await gather(tasks);
    });
  });

  test('a group owned by an earlier slice still lists its tasks', async () => {
    await run(async () => {
      const done = new Event();
      await TaskGroup.run(async (tg) => {
        for (let i = 0; i < 5; i++) tg.createTask(() => done.wait(), { name: `m${i}` });
        await settle();
        const first = snapshot({ limit: 1 });
        const group = first.groups[0]!;
        assert.equal(group.owner, first.tasks[0]!.id);
        assert.equal(group.tasks.length, 5);
        const rest = snapshot({ afterId: first.tasks[0]!.id });
        assert.ok(group.tasks.every((id) => rest.tasks.some((t) => t.id === id)));
        done.set();
      });
    });
  });

  test('snapshot options are validated', () => {
    for (const [options, error, message] of [
      [null, 'TypeError', /`options` to be an object, got null/],
      [{ limit: '5' }, 'TypeError', /`options.limit` to be a number, got string/],
      [{ limit: 0 }, 'RangeError', /`options.limit` to be a positive integer or Infinity, got 0/],
      [{ limit: 2.5 }, 'RangeError', /got 2.5/],
      [{ afterId: -1 }, 'RangeError', /`options.afterId` to be an integer >= 0, got -1/],
      [{ afterId: Number.NaN }, 'RangeError', /got NaN/],
      [{ afterId: 1n }, 'TypeError', /`options.afterId` to be a number, got bigint/],
    ] as const) {
      assert.throws(() => snapshot(options as never), { name: error, message });
    }
  });

  test('primitive names are validated', () => {
    assert.throws(() => new Lock({ name: 3 as never }), {
      name: 'TypeError',
      message: 'Expected `options.name` to be a string, got 3',
    });
    assert.throws(() => new Queue(0, 'jobs' as never), {
      name: 'TypeError',
      message: /`options` to be an options object, got 'jobs'/,
    });
    assert.equal(String(new Semaphore(2, { name: 'pool' })), "Semaphore<'pool' value=2>");
    assert.equal(new Event({ name: 'e' }).name, 'e');
    assert.equal(new Lock().name, undefined);
  });
});
