/**
 * Every claim first settles the running jobs whose lease expired: this
 * partial index finds them by expiry without reading any other job.
 */
export const sql = `
CREATE INDEX weft_jobs_leases ON weft_jobs (lease_expires_at) WHERE state = 'running'`;
