/**
 * A condition variable: consumers wait until there is something to take.
 *
 *     cond = asyncio.Condition()
 *     stock = []
 *
 *     async def consumer(name):
 *         async with cond:
 *             await cond.wait_for(lambda: stock)
 *             print(f"{name} got {stock.pop(0)}")
 *
 *     async def producer():
 *         for item in ("bread", "milk"):
 *             await asyncio.sleep(0.1)
 *             async with cond:
 *                 stock.append(item)
 *                 cond.notify()
 */
import { Condition, gather, run, sleep } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

const cond = new Condition();
const stock: string[] = [];

function consumer(name: string): Promise<void> {
  return cond.runExclusive(async () => {
    await cond.waitFor(() => stock.length > 0); // releases the lock while it waits
    console.log(`${name} got ${stock.shift()}`);
  });
}

async function producer(): Promise<void> {
  for (const item of ['bread', 'milk']) {
    await sleep(100 * SCALE);
    await cond.runExclusive(() => {
      stock.push(item);
      cond.notify(); // wakes the consumer that waited longest
    });
  }
}

await run(async () => {
  await gather(
    () => consumer('ann'),
    () => consumer('bob'),
    producer,
  );
});
