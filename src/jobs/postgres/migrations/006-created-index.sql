-- `list()` is newest first (`created_at`, then id), 100 by default: this
-- index reads the newest rows in that order and stops at the limit.
-- EXPLAIN ANALYZE, 1,000,000 jobs, 2 cores (bench/jobs/postgres-explain.md):
-- Index Scan Backward using weft_jobs_created under the LIMIT, 100 rows
-- read, 0.04 ms; without it, Parallel Seq Scan + top-N Sort, 320 ms. With a
-- state, name or queue filter it reads on to 100 matches: about 1 ms for
-- each here; an index on (state, created_at, id) went unused.
CREATE INDEX weft_jobs_created ON weft_jobs (created_at, id);
