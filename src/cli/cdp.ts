/**
 * The Node inspector's two protocols, as far as the `weft` command needs
 * them: its HTTP endpoint (`/json/version`, `/json/list`) and a WebSocket
 * session that sends `Runtime.evaluate` and waits for the answer.
 *
 * @module
 */

import { request } from 'node:http';
import { CliError } from './errors.js';
import { WebSocketClient } from './websocket.js';

/**
 * GET a JSON document over HTTP, with a time limit.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { getJson } from '../../src/cli/cdp.js';
 *
 * const server = createServer((_req, res) => res.end('{"Browser":"node.js/v20"}'));
 * await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
 * const { port } = server.address() as { port: number };
 * console.log(await getJson('127.0.0.1', port, '/json/version', 1000)); // { Browser: 'node.js/v20' }
 * server.close();
 * ```
 */
export function getJson(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

type Answer = {
  id?: number;
  result?: {
    result?: { value?: unknown };
    exceptionDetails?: { text?: string; exception?: { description?: string } };
  };
  error?: { message?: string };
};

type Pending = { resolve: (answer: Answer) => void; reject: (err: Error) => void };

/**
 * One WebSocket session with the inspector of process `pid`. Every failure
 * is a {@link CliError} `ATTACH` that names the process.
 *
 * @example
 * ```ts
 * import { InspectorSession } from '../../src/cli/cdp.js';
 * import { CliError } from '../../src/cli/errors.js';
 *
 * try {
 *   await InspectorSession.open('ws://127.0.0.1:1/none', 42, 1000); // nothing listens on port 1
 * } catch (err) {
 *   if (err instanceof CliError) console.log(err.code); // ATTACH
 * }
 * ```
 */
export class InspectorSession {
  #pending = new Map<number, Pending>();
  #nextId = 0;
  #ws: WebSocketClient | undefined;
  #markEnded: () => void = () => {};
  /** Resolves when the connection has ended, whichever side closed it. */
  readonly ended: Promise<void> = new Promise((resolve) => {
    this.#markEnded = resolve;
  });

  private constructor(
    readonly pid: number,
    readonly timeoutMs: number,
  ) {}

  /** Connect to a `webSocketDebuggerUrl` from `/json/list`. */
  static async open(url: string, pid: number, timeoutMs: number): Promise<InspectorSession> {
    const session = new InspectorSession(pid, timeoutMs);
    try {
      session.#ws = await WebSocketClient.connect(url, {
        timeoutMs,
        onMessage: (text) => session.#receive(text),
        onClose: (error) => {
          const reason = error ?? new Error('the inspector closed the connection');
          for (const p of session.#pending.values()) p.reject(reason);
          session.#pending.clear();
          session.#markEnded();
        },
      });
    } catch (err) {
      throw new CliError('ATTACH', `Cannot open an inspector session in PID ${pid}: ${err}`, {
        pid,
        cause: err,
      });
    }
    return session;
  }

  #receive(text: string): void {
    let answer: Answer;
    try {
      answer = JSON.parse(text) as Answer;
    } catch {
      return;
    }
    const waiter = answer.id === undefined ? undefined : this.#pending.get(answer.id);
    if (waiter === undefined) return; // an event: none is enabled
    this.#pending.delete(answer.id!);
    waiter.resolve(answer);
  }

  /**
   * Send `Runtime.evaluate` at once and resolve with the expression's value
   * (`returnByValue`), or reject if it throws, is refused or gets no answer
   * within the session's time limit.
   */
  evaluate(
    expression: string,
    options: { includeCommandLineAPI?: boolean } = {},
  ): Promise<unknown> {
    const { pid, timeoutMs } = this;
    const id = ++this.#nextId;
    const answer = new Promise<Answer>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    this.#ws!.send(
      JSON.stringify({
        id,
        method: 'Runtime.evaluate',
        params: { expression, returnByValue: true, silent: true, ...options },
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new CliError(
            'ATTACH',
            `PID ${pid} did not answer within ${timeoutMs} ms (is its main thread blocked?)`,
            { pid },
          ),
        );
      }, timeoutMs);
    });
    return Promise.race([answer, late])
      .catch((err: unknown) => {
        if (err instanceof CliError) throw err;
        throw new CliError('ATTACH', `The inspector session with PID ${pid} failed: ${err}`, {
          pid,
          cause: err,
        });
      })
      .then((message) => evaluated(message, pid))
      .finally(() => clearTimeout(timer));
  }

  /** Close the WebSocket (never rejects). */
  close(): Promise<void> {
    return this.#ws?.close(this.timeoutMs) ?? Promise.resolve();
  }
}

function evaluated(answer: Answer, pid: number): unknown {
  if (answer.error !== undefined) {
    throw new CliError('ATTACH', `The inspector of PID ${pid} refused: ${answer.error.message}`, {
      pid,
    });
  }
  const details = answer.result?.exceptionDetails;
  if (details !== undefined) {
    const description = details.exception?.description ?? details.text ?? 'an exception';
    throw new CliError('ATTACH', `The evaluation in PID ${pid} threw: ${description}`, { pid });
  }
  return answer.result?.result?.value;
}
