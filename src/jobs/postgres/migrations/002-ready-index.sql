-- Claiming reads pending jobs in the order they run (priority, then runAt,
-- then enqueue order) and stops after `limit` rows it could lock. This
-- partial index holds only pending jobs, in exactly that order: a claim
-- neither sorts nor reads the finished jobs that make up most of the table.
-- EXPLAIN ANALYZE of the claim on 1,000,000 jobs (990,000 finished, 10,000
-- pending over 4 queues): see the claim statement in ../statements.ts.
CREATE INDEX weft_jobs_ready ON weft_jobs (priority, run_at, id) WHERE state = 'pending';
