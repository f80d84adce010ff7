// A user's file, type-checked against the built declarations (dist/*.d.ts)
// with skipLibCheck off: the published types must be complete and must not
// leak internals. Checked by test/package.test.ts; not part of the main
// typecheck, which runs before the build.
import {
  Barrier,
  CancelledError,
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
  sleep,
  TaskGroup,
  timeout,
} from 'weft';

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
}
