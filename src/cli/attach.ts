/**
 * Attach to a running Node process through its inspector, evaluate one
 * expression, and detach — the mechanism of `node inspect -p PID`, without
 * any flag in the target:
 *
 * 1. `SIGUSR1` makes Node open its inspector (on 127.0.0.1, port 9229 unless
 *    the target set `--inspect-port`); the new listening socket is found
 *    through `/proc/PID/fd` and `/proc/PID/net/tcp`.
 * 2. `GET /json/list` gives the WebSocket address; one WebSocket session
 *    sends `Runtime.evaluate`.
 * 3. If weft opened the inspector, the same session schedules
 *    `inspector.close()` in the target; weft disconnects and checks that
 *    the port is closed.
 *
 * @module
 */

import { getJson, InspectorSession } from './cdp.js';
import { CliError } from './errors.js';
import {
  checkNodeProcess,
  commandLine,
  errorFor,
  inspectFlag,
  type ListeningSocket,
  listeningSockets,
} from './proc.js';

/** Options for {@link evaluateInProcess}. */
export interface AttachOptions {
  /**
   * Milliseconds allowed for each step (the inspector opening, each HTTP
   * request, the WebSocket handshake, the evaluation, the inspector closing).
   * @default 5000
   */
  timeoutMs?: number;
}

/** What {@link evaluateInProcess} found. */
export interface Evaluation {
  /** The expression's value (`returnByValue`). */
  value: unknown;
  /** The inspector's port. */
  port: number;
  /** Whether weft opened the inspector (and so had to close it). */
  opened: boolean;
  /** Whether the inspector is closed again (always false when it was open before weft came). */
  closed: boolean;
}

/** Closes the inspector a little later, so that the answers go out and weft disconnects first. */
const CLOSE_INSPECTOR = `(() => {
  const inspector = typeof process.getBuiltinModule === 'function'
    ? process.getBuiltinModule('node:inspector')
    : require('node:inspector');
  setTimeout(() => inspector.close(), 0).unref();
  return true;
})()`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether a listening socket is a Node inspector (its `/json/version` says so). */
async function isInspector(socket: ListeningSocket, timeoutMs: number): Promise<boolean> {
  try {
    const version = (await getJson(socket.host, socket.port, '/json/version', timeoutMs)) as {
      Browser?: unknown;
    } | null;
    return typeof version?.Browser === 'string' && version.Browser.startsWith('node.js');
  } catch {
    return false;
  }
}

/**
 * The inspector among a process's listening sockets: the one on
 * `preferredPort` if it is one, else the first of the others that answers
 * as an inspector.
 */
async function findInspector(
  sockets: readonly ListeningSocket[],
  timeoutMs: number,
  preferredPort?: number,
): Promise<ListeningSocket | undefined> {
  const preferred = sockets.filter((s) => s.port === preferredPort);
  for (const socket of preferred) if (await isInspector(socket, timeoutMs)) return socket;
  const others = sockets.filter((s) => s.port !== preferredPort);
  const found = await Promise.all(others.map((s) => isInspector(s, timeoutMs)));
  return others[found.indexOf(true)];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Open the target's inspector with SIGUSR1 and find its new listening socket. */
async function openInspector(
  pid: number,
  before: readonly ListeningSocket[],
  timeoutMs: number,
): Promise<{ socket: ListeningSocket; opened: boolean }> {
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (err) {
    throw errorFor(pid, err, `signal PID ${pid}`);
  }
  const known = new Set(before.map((s) => s.inode));
  const rejected = new Set<string>();
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!alive(pid)) {
      throw new CliError('NO_PROCESS', `PID ${pid} exited while weft was attaching`, { pid });
    }
    for (const socket of listeningSockets(pid)) {
      if (known.has(socket.inode) || rejected.has(socket.inode)) continue;
      if (await isInspector(socket, timeoutMs)) return { socket, opened: true };
      rejected.add(socket.inode);
    }
    await sleep(20);
  }
  // Already open without a flag (inspector.open() in the program): SIGUSR1 changed nothing.
  const open = await findInspector(before, timeoutMs);
  if (open !== undefined) return { socket: open, opened: false };
  throw new CliError(
    'ATTACH',
    `The inspector of PID ${pid} did not open within ${timeoutMs} ms after SIGUSR1. Its port ` +
      '(9229 unless the process set --inspect-port) may be taken by another process: the ' +
      "target's stderr says so",
    { pid },
  );
}

