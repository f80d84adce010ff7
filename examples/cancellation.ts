/**
 * Cancelling a task: its cleanup runs, and its signal stops what weft
 * cannot interrupt by itself.
 *
 *     async def worker():
 *         try:
 *             for i in itertools.count():
 *                 print(f"working {i}")
 *                 await asyncio.sleep(1)
 *         except asyncio.CancelledError:
 *             print("cleaning up")
 *             raise
 *
 *     async def main():
 *         task = asyncio.create_task(worker())
 *         await asyncio.sleep(2.5)
 *         task.cancel()
 *         try:
 *             await task
 *         except asyncio.CancelledError:
 *             print(f"worker cancelled: {task.cancelled()}")
 */
import { setTimeout as nodeSleep } from 'node:timers/promises';
import { CancelledError, createTask, run, sleep } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

async function worker(): Promise<void> {
  try {
    for (let i = 0; ; i++) {
      console.log(`working ${i}`);
      await sleep(1000 * SCALE);
    }
  } catch (err) {
    if (err instanceof CancelledError) console.log('cleaning up');
    throw err;
  }
}

// A plain Node timer is not a weft checkpoint: it stops because it gets the
// task's signal.
async function downloader(signal: AbortSignal): Promise<void> {
  await nodeSleep(60_000 * SCALE, undefined, { signal });
}

await run(async () => {
  const task = createTask(worker, { name: 'worker' });
  await sleep(2500 * SCALE);
  task.cancel();
  try {
    await task;
  } catch (err) {
    if (err instanceof CancelledError) console.log(`worker cancelled: ${task.cancelled()}`);
  }

  const download = createTask(downloader, { name: 'download' });
  await sleep(100 * SCALE);
  download.cancel('user pressed stop');
  await download.catch((err: unknown) => {
    console.log(`download stopped by its signal: ${download.signal.aborted}`);
    console.log(`reason: ${(err as CancelledError).reason}`);
  });
});
