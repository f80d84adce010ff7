/**
 * Structured concurrency with a task group.
 *
 *     async def main():
 *         async with asyncio.TaskGroup() as tg:
 *             for name, seconds in [("a", 3), ("b", 1), ("c", 2)]:
 *                 tg.create_task(job(name, seconds))
 *         print("all jobs done")
 *
 *         try:
 *             async with asyncio.TaskGroup() as tg:
 *                 tg.create_task(job("slow", 10))
 *                 tg.create_task(fail("bad input"))
 *         except* ValueError as eg:  # the failure cancelled "slow"
 *             print([str(e) for e in eg.exceptions])
 */
import { CancelledError, run, sleep, TaskGroup, TaskGroupError } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

async function job(name: string, seconds: number): Promise<string> {
  try {
    await sleep(seconds * 1000 * SCALE);
    console.log(`job ${name} done`);
    return name;
  } catch (err) {
    if (err instanceof CancelledError) console.log(`job ${name} cancelled`);
    throw err;
  }
}

async function fail(message: string): Promise<never> {
  await sleep(500 * SCALE);
  throw new Error(message);
}

await run(async () => {
  const names = await TaskGroup.run((tg) => {
    const tasks = [
      tg.createTask(() => job('a', 3)),
      tg.createTask(() => job('b', 1)),
      tg.createTask(() => job('c', 2)),
    ];
    return tasks;
  });
  console.log(`all jobs done: ${names.map((t) => t.result()).join(', ')}`);

  try {
    await TaskGroup.run((tg) => {
      tg.createTask(() => job('slow', 10));
      tg.createTask(() => fail('bad input'));
    });
  } catch (err) {
    if (err instanceof TaskGroupError) {
      console.log(`group failed: ${err.errors.map((e) => (e as Error).message).join(', ')}`);
    }
  }
});
