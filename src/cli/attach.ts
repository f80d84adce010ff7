/**
 * Attach to a running Node process through its inspector, evaluate
 * expressions, and detach — the mechanism of `node inspect -p PID`, without
 * any flag in the target:
 *
 * 1. An inspector already open (another `weft ps` is attached, or the
 *    process was started with `--inspect`) is found among the process's
 *    listening sockets and shared. Otherwise `SIGUSR1` makes Node open its
 *    inspector (on 127.0.0.1, port 9229 unless the target set
 *    `--inspect-port`); the new listening socket is found through
 *    `/proc/PID/fd` and `/proc/PID/net/tcp`.
 * 2. `GET /json/list` gives the WebSocket address; one WebSocket session
 *    registers itself in the target (`globalThis[Symbol.for('weft.attach')]`),
 *    then sends one `Runtime.evaluate` per expression.
 * 3. Leaving, the session unregisters; the last weft session to leave an
 *    inspector that weft opened schedules `inspector.close()` in the target,
 *    which ends the connection, and checks that the port is closed. So
 *    concurrent attaches to one process share its inspector and it closes
 *    once, after the last.
 *
 * Steps 1–2 and 3 hold a lock file per target (`lock.ts`): Node 20 can crash
 * when `SIGUSR1` arrives while its inspector closes.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { getJson, InspectorSession } from './cdp.js';
import { CliError } from './errors.js';
import { withAttachLock } from './lock.js';
import {
  checkNodeProcess,
  commandLine,
  errorFor,
  inspectFlag,
  inspectPort,
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
  /** Whether weft opened the inspector (this run or another one attached at the same time). */
  opened: boolean;
  /** Whether the inspector is closed again (always false when it was open before weft came). */
  closed: boolean;
  /**
   * Whether other weft sessions were still attached when this one left: the
   * inspector was left open for the last of them to close.
   */
  shared: boolean;
}

/** Evaluates expressions in the target, one `Runtime.evaluate` each. */
export type Evaluate = (expression: string) => Promise<unknown>;

/** Where the weft sessions attached to a process are registered, in the process. */
const REGISTRY = "globalThis[Symbol.for('weft.attach')]";

/**
 * Registers a session in the target: `{ owned, closing, sessions }`, where
 * `owned` says that weft opened the inspector (so weft closes it) and each
 * session is the attaching command's PID and a lease. Answers `closing`
 * when the last session has just scheduled the inspector's close: this one
 * must wait for it and attach again.
 */
function enterExpression(id: string, opened: boolean, leaseMs: number): string {
  return `(() => {
  const state = (${REGISTRY} ??= { owned: false, closing: false, sessions: new Map() });
  if (state.closing) return 'closing';
  if (${opened}) state.owned = true;
  state.sessions.set(${JSON.stringify(id)}, { pid: ${process.pid}, until: Date.now() + ${leaseMs} });
  return 'entered';
})()`;
}

/**
 * Unregisters a session, forgets those whose command has exited or whose
 * lease has run out, and, when none is left and weft opened the inspector,
 * closes it on the next turn of the event loop (after this answer has gone
 * out): `closing`. Otherwise `shared` (other sessions remain) or `kept`
 * (the process opened its inspector itself).
 */
function leaveExpression(id: string): string {
  return `(() => {
  const state = ${REGISTRY};
  if (state === undefined) return 'kept';
  state.sessions.delete(${JSON.stringify(id)});
  const now = Date.now();
  for (const [other, { pid, until }] of state.sessions) {
    let gone = until < now;
    try { process.kill(pid, 0); } catch (err) { gone ||= err.code === 'ESRCH'; }
    if (gone) state.sessions.delete(other);
  }
  if (state.sessions.size > 0) return 'shared';
  if (!state.owned || state.closing) return 'kept';
  state.closing = true;
  const inspector = typeof process.getBuiltinModule === 'function'
    ? process.getBuiltinModule('node:inspector')
    : require('node:inspector');
  setTimeout(() => {
    try {
      inspector.close();
    } finally {
      state.owned = false;
      state.closing = false;
    }
  }, 0).unref();
  return 'closing';
})()`;
}

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

/** How long to wait for a new socket after SIGUSR1 before looking for an inspector already open. */
const ALREADY_OPEN_GRACE_MS = 250;

