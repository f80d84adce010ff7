/**
 * weft/web/fastify: background tasks and a request scope for Fastify 5.
 *
 * @module
 */

import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerHookHandler,
} from 'fastify';
import type { BackgroundTasks } from '../background-tasks.js';
import { RequestScope, resolveWebOptions, type WebOptions } from '../request.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's background tasks, run after the response has been sent
     * (set by `weftPlugin` from `weft/web/fastify`).
     */
    backgroundTasks: BackgroundTasks;
  }
}

const kScope = Symbol('weft.scope');

type WeftRequest = FastifyRequest & { [kScope]: RequestScope | null };

/** The log methods a disconnect's error could reach, above debug. */
const LEVELS = ['info', 'warn', 'error', 'fatal'] as const;

type LogFn = (this: unknown, ...args: unknown[]) => void;

/**
 * A disconnect is not an application error: its `CancelledError` gets
 * `statusCode` 499 (nginx's "client closed request"), and this request's
 * `reply.log` writes what concerns that error (`{ err }` is it: Fastify's
 * error handler logging it) at debug level. Everything else logs as
 * before.
 */
function clientError(scope: RequestScope, reply: FastifyReply): void {
  const error = scope.disconnectError();
  if (error === undefined || 'statusCode' in error) return;
  Object.defineProperty(error, 'statusCode', { value: 499, configurable: true, writable: true });
  const log = reply.log as unknown as Record<string, unknown>;
  if (typeof log?.debug !== 'function') return;
  const debug = log.debug as LogFn;
  const quiet: PropertyDescriptorMap = {};
  for (const level of LEVELS) {
    const write = log[level];
    if (typeof write !== 'function') continue;
    quiet[level] = {
      value(this: unknown, first: unknown, ...rest: unknown[]): void {
        const about = (first as { err?: unknown } | null)?.err ?? first;
        (about === error ? debug : (write as LogFn)).call(this, first, ...rest);
      },
    };
  }
  reply.log = Object.create(log, quiet) as FastifyReply['log'];
}

/**
 * The Fastify plugin: every request gets `request.backgroundTasks`, run
 * after the response has been sent (once the Node response closes), and every handler
 * (with the `preHandler` hooks registered after the plugin) runs inside the
 * request's weft task, so `currentTask()`, `currentSignal()` and every
 * checkpoint work, and a client that disconnects before the response is
 * sent cancels the handler's `sleep`s, lock and queue waits (and aborts
 * `currentSignal()`: pass it to `fetch` and drivers). The plugin applies to
 * the whole app (it is not encapsulated, like a `fastify-plugin` plugin):
 * register it before the routes. Fastify's own `request.signal` is left as
 * it is. Bad options reject the registration with a `TypeError` naming the
 * option. A handler that fails gets Fastify's usual error response; its
 * background tasks are skipped (and logged) unless `runOn` says otherwise.
 * A client that disconnects is not an application error: the handler's
 * `CancelledError` carries `statusCode` 499 (a client error), and
 * Fastify's error handler logs it at debug level, as weft does.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { sleep } from 'weft';
 * import { Supervisor } from 'weft/web';
 * import { weftPlugin } from 'weft/web/fastify';
 *
 * const supervisor = new Supervisor();
 * const sent: string[] = [];
 * const app = Fastify();
 * await app.register(weftPlugin, { supervisor });
 * app.post('/signup', async (request) => {
 *   const { email } = request.body as { email: string };
 *   await sleep(1); // a checkpoint: a client that disconnects cancels the handler here
 *   request.backgroundTasks.addTask(async (to: string) => {
 *     await sleep(10); // talking to the mail server; the client already has its answer
 *     sent.push(to);
 *   }, email);
 *   return { ok: true };
 * });
 * const base = await app.listen({ port: 0, host: '127.0.0.1' });
 * const res = await fetch(`${base}/signup`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ email: 'ann@example.com' }),
 * });
 * console.log(await res.json()); // { ok: true }
 * await supervisor.shutdown(); // waits for the mail
 * console.log(sent); // [ 'ann@example.com' ]
 * await app.close();
 * ```
 */
export const weftPlugin: FastifyPluginAsync<WebOptions> = Object.assign(
  async function weft(app: Parameters<FastifyPluginAsync<WebOptions>>[0], options: WebOptions) {
    const resolved = resolveWebOptions(options);
    app.decorateRequest('backgroundTasks', null as unknown as BackgroundTasks);
    app.decorateRequest(kScope, null);

    app.addHook('onRequest', (request, reply, done) => {
      const scope = new RequestScope(`${request.method} ${request.url}`, resolved);
      request.backgroundTasks = scope.backgroundTasks;
      (request as WeftRequest)[kScope] = scope;
      const raw = reply.raw;
      // The response is over: sent in full, or the client went away first
      // (the handler, if it started, is cancelled).
      raw.on('close', () => {
        scope.end(raw.statusCode, raw.writableFinished);
        clientError(scope, reply);
      });
      done();
    });

    app.addHook('preHandler', ((request, _reply, done) => {
      const scope = (request as WeftRequest)[kScope];
      if (scope === null) done();
      // The client went away while the body was read or hooks ran: skip the handler.
      else if (scope._ended) done(scope.signal.reason);
      else {
        // The handler (and the preHandler hooks after this one) runs in the
        // request's task, started here; it stays pending while the
        // response is in flight (on the scope, a thenable its end
        // fulfils), so that a disconnect cancels the handler's checkpoints.
        scope.start(() => {
          scope.enter();
          done();
          return scope;
        });
      }
    }) satisfies preHandlerHookHandler);
  },
  {
    // What fastify-plugin sets: the hooks and decorators apply to the whole app.
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'weft',
    [Symbol.for('plugin-meta')]: { name: 'weft', fastify: '5.x' },
  },
);
