/**
 * At most two downloads at a time, with a semaphore.
 *
 *     slots = asyncio.Semaphore(2)
 *
 *     async def download(n):
 *         async with slots:
 *             print(f"start {n}")
 *             await asyncio.sleep(0.1)
 *             print(f"end {n}")
 *
 *     await asyncio.gather(*(download(n) for n in range(1, 5)))
 *
 *     pool = asyncio.BoundedSemaphore(1)   # catches a release too many
 */
import { BoundedSemaphore, gather, run, Semaphore, sleep } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

const slots = new Semaphore(2);

function download(n: number): Promise<void> {
  return slots.runExclusive(async () => {
    console.log(`start ${n}`);
    await sleep(100 * SCALE);
    console.log(`end ${n}`);
  });
}

await run(async () => {
  await gather(...[1, 2, 3, 4].map((n) => () => download(n)));

  const pool = new BoundedSemaphore(1);
  await pool.acquire();
  pool.release();
  try {
    pool.release(); // one release too many
  } catch (err) {
    console.log(`${(err as Error).name}: ${pool} released too many times`);
  }
});
