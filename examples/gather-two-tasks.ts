/**
 * Two tasks run concurrently with gather.
 *
 * The asyncio program:
 *
 *     async def task(n, seconds):
 *         print(f"Task {n} started")
 *         await asyncio.sleep(seconds)
 *         print(f"Task {n} completed")
 *
 *     async def main():
 *         await asyncio.gather(task(1, 2), task(2, 1))
 *
 *     asyncio.run(main())
 *
 * Total time is about 2 s, not 3 s: the sleeps overlap.
 * WEFT_EXAMPLE_SCALE=0.01 runs it 100 times faster.
 */
import { gather, run, sleep } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

async function task(n: number, seconds: number): Promise<void> {
  console.log(`Task ${n} started`);
  await sleep(seconds * 1000 * SCALE);
  console.log(`Task ${n} completed`);
}

await run(async () => {
  const start = performance.now();
  await gather(
    () => task(1, 2),
    () => task(2, 1),
  );
  const seconds = (performance.now() - start) / 1000 / SCALE;
  console.log(`Total time: ~${Math.round(seconds)} s`);
});
