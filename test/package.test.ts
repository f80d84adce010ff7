// The published shape: `import ... from 'weft'` resolves to dist/ through the
// package's exports map (npm test builds before it runs the tests).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dropSchema, freshSchema, POSTGRES_URL, sql } from './postgres-helpers.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

test('the package entry exports the public API from dist/', async () => {
  assert.ok(existsSync(`${dist}index.js`), 'dist/ is missing: run `npm run build` first');
  assert.ok(existsSync(`${dist}index.d.ts`));
  // A variable specifier: the typecheck runs before the build has made dist/.
  const specifier = 'weft';
  const weft = (await import(specifier)) as typeof import('../src/index.js');
  const expected = [
    'Barrier',
    'BoundedSemaphore',
    'BrokenBarrierError',
    'Condition',
    'Event',
    'LifoQueue',
    'Lock',
    'PriorityQueue',
    'Queue',
    'QueueEmpty',
    'QueueFull',
    'QueueShutDown',
    'Semaphore',
    'map',
    'naturalOrder',
    'CancelledError',
    'InvalidStateError',
    'Task',
    'TaskGroup',
    'TaskGroupError',
    'Timeout',
    'TimeoutError',
    'allTasks',
    'asCompleted',
    'checkpoint',
    'createTask',
    'currentSignal',
    'currentTask',
    'gather',
    'run',
    'runMain',
    'shield',
    'sleep',
    'snapshot',
    'timeout',
    'timeoutAt',
    'wait',
    'waitFor',
  ];
  assert.deepEqual(Object.keys(weft).sort(), expected.sort());
  assert.equal(await weft.run(() => weft.sleep(1, 'built')), 'built');
  const queue = new weft.Queue<number>(1);
  await queue.put(1);
  assert.equal(await weft.map([queue], (q) => q.get(), { concurrency: 1 }).then((r) => r[0]), 1);
});

test('weft/workers from dist/ runs a plain JavaScript worker module', async () => {
  assert.ok(existsSync(`${dist}workers/entry.js`), 'the worker entry is built');
  const specifier = 'weft/workers';
  const workers = (await import(specifier)) as typeof import('../src/workers/index.js');
  assert.deepEqual(Object.keys(workers).sort(), [
    'WorkerError',
    'WorkerPool',
    'WorkerQueueFullError',
    'move',
    'workerPool',
  ]);
  const pool = workers.workerPool<{ double(n: number): number }>(
    new URL('./fixtures/workers/plain.worker.mjs', import.meta.url),
    { threads: 1 },
  );
  try {
    assert.equal(await pool.run('double', 21), 42);
  } finally {
    await pool.close();
  }
});

test('a user file type-checks against the built declarations, with skipLibCheck off', async () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  const result = await promisify(execFile)(
    process.execPath,
    [tsc, '-p', 'test/types/tsconfig.json'],
    {
      cwd: root,
    },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
  assert.equal(result.stdout.trim(), '', 'tsc reported errors');
});

test('weft/jobs from dist/ runs a job on the SQLite store', async () => {
  const specifier = 'weft/jobs';
  const jobsModule = (await import(specifier)) as typeof import('../src/jobs/index.js');
  assert.deepEqual(Object.keys(jobsModule).sort(), [
    'Job',
    'JobFailedError',
    'JobHandle',
    'JobNotFoundError',
    'JobValidationError',
    'JobWorker',
    'Jobs',
    'LeaseLostError',
    'defineJob',
    'openJobs',
  ]);
  const jobs = await jobsModule.openJobs('sqlite::memory:');
  const double = jobsModule.defineJob('double', (n: number) => n * 2);
  const worker = jobs.worker({ jobs: [double], pollMs: 10 });
  const running = worker.run();
  try {
    assert.equal(await (await jobs.enqueue(double, 21)).result(), 42);
  } finally {
    await worker.stop();
    await running;
    await jobs.close();
  }
});

test('weft/jobs from dist/ migrates and runs a job on PostgreSQL (the .sql migrations ship in dist/)', async () => {
  const specifier = 'weft/jobs';
  const { defineJob, openJobs } = (await import(
    specifier
  )) as typeof import('../src/jobs/index.js');
  const schema = freshSchema('dist');
  const jobs = await openJobs(POSTGRES_URL, { schema });
  const double = defineJob('double', (n: number) => n * 2);
  const worker = jobs.worker({ jobs: [double], pollMs: 10 });
  const running = worker.run();
  try {
    assert.equal(await (await jobs.enqueue(double, 21)).result(), 42);
    const { rows } = await sql(`SELECT count(*)::int AS n FROM "${schema}".weft_migrations`);
    assert.ok(rows[0].n >= 7, 'every migration file was applied');
  } finally {
    await worker.stop();
    await running;
    await jobs.close();
    await dropSchema(schema);
  }
});
