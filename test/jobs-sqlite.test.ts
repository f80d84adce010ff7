/** The job-store conformance suite on SQLite files (a fresh file per test). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Jobs, openJobs } from '../src/jobs/index.js';
import { conformance } from './jobs-conformance.js';

let counter = 0;

conformance('sqlite', async (body) => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-jobs-'));
  const url = `sqlite:${join(dir, `jobs-${++counter}.db`)}`;
  const open: Jobs[] = [];
  const connect = async () => {
    const jobs = await openJobs(url);
    open.push(jobs);
    return jobs;
  };
  try {
    await body({ jobs: await connect(), url, another: connect, dispose: async () => {} });
  } finally {
    for (const jobs of open) await jobs.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
