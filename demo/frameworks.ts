/**
 * Mount the demo's routes on one framework through its weft adapter. Each
 * framework is imported only when chosen: the adapters' peers stay optional.
 */

import { createServer, type Server, type ServerResponse } from 'node:http';
import type { WeftEnv } from '../src/web/hono/index.js';
import type { BackgroundTasks, Supervisor } from '../src/web/index.js';
import { BadRequest, type DemoResponse, type DemoRoute } from './routes.js';

export const FRAMEWORKS = ['node', 'express', 'fastify', 'hono'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** A mounted app: its `http.Server` (not yet listening) and how to start it. */
export interface MountedApp {
  server: Server;
  listen(port: number, host: string): Promise<void>;
}

type Routes = Record<string, DemoRoute>;

function notFound(method: string, path: string): DemoResponse {
  return { status: 404, json: { error: `no route for ${method} ${path}` } };
}

/**
 * The route for a request: GET routes are keyed by their path, others by
 * `METHOD path`; a `:name` segment matches any one segment (HEAD is GET).
 */
function findRoute(
  routes: Routes,
  method: string,
  path: string,
): { route: DemoRoute; params: Record<string, string> } | undefined {
  const verb = method === 'HEAD' ? 'GET' : method;
  const key = verb === 'GET' ? path : `${verb} ${path}`;
  const exact = routes[key];
  if (exact !== undefined) return { route: exact, params: {} };
  const segments = key.split('/');
  for (const [pattern, route] of Object.entries(routes)) {
    if (!pattern.includes('/:')) continue;
    const parts = pattern.split('/');
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = parts.every((part, i) => {
      const segment = segments[i]!;
      if (!part.startsWith(':')) return part === segment;
      if (segment === '') return false;
      try {
        params[part.slice(1)] = decodeURIComponent(segment);
      } catch {
        return false;
      }
      return true;
    });
    if (matches) return { route, params };
  }
  return undefined;
}

async function answer(
  routes: Routes,
  method: string,
  path: string,
  backgroundTasks: BackgroundTasks,
  query: URLSearchParams,
  remote: string | undefined,
) {
  const found = findRoute(routes, method, path);
  if (found === undefined) return notFound(method, path);
  try {
    return await found.route({ backgroundTasks, query, remote, params: found.params });
  } catch (err) {
    if (err instanceof BadRequest) return { status: 400, json: { error: err.message } };
    throw err;
  }
}

function sendNode(res: ServerResponse, reply: DemoResponse): void {
  const html = reply.html !== undefined;
  res.writeHead(reply.status ?? 200, {
    'content-type': html ? 'text/html; charset=utf-8' : 'application/json',
    ...reply.headers,
  });
  res.end(html ? reply.html : JSON.stringify(reply.json));
}

function listenOn(server: Server) {
  return (port: number, host: string) =>
    new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
}

async function mountNode(routes: Routes, supervisor: Supervisor): Promise<MountedApp> {
  const { withBackgroundTasks } = await import('../src/web/node/index.js');
  const server = createServer(
    withBackgroundTasks(
      async (req, res, { backgroundTasks }) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const remote = req.socket.remoteAddress;
        sendNode(
          res,
          await answer(
            routes,
            req.method ?? 'GET',
            url.pathname,
            backgroundTasks,
            url.searchParams,
            remote,
          ),
        );
      },
      { supervisor },
    ),
  );
  return { server, listen: listenOn(server) };
}

async function mountExpress(routes: Routes, supervisor: Supervisor): Promise<MountedApp> {
  const { default: express } = await import('express');
  const { backgroundTasks } = await import('../src/web/express/index.js');
  const app = express();
  app.use(backgroundTasks({ supervisor }));
  const handler = async (req: import('express').Request, res: import('express').Response) => {
    const url = new URL(req.originalUrl, 'http://localhost');
    const remote = req.socket.remoteAddress;
    sendNode(
      res,
      await answer(routes, req.method, url.pathname, req.backgroundTasks, url.searchParams, remote),
    );
  };
  app.get('/{*path}', handler);
  app.post('/{*path}', handler);
  const server = createServer(app);
  return { server, listen: listenOn(server) };
}

async function mountFastify(routes: Routes, supervisor: Supervisor): Promise<MountedApp> {
  const { default: Fastify } = await import('fastify');
  const { weftPlugin } = await import('../src/web/fastify/index.js');
  const app = Fastify();
  await app.register(weftPlugin, { supervisor });
  // The /jobs page's buttons post empty HTML forms: accept (and ignore) their bodies.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, _body, done) => done(null, undefined),
  );
  const handler = async (
    request: import('fastify').FastifyRequest,
    reply: import('fastify').FastifyReply,
  ) => {
    const url = new URL(request.url, 'http://localhost');
    const result = await answer(
      routes,
      request.method,
      url.pathname,
      request.backgroundTasks,
      url.searchParams,
      request.socket.remoteAddress,
    );
    reply.code(result.status ?? 200);
    if (result.headers !== undefined) reply.headers(result.headers);
    if (result.html !== undefined) return reply.type('text/html; charset=utf-8').send(result.html);
    return reply.send(result.json);
  };
  app.get('/*', handler);
  app.post('/*', handler);
  await app.ready();
  return {
    server: app.server,
    listen: async (port, host) => {
      await app.listen({ port, host });
    },
  };
}

async function mountHono(routes: Routes, supervisor: Supervisor): Promise<MountedApp> {
  const { Hono } = await import('hono');
  const { createAdaptorServer } = await import('@hono/node-server');
  const { backgroundTasks } = await import('../src/web/hono/index.js');
  const app = new Hono<WeftEnv>();
  app.use(backgroundTasks({ supervisor }));
  app.on(['GET', 'POST'], '*', async (c) => {
    const url = new URL(c.req.url);
    // @hono/node-server passes the Node request as `env.incoming`.
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } }).incoming;
    const result = await answer(
      routes,
      c.req.method,
      url.pathname,
      c.get('backgroundTasks'),
      url.searchParams,
      incoming?.socket?.remoteAddress,
    );
    const status = (result.status ?? 200) as 200;
    return result.html !== undefined
      ? c.html(result.html, status, result.headers)
      : c.json(result.json, status, result.headers);
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  return { server, listen: listenOn(server) };
}

export function mount(
  framework: Framework,
  routes: Routes,
  supervisor: Supervisor,
): Promise<MountedApp> {
  switch (framework) {
    case 'node':
      return mountNode(routes, supervisor);
    case 'express':
      return mountExpress(routes, supervisor);
    case 'fastify':
      return mountFastify(routes, supervisor);
    case 'hono':
      return mountHono(routes, supervisor);
  }
}
