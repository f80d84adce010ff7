// Graceful shutdown under keep-alive load, as a deploy meets it: a real
// server process per adapter, real keep-alive clients on 127.0.0.1, a real
// SIGTERM. Loops are bounded in count and time.
import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import { connect } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { sleep } from '../src/index.js';
import { installShutdownHandlers, Supervisor } from '../src/web/index.js';
import { withBackgroundTasks } from '../src/web/node/index.js';
import {
  eventually,
  listen,
  memoryLogger,
  type ServerProcess,
  startServerProcess,
} from './web-helpers.js';

const FRAMEWORKS = ['node', 'express', 'fastify', 'hono'] as const;

type Server = ServerProcess;

function startServer(env: Record<string, string>): Promise<Server> {
  return startServerProcess('test/fixtures/web/keepalive-server.ts', env);
}

/** One answer a keep-alive client got. */
interface Answer {
  status: number;
  connection: string | undefined;
  sentAt: number;
  receivedAt: number;
}

/**
 * `clients` clients, each on its own keep-alive connection, sending GETs one
 * after the other until the server refuses (an error ends a client), `stopAt`
 * passes, or `max` requests each.
 */
async function keepAliveLoad(
  url: string,
  clients: number,
  stopAt: number,
  max = 2_000,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  const client = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < max && performance.now() < stopAt; i++) {
        const sentAt = performance.now();
        const answer = await new Promise<Answer | undefined>((resolve) => {
          const req = request(url, { agent }, (res) => {
            res.resume();
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                connection: res.headers.connection,
                sentAt,
                receivedAt: performance.now(),
              }),
            );
            res.on('error', () => resolve(undefined));
          });
          req.on('error', () => resolve(undefined));
          req.end();
        });
        if (answer === undefined) return;
        answers.push(answer);
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return answers;
}

describe('graceful shutdown under keep-alive load', { timeout: 120_000 }, () => {
  for (const framework of FRAMEWORKS) {
    test(`${framework}: after SIGTERM no new request is served; in-flight ones answer with Connection: close; the work drains, exit 0`, async (t) => {
      const server = await startServer({
        WEFT_DEMO_FRAMEWORK: framework,
        GRACE_MS: '3000',
        HANDLER_MS: '50',
        TASK_MS: '500',
      });
      let signalAt = Number.POSITIVE_INFINITY;
      try {
        const start = performance.now();
        const load = keepAliveLoad(`${server.base}/work`, 10, start + 10_000);
        await new Promise((r) => setTimeout(r, 500));
        signalAt = performance.now();
        server.child.kill('SIGTERM');
        const answers = await load;
        const code = await server.exited;
        const after = answers.filter((a) => a.receivedAt > signalAt);
        const newAfter = after.filter((a) => a.sentAt > signalAt + 250 && a.status === 200);
        const result = JSON.parse(/^result (.*)$/m.exec(server.output())?.[1] ?? '{}') as {
          cancelled?: number;
          arrivedAfterSignal?: number;
        };
        t.diagnostic(
          `${answers.length} answers; after SIGTERM: ${after.length} (${after.filter((a) => a.status === 200).length} × 200, ${after.filter((a) => a.status === 503).length} × 503), ` +
            `sent >250 ms after it and served: ${newAfter.length}; requests reaching the app after it: ${result.arrivedAfterSignal}; cancelled ${result.cancelled}; exit ${code}`,
        );
        assert.ok(answers.length > 20, `the load ran: ${answers.length} answers`);
        // No request reached the app once the server had the signal.
        assert.equal(result.arrivedAfterSignal, 0, server.output());
        // Seen from the clients: each had a request in flight at the signal,
        // or sent one before the server got it: a few answers each at most.
        assert.ok(after.length <= 50, `${after.length} answers after SIGTERM`);
        assert.equal(newAfter.length, 0);
        // Requests in flight when the server got the signal were answered
        // with `Connection: close` (those answered just before it, with
        // keep-alive, may arrive after the signal was sent).
        assert.ok(
          after.some((a) => a.status === 200 && a.connection === 'close'),
          'in-flight requests are answered with Connection: close',
        );
        assert.equal(result.cancelled, 0, server.output());
        assert.equal(code, 0, server.output());
        assert.match(server.output(), /HTTP drain: .* in \d+ ms/);
        assert.match(server.output(), /background drain: .* in \d+ ms/);
        assert.doesNotMatch(server.output(), /after 0 ms/);
      } finally {
        server.child.kill('SIGKILL');
        await server.exited;
      }
    });
  }
});

