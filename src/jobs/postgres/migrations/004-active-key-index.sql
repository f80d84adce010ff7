-- Dedupe: at most one pending or running job per key. Unique and partial,
-- so a finished job frees its key; `enqueue` inserts with ON CONFLICT on
-- this index (two processes enqueueing one key at once make one job) and
-- finds the active holder through it.
CREATE UNIQUE INDEX weft_jobs_active_key ON weft_jobs (key)
  WHERE key IS NOT NULL AND state IN ('pending', 'running');
