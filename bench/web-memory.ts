/**
 * In-memory HTTP connections for bench:web: a server gets a pair of
 * `Duplex` streams instead of a TCP socket (`server.emit('connection')`,
 * as Node's own tests do), and the client side writes requests and counts
 * responses in the same thread. No kernel, no loopback, no second thread:
 * what is left is the JavaScript each request costs (Node's HTTP parser
 * and response, the framework, weft's adapter) and its garbage collection,
 * measured with `process.cpuUsage()`. On a shared virtual machine this is
 * far steadier than CPU per request under TCP load, whose syscalls and
 * wake-ups move by more than weft's whole cost, and whose batching changes
 * with the server's speed.
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Server } from 'node:http';
import { Duplex } from 'node:stream';

/** One end of an in-memory connection: what is written to it, its peer reads. */
class MemorySocket extends Duplex {
  peer: MemorySocket | undefined;
  // Read by frameworks that log or check the client's address.
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.peer?.push(chunk);
    done();
  }

  override _read(): void {}
}

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
const STATUS = 'HTTP/1.1 ';
const OK = 'HTTP/1.1 200 ';

/**
 * Writes happen where a TCP socket's reads would: in the root async
 * context. Without this, the next request would be parsed inside the
 * previous response's context, that is inside the previous request's weft
 * task, which no real server does.
 */
const fromRoot = AsyncLocalStorage.snapshot();

/** What one {@link drive} saw. */
export interface Driven {
  /** Responses received. */
  responses: number;
  /** Responses whose status was not 200. */
  notOk: number;
}

/**
 * Send `total` GET requests to `server` over `connections` in-memory
 * keep-alive connections, each one request at a time, and resolve once
 * every response has arrived. The connections are destroyed at the end.
 */
export function drive(server: Server, connections: number, total: number): Promise<Driven> {
  return new Promise((resolve) => {
    let left = total;
    let inFlight = 0;
    const seen: Driven = { responses: 0, notOk: 0 };
    const sockets: MemorySocket[] = [];
    const send = (client: MemorySocket): void => {
      left--;
      inFlight++;
      fromRoot(() => client.write(REQUEST));
    };
    for (let i = 0; i < Math.min(connections, total); i++) {
      const client = new MemorySocket();
      const end = new MemorySocket();
      client.peer = end;
      end.peer = client;
      sockets.push(client, end);
      // The previous chunk's last bytes, too few to hold a whole status
      // marker: one split across two chunks still counts, and only once.
      let carry = '';
      client.on('data', (chunk: Buffer) => {
        const text = carry + chunk.toString('latin1');
        let statuses = 0;
        for (let at = text.indexOf(STATUS); at !== -1; at = text.indexOf(STATUS, at + 1)) {
          statuses++;
          // (A status code not yet arrived counts as 200: Node writes the status line whole.)
          if (at + OK.length <= text.length && !text.startsWith(OK, at)) seen.notOk++;
        }
        carry = text.slice(-(STATUS.length - 1));
        seen.responses += statuses;
        inFlight -= statuses;
        for (let k = 0; k < statuses && left > 0; k++) send(client);
        if (left === 0 && inFlight === 0) {
          for (const socket of sockets) socket.destroy();
          resolve(seen);
        }
      });
      server.emit('connection', end);
      send(client);
    }
  });
}
