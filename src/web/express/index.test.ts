import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, type TestContext, test } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import { describeAdapter } from '../../../test/web-conformance.js';
import {
  abandon,
  checkpointAfterDisconnect,
  close,
  eventually,
  listen,
  memoryLogger,
  untilAborted,
} from '../../../test/web-helpers.js';
import { CancelledError, currentSignal, currentTask, sleep } from '../../index.js';
import { Supervisor } from '../index.js';
import { backgroundTasks } from './index.js';

/** Express's default handler logs every error; a disconnect's CancelledError is expected. */
const quietOnCancel: ErrorRequestHandler = (err, _req, _res, next) => {
  if (err instanceof CancelledError && currentSignal()?.aborted) return;
  next(err);
};

describeAdapter('express', (routes, options) => {
  const app = express();
  app.use(backgroundTasks(options));
  for (const [path, route] of Object.entries(routes)) {
    app.get(path, async (req, res) => {
      const result = await route({
        backgroundTasks: req.backgroundTasks,
        signal: currentSignal(),
        query: new URL(req.originalUrl, 'http://x').searchParams,
      });
      res.status(result.status ?? 200).send(result.body);
    });
  }
  return createServer(app);
});

describe('express adapter', () => {
  /** Serve `app` on a free port until the test ends. */
  async function serve(t: TestContext, app: express.Express): Promise<{ base: string }> {
    const server = createServer(app);
    t.after(() => close(server));
    return { base: await listen(server) };
  }

  test('res.locals.backgroundTasks is req.backgroundTasks', async (t) => {
    const app = express();
    app.use(backgroundTasks({ supervisor: new Supervisor() }));
    app.get('/', (req, res) => {
      res.json({
        same: res.locals.backgroundTasks === req.backgroundTasks,
        size: req.backgroundTasks.size,
      });
    });
    const { base } = await serve(t, app);
    assert.deepEqual(await (await fetch(base)).json(), { same: true, size: 0 });
  });

  test('an async route that throws reaches the error handler; its tasks are skipped, logged', async (t) => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    const ran: string[] = [];
    const seen: unknown[] = [];
    const app = express();
    app.use(backgroundTasks({ supervisor }));
    app.get('/boom', async (req) => {
      req.backgroundTasks.addTask(() => {
        ran.push('task');
      });
      await sleep(1);
      throw new Error('route broke');
    });
    app.use(((err, _req, res, _next) => {
      seen.push(err);
      res.status(500).send('custom 500');
    }) satisfies ErrorRequestHandler);
    const { base } = await serve(t, app);
    const res = await fetch(`${base}/boom`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), 'custom 500');
    assert.equal(seen.length, 1);
    assert.match(String(seen[0]), /route broke/);
    await eventually(() => logger.warnings.length === 1);
    assert.match(
      logger.warnings[0]!,
      /skipped 1 background task\(s\) of GET \/boom: response status 500/,
    );
    await supervisor.shutdown();
    assert.deepEqual(ran, []);
    assert.deepEqual(logger.errors, []);
  });

  test("a disconnect's CancelledError reaches none of the app's error handlers; other errors still do", async (t) => {
    const seen: string[] = [];
    const app = express();
    app.use(backgroundTasks({ supervisor: new Supervisor() }));
    app.get('/hang', async () => {
      try {
        await sleep(10_000);
      } finally {
        seen.push('handler finally');
      }
    });
    app.get('/boom', async () => {
      await sleep(1);
      throw new Error('route broke');
    });
    app.use(((err, _req, res, _next) => {
      seen.push(`error handler: ${(err as Error).message}`);
      res.status(500).send('custom 500');
    }) satisfies ErrorRequestHandler);
    // An error handler registered after the first request is covered too.
    const { base } = await serve(t, app);
    await abandon(`${base}/hang`, 50);
    await eventually(() => seen.includes('handler finally'));
    app.use(((err, _req, _res, next) => {
      seen.push(`late handler: ${(err as Error).message}`);
      next(err);
    }) satisfies ErrorRequestHandler);
    await abandon(`${base}/hang`, 50);
    await eventually(() => seen.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, ['handler finally', 'handler finally']);
    assert.equal((await fetch(`${base}/boom`)).status, 500);
    assert.deepEqual(seen.slice(2), ['error handler: route broke']);
  });

  test('a route that throws without an error handler gets Express’s 500', async (t) => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    const app = express();
    app.set('env', 'test'); // Express's final handler then does not log the stack
    app.use(backgroundTasks({ supervisor }));
    app.get('/boom', async (req) => {
      req.backgroundTasks.addTask(() => {});
      throw new Error('route broke');
    });
    const { base } = await serve(t, app);
    const res = await fetch(`${base}/boom`);
    assert.equal(res.status, 500);
    await res.text();
    await eventually(() => logger.warnings.length === 1);
    assert.match(logger.warnings[0]!, /of GET \/boom: response status 500/);
  });

  for (const order of ['before', 'after'] as const) {
    test(`a POST with a JSON body runs in the task (express.json() ${order} the middleware)`, async (t) => {
      const app = express();
      if (order === 'before') app.use(express.json());
      app.use(backgroundTasks({ supervisor: new Supervisor() }));
      if (order === 'after') app.use(express.json());
      app.post('/items', async (req, res) => {
        const before = currentTask();
        await sleep(1);
        res.json({
          name: (req.body as { name: string }).name,
          task: before !== undefined && currentTask() === before,
          signal: currentSignal() === before?.signal,
        });
      });
      const { base } = await serve(t, app);
      const res = await fetch(`${base}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'lamp' }),
      });
      assert.deepEqual(await res.json(), { name: 'lamp', task: true, signal: true });
    });
  }

  test('routers and a second use of the middleware share the first scope', async (t) => {
    const app = express();
    const router = express.Router();
    const supervisor = new Supervisor();
    router.use(backgroundTasks({ supervisor }));
    router.get('/x', (req, res) => {
      res.json({
        same: req.backgroundTasks === res.locals.backgroundTasks,
        task: currentTask()?.name,
      });
    });
    app.use(backgroundTasks({ supervisor }));
    app.use('/api', router);
    const { base } = await serve(t, app);
    assert.deepEqual(await (await fetch(`${base}/api/x?q=1`)).json(), {
      same: true,
      task: 'GET /api/x?q=1',
    });
  });

  test('a disconnect aborts currentSignal() in a handler waiting outside weft', async (t) => {
    const events: string[] = [];
    const app = express();
    app.use(backgroundTasks({ supervisor: new Supervisor() }));
    app.get('/hang', async (_req, res) => {
      const signal = await untilAborted();
      events.push(`aborted: ${signal.reason instanceof CancelledError}`);
      res.end();
    });
    const { base } = await serve(t, app);
    await abandon(`${base}/hang`, 50);
    await eventually(() => events.length === 1);
    assert.deepEqual(events, ['aborted: true']);
  });

  test('a disconnect while the handler waits outside weft: its next checkpoint throws', async (t) => {
    const events: string[] = [];
    const app = express();
    app.use(backgroundTasks({ supervisor: new Supervisor() }));
    app.get('/hang', async (_req, res) => {
      await checkpointAfterDisconnect(events);
      res.end();
    });
    app.use(quietOnCancel);
    const { base } = await serve(t, app);
    await abandon(`${base}/hang`, 50);
    await eventually(() => events.length === 1);
    assert.deepEqual(events, ['cancelled: true']);
  });

  test('bad input: the messages name the option', () => {
    assert.throws(() => backgroundTasks({ mode: 'x' as never }), {
      name: 'TypeError',
      message: /Expected `mode`/,
    });
    assert.throws(() => backgroundTasks({ supervisor: {} as never }), /Expected `supervisor`/);
    assert.throws(() => backgroundTasks('x' as never), /Expected `options`/);
  });
});
