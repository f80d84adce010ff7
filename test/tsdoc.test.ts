// Every `@example` in the TSDoc of src/ runs, and prints what its
// `console.log(...) // comment` lines say. Examples that need a server of
// their own (they `fetch` 127.0.0.1:8080) or exit the process (`runMain`)
// are skipped.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { localImports } from './helpers.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = `${root}.tmp/tsdoc-test`;

function examplesOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(
    /@example\n((?:\s*\*.*\n)*?)\s*\*\/|@example\n((?:\s*\*.*\n)+?)\s*\*\s*@/g,
  )) {
    const body = (match[1] ?? match[2] ?? '')
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n');
    const code = /```ts\n([\s\S]*?)```/.exec(body);
    if (code) found.push(code[1]!);
  }
  return found;
}

function expectedLines(code: string): string[] {
  const lines: string[] = [];
  for (const line of code.split('\n')) {
    const match = /console\.log\(.*\/\/ (.+)$/.exec(line);
    if (match) lines.push(match[1]!);
  }
  // A loop's output is written as comment lines that end the example.
  return [...lines, ...trailingComments(code)];
}

function trailingComments(code: string): string[] {
  const trailing: string[] = [];
  for (const line of code.trimEnd().split('\n').reverse()) {
    const comment = /^\/\/ (.+)$/.exec(line);
    if (!comment) break;
    trailing.unshift(comment[1]!);
  }
  return trailing;
}

const files = (readdirSync(`${root}src`, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('internal'))
  .sort();

describe('TSDoc examples', { timeout: 600_000 }, () => {
  for (const file of files) {
    const examples = examplesOf(readFileSync(`${root}src/${file}`, 'utf8'));
    examples.forEach((code, i) => {
      const skip = code.includes("fetch('http://127.0.0.1:8080") || code.includes('runMain');
      test(`${file} example ${i + 1}`, {
        skip: skip && 'needs a server or exits the process',
      }, async () => {
        mkdirSync(scratch, { recursive: true });
        const path = `${scratch}/${file.replace(/\.ts$/, '').replaceAll('/', '-')}-${i}.ts`;
        writeFileSync(path, localImports(code));
        try {
          const { stdout } = await exec(process.execPath, ['--import', 'tsx', path], { cwd: root });
          const printed = stdout
            .trimEnd()
            .split('\n')
            .filter((l) => l !== '');
          const expected = expectedLines(code);
          assert.equal(printed.length, expected.length, `printed:\n${stdout}`);
          printed.forEach((line, j) => {
            assert.ok(
              expected[j]!.startsWith(line) ||
                line.startsWith(expected[j]!.split(/[,;(]| \.\.\./)[0]!.trim()),
              `line ${j + 1}: printed ${JSON.stringify(line)}, the comment says ${JSON.stringify(expected[j])}`,
            );
          });
        } finally {
          rmSync(path, { force: true });
        }
      });
    });
  }
});
