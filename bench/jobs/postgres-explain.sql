-- The evidence behind the indexes of the PostgreSQL job store
-- (src/jobs/postgres/migrations/*.sql); its output, annotated, is
-- bench/jobs/postgres-explain.md.
--
-- Run from the repository root, against a scratch database:
--   psql -h 127.0.0.1 -U postgres test -f bench/jobs/postgres-explain.sql
-- Part 1 (re)creates the schema `weft_explain`, applies the migrations
-- into it in order and fills weft_jobs with 1,000,000 jobs, then VACUUM
-- ANALYZE (about 10 s on a 2-core machine). Part 2 runs EXPLAIN (ANALYZE,
-- BUFFERS) on every hot statement of src/jobs/postgres/statements.ts,
-- copied here as PREPAREd statements (the store's text and $n, the schema
-- "weft_explain"; force_custom_plan plans each EXECUTE with its values, as
-- the pg driver's unnamed statements are). Part 3 tries the alternatives:
-- each index dropped, candidate indexes created. Every write and every
-- DDL of parts 2 and 3 runs inside BEGIN ... ROLLBACK: the data set stays
-- as part 1 made it.
-- To rerun parts 2 and 3 on the data already there (a warm cache, as the
-- timings of postgres-explain.md are): add `-v explain_only=1`.
-- Drop it afterwards: DROP SCHEMA weft_explain CASCADE;
--
-- The jobs, ids ascending with created_at over the last 30 days:
--   985,000 finished: the oldest 970,000 and half of the newest 30,000;
--           95% succeeded, 3% failed, 2% cancelled; finished_at seconds
--           after created_at, so spread over 30 days;
--    10,000 pending, among the newest 30,000 (the last ~22 hours):
--           90% ready (run_at = created_at), 8% delayed up to a day into
--           the future, 2% retries backing off 1-2 hours;
--     5,000 running, among the newest 30,000: 1% of leases expired up to
--           5 minutes ago, the others expiring an hour after the script
--           ran (a renewed lease expires 20-30 s ahead; an hour keeps the
--           same 50 expired leases for reruns within the hour), 0.5% with
--           a cancel requested.
-- 20 job names over 4 queues (default 8 names, email 5, reports 4,
-- webhooks 3), skewed: the first names are the most frequent. Priority 0
-- for 95% of jobs, else -10, -1, 1, 5 or 10. 10% of jobs have a key.
-- random() is seeded: every run makes the same rows.

\set ON_ERROR_STOP on

-- Part 1: the data set ---------------------------------------------------

\if :{?explain_only}
SET search_path TO weft_explain;
\else
DROP SCHEMA IF EXISTS weft_explain CASCADE;
CREATE SCHEMA weft_explain;
SET search_path TO weft_explain;
\ir ../../src/jobs/postgres/migrations/001-jobs-table.sql
\ir ../../src/jobs/postgres/migrations/002-ready-index.sql
\ir ../../src/jobs/postgres/migrations/003-lease-index.sql
\ir ../../src/jobs/postgres/migrations/004-active-key-index.sql
\ir ../../src/jobs/postgres/migrations/005-finished-index.sql
\ir ../../src/jobs/postgres/migrations/006-created-index.sql
\ir ../../src/jobs/postgres/migrations/007-schedules-table.sql

SELECT setseed(0.42);

INSERT INTO weft_jobs (name, queue, state, payload, result, error, attempts, max_attempts,
                       priority, key, created_at, run_at, started_at, finished_at,
                       lease_token, lease_owner, lease_expires_at, cancel_requested)
SELECT n.name, n.queue, s.state,
       json_build_object('id', s.g, 'email', 'user' || (s.g % 50000) || '@example.com',
                         'locale', 'en-GB'),
       CASE WHEN s.state = 'succeeded'
            THEN json_build_object('ok', true, 'ms', round(s.dur * 1000)) END,
       CASE s.state
            WHEN 'failed' THEN json_build_object('name', 'Error',
                 'message', 'upstream answered 503 Service Unavailable')
            WHEN 'cancelled' THEN json_build_object('name', 'CancelledError',
                 'message', 'The job was cancelled') END,
       CASE WHEN s.state = 'failed' THEN 3
            WHEN s.state = 'pending' AND s.r2 >= 0.98 THEN 1
            WHEN s.state = 'cancelled' AND s.r2 < 0.5 THEN 0
            WHEN s.state = 'running' AND s.r2 < 0.05 THEN 2
            ELSE 1 END,
       3,
       CASE WHEN s.r4 < 0.95 THEN 0
            ELSE (ARRAY[-10, -1, 1, 5, 10])[1 + floor((s.r4 - 0.95) * 100)::int] END,
       CASE WHEN s.r5 < 0.1 THEN 'order:' || s.g END,
       s.created,
       CASE WHEN s.state <> 'pending' OR s.r2 < 0.90 THEN s.created
            WHEN s.r2 < 0.98 THEN now() + s.r3 * interval '1 day'
            ELSE now() + interval '1 hour' + s.r3 * interval '1 hour' END,
       CASE WHEN s.state IN ('succeeded', 'failed')
                 OR (s.state = 'cancelled' AND s.r2 >= 0.5)
            THEN s.created + s.r3 * interval '2 seconds'
            WHEN s.state = 'running' THEN now() - s.r3 * interval '1 minute' END,
       CASE WHEN s.state IN ('succeeded', 'failed', 'cancelled')
            THEN s.created + s.r3 * interval '2 seconds' + s.dur * interval '1 second' END,
       CASE WHEN s.state = 'failed' THEN 3
            WHEN s.state = 'running' AND s.r2 < 0.05 THEN 2
            WHEN s.state = 'cancelled' AND s.r2 < 0.5 THEN 0
            WHEN s.state = 'pending' AND s.r2 < 0.98 THEN 0
            ELSE 1 END,
       CASE WHEN s.state = 'running' THEN 'host-' || (s.g % 8) || ':' || (1000 + s.g % 8) END,
       CASE WHEN s.state = 'running' AND s.r3 < 0.01 THEN now() - s.r2 * interval '5 minutes'
            WHEN s.state = 'running' THEN now() + interval '1 hour' + s.r2 * interval '10 seconds'
            END,
       s.state = 'running' AND s.r5 > 0.995
  FROM (
    SELECT g, created, r1, r2, r3, r4, r5, dur, ni,
           CASE WHEN phase = 'pending' THEN 'pending'
                WHEN phase = 'running' THEN 'running'
                WHEN r1 < 0.95 THEN 'succeeded'
                WHEN r1 < 0.98 THEN 'failed'
                ELSE 'cancelled' END AS state
      FROM (
        SELECT g,
               now() - interval '30 days' * (1000000 - g) / 1000000 AS created,
               CASE WHEN g <= 970000 THEN 'finished'
                    WHEN g % 6 IN (0, 1) THEN 'pending'
                    WHEN g % 6 = 2 THEN 'running'
                    ELSE 'finished' END AS phase,
               random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
               0.05 + 10 * power(random(), 3) AS dur,
               1 + floor(20 * power(random(), 1.6))::int AS ni
          FROM generate_series(1, 1000000) AS g) AS raw) AS s
  JOIN (SELECT i, names[i] AS name,
               CASE WHEN i <= 8 THEN 'default' WHEN i <= 13 THEN 'email'
                    WHEN i <= 17 THEN 'reports' ELSE 'webhooks' END AS queue
          FROM (SELECT ARRAY['resize-image', 'sync-crm', 'index-document', 'recalc-stats',
                             'expire-sessions', 'import-csv', 'geocode-address', 'refresh-cache',
                             'send-welcome', 'send-receipt', 'send-digest', 'send-reset',
                             'send-invoice', 'build-report', 'export-pdf', 'aggregate-daily',
                             'archive-month', 'deliver-webhook', 'retry-webhook', 'notify-slack']
                       AS names) AS a,
               generate_series(1, 20) AS i) AS n ON n.i = s.ni
 ORDER BY s.g;

VACUUM ANALYZE weft_jobs;
\endif

SELECT state, count(*) FROM weft_jobs GROUP BY state ORDER BY state;
SELECT queue, count(*) AS pending,
       count(*) FILTER (WHERE run_at <= now()) AS ready
  FROM weft_jobs WHERE state = 'pending' GROUP BY queue ORDER BY queue;
SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size
  FROM pg_class
 WHERE relnamespace = 'weft_explain'::regnamespace AND relkind IN ('r', 'i')
 ORDER BY relname;

-- Part 2: the statements -------------------------------------------------

-- Rolled-back writes leave dead rows and index entries behind (a rerun's,
-- or part 3's moves of pending jobs between queues): VACUUM first.
VACUUM weft_jobs;
SET plan_cache_mode = force_custom_plan;
\set all_queues '{default,email,reports,webhooks}'
\set all_names '{resize-image,sync-crm,index-document,recalc-stats,expire-sessions,import-csv,geocode-address,refresh-cache,send-welcome,send-receipt,send-digest,send-reset,send-invoice,build-report,export-pdf,aggregate-daily,archive-month,deliver-webhook,retry-webhook,notify-slack}'
\set webhook_names '{deliver-webhook,retry-webhook,notify-slack}'
\set cancelled '{"name":"CancelledError","message":"The job was cancelled"}'
\set expired 'The lease of attempt {attempt} expired before it finished: its worker died, or its event loop stalled for longer than leaseMs'
-- Ten live leases of one worker, with their tokens (renew, finish, cancelRequested).
SELECT array_agg(id ORDER BY id) AS held_ids, array_agg(lease_token ORDER BY id) AS held_tokens
  FROM (SELECT id, lease_token FROM weft_jobs
         WHERE state = 'running' AND lease_owner = 'host-2:1002' AND lease_expires_at > now()
         ORDER BY id LIMIT 10) AS h \gset
-- A key an active job holds (insertKeyed's conflict, activeKey).
SELECT key AS active_key FROM weft_jobs
 WHERE state = 'pending' AND key IS NOT NULL ORDER BY id LIMIT 1 \gset

-- The store's statements, as src/jobs/postgres/statements.ts has them.
-- settleExpired
PREPARE settleExpired AS
      WITH expired AS (
        SELECT id FROM "weft_explain".weft_jobs
         WHERE state = 'running' AND lease_expires_at < now()
         FOR UPDATE SKIP LOCKED)
      UPDATE "weft_explain".weft_jobs j
         SET state = CASE WHEN j.cancel_requested THEN 'cancelled'
                          WHEN j.attempts >= j.max_attempts THEN 'failed'
                          ELSE 'pending' END,
             finished_at = CASE WHEN j.cancel_requested OR j.attempts >= j.max_attempts
                                THEN now() END,
             error = CASE WHEN j.cancel_requested THEN $1::json
                          ELSE json_build_object('name', 'LeaseExpiredError', 'message',
                                 replace($2, '{attempt}', j.attempts::text)) END,
             lease_owner = NULL, lease_expires_at = NULL, cancel_requested = false
        FROM expired
       WHERE j.id = expired.id
      RETURNING j.id;

-- claim
PREPARE claim AS
      WITH ready AS MATERIALIZED (
        SELECT id FROM "weft_explain".weft_jobs
         WHERE state = 'pending' AND run_at <= now()
           AND queue = ANY($3::text[]) AND name = ANY($4::text[])
         ORDER BY priority, run_at, id
         LIMIT $5
         FOR UPDATE SKIP LOCKED)
      UPDATE "weft_explain".weft_jobs j
         SET state = 'running', attempts = j.attempts + 1, lease_token = j.lease_token + 1,
             lease_owner = $1, lease_expires_at = now() + $2::float8 * interval '1 millisecond', started_at = now(),
             cancel_requested = false
        FROM ready
       WHERE j.id = ready.id
      RETURNING j.id, name, queue, state, payload, result, error, attempts::float8 AS attempts,
  max_attempts::float8 AS max_attempts, priority::float8 AS priority, key, progress, created_at,
  run_at, started_at, finished_at, lease_token::float8 AS lease_token;

-- renew
PREPARE renew AS
      WITH l AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS l(id, token)),
      locked AS MATERIALIZED (
        SELECT j.id FROM "weft_explain".weft_jobs j JOIN l ON j.id = l.id ORDER BY j.id FOR UPDATE OF j)
      UPDATE "weft_explain".weft_jobs j SET lease_expires_at = now() + $3::float8 * interval '1 millisecond'
        FROM l, locked
       WHERE j.id = l.id AND locked.id = l.id AND j.lease_token = l.token AND j.state = 'running'
      RETURNING j.id;

-- finish
PREPARE finish AS
      WITH locked AS MATERIALIZED (
        SELECT id FROM "weft_explain".weft_jobs WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE)
      UPDATE "weft_explain".weft_jobs j
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
             lease_owner = NULL, lease_expires_at = NULL, cancel_requested = false
        FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::float8[])
             AS o(id, token, kind, result, error, retry_ms)
       WHERE j.id = o.id AND j.lease_token = o.token AND j.state = 'running'
         AND j.id IN (SELECT id FROM locked)
      RETURNING j.id, j.state;

-- insertKeyed
PREPARE insertKeyed AS
      INSERT INTO "weft_explain".weft_jobs (name, queue, state, payload, max_attempts, priority, run_at, key)
      VALUES ($1, $2, 'pending', $3::json, $4, $5,
              COALESCE(to_timestamp($6::float8 / 1000), now() + $7::float8 * interval '1 millisecond'), $8)
      ON CONFLICT (key) WHERE key IS NOT NULL AND state IN ('pending', 'running') DO NOTHING
      RETURNING id, run_at <= now() AS due;

-- activeKey
PREPARE activeKey AS
SELECT id FROM "weft_explain".weft_jobs WHERE key = $1 AND state IN ('pending', 'running');

-- cancelRequested
PREPARE cancelRequested AS
      SELECT id FROM "weft_explain".weft_jobs
       WHERE id = ANY($1::bigint[]) AND cancel_requested AND state = 'running';

-- get
PREPARE get AS
SELECT id, name, queue, state, payload, result, error, attempts::float8 AS attempts,
  max_attempts::float8 AS max_attempts, priority::float8 AS priority, key, progress, created_at,
  run_at, started_at, finished_at, lease_token::float8 AS lease_token FROM "weft_explain".weft_jobs WHERE id = $1;

-- counts
PREPARE counts AS
SELECT state, count(*)::float8 AS n FROM "weft_explain".weft_jobs GROUP BY state;

-- prune
PREPARE prune AS
      DELETE FROM "weft_explain".weft_jobs
       WHERE state IN ('succeeded', 'failed', 'cancelled')
         AND finished_at < now() - $1::float8 * interval '1 millisecond';

-- list() (src/jobs/postgres/index.ts) builds its WHERE from the filters given.
-- list, all
PREPARE list_all AS
SELECT id, name, queue, state, payload, result, error, attempts::float8 AS attempts,
  max_attempts::float8 AS max_attempts, priority::float8 AS priority, key, progress, created_at,
  run_at, started_at, finished_at, lease_token::float8 AS lease_token FROM "weft_explain".weft_jobs
      
      ORDER BY created_at DESC, id DESC LIMIT $1;

-- list, state
PREPARE list_state AS
SELECT id, name, queue, state, payload, result, error, attempts::float8 AS attempts,
  max_attempts::float8 AS max_attempts, priority::float8 AS priority, key, progress, created_at,
  run_at, started_at, finished_at, lease_token::float8 AS lease_token FROM "weft_explain".weft_jobs
      WHERE state = ANY($1::text[])
      ORDER BY created_at DESC, id DESC LIMIT $2;

-- list, name
PREPARE list_name AS
SELECT id, name, queue, state, payload, result, error, attempts::float8 AS attempts,
  max_attempts::float8 AS max_attempts, priority::float8 AS priority, key, progress, created_at,
  run_at, started_at, finished_at, lease_token::float8 AS lease_token FROM "weft_explain".weft_jobs
      WHERE name = $1
      ORDER BY created_at DESC, id DESC LIMIT $2;

-- list, queue
PREPARE list_queue AS
SELECT id, name, queue, state, payload, result, error, attempts::float8 AS attempts,
  max_attempts::float8 AS max_attempts, priority::float8 AS priority, key, progress, created_at,
  run_at, started_at, finished_at, lease_token::float8 AS lease_token FROM "weft_explain".weft_jobs
      WHERE queue = $1
      ORDER BY created_at DESC, id DESC LIMIT $2;

-- list, state_queue
PREPARE list_state_queue AS
SELECT id, name, queue, state, payload, result, error, attempts::float8 AS attempts,
  max_attempts::float8 AS max_attempts, priority::float8 AS priority, key, progress, created_at,
  run_at, started_at, finished_at, lease_token::float8 AS lease_token FROM "weft_explain".weft_jobs
      WHERE state = ANY($1::text[]) AND queue = $2
      ORDER BY created_at DESC, id DESC LIMIT $3;

-- list, state_name
PREPARE list_state_name AS
SELECT id, name, queue, state, payload, result, error, attempts::float8 AS attempts,
  max_attempts::float8 AS max_attempts, priority::float8 AS priority, key, progress, created_at,
  run_at, started_at, finished_at, lease_token::float8 AS lease_token FROM "weft_explain".weft_jobs
      WHERE state = ANY($1::text[]) AND name = $2
      ORDER BY created_at DESC, id DESC LIMIT $3;

\echo '## settleExpired'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE settleExpired(:'cancelled', :'expired');
ROLLBACK;
\echo '## claim: 4 queues, 20 names, limit 10'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, :'all_queues', :'all_names', 10);
ROLLBACK;
\echo '## claim: the webhooks queue (10% of ready jobs), its 3 names, limit 10'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, '{webhooks}', :'webhook_names', 10);
ROLLBACK;
\echo '## claim: a queue with no jobs (the worst case: nothing to claim)'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, '{nightly}', '{rebuild-search}', 10);
ROLLBACK;
\echo '## renew: 10 leases'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE renew(:'held_ids', :'held_tokens', 30000);
ROLLBACK;
\echo '## finish: 10 outcomes (7 succeeded, failed, retry, released)'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE finish(:'held_ids', :'held_tokens',
  '{succeeded,succeeded,succeeded,succeeded,succeeded,succeeded,succeeded,failed,retry,released}',
  '{"{\"ok\":true}","{\"ok\":true}","{\"ok\":true}","{\"ok\":true}","{\"ok\":true}","{\"ok\":true}","{\"ok\":true}",NULL,NULL,NULL}',
  '{NULL,NULL,NULL,NULL,NULL,NULL,NULL,"{\"name\":\"Error\",\"message\":\"boom\"}","{\"name\":\"Error\",\"message\":\"boom\"}",NULL}',
  '{NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,2000,NULL}', :'cancelled');
ROLLBACK;
\echo '## insertKeyed: a free key'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE insertKeyed('send-receipt', 'email', '{"order":42}', 3, 0, NULL, 0, 'order:new-42');
ROLLBACK;
\echo '## insertKeyed: a key an active job holds'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE insertKeyed('send-receipt', 'email', '{"order":42}', 3, 0, NULL, 0, :'active_key');
ROLLBACK;
\echo '## activeKey'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE activeKey(:'active_key');
\echo '## cancelRequested: 10 ids'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE cancelRequested(:'held_ids');
\echo '## get'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE get('500000');
\echo '## list: no filter, limit 100'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_all(100);
\echo '## list: state failed (3% of jobs)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_state('{failed}', 100);
\echo '## list: state cancelled (2% of jobs)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_state('{cancelled}', 100);
\echo '## list: states pending, running'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_state('{pending,running}', 100);
\echo '## list: name notify-slack (3% of jobs)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_name('notify-slack', 100);
\echo '## list: queue webhooks'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_queue('webhooks', 100);
\echo '## list: state failed and queue webhooks (0.3% of jobs)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_state_queue('{failed}', 'webhooks', 100);
\echo '## list: state failed and name notify-slack (0.09% of jobs)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_state_name('{failed}', 'notify-slack', 100);
\echo '## list: state failed and a name no job has'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_state_name('{failed}', 'no-such-job', 100);
\echo '## counts'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE counts;
\echo '## prune: jobs finished over 29 days 23 hours ago (an hourly prune: the oldest hour)'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE prune(2588400000);
ROLLBACK;
\echo '## prune: jobs finished over 29 days ago (a daily prune: the oldest day)'
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE prune(2505600000);
ROLLBACK;

-- Part 3: the alternatives -----------------------------------------------

-- Each index dropped: what its statement does without it.
\echo '## without weft_jobs_ready: claim, 4 queues'
BEGIN;
DROP INDEX weft_jobs_ready;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, :'all_queues', :'all_names', 10);
ROLLBACK;
\echo '## without weft_jobs_leases: settleExpired'
BEGIN;
DROP INDEX weft_jobs_leases;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE settleExpired(:'cancelled', :'expired');
ROLLBACK;
\echo '## without weft_jobs_active_key: activeKey'
BEGIN;
DROP INDEX weft_jobs_active_key;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE activeKey(:'active_key');
ROLLBACK;
\echo '## without weft_jobs_finished: prune, the oldest hour'
BEGIN;
DROP INDEX weft_jobs_finished;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE prune(2588400000);
ROLLBACK;
\echo '## without weft_jobs_finished: prune, the oldest day'
BEGIN;
DROP INDEX weft_jobs_finished;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE prune(2505600000);
ROLLBACK;
\echo '## without weft_jobs_created: list, no filter'
BEGIN;
DROP INDEX weft_jobs_created;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_all(100);
ROLLBACK;

-- The ready index leading with queue, instead of weft_jobs_ready.
\echo '## ready index on (queue, priority, run_at, id) instead: claim, 4 queues'
BEGIN;
DROP INDEX weft_jobs_ready;
CREATE INDEX weft_jobs_ready_queue ON weft_jobs (queue, priority, run_at, id) WHERE state = 'pending';
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, :'all_queues', :'all_names', 10);
ROLLBACK;
\echo '## ready index on (queue, priority, run_at, id) instead: claim, webhooks'
BEGIN;
DROP INDEX weft_jobs_ready;
CREATE INDEX weft_jobs_ready_queue ON weft_jobs (queue, priority, run_at, id) WHERE state = 'pending';
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, '{webhooks}', :'webhook_names', 10);
ROLLBACK;
-- The same index beside weft_jobs_ready: the planner picks one per claim,
-- from statistics of the whole table (mostly finished jobs).
\echo '## both ready indexes: claim, 4 queues'
BEGIN;
CREATE INDEX weft_jobs_ready_queue ON weft_jobs (queue, priority, run_at, id) WHERE state = 'pending';
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, :'all_queues', :'all_names', 10);
ROLLBACK;
\echo '## both ready indexes: claim, a queue with no jobs'
BEGIN;
CREATE INDEX weft_jobs_ready_queue ON weft_jobs (queue, priority, run_at, id) WHERE state = 'pending';
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, '{nightly}', '{rebuild-search}', 10);
ROLLBACK;
VACUUM weft_jobs;
\echo '## both ready indexes: claim, email idle (its pending jobs moved to default)'
BEGIN;
CREATE INDEX weft_jobs_ready_queue ON weft_jobs (queue, priority, run_at, id) WHERE state = 'pending';
UPDATE weft_jobs SET queue = 'default' WHERE state = 'pending' AND queue = 'email';
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, '{email}', '{send-welcome,send-receipt,send-digest,send-reset,send-invoice}', 10);
ROLLBACK;
VACUUM weft_jobs;
\echo '## both ready indexes: claim, a new queue bulk with 5,000 ready jobs the statistics do not know yet'
BEGIN;
CREATE INDEX weft_jobs_ready_queue ON weft_jobs (queue, priority, run_at, id) WHERE state = 'pending';
UPDATE weft_jobs SET queue = 'bulk' WHERE state = 'pending' AND queue = 'default';
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, '{bulk}', :'all_names', 10);
ROLLBACK;
VACUUM weft_jobs;
\echo '## weft_jobs_ready alone: claim, the same new queue bulk'
BEGIN;
UPDATE weft_jobs SET queue = 'bulk' WHERE state = 'pending' AND queue = 'default';
EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('host-9:1009', 30000, '{bulk}', :'all_names', 10);
ROLLBACK;

-- counts() and list() by state. VACUUM first: part 3's moves left pages
-- not all-visible, which an index-only scan would have to visit.
VACUUM weft_jobs;
\echo '## an index on (state): counts'
BEGIN;
CREATE INDEX weft_jobs_state ON weft_jobs (state);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE counts;
ROLLBACK;
\echo '## an index on (state, created_at, id): list, state failed'
BEGIN;
CREATE INDEX weft_jobs_state_created ON weft_jobs (state, created_at, id);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE list_state('{failed}', 100);
ROLLBACK;
