-- The jobs table. Every time is the database's clock (now()), so workers on
-- machines whose clocks disagree still agree on runAt and on leases.
-- JSON values are `json`, which keeps the text exactly as JSON.stringify
-- wrote it (key order, "\u0000" in strings); jsonb would reorder keys and
-- refuse "\u0000". Counters are bigint: every safe integer fits.
-- `lease_token` counts the claims of a job: an attempt's outcome is recorded
-- only while the token it claimed with is still the job's, so a late
-- finisher's outcome is dropped.
CREATE TABLE weft_jobs (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name             text        NOT NULL,
  queue            text        NOT NULL,
  state            text        NOT NULL
                   CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  payload          json        NOT NULL,
  result           json,
  error            json,
  attempts         bigint      NOT NULL DEFAULT 0,
  max_attempts     bigint      NOT NULL,
  priority         bigint      NOT NULL DEFAULT 0,
  key              text,
  progress         json,
  created_at       timestamptz NOT NULL DEFAULT now(),
  run_at           timestamptz NOT NULL,
  started_at       timestamptz,
  finished_at      timestamptz,
  lease_token      bigint      NOT NULL DEFAULT 0,
  lease_owner      text,
  lease_expires_at timestamptz,
  cancel_requested boolean     NOT NULL DEFAULT false
);
