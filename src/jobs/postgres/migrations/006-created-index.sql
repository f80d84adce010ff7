-- `list()` is newest first (`created_at`, then id), 100 by default: this
-- index reads the newest rows in that order and stops at the limit.
CREATE INDEX weft_jobs_created ON weft_jobs (created_at, id);
