/**
 * The behaviour every web adapter must show, over real HTTP on 127.0.0.1.
 * Each adapter's `index.test.ts` builds the same small app in its
 * framework's idiom and runs this suite against it.
 */

import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { describe, test } from 'node:test';
import { CancelledError, currentSignal, currentTask, sleep } from '../src/index.js';
import {
  type BackgroundTasks,
  BacklogFullError,
  Supervisor,
  type WebOptions,
} from '../src/web/index.js';
import { abandon, close, eventually, listen, memoryLogger } from './web-helpers.js';

/** What a route handler sees, whatever the framework. */
export interface RouteContext {
  backgroundTasks: BackgroundTasks;
  /** The signal the adapter exposes (ctx.signal, c.get('signal'), or currentSignal()). */
  signal: AbortSignal | undefined;
  query: URLSearchParams;
}

/** A route's answer. */
export interface RouteResult {
  status?: number;
  body: string;
}

export type Route = (ctx: RouteContext) => Promise<RouteResult> | RouteResult;

/** Build a server that serves `routes` (GET, by path) through the adapter under test. */
export type BuildApp = (
  routes: Record<string, Route>,
  options: WebOptions,
) => Promise<Server> | Server;

interface Harness {
  base: string;
  log: string[];
  supervisor: Supervisor;
  logger: ReturnType<typeof memoryLogger>;
  server: Server;
}

function routes(log: string[]): Record<string, Route> {
  return {
    '/ok': ({ backgroundTasks, query }) => {
      const n = Number(query.get('n') ?? '1');
      for (let i = 0; i < n; i++) {
        backgroundTasks.addTask(
          async (index: number, label: string) => {
            log.push(`${label} ${index}`);
            await sleep(1);
          },
          i,
          'task',
        );
      }
      return { body: 'ok' };
    },
    '/mixed': ({ backgroundTasks }) => {
      backgroundTasks.addTask(() => {
        log.push('first');
      });
      backgroundTasks.addTask(async () => {
        throw new Error('second failed');
      });
      backgroundTasks.addTask(() => {
        log.push('third');
      });
      return { body: 'mixed' };
    },
    '/error': ({ backgroundTasks }) => {
      backgroundTasks.addTask(() => {
        log.push('ran on error');
      });
      return { status: 500, body: 'broken' };
    },
    '/created': ({ backgroundTasks }) => {
      backgroundTasks.addTask(() => {
        log.push('ran on 201');
      });
      return { status: 201, body: 'created' };
    },
    '/slow-task': ({ backgroundTasks, query }) => {
      const id = query.get('id') ?? '?';
      backgroundTasks.addTask(async () => {
        log.push(`start ${id}`);
        await sleep(Number(query.get('ms') ?? '100'));
        log.push(`end ${id}`);
      });
      return { body: id };
    },
    '/hang': async ({ signal }) => {
      log.push('handler started');
      try {
        await sleep(10_000);
      } catch (err) {
        log.push(err instanceof CancelledError ? 'handler cancelled' : 'handler failed');
        log.push(`signal aborted: ${signal?.aborted}`);
        throw err;
      } finally {
        log.push('handler finally');
      }
      return { body: 'never' };
    },
    '/context': ({ signal }) => ({
      body: JSON.stringify({
        task: currentTask() !== undefined,
        signal: signal !== undefined && currentSignal() === signal,
      }),
    }),
  };
}

