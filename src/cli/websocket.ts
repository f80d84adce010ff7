/**
 * A minimal WebSocket client (RFC 6455) for talking to the Node inspector:
 * the upgrade handshake, masked text frames out, text frames in (fragmented
 * or not), ping/pong and the closing handshake. Node 20 has no WebSocket
 * client without a flag, and this is all the inspector needs.
 *
 * @module
 */

import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_MESSAGE = 512 * 1024 * 1024;

/** Frame opcodes. */
const Op = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const;

/** A WebSocket failure: the handshake was refused, a frame was malformed, or a step timed out. */
export class WebSocketError extends Error {
  /** The `ws://` address. */
  readonly url: string;

  constructor(message: string, url: string, options: { cause?: unknown } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'WebSocketError';
    this.url = url;
  }
}

/** Encode one client frame: FIN set, masked with a fresh key as RFC 6455 requires. */
function frame(op: number, payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLength + 4 + length);
  out[0] = 0x80 | op;
  if (length < 126) {
    out[1] = 0x80 | length;
  } else if (length < 0x10000) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, headerLength);
  for (let i = 0; i < length; i++) out[headerLength + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/**
 * An open WebSocket connection. Text messages arrive through the
 * `onMessage` callback given to {@link WebSocketClient.connect}; the
 * connection's end (clean or not) through `onClose`.
 *
 * @example
 * ```ts
 * import { WebSocketClient, WebSocketError } from '../../src/cli/websocket.js';
 *
 * // Nothing listens on port 1: the connection is refused.
 * try {
 *   await WebSocketClient.connect('ws://127.0.0.1:1/x', { timeoutMs: 1000, onMessage() {} });
 * } catch (err) {
 *   console.log(err instanceof WebSocketError); // true
 * }
 * ```
 */
export class WebSocketClient {
  #socket: Socket;
  /** Bytes received and not yet read as frames, in arrival order. */
  #chunks: Buffer[] = [];
  /** The number of bytes in {@link #chunks}. */
  #buffered = 0;
  /** Bytes needed before the next frame can be read (0: unknown yet). */
  #needed = 0;
  #fragments: Buffer[] = [];
  #closed = false;
  #closeSent = false;
  #onMessage: (text: string) => void;
  #onClose: (error: Error | null) => void;
  #closing: Array<() => void> = [];

  private constructor(
    socket: Socket,
    head: Buffer,
    onMessage: (text: string) => void,
    onClose: (error: Error | null) => void,
    readonly url: string,
  ) {
    this.#socket = socket;
    this.#onMessage = onMessage;
    this.#onClose = onClose;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (err) =>
      this.#end(new WebSocketError(`${err.message}`, url, { cause: err })),
    );
    socket.on('close', () => this.#end(null));
    if (head.length > 0) this.#receive(head);
  }

  /**
   * Open a connection to a `ws://` address.
   *
   * @param url - `ws://host:port/path`.
   * @param options.timeoutMs - how long the TCP connection and handshake may take.
   * @param options.onMessage - called with each text message.
   * @param options.onClose - called once when the connection ends, with an error unless it closed cleanly.
   */
  static connect(
    url: string,
    options: {
      timeoutMs: number;
      onMessage: (text: string) => void;
      onClose?: (error: Error | null) => void;
    },
  ): Promise<WebSocketClient> {
    const target = new URL(url);
    if (target.protocol !== 'ws:') {
      return Promise.reject(new WebSocketError(`Expected a ws:// address, got ${url}`, url));
    }
    const key = randomBytes(16).toString('base64');
    const expected = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    return new Promise((resolve, reject) => {
      const req = request({
        host: target.hostname,
        port: target.port || 80,
        path: target.pathname + target.search,
        agent: false,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': key,
          'Sec-WebSocket-Version': '13',
        },
      });
      const timer = setTimeout(() => {
        req.destroy(
          new WebSocketError(
            `No WebSocket handshake from ${url} within ${options.timeoutMs} ms`,
            url,
          ),
        );
      }, options.timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(
          err instanceof WebSocketError
            ? err
            : new WebSocketError(`Cannot connect to ${url}: ${err.message}`, url, { cause: err }),
        );
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        req.destroy();
        reject(
          new WebSocketError(`${url} answered HTTP ${res.statusCode} instead of upgrading`, url),
        );
      });
      req.on('upgrade', (res, socket, head) => {
        clearTimeout(timer);
        if (res.headers['sec-websocket-accept'] !== expected) {
          socket.destroy();
          reject(new WebSocketError(`${url} sent a wrong Sec-WebSocket-Accept`, url));
          return;
        }
        resolve(
          new WebSocketClient(socket, head, options.onMessage, options.onClose ?? (() => {}), url),
        );
      });
      req.end();
    });
  }

  /** Send a text message. */
  send(text: string): void {
    if (this.#closed || this.#closeSent) {
      throw new WebSocketError('The WebSocket is closed', this.url);
    }
    this.#socket.write(frame(Op.Text, Buffer.from(text, 'utf8')));
  }

  /**
   * Close the connection: send a close frame, wait for the server's (at most
   * `timeoutMs`), then close the TCP connection. Never rejects.
   */
  close(timeoutMs = 1000): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#closing.push(resolve);
      const timer = setTimeout(() => this.#socket.destroy(), timeoutMs);
      timer.unref();
      if (!this.#closeSent) {
        this.#closeSent = true;
        const code = Buffer.alloc(2);
        code.writeUInt16BE(1000);
        this.#socket.write(frame(Op.Close, code));
      }
    });
  }

  #end(error: Error | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#onClose(error);
    for (const resolve of this.#closing.splice(0)) resolve();
  }

  #fail(message: string): void {
    this.#end(new WebSocketError(message, this.url));
  }

  /**
   * Take in a chunk from the socket. Chunks are kept in a list and joined
   * once per frame, when the whole frame has arrived: reading a message of
   * n bytes costs O(n), however many chunks it comes in.
   */
  #receive(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (!this.#closed) {
      if (this.#buffered < this.#needed) return;
      const head = this.#peek(14);
      if (head.length < 2) return;
      const fin = (head[0]! & 0x80) !== 0;
      const op = head[0]! & 0x0f;
      const masked = (head[1]! & 0x80) !== 0;
      let length = head[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (head.length < 4) return;
        length = head.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (head.length < 10) return;
        const big = head.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE)) {
          this.#fail(`A frame of ${big} bytes is too large`);
          return;
        }
        length = Number(big);
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (this.#buffered < offset + length) {
        // Nothing more to do until the whole frame is here.
        this.#needed = offset + length;
        return;
      }
      this.#needed = 0;
      const buf = this.#take(offset + length);
      const payload = buf.subarray(offset);
      if (masked) {
        for (let i = 0; i < length; i++) payload[i] = payload[i]! ^ buf[maskOffset + (i & 3)]!;
      }
      this.#frame(fin, op, payload);
    }
  }

  /** The first `n` buffered bytes (fewer if fewer are buffered), joining only the chunks they span. */
  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length >= n || this.#chunks.length === 1) return first;
    const parts: Buffer[] = [];
    let have = 0;
    for (const chunk of this.#chunks) {
      parts.push(chunk);
      have += chunk.length;
      if (have >= n) break;
    }
    return Buffer.concat(parts, Math.min(have, n));
  }

  /** Remove the first `n` buffered bytes (n ≤ buffered) and return them as one buffer of their own. */
  #take(n: number): Buffer {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const chunk = this.#chunks[0]!;
      const want = n - have;
      if (chunk.length <= want) {
        parts.push(chunk);
        have += chunk.length;
        this.#chunks.shift();
      } else {
        parts.push(chunk.subarray(0, want));
        have = n;
        this.#chunks[0] = chunk.subarray(want);
      }
    }
    this.#buffered -= n;
    // A copy, so that unmasking in place never touches the socket's memory.
    return Buffer.concat(parts, n);
  }

  #frame(fin: boolean, op: number, payload: Buffer): void {
    switch (op) {
      case Op.Text:
      case Op.Binary:
      case Op.Continuation: {
        if (op !== Op.Continuation && this.#fragments.length > 0) {
          this.#fail('A new message started before the previous one ended');
          return;
        }
        if (op === Op.Continuation && this.#fragments.length === 0) {
          this.#fail('A continuation frame without a message');
          return;
        }
        this.#fragments.push(payload);
        if (!fin) return;
        const message = Buffer.concat(this.#fragments).toString('utf8');
        this.#fragments = [];
        this.#onMessage(message);
        return;
      }
      case Op.Ping:
        if (!this.#closeSent) this.#socket.write(frame(Op.Pong, payload));
        return;
      case Op.Pong:
        return;
      case Op.Close:
        if (!this.#closeSent) {
          this.#closeSent = true;
          this.#socket.write(frame(Op.Close, payload.subarray(0, 2)));
        }
        this.#socket.end();
        this.#end(null);
        return;
      default:
        this.#fail(`Unknown WebSocket opcode ${op}`);
    }
  }
}
