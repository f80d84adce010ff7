-- Every claim first settles the running jobs whose lease expired: this
-- partial index finds them by expiry without reading any other job, and
-- stays as small as the number of running jobs.
-- EXPLAIN ANALYZE, 1,000,000 jobs of which 5,000 running, 2 cores
-- (bench/jobs/postgres-explain.md): Index Scan using weft_jobs_leases, 47
-- expired leases, 1.4 ms; without it, Seq Scan of 1,000,000 rows, 155 ms.
CREATE INDEX weft_jobs_leases ON weft_jobs (lease_expires_at) WHERE state = 'running';