/**
 * Evaluate `expression` in the main thread of Node process `pid` and return
 * its value, leaving the inspector as it found it: closed again if weft
 * opened it. Read-only as long as the expression is.
 *
 * @throws {CliError} `NO_PROCESS`, `NOT_NODE`, `PERMISSION` or `ATTACH`.
 *
 * @example
 * ```ts
 * import { evaluateInProcess } from '../../src/cli/attach.js';
 * import { CliError } from '../../src/cli/errors.js';
 *
 * try {
 *   await evaluateInProcess(2 ** 22 + 1, '1 + 1'); // above Linux's largest PID
 * } catch (err) {
 *   if (err instanceof CliError) console.log(err.code); // NO_PROCESS
 * }
 * ```
 */
export async function evaluateInProcess(
  pid: number,
  expression: string,
  options: AttachOptions = {},
): Promise<Evaluation> {
  const timeoutMs = options.timeoutMs ?? 5000;
  checkNodeProcess(pid);
  const { argv, nodeOptions } = commandLine(pid);
  const flag = inspectFlag(argv, nodeOptions);
  const before = listeningSockets(pid);
  const existing = flag === null ? undefined : await findInspector(before, timeoutMs, flag.port);
  const { socket, opened } =
    existing === undefined
      ? await openInspector(pid, before, timeoutMs)
      : { socket: existing, opened: false };
  const { port } = socket;
  const result: Evaluation = { value: undefined, port, opened, closed: false };
  try {
    await evaluateOn(socket, pid, expression, result, timeoutMs);
  } catch (err) {
    if (opened && !result.closed && err instanceof CliError) {
      err.message += `; the inspector weft opened on port ${port} may still be open`;
    }
    throw err;
  }
  return result;
}

async function evaluateOn(
  { host, port, inode }: ListeningSocket,
  pid: number,
  expression: string,
  result: Evaluation,
  timeoutMs: number,
): Promise<void> {
  const { opened } = result;
  let url: string;
  try {
    const targets = (await getJson(host, port, '/json/list', timeoutMs)) as Array<{
      webSocketDebuggerUrl?: string;
    }>;
    const found = targets.find((t) => typeof t.webSocketDebuggerUrl === 'string');
    if (found === undefined) throw new Error('no debuggable target listed');
    url = found.webSocketDebuggerUrl!;
  } catch (err) {
    throw new CliError('ATTACH', `The inspector of PID ${pid} (port ${port}) failed: ${err}`, {
      pid,
      cause: err,
    });
  }
  const session = await InspectorSession.open(url, pid, timeoutMs);
  try {
    const evaluation = session.evaluate(expression);
    // Sent at once so that it is queued even if the target's main thread is busy.
    // Its failure shows as the port still open, checked below.
    const closing = opened
      ? session.evaluate(CLOSE_INSPECTOR, { includeCommandLineAPI: true }).catch(() => undefined)
      : undefined;
    result.value = await evaluation;
    await closing;
  } finally {
    await session.close();
    if (opened) result.closed = await waitClosed(pid, inode, timeoutMs);
  }
}

/** Wait until the process no longer listens on the inspector's socket (or has exited). */
async function waitClosed(pid: number, inode: string, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (!listeningSockets(pid).some((s) => s.inode === inode)) return true;
    } catch {
      return !alive(pid);
    }
    if (performance.now() >= deadline) return false;
    await sleep(20);
  }
}
