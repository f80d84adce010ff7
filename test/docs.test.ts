// The runnable examples in the guides run, and print what their comments say
// they print: `console.log(x); // printed` or, for a loop, comment lines that
// end the block.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { localImports } from './helpers.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = `${root}.tmp/docs-test`;

/** `console.log(...); // a b c` → the expected printed line `a b c` (text before any comma-note). */
function expectedLines(code: string): string[] {
  const lines: string[] = [];
  for (const line of code.split('\n')) {
    const match = /console\.log\(.*\/\/ (.+)$/.exec(line);
    if (match) lines.push(match[1]!.split(/,\s(?:not|say|as|after|both)\b/)[0]!.trim());
  }
  const trailing: string[] = [];
  for (const line of code.trimEnd().split('\n').reverse()) {
    const comment = /^\/\/ (.+)$/.exec(line);
    if (!comment) break;
    trailing.unshift(comment[1]!);
  }
  return [...lines, ...trailing];
}

for (const guide of [
  'cancellation',
  'sync',
  'web-background-tasks',
  'workers',
  'debugging',
  'jobs',
]) {
  const markdown = readFileSync(`${root}docs/${guide}.md`, 'utf8');
  const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

  describe(`docs/${guide}.md examples`, { timeout: 60_000 }, () => {
    blocks.forEach((code, i) => {
      // runMain exits the process on a signal: shown, not run here.
      if (code.includes('runMain')) return;
      test(`example ${i + 1}`, async () => {
        mkdirSync(scratch, { recursive: true });
        const file = `${scratch}/${guide}-${i}.ts`;
        writeFileSync(file, localImports(code));
        try {
          const { stdout } = await exec(process.execPath, ['--import', 'tsx', file], {
            cwd: root,
          });
          const printed = stdout.trimEnd().split('\n');
          assert.deepEqual(printed, expectedLines(code));
        } finally {
          rmSync(file, { force: true });
        }
      });
    });
  });
}
