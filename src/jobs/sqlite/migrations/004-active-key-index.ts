/**
 * Dedupe: at most one pending or running job per key. Unique and partial,
 * so a finished job frees its key, and `enqueue` finds the active holder
 * through it.
 */
export const sql = `
CREATE UNIQUE INDEX weft_jobs_active_key ON weft_jobs (key)
  WHERE key IS NOT NULL AND state IN ('pending', 'running')`;
