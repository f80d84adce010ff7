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
