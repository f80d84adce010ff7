/**
 * A coroutine that returns a value.
 *
 *     async def fetch_data():
 *         print("Fetching data...")
 *         await asyncio.sleep(2)
 *         return "Data"
 *
 *     async def main():
 *         result = await fetch_data()
 *         print(f"Received: {result}")
 *
 *     asyncio.run(main())
 */
import { run, sleep } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

async function fetchData(): Promise<string> {
  console.log('Fetching data...');
  await sleep(2000 * SCALE);
  return 'Data';
}

await run(async () => {
  const result = await fetchData();
  console.log(`Received: ${result}`);
});
