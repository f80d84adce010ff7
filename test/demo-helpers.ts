/** Helpers for the demo's tests: the demo (`npm start`) as a real process on this machine. */

import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, startServerProcess } from './web-helpers.js';

/** Debian's chromium, driven by playwright-core (`npm test` installs it). */
export const CHROMIUM = '/usr/bin/chromium';

export const FRAMEWORKS = ['node', 'express', 'fastify', 'hono'] as const;

export type Demo = ServerProcess;

let scratch: string | undefined;
let stores = 0;

/**
 * A fresh job store (`sqlite:` URL) in a temporary directory removed when
 * the test process exits: pass it as `WEFT_JOBS_URL`.
 */
export function tempJobsUrl(): string {
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'weft-demo-jobs-'));
    scratch = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return `sqlite:${join(scratch, `jobs-${++stores}.db`)}`;
}

/**
 * Start `demo/server.ts` on a free port and wait until it listens. Each
 * start gets its own job store unless `env` names one (`WEFT_JOBS_URL`).
 */
export async function startDemo(env: Record<string, string> = {}): Promise<Demo> {
  return startServerProcess('demo/server.ts', { PORT: '0', WEFT_JOBS_URL: tempJobsUrl(), ...env });
}

/** Kill the demo (no drain) and wait for it to be gone. */
export async function killDemo(demo: Demo): Promise<void> {
  demo.child.kill('SIGKILL');
  await demo.exited;
}

export async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  return res.json();
}

/** An IPv4 address of this machine that is not loopback, if it has one. */
export const externalAddress: string | undefined = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
