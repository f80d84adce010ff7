/**
 * Deadlines.
 *
 *     try:
 *         async with asyncio.timeout(1):
 *             await asyncio.sleep(10)
 *     except TimeoutError:
 *         print("timed out")
 *
 *     async with asyncio.timeout(1) as cm:
 *         cm.reschedule(loop.time() + 5)
 *         await asyncio.sleep(2)
 *
 *     print(await asyncio.wait_for(fetch(), timeout=5))
 */
import { run, sleep, TimeoutError, timeout, waitFor } from '../src/index.js';

const SCALE = Number(process.env.WEFT_EXAMPLE_SCALE ?? 1);

await run(async () => {
  try {
    await timeout(1000 * SCALE, () => sleep(10_000 * SCALE));
  } catch (err) {
    if (err instanceof TimeoutError) console.log('timed out');
  }

  const value = await timeout(1000 * SCALE, () => sleep(100 * SCALE, 'finished in time'));
  console.log(value);

  await timeout(1000 * SCALE, async (scope) => {
    scope.reschedule(performance.now() + 5000 * SCALE);
    await sleep(2000 * SCALE);
    console.log(`rescheduled, expired: ${scope.expired()}`);
  });

  console.log(await waitFor(() => sleep(100 * SCALE, 'waitFor: done'), 5000 * SCALE));
  await waitFor(() => sleep(10_000 * SCALE), 100 * SCALE).catch((err: unknown) => {
    console.log(`waitFor: ${(err as Error).name}`);
  });
});
