// Every example runs as its own process (sleeps scaled down) and prints
// exactly what its translation of the asyncio program should print. At a
// fifth of real time, sleeps that must finish in order are 20 ms apart or
// more, which a loaded CI machine still keeps apart.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

async function example(name: string, scale = '0.2'): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', `examples/${name}.ts`], {
    cwd: root,
    env: { ...process.env, WEFT_EXAMPLE_SCALE: scale },
  });
  return stdout.trimEnd().split('\n');
}

const expected: Record<string, string[]> = {
  'gather-two-tasks': [
    'Task 1 started',
    'Task 2 started',
    'Task 2 completed',
    'Task 1 completed',
    'Total time: ~2 s',
  ],
  'fetch-data': ['Fetching data...', 'Received: Data'],
  'manual-event-loop': [
    "main runs as task 'main'",
    'background task cancelled by run() cleanup',
    'run() returned: main result',
  ],
  cancellation: [
    'working 0',
    'working 1',
    'working 2',
    'cleaning up',
    'worker cancelled: true',
    'download stopped by its signal: true',
    'reason: user pressed stop',
  ],
  'task-group': [
    'job b done',
    'job c done',
    'job a done',
    'all jobs done: a, b, c',
    'job slow cancelled',
    'group failed: bad input',
  ],
  timeouts: [
    'timed out',
    'finished in time',
    'rescheduled, expired: false',
    'waitFor: done',
    'waitFor: TimeoutError',
  ],
  lock: [
    'rent took 700, balance 300',
    'food took 200, balance 100',
    'final balance: 100, lock: Lock<unlocked>',
  ],
  event: ['Event<unset waiters=2>: ready, set, go', 'ann runs', 'bob runs'],
  condition: ['ann got bread', 'bob got milk'],
  barrier: ['b loaded', 'c loaded', 'a loaded', 'everyone loaded', 'Barrier<filling waiting=0/3>'],
  queue: [
    'all handled: 1, 2, 3, 4, 5',
    'workers stopped: 2',
    'Queue<maxsize=2 size=0 unfinished=0 getters=0 putters=0 shut down>',
  ],
  'priority-queue': [
    '1 page the on-call',
    '5 rebuild index',
    '5 send digest',
    'back to detail then list',
  ],
  map: ['squares: 1, 4, 9, 16', 'ok done', 'map stopped: broken failed'],
};

describe('examples', { timeout: 120_000 }, () => {
  for (const [name, lines] of Object.entries(expected)) {
    test(name, async () => {
      assert.deepEqual(await example(name), lines);
    });
  }

  // Both sleeps of a round are due in the same millisecond only if they
  // started in the same one, so a round can end "end 1, start 3,
  // end 2" as well as "end 1, end 2, start 3" (asyncio does the same when its
  // clock ticks between the two starts). So this checks what the semaphore
  // promises, not one interleaving: never more than two downloads at once,
  // each starts once and ends after it starts, all four finish.
  test('semaphore', async () => {
    const lines = await example('semaphore');
    assert.equal(lines.at(-1), 'RangeError: BoundedSemaphore<value=1> released too many times');
    const events = lines.slice(0, -1);
    assert.equal(events.length, 8, events.join('\n'));
    assert.deepEqual(events.slice(0, 2), ['start 1', 'start 2']);
    const running = new Set<string>();
    const ended = new Set<string>();
    for (const line of events) {
      const [what, n = ''] = line.split(' ');
      if (what === 'start') {
        assert.ok(!running.has(n) && !ended.has(n), `${n} started twice`);
        running.add(n);
        assert.ok(running.size <= 2, `three downloads at once: ${events.join(', ')}`);
      } else {
        assert.equal(what, 'end');
        assert.ok(running.delete(n), `${n} ended before it started`);
        ended.add(n);
      }
    }
    assert.deepEqual([...ended].sort(), ['1', '2', '3', '4']);
  });

  test('gather-two-tasks overlaps its sleeps at a slower scale too', async () => {
    const lines = await example('gather-two-tasks', '0.5');
    assert.equal(lines.at(-1), 'Total time: ~2 s');
  });

  test('npm run examples runs every example', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/run-all.ts'], {
      cwd: root,
      env: { ...process.env, WEFT_EXAMPLE_SCALE: '0.05' },
    });
    for (const name of [...Object.keys(expected), 'semaphore'])
      assert.match(stdout, new RegExp(`=== ${name} ===`));
  });
});
