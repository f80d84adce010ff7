/** Helpers for the web adapter tests: real servers on 127.0.0.1, real HTTP. */

import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { CancelledError, currentSignal, sleep } from '../src/index.js';
import type { Logger } from '../src/web/index.js';

/** Listen on a free port of 127.0.0.1; resolves with the base URL. */
export function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/** A logger that keeps what it is told. */
export function memoryLogger(): Logger & {
  errors: string[];
  warnings: string[];
  debugs: string[];
} {
  const errors: string[] = [];
  const warnings: string[] = [];
  const debugs: string[] = [];
  return {
    errors,
    warnings,
    debugs,
    error: (message: string) => errors.push(message),
    warn: (message: string) => warnings.push(message),
    debug: (message: string) => debugs.push(message),
  };
}

/** Resolve once `check()` is true (polling every few ms), or reject after `ms`. */
export async function eventually(check: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Send a GET and destroy the connection after `afterMs`, before any
 * response: the client disconnects mid-request.
 */
export function abandon(url: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url);
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.end();
    setTimeout(() => req.destroy(), afterMs);
  });
}

/** A handler waiting like a driver that only knows AbortSignal: until the request's signal aborts. */
export function untilAborted(): Promise<AbortSignal> {
  const signal = currentSignal()!;
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal)));
}

/**
 * A handler that waits outside weft until the client left, lets that turn
 * pass, then reaches a checkpoint; records whether the checkpoint threw
 * `CancelledError`.
 */
export async function checkpointAfterDisconnect(events: string[]): Promise<void> {
  await untilAborted();
  await new Promise((resolve) => setImmediate(resolve)); // still outside weft
  try {
    await sleep(1);
    events.push('not cancelled');
  } catch (err) {
    events.push(`cancelled: ${err instanceof CancelledError}`);
  }
}

/** A server script running as its own process (the demo, a test fixture). */
export interface ServerProcess {
  base: string;
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Run `script` (a TypeScript file, from the project's root) with `env` and
 * wait until it prints `listening on http://…`.
 */
export async function startServerProcess(
  script: string,
  env: Record<string, string | undefined>,
): Promise<ServerProcess> {
  const root = new URL('..', import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await eventually(() => /listening on (http:\/\/\S+)/.test(output), 15_000);
  const base = /listening on (http:\/\/\S+)/.exec(output)![1]!;
  return { base, child, output: () => output, exited };
}
