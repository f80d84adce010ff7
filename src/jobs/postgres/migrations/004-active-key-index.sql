-- Dedupe: at most one pending or running job per key. Unique and partial,
-- so a finished job frees its key; `enqueue` inserts with ON CONFLICT on
-- this index (two processes enqueueing one key at once make one job) and
-- finds the active holder through it.
-- EXPLAIN ANALYZE, 1,000,000 jobs, 2 cores (bench/jobs/postgres-explain.md):
-- activeKey is an Index Scan using weft_jobs_active_key, 0.01 ms (without
-- it, Parallel Seq Scan, 91 ms); insertKeyed's conflict arbiter, 0.15 ms.
CREATE UNIQUE INDEX weft_jobs_active_key ON weft_jobs (key)
  WHERE key IS NOT NULL AND state IN ('pending', 'running');
