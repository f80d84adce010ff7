/**
 * The jobs table. Times are integer milliseconds since the epoch (this
 * machine's clock); JSON values are text. `lease_token` counts the claims
 * of a job: an attempt's outcome is recorded only while the token it
 * claimed with is still the job's (a late finisher's is dropped).
 */
export const sql = `
CREATE TABLE weft_jobs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  name             TEXT    NOT NULL,
  queue            TEXT    NOT NULL,
  state            TEXT    NOT NULL
                   CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  payload          TEXT    NOT NULL,
  result           TEXT,
  error            TEXT,
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL,
  priority         INTEGER NOT NULL DEFAULT 0,
  key              TEXT,
  progress         TEXT,
  created_at       INTEGER NOT NULL,
  run_at           INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  lease_token      INTEGER NOT NULL DEFAULT 0,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0
)`;
