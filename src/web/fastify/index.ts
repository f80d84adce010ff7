/**
 * weft/web/fastify: background tasks and a request scope for Fastify 5.
 *
 * @module
 */

import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onResponseHookHandler,
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

/** Where a request is in its weft task. */
interface Flow {
  scope: RequestScope;
  /** Wake the task: with `preHandler`'s `done` (run the handler in the task), or without (over). */
  wake: (proceed: (() => void) | undefined) => void;
}

const kFlow = Symbol('weft.flow');

type WeftRequest = FastifyRequest & { [kFlow]: Flow | null };

/** The response is over: end the scope (runs the background tasks) and the task. */
function settle(flow: Flow, status: number, complete: boolean): void {
  flow.scope.end(status, complete);
  flow.wake(undefined);
}

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
 * after the response has been sent (from `onResponse`), and every handler
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
    app.decorateRequest(kFlow, null);

    app.addHook('onRequest', (request, reply, done) => {
      let wake!: Flow['wake'];
      const woken = new Promise<(() => void) | undefined>((resolve) => {
        wake = resolve;
      });
      const scope = new RequestScope(`${request.method} ${request.url}`, resolved, async (self) => {
        const proceed = await woken;
        if (proceed === undefined) return; // over before the handler (an error, a hook replied)
        // The handler runs in this task's context; the task stays pending
        // while the response is in flight, so that a disconnect cancels the
        // handler's checkpoints.
        proceed();
        await self.whenEnded();
      });
      const flow: Flow = { scope, wake };
      request.backgroundTasks = scope.backgroundTasks;
      (request as WeftRequest)[kFlow] = flow;
      const raw = reply.raw;
      // `onResponse` ends a response sent in full; this is the client gone first.
      raw.once('close', () => {
        settle(flow, raw.statusCode, raw.writableFinished);
        clientError(scope, reply);
      });
      done();
    });

    app.addHook('preHandler', ((request, _reply, done) => {
      const flow = (request as WeftRequest)[kFlow];
      if (flow === null) done();
      // The client went away while the body was read or hooks ran: skip the handler.
      else if (flow.scope._ended || flow.scope.task.done()) done(flow.scope.signal.reason);
      else flow.wake(done);
    }) satisfies preHandlerHookHandler);

    app.addHook('onResponse', ((request, reply, done) => {
      const flow = (request as WeftRequest)[kFlow];
      if (flow !== null) settle(flow, reply.statusCode, true);
      done();
    }) satisfies onResponseHookHandler);
  },
  {
    // What fastify-plugin sets: the hooks and decorators apply to the whole app.
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'weft',
    [Symbol.for('plugin-meta')]: { name: 'weft', fastify: '5.x' },
  },
);
