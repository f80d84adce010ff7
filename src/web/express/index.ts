/**
 * weft/web/express: background tasks and a request scope for Express 5.
 *
 * @module
 */

import type { RequestHandler } from 'express';
import type { BackgroundTasks } from '../background-tasks.js';
import { RequestScope, resolveWebOptions, type WebOptions } from '../request.js';

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
 * A cancelled handler rejects with `CancelledError`, which Express passes to
 * its error handlers like any error (the response is gone by then); an error
 * handler can ignore it with
 * `if (err instanceof CancelledError && currentSignal()?.aborted) return;`.
 * A handler that fails gets Express's usual error response; its background
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
  return (req, res, next) => {
    // Used twice on one request (app and router): the first scope stands.
    if (req.backgroundTasks !== undefined) {
      next();
      return;
    }
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
    scope.watch(res);
  };
}
