/** Helpers for the demo's tests: the demo (`npm start`) as a real process on this machine. */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './web-helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Debian's chromium, driven by playwright-core (`npm test` installs it). */
export const CHROMIUM = '/usr/bin/chromium';

export const FRAMEWORKS = ['node', 'express', 'fastify', 'hono'] as const;

export interface Demo {
  base: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

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
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', WEFT_JOBS_URL: tempJobsUrl(), ...env },
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
