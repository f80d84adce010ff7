/**
 * The `weft` command line: what it accepts and its help texts.
 *
 * @module
 */

import { parseArgs } from 'node:util';
import { CliError, EXIT_CODES } from './errors.js';

/** A parsed command line. */
export type Command =
  | { command: 'help'; topic: 'weft' | 'ps' | 'pstree' }
  | { command: 'version' }
  | {
      command: 'ps' | 'pstree';
      /** The target process. */
      pid: number;
      /** Print JSON instead of text. */
      json: boolean;
      /** Milliseconds allowed for each attach step. */
      timeoutMs: number;
    };

/** Linux's largest possible PID (`pid_max` cannot exceed 2^22). */
const PID_MAX = 4_194_304;

/** The default of `--timeout`. */
export const DEFAULT_TIMEOUT_MS = 5000;

const ATTACH_NOTE = `How it attaches: weft sends SIGUSR1 to the process, which opens Node's
inspector on 127.0.0.1 (port 9229, or the process's --inspect-port), evaluates
one read-only expression through it, and closes the inspector again unless it
was already open. The process needs no flag; it must load weft and run as your
user (or you as root).`;

const EXIT_NOTE = `Exit status: 0 ok, ${EXIT_CODES.USAGE} bad arguments, ${EXIT_CODES.NO_PROCESS} no such process, ${EXIT_CODES.NOT_NODE} not a Node
process, ${EXIT_CODES.NO_WEFT} weft not loaded, ${EXIT_CODES.PERMISSION} permission denied, ${EXIT_CODES.ATTACH} attaching failed,
${EXIT_CODES.CYCLE} await cycle (pstree), 1 unexpected error.`;

const OPTIONS_NOTE = `Options:
  --json          print JSON instead of text
  --timeout MS    time allowed for each attach step (default ${DEFAULT_TIMEOUT_MS})
  -h, --help      show this help`;

/** The help text of each topic. */
export const HELP: Readonly<Record<'weft' | 'ps' | 'pstree', string>> = {
  weft: `weft: see what the weft tasks of a running Node process are doing

Usage:
  weft ps PID [--json] [--timeout MS]       a table of the tasks
  weft pstree PID [--json] [--timeout MS]   the tree of who awaits whom
  weft COMMAND --help                        help on a command
  weft jobs SUBCOMMAND [--url URL] [--json]  the durable jobs of a job store
                                             (weft/jobs): list, show ID,
                                             cancel ID, retry ID, counts;
                                             see weft jobs --help
  weft --version                             weft's version

${OPTIONS_NOTE}
  -V, --version   print weft's version

${ATTACH_NOTE}

${EXIT_NOTE}
`,
  ps: `Usage: weft ps PID [--json] [--timeout MS]

One line per pending task of process PID: ID, NAME, STATE (scheduled,
running or waiting, and "(cancelling)" once cancelled), PARENT (the task that
created it), GROUP (its task group), AGE, WAITING ON (a sleep and when it
ends, a lock, event, condition, semaphore or barrier by name, a queue,
another task, the tasks of a gather, a group, a plain promise) and, for tasks
created in debug mode, LOCATION (where it was created).

With --json, prints weft's snapshot of the process as JSON.

${OPTIONS_NOTE}

${ATTACH_NOTE}

${EXIT_NOTE}
`,
  pstree: `Usage: weft pstree PID [--json] [--timeout MS]

The tasks of process PID as a tree of who awaits whom. Roots are the tasks
nobody awaits; under a task come the tasks it awaits, its gathers and its
task groups with their tasks; the rest of what it waits on (a sleep, a lock,
a queue, a promise) is written on its line. A task shown twice is marked
"(see above)". Tasks that await each other in a ring are a deadlock: each
ring is printed to stderr and the exit status is ${EXIT_CODES.CYCLE}.

With --json, prints the tree as JSON: { pid, node, weft, takenAt, roots, cycles }.

${OPTIONS_NOTE}

${ATTACH_NOTE}

${EXIT_NOTE}
`,
};

function usage(message: string): CliError {
  return new CliError('USAGE', `${message} (see weft --help)`);
}

/**
 * Parse the arguments after `weft`.
 *
 * @throws {CliError} `USAGE` for anything it does not accept.
 *
 * @example
 * ```ts
 * import { parseCommand } from '../../src/cli/args.js';
 * import { CliError } from '../../src/cli/errors.js';
 *
 * console.log(parseCommand(['ps', '1234', '--json'])); // { command: 'ps', pid: 1234, json: true, timeoutMs: 5000 }
 * try {
 *   parseCommand(['ps', 'abc']);
 * } catch (err) {
 *   if (err instanceof CliError) console.log(err.message); // Expected `PID` to be a positive integer, got 'abc' (see weft --help)
 * }
 * ```
 */
export function parseCommand(args: readonly string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    const bad = /'(-\d[^']*)'/.exec(String(err))?.[1];
    if (bad !== undefined) throw usage(`Expected \`PID\` to be a positive integer, got '${bad}'`);
    throw usage(err instanceof Error ? err.message.replace(/\. To specify .*$/s, '') : String(err));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (command === undefined || command === 'help') {
    if (values.version && command === undefined) return { command: 'version' };
    if (values.help || command === 'help') {
      const topic = rest[0] ?? 'weft';
      if (topic !== 'weft' && topic !== 'ps' && topic !== 'pstree') {
        throw usage(`Unknown command '${topic}'`);
      }
      return { command: 'help', topic };
    }
    throw usage('Expected a command: ps, pstree or jobs');
  }
  if (command === 'jobs') throw usage('Put weft jobs first: weft jobs SUBCOMMAND [options]');
  if (command !== 'ps' && command !== 'pstree') throw usage(`Unknown command '${command}'`);
  if (values.help) return { command: 'help', topic: command };
  if (values.version) throw usage(`--version is not an option of weft ${command}`);
  if (rest.length === 0) throw usage(`Expected a PID: weft ${command} PID`);
  if (rest.length > 1) throw usage(`Expected one PID, got ${rest.length}: ${rest.join(' ')}`);
  const text = rest[0]!;
  const pid = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(pid) || pid < 1) {
    throw usage(`Expected \`PID\` to be a positive integer, got '${text}'`);
  }
  if (pid > PID_MAX) throw usage(`Expected \`PID\` to be at most ${PID_MAX}, got ${pid}`);
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (values.timeout !== undefined) {
    timeoutMs = Number(values.timeout);
    if (!/^\d+$/.test(values.timeout) || timeoutMs < 1 || !Number.isSafeInteger(timeoutMs)) {
      throw usage(
        `Expected \`--timeout\` to be a number of milliseconds >= 1, got '${values.timeout}'`,
      );
    }
  }
  return { command, pid, json: values.json === true, timeoutMs };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
}
