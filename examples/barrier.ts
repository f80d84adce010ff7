/**
 * Workers that meet at a barrier before each phase.
 *
 *     barrier = asyncio.Barrier(3)
 *
 *     async def worker(name, delay):
 *         await asyncio.sleep(delay)
 *         print(f"{name} loaded")
 *         index = await barrier.wait()
 *         if index == 0:
 *             print("everyone loaded")
 *
 *     await asyncio.gather(worker("a", 0.3), worker("b", 0.1), worker("c", 0.2))
 */
import { Barrier, gather, run, sleep } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

const barrier = new Barrier(3);

async function worker(name: string, delay: number): Promise<void> {
  await sleep(delay * 1000 * SCALE);
  console.log(`${name} loaded`);
  const index = await barrier.wait(); // the first to arrive gets 0
  if (index === 0) console.log('everyone loaded');
}

await run(async () => {
  await gather(
    () => worker('a', 0.3),
    () => worker('b', 0.1),
    () => worker('c', 0.2),
  );
  console.log(String(barrier));
});
