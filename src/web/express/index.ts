/**
 * weft/web/express: background tasks and a request scope for Express 5.
 *
 * @module
 */

import type { Application, ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { BackgroundTasks } from '../background-tasks.js';
import { RequestScope, resolveWebOptions, type WebOptions } from '../request.js';

const kScope = Symbol('weft.scope');

type ScopedRequest = Request & { [kScope]?: RequestScope };

/**
 * Error middleware weft places in front of the app's error handlers: the
 * `CancelledError` of a client that disconnected stops here (the response
 * is gone; weft logged it at debug level), every other error goes on.
 */
const disconnectFilter: ErrorRequestHandler = (err, req, _res, next) => {
  if ((req as ScopedRequest)[kScope]?.isDisconnect(err)) return;
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
 * on each request, redone only when the stack has changed.
 */
function placeFilter(app: Application, middleware: RequestHandler): void {
  const router = (app as { router?: { stack?: unknown; use?: unknown } }).router;
  const stack = router?.stack;
  if (router === undefined || !Array.isArray(stack) || typeof router.use !== 'function') return;
  if (placed.get(router) === stack.length) return;
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
  const middleware: RequestHandler = (req, res, next) => {
    // Used twice on one request (app and router): the first scope stands.
    if (req.backgroundTasks !== undefined) {
      next();
      return;
    }
    placeFilter(req.app, middleware);
    const scope = new RequestScope(`${req.method} ${req.originalUrl}`, resolved, async (self) => {
      // The rest of the chain runs in this task's context; the task stays
      // pending while the response is in flight, so that a disconnect
      // cancels the handler's checkpoints.
      try {
        next();
      } catch (err) {
        next(err); // what Express does with a middleware that throws
      }
      await self.whenEnded();
    });
    req.backgroundTasks = scope.backgroundTasks;
    res.locals.backgroundTasks = scope.backgroundTasks;
    (req as ScopedRequest)[kScope] = scope;
    scope.watch(res);
  };
  return middleware;
}
