/**
 * `installShutdownHandlers`: a deploy that neither hangs nor loses work.
 *
 * @module
 */

import type { Server } from 'node:http';
import { checkOptions, firstError, show } from '../internal/validate.js';
import { checkGrace, type Logger, Supervisor } from './supervisor.js';

/** Options of {@link installShutdownHandlers}. */
export interface ShutdownHandlerOptions {
  /**
   * Time for in-flight requests and background work together, in
   * milliseconds, counted from the signal. What is unfinished then is
   * cancelled.
   * @default 10_000
   */
  graceMs?: number;
  /**
   * The signals that start the shutdown.
   * @default ['SIGTERM', 'SIGINT']
   */
  signals?: NodeJS.Signals[];
  /**
   * Exit the process when done: code 0, or 1 if work had to be cancelled.
   * With `false`, `onDone` gets the result and the process is left alone.
   * @default true
   */
  exit?: boolean;
  /** Called when the shutdown is over, before the process exits. */
  onDone?: (result: { cancelled: number; exitCode: number }) => void;
  /**
   * Where progress is reported.
   * @default the supervisor's logger
   */
  logger?: Logger;
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests
 * finish, drain the supervisor's background work, then exit with code 0 —
 * or 1 if anything had to be cancelled when `graceMs` ran out. A second
 * signal exits at once (code 1). Returns a function that removes the
 * handlers.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { installShutdownHandlers, Supervisor } from 'weft/web';
 * import { withBackgroundTasks } from 'weft/web/node';
 *
 * const supervisor = new Supervisor();
 * const server = createServer(withBackgroundTasks((req, res) => res.end('ok'), { supervisor }));
 * const uninstall = installShutdownHandlers(server, supervisor, { graceMs: 5_000 });
 * server.listen(0, '127.0.0.1', () => {
 *   console.log('listening'); // listening
 *   uninstall();
 *   server.close();
 * });
 * ```
 */
export function installShutdownHandlers(
  server: Server,
  supervisor: Supervisor,
  options: ShutdownHandlerOptions = {},
): () => void {
  const error = firstError(
    server !== null && typeof server === 'object' && typeof (server as Server).close === 'function'
      ? undefined
      : new TypeError(`Expected \`server\` to be an http.Server, got ${show(server)}`),
    supervisor instanceof Supervisor
      ? undefined
      : new TypeError(`Expected \`supervisor\` to be a weft Supervisor, got ${show(supervisor)}`),
    checkOptions('options', options),
    checkGrace('graceMs', options.graceMs),
    options.signals === undefined || Array.isArray(options.signals)
      ? undefined
      : new TypeError(
          `Expected \`signals\` to be an array of signal names, got ${show(options.signals)}`,
        ),
  );
  if (error !== undefined) throw error;
  const graceMs = options.graceMs ?? 10_000;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const logger = options.logger ?? supervisor._logger;
  let started = false;
  // Requests in flight, to count those cut off at the deadline.
  const inFlight = { count: 0 };
  const onRequest = (_req: unknown, res: { once(event: 'close', fn: () => void): void }): void => {
    inFlight.count++;
    res.once('close', () => inFlight.count--);
  };
  server.on('request', onRequest);

  const onSignal = (signal: NodeJS.Signals): void => {
    if (started) {
      logger.warn(`weft: second ${signal}: exiting now`);
      process.exit(1);
    }
    started = true;
    logger.warn(`weft: ${signal} received: draining (grace ${graceMs} ms)`);
    void drain(server, supervisor, graceMs, inFlight).then(({ cancelled }) => {
      const exitCode = cancelled > 0 ? 1 : 0;
      options.onDone?.({ cancelled, exitCode });
      if (options.exit !== false) process.exit(exitCode);
    });
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
    server.off('request', onRequest);
  };
}

/** Close the server, wait for its requests, then shut the supervisor down, all within `graceMs`. */
async function drain(
  server: Server,
  supervisor: Supervisor,
  graceMs: number,
  inFlight: { count: number },
): Promise<{ cancelled: number }> {
  const deadline = performance.now() + graceMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections?.();
  });
  const expired = new Promise<'expired'>((resolve) => {
    if (graceMs !== Number.POSITIVE_INFINITY) timer = setTimeout(resolve, graceMs, 'expired');
  });
  const outcome = await Promise.race([closed, expired]);
  clearTimeout(timer);
  let cancelledRequests = 0;
  if (outcome === 'expired') {
    // Requests still running past the deadline: cut their connections,
    // which cancels their handlers (they count as cancelled work).
    cancelledRequests = inFlight.count;
    server.closeAllConnections?.();
  }
  const remaining = Math.max(0, deadline - performance.now());
  const { cancelled } = await supervisor.shutdown({ graceMs: remaining });
  return { cancelled: cancelled + cancelledRequests };
}
