/**
 * A concurrency-limited map: results in input order, first error stops it.
 *
 *     sem = asyncio.Semaphore(2)
 *
 *     async def fetch(n):
 *         async with sem:
 *             await asyncio.sleep(0.1 * (4 - n))
 *             return n * n
 *
 *     print(await asyncio.gather(*(fetch(n) for n in range(1, 5))))
 *
 * `map(items, fn, { concurrency })` is that pattern in one call, and it
 * reads the input lazily and cancels the rest when one call fails.
 */
import { map, run, sleep } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

await run(async () => {
  const squares = await map(
    [1, 2, 3, 4],
    async (n) => {
      await sleep(100 * (4 - n) * SCALE);
      return n * n;
    },
    { concurrency: 2 },
  );
  console.log('squares:', squares.join(', '));

  try {
    await map(
      ['ok', 'broken', 'never started'],
      async (name) => {
        if (name === 'broken') throw new Error(`${name} failed`);
        await sleep(50 * SCALE);
        console.log(`${name} done`);
      },
      { concurrency: 1 },
    );
  } catch (err) {
    console.log(`map stopped: ${(err as Error).message}`);
  }
});
