/**
 * The "manual event loop" of older asyncio code:
 *
 *     loop = asyncio.new_event_loop()
 *     asyncio.set_event_loop(loop)
 *     try:
 *         result = loop.run_until_complete(main())
 *     finally:
 *         loop.close()
 *
 * Node's event loop is always running, so weft has nothing to create or
 * close: `run(main)` is the whole of it. It runs `main` as the main task,
 * then cancels whatever `main` left running and waits for it (what
 * `loop.close()` after `asyncio.run` cleanup does), then settles.
 */
import { createTask, currentTask, run, sleep } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

async function main(): Promise<string> {
  console.log(`main runs as task '${currentTask()?.name}'`);
  // Left running on purpose: run() cancels it when main returns.
  createTask(
    async () => {
      try {
        await sleep(60_000 * SCALE);
      } finally {
        console.log('background task cancelled by run() cleanup');
      }
    },
    { name: 'background' },
  );
  await sleep(500 * SCALE);
  return 'main result';
}

const result = await run(main, { name: 'main' });
console.log(`run() returned: ${result}`);
