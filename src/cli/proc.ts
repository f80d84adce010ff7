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

/** Map a failed system call to the command's error for that PID. */
export function errorFor(pid: number, err: unknown, what: string): CliError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ESRCH' || code === 'ENOENT') {
    return new CliError('NO_PROCESS', `No process with PID ${pid}`, { pid, cause: err });
  }
  if (code === 'EPERM' || code === 'EACCES') {
    return new CliError(
      'PERMISSION',
      `Permission denied to ${what} of PID ${pid}: run weft as the same user as the process (or as root)`,
      { pid, cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError('ATTACH', `Cannot ${what} of PID ${pid}: ${message}`, { pid, cause: err });
}

function read(pid: number, file: string, what: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch (err) {
    throw errorFor(pid, err, what);
  }
}

/**
 * Check that `pid` names a live Node process that handles `SIGUSR1`, so
 * that the signal opens its inspector instead of killing it. Returns the
 * path of its executable.
 */
export function checkNodeProcess(pid: number): string {
  try {
    process.kill(pid, 0);
  } catch (err) {
    throw errorFor(pid, err, 'signal the process');
  }
  const status = read(pid, 'status', 'read the status');
  if (/^State:\s+Z/m.test(status)) {
    throw new CliError('NO_PROCESS', `PID ${pid} has exited (it is a zombie)`, { pid });
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
    throw errorFor(pid, err, 'read the executable');
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

/** The process's arguments and its `NODE_OPTIONS`, as Node sees them. */
export function commandLine(pid: number): { argv: string[]; nodeOptions: string } {
  const argv = read(pid, 'cmdline', 'read the command line').split('\0');
  if (argv.at(-1) === '') argv.pop();
  let nodeOptions = '';
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    nodeOptions = environ.find((v) => v.startsWith('NODE_OPTIONS='))?.slice(13) ?? '';
  } catch (err) {
    throw errorFor(pid, err, 'read the environment');
  }
  return { argv, nodeOptions };
}

/**
 * Whether a command line asks for the inspector at startup
 * (`--inspect`, `--inspect-brk`, `--inspect-wait`, with or without
 * `=[host:]port`), and on which port (`null` when the flag names none:
 * `--inspect-port`'s value, else 9229). `--inspect-port` alone only sets
 * the port for a later `SIGUSR1`, so it does not count.
 */
export function inspectFlag(argv: readonly string[], nodeOptions: string): { port: number } | null {
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
  return found ? { port: port ?? 9229 } : null;
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
    throw errorFor(pid, err, 'list the open files');
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
      throw errorFor(pid, err, 'read the network table');
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
