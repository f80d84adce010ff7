/**
 * weft's demo: a small web app (`npm start`) on 127.0.0.1:3000.
 *
 *   PORT=8080 npm start        another port
 *   GRACE_MS=2000 npm start    grace period for Ctrl-C / SIGTERM
 *
 * Routes (curl lines in the README):
 *   GET /          FastAPI's BackgroundTasks example: answers at once, then prints a greeting
 *   GET /flask     create a task, await it, return its result (Flask's asyncio pattern)
 *   GET /fastapi   the same in FastAPI's style, with the task's name in the answer
 *   GET /gather    two tasks at once; the answer comes after the slower one
 *   GET /slow      sleeps 5 s (?ms=); disconnect and the handler is cancelled
 *   GET /report    queues a background job of ?ms= (default 3000) milliseconds
 *   GET /fail      queues a background job that fails: reported, never silent
 *   GET /tasks     HTML page of recent background tasks, refreshing itself
 *   GET /tasks.json  the same as JSON
 *
 * Ctrl-C (or SIGTERM) stops accepting connections, lets requests in flight
 * finish, drains background work within GRACE_MS, then exits 0 (or 1 if
 * work had to be cancelled).
 */

import { createServer, type ServerResponse } from 'node:http';
import { CancelledError, createTask, currentTask, gather, sleep } from '../src/index.js';
import { installShutdownHandlers, Supervisor } from '../src/web/index.js';
import { type RequestContext, withBackgroundTasks } from '../src/web/node/index.js';
import { renderTasksPage } from './tasks-page.js';

const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST ?? '127.0.0.1';
const GRACE_MS = Number(process.env.GRACE_MS ?? 10_000);

const supervisor = new Supervisor({ concurrency: 4, maxPending: 100, historySize: 50 });

function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The seed's background function. */
function writeNotification(name: string): void {
  console.log(`Hello ${name}, this is a background task.`);
}

/** The seed's `fetch_data`: sleeps, then returns 'Data'. */
async function fetchData(): Promise<string> {
  await sleep(100);
  return 'Data';
}

type Route = (
  res: ServerResponse,
  ctx: RequestContext,
  query: URLSearchParams,
) => Promise<void> | void;

const routes: Record<string, Route> = {
  '/': (res, { backgroundTasks }) => {
    backgroundTasks.addTask(writeNotification, 'FastAPI User');
    json(res, { message: 'Task is running in the background' });
  },

  '/flask': async (res) => {
    const task = createTask(fetchData);
    const data = await task;
    json(res, { data });
  },

  '/fastapi': async (res) => {
    const task = createTask(fetchData, { name: 'fetch_data' });
    const data = await task;
    json(res, { data, task: task.name });
  },

  '/gather': async (res) => {
    const started = performance.now();
    const [a, b] = await gather(
      () => sleep(200, 'first'),
      () => sleep(100, 'second'),
    );
    json(res, { results: [a, b], ms: Math.round(performance.now() - started) });
  },

  '/slow': async (res, _ctx, query) => {
    const ms = Number(query.get('ms') ?? 5_000);
    try {
      await sleep(ms); // a disconnect cancels the request's task: this rejects at once
      json(res, { slept: ms });
    } catch (err) {
      if (err instanceof CancelledError)
        console.log(`${currentTask()?.name}: cancelled, the client went away`);
      throw err;
    }
  },

  '/report': (res, { backgroundTasks }, query) => {
    const ms = Number(query.get('ms') ?? 3_000);
    backgroundTasks.addTask(async () => {
      await sleep(ms);
      console.log(`report ready after ${ms} ms`);
    });
    json(res, { queued: 'report', ms }, 202);
  },

  '/fail': (res, { backgroundTasks }) => {
    backgroundTasks.addTask(async () => {
      await sleep(10);
      throw new Error('the mail server said no');
    });
    json(res, { queued: 'a task that fails' }, 202);
  },

  '/tasks': (res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(renderTasksPage(supervisor));
  },

  '/tasks.json': (res) => {
    json(res, { stats: supervisor.stats(), tasks: supervisor.recent() });
  },
};

const server = createServer(
  withBackgroundTasks(
    async (req, res, ctx) => {
      const url = new URL(req.url ?? '/', `http://${HOST}`);
      const route = req.method === 'GET' ? routes[url.pathname] : undefined;
      if (route === undefined) {
        json(res, { error: `no route for ${req.method} ${url.pathname}` }, 404);
        return;
      }
      await route(res, ctx, url.searchParams);
    },
    { supervisor },
  ),
);

installShutdownHandlers(server, supervisor, { graceMs: GRACE_MS });

server.listen(PORT, HOST, () => {
  const { port } = server.address() as { port: number };
  console.log(`weft demo listening on http://${HOST}:${port} (Ctrl-C drains and exits)`);
});
