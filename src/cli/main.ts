/**
 * The `weft` command: parse the command line, read the target's snapshot,
 * print it, and turn every failure into a message and an exit status.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { HELP, parseCommand } from './args.js';
import { formatCycles } from './cycles.js';
import { CliError, EXIT_CODES } from './errors.js';
import { runJobs } from './jobs.js';
import { jobsArgs } from './jobs-args.js';
import { formatPs } from './ps.js';
import { buildTree, formatTree } from './pstree.js';
import { readSnapshot } from './read-snapshot.js';

/** Where the command writes. */
export interface Output {
  /** Results. */
  stdout: (text: string) => void;
  /** Errors and warnings. */
  stderr: (text: string) => void;
}

const processOutput: Output = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Run the `weft` command with `args` (the words after `weft`) and return
 * its exit status; output goes to `out` (the process's stdout and stderr by
 * default).
 *
 * @example
 * ```ts
 * import { main } from '../../src/cli/main.js';
 *
 * const printed: string[] = [];
 * const status = await main(['ps', 'x'], { stdout: (t) => printed.push(t), stderr: (t) => printed.push(t) });
 * console.log(status, printed.join('').trim()); // 2 weft: Expected `PID` to be a positive integer, got 'x' (see weft --help)
 * ```
 */
export async function main(args: readonly string[], out: Output = processOutput): Promise<number> {
  try {
    const jobs = jobsArgs(args);
    if (jobs !== undefined) return await runJobs(jobs, out);
    const command = parseCommand(args);
    if (command.command === 'help') {
      out.stdout(HELP[command.topic]);
      return 0;
    }
    if (command.command === 'version') {
      out.stdout(`${version()}\n`);
      return 0;
    }
    const { snapshot, opened, closed, shared } = await readSnapshot(command.pid, {
      timeoutMs: command.timeoutMs,
      limit: command.limit === 0 ? Number.POSITIVE_INFINITY : command.limit,
    });
    let status = 0;
    if (command.command === 'ps') {
      out.stdout(
        command.json ? `${JSON.stringify(snapshot, null, 2)}\n` : `${formatPs(snapshot)}\n`,
      );
    } else {
      const tree = buildTree(snapshot);
      out.stdout(
        command.json ? `${JSON.stringify(tree, null, 2)}\n` : `${formatTree(tree, snapshot)}\n`,
      );
      if (tree.cycles.length > 0) {
        out.stderr(`${formatCycles(tree.cycles).replace(/^/gm, 'weft: ')}\n`);
        status = EXIT_CODES.CYCLE;
      }
    }
    if (opened && !closed && !shared) {
      out.stderr(
        `weft: warning: the inspector weft opened in PID ${command.pid} did not close; ` +
          'it listens on 127.0.0.1 until the process ends\n',
      );
      status ||= EXIT_CODES.ATTACH;
    }
    return status;
  } catch (err) {
    if (err instanceof CliError) {
      out.stderr(`weft: ${err.message}\n`);
      return err.exitCode;
    }
    out.stderr(
      `weft: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}
