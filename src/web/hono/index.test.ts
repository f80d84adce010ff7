import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { describe, test } from 'node:test';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { describeAdapter } from '../../../test/web-conformance.js';
import { abandon, close, eventually, listen, memoryLogger } from '../../../test/web-helpers.js';
import { CancelledError, currentSignal, currentTask, sleep } from '../../index.js';
import { Supervisor } from '../index.js';
import { backgroundTasks, type WeftVariables } from './index.js';

/** The app's error handler: a client that went away gets no response and no log line. */
function onError(err: Error, c: { body: (data: null, status: 499 | 500) => Response }): Response {
  return c.body(null, err instanceof CancelledError ? 499 : 500);
}

describeAdapter('hono', (routes, options) => {
  const app = new Hono<{ Variables: WeftVariables }>();
  app.use(backgroundTasks(options));
  app.get('*', async (c) => {
    const route = routes[c.req.path];
    if (route === undefined) return c.body(null, 404);
    const result = await route({
      backgroundTasks: c.get('backgroundTasks'),
      signal: c.get('signal'),
      query: new URL(c.req.url).searchParams,
    });
    return c.body(result.body, (result.status ?? 200) as 200);
  });
  // Unlistened: the suite listens on 127.0.0.1 itself.
  return createAdaptorServer({ fetch: app.fetch }) as Server;
});

