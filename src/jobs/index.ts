/**
 * `weft/jobs`: durable jobs. The same async function as a background task,
 * made to survive restarts, crashes and deploys, on SQLite (embedded, the
 * default) or PostgreSQL. Public names are re-exported here explicitly.
 *
 * @module
 */

export { defineJob, Job } from './define.js';
export { JobFailedError, JobNotFoundError, JobValidationError, LeaseLostError } from './errors.js';
export { JobHandle, type ResultOptions } from './handle.js';
export {
  Jobs,
  type OpenJobsOptions,
  type OpenJobsPoolOptions,
  openJobs,
  type PruneOptions,
} from './jobs.js';
export type {
  PostgresClient,
  PostgresPool,
  PostgresPoolClient,
  PostgresResult,
} from './postgres/types.js';
export type { Schedule } from './schedules.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export type {
  EnqueueOptions,
  JobContext,
  JobHandler,
  JobOptions,
  JobRecord,
  JobState,
  ListFilter,
  StoredError,
} from './types.js';
export { JobWorker, type StopOptions, type WorkerOptions, type WorkerStats } from './worker.js';