/**
 * Open the target's inspector with SIGUSR1 and find its new listening
 * socket; or, when SIGUSR1 opens nothing new within a moment, the inspector
 * already open among the sockets it had before (another weft attached, or
 * `inspector.open()` in the program).
 */
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
  const start = performance.now();
  const deadline = start + timeoutMs;
  let looked = before.length === 0;
  while (performance.now() < deadline) {
    if (!alive(pid)) {
      throw new CliError('NO_PROCESS', `PID ${pid} exited while weft was attaching`, { pid });
    }
    for (const socket of listeningSockets(pid)) {
      if (known.has(socket.inode) || rejected.has(socket.inode)) continue;
      if (await isInspector(socket, timeoutMs)) return { socket, opened: true };
      rejected.add(socket.inode);
    }
    if (!looked && performance.now() - start >= Math.min(ALREADY_OPEN_GRACE_MS, timeoutMs)) {
      // SIGUSR1 changes nothing when the inspector is open already.
      looked = true;
      const still = new Set(listeningSockets(pid).map((s) => s.inode));
      const open = await findInspector(
        before.filter((s) => still.has(s.inode)),
        timeoutMs,
      );
      if (open !== undefined) return { socket: open, opened: false };
    }
    await sleep(20);
  }
  throw new CliError(
    'ATTACH',
    `The inspector of PID ${pid} did not open within ${timeoutMs} ms after SIGUSR1. Its port ` +
      '(9229 unless the process set --inspect-port) may be taken by another process: the ' +
      "target's stderr says so",
    { pid },
  );
}

/** The inspector closed while this attach was getting in: attach again. */
class Reattach extends Error {}

/** How many times an attach starts again when the inspector closes under it (another weft left). */
const ATTEMPTS = 4;

/**
 * Attach to Node process `pid`, call `use` with a function that evaluates
 * expressions in its main thread, and detach, leaving the inspector as it
 * found it: closed again if weft opened it (once no other weft is attached).
 * Read-only as long as the expressions are.
 *
 * @throws {CliError} `NO_PROCESS`, `NOT_NODE`, `PERMISSION` or `ATTACH`, or what `use` throws.
 *
 * @example
 * ```ts
 * import { withInspector } from '../../src/cli/attach.js';
 * import { CliError } from '../../src/cli/errors.js';
 *
 * try {
 *   await withInspector(2 ** 22 + 1, {}, (evaluate) => evaluate('1 + 1')); // above Linux's largest PID
 * } catch (err) {
 *   if (err instanceof CliError) console.log(err.code); // NO_PROCESS
 * }
 * ```
 */
