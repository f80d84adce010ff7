/**
 * `installShutdownHandlers`: a deploy that neither hangs nor loses work.
 *
 * @module
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { startTimer, stopTimer } from '../internal/timers.js';
import { checkFunction, checkOptions, firstError, show } from '../internal/validate.js';
import {
  checkGrace,
  checkLogger,
  formatMs,
  type Logger,
  Supervisor,
  safeLog,
} from './supervisor.js';

/** Options of {@link installShutdownHandlers}. */
export interface ShutdownHandlerOptions {
  /**
   * Time for in-flight requests and background work together, in
   * milliseconds, counted from the signal. What is unfinished then is
   * cancelled. `Infinity`: no limit. Any length works, including more than
   * the 24.8 days a Node timer can hold.
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
  /**
   * Called when the shutdown is over, before the process exits. If it
   * throws, that is logged and the exit goes on.
   */
  onDone?: (result: { cancelled: number; exitCode: number }) => void;
  /**
   * Where progress is reported.
   * @default the supervisor's logger
   */
  logger?: Logger;
}

/** The server's connections and requests, as the shutdown sees them. */
interface Traffic {
  /** Responses not yet over. */
  inFlight: Set<ServerResponse>;
  /** Requests refused after the signal. */
  refused: number;
  /** weft's own request listener (kept when the app's are replaced). */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, close idle keep-alive
 * connections at once, let in-flight requests finish (each answered with
 * `Connection: close`, so no connection serves another request; a request
 * that still arrives on an open connection gets a 503), drain the
 * supervisor's background work, then exit with code 0 — or 1 if anything had
 * to be cancelled when `graceMs` ran out. The log says how the grace period
 * was spent (HTTP drain, then background drain). A second signal exits at
 * once (code 1). Returns a function that removes the handlers.
 *
 * Throws `TypeError`/`RangeError` for bad arguments, naming them.
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
  );
  if (error !== undefined) throw error;
  const { graceMs: grace, signals: given, exit, onDone, logger: givenLogger } = options;
  const optionError = firstError(
    checkGrace('graceMs', grace),
    given === undefined ||
      (Array.isArray(given) &&
        given.every((name: unknown) => typeof name === 'string' && name !== ''))
      ? undefined
      : new TypeError(`Expected \`signals\` to be an array of signal names, got ${show(given)}`),
    exit === undefined || typeof exit === 'boolean'
      ? undefined
      : new TypeError(`Expected \`exit\` to be a boolean, got ${show(exit)}`),
    onDone === undefined ? undefined : checkFunction('onDone', onDone),
    checkLogger(givenLogger),
  );
  if (optionError !== undefined) throw optionError;
  const graceMs = grace ?? 10_000;
  const signals = given ?? ['SIGTERM', 'SIGINT'];
  const logger = givenLogger ?? supervisor._logger;
  let started = false;
  const inFlight = new Set<ServerResponse>();
  // First among the server's listeners: it sees every request before the app.
  const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  };
  const traffic: Traffic = { inFlight, refused: 0, listener: onRequest };
  server.prependListener('request', onRequest);

  const onSignal = (signal: NodeJS.Signals): void => {
    if (started) {
      safeLog(logger, 'warn', `weft: second ${signal}: exiting now`);
      process.exit(1);
    }
    started = true;
    safeLog(logger, 'warn', `weft: ${signal} received: draining (grace ${formatMs(graceMs)})`);
    void drain(server, supervisor, graceMs, traffic, logger).then(({ cancelled }) => {
      const exitCode = cancelled > 0 ? 1 : 0;
      try {
        onDone?.({ cancelled, exitCode });
      } catch (hookError) {
        safeLog(
          logger,
          'error',
          'weft: the onDone callback of installShutdownHandlers threw',
          hookError,
        );
      }
      if (exit !== false) process.exit(exitCode);
    });
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
    server.off('request', onRequest);
  };
}

/** `res` is the last response of its connection: `Connection: close`, then the socket closes. */
function lastOnConnection(res: ServerResponse, server: Server): void {
  // Read by Node when it writes the head: `Connection: close`, and the
  // socket is closed once the response is sent.
  res.shouldKeepAlive = false;
  if (res.headersSent && !res.writableFinished) {
    // The head promised keep-alive already: close the connection once it is
    // idle (one whose response is sent already is idle now, closed below).
    res.once('finish', () => setImmediate(() => server.closeIdleConnections?.()));
  }
}

/** After the signal, the app's request listeners are replaced by this: 503, `Connection: close`. */
function refuse(traffic: Traffic, res: ServerResponse): void {
  traffic.refused++;
  res.shouldKeepAlive = false;
  res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' });
  res.end('Service Unavailable: the server is shutting down\n');
}

/**
 * Stop serving (no new request on any connection), wait for the requests in
 * flight, then shut the supervisor down, all within `graceMs`; log how the
 * time went.
 */
async function drain(
  server: Server,
  supervisor: Supervisor,
  graceMs: number,
  traffic: Traffic,
  logger: Logger,
): Promise<{ cancelled: number }> {
  const begun = performance.now();
  const deadline = begun + graceMs;
  // New requests on connections still open (pipelined, or racing the close
  // of an idle connection) are refused; the app never sees them.
  for (const listener of server.listeners('request')) {
    if (listener !== traffic.listener) server.off('request', listener as () => void);
  }
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => refuse(traffic, res));
  const requests = traffic.inFlight.size;
  for (const res of traffic.inFlight) lastOnConnection(res, server);
  let timer: ReturnType<typeof startTimer> | undefined;
  const closed = new Promise<'closed'>((resolve) => {
    server.close(() => resolve('closed'));
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections?.();
  });
  const expired = new Promise<'expired'>((resolve) => {
    if (graceMs !== Number.POSITIVE_INFINITY) timer = startTimer(graceMs, resolve, 'expired');
  });
  const outcome = await Promise.race([closed, expired]);
  stopTimer(timer);
  const httpMs = performance.now() - begun;
  let cut = 0;
  if (outcome === 'expired') {
    // Requests still running past the deadline: cut their connections,
    // which cancels their handlers (they count as cancelled work).
    cut = traffic.inFlight.size;
    server.closeAllConnections?.();
    safeLog(
      logger,
      'warn',
      `weft: HTTP drain: the grace period ran out in ${formatMs(httpMs)}: ${cut} request(s) still running were cut off (${requests - cut} of ${requests} in flight finished)`,
    );
  } else {
    const refused = traffic.refused > 0 ? `, ${traffic.refused} refused with 503` : '';
    safeLog(
      logger,
      'warn',
      `weft: HTTP drain: ${requests} request(s) in flight finished in ${formatMs(httpMs)}${refused}`,
    );
  }
  const remaining = Math.max(0, deadline - performance.now());
  const backgroundBegun = performance.now();
  const note = `of the ${formatMs(graceMs)} grace period: the HTTP drain took ${formatMs(httpMs)}`;
  const { cancelled } = await supervisor._shutdownFor(remaining, note);
  const backgroundMs = performance.now() - backgroundBegun;
  safeLog(
    logger,
    'warn',
    `weft: background drain: ${cancelled === 0 ? 'done' : `${cancelled} task(s) cancelled`} in ${formatMs(backgroundMs)}; shutdown took ${formatMs(performance.now() - begun)} (HTTP ${formatMs(httpMs)}, background ${formatMs(backgroundMs)})`,
  );
  return { cancelled: cancelled + cut };
}
