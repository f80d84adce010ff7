/**
 * `npm start`: run every example in this folder, one after the other, and
 * print its output. Exits non-zero if any example fails.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const self = basename(fileURLToPath(import.meta.url));
const examples = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== self && !f.endsWith('.worker.ts')) // worker modules are loaded by examples
  .sort();

let failed = 0;
for (const file of examples) {
  console.log(`=== ${file.replace(/\.ts$/, '')} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    failed++;
    console.log(`(exited with ${result.status ?? result.signal})`);
  }
  console.log();
}
if (failed > 0) {
  console.error(`${failed} example(s) failed`);
  process.exit(1);
}
