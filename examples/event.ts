/**
 * Tasks waiting for a start signal.
 *
 *     ready = asyncio.Event()
 *
 *     async def runner(name):
 *         await ready.wait()
 *         print(f"{name} runs")
 *
 *     async with asyncio.TaskGroup() as tg:
 *         for name in ("ann", "bob"):
 *             tg.create_task(runner(name))
 *         await asyncio.sleep(0.1)
 *         print("ready, set, go")
 *         ready.set()
 */
import { Event, run, sleep, TaskGroup } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

const ready = new Event();

async function runner(name: string): Promise<void> {
  await ready.wait();
  console.log(`${name} runs`);
}

await run(async () => {
  await TaskGroup.run(async (tg) => {
    for (const name of ['ann', 'bob']) tg.createTask(() => runner(name));
    await sleep(100 * SCALE);
    console.log(`${ready}: ready, set, go`);
    ready.set();
  });
});
