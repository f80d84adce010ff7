import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import { describeAdapter } from '../../../test/web-conformance.js';
import { close, eventually, listen, memoryLogger } from '../../../test/web-helpers.js';
import { Supervisor } from '../index.js';
import { withBackgroundTasks } from './index.js';

describeAdapter('node:http', (routes, options) =>
  createServer(
    withBackgroundTasks(async (req, res, ctx) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const route = routes[url.pathname];
      if (route === undefined) {
        res.statusCode = 404;
        res.end();
        return;
      }
      const result = await route({
        backgroundTasks: ctx.backgroundTasks,
        signal: ctx.signal,
        query: url.searchParams,
      });
      res.statusCode = result.status ?? 200;
      res.end(result.body);
    }, options),
  ),
);

describe('node:http adapter', () => {
  test('a handler that throws gets a 500 and its error is reported', async () => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    const server = createServer(
      withBackgroundTasks(
        async () => {
          throw new Error('handler broke');
        },
        { supervisor },
      ),
    );
    const base = await listen(server);
    const res = await fetch(base);
    assert.equal(res.status, 500);
    await res.text();
    await eventually(() => logger.errors.length === 1);
    assert.match(logger.errors[0]!, /handler broke/);
    await close(server);
  });

  test('a task added after the response is over runs at once (or is skipped, by the same rules)', async () => {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    const log: string[] = [];
    const server = createServer(
      withBackgroundTasks(
        async (req, res, { backgroundTasks }) => {
          res.statusCode = req.url === '/bad' ? 500 : 200;
          res.end('done');
          await new Promise((resolve) => res.once('finish', resolve));
          backgroundTasks.addTask((what: string) => {
            log.push(what);
          }, `late ${req.url}`);
        },
        { supervisor },
      ),
    );
    const base = await listen(server);
    await (await fetch(`${base}/good`)).text();
    await (await fetch(`${base}/bad`)).text();
    await eventually(() => log.length === 1 && logger.warnings.length === 1);
    assert.deepEqual(log, ['late /good']);
    assert.match(
      logger.warnings[0]!,
      /skipped 1 background task\(s\) of GET \/bad \(late\): response status 500/,
    );
    await supervisor.shutdown();
    await close(server);
  });

  test('bad input: the messages name the argument', () => {
    assert.throws(() => withBackgroundTasks('x' as never), /Expected `handler` to be a function/);
    assert.throws(
      () => withBackgroundTasks(() => {}, { mode: 'parallel' as never }),
      /Expected `mode`/,
    );
    assert.throws(
      () => withBackgroundTasks(() => {}, { supervisor: {} as never }),
      /Expected `supervisor`/,
    );
  });
});
