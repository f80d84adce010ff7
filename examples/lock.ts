/**
 * A lock around a read-modify-write that awaits in the middle.
 *
 *     lock = asyncio.Lock()
 *
 *     async def withdraw(name, amount):
 *         global balance
 *         async with lock:
 *             seen = balance
 *             await asyncio.sleep(0.1)      # another task runs here
 *             balance = seen - amount
 *             print(f"{name} took {amount}, balance {balance}")
 *
 *     await asyncio.gather(withdraw("rent", 700), withdraw("food", 200))
 */
import { gather, Lock, run, sleep } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

const lock = new Lock();
let balance = 1000;

async function withdraw(name: string, amount: number): Promise<void> {
  await lock.runExclusive(async () => {
    const seen = balance;
    await sleep(100 * SCALE); // without the lock, the other task would read the same balance
    balance = seen - amount;
    console.log(`${name} took ${amount}, balance ${balance}`);
  });
}

await run(async () => {
  await gather(
    () => withdraw('rent', 700),
    () => withdraw('food', 200),
  );
  console.log(`final balance: ${balance}, lock: ${lock}`);
});
