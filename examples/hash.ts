/**
 * CPU work off the event loop. In asyncio:
 *
 *     digest = await asyncio.to_thread(sha256, data)
 *
 * A JavaScript closure cannot cross into a thread, so weft runs the
 * exported functions of a worker module (./hash.worker.ts) on a pool of
 * threads, typed from that module. While a thread hashes, the event loop
 * is free: the ticker below keeps ticking. A timeout stops a job by
 * terminating its thread, and the pool replaces it.
 */
import { run, timeout } from '../src/index.js';
import { move, workerPool } from '../src/workers/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);
const MB = 2 ** 20;

const pool = workerPool<typeof import('./hash.worker.js')>(
  new URL('./hash.worker.js', import.meta.url),
  { threads: 1 },
);

await run(async () => {
  await pool.run('stretch', 'warm-up', 1); // the thread has loaded the module

  // A large buffer, moved (not copied) to the worker, hashed there.
  const data = new Uint8Array(64 * MB).fill(7);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  const digest = await pool.run('sha256', move(data));
  clearInterval(ticker);
  console.log(`sha256 of 64 MB: ${digest.slice(0, 16)}...`);
  console.log(`the event loop kept ticking meanwhile: ${ticks > 0 ? 'yes' : 'no'}`);
  console.log(`bytes left here after move(): ${data.byteLength}`);

  // A checkpoint like any other: the timeout terminates the thread.
  try {
    await timeout(200 * SCALE, () => pool.run('stretch', 'seed', 1e9));
  } catch (err) {
    console.log(`a billion rounds: ${(err as Error).name}`);
  }
  console.log(`the pool goes on: ${(await pool.run('stretch', 'seed', 1_000)).slice(0, 16)}...`);
});

await pool.close();
console.log(String(pool));
