/**
 * The SQLite store: one file, any number of processes on one machine.
 *
 * WAL mode lets readers run beside the one writer; every state change is
 * one short `BEGIN IMMEDIATE` transaction. better-sqlite3 is synchronous,
 * so a long busy wait would freeze the event loop (and with it every lease
 * renewal): SQLite's own busy timeout is kept short and a busy store is
 * retried here, asynchronously, with backoff.
 *
 * @module
 */

import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import {
  type CancelOutcome,
  type Claimed,
  type ClaimRequest,
  cancelledByRequest,
  type Enqueued,
  type Finish,
  type JobStore,
  type Lease,
  leaseExpiredError,
  type NewJob,
  type Outcome,
  type RetryOutcome,
  type ScheduleTick,
} from '../store.js';
import { JOB_STATES, type JobRecord, type JobState, type StoredError } from '../types.js';
import { migrate } from './migrate.js';

type Database = BetterSqlite3.Database;

/** A row of `weft_jobs`. */
interface Row {
  id: number;
  name: string;
  queue: string;
  state: JobState;
  payload: string;
  result: string | null;
  error: string | null;
  attempts: number;
  max_attempts: number;
  priority: number;
  key: string | null;
  progress: string | null;
  created_at: number;
  run_at: number;
  started_at: number | null;
  finished_at: number | null;
  lease_token: number;
}

const COLUMNS =
  'id, name, queue, state, payload, result, error, attempts, max_attempts, priority, key, progress, created_at, run_at, started_at, finished_at, lease_token';

/**
 * SQLite's own wait for a lock, per try: short, since it blocks the event
 * loop (and with it every lease renewal); a longer wait is retried below,
 * asynchronously.
 */
const BUSY_TIMEOUT_MS = 10;
/** Asynchronous retries of a busy store before the error is given to the caller. */
const BUSY_RETRIES = 40;

function toRecord(row: Row): JobRecord {
  const record: JobRecord = {
    id: String(row.id),
    name: row.name,
    queue: row.queue,
    state: row.state,
    payload: JSON.parse(row.payload),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    createdAt: new Date(row.created_at),
    runAt: new Date(row.run_at),
  };
  if (row.result !== null) record.result = JSON.parse(row.result);
  if (row.error !== null) record.error = JSON.parse(row.error) as StoredError;
  if (row.key !== null) record.key = row.key;
  if (row.progress !== null) record.progress = JSON.parse(row.progress);
  if (row.started_at !== null) record.startedAt = new Date(row.started_at);
  if (row.finished_at !== null) record.finishedAt = new Date(row.finished_at);
  return record;
}

/**
 * Ids are the decimal text of an integer key. SQLite would turn '01',
 * '1.0' or ' 1' into 1 by column affinity: such text names no job.
 */
function isId(id: string): boolean {
  return /^[1-9][0-9]{0,18}$/.test(id);
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The 16 bytes every SQLite database file starts with. */
const SQLITE_HEADER = 'SQLite format 3\0';

/** Refuse a file that exists, is not empty and is not a SQLite database, before SQLite touches it. */
function checkFile(path: string): void {
  if (path === ':memory:' || !existsSync(path)) return;
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(16);
    const read = readSync(fd, header, 0, 16, 0);
    if (read === 0) return; // an empty file: SQLite makes it a database
    if (read < 16 || header.toString('latin1') !== SQLITE_HEADER) {
      throw new Error(
        `${path} is not a SQLite database (its first bytes are not SQLite's header): weft leaves it untouched. Give openJobs another path.`,
      );
    }
  } finally {
    closeSync(fd);
  }
}

async function loadDriver(): Promise<typeof BetterSqlite3> {
  try {
    return (await import('better-sqlite3')).default;
  } catch (error) {
    throw new Error(
      "weft/jobs' SQLite store needs the better-sqlite3 package (version 12 on Node 20): npm install better-sqlite3@12",
      { cause: error },
    );
  }
}