/** Run the shared suite against `build`. */
export function describeAdapter(name: string, build: BuildApp): void {
  describe(`${name}: background tasks and request scope`, { timeout: 60_000 }, () => {
    async function start(
      options: Partial<WebOptions> & { concurrency?: number; maxPending?: number } = {},
    ): Promise<Harness> {
      const log: string[] = [];
      const logger = memoryLogger();
      const supervisor = new Supervisor({
        logger,
        concurrency: options.concurrency,
        maxPending: options.maxPending,
      });
      const server = await build(routes(log), { ...options, supervisor });
      // Node's own signal that a response was handed over in full, seen from
      // outside the adapter: its tasks must start after it.
      server.on('request', (req, res) => {
        if (req.url?.startsWith('/ok')) res.once('finish', () => log.push('response finished'));
      });
      const base = await listen(server);
      return { base, log, supervisor, logger, server };
    }

    async function get(h: Harness, path: string): Promise<{ status: number; body: string }> {
      const res = await fetch(`${h.base}${path}`);
      const body = await res.text();
      return { status: res.status, body };
    }

    async function stop(h: Harness): Promise<void> {
      await h.supervisor.shutdown({ graceMs: 2_000 });
      await close(h.server);
    }

    test('tasks run after the response, in the order added', async () => {
      const h = await start();
      const { status, body } = await get(h, '/ok?n=3');
      assert.equal(status, 200);
      assert.equal(body, 'ok');
      await eventually(() => h.supervisor.stats().completed === 1);
      assert.deepEqual(h.log, ['response finished', 'task 0', 'task 1', 'task 2']);
      assert.deepEqual(h.supervisor.stats(), {
        running: 0,
        pending: 0,
        completed: 1,
        failed: 0,
        cancelled: 0,
      });
      await stop(h);
    });

    test('the response does not wait for its background tasks', async () => {
      const h = await start();
      const { body } = await get(h, '/slow-task?id=z&ms=500');
      assert.equal(body, 'z');
      assert.ok(!h.log.includes('end z'), 'the client has the body while the task still runs');
      await eventually(() => h.log.includes('end z'));
      await stop(h);
    });

    test('a failing task is reported and the next ones still run', async () => {
      const h = await start();
      await get(h, '/mixed');
      await eventually(() => h.log.length === 2);
      assert.deepEqual(h.log, ['first', 'third']);
      await eventually(() => h.logger.errors.length === 1);
      assert.match(h.logger.errors[0]!, /background: GET \/mixed.*failed[\s\S]*second failed/);
      await stop(h);
    });

    test('with continueOnError: false the first failure stops the rest', async () => {
      const h = await start({ continueOnError: false });
      await get(h, '/mixed');
      await eventually(() => h.supervisor.stats().failed === 1);
      assert.deepEqual(h.log, ['first']);
      assert.equal(h.logger.errors.length, 1);
      await stop(h);
    });

    test('an error status skips the tasks (logged); runOn changes that', async () => {
      const h = await start();
      assert.equal((await get(h, '/error')).status, 500);
      await get(h, '/created');
      await eventually(() => h.log.includes('ran on 201'));
      assert.ok(!h.log.includes('ran on error'));
      assert.match(
        h.logger.warnings.join('\n'),
        /skipped 1 background task\(s\) of GET \/error: response status 500/,
      );
      await stop(h);

      const always = await start({ runOn: 'always' });
      await get(always, '/error');
      await eventually(() => always.log.includes('ran on error'));
      await stop(always);
    });

    test('a runOn that throws is logged and skips the tasks; the process goes on', async () => {
      const h = await start({
        runOn: () => {
          throw new Error('runOn broke');
        },
      });
      const { status, body } = await get(h, '/ok?n=2');
      assert.equal(status, 200);
      assert.equal(body, 'ok');
      await eventually(() => h.logger.errors.length === 1);
      assert.match(
        h.logger.errors[0]!,
        /runOn threw for GET \/ok\?n=2 \(status 200\): its 2 background task\(s\) are skipped/,
      );
      assert.deepEqual(h.log, ['response finished']);
      assert.equal((await get(h, '/context')).status, 200, 'the server still answers');
      await stop(h);
    });

    test('concurrent mode runs the tasks at once', async () => {
      const h = await start({ mode: 'concurrent' });
      await get(h, '/ok?n=3');
      await eventually(() => h.supervisor.stats().completed === 1);
      assert.deepEqual(h.log.slice(1).sort(), ['task 0', 'task 1', 'task 2']);
      await stop(h);
    });

    test('the supervisor limits concurrency and refuses work beyond its backlog', async () => {
      const h = await start({ concurrency: 1, maxPending: 1 });
      // a runs long enough for b and c to arrive while it runs, even on a busy machine.
      await get(h, '/slow-task?id=a&ms=1000');
      await get(h, '/slow-task?id=b&ms=10');
      await eventually(
        () => h.supervisor.stats().running === 1 && h.supervisor.stats().pending === 1,
      );
      // A third request's tasks do not fit: the error is reported, not swallowed.
      await get(h, '/slow-task?id=c&ms=10');
      await eventually(() => h.log.includes('end b'), 10_000);
      assert.deepEqual(h.log, ['start a', 'end a', 'start b', 'end b']);
      assert.ok(
        h.logger.errors.some((e) => /backlog is full/.test(e)),
        `expected a backlog error in ${JSON.stringify(h.logger.errors)}`,
      );
      assert.throws(() => {
        h.supervisor.spawn(() => sleep(200));
        h.supervisor.spawn(() => sleep(200));
        h.supervisor.spawn(() => sleep(200));
      }, BacklogFullError);
      await stop(h);
    });

    test('a client that disconnects cancels the handler: its finally sees CancelledError', async () => {
      const h = await start();
      await abandon(`${h.base}/hang`, 100);
      await eventually(() => h.log.includes('handler finally'));
      assert.deepEqual(h.log, [
        'handler started',
        'handler cancelled',
        'signal aborted: true',
        'handler finally',
      ]);
      await stop(h);
    });

    test("a disconnect is not an application error: it stays out of the framework's error path; weft says it at debug level", async (t) => {
      // The apps under test keep their framework's default error handling
      // (Fastify's error-level log lines are passed to console.error).
      const consoleError = t.mock.method(console, 'error', () => {});
      const h = await start();
      await abandon(`${h.base}/hang`, 100);
      await eventually(() => h.log.includes('handler finally'));
      // Error handlers and their loggers run a turn or two later.
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        consoleError.mock.calls.map((c) => String(c.arguments[0])),
        [],
      );
      assert.deepEqual(h.logger.errors, []);
      assert.deepEqual(h.logger.debugs, [
        'weft: GET /hang: the client disconnected before the response was sent; its handler is cancelled',
      ]);
      await stop(h);
    });

    test('handlers run in a weft task, and the exposed signal is currentSignal()', async () => {
      const h = await start();
      const { body } = await get(h, '/context');
      assert.deepEqual(JSON.parse(body), { task: true, signal: true });
      await stop(h);
    });

    test('shutdown waits for running background work within the grace period', async () => {
      const h = await start();
      await get(h, '/slow-task?id=x&ms=100');
      await eventually(() => h.log.includes('start x'));
      const result = await h.supervisor.shutdown({ graceMs: 2_000 });
      assert.equal(result.cancelled, 0);
      assert.ok(h.log.includes('end x'));
      await close(h.server);
    });

    test('shutdown cancels background work past the grace period, and reports it', async () => {
      const h = await start();
      await get(h, '/slow-task?id=y&ms=5000');
      await eventually(() => h.log.includes('start y'));
      const result = await h.supervisor.shutdown({ graceMs: 50 });
      assert.equal(result.cancelled, 1);
      assert.ok(!h.log.includes('end y'));
      assert.match(h.logger.warnings.join('\n'), /cancelled 1 task\(s\)/);
      assert.equal(h.supervisor.stats().cancelled, 1);
      await close(h.server);
    });
  });
}
