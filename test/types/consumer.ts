// A user's file, type-checked against the built declarations (dist/*.d.ts)
// with skipLibCheck off: the published types must be complete and must not
// leak internals. Checked by test/package.test.ts; not part of the main
// typecheck, which runs before the build.
import {
  Barrier,
  CancelledError,
  Condition,
  createTask,
  type DebugReport,
  Event,
  gather,
  Lock,
  map,
  PriorityQueue,
  Queue,
  run,
  Semaphore,
  type Snapshot,
  sleep,
  snapshot,
  TaskGroup,
  type TaskSnapshot,
  timeout,
  type WaitTarget,
} from 'weft';
import { move, WorkerError, type WorkerPool, workerPool } from 'weft/workers';

export async function main(): Promise<void> {
  const [a, b, c] = await gather(
    () => sleep(1, 1),
    createTask(() => 'two'),
    Promise.resolve(true),
  );
  const sum: number = a;
  const text: string = b;
  const flag: boolean = c;
  void [sum, text, flag];

  const lock = new Lock();
  const held: number = await lock.runExclusive(() => 1);
  const queue = new Queue<string>(10);
  await queue.put('x');
  const item: string = await queue.get();
  for await (const next of queue) void next;
  const jobs = new PriorityQueue<[number, string]>();
  jobs.putNowait([1, 'a']);
  const lengths: number[] = await map(['a'], async (s, _i, signal) => {
    void signal.aborted;
    return s.length;
  });
  const index: number = await new Barrier(1).wait();
  const ok: true = await new Event().wait();
  await new Condition(lock).runExclusive(() => undefined);
  await new Semaphore(2).acquire();
  const value: number = await TaskGroup.run(async (tg) => {
    const t = tg.createTask(() => sleep(1, 5));
    return await t;
  });
  await timeout(10, (scope) => scope.signal.aborted).catch(
    (e: unknown) => e instanceof CancelledError,
  );
  await run(async () => [held, item, lengths, index, ok, value]);

  // weft/workers: names, arguments and results checked against the module.
  const pool: WorkerPool<typeof import('./hash.worker.js')> = workerPool<
    typeof import('./hash.worker.js')
  >(new URL('./hash.worker.js', import.meta.url), { threads: 1, maxQueue: 8 });
  const digest: string = await pool.run('sha256', move(new Uint8Array(8)));
  const stretched: string = await pool.run('stretch', 'seed', 2); // a promise's value
  const bytes: Uint8Array = await pool.run('pattern', 16);
  // @ts-expect-error: not an exported function
  await pool.run('VERSION');
  // @ts-expect-error: the module has no such export
  await pool.run('md5', new Uint8Array(1));
  // @ts-expect-error: wrong argument type
  await pool.run('sha256', 'text');
  // @ts-expect-error: missing argument
  await pool.run('stretch', 'seed');
  // @ts-expect-error: the result is a string
  const wrong: number = await pool.run('sha256', new Uint8Array(1));
  const untyped: unknown = await workerPool(new URL('./hash.worker.js', import.meta.url)).run(
    'x',
    1,
  );
  const { cancelled }: { cancelled: number } = await pool.close({ graceMs: 1_000 });
  await pool.run('sha256', new Uint8Array(1)).catch((e: unknown) => e instanceof WorkerError);
  void [digest, stretched, bytes, wrong, untyped, cancelled];
}

// Debugging: debug options, reports and snapshots are typed.
await run(async () => {}, {
  debug: { slowCallbackMs: 50, logger: (report: DebugReport) => void report.durationMs },
});
// @ts-expect-error slowCallbackMs is a number
await run(async () => {}, { debug: { slowCallbackMs: '50' } });
const taken: Snapshot = snapshot();
const first: TaskSnapshot | undefined = taken.tasks[0];
const wait: WaitTarget | undefined = first?.waitingOn[0];
if (wait?.kind === 'sleep') void (wait.until - taken.takenAt);
if (wait?.kind === 'queue') void wait.op;
new Lock({ name: 'db' });
new Queue<number>(10, { name: 'jobs' });
// @ts-expect-error a name is a string
new Semaphore(1, { name: 1 });
