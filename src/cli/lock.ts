/**
 * A lock per target process, shared by every `weft` command on the machine:
 * a file created exclusively in the temporary directory. It keeps two
 * commands from signalling the same process while its inspector closes
 * (Node can crash when `SIGUSR1` arrives during `inspector.close()`).
 *
 * @module
 */

import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './errors.js';

/** A lock file older than this is stale whoever holds it (a step never takes this long). */
const STALE_MS = 120_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function holderGone(path: string): boolean {
  try {
    if (Date.now() - statSync(path).mtimeMs > STALE_MS) return true;
    const holder = Number(readFileSync(path, 'utf8'));
    if (!Number.isSafeInteger(holder) || holder < 1) return false; // being written
    process.kill(holder, 0);
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ESRCH';
  }
}

/**
 * Run `fn` while holding the attach lock of process `pid`: wait (at most
 * `timeoutMs`) while another `weft` command holds it; a lock left by a
 * command that has exited is taken over.
 *
 * @throws {CliError} `ATTACH` when the lock is still held after `timeoutMs`.
 *
 * @example
 * ```ts
 * import { withAttachLock } from '../../src/cli/lock.js';
 *
 * console.log(await withAttachLock(process.pid, 1000, async () => 'locked')); // locked
 * ```
 */
export async function withAttachLock<T>(
  pid: number,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const path = join(tmpdir(), `weft-attach-${pid}.lock`);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      // Readable by all: a command run by another user can tell whether its holder still runs.
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        // No usable temporary directory: go on without the lock rather than fail.
        return fn();
      }
    }
    if (holderGone(path)) {
      try {
        unlinkSync(path);
      } catch {
        // another command took it over first
      }
      continue;
    }
    if (performance.now() >= deadline) {
      throw new CliError(
        'ATTACH',
        `Another weft command is attaching to PID ${pid} and did not finish within ${timeoutMs} ms ` +
          `(lock file ${path})`,
        { pid },
      );
    }
    await sleep(10);
  }
  try {
    return await fn();
  } finally {
    try {
      if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
    } catch {
      // already gone
    }
  }
}
