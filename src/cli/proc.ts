/**
 * What the `weft` command reads about a process from Linux's `/proc`: that
 * it exists, that it is Node and handles `SIGUSR1`, whether it was started
 * with an `--inspect` flag, and which TCP ports it listens on.
 *
 * @module
 */

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { CliError } from './errors.js';

/** A listening TCP socket of a process. */
export interface ListeningSocket {
  /** The socket's inode (from `/proc/PID/fd`). */
  inode: string;
  /** The local port. */
  port: number;
  /** The address to connect to: `127.0.0.1` or `::1` (for a wildcard or loopback bind), else the bound address. */
  host: string;
}

/**
 * Map a failed system call on process `pid` to the command's error:
 * `ESRCH`/`ENOENT` mean the process is gone, `EPERM`/`EACCES` that it
 * belongs to another user. `action` says what failed (`signal PID 42`).
 *
 * @example
 * ```ts
 * import { errorFor } from '../../src/cli/proc.js';
 *
 * const denied = Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
 * console.log(errorFor(42, denied, 'signal PID 42').code); // PERMISSION
 * ```
 */
export function errorFor(pid: number, err: unknown, action: string): CliError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ESRCH' || code === 'ENOENT') {
    return new CliError('NO_PROCESS', `No process with PID ${pid}`, { pid, cause: err });
  }
  if (code === 'EPERM' || code === 'EACCES') {
    const hint =
      process.getuid?.() === 0
        ? 'even as root: the process may be in another user namespace or container'
        : `run weft as the user that runs PID ${pid}, or as root`;
    return new CliError('PERMISSION', `Permission denied: cannot ${action} (${hint})`, {
      pid,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError('ATTACH', `Cannot ${action}: ${message}`, { pid, cause: err });
}

function read(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch (err) {
    throw errorFor(pid, err, `read /proc/${pid}/${file}`);
  }
}

/**
 * Check that `pid` names a live Node process that handles `SIGUSR1`, so
 * that the signal opens its inspector instead of killing it. Returns the
 * path of its executable.
 *
 * @throws {CliError} `NO_PROCESS`, `NOT_NODE`, `PERMISSION`, or `ATTACH` when `SIGUSR1` is not handled.
 *
 * @example
 * ```ts
 * import { basename } from 'node:path';
 * import { checkNodeProcess } from '../../src/cli/proc.js';
 *
 * console.log(basename(checkNodeProcess(process.pid)).startsWith('node')); // true
 * ```
 */
export function checkNodeProcess(pid: number): string {
  try {
    process.kill(pid, 0);
  } catch (err) {
    throw errorFor(pid, err, `signal PID ${pid}`);
  }
  const status = read(pid, 'status');
  if (/^State:\s+Z/m.test(status)) {
    throw new CliError('NO_PROCESS', `PID ${pid} has exited (it is a zombie)`, { pid });
  }
  const stopped = /^State:\s+([Tt])/m.exec(status);
  if (stopped) {
    // A stopped process would open its inspector only once resumed, after weft gave up.
    throw new CliError(
      'ATTACH',
      `PID ${pid} is stopped (state ${stopped[1]}: SIGSTOP, Ctrl-Z or a tracer); resume it ` +
        `(kill -CONT ${pid}) and try again`,
      { pid },
    );
  }
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError('NOT_NODE', `PID ${pid} is not a Node process (it has no executable)`, {
        pid,
        cause: err,
      });
    }
    throw errorFor(pid, err, `read /proc/${pid}/exe`);
  }
  if (!/^node/i.test(basename(exe))) {
    throw new CliError('NOT_NODE', `PID ${pid} is not a Node process (its executable is ${exe})`, {
      pid,
    });
  }
  const caught = /^SigCgt:\s+([0-9a-f]+)/im.exec(status)?.[1];
  // SIGUSR1 is signal 10: bit 9 of the caught-signals mask.
  if (caught !== undefined && (BigInt(`0x${caught}`) & (1n << 9n)) === 0n) {
    throw new CliError(
      'ATTACH',
      `Node process ${pid} does not handle SIGUSR1 (started with --disable-sigusr1, or not yet ` +
        'initialised), so weft cannot open its inspector; sending the signal would kill it',
      { pid },
    );
  }
  return exe;
}

/**
 * The process's arguments (from `/proc/PID/cmdline`) and its `NODE_OPTIONS`
 * (from `/proc/PID/environ`).
 *
 * @example
 * ```ts
 * import { commandLine } from '../../src/cli/proc.js';
 *
 * console.log(commandLine(process.pid).argv.length > 1); // true
 * ```
 */
