/**
 * weft/web/hono: background tasks and a cancellable request scope for Hono 4.
 *
 * Served by `@hono/node-server`, the background tasks run once the Node
 * response has been sent in full, and a client that disconnects first
 * cancels the handler. Anywhere else (`app.request()` in tests, Bun, Deno,
 * workers) there is no Node response to follow: the tasks run as soon as
 * the handler has produced its `Response`, and nothing reports a
 * disconnect. This module imports only Hono's types; it never loads
 * `@hono/node-server`.
 *
 * @module
 */

import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { currentTask, type Task } from '../../tasks.js';
import type { BackgroundTasks } from '../background-tasks.js';
import { RequestScope, resolveWebOptions, type WebOptions } from '../request.js';

/**
 * The context variables {@link backgroundTasks} sets. Type your app with
 * them to get `c.get('backgroundTasks')` and `c.get('signal')` typed.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { backgroundTasks, type WeftVariables } from 'weft/web/hono';
 *
 * const app = new Hono<{ Variables: WeftVariables }>();
 * app.use(backgroundTasks());
 * app.get('/', (c) => c.text(String(c.get('backgroundTasks'))));
 * console.log(await (await app.request('/')).text()); // BackgroundTasks<0 queued>
 * ```
 */
export type WeftVariables = {
  /** Tasks to run after the response has been sent. */
  backgroundTasks: BackgroundTasks;
  /**
   * Aborts when the client disconnects before the response is sent: the
   * request task's signal, the same object as `currentSignal()` in the
   * handler (outside nested scopes such as `timeout`). Made by the first
   * `c.get('signal')` (an AbortController costs a request that never
   * asks); `c.var.signal` is there from then on.
   */
  signal: AbortSignal;
};

/**
 * The Hono environment {@link backgroundTasks} provides. Combine it with
 * your own: `new Hono<{ Bindings: HttpBindings; Variables: WeftVariables & MyVars }>()`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { currentSignal } from 'weft';
 * import { backgroundTasks, type WeftEnv } from 'weft/web/hono';
 *
 * const app = new Hono<WeftEnv>();
 * app.use(backgroundTasks());
 * app.get('/', (c) => c.json({ same: c.get('signal') === currentSignal() }));
 * console.log(await (await app.request('/')).json()); // { same: true }
 * ```
 */
export type WeftEnv = { Variables: WeftVariables };

/** The Node response `@hono/node-server` passes as `c.env.outgoing`, if there is one. */
function nodeResponse(env: unknown): ServerResponse | undefined {
  if (typeof env !== 'object' || env === null) return undefined;
  const outgoing = (env as { outgoing?: unknown }).outgoing;
  // HTTP/1 `ServerResponse` and HTTP/2 `Http2ServerResponse` alike emit
  // 'close' and carry `statusCode` and `writableFinished`.
  if (
    typeof outgoing === 'object' &&
    outgoing !== null &&
    typeof (outgoing as ServerResponse).once === 'function' &&
    'writableFinished' in outgoing
  ) {
    return outgoing as ServerResponse;
  }
  return undefined;
}

/**
 * A disconnect is not an application error: its `CancelledError` gets a
 * `getResponse()` (an empty 499, nginx's "client closed request"), which
 * Hono's default error handler answers with instead of logging the error,
 * as it does for an `HTTPException`.
 */
function quietDisconnect(scope: RequestScope): void {
  const error = scope.disconnectError();
  if (error === undefined || 'getResponse' in error) return;
  Object.defineProperty(error, 'getResponse', {
    value: () => new Response(null, { status: 499 }),
    configurable: true,
    writable: true,
  });
}

/** `GET /path?query` from a request URL, for task names and logs. */
function label(method: string, url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  return `${method} ${start < 0 ? '/' : url.slice(start)}`;
}

