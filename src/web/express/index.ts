/**
 * weft/web/express: background tasks and a request scope for Express 5.
 *
 * @module
 */

import type { Application, ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { BackgroundTasks } from '../background-tasks.js';
import { RequestScope, resolveWebOptions, type WebOptions } from '../request.js';

/**
 * Error middleware weft places in front of the app's error handlers: the
 * `CancelledError` of a client that disconnected stops here (the response
 * is gone; weft logged it at debug level), every other error goes on.
 */
const disconnectFilter: ErrorRequestHandler = (err, req, _res, next) => {
  // A disconnect ends the request's scope before its error reaches here:
  // the scope is then where the request's background tasks keep it.
  const ended = (req as Partial<Request>).backgroundTasks?._ended;
  if (ended instanceof RequestScope && ended.isDisconnect(err)) return;
  next(err);
};

interface Layer {
  handle?: unknown;
}

/** Routers whose filter is in place, with their stack's length then. */
const placed = new WeakMap<object, number>();

/**
 * Keep {@link disconnectFilter} in `app`'s router before the first error
 * handler after weft's middleware (at the end when there is none). Checked
 * on each request, redone only when the stack has changed. Returns the
 * router's stack, for the caller to skip this while it stays as it was.
 */
function placeFilter(app: Application, middleware: RequestHandler): unknown[] | undefined {
  const router = (app as { router?: { stack?: unknown; use?: unknown } }).router;
  const stack = router?.stack;
  if (router === undefined || !Array.isArray(stack) || typeof router.use !== 'function') {
    return undefined;
  }
  if (placed.get(router) === stack.length) return stack;
  const layers = stack as Layer[];
  let at = layers.findIndex((layer) => layer?.handle === disconnectFilter);
  if (at === -1) {
    router.use(disconnectFilter);
    at = layers.length - 1;
  }
  const [filter] = layers.splice(at, 1);
  const ours = layers.findIndex((layer) => layer?.handle === middleware);
  let before = layers.findIndex(
    (layer, i) => i > ours && typeof layer?.handle === 'function' && layer.handle.length === 4,
  );
  if (before === -1) before = layers.length;
  layers.splice(before, 0, filter!);
  placed.set(router, layers.length);
  return stack;
}

declare global {
  namespace Express {
    interface Request {
      /**
       * The request's background tasks, run after the response has been
       * sent (set by the `backgroundTasks()` middleware of `weft/web/express`).
       */
      backgroundTasks: BackgroundTasks;
    }
    interface Locals {
      /** The same object as `req.backgroundTasks`. */
      backgroundTasks: BackgroundTasks;
    }
  }
}

/**
 * Express middleware: every request gets `req.backgroundTasks` (also
 * `res.locals.backgroundTasks`), run after the response has been sent, and
 * every handler after this middleware runs inside the request's weft task,
 * so `currentTask()`, `currentSignal()` and every checkpoint work, and a
 * client that disconnects before the response is sent cancels the handler's
 * `sleep`s, lock and queue waits (and aborts `currentSignal()`: pass it to
 * `fetch` and drivers). Use it before the routes.
 *
 * A disconnect is not an application error: the `CancelledError` a
 * cancelled handler rejects with stops at an error middleware weft keeps in
 * front of the app's error handlers (the response is gone by then), so
 * neither they nor Express's default handler log it; weft reports it at
 * debug level (`logger.debug`). A handler that fails gets Express's usual error response; its background
 * tasks are skipped (and logged) unless `runOn` says otherwise.
 * Throws `TypeError` for bad options, naming the option.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { sleep } from 'weft';
 * import { Supervisor } from 'weft/web';
 * import { backgroundTasks } from 'weft/web/express';
 *
 * const supervisor = new Supervisor();
 * const sent: string[] = [];
 * const app = express();
 * app.use(backgroundTasks({ supervisor }));
 * app.post('/signup', async (req, res) => {
 *   await sleep(1); // a checkpoint: a client that disconnects cancels the handler here
 *   req.backgroundTasks.addTask(async (to: string) => {
 *     await sleep(10); // talking to the mail server; the client already has its answer
 *     sent.push(to);
 *   }, 'ann@example.com');
 *   res.send('signed up');
 * });
 * const server = app.listen(0, '127.0.0.1', async () => {
 *   const { port } = server.address() as { port: number };
 *   const res = await fetch(`http://127.0.0.1:${port}/signup`, { method: 'POST' });
 *   console.log(await res.text()); // signed up
 *   await supervisor.shutdown(); // waits for the mail
 *   console.log(sent); // [ 'ann@example.com' ]
 *   server.close();
 * });
 * ```
 */
export function backgroundTasks(options?: WebOptions): RequestHandler {
  const resolved = resolveWebOptions(options);
  // The stack placeFilter last saw, and its length then: the usual case
  // (one app, its routes all added) costs two comparisons a request.
  let stack: unknown[] | undefined;
  let length = -1;
  const middleware: RequestHandler = (req, res, next) => {
    // Used twice on one request (app and router): the first scope stands.
    if (req.backgroundTasks !== undefined) {
      next();
      return;
    }
    const app = req.app;
    const router = (app as { router?: { stack?: unknown } }).router;
    if (router?.stack !== stack || stack === undefined || stack.length !== length) {
      stack = placeFilter(app, middleware);
      length = stack?.length ?? -1;
    }
    const scope = new RequestScope(`${req.method} ${req.originalUrl}`, resolved);
    req.backgroundTasks = scope.backgroundTasks;
    res.locals.backgroundTasks = scope.backgroundTasks;
    scope.watch(res);
    scope.start(() => {
      scope.enter();
      // The rest of the chain runs in this task's context; the task stays
      // pending while the response is in flight (on the scope, a thenable
      // its end fulfils), so that a disconnect cancels the handler's
      // checkpoints.
      try {
        next();
      } catch (err) {
        next(err); // what Express does with a middleware that throws
      }
      return scope;
    });
  };
  return middleware;
}
