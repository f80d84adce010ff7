/**
 * The `weft` command's errors: one class, a code per failure, and the exit
 * status each code maps to.
 *
 * @module
 */

/** Why `weft ps`, `weft pstree` or `weft jobs` failed. */
export type CliErrorCode =
  /** The command line is wrong (unknown command or option, PID not an integer). */
  | 'USAGE'
  /** No process has that PID. */
  | 'NO_PROCESS'
  /** The process is not a Node process, or cannot be attached to safely. */
  | 'NOT_NODE'
  /** The process is Node but has not loaded weft. */
  | 'NO_WEFT'
  /** Signalling the process or reading its `/proc` entries was refused. */
  | 'PERMISSION'
  /** The inspector did not open, answer or behave as expected. */
  | 'ATTACH'
  /** `pstree`: tasks await each other in a cycle (a deadlock). */
  | 'CYCLE'
  /** `jobs`: no job store at the URL (no such file, or a file weft did not make a store of). */
  | 'NO_STORE'
  /** `jobs`: the store cannot be opened or read (not SQLite, a newer schema, no driver). */
  | 'STORE'
  /** `jobs`: no job has the id. */
  | 'NO_JOB'
  /** `jobs cancel`: the job had already finished. */
  | 'FINISHED'
  /** `jobs retry`: the job is not failed or cancelled, or its key is taken. */
  | 'NOT_RETRYABLE';

/** The exit status of each {@link CliErrorCode}; 1 is left to unexpected failures. */
export const EXIT_CODES: Readonly<Record<CliErrorCode, number>> = {
  USAGE: 2,
  NO_PROCESS: 3,
  NOT_NODE: 4,
  NO_WEFT: 5,
  PERMISSION: 6,
  ATTACH: 7,
  CYCLE: 8,
  NO_STORE: 9,
  STORE: 10,
  NO_JOB: 11,
  FINISHED: 12,
  NOT_RETRYABLE: 13,
};

/** Options for {@link CliError}. */
export interface CliErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
  /**
   * The target's PID, when there is one.
   * @default null
   */
  pid?: number | null;
}

/**
 * A failure the `weft` command reports with a message and a distinct exit
 * status (see {@link EXIT_CODES}).
 *
 * @example
 * ```ts
 * import { CliError } from '../../src/cli/errors.js';
 *
 * const err = new CliError('NO_PROCESS', 'no process with PID 999999', { pid: 999999 });
 * console.log(err.name, err.code, err.exitCode); // CliError NO_PROCESS 3
 * ```
 */
export class CliError extends Error {
  /** What went wrong. */
  readonly code: CliErrorCode;
  /** The process exit status for {@link code}. */
  readonly exitCode: number;
  /** The target's PID, or null. */
  readonly pid: number | null;

  constructor(code: CliErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = EXIT_CODES[code];
    this.pid = options.pid ?? null;
  }
}
