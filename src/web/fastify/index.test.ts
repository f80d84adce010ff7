import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { describeAdapter } from '../../../test/web-conformance.js';
import {
  abandon,
  checkpointAfterDisconnect,
  close,
  eventually,
  listen,
  memoryLogger,
} from '../../../test/web-helpers.js';
import { allTasks, CancelledError, currentSignal, currentTask, sleep } from '../../index.js';
import { Supervisor } from '../index.js';
import { weftPlugin } from './index.js';

/** Fastify's log lines at error level and above, passed to console.error (the others dropped). */
const errorsToConsole = {
  write(line: string): void {
    if ((JSON.parse(line) as { level: number }).level >= 50) console.error(line);
  },
};

describeAdapter('fastify', async (routes, options) => {
  const app = Fastify({ logger: { level: 'info', stream: errorsToConsole } });
  await app.register(weftPlugin, options);
  for (const [path, route] of Object.entries(routes)) {
    app.get(path, async (request, reply) => {
      const result = await route({
        backgroundTasks: request.backgroundTasks,
        signal: currentSignal(),
        query: new URL(request.url, 'http://x').searchParams,
      });
      reply.code(result.status ?? 200);
      return result.body;
    });
  }
  await app.ready();
  return app.server;
});

describe('fastify adapter', () => {
  /** Serve `app` on a free port until the test ends. */
  async function serve(t: TestContext, app: FastifyInstance): Promise<string> {
    await app.ready();
    t.after(() => close(app.server));
    return listen(app.server);
  }

  test("a disconnect reaches Fastify's log at debug level only; other errors stay errors", async (t) => {
    const lines: Array<{ level: number; msg?: string; err?: { type?: string } }> = [];
    const app = Fastify({
      logger: { level: 'debug', stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
    });
    await app.register(weftPlugin, { supervisor: new Supervisor() });
    const events: string[] = [];
    app.get('/hang', async () => {
      try {
        await sleep(10_000);
      } finally {
        events.push('handler finally');
      }
    });
    app.get('/boom', async () => {
      throw new Error('route broke');
    });
    const base = await serve(t, app);
    await abandon(`${base}/hang`, 50);
    await eventually(() => events.length === 1);
    await eventually(() => lines.some((l) => l.err?.type === 'CancelledError'));
    await new Promise((r) => setTimeout(r, 50));
    const about = lines.filter((l) => l.err?.type === 'CancelledError');
    assert.deepEqual(
      about.map((l) => l.level),
      about.map(() => 20),
      'debug (20) only',
    );
    assert.equal((await fetch(`${base}/boom`)).status, 500);
    await eventually(() => lines.some((l) => l.msg === 'route broke'));
    assert.equal(lines.find((l) => l.msg === 'route broke')?.level, 50);
  });

  test('a POST with a JSON body runs its handler in the task', async (t) => {
    const app = Fastify();
    await app.register(weftPlugin, { supervisor: new Supervisor() });
    app.post('/items', async (request) => {
      const task = currentTask();
      await sleep(1);
      return {
        name: (request.body as { name: string }).name,
        task: task !== undefined && currentTask() === task,
        label: task?.name,
        signal: currentSignal() === task?.signal,
      };
    });
    const base = await serve(t, app);
    const res = await fetch(`${base}/items?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'lamp' }),
    });
    assert.deepEqual(await res.json(), {
      name: 'lamp',
      task: true,
      label: 'POST /items?x=1',
      signal: true,
    });
  });

  test('routes of an encapsulated child plugin see request.backgroundTasks and the task', async (t) => {
    const ran: string[] = [];
    const supervisor = new Supervisor();
    const app = Fastify();
    await app.register(weftPlugin, { supervisor });
    await app.register(
      async (child) => {
        child.addHook('preHandler', async () => {
          ran.push(`child hook in task: ${currentTask() !== undefined}`);
        });
        child.get('/child', async (request) => {
          request.backgroundTasks.addTask((who: string) => {
            ran.push(`task for ${who}`);
          }, 'child');
          return { task: currentTask() !== undefined };
        });
      },
      { prefix: '/api' },
    );
    const base = await serve(t, app);
    assert.deepEqual(await (await fetch(`${base}/api/child`)).json(), { task: true });
    await eventually(() => ran.length === 2);
    assert.deepEqual(ran, ['child hook in task: true', 'task for child']);
    await supervisor.shutdown();
  });

  test("Fastify's own request.signal is left alone", async (t) => {
    const events: string[] = [];
    const app = Fastify();
    await app.register(weftPlugin, { supervisor: new Supervisor() });
    app.get('/signal', async (request) => ({
      fastify: request.signal instanceof AbortSignal,
      distinct: request.signal !== currentSignal(),
      own: Object.hasOwn(request, 'signal'),
    }));
    app.get('/hang', async (request) => {
      const fastifySignal = request.signal;
      try {
        await sleep(10_000);
      } catch (err) {
        events.push(`cancelled: ${err instanceof CancelledError}`);
        await eventually(() => fastifySignal.aborted);
        events.push('fastify signal aborted');
        throw err;
      }
      return 'never';
    });
    const base = await serve(t, app);
    assert.deepEqual(await (await fetch(`${base}/signal`)).json(), {
      fastify: true,
      distinct: true,
      own: false,
    });
    await abandon(`${base}/hang`, 50);
    await eventually(() => events.length === 2);
    assert.deepEqual(events, ['cancelled: true', 'fastify signal aborted']);
  });

  test('a handler that throws gets Fastify’s 500; its tasks are skipped, logged', async (t) => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    const ran: string[] = [];
    const app = Fastify();
    await app.register(weftPlugin, { supervisor });
    app.get('/boom', async (request) => {
      request.backgroundTasks.addTask(() => {
        ran.push('task');
      });
      await sleep(1);
      throw new Error('route broke');
    });
    const base = await serve(t, app);
    const res = await fetch(`${base}/boom`);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /route broke/);
    await eventually(() => logger.warnings.length === 1);
    assert.match(
      logger.warnings[0]!,
      /skipped 1 background task\(s\) of GET \/boom: response status 500/,
    );
    await supervisor.shutdown();
    assert.deepEqual(ran, []);
  });

  /** The request tasks still pending whose name matches `pattern`. */
  function pendingRequests(pattern: RegExp): string[] {
    return [...allTasks()].map((t) => t.name).filter((name) => pattern.test(name));
  }

  test('a hook that replies early, a 404 and a bad body end the request task', async (t) => {
    const app = Fastify();
    await app.register(weftPlugin); // the default supervisor
    app.addHook('onRequest', async (request, reply) => {
      if (request.url === '/denied') await reply.code(401).send('no');
    });
    app.post('/items', async () => 'ok');
    const base = await serve(t, app);
    assert.equal((await fetch(`${base}/denied`)).status, 401);
    assert.equal((await fetch(`${base}/missing`)).status, 404);
    const bad = await fetch(`${base}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(bad.status, 400);
    await eventually(
      () => pendingRequests(/^(GET \/denied|GET \/missing|POST \/items)$/).length === 0,
    );
  });

  test('a client gone before the handler: the handler is skipped, the task ends', async (t) => {
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const app = Fastify();
    await app.register(weftPlugin, { supervisor: new Supervisor() });
    app.addHook('preValidation', async () => {
      events.push('preValidation');
      await held; // a slow hook, outside weft: the client leaves meanwhile
    });
    app.setErrorHandler((err, _request, reply) => {
      events.push(`error: ${err instanceof CancelledError}`);
      return reply.send(err);
    });
    app.get('/late', async () => {
      events.push('handler');
      return 'late';
    });
    const base = await serve(t, app);
    t.after(() => release());
    await abandon(`${base}/late`, 50);
    await eventually(() => events.includes('preValidation'));
    await eventually(() => pendingRequests(/^GET \/late$/).length === 0);
    release();
    await eventually(() => events.length === 2);
    assert.deepEqual(events, ['preValidation', 'error: true']);
  });

  test('a disconnect while the handler waits outside weft: its next checkpoint throws', async (t) => {
    const events: string[] = [];
    const app = Fastify();
    await app.register(weftPlugin, { supervisor: new Supervisor() });
    app.get('/hang', async () => {
      await checkpointAfterDisconnect(events);
      return 'late';
    });
    const base = await serve(t, app);
    await abandon(`${base}/hang`, 50);
    await eventually(() => events.length === 1);
    assert.deepEqual(events, ['cancelled: true']);
  });

  test('bad input rejects the registration with a TypeError naming the option', async () => {
    const app = Fastify();
    await assert.rejects(
      async () => {
        await app.register(weftPlugin, { mode: 'x' as never });
      },
      { name: 'TypeError', message: /Expected `mode`/ },
    );
    const other = Fastify();
    await assert.rejects(
      async () => {
        await other.register(weftPlugin, { supervisor: {} as never });
      },
      { name: 'TypeError', message: /Expected `supervisor`/ },
    );
  });
});
