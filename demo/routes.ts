/**
 * The demo's routes, written once: each framework mounts them through its
 * weft adapter (see ./frameworks.ts).
 */

import { CancelledError, createTask, currentTask, gather, sleep, snapshot } from '../src/index.js';
import type { BackgroundTasks, Supervisor } from '../src/web/index.js';
import { hashRoutes } from './hash.js';
import { renderTasksPage } from './tasks-page.js';

/** What a demo route gets from the adapter. */
export interface DemoRequest {
  backgroundTasks: BackgroundTasks;
  query: URLSearchParams;
  /** The client's address (`socket.remoteAddress`). */
  remote: string | undefined;
  /** The path's `:name` segments, for routes such as `POST /jobs/:id/cancel`. */
  params: Record<string, string>;
}

/** Loopback clients only: the debug view shows task names and stacks. */
export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** What a demo route answers. */
export interface DemoResponse {
  status?: number;
  json?: unknown;
  html?: string;
  /** Extra response headers (e.g. `location` with a 303). */
  headers?: Record<string, string>;
}

export type DemoRoute = (req: DemoRequest) => Promise<DemoResponse> | DemoResponse;

/** A query value a route cannot use: every framework answers it with 400 and the message. */
export class BadRequest extends Error {
  override name = 'BadRequest';
}

/**
 * The query value `name` as a whole number from `min` to `max` (`fallback`
 * when absent). Anything else (`abc`, `NaN`, `-5`, `1e400`, `2.5`) throws
 * {@link BadRequest}.
 */
export function intParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BadRequest(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** The query value `name`, one of `allowed` (`allowed[0]` when absent). */
export function choiceParam<T extends string>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[],
): T {
  const raw = query.get(name);
  if (raw === null) return allowed[0]!;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new BadRequest(
      `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as T;
}

/** The longest /slow request and /report job, in milliseconds (10 minutes). */
const MAX_MS = 600_000;

/** The seed's background function. */
function writeNotification(name: string): void {
  console.log(`Hello ${name}, this is a background task.`);
}

/** The seed's `fetch_data`: sleeps, then returns 'Data'. */
async function fetchData(): Promise<string> {
  await sleep(100);
  return 'Data';
}

export function demoRoutes(supervisor: Supervisor): Record<string, DemoRoute> {
  return {
    '/': ({ backgroundTasks }) => {
      backgroundTasks.addTask(writeNotification, 'FastAPI User');
      return { json: { message: 'Task is running in the background' } };
    },

    '/flask': async () => {
      const task = createTask(fetchData);
      const data = await task;
      return { json: { data } };
    },

    '/fastapi': async () => {
      const task = createTask(fetchData, { name: 'fetch_data' });
      const data = await task;
      return { json: { data, task: task.name } };
    },

    '/gather': async () => {
      const started = performance.now();
      const [a, b] = await gather(
        () => sleep(200, 'first'),
        () => sleep(100, 'second'),
      );
      return { json: { results: [a, b], ms: Math.round(performance.now() - started) } };
    },

    '/slow': async ({ query }) => {
      const ms = intParam(query, 'ms', 5_000, 0, MAX_MS);
      try {
        await sleep(ms); // a disconnect cancels the request's task: this rejects at once
        return { json: { slept: ms } };
      } catch (err) {
        if (err instanceof CancelledError) {
          console.log(`${currentTask()?.name}: cancelled, the client went away`);
        }
        throw err;
      }
    },

    '/report': ({ backgroundTasks, query }) => {
      const ms = intParam(query, 'ms', 3_000, 0, MAX_MS);
      backgroundTasks.addTask(async () => {
        await sleep(ms);
        console.log(`report ready after ${ms} ms`);
      });
      return { status: 202, json: { queued: 'report', ms } };
    },

    '/fail': ({ backgroundTasks }) => {
      backgroundTasks.addTask(async () => {
        await sleep(10);
        throw new Error('the mail server said no');
      });
      return { status: 202, json: { queued: 'a task that fails' } };
    },

    '/tasks': () => ({ html: renderTasksPage(supervisor) }),

    '/tasks.json': () => ({ json: { stats: supervisor.stats(), tasks: supervisor.recent() } }),

    // What `weft ps` shows, from inside: every pending task and what it waits on.
    '/debug/tasks': ({ remote }) =>
      isLoopback(remote)
        ? { json: snapshot() }
        : { status: 403, json: { error: '/debug/tasks answers loopback clients only' } },

    ...hashRoutes(supervisor),
  };
}