/** @internal Open (creating or migrating) the SQLite store at `path`. */
export async function openSqliteStore(path: string): Promise<SqliteStore> {
  checkFile(path);
  const Driver = await loadDriver();
  let db: Database;
  try {
    db = new Driver(path);
  } catch (error) {
    throw new Error(`Cannot open the SQLite job store at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (path !== ':memory:') {
      await busyRetry(() => db.pragma('journal_mode = WAL'));
      // WAL with NORMAL syncs at checkpoints: a process crash loses nothing,
      // a power loss may lose the last transactions (as SQLite documents).
      db.pragma('synchronous = NORMAL');
    }
    await busyRetry(() => migrate(db));
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === 'SQLITE_NOTADB') {
      throw new Error(`${path} is not a SQLite database: weft leaves it untouched`, {
        cause: error,
      });
    }
    throw error;
  }
  return new SqliteStore(db);
}

/** Run `fn`, retrying asynchronously while the database is locked by another process. */
async function busyRetry<T>(fn: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      if (!isBusy(error) || attempt >= BUSY_RETRIES) throw error;
      await pause(Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}

/** @internal */
export class SqliteStore implements JobStore {
  readonly kind = 'sqlite';
  private readonly statements: ReturnType<typeof prepare>;

  constructor(private readonly db: Database) {
    this.statements = prepare(db);
  }

  /** `fn` as one `BEGIN IMMEDIATE` transaction, retried while another process writes. */
  private run<T>(fn: () => T): Promise<T> {
    const transaction = this.db.transaction(fn);
    return busyRetry(() => transaction.immediate());
  }

  async now(): Promise<number> {
    return Date.now();
  }

  enqueue(jobs: readonly NewJob[]): Promise<Enqueued[]> {
    return this.run(() => {
      const now = Date.now();
      return jobs.map((job) => this.insertOne(job, now));
    });
  }

  /** Inside a transaction: insert `job`, or find the active job holding its key. */
  private insertOne(job: NewJob, now: number): Enqueued {
    const s = this.statements;
    if (job.key !== undefined) {
      const held = s.activeKey.get(job.key) as { id: number } | undefined;
      if (held !== undefined) return { id: String(held.id), created: false };
    }
    const { id } = s.insert.get(
      job.name,
      job.queue,
      job.payload,
      job.maxAttempts,
      job.priority,
      job.key ?? null,
      now,
      job.runAt ?? now + job.delayMs,
    ) as { id: number };
    return { id: String(id), created: true };
  }

  async get(id: string): Promise<JobRecord | undefined> {
    if (!isId(id)) return undefined;
    const row = await busyRetry(() => this.statements.get.get(id) as Row | undefined);
    return row === undefined ? undefined : toRecord(row);
  }

  async list(filter: {
    limit: number;
    name?: string;
    queue?: string;
    states: JobState[] | undefined;
  }): Promise<JobRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.states !== undefined) {
      where.push('state IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(filter.states));
    }
    if (filter.name !== undefined) {
      where.push('name = ?');
      params.push(filter.name);
    }
    if (filter.queue !== undefined) {
      where.push('queue = ?');
      params.push(filter.queue);
    }
    const sql = `SELECT ${COLUMNS} FROM weft_jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    params.push(filter.limit);
    const rows = await busyRetry(() => this.db.prepare(sql).all(...params) as Row[]);
    return rows.map(toRecord);
  }

  async counts(): Promise<Record<JobState, number>> {
    const rows = await busyRetry(
      () => this.statements.counts.all() as Array<{ state: JobState; n: number }>,
    );
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const { state, n } of rows) counts[state] = n;
    return counts;
  }

  cancel(id: string): Promise<CancelOutcome> {
    const s = this.statements;
    if (!isId(id)) return Promise.resolve('missing');
    return this.run(() => {
      const row = s.state.get(id) as { state: JobState } | undefined;
      if (row === undefined) return 'missing';
      if (row.state === 'pending') {
        s.cancelPending.run(Date.now(), JSON.stringify(cancelledByRequest()), id);
        return 'cancelled';
      }
      if (row.state === 'running') {
        s.requestCancel.run(id);
        return 'requested';
      }
      return 'finished';
    });
  }

  retry(id: string): Promise<RetryOutcome> {
    const s = this.statements;
    if (!isId(id)) return Promise.resolve('missing');
    return this.run(() => {
      const row = s.state.get(id) as { state: JobState; key: string | null } | undefined;
      if (row === undefined) return 'missing';
      if (row.state === 'succeeded') return 'succeeded';
      if (row.state === 'pending' || row.state === 'running') return 'not-finished';
      if (row.key !== null && s.activeKey.get(row.key) !== undefined) return 'key-taken';
      s.retry.run(Date.now(), id);
      return 'retried';
    });
  }

  prune(olderThanMs: number): Promise<number> {
    return this.run(() => this.statements.prune.run(Date.now() - olderThanMs).changes);
  }

  async claim(request: ClaimRequest): Promise<Claimed[]> {
    const s = this.statements;
    const queues = JSON.stringify(request.queues);
    const names = JSON.stringify(request.names);
    // Idle polls must not take the file's write lock (every worker process
    // polls, and producers need that lock): a read first, outside any
    // transaction, says whether there is anything to claim or settle.
    const now = Date.now();
    const work = await busyRetry(() => s.anyWork.get(now, queues, names, now));
    if (work === undefined) return [];
    return this.run(() => {
      const now = Date.now();
      this.settleExpired(now);
      const rows = s.claim.all(
        request.owner,
        now + request.leaseMs,
        now,
        now,
        queues,
        names,
        request.limit,
      ) as Row[];
      // RETURNING gives no order: the handlers start in the claim's order.
      rows.sort((a, b) => a.priority - b.priority || a.run_at - b.run_at || a.id - b.id);
      return rows.map((row) => ({
        record: toRecord(row),
        lease: { id: String(row.id), token: row.lease_token },
      }));
    });
  }

  /** Expired leases: the last attempt fails, a requested cancel lands, the rest are ready again. */
  private settleExpired(now: number): void {
    const s = this.statements;
    const expired = s.expired.all(now) as Array<{
      id: number;
      attempts: number;
      max_attempts: number;
      cancel_requested: number;
    }>;
    for (const job of expired) {
      if (job.cancel_requested === 1) {
        s.expireCancelled.run(now, JSON.stringify(cancelledByRequest()), job.id);
      } else if (job.attempts >= job.max_attempts) {
        s.expireFailed.run(now, JSON.stringify(leaseExpiredError(job.attempts)), job.id);
      } else {
        // The attempt counts (attempts stays); the job is ready at once.
        s.expireRetry.run(JSON.stringify(leaseExpiredError(job.attempts)), job.id);
      }
    }
  }

  renew(leases: readonly Lease[], leaseMs: number): Promise<Set<string>> {
    const s = this.statements;
    return this.run(() => {
      const until = Date.now() + leaseMs;
      const held = new Set<string>();
      for (const lease of leases) {
        if (s.renew.run(until, lease.id, lease.token).changes === 1) held.add(lease.id);
      }
      return held;
    });
  }

  finish(items: readonly Finish[]): Promise<boolean[]> {
    return this.run(() => {
      const now = Date.now();
      return items.map(({ lease, outcome }) => this.finishOne(lease, outcome, now));
    });
  }

  /** Inside a transaction: record one attempt's end; false when the lease was no longer held. */
  private finishOne(lease: Lease, outcome: Outcome, now: number): boolean {
    const s = this.statements;
    const { id, token } = lease;
    switch (outcome.kind) {
      case 'succeeded':
        return s.succeed.run(now, outcome.result, id, token).changes === 1;
      case 'failed': {
        const error = JSON.stringify(outcome.error);
        return outcome.retryInMs === null
          ? s.fail.run(now, error, id, token).changes === 1
          : s.failRetry.run(now + outcome.retryInMs, error, id, token).changes === 1;
      }
      case 'cancelled':
        return s.cancelRunning.run(now, JSON.stringify(outcome.error), id, token).changes === 1;
      case 'released':
        return s.release.run(now, JSON.stringify(cancelledByRequest()), id, token).changes === 1;
    }
  }

  progress(lease: Lease, value: string): Promise<boolean> {
    return this.run(() => this.statements.progress.run(value, lease.id, lease.token).changes === 1);
  }

  async cancelRequested(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await busyRetry(
      () =>
        this.statements.cancelRequested.all(JSON.stringify(ids.map(Number))) as Array<{
          id: number;
        }>,
    );
    return rows.map((r) => String(r.id));
  }

  async lastTick(schedule: string): Promise<number | undefined> {
    const row = await busyRetry(
      () => this.statements.lastTick.get(schedule) as { last_tick: number } | undefined,
    );
    return row?.last_tick;
  }

  advanceSchedule(tick: ScheduleTick): Promise<boolean> {
    const s = this.statements;
    return this.run(() => {
      const changed =
        tick.previous === undefined
          ? s.insertSchedule.run(tick.schedule, tick.tick).changes
          : s.advanceSchedule.run(tick.tick, tick.schedule, tick.previous).changes;
      if (changed !== 1) return false;
      if (tick.job !== undefined) this.insertOne(tick.job, Date.now());
      return true;
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Every statement, prepared once per connection. */
function prepare(db: Database) {
  const held = "id = ? AND lease_token = ? AND state = 'running'";
  const clearLease = 'lease_owner = NULL, lease_expires_at = NULL, cancel_requested = 0';
  return {
    insert: db.prepare(
      `INSERT INTO weft_jobs (name, queue, state, payload, max_attempts, priority, key, created_at, run_at)
       VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    activeKey: db.prepare(
      `SELECT id FROM weft_jobs WHERE key = ? AND state IN ('pending', 'running')`,
    ),
    get: db.prepare(`SELECT ${COLUMNS} FROM weft_jobs WHERE id = ?`),
    state: db.prepare('SELECT state, key FROM weft_jobs WHERE id = ?'),
    counts: db.prepare('SELECT state, count(*) AS n FROM weft_jobs GROUP BY state'),
    cancelPending: db.prepare(
      `UPDATE weft_jobs SET state = 'cancelled', finished_at = ?, error = ? WHERE id = ?`,
    ),
    requestCancel: db.prepare('UPDATE weft_jobs SET cancel_requested = 1 WHERE id = ?'),
    retry: db.prepare(
      `UPDATE weft_jobs SET state = 'pending', attempts = 0, result = NULL, error = NULL, progress = NULL,
         run_at = ?, started_at = NULL, finished_at = NULL, ${clearLease}
       WHERE id = ?`,
    ),
    prune: db.prepare(
      `DELETE FROM weft_jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at < ?`,
    ),
    expired: db.prepare(
      `SELECT id, attempts, max_attempts, cancel_requested FROM weft_jobs
       WHERE state = 'running' AND lease_expires_at < ?`,
    ),
    expireCancelled: db.prepare(
      `UPDATE weft_jobs SET state = 'cancelled', finished_at = ?, error = ?, ${clearLease} WHERE id = ?`,
    ),
    expireFailed: db.prepare(
      `UPDATE weft_jobs SET state = 'failed', finished_at = ?, error = ?, ${clearLease} WHERE id = ?`,
    ),
    expireRetry: db.prepare(
      `UPDATE weft_jobs SET state = 'pending', error = ?, ${clearLease} WHERE id = ?`,
    ),
    anyWork: db.prepare(
      `SELECT 1 AS ready WHERE EXISTS (
         SELECT 1 FROM weft_jobs
          WHERE state = 'pending' AND run_at <= ?
            AND queue IN (SELECT value FROM json_each(?))
            AND name IN (SELECT value FROM json_each(?)))
       OR EXISTS (SELECT 1 FROM weft_jobs WHERE state = 'running' AND lease_expires_at < ?)`,
    ),
    claim: db.prepare(
      `UPDATE weft_jobs
         SET state = 'running', attempts = attempts + 1, lease_token = lease_token + 1,
             lease_owner = ?, lease_expires_at = ?, started_at = ?, cancel_requested = 0
       WHERE id IN (
         SELECT id FROM weft_jobs
          WHERE state = 'pending' AND run_at <= ?
            AND queue IN (SELECT value FROM json_each(?))
            AND name IN (SELECT value FROM json_each(?))
          ORDER BY priority, run_at, id
          LIMIT ?)
       RETURNING ${COLUMNS}`,
    ),
    renew: db.prepare(`UPDATE weft_jobs SET lease_expires_at = ? WHERE ${held}`),
    succeed: db.prepare(
      `UPDATE weft_jobs SET state = 'succeeded', finished_at = ?, result = ?, error = NULL, ${clearLease}
       WHERE ${held}`,
    ),
    fail: db.prepare(
      `UPDATE weft_jobs SET state = 'failed', finished_at = ?, error = ?, ${clearLease} WHERE ${held}`,
    ),
    failRetry: db.prepare(
      `UPDATE weft_jobs SET state = 'pending', run_at = ?, error = ?, ${clearLease} WHERE ${held}`,
    ),
    cancelRunning: db.prepare(
      `UPDATE weft_jobs SET state = 'cancelled', finished_at = ?, error = ?, ${clearLease} WHERE ${held}`,
    ),
    // A release gives the attempt back; a cancel requested meanwhile still wins.
    release: db.prepare(
      `UPDATE weft_jobs
         SET state = CASE cancel_requested WHEN 1 THEN 'cancelled' ELSE 'pending' END,
             finished_at = CASE cancel_requested WHEN 1 THEN ? END,
             error = CASE cancel_requested WHEN 1 THEN ? ELSE error END,
             attempts = attempts - 1, ${clearLease}
       WHERE ${held}`,
    ),
    progress: db.prepare(`UPDATE weft_jobs SET progress = ? WHERE ${held}`),
    cancelRequested: db.prepare(
      `SELECT id FROM weft_jobs WHERE cancel_requested = 1 AND state = 'running'
         AND id IN (SELECT value FROM json_each(?))`,
    ),
    lastTick: db.prepare('SELECT last_tick FROM weft_schedules WHERE schedule = ?'),
    insertSchedule: db.prepare(
      'INSERT INTO weft_schedules (schedule, last_tick) VALUES (?, ?) ON CONFLICT DO NOTHING',
    ),
    advanceSchedule: db.prepare(
      'UPDATE weft_schedules SET last_tick = ? WHERE schedule = ? AND last_tick = ?',
    ),
  };
}
