/**
 * Claiming reads the pending jobs in the order they must run (priority,
 * then runAt, then enqueue order) and stops after `limit` matches: this
 * partial index holds only pending jobs, in exactly that order, so a claim
 * never sorts and never reads the finished jobs that make up most of the
 * table.
 */
export const sql = `
CREATE INDEX weft_jobs_ready ON weft_jobs (priority, run_at, id) WHERE state = 'pending'`;
