#!/usr/bin/env node
// `npm test` runs this first (the `pretest` script): the demo's /tasks page
// is tested in a real browser, Debian's chromium driven by playwright-core,
// never a browser downloaded by a test tool. When chromium is missing it is
// installed with apt if this user may (root, or sudo without a password);
// otherwise the test run stops here with the one command that fixes it,
// rather than skipping the browser test and passing without it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'sudo apt-get update && sudo apt-get install -y chromium';

function ok(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function version() {
  try {
    return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return `${CHROMIUM} (its version could not be read)`;
  }
}

if (existsSync(CHROMIUM)) {
  console.log(`browser for the demo test: ${version()}`);
  process.exit(0);
}

const root = process.getuid?.() === 0;
const hasApt = ok('sh', ['-c', 'command -v apt-get']);
const sudo = root ? [] : ['sudo', '-n'];
if (!hasApt || (!root && !ok('sudo', ['-n', 'true']))) {
  console.error(
    `${CHROMIUM} is missing. The demo's browser test needs Debian's chromium; install it with:\n\n    ${INSTALL}\n`,
  );
  process.exit(1);
}

function apt(args) {
  const [command, ...rest] = [...sudo, 'apt-get', ...args];
  return spawnSync(command, rest, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  }).status;
}

console.log(`${CHROMIUM} is missing: installing Debian's chromium with apt-get`);
// A stale package list is the usual reason the install cannot find chromium;
// an update that fails (offline mirror) still lets a cached list try.
apt(['update', '-qq']);
if (apt(['install', '-y', '-qq', 'chromium']) !== 0 || !existsSync(CHROMIUM)) {
  console.error(`Installing chromium failed. Install it by hand:\n\n    ${INSTALL}\n`);
  process.exit(1);
}
console.log(`browser for the demo test: ${version()}`);
