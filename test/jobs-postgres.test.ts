/**
 * The job-store conformance suite on PostgreSQL: each test in a fresh
 * schema of the database at WEFT_TEST_POSTGRES_URL (default: the local
 * server's `test` database), dropped afterwards.
 */
import { type Jobs, openJobs } from '../src/jobs/index.js';
import { conformance } from './jobs-conformance.js';
import { dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';

conformance('postgres', async (body) => {
  const schema = freshSchema('conf');
  const open: Jobs[] = [];
  const connect = async () => {
    const jobs = await openJobs(POSTGRES_URL, { schema });
    open.push(jobs);
    return jobs;
  };
  try {
    await body({
      jobs: await connect(),
      url: POSTGRES_URL,
      options: { schema },
      another: connect,
      dispose: async () => {},
    });
  } finally {
    for (const jobs of open) await jobs.close();
    await dropSchema(schema);
  }
});
