/**
 * The PostgreSQL store's SQL, one statement per operation, for one schema.
 * Every time is the database's `now()`; `$n` are parameters. The plans
 * noted beside the hot statements were read with EXPLAIN ANALYZE on
 * 1,000,000 jobs on a 2-core machine (bench/jobs/postgres-explain.md).
 *
 * @module
 */

import { quoteIdent } from './migrate.js';

/**
 * Columns of a job record, numbers as numbers (bigint would arrive as text).
 * `list()` (index.ts) selects them newest first: Index Scan Backward using
 * weft_jobs_created under the LIMIT, 100 rows read, 0.04 ms on 1M jobs;
 * a state filter reads on to 100 matches (`failed`, 3% of jobs: 0.8 ms).
 */
const COLUMNS = `id, name, queue, state, payload, result, error, attempts::float8 AS attempts,
  max_attempts::float8 AS max_attempts, priority::float8 AS priority, key, progress, created_at,
  run_at, started_at, finished_at, lease_token::float8 AS lease_token`;

/** The job is running under this claim: `$1` its id, `$2` the claim's token. */
const HELD = "id = $1 AND lease_token = $2 AND state = 'running'";
const CLEAR_LEASE = 'lease_owner = NULL, lease_expires_at = NULL, cancel_requested = false';
const ACTIVE = "state IN ('pending', 'running')";
/** `$n` ms from now on the database's clock. */
const fromNow = (n: number) => `now() + $${n}::float8 * interval '1 millisecond'`;

