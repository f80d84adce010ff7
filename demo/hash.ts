/**
 * `/hash`: CPU work on a worker thread while the server keeps answering.
 *
 *   curl '127.0.0.1:3000/hash?mb=256'            hashed on a worker: /gather still answers meanwhile
 *   curl '127.0.0.1:3000/hash?mb=256&on=main'    the same on the event loop: every request waits
 *
 * The pool is closed by the supervisor's shutdown, after the background
 * tasks; a client that disconnects cancels its job (the thread is
 * terminated and replaced).
 */

import { createHash } from 'node:crypto';
import type { Supervisor } from '../src/web/index.js';
import { move, WorkerQueueFullError, workerPool } from '../src/workers/index.js';
import { choiceParam, type DemoRoute, intParam } from './routes.js';

const MAX_MB = 1024;

export function hashRoutes(supervisor: Supervisor): Record<string, DemoRoute> {
  const pool = workerPool<typeof import('../examples/hash.worker.js')>(
    new URL('../examples/hash.worker.js', import.meta.url),
    { name: 'hash' },
  );
  supervisor.onShutdown(({ graceMs }) => pool.close({ graceMs }));

  return {
    '/hash': async ({ query }) => {
      const mb = intParam(query, 'mb', 64, 1, MAX_MB);
      const on = choiceParam(query, 'on', ['worker', 'main'] as const);
      const data = new Uint8Array(mb * 2 ** 20).fill(mb & 255);
      const started = performance.now();
      try {
        const sha256 =
          on === 'main'
            ? createHash('sha256').update(data).digest('hex')
            : await pool.run('sha256', move(data));
        const ms = Math.round(performance.now() - started);
        return { json: { mb, on, sha256, ms, pool: String(pool) } };
      } catch (err) {
        if (err instanceof WorkerQueueFullError) {
          return { status: 503, json: { error: err.message, maxQueue: err.maxQueue } };
        }
        throw err;
      }
    },
  };
}
