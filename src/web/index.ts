/**
 * weft/web: background tasks and supervision for web servers. The
 * framework adapters live in `weft/web/node`, `weft/web/express`,
 * `weft/web/fastify` and `weft/web/hono`; this core imports none of them.
 *
 * @module
 */

export {
  BackgroundTasks,
  type BackgroundTasksOptions,
  type RunOn,
} from './background-tasks.js';
export { defaultSupervisor, type WebOptions } from './request.js';
export { installShutdownHandlers, type ShutdownHandlerOptions } from './shutdown.js';
export {
  BacklogFullError,
  type Logger,
  type ShutdownHook,
  type ShutdownHookContext,
  type ShutdownOptions,
  type ShutdownResult,
  type SpawnOptions,
  Supervisor,
  type SupervisorOptions,
  type SupervisorStats,
  type TaskRecord,
} from './supervisor.js';