/** @internal Every statement of the store, for the schema `schema`. */
export function statements(schema: string) {
  const jobs = `${quoteIdent(schema)}.weft_jobs`;
  const schedules = `${quoteIdent(schema)}.weft_schedules`;
  return {
    columns: COLUMNS,
    jobs,
    now: 'SELECT floor(extract(epoch FROM now()) * 1000)::float8 AS now',
    /**
     * Many keyless jobs in one statement. Rows are inserted in `ord` order,
     * so their ids ascend in input order. `due`: whether any can run now
     * (worth a NOTIFY).
     */
    insertMany: `
      INSERT INTO ${jobs} (name, queue, state, payload, max_attempts, priority, run_at)
      SELECT j.name, j.queue, 'pending', j.payload::json, j.max_attempts, j.priority,
             COALESCE(to_timestamp(j.run_at / 1000), now() + j.delay * interval '1 millisecond')
        FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::float8[])
             WITH ORDINALITY AS j(name, queue, payload, max_attempts, priority, run_at, delay, ord)
       ORDER BY j.ord
      RETURNING id, run_at <= now() AS due`,
    /** Wrap an insert (`$1`..`$n-1`): NOTIFY channel `$n` when a job inserted is due. */
    notifying: (insert: string, n: number) => `
      WITH ins AS (${insert})
      SELECT id, CASE WHEN due THEN pg_notify($${n}, 'ready') END AS notified FROM ins`,
    /** One job with a key: nothing when an active job holds the key (then `activeKey`). */
    insertKeyed: `
      INSERT INTO ${jobs} (name, queue, state, payload, max_attempts, priority, run_at, key)
      VALUES ($1, $2, 'pending', $3::json, $4, $5,
              COALESCE(to_timestamp($6::float8 / 1000), ${fromNow(7)}), $8)
      ON CONFLICT (key) WHERE key IS NOT NULL AND ${ACTIVE} DO NOTHING
      RETURNING id, run_at <= now() AS due`,
    activeKey: `SELECT id FROM ${jobs} WHERE key = $1 AND ${ACTIVE}`,
    get: `SELECT ${COLUMNS} FROM ${jobs} WHERE id = $1`,
    /** Reads the whole table (Parallel Seq Scan, 133 ms on 1M jobs): no index pays for itself. */
    counts: `SELECT state, count(*)::float8 AS n FROM ${jobs} GROUP BY state`,
    /** Locks the row: cancel and retry decide on the state they change. */
    lockState: `SELECT state, key FROM ${jobs} WHERE id = $1 FOR UPDATE`,
    cancelPending: `UPDATE ${jobs} SET state = 'cancelled', finished_at = now(), error = $2::json WHERE id = $1`,
    requestCancel: `UPDATE ${jobs} SET cancel_requested = true WHERE id = $1`,
    retry: `
      UPDATE ${jobs} SET state = 'pending', attempts = 0, result = NULL, error = NULL, progress = NULL,
             run_at = now(), started_at = NULL, finished_at = NULL, ${CLEAR_LEASE}
       WHERE id = $1`,
    prune: `
      DELETE FROM ${jobs}
       WHERE state IN ('succeeded', 'failed', 'cancelled')
         AND finished_at < now() - $1::float8 * interval '1 millisecond'`,
    /**
     * Settle expired leases (one statement, skipping rows another worker
     * is settling): a requested cancel lands, the last attempt fails with
     * LeaseExpiredError (`$1`, the attempt number filled in by the caller's
     * template), the rest are pending again at once, the attempt counted.
     * Plan: Index Scan using weft_jobs_leases, then the primary key per row:
     * 47 expired leases of 5,000 settled in 1.4 ms on 1M jobs.
     */
    settleExpired: `
      WITH expired AS (
        SELECT id FROM ${jobs}
         WHERE state = 'running' AND lease_expires_at < now()
         FOR UPDATE SKIP LOCKED)
      UPDATE ${jobs} j
         SET state = CASE WHEN j.cancel_requested THEN 'cancelled'
                          WHEN j.attempts >= j.max_attempts THEN 'failed'
                          ELSE 'pending' END,
             finished_at = CASE WHEN j.cancel_requested OR j.attempts >= j.max_attempts
                                THEN now() END,
             error = CASE WHEN j.cancel_requested THEN $1::json
                          ELSE json_build_object('name', 'LeaseExpiredError', 'message',
                                 replace($2, '{attempt}', j.attempts::text)) END,
             ${CLEAR_LEASE}
        FROM expired
       WHERE j.id = expired.id
      RETURNING j.id`,
    /**
     * The claim: lock up to `$5` ready jobs no other worker has locked, in
     * run order, and take them, in one statement. MATERIALIZED: the locking
     * subquery runs once (inlined, it could be re-run per row and lock more
     * than `$5`).
     * Plan: Index Scan using weft_jobs_ready (run_at <= now() in the index,
     * queue and name filtered) under LockRows and the LIMIT, 10 rows read,
     * 0.25 ms on 1M jobs; with nothing to claim it reads every ready job
     * (8,980: 3-5 ms).
     */
    claim: `
      WITH ready AS MATERIALIZED (
        SELECT id FROM ${jobs}
         WHERE state = 'pending' AND run_at <= now()
           AND queue = ANY($3::text[]) AND name = ANY($4::text[])
         ORDER BY priority, run_at, id
         LIMIT $5
         FOR UPDATE SKIP LOCKED)
      UPDATE ${jobs} j
         SET state = 'running', attempts = j.attempts + 1, lease_token = j.lease_token + 1,
             lease_owner = $1, lease_expires_at = ${fromNow(2)}, started_at = now(),
             cancel_requested = false
        FROM ready
       WHERE j.id = ready.id
      RETURNING j.${COLUMNS}`,
    /**
     * Renew many leases. The rows are locked in id order first, as
     * `finish` locks them: two batches over the same jobs in different
     * orders deadlock (seen with short leases under load).
     */
    renew: `
      WITH l AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS l(id, token)),
      locked AS MATERIALIZED (
        SELECT j.id FROM ${jobs} j JOIN l ON j.id = l.id ORDER BY j.id FOR UPDATE OF j)
      UPDATE ${jobs} j SET lease_expires_at = ${fromNow(3)}
        FROM l, locked
       WHERE j.id = l.id AND locked.id = l.id AND j.lease_token = l.token AND j.state = 'running'
      RETURNING j.id`,
    /**
     * Outcomes of many attempts in one statement: `kind` per row is
     * succeeded, failed, retry (pending after `retry_ms`), cancelled or
     * released (pending now, the attempt given back; a cancel requested
     * meanwhile still wins, with `$7`). Rows locked in id order first,
     * as `renew` locks them (else the two can deadlock).
     */
    finish: `
      WITH locked AS MATERIALIZED (
        SELECT id FROM ${jobs} WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE),
      done AS (
      UPDATE ${jobs} j
         SET state = CASE o.kind WHEN 'retry' THEN 'pending'
                                 WHEN 'released' THEN CASE WHEN j.cancel_requested THEN 'cancelled' ELSE 'pending' END
                                 ELSE o.kind END,
             finished_at = CASE WHEN o.kind IN ('succeeded', 'failed', 'cancelled')
                                  OR (o.kind = 'released' AND j.cancel_requested) THEN now() END,
             result = CASE o.kind WHEN 'succeeded' THEN o.result::json ELSE j.result END,
             error = CASE WHEN o.kind = 'succeeded' THEN NULL
                          WHEN o.kind = 'released' THEN CASE WHEN j.cancel_requested THEN $7::json ELSE j.error END
                          ELSE o.error::json END,
             run_at = CASE o.kind WHEN 'retry' THEN now() + o.retry_ms * interval '1 millisecond'
                                  ELSE j.run_at END,
             attempts = CASE o.kind WHEN 'released' THEN j.attempts - 1 ELSE j.attempts END,
             ${CLEAR_LEASE}
        FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::float8[])
             AS o(id, token, kind, result, error, retry_ms)
       WHERE j.id = o.id AND j.lease_token = o.token AND j.state = 'running'
         AND j.id IN (SELECT id FROM locked)
      RETURNING j.id, j.state, j.run_at <= now() AS due)
      -- A job pending again and due (released, or retried without backoff)
      -- is work for any idle worker: NOTIFY (once per commit) in the same
      -- statement, not a round trip of its own.
      SELECT id, state, CASE WHEN state = 'pending' AND due THEN pg_notify($8, 'ready') END AS notified
        FROM done`,
    progress: `UPDATE ${jobs} SET progress = $3::json WHERE ${HELD}`,
    cancelRequested: `
      SELECT id FROM ${jobs}
       WHERE id = ANY($1::bigint[]) AND cancel_requested AND state = 'running'`,
    lastTick: `SELECT last_tick::float8 AS last_tick FROM ${schedules} WHERE schedule = $1`,
    insertSchedule: `INSERT INTO ${schedules} (schedule, last_tick) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    advanceSchedule: `UPDATE ${schedules} SET last_tick = $2 WHERE schedule = $1 AND last_tick = $3`,
  };
}

/** @internal */
export type Statements = ReturnType<typeof statements>;
