// The runnable examples in docs/cancellation.md run, and print what their
// comments say they print.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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
  return lines;
}

const markdown = readFileSync(`${root}docs/cancellation.md`, 'utf8');
const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/cancellation.md examples', { timeout: 60_000 }, () => {
  blocks.forEach((code, i) => {
    // runMain exits the process on a signal: shown, not run here.
    if (code.includes('runMain')) return;
    test(`example ${i + 1}`, async () => {
      mkdirSync(scratch, { recursive: true });
      const file = `${scratch}/example-${i}.ts`;
      writeFileSync(file, code.replaceAll("from 'weft'", "from '../../src/index.js'"));
      try {
        const { stdout } = await exec(process.execPath, ['--import', 'tsx', file], { cwd: root });
        const printed = stdout.trimEnd().split('\n');
        assert.deepEqual(printed, expectedLines(code));
      } finally {
        rmSync(file, { force: true });
      }
    });
  });
});
