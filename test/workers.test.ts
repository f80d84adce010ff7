// weft/workers: real worker threads running test/fixtures/workers/jobs.worker.ts.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import {
  CancelledError,
  createTask,
  currentTask,
  InvalidStateError,
  run,
  sleep,
  TimeoutError,
  timeout,
} from '../src/index.js';
import { Supervisor } from '../src/web/index.js';
import {
  move,
  WorkerError,
  type WorkerPool,
  type WorkerPoolOptions,
  WorkerQueueFullError,
  workerPool,
} from '../src/workers/index.js';
import { spin } from './fixtures/workers/jobs.worker.js';
import { eventually, memoryLogger } from './web-helpers.js';

type Jobs = typeof import('./fixtures/workers/jobs.worker.js');
const JOBS = new URL('./fixtures/workers/jobs.worker.js', import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

const pools: Array<WorkerPool<Jobs>> = [];
/** A pool of the fixture module, closed (at once) when the file's tests end. */
function jobsPool(options: WorkerPoolOptions = {}): WorkerPool<Jobs> {
  const pool = workerPool<Jobs>(JOBS, { threads: 1, ...options });
  pools.push(pool);
  return pool;
}
after(() => Promise.all(pools.map((pool) => pool.close({ graceMs: 0 }))));

describe('workerPool: results', { timeout: 60_000 }, () => {
  test('calls the named export on a worker thread, with several arguments', async () => {
    const pool = jobsPool({ threads: 2 });
    assert.equal(await pool.run('add', 2, 3), 5);
    const text: string = await pool.run('describe', 'weft', ['tasks', 'threads'], { upper: true });
    assert.equal(text, 'WEFT: TASKS, THREADS');
    const [a, b] = await Promise.all([pool.run('spin', 50), pool.run('spin', 50)]);
    assert.notEqual(a, b, 'two jobs at once ran on two threads');
    assert.ok(a !== 0 && b !== 0, 'not on the main thread (thread 0)');
  });

  test('a pool without a module type takes any name and gives unknown', async () => {
    const pool = workerPool(JOBS, { threads: 1 });
    try {
      const result: unknown = await pool.run('add', 1, 1);
      assert.equal(result, 2);
    } finally {
      await pool.close();
    }
  });

  test('move() transfers memory instead of copying it, both ways', async () => {
    const pool = jobsPool();
    const copied = new Uint8Array(1024);
    assert.equal(await pool.run('sizeOf', copied), 1024);
    assert.equal(copied.byteLength, 1024, 'without move() the caller keeps its copy');

    const moved = new Uint8Array([1, 2, 255]);
    const back = await pool.run('increment', move(moved));
    assert.equal(moved.byteLength, 0, 'the memory left this thread');
    assert.deepEqual([...back], [2, 3, 0]);

    const buffer = new ArrayBuffer(4096);
    const inObject = { data: move(buffer) };
    assert.equal(await pool.run('sizeOf', inObject.data), 4096);
    assert.equal(buffer.byteLength, 0);
  });

  test('the queue is FIFO and bounded by maxQueue; a full queue rejects at once', async () => {
    const pool = jobsPool({ maxQueue: 2 });
    const order: number[] = [];
    const jobs = [1, 2, 3].map((n) => pool.run('spin', 20).then(() => order.push(n)));
    assert.equal(pool.running, 1);
    assert.equal(pool.queued, 2);
    assert.equal(String(pool), 'WorkerPool<jobs.worker.js threads=1 running=1 queued=2 open>');
    const full = await pool.run('add', 1, 1).catch((err: unknown) => err);
    assert.ok(full instanceof WorkerQueueFullError);
    assert.equal(full.maxQueue, 2);
    assert.equal(full.threads, 1);
    assert.match(full.message, /queue is full \(maxQueue 2\)/);
    assert.equal(pool.queued, 2, 'nothing was queued');
    await Promise.all(jobs);
    assert.deepEqual(order, [1, 2, 3]);
  });

  test('defaults: one thread less than the cores (at least 1), 16 queued jobs per thread', async () => {
    const pool = workerPool<Jobs>(JOBS);
    try {
      const threads = Math.max(1, availableParallelism() - 1);
      assert.equal(pool.threads, threads);
      assert.equal(pool.maxQueue, 16 * threads);
      assert.equal(pool.name, 'jobs.worker.js');
      assert.equal(pool.state, 'open');
    } finally {
      await pool.close();
    }
  });
});

describe('workerPool: cancellation', { timeout: 60_000 }, () => {
  test('a job cancelled before it started leaves the queue at once and never runs', async () => {
    const pool = jobsPool();
    assert.equal(await pool.run('callCount'), 0);
    const first = createTask(() => pool.run('spin', 300));
    const second = createTask(() => pool.run('add', 1, 2));
    await eventually(() => pool.queued === 1);
    second.cancel();
    await assert.rejects(second, CancelledError);
    assert.equal(first.done(), false, 'rejected while the first job still ran');
    assert.equal(pool.queued, 0);
    await first;
    assert.equal(await pool.run('callCount'), 1, 'only spin ran on the thread');
  });

  test('a running job is stopped with its thread, which is replaced; a job on another thread goes on', async () => {
    let exited = 0;
    const onWorker = (worker: Worker): void => {
      worker.once('exit', () => exited++);
    };
    process.on('worker', onWorker);
    after(() => {
      process.off('worker', onWorker);
    });
    const pool = jobsPool({ threads: 2 });
    const before = new Set(await Promise.all([pool.run('spin', 50), pool.run('spin', 50)]));
    assert.equal(before.size, 2);
    const survivor = pool.run('spin', 400);
    const doomed = createTask(() => pool.run('forever'));
    await sleep(100); // both threads are busy now
    assert.equal(pool.running, 2);
    assert.equal(exited, 0);
    doomed.cancel('no longer needed');
    await assert.rejects(doomed, CancelledError);
    assert.equal(exited, 1, 'the job settled once its thread had exited, not before');
    assert.equal(doomed.cancelled(), true);
    assert.equal(pool.running, 1, 'the stopped job left the pool once its thread had exited');
    const survivorThread = await survivor;
    assert.ok(before.has(survivorThread), 'the other job finished on its own thread');
    const afterwards = await Promise.all([pool.run('spin', 50), pool.run('spin', 50)]);
    assert.ok(afterwards.includes(survivorThread));
    const fresh = afterwards.find((id) => id !== survivorThread)!;
    assert.ok(!before.has(fresh), 'the terminated thread was replaced by a new one');
  });

  test('timeout() around a job: TimeoutError, and the pool works on', async () => {
    const pool = jobsPool();
    await run(async () => {
      await assert.rejects(
        timeout(50, () => pool.run('forever')),
        (err: unknown) => err instanceof TimeoutError && err.ms === 50,
      );
      assert.equal(pool.running, 0);
      assert.equal(await pool.run('add', 20, 22), 42);
    });
  });

  test('a cancellation pending when run() is called rejects at once and queues nothing', async () => {
    const pool = jobsPool();
    const task = createTask(async () => {
      currentTask()!.cancel();
      return pool.run('add', 1, 1);
    });
    await assert.rejects(task, CancelledError);
    assert.equal(pool.running + pool.queued, 0);
  });

  test('outside any task a job simply runs', async () => {
    const pool = jobsPool();
    assert.equal(await pool.run('spin', 10).then((id) => id > 0), true);
  });
});

describe('workerPool: failures', { timeout: 60_000 }, () => {
  test("a throwing function rejects with WorkerError carrying the worker's stack and error", async () => {
    const pool = jobsPool();
    const err = await pool.run('fail', 'out of range').catch((e: unknown) => e);
    assert.ok(err instanceof WorkerError);
    assert.equal(err.name, 'WorkerError');
    assert.equal(err.functionName, 'fail');
    assert.equal(err.message, "worker function 'fail' failed: out of range");
    assert.match(
      err.workerStack!,
      /^RangeError: out of range\n\s+at fail \(.*jobs\.worker\.ts:\d+/,
    );
    const cause = err.cause as RangeError & { code: string; limit: number };
    assert.ok(cause instanceof RangeError, 'the class of a built-in error survives');
    assert.equal(cause.code, 'E_FIXTURE');
    assert.equal(cause.limit, 10);
    assert.equal((cause.cause as Error).message, 'the root cause');
    assert.match(err.stack!, /at fail \(.*jobs\.worker\.ts/, 'the stack shows the worker frames');
    assert.match(err.stack!, /workers\.test\.ts/, 'and the frames of the run() call');
    assert.match(inspect(err), /\[cause\]: RangeError: out of range/);
    const thrown = await pool.run('throwString').catch((e: unknown) => e);
    assert.ok(thrown instanceof WorkerError);
    assert.equal(thrown.cause, 'a plain string');
    assert.equal(await pool.run('add', 1, 2), 3, 'the pool goes on');
  });

  test('a thread that dies under its job (async throw, exit) rejects it; the pool goes on', async () => {
    const pool = jobsPool({ threads: 2 });
    const bystander = pool.run('spin', 300);
    const thrown = await pool.run('throwLater').catch((e: unknown) => e);
    assert.ok(thrown instanceof WorkerError);
    assert.match(thrown.message, /thrown from a timer/);
    assert.match(thrown.workerStack!, /jobs\.worker\.ts/);
    const exited = await pool.run('exit', 3).catch((e: unknown) => e);
    assert.ok(exited instanceof WorkerError);
    assert.equal(exited.exitCode, 3);
    assert.equal(exited.workerStack, undefined);
    assert.ok((await bystander) > 0, 'the job on the other thread was not affected');
    assert.deepEqual(await Promise.all([pool.run('add', 1, 1), pool.run('add', 2, 2)]), [2, 4]);
  });

  test('a worker failing between jobs is logged, and replaced', async () => {
    const logger = memoryLogger();
    const pool = jobsPool({ logger });
    assert.equal(await pool.run('throwAfterReturn'), 'returned');
    await eventually(() => logger.errors.length === 1);
    assert.match(logger.errors[0]!, /WorkerPool<jobs\.worker\.js .*a worker failed while no job/);
    assert.equal(await pool.run('add', 1, 1), 2);
  });

  test('unknown names, non-functions and arguments that cannot be cloned', async () => {
    const pool = jobsPool();
    const missing = await pool.run('nope' as never).catch((e: unknown) => e);
    assert.ok(missing instanceof WorkerError);
    assert.ok(missing.cause instanceof TypeError);
    assert.match(missing.message, /has no exported function named 'nope'/);
    const constant = await pool.run('VERSION' as never).catch((e: unknown) => e);
    assert.match((constant as Error).message, /no exported function named 'VERSION'/);
    await assert.rejects(pool.run('add', (() => 1) as never, 2), {
      name: 'TypeError',
      message: /Expected the arguments of jobs\.worker\.js 'add' to be structured-cloneable/,
    });
    const unclonable = await pool.run('unclonable').catch((e: unknown) => e);
    assert.ok(unclonable instanceof WorkerError);
    assert.equal(await pool.run('add', 1, 1), 2);
  });
});

describe('workerPool: close and shutdown', { timeout: 60_000 }, () => {
  test('close() drains running and queued jobs, then refuses new work', async () => {
    const pool = workerPool<Jobs>(JOBS, { threads: 1 });
    const jobs = [pool.run('spin', 30), pool.run('spin', 30), pool.run('add', 1, 2)];
    const closing = pool.close();
    assert.equal(pool.close(), closing, 'a second call returns the same promise');
    assert.equal(pool.state, 'closing');
    await assert.rejects(
      pool.run('add', 1, 1),
      (err: unknown) => err instanceof InvalidStateError && err.state === 'closing',
    );
    assert.deepEqual(await closing, { cancelled: 0, cancelledNames: [] });
    const results = await Promise.all(jobs);
    assert.equal(results[2], 3);
    assert.equal(pool.state, 'closed');
    assert.equal(String(pool), 'WorkerPool<jobs.worker.js threads=1 running=0 queued=0 closed>');
    await assert.rejects(pool.run('add', 1, 1), /is closed: it takes no new jobs/);
  });

  test('close({ graceMs }) cancels what is left after the grace period', async () => {
    const pool = workerPool<Jobs>(JOBS, { threads: 1 });
    const stuck = assert.rejects(pool.run('forever'), CancelledError);
    const queued = assert.rejects(pool.run('add', 1, 1), CancelledError);
    const result = await pool.close({ graceMs: 30 });
    assert.deepEqual(result, { cancelled: 2, cancelledNames: ['add', 'forever'] });
    await stuck;
    await queued;
    assert.equal(pool.state, 'closed');
  });

  test('an idle pool does not keep the process alive', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/workers/no-close.ts'],
      { cwd: root },
    );
    assert.equal(stdout, '42\n');
  });

  test('await using closes the pool', async () => {
    let seen: WorkerPool<Jobs> | undefined;
    {
      await using pool = workerPool<Jobs>(JOBS, { threads: 1 });
      seen = pool;
      assert.equal(await pool.run('add', 2, 2), 4);
    }
    assert.equal(seen.state, 'closed');
  });

  test("the Supervisor's shutdown closes the pool after its tasks", async () => {
    const pool = workerPool<Jobs>(JOBS, { threads: 1 });
    const supervisor = new Supervisor({ logger: memoryLogger() });
    supervisor.onShutdown(({ graceMs }) => pool.close({ graceMs }));
    const job = supervisor.spawn(() => pool.run('spin', 50), { name: 'spin' });
    const result = await supervisor.shutdown({ graceMs: 5_000 });
    assert.deepEqual(result, { cancelled: 0, cancelledNames: [] });
    assert.ok((await job) > 0, 'the task finished its job');
    assert.equal(pool.state, 'closed');
  });

  test('past the grace period the task is cancelled (its thread stopped), and so is work outside tasks', async () => {
    const pool = workerPool<Jobs>(JOBS, { threads: 2 });
    const supervisor = new Supervisor({ logger: memoryLogger() });
    supervisor.onShutdown(({ graceMs }) => pool.close({ graceMs }));
    const task = supervisor.spawn(() => pool.run('forever'), { name: 'endless task' });
    // Started outside any task: only closing the pool stops it.
    const loose = assert.rejects(pool.run('forever'), CancelledError);
    await sleep(50);
    const result = await supervisor.shutdown({ graceMs: 50 });
    await assert.rejects(task, CancelledError);
    await loose;
    assert.deepEqual(result, { cancelled: 2, cancelledNames: ['endless task', 'forever'] });
    assert.equal(pool.state, 'closed');
  });
});

describe('workerPool: the event loop stays free', { timeout: 60_000 }, () => {
  test('blocking work on the pool barely delays the loop; the same work on the main thread blocks it', async (t) => {
    const pool = jobsPool();
    await pool.run('spin', 1); // the thread is up and has loaded the module
    const WORK_MS = 400;

    const onPool = monitorEventLoopDelay({ resolution: 10 });
    onPool.enable();
    await pool.run('spin', WORK_MS);
    await sleep(20);
    onPool.disable();

    const onMain = monitorEventLoopDelay({ resolution: 10 });
    onMain.enable();
    await sleep(20);
    spin(WORK_MS);
    await sleep(20);
    onMain.disable();

    const poolMs = onPool.max / 1e6;
    const mainMs = onMain.max / 1e6;
    t.diagnostic(`max event-loop delay: ${poolMs} ms on the pool, ${mainMs} ms on the main thread`);
    assert.ok(mainMs >= WORK_MS / 2, `the main thread blocked the loop: ${mainMs} ms`);
    assert.ok(poolMs < mainMs / 2, `pool ${poolMs} ms vs main thread ${mainMs} ms`);
    assert.ok(poolMs < 250, `the loop kept turning while the pool worked: ${poolMs} ms`);
  });
});

describe('workerPool: bad input', () => {
  test('messages name the argument and the value', async () => {
    assert.throws(() => workerPool('jobs.worker.js'), {
      name: 'TypeError',
      message:
        "Expected `file` to be a file: URL or an absolute path of the worker module, got 'jobs.worker.js'",
    });
    assert.throws(() => workerPool(new URL('https://example.com/x.js')), TypeError);
    assert.throws(() => workerPool(JOBS, { threads: 0 }), {
      name: 'RangeError',
      message: 'Expected `threads` to be an integer >= 1, got 0',
    });
    assert.throws(() => workerPool(JOBS, { threads: '2' as never }), TypeError);
    assert.throws(() => workerPool(JOBS, { maxQueue: -1 }), {
      name: 'RangeError',
      message: 'Expected `maxQueue` to be an integer >= 0 or Infinity, got -1',
    });
    assert.throws(() => workerPool(JOBS, { name: 5 as never }), /Expected `name` to be a string/);
    assert.throws(() => workerPool(JOBS, { logger: {} as never }), /`logger` to have an error\(\)/);
    assert.throws(() => workerPool(JOBS, 'fast' as never), /`options` to be an options object/);
    const pool = jobsPool();
    await assert.rejects(pool.run(5 as never), {
      name: 'TypeError',
      message: 'Expected `name` to be the name of a function the worker module exports, got 5',
    });
    await assert.rejects(pool.close({ graceMs: -1 }), {
      name: 'RangeError',
      message: 'Expected `graceMs` to be a number >= 0, got -1',
    });
    assert.throws(() => move('bytes' as never), {
      name: 'TypeError',
      message:
        "Expected `value` to be an ArrayBuffer, a typed array, a DataView or a MessagePort, got 'bytes'",
    });
    assert.throws(() => move(new Uint8Array(new SharedArrayBuffer(8))), /shared already/);
  });
});

describe('workerPool: issue 13', { timeout: 60_000 }, () => {
  test('resourceLimits reach the threads; a job that outgrows them fails with WorkerError, the pool goes on', async () => {
    const pool = jobsPool({ resourceLimits: { maxOldGenerationSizeMb: 24, stackSizeMb: 2 } });
    const limits = await pool.run('limits');
    assert.equal(limits.maxOldGenerationSizeMb, 24);
    assert.equal(limits.stackSizeMb, 2);
    await assert.rejects(pool.run('hog', 4_096), WorkerError);
    assert.equal(await pool.run('add', 1, 2), 3, 'the thread was replaced');
  });

  test('resourceLimits: bad values name the limit and the value', () => {
    assert.throws(() => workerPool(JOBS, { resourceLimits: 64 as never }), {
      name: 'TypeError',
      message: 'Expected `resourceLimits` to be an object of limits in MB, got 64',
    });
    assert.throws(() => workerPool(JOBS, { resourceLimits: { maxOldGenerationSizeMb: 0 } }), {
      name: 'RangeError',
      message: 'Expected `resourceLimits.maxOldGenerationSizeMb` to be a finite number > 0, got 0',
    });
    assert.throws(() => workerPool(JOBS, { resourceLimits: { stackSizeMb: '4' as never } }), {
      name: 'TypeError',
      message: "Expected `resourceLimits.stackSizeMb` to be a number of MB, got '4'",
    });
    assert.throws(() => workerPool(JOBS, { resourceLimits: { heapMb: 4 } as never }), {
      name: 'TypeError',
      message:
        "Expected `resourceLimits` to have only maxOldGenerationSizeMb, maxYoungGenerationSizeMb, codeRangeSizeMb, stackSizeMb, got 'heapMb'",
    });
  });

  test('close({ graceMs }) above 2^31-1 ms is not cut to 1 ms', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const pool = workerPool<Jobs>(JOBS, { threads: 1 });
      const job = pool.run('spin', 100);
      const result = await pool.close({ graceMs: 2 ** 31 });
      assert.deepEqual(result, { cancelled: 0, cancelledNames: [] });
      assert.equal(typeof (await job), 'number');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('close() and run() reject, never throw, when reading their arguments throws', async () => {
    const pool = jobsPool();
    const options = {
      get graceMs(): number {
        throw new Error('getter broke');
      },
    };
    const arg = {
      get data(): number {
        throw new Error('argument getter broke');
      },
    };
    let closing: Promise<unknown> | undefined;
    let running: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      running = pool.run('sizeOf', arg as never);
      closing = pool.close(options);
    });
    await assert.rejects(running!, { message: 'argument getter broke' });
    await assert.rejects(closing!, { message: 'getter broke' });
    assert.equal(pool.state, 'open', 'nothing was started');
    assert.equal(await pool.run('add', 2, 2), 4);
  });
});