export async function withInspector<T>(
  pid: number,
  options: AttachOptions,
  use: (evaluate: Evaluate) => Promise<T>,
): Promise<Omit<Evaluation, 'value'> & { value: T }> {
  const timeoutMs = options.timeoutMs ?? 5000;
  checkNodeProcess(pid);
  const { argv, nodeOptions } = commandLine(pid);
  const flag = inspectFlag(argv, nodeOptions);
  const expected = inspectPort(argv, nodeOptions);
  // Another weft command may hold the lock for a whole attach or leave: several steps.
  const lockWaitMs = timeoutMs * 4;
  // Interrupted (Ctrl-C, SIGTERM) while attaching or reading: finish attaching, leave, then
  // exit, so that the inspector does not stay open. A second signal ends the command at once.
  let interrupted: NodeJS.Signals | undefined;
  let onInterrupt = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  const onSignal = (signal: NodeJS.Signals) => onInterrupt(signal);
  const exitFor = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let attached: Attached | undefined;
    for (let attempt = 1; attached === undefined; attempt++) {
      try {
        attached = await withAttachLock(pid, lockWaitMs, async () => {
          const before = listeningSockets(pid);
          // Open already (another weft is attached)? Then no SIGUSR1: it would change nothing.
          const existing =
            flag !== null
              ? await findInspector(before, timeoutMs, flag.port)
              : await findInspector(
                  expected === 0 ? before : before.filter((s) => s.port === expected),
                  timeoutMs,
                );
          const { socket, opened } =
            existing === undefined
              ? await openInspector(pid, before, timeoutMs)
              : { socket: existing, opened: false };
          return enter(socket, pid, opened, timeoutMs);
        });
      } catch (err) {
        if (!(err instanceof Reattach)) throw err;
        if (attempt >= ATTEMPTS) {
          throw new CliError(
            'ATTACH',
            `The inspector of PID ${pid} kept closing while weft attached (${ATTEMPTS} tries)`,
            { pid },
          );
        }
      }
    }
    const session = attached;
    const leaving = () => leave(session, pid, timeoutMs);
    let left: Promise<Omit<Evaluation, 'value'>> | undefined;
    const detach = () => (left ??= withAttachLock(pid, lockWaitMs, leaving).catch(() => leaving()));
    if (interrupted !== undefined) {
      await detach();
      exitFor(interrupted);
    }
    onInterrupt = (signal) => {
      void detach().finally(() => exitFor(signal));
    };
    let value: T | undefined;
    let failure: { error: unknown } | undefined;
    try {
      value = await use((expression) => session.session.evaluate(expression));
    } catch (error) {
      failure = { error };
    }
    const result = await detach();
    if (failure !== undefined) {
      const { error } = failure;
      if (result.opened && !result.closed && !result.shared && error instanceof CliError) {
        error.message += `; the inspector weft opened on port ${result.port} may still be open`;
      }
      throw error;
    }
    return { ...result, value: value as T };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
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
export function evaluateInProcess(
  pid: number,
  expression: string,
  options: AttachOptions = {},
): Promise<Evaluation> {
  return withInspector(pid, options, (evaluate) => evaluate(expression));
}

/** A session registered in the target. */
interface Attached {
  session: InspectorSession;
  socket: ListeningSocket;
  /** Whether this command's SIGUSR1 opened the inspector. */
  opened: boolean;
  /** The session's key in the target's registry. */
  id: string;
}

/** Whether the process no longer listens on the socket (the inspector closed). */
function socketGone(pid: number, inode: string): boolean {
  try {
    return !listeningSockets(pid).some((s) => s.inode === inode);
  } catch {
    return false;
  }
}

/** Connect to the inspector and register the session in the target. */
async function enter(
  socket: ListeningSocket,
  pid: number,
  opened: boolean,
  timeoutMs: number,
): Promise<Attached> {
  const { host, port, inode } = socket;
  let url: string;
  try {
    const targets = (await getJson(host, port, '/json/list', timeoutMs)) as Array<{
      webSocketDebuggerUrl?: string;
    }>;
    const found = targets.find((t) => typeof t.webSocketDebuggerUrl === 'string');
    if (found === undefined) throw new Error('no debuggable target listed');
    url = found.webSocketDebuggerUrl!;
  } catch (err) {
    if (socketGone(pid, inode)) throw new Reattach();
    throw new CliError('ATTACH', `The inspector of PID ${pid} (port ${port}) failed: ${err}`, {
      pid,
      cause: err,
    });
  }
  let session: InspectorSession;
  try {
    session = await InspectorSession.open(url, pid, timeoutMs);
  } catch (err) {
    if (socketGone(pid, inode)) throw new Reattach();
    throw err;
  }
  const id = `${process.pid}-${randomBytes(6).toString('hex')}`;
  // A session is forgotten after this long even if its command is still alive.
  const leaseMs = Math.max(600_000, timeoutMs * 20);
  let entered: unknown;
  try {
    entered = await session.evaluate(enterExpression(id, opened, leaseMs));
  } catch (err) {
    await session.close();
    if (socketGone(pid, inode)) throw new Reattach();
    throw err;
  }
  if (entered === 'closing') {
    // Another command's last session is closing the inspector: let it, then open it again.
    await session.close();
    await waitClosed(pid, inode, timeoutMs);
    throw new Reattach();
  }
  return { session, socket, opened, id };
}

/** Unregister the session, disconnect, and wait for the inspector to close if this was the last. */
async function leave(
  { session, socket, opened, id }: Attached,
  pid: number,
  timeoutMs: number,
): Promise<Omit<Evaluation, 'value'>> {
  const result = { port: socket.port, opened, closed: false, shared: false };
  let left: unknown;
  try {
    left = await session.evaluate(leaveExpression(id), { includeCommandLineAPI: true });
  } catch {
    // The session broke: the inspector stays open for the next weft to close.
  }
  if (left === 'closing') {
    // The target closes the connection itself when it closes the inspector. Disconnecting
    // while inspector.close() runs can crash Node 20, so the command waits for it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      session.ended,
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
  await session.close();
  result.shared = left === 'shared';
  if (left === 'closing') {
    result.opened = true;
    result.closed = await waitClosed(pid, socket.inode, timeoutMs);
    // The port closes a moment before inspector.close() returns in the target: a SIGUSR1 from
    // the next command (which waits for the lock this one holds) must not land in between.
    await sleep(50);
  } else if (opened && !result.shared) {
    result.closed = socketGone(pid, socket.inode);
  }
  return result;
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
