/**
 * Priority and LIFO queues.
 *
 *     jobs = asyncio.PriorityQueue()
 *     await jobs.put((5, "send digest"))
 *     await jobs.put((1, "page the on-call"))
 *     await jobs.put((5, "rebuild index"))
 *     while not jobs.empty():
 *         priority, job = await jobs.get()
 *         print(priority, job)
 *
 *     history = asyncio.LifoQueue()
 *     for page in ("home", "list", "detail"):
 *         history.put_nowait(page)
 *     print("back to", history.get_nowait(), "then", history.get_nowait())
 */
import { LifoQueue, PriorityQueue, run } from '../src/index.js';

await run(async () => {
  const jobs = new PriorityQueue<[number, string]>();
  await jobs.put([5, 'send digest']);
  await jobs.put([1, 'page the on-call']);
  await jobs.put([5, 'rebuild index']);
  while (!jobs.empty()) {
    const [priority, job] = await jobs.get();
    console.log(priority, job); // (5, 'rebuild index') < (5, 'send digest'), as in Python
  }

  const history = new LifoQueue<string>();
  for (const page of ['home', 'list', 'detail']) history.putNowait(page);
  console.log('back to', history.getNowait(), 'then', history.getNowait());
});
