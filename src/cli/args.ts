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
      /** `ps`: at most this many tasks (0: all of them); `pstree` always reads all (0). */
      limit: number;
    };

/** Linux's largest possible PID (`pid_max` cannot exceed 2^22). */
const PID_MAX = 4_194_304;

/** The default of `--timeout`. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** The default of `weft ps --limit`. */
export const DEFAULT_LIMIT = 5000;

const ATTACH_NOTE = `How it attaches: weft sends SIGUSR1 to the process, which opens Node's
inspector on 127.0.0.1 (port 9229, or the process's --inspect-port), evaluates
read-only expressions through it, and closes the inspector again unless it
was already open. Several weft commands attached at once share the inspector;
the last to leave closes it. The process needs no flag; it must load weft and
run as your user (or you as root).`;

const EXIT_NOTE = `Exit status: 0 ok, ${EXIT_CODES.USAGE} bad arguments, ${EXIT_CODES.NO_PROCESS} no such process, ${EXIT_CODES.NOT_NODE} not a Node
process, ${EXIT_CODES.NO_WEFT} weft not loaded, ${EXIT_CODES.PERMISSION} permission denied, ${EXIT_CODES.ATTACH} attaching failed,
${EXIT_CODES.CYCLE} await cycle (pstree), 1 unexpected error, 130 interrupted (143 on SIGTERM).`;

const LIMIT_NOTE = `
  --limit N       ps: at most N tasks, those with the smallest ids (default
                  ${DEFAULT_LIMIT}); the total is always shown. 0 for all
  --all           ps: every task (same as --limit 0)`;

const optionsNote = (limit: boolean) => `Options:
  --json          print JSON instead of text${limit ? LIMIT_NOTE : ''}
  --timeout MS    time allowed for each attach step (default ${DEFAULT_TIMEOUT_MS})
  -h, --help      show this help`;

/** The help text of each topic. */
export const HELP: Readonly<Record<'weft' | 'ps' | 'pstree', string>> = {
  weft: `weft: see what the weft tasks of a running Node process are doing

Usage:
  weft ps PID [--json] [--limit N | --all] [--timeout MS]
                                             a table of the tasks
  weft pstree PID [--json] [--timeout MS]    the tree of who awaits whom
  weft COMMAND --help                        help on a command
  weft jobs SUBCOMMAND [--url URL] [--json]  the durable jobs of a job store
                                             (weft/jobs): list, show ID,
                                             cancel ID, retry ID, counts;
                                             see weft jobs --help
  weft --version                             weft's version

${optionsNote(true)}
  -V, --version   print weft's version

${ATTACH_NOTE}

${EXIT_NOTE}
`,
  ps: `Usage: weft ps PID [--json] [--limit N | --all] [--timeout MS]

One line per pending task of process PID: ID, NAME, STATE (scheduled,
running or waiting, and "(cancelling)" once cancelled), PARENT (the task that
created it), GROUP (its task group), AGE, WAITING ON (a sleep and when it
ends, a lock, event, condition, semaphore or barrier by name, a queue,
another task, the tasks of a gather, a group, a plain promise) and, for tasks
created in debug mode, LOCATION (where it was created).

At most ${DEFAULT_LIMIT} tasks are listed unless --limit says otherwise (the
oldest: smallest ids first); a last line says how many of the total are
shown. weft reads the tasks in slices of a few thousand, so the process is
never held long, however many tasks it has.

With --json, prints weft's snapshot of the process as JSON; its "total"
counts every pending task, "tasks" holds those listed.

${optionsNote(true)}

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

pstree reads every task (in slices of a few thousand, so the process is
never held long).

${optionsNote(false)}

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
 * console.log(parseCommand(['ps', '1234', '--json'])); // { command: 'ps', pid: 1234, json: true, timeoutMs: 5000, limit: 5000 }
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
    const ambiguous = /Option '(--(?:limit|timeout))' argument is ambiguous/.exec(String(err))?.[1];
    if (ambiguous !== undefined) {
      const value = args[args.indexOf(ambiguous) + 1] ?? '';
      throw usage(`Expected \`${ambiguous}\` to be a number >= 0, got '${value}'`);
    }
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
  if (command === 'pstree') {
    for (const option of ['limit', 'all'] as const) {
      if (values[option] !== undefined) {
        throw usage(
          `--${option} is an option of weft ps, not of weft pstree (which shows every task)`,
        );
      }
    }
  }
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
  let limit = command === 'ps' ? DEFAULT_LIMIT : 0;
  if (values.limit !== undefined) {
    if (values.all) throw usage('Expected --limit or --all, not both');
    limit = Number(values.limit);
    if (!/^\d+$/.test(values.limit) || !Number.isSafeInteger(limit)) {
      throw usage(
        `Expected \`--limit\` to be a number of tasks >= 0 (0 for all), got '${values.limit}'`,
      );
    }
  } else if (values.all) {
    limit = 0;
  }
  return { command, pid, json: values.json === true, timeoutMs, limit };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
}
