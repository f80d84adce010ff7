/**
 * Producer and workers on a bounded queue, with join() and shutdown().
 *
 *     queue = asyncio.Queue(maxsize=2)
 *
 *     async def worker(name):
 *         async for ... :                 # Python: while True: item = await queue.get()
 *             await asyncio.sleep(0.05)
 *             print(f"{name} handled {item}")
 *             queue.task_done()
 *
 *     async with asyncio.TaskGroup() as tg:
 *         for name in ("w1", "w2"):
 *             tg.create_task(worker(name))
 *         for item in range(1, 6):
 *             await queue.put(item)      # waits while 2 are queued
 *         await queue.join()             # every item handled
 *         print("all handled")
 *         queue.shutdown()               # workers finish their loops
 */
import { Queue, run, sleep, TaskGroup } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

const queue = new Queue<number>(2);
const handled: string[] = [];
let stopped = 0;

async function worker(name: string): Promise<void> {
  for await (const item of queue) {
    await sleep(50 * SCALE);
    handled.push(`${name}:${item}`);
    queue.taskDone();
  }
  stopped++; // the loop ends once the queue is shut down and drained
}

await run(async () => {
  await TaskGroup.run(async (tg) => {
    tg.createTask(() => worker('w1'));
    tg.createTask(() => worker('w2'));
    for (let item = 1; item <= 5; item++) await queue.put(item);
    await queue.join();
    const items = handled.map((h) => Number(h.split(':')[1])).sort();
    console.log(`all handled: ${items.join(', ')}`);
    queue.shutdown();
  });
  console.log(`workers stopped: ${stopped}`);
  console.log(String(queue));
});