export function commandLine(pid: number): { argv: string[]; nodeOptions: string } {
  const argv = read(pid, 'cmdline').split('\0');
  if (argv.at(-1) === '') argv.pop();
  let nodeOptions = '';
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    nodeOptions = environ.find((v) => v.startsWith('NODE_OPTIONS='))?.slice(13) ?? '';
  } catch (err) {
    throw errorFor(pid, err, `read /proc/${pid}/environ`);
  }
  return { argv, nodeOptions };
}

/**
 * Whether a command line asks for the inspector at startup
 * (`--inspect`, `--inspect-brk`, `--inspect-wait`, with or without
 * `=[host:]port`), and on which port (`null` when the flag names none:
 * `--inspect-port`'s value, else 9229). `--inspect-port` alone only sets
 * the port for a later `SIGUSR1`, so it does not count.
 *
 * @example
 * ```ts
 * import { inspectFlag } from '../../src/cli/proc.js';
 *
 * console.log(inspectFlag(['node', '--inspect=9230', 'app.js'], '')); // { port: 9230 }
 * console.log(inspectFlag(['node', '--inspect-port=0', 'app.js'], '')); // null
 * ```
 */
export function inspectFlag(argv: readonly string[], nodeOptions: string): { port: number } | null {
  const { found, port } = inspectArgs(argv, nodeOptions);
  return found ? { port: port ?? 9229 } : null;
}

/**
 * The port `SIGUSR1` opens the process's inspector on: the one its
 * `--inspect-port` (or `--inspect=[host:]port`) names, else 9229; 0 means a
 * free port chosen when it opens.
 *
 * @example
 * ```ts
 * import { inspectPort } from '../../src/cli/proc.js';
 *
 * console.log(inspectPort(['node', 'app.js'], ''), inspectPort(['node', 'app.js'], '--inspect-port=0')); // 9229 0
 * ```
 */
export function inspectPort(argv: readonly string[], nodeOptions: string): number {
  return inspectArgs(argv, nodeOptions).port ?? 9229;
}

function inspectArgs(
  argv: readonly string[],
  nodeOptions: string,
): { found: boolean; port: number | null } {
  const args = [...nodeOptions.split(/\s+/).filter(Boolean), ...argv.slice(1)];
  let found = false;
  let port: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    const flag = /^--inspect(?:-brk|-wait)?(?:=(.*))?$/.exec(arg);
    const portFlag = /^--(?:inspect-port|debug-port)(?:=(.*))?$/.exec(arg);
    if (flag) {
      found = true;
      if (flag[1] !== undefined) port = portOf(flag[1]) ?? port;
    } else if (portFlag) {
      port = portOf(portFlag[1] ?? args[i + 1] ?? '') ?? port;
    }
  }
  return { found, port };
}

function portOf(hostPort: string): number | null {
  const match = /(?:^|:)(\d+)$/.exec(hostPort);
  return match ? Number(match[1]) : null;
}

/** The inodes of the sockets a process has open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    throw errorFor(pid, err, `list /proc/${pid}/fd`);
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

function hostOf(hex: string): string {
  if (hex.length === 8) {
    if (hex === '00000000') return '127.0.0.1';
    const bytes = Buffer.from(hex, 'hex').reverse();
    return [...bytes].join('.');
  }
  if (/^0{32}$/.test(hex) || hex === '00000000000000000000000001000000') return '::1';
  // An IPv4-mapped address (::ffff:a.b.c.d) keeps its IPv4 part last.
  if (hex.startsWith('0000000000000000FFFF0000')) return hostOf(hex.slice(24));
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const word = Buffer.from(hex.slice(i, i + 8), 'hex')
      .reverse()
      .toString('hex');
    words.push(word.slice(0, 4), word.slice(4));
  }
  return words.join(':');
}

/**
 * The TCP sockets the process listens on, read from its own network
 * namespace's `/proc/PID/net/tcp` and `tcp6`, matched by inode against its
 * open files.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:net';
 * import { listeningSockets } from '../../src/cli/proc.js';
 *
 * const server = createServer().listen(0, '127.0.0.1');
 * await new Promise((resolve) => server.once('listening', resolve));
 * const [socket] = listeningSockets(process.pid);
 * console.log(socket.host, socket.port === server.address().port); // 127.0.0.1 true
 * server.close();
 * ```
 */
export function listeningSockets(pid: number): ListeningSocket[] {
  const inodes = socketInodes(pid);
  const sockets: ListeningSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && table === 'tcp6') continue;
      throw errorFor(pid, err, `read /proc/${pid}/net/${table}`);
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      const [, local, , state, , , , , , inode] = fields;
      if (state !== '0A' || inode === undefined || !inodes.has(inode) || local === undefined) {
        continue;
      }
      const [address, port] = local.split(':');
      sockets.push({ inode, port: Number.parseInt(port!, 16), host: hostOf(address!) });
    }
  }
  return sockets;
}
