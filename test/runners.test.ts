import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(file: string, ...args: string[]): { child: ChildProcess; done: Promise<Outcome> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture(file), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const done = once(child, 'close').then(([code]) => ({
    code: code as number | null,
    stdout,
    stderr,
  }));
  return { child, done };
}

function untilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk;
      if (!seen.includes('ready')) return;
      child.stdout!.off('data', onData);
      resolve();
    };
    child.stdout!.on('data', onData);
  });
}

describe('runMain', { timeout: 60_000 }, () => {
  test('exit code 0 on success', async () => {
    const { code, stdout } = await start('run-main.ts', 'ok').done;
    assert.equal(code, 0);
    assert.equal(stdout, 'ok\n');
  });

  test('exit code 1 on error, with the error printed', async () => {
    const { code, stderr } = await start('run-main.ts', 'fail').done;
    assert.equal(code, 1);
    assert.match(stderr, /Error: script failed/);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} cancels main, runs its cleanup, exits 130`, async () => {
      const { child, done } = start('run-main.ts', 'wait');
      const ready = untilReady(child);
      await ready;
      child.kill(signal);
      const { code, stdout } = await done;
      assert.equal(code, 130);
      assert.match(stdout, /cleanup ran/);
    });
  }

  test('a second signal exits at once', async () => {
    const { child, done } = start('run-main.ts', 'stubborn');
    await untilReady(child);
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const { code, stderr } = await done;
    assert.equal(code, 130);
    assert.match(stderr, /again/);
  });
});

describe('unretrieved errors outside run()', { timeout: 60_000 }, () => {
  test('are reported as a WeftWarning before the process exits', async () => {
    const { code, stderr } = await start('unretrieved.ts').done;
    assert.equal(code, 0);
    assert.match(stderr, /WEFT_UNRETRIEVED_ERROR/);
    assert.match(stderr, /Task 'orphan'/);
    assert.match(stderr, /nobody looked/);
    assert.equal(stderr.match(/WEFT_UNRETRIEVED_ERROR/g)!.length, 1);
  });
});
