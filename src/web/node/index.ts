/**
 * weft/web/node: background tasks for a plain `node:http` server.
 *
 * @module
 */

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { asCancellation } from '../../exceptions.js';
import { checkFunction, isThenable } from '../../internal/validate.js';
import type { Awaitable } from '../../tasks.js';
import type { BackgroundTasks } from '../background-tasks.js';
import {
  RequestScope,
  reportHandlerError,
  resolveWebOptions,
  type WebOptions,
} from '../request.js';

/** What a handler gets besides `req` and `res`. */
export interface RequestContext {
  /** Tasks to run after the response has been sent. */
  backgroundTasks: BackgroundTasks;
  /** Aborts when the client disconnects before the response is sent (same as `currentSignal()` here). */
  signal: AbortSignal;
}

/** A `node:http` handler that takes a weft {@link RequestContext}. */
export type WeftHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
) => Awaitable<void>;

/** The context object: `signal` is built only when a handler reads it. */
class Context implements RequestContext {
  constructor(private readonly scope: RequestScope) {}
  get backgroundTasks(): BackgroundTasks {
    return this.scope.backgroundTasks;
  }
  get signal(): AbortSignal {
    return this.scope.signal;
  }
}

/**
 * Wrap a `node:http` handler: it runs in a weft task (so `currentTask()`,
 * `currentSignal()` and every checkpoint work, and a client disconnect
 * cancels it), and gets `ctx.backgroundTasks`, run after the response has
 * been sent. A handler that throws gets a 500 response (if nothing was sent
 * yet) and its error reported through the supervisor.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { sleep } from 'weft';
 * import { withBackgroundTasks } from 'weft/web/node';
 *
 * const server = createServer(
 *   withBackgroundTasks(async (req, res, { backgroundTasks }) => {
 *     await sleep(1); // a checkpoint: a disconnect would cancel the handler here
 *     backgroundTasks.addTask(async (to: string) => {
 *       await sleep(10);
 *       console.log(`mail sent to ${to}`);
 *     }, 'ann@example.com');
 *     res.end('ok');
 *   }),
 * );
 * server.listen(0, '127.0.0.1', async () => {
 *   const { port } = server.address() as { port: number };
 *   console.log(await (await fetch(`http://127.0.0.1:${port}/`)).text()); // ok
 *   setTimeout(() => server.close(), 50);
 * });
 * // mail sent to ann@example.com
 * ```
 */
export function withBackgroundTasks(handler: WeftHandler, options?: WebOptions): RequestListener {
  const error = checkFunction('handler', handler);
  if (error !== undefined) throw error;
  const resolved = resolveWebOptions(options);
  return (req, res) => {
    const scope = new RequestScope(`${req.method} ${req.url}`, resolved);
    scope.watch(res);
    scope.start(() => {
      scope.enter();
      let result: Awaitable<void>;
      try {
        result = handler(req, res, new Context(scope));
        // A handler that returns no promise ends its task at once: no promise of ours either.
        if (!isThenable(result)) return;
      } catch (err) {
        failed(scope, res, err);
        return;
      }
      return settle(scope, res, result);
    });
  };
}

async function settle(
  scope: RequestScope,
  res: ServerResponse,
  result: PromiseLike<void>,
): Promise<void> {
  try {
    await result;
  } catch (err) {
    failed(scope, res, err);
  }
}

/** The handler threw: a 500 if nothing was sent yet, and the error reported (not a disconnect's). */
function failed(scope: RequestScope, res: ServerResponse, err: unknown): void {
  if (asCancellation(err) !== undefined && scope._ended) return; // the client went away
  if (!res.headersSent) {
    res.statusCode = 500;
    res.end('Internal Server Error');
  } else if (!res.writableEnded) {
    res.destroy(err instanceof Error ? err : undefined);
  }
  reportHandlerError(scope, err);
}