describe('installShutdownHandlers, in process', () => {
  /**
   * A node:http server with weft, shut down by SIGWINCH without exiting
   * (a signal whose default action is to be ignored, and which no Node
   * option turns into a diagnostic report).
   */
  async function serve(t: TestContext, graceMs: number, log: string[]) {
    const logger = memoryLogger();
    const supervisor = new Supervisor({ logger });
    const server = createServer(
      withBackgroundTasks(
        async (req, res, { backgroundTasks }) => {
          log.push(`handler ${req.url}`);
          await sleep(Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0));
          backgroundTasks.addTask(async () => {
            await sleep(50);
            log.push(`task ${req.url}`);
          });
          res.end('ok');
        },
        { supervisor },
      ),
    );
    let uninstall = (): void => {};
    t.after(() => uninstall());
    const done = new Promise<{ cancelled: number; exitCode: number }>((resolve) => {
      uninstall = installShutdownHandlers(server, supervisor, {
        graceMs,
        signals: ['SIGWINCH'],
        exit: false,
        logger,
        onDone: resolve,
      });
    });
    const base = await listen(server);
    const { port } = new URL(base);
    return { server, supervisor, logger, done, port: Number(port), base };
  }

  test('a request pipelined on an open connection after the signal is refused; the app never sees it', async (t) => {
    const log: string[] = [];
    const app = await serve(t, 5_000, log);
    const socket = connect(app.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET /first?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => log.includes('handler /first?ms=200'));
    process.kill(process.pid, 'SIGWINCH');
    await new Promise((r) => setTimeout(r, 20));
    socket.write('GET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    await ended; // the server closed the connection after the first answer
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /\r\nConnection: close\r\n/i);
    assert.doesNotMatch(received, /HTTP\/1\.1 200[\s\S]*HTTP\/1\.1 200/);
    assert.deepEqual(await app.done, { cancelled: 0, exitCode: 0 });
    assert.deepEqual(log, ['handler /first?ms=200', 'task /first?ms=200']);
  });

  test('an idle keep-alive connection is closed at once; the log says how the grace was spent', async (t) => {
    const log: string[] = [];
    const app = await serve(t, 5_000, log);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let socketClosed: Promise<unknown> | undefined;
    await new Promise<void>((resolve) => {
      const req = request(`${app.base}/idle`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('socket', (socket) => {
        socketClosed = new Promise((r) => socket.once('close', r));
      });
      req.end();
    });
    const begun = performance.now();
    process.kill(process.pid, 'SIGWINCH');
    await socketClosed;
    assert.ok(performance.now() - begun < 1_000, 'closed long before the grace period ends');
    assert.deepEqual(await app.done, { cancelled: 0, exitCode: 0 });
    agent.destroy();
    const text = app.logger.warnings.join('\n');
    assert.match(text, /SIGWINCH received: draining \(grace 5000 ms\)/);
    assert.match(text, /HTTP drain: 0 request\(s\) in flight finished in \d+ ms/);
    assert.match(
      text,
      /background drain: done in \d+ ms; shutdown took \d+ ms \(HTTP \d+ ms, background \d+ ms\)/,
    );
  });

  test('a grace period above 2^31-1 ms is not cut to 1 ms', async (t) => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const log: string[] = [];
      const app = await serve(t, 2 ** 31, log);
      await (await fetch(`${app.base}/x`)).text();
      process.kill(process.pid, 'SIGWINCH');
      assert.deepEqual(await app.done, { cancelled: 0, exitCode: 0 });
      assert.deepEqual(log, ['handler /x', 'task /x']);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('a throwing onDone or logger never stops the shutdown', async () => {
    const supervisor = new Supervisor({
      logger: {
        error: () => {
          throw new Error('log sink down');
        },
        warn: () => {
          throw new Error('log sink down');
        },
      },
    });
    supervisor.spawn(() => sleep(10_000), { name: 'stuck' });
    const server = createServer(
      withBackgroundTasks(
        (_req, res) => {
          res.end();
        },
        { supervisor },
      ),
    );
    await listen(server);
    let calls = 0;
    const uninstall = installShutdownHandlers(server, supervisor, {
      graceMs: 20,
      signals: ['SIGWINCH'],
      exit: false,
      onDone: () => {
        calls++;
        throw new Error('onDone broke');
      },
    });
    process.kill(process.pid, 'SIGWINCH');
    await eventually(() => calls === 1);
    assert.equal(supervisor.stats().cancelled, 1);
    uninstall();
  });

  test('bad input: the messages name the argument and the value', () => {
    const server = createServer();
    const supervisor = new Supervisor();
    assert.throws(() => installShutdownHandlers(server, supervisor, { graceMs: -1 }), {
      name: 'RangeError',
      message: 'Expected `graceMs` to be a number >= 0, got -1',
    });
    assert.throws(() => installShutdownHandlers(server, supervisor, { logger: {} as never }), {
      name: 'TypeError',
      message:
        'Expected `logger` to have error() and warn() methods (and optionally debug()), got {}',
    });
    assert.throws(() => installShutdownHandlers(server, supervisor, { onDone: 1 as never }), {
      name: 'TypeError',
      message: 'Expected `onDone` to be a function, got 1',
    });
    assert.throws(() => installShutdownHandlers(server, supervisor, { signals: [15] as never }), {
      name: 'TypeError',
      message: 'Expected `signals` to be an array of signal names, got [ 15 ]',
    });
    assert.throws(() => installShutdownHandlers(server, supervisor, { exit: 'no' as never }), {
      name: 'TypeError',
      message: "Expected `exit` to be a boolean, got 'no'",
    });
  });
});