/**
 * Hono middleware: every later handler runs inside a weft task (so
 * `currentTask()`, `currentSignal()` and every checkpoint work), and
 * `c.get('backgroundTasks')` queues work to run after the response, owned
 * by the supervisor. `c.get('signal')` is the request task's signal.
 *
 * When to run the tasks depends on where the app runs:
 *
 * - on `@hono/node-server` (`c.env.outgoing` is the Node response): once
 *   the response has been sent in full. A client that disconnects before
 *   that cancels the handler: its checkpoints throw `CancelledError` and
 *   the signal aborts. A disconnect is not an application error: its
 *   `CancelledError` carries a `getResponse()` (an empty 499), so Hono's
 *   default error handler answers with that instead of logging it, as for
 *   an `HTTPException`; weft reports it at debug level (`logger.debug`).
 *   An `app.onError` of your own still receives it: return early for it
 *   there, as in the example. The tasks still run unless
 *   `runOnDisconnect: false`.
 * - anywhere else (`app.request()`, Bun, Deno, workers): as soon as the
 *   handler has produced its `Response` (before the body has been sent),
 *   with its status; a handler that throws counts as status 500. A
 *   disconnect cancels nothing there (use `c.req.raw.signal` if the
 *   runtime aborts it).
 *
 * The request task ends when the handler has returned its `Response`. A
 * streamed body (`stream()`, `streamSSE()`) goes on being written after
 * that: a disconnect does not cancel it through weft (use the stream's
 * `onAbort`), though weft's checkpoints still work inside it.
 *
 * Using the middleware twice on one route is harmless: the inner one
 * passes through. Throws `TypeError`/`RangeError` for bad options, naming
 * the option.
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server';
 * import { Hono } from 'hono';
 * import { CancelledError, sleep } from 'weft';
 * import { Supervisor } from 'weft/web';
 * import { backgroundTasks, type WeftVariables } from 'weft/web/hono';
 *
 * const supervisor = new Supervisor();
 * const app = new Hono<{ Variables: WeftVariables }>();
 * app.use(backgroundTasks({ supervisor }));
 * app.onError((err, c) => {
 *   if (err instanceof CancelledError) return c.body(null, 499); // the client went away
 *   console.error(err);
 *   return c.text('Internal Server Error', 500);
 * });
 * app.post('/signup/:name', async (c) => {
 *   await sleep(1); // a checkpoint: a disconnect would cancel the handler here
 *   c.get('backgroundTasks').addTask(async (name: string) => {
 *     await sleep(10);
 *     console.log(`welcome mail sent to ${name}`);
 *   }, c.req.param('name'));
 *   return c.json({ ok: true });
 * });
 *
 * const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, async ({ port }) => {
 *   const res = await fetch(`http://127.0.0.1:${port}/signup/ann`, { method: 'POST' });
 *   console.log(await res.json()); // { ok: true }
 *   await supervisor.shutdown({ graceMs: 1_000 });
 *   server.close();
 * });
 * // welcome mail sent to ann
 * ```
 */
export function backgroundTasks(options?: WebOptions): MiddlewareHandler<WeftEnv> {
  const resolved = resolveWebOptions(options);
  return (c, next) => {
    if (c.get('backgroundTasks') !== undefined) return next();
    const res = nodeResponse(c.env);
    const scope = new RequestScope(label(c.req.method, c.req.url), resolved);
    c.set('backgroundTasks', scope.backgroundTasks);
    // `c.get('signal')` is made on first use: the signal is an
    // AbortController the request pays for only if it asks (then it is in
    // `c.var` too). A bound function, not a closure: a closure made here and
    // kept on the context holds this call's whole closure scope, and under
    // load V8 then promoted every request's objects to the old generation
    // (measured: 3x the scavenge work, the heap growing to 90 MB between
    // full collections).
    c.get = lazyGet.bind(undefined, c, scope, c.get) as typeof c.get;
    if (res === undefined) return elsewhere(c, scope, next);
    scope.watch(res, quietDisconnect);
    return runChain(scope, next);
  };
}

/** `c.get` for a request: `'signal'` made on first use, every other key as Hono has it. */
function lazyGet(
  c: Context<WeftEnv>,
  scope: RequestScope,
  get: (key: string) => unknown,
  key: string,
): unknown {
  return key === 'signal' ? signalOf(c, scope) : get(key);
}

/** The rest of the chain, run in the request's task, started now. */
function runChain(scope: RequestScope, next: Next): Promise<void> {
  let done: Promise<void> | undefined;
  scope.start(() => {
    scope.enter();
    done = next();
    return done;
  });
  // Awaiting the task from a weft scope links them (its cancellation
  // reaches the request): through the task's own `then`, as before.
  if (done === undefined || currentTask() !== undefined) return settled(scope.task);
  // Otherwise the task settles from `done`, in a reaction registered
  // before this one: then its outcome is known. Errors go on to Hono's
  // error handling; the Node response decides when the background tasks
  // run (a disconnect already cancelled the task).
  const outcome = (): void => scope.task.result();
  return done.then(outcome, outcome);
}

/** The request task's signal, made now, and from now on in `c.var` too. */
function signalOf(c: Context<WeftEnv>, scope: RequestScope): AbortSignal {
  const signal = scope.signal;
  c.set('signal', signal);
  return signal;
}

async function settled(task: Task<void>): Promise<void> {
  await task;
}

/**
 * Not on `@hono/node-server`: no Node response to follow. The tasks run
 * once the handler has produced its `Response`; a handler that throws
 * counts as status 500.
 */
async function elsewhere(c: Context<WeftEnv>, scope: RequestScope, next: Next): Promise<void> {
  scope.start(() => {
    scope.enter();
    return next();
  });
  try {
    await scope.task;
  } catch (error) {
    scope.end(500, true, false);
    throw error;
  }
  scope.end(c.finalized ? c.res.status : 500, true, false);
}
