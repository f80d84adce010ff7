/**
 * weft's demo: a small web app (`npm start`) on 127.0.0.1:3000.
 *
 *   PORT=8080 npm start                      another port (0: any free one)
 *   GRACE_MS=2000 npm start                  grace period for Ctrl-C / SIGTERM
 *   WEFT_DEMO_FRAMEWORK=express npm start    node (default), express, fastify or hono
 *   WEFT_JOBS_URL=sqlite:PATH npm start      the job store (default .weft/demo-jobs.db, git-ignored)
 *   WEFT_DEMO_JOB_MS=5000 npm start          how long a send-welcome job takes (default 500)
 *   WEFT_DEMO_JOBS_WORKER=0 npm start        no job worker: jobs wait for the next start
 *
 * Routes (curl lines in the README):
 *   GET /            FastAPI's BackgroundTasks example: answers at once, then prints a greeting
 *   GET /flask       create a task, await it, return its result (Flask's asyncio pattern)
 *   GET /fastapi     the same in FastAPI's style, with the task's name in the answer
 *   GET /gather      two tasks at once; the answer comes after the slower one
 *   GET /slow        sleeps 5 s (?ms=); disconnect and the handler is cancelled
 *   GET /report      queues a background job of ?ms= (default 3000) milliseconds
 *   GET /fail        queues a background job that fails: reported, never silent
 *   GET /tasks       HTML page of recent background tasks, refreshing itself
 *   GET /tasks.json  the same as JSON
 *   GET /hash        hashes ?mb= megabytes on a worker thread (&on=main: on the event loop, blocking it)
 *   GET /debug/tasks snapshot(): every pending task and what it waits on (loopback clients only)
 *   GET /signup      ?email=: stores a durable send-welcome job before answering with its id
 *   GET /jobs        HTML page of the job store: counts, recent jobs, cancel and retry buttons
 *   GET /jobs.json   the same as JSON
 *   POST /jobs/:id/cancel, POST /jobs/:id/retry   (loopback clients only)
 *
 * Ctrl-C (or SIGTERM) stops accepting connections, closes idle keep-alive
 * connections, lets requests in flight finish (answered with Connection:
 * close), drains background work within GRACE_MS, then exits 0 (or 1 if
 * work had to be cancelled). The job worker stops claiming at once and
 * gives running jobs the same grace; a job cut off is released, not lost:
 * it runs on the next start.
 *
 * `npm start` is for trying the demo: npm does not forward SIGTERM to it.
 * Where something else sends the signal (a container runtime to its PID 1),
 * run `node --import tsx demo/server.ts` itself (or `exec` it from a shell
 * entrypoint); see docs/web-background-tasks.md.
 */

import { installShutdownHandlers, Supervisor } from '../src/web/index.js';
import { FRAMEWORKS, type Framework, mount } from './frameworks.js';
import { startJobs } from './jobs.js';
import { demoRoutes } from './routes.js';

/** A whole number from the environment, or exit 2 saying what is expected. */
function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    console.error(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
    process.exit(2);
  }
  return value;
}

const PORT = envInt('PORT', 3000, 0, 65_535);
const HOST = process.env.HOST ?? '127.0.0.1';
const GRACE_MS = envInt('GRACE_MS', 10_000, 0, 24 * 3_600_000);
const FRAMEWORK = (process.env.WEFT_DEMO_FRAMEWORK ?? 'node') as Framework;
if (!FRAMEWORKS.includes(FRAMEWORK)) {
  console.error(`WEFT_DEMO_FRAMEWORK must be one of ${FRAMEWORKS.join(', ')}, got ${FRAMEWORK}`);
  process.exit(2);
}

// Concurrency 5: one slot is the job worker's, for the life of the process.
const supervisor = new Supervisor({ concurrency: 5, maxPending: 100, historySize: 50 });
const jobs = await startJobs(supervisor);
const app = await mount(FRAMEWORK, { ...demoRoutes(supervisor), ...jobs.routes }, supervisor);
installShutdownHandlers(app.server, supervisor, { graceMs: GRACE_MS });
await app.listen(PORT, HOST);
const { port } = app.server.address() as { port: number };
console.log(
  `weft demo (${FRAMEWORK}) listening on http://${HOST}:${port} (Ctrl-C drains and exits)`,
);