describe('weft/workers stays apart', () => {
  test('neither weft nor weft/web imports piscina or weft/workers', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, spec] of source.matchAll(
        /^(?:import|export)[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm,
      )) {
        if (spec === undefined) continue;
        assert.notEqual(spec, 'piscina', `${relative(root, file)} imports piscina`);
        if (!spec.startsWith('.')) continue;
        const target = join(dirname(file), spec.replace(/\.js$/, '.ts'));
        assert.ok(!target.includes('/workers/'), `${relative(root, file)} imports ${spec}`);
        visit(target);
      }
    };
    visit(join(root, 'src/index.ts'));
    visit(join(root, 'src/web/index.ts'));
    assert.ok(seen.size > 10, 'the walk followed the imports');
  });
});

describe('the demo: /hash', { timeout: 60_000 }, () => {
  test('hashes on a worker (or on the main thread), refuses bad input, and SIGTERM closes the pool', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', GRACE_MS: '5000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await eventually(() => /listening on (http:\/\/\S+)/.test(output), 15_000);
      const base = /listening on (http:\/\/\S+)/.exec(output)![1]!;
      const expected = createHash('sha256')
        .update(new Uint8Array(8 * 2 ** 20).fill(8))
        .digest('hex');
      const onWorker = (await (await fetch(`${base}/hash?mb=8`)).json()) as Record<string, unknown>;
      assert.equal(onWorker.sha256, expected);
      assert.equal(onWorker.on, 'worker');
      assert.match(String(onWorker.pool), /^WorkerPool<hash threads=\d+ running=0 queued=0 open>$/);
      const onMain = (await (await fetch(`${base}/hash?mb=8&on=main`)).json()) as {
        sha256: string;
      };
      assert.equal(onMain.sha256, expected);
      assert.equal((await fetch(`${base}/hash?mb=0`)).status, 400);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
      assert.doesNotMatch(output, /shutdown hook failed/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('examples/hash.ts', { timeout: 60_000 }, () => {
  test('hashes 64 MB on a worker while the loop ticks, then times a job out', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'examples/hash.ts'],
      { cwd: root, env: { ...process.env, WEFT_EXAMPLE_SCALE: '0.25' } },
    );
    assert.deepEqual(stdout.trimEnd().split('\n'), [
      'sha256 of 64 MB: 08fc7f5f33ae0938...',
      'the event loop kept ticking meanwhile: yes',
      'bytes left here after move(): 0',
      'a billion rounds: TimeoutError',
      'the pool goes on: 6bbcaffe615c09f4...',
      'WorkerPool<hash.worker.js threads=1 running=0 queued=0 closed>',
    ]);
  });
});
