-- `prune` deletes finished jobs by age: this partial index finds them by
-- `finished_at` instead of scanning the table.
CREATE INDEX weft_jobs_finished ON weft_jobs (finished_at)
  WHERE state IN ('succeeded', 'failed', 'cancelled');
