/**
 * A worker process of `npm run bench:jobs` (forked by `run.ts`, with an IPC
 * channel): opens the store, starts one worker for the bench job, and
 * records every handler start. Protocol: it sends `ready` once the store is
 * open; `go` starts the worker; `stop` stops it (running handlers finish),
 * after which it sends its `report` and exits.
 *
 * Usage (by run.ts only): node --import tsx bench/jobs/worker.ts
 *   --contender ID --store STORE --concurrency N --poll-ms MS
 */

import './driver.js';
import { numberArg, textArg } from '../stats.js';
import { type BenchWorker, monoNow, wallNow } from './contender.js';
import { loadContender } from './contenders.js';

export type ToWorker = { type: 'go' } | { type: 'stop' };

export interface WorkerReport {
  type: 'report';
  pid: number;
  /** Ids whose handler started here, in start order (an id twice: it ran twice). */
  ids: string[];
  /** Wall-clock ms of the first and last handler start. */
  firstStart: number | undefined;
  lastStart: number | undefined;
  /** For payloads that carry an enqueue time: handler start − enqueue call, ms. */
  latencies: number[];
  failed: number;
}

export type FromWorker = { type: 'ready' } | WorkerReport;

const send = (message: FromWorker): Promise<void> =>
  new Promise((resolve, reject) =>
    process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );

if (process.send === undefined)
  throw new Error('bench/jobs/worker.ts runs forked by bench/jobs/run.ts');

const contender = await loadContender(textArg('contender', ''));
const client = await contender.open(textArg('store', ''));
const ids: string[] = [];
const latencies: number[] = [];
let firstStart: number | undefined;
let lastStart: number | undefined;
let worker: BenchWorker | undefined;

process.on('message', (message: ToWorker) => {
  if (message.type === 'go' && worker === undefined) {
    worker = client.work({
      concurrency: numberArg('concurrency', 24),
      pollMs: numberArg('poll-ms', 1000),
      onStart: (payload, id) => {
        const wall = wallNow();
        if (payload.t > 0) latencies.push(monoNow() - payload.t);
        firstStart ??= wall;
        lastStart = wall;
        ids.push(id);
      },
    });
  } else if (message.type === 'stop') {
    void (async () => {
      await worker?.stop();
      const failed = worker?.failed() ?? 0;
      await client.close();
      await send({
        type: 'report',
        pid: process.pid,
        ids,
        firstStart,
        lastStart,
        latencies,
        failed,
      });
      process.disconnect();
    })();
  }
});
await send({ type: 'ready' });