describe('hono adapter', () => {
  test("c.get('signal') is currentSignal(), and the handler runs in the request's task", async () => {
    const app = new Hono<{ Variables: WeftVariables }>();
    app.use(backgroundTasks({ supervisor: new Supervisor() }));
    app.get('/who', (c) =>
      c.json({
        same: c.get('signal') === currentSignal(),
        task: currentTask()?.name,
        aborted: c.get('signal').aborted,
      }),
    );
    const res = await app.request('/who?x=1');
    assert.deepEqual(await res.json(), { same: true, task: 'GET /who?x=1', aborted: false });

    // And over HTTP through @hono/node-server.
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    const base = await listen(server);
    const http = await fetch(`${base}/who`);
    assert.deepEqual(await http.json(), { same: true, task: 'GET /who', aborted: false });
    await close(server);
  });

  test('app.request(): the tasks run after the handler has produced its response', async () => {
    const supervisor = new Supervisor();
    const log: string[] = [];
    const app = new Hono<{ Variables: WeftVariables }>();
    app.use(async (_c, next) => {
      await next();
      log.push('outer middleware done');
    });
    app.use(backgroundTasks({ supervisor }));
    app.get('/', async (c) => {
      c.get('backgroundTasks').addTask(async (n: number) => {
        log.push(`task ${n} (status ${c.res.status})`);
      }, 1);
      c.get('backgroundTasks').addTask(() => {
        log.push('task 2');
      });
      await sleep(5);
      log.push('handler returns');
      return c.text('ok', 201);
    });
    const res = await app.request('/');
    assert.equal(res.status, 201);
    assert.equal(await res.text(), 'ok');
    await eventually(() => supervisor.stats().completed === 1);
    assert.deepEqual(log.slice(0, 1), ['handler returns']);
    assert.deepEqual(
      log.filter((l) => l.startsWith('task')),
      ['task 1 (status 201)', 'task 2'],
    );
    await supervisor.shutdown();
  });

  test('app.request(): an error status or a thrown error skips the tasks (logged)', async () => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    const ran: string[] = [];
    const app = new Hono<{ Variables: WeftVariables }>();
    app.use(backgroundTasks({ supervisor }));
    app.onError(onError);
    app.get('/bad', (c) => {
      c.get('backgroundTasks').addTask(() => {
        ran.push('bad');
      });
      return c.text('no', 400);
    });
    app.get('/throws', (c) => {
      c.get('backgroundTasks').addTask(() => {
        ran.push('throws');
      });
      throw new Error('handler broke');
    });
    assert.equal((await app.request('/bad')).status, 400);
    assert.equal((await app.request('/throws')).status, 500);
    await eventually(() => logger.warnings.length === 2);
    assert.deepEqual(ran, []);
    assert.match(
      logger.warnings[0]!,
      /skipped 1 background task\(s\) of GET \/bad: response status 400/,
    );
    assert.match(logger.warnings[1]!, /of GET \/throws: response status 500/);
    await supervisor.shutdown();
  });

  test('on @hono/node-server the tasks wait until the response has been sent', async () => {
    const supervisor = new Supervisor();
    const log: string[] = [];
    const app = new Hono<{ Variables: WeftVariables }>();
    app.use(backgroundTasks({ supervisor }));
    app.get('/stream', (c) => {
      c.get('backgroundTasks').addTask(() => {
        log.push('task');
      });
      // A streamed body: the handler returns long before the body is sent.
      const body = new ReadableStream<string>({
        async start(controller) {
          controller.enqueue('a');
          await new Promise((r) => setTimeout(r, 50));
          log.push('body sent');
          controller.enqueue('b');
          controller.close();
        },
      });
      return new Response(body.pipeThrough(new TextEncoderStream()));
    });
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    const base = await listen(server);
    const res = await fetch(`${base}/stream`);
    assert.equal(await res.text(), 'ab');
    await eventually(() => log.length === 2);
    assert.deepEqual(log, ['body sent', 'task']);
    await supervisor.shutdown();
    await close(server);
  });

  test('a disconnect cancels the handler; its tasks still run by default', async () => {
    const supervisor = new Supervisor();
    const log: string[] = [];
    const app = new Hono<{ Variables: WeftVariables }>();
    app.use(backgroundTasks({ supervisor }));
    app.onError(onError);
    app.get('/hang', async (c) => {
      c.get('backgroundTasks').addTask(() => {
        log.push('task ran');
      });
      c.get('signal').addEventListener('abort', () => log.push('signal aborted'));
      try {
        await sleep(10_000);
      } catch (err) {
        log.push(err instanceof CancelledError ? 'cancelled' : 'failed');
        throw err;
      }
      return c.text('never');
    });
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    const base = await listen(server);
    await abandon(`${base}/hang`, 50);
    await eventually(() => log.includes('task ran'));
    assert.deepEqual(log, ['signal aborted', 'cancelled', 'task ran']);
    await supervisor.shutdown();
    await close(server);
  });

  test('used twice on a route, the inner middleware passes through', async () => {
    const supervisor = new Supervisor();
    const app = new Hono<{ Variables: WeftVariables }>();
    let outer: unknown;
    app.use(backgroundTasks({ supervisor }));
    app.use(async (c, next) => {
      outer = c.get('backgroundTasks');
      await next();
    });
    app.use(backgroundTasks({ supervisor }));
    app.get('/', (c) => {
      c.get('backgroundTasks').addTask(() => {});
      return c.text(c.get('backgroundTasks') === outer ? 'same' : 'different');
    });
    assert.equal(await (await app.request('/')).text(), 'same');
    await eventually(() => supervisor.stats().completed === 1);
    await supervisor.shutdown();
  });

  test('bad input: the messages name the argument', () => {
    assert.throws(() => backgroundTasks('x' as never), {
      name: 'TypeError',
      message: /Expected `options` to be an options object/,
    });
    assert.throws(() => backgroundTasks({ mode: 'parallel' as never }), {
      name: 'TypeError',
      message: /Expected `mode`/,
    });
    assert.throws(() => backgroundTasks({ runOnDisconnect: 'yes' as never }), {
      name: 'TypeError',
      message: /Expected `runOnDisconnect`/,
    });
    assert.throws(() => backgroundTasks({ supervisor: {} as never }), {
      name: 'TypeError',
      message: /Expected `supervisor`/,
    });
  });
});
