/** `list()` is newest first (`created_at`, then id): this index reads it in that order. */
export const sql = `
CREATE INDEX weft_jobs_created ON weft_jobs (created_at, id)`;
