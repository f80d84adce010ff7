/**
 * The PostgreSQL store: many processes on many machines share one
 * database. Claims are `FOR UPDATE SKIP LOCKED` (workers never wait for
 * each other's rows), every time is the database's `now()`, and a LISTEN
 * connection wakes idle workers and carries cancels at once. A store
 * outage is survived: each operation fails while the database is down (the
 * worker retries with backoff and reports once), and works again when it
 * is back, on fresh connections.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import type pg from 'pg';
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
  type RetryOutcome,
  type ScheduleTick,
  type StoreEvents,
} from '../store.js';
import { JOB_STATES, type JobRecord, type JobState, type StoredError } from '../types.js';
import { Listener } from './listener.js';
import { migrate } from './migrate.js';
import { type Statements, statements } from './statements.js';
import type { PostgresClient, PostgresPool, PostgresPoolClient } from './types.js';

/** A row of `weft_jobs` as the statements select it. */
interface Row {
  id: string;
  name: string;
  queue: string;
  state: JobState;
  payload: unknown;
  result: unknown;
  error: StoredError | null;
  attempts: number;
  max_attempts: number;
  priority: number;
  key: string | null;
  progress: unknown;
  created_at: Date;
  run_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  lease_token: number;
}

function toRecord(row: Row): JobRecord {
  const record: JobRecord = {
    id: row.id,
    name: row.name,
    queue: row.queue,
    state: row.state,
    payload: row.payload,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    createdAt: row.created_at,
    runAt: row.run_at,
  };
  if (row.result !== null) record.result = row.result;
  if (row.error !== null) record.error = row.error;
  if (row.key !== null) record.key = row.key;
  if (row.progress !== null) record.progress = row.progress;
  if (row.started_at !== null) record.startedAt = row.started_at;
  if (row.finished_at !== null) record.finishedAt = row.finished_at;
  return record;
}

const MAX_ID = 2n ** 63n - 1n;

/** Ids are the decimal text of a positive bigint; other text names no job. */
function isId(id: string): boolean {
  return /^[1-9][0-9]{0,18}$/.test(id) && BigInt(id) <= MAX_ID;
}

/**
 * A connection lost, not a statement refused: the server went away (a
 * restart, a failover, an idle connection cut), so the statement may not
 * have run.
 */
function connectionLost(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (
      code.startsWith('08') ||
      ['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE'].includes(code)
    ) {
      return true;
    }
  }
  return typeof message === 'string' && /Connection terminated|connection error/i.test(message);
}

/** The rows of a result, typed by the statement that made them. */
function rows<R>(result: { rows: unknown[] }): R[] {
  return result.rows as R[];
}

/**
 * The NOTIFY channel of a schema: readable when it fits PostgreSQL's
 * 63-byte identifiers, else a digest (two long schemas never share one).
 */
export function channelOf(schema: string): string {
  const plain = `${schema}.weft_jobs`;
  if (Buffer.byteLength(plain) <= 63) return plain;
  return `weft_jobs_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/** A URL with its password hidden, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
}

async function loadDriver(): Promise<typeof pg> {
  try {
    return (await import('pg')).default;
  } catch (error) {
    throw new Error("weft/jobs' PostgreSQL store needs the pg package: npm install pg", {
      cause: error,
    });
  }
}

/** Why a connection at open failed, in words a user acts on. */
function explain(error: unknown): string {
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'the connection was refused (is PostgreSQL running there, on that port?)';
    case 'ENOTFOUND':
      return 'the host name does not resolve';
    case '3D000':
      return `${e.message} (create it, or name another database in the URL)`;
    case '28P01':
    case '28000':
      return `${e.message} (check the user and password in the URL)`;
    default:
      return e.message ?? String(error);
  }
}

/** Where the store's connections come from. */
export type PostgresTarget = { url: string } | { pool: PostgresPool };

/**
 * @internal Open (creating or migrating) the PostgreSQL store in `schema`.
 * A store opened by URL owns its pool (closed by `close()`); a given pool
 * stays the caller's.
 */
export async function openPostgresStore(
  target: PostgresTarget,
  schema: string,
  connectTimeoutMs: number,
): Promise<PostgresStore> {
  const driver = await loadDriver();
  const where = 'url' in target ? redact(target.url) : 'the given pool';
  let pool: PostgresPool;
  let owned: pg.Pool | undefined;
  if ('url' in target) {
    owned = new driver.Pool({
      connectionString: target.url,
      connectionTimeoutMillis: connectTimeoutMs,
      keepAlive: true,
    });
    // An idle connection that dies (the database restarted) is an 'error'
    // event on the pool; unheard, it would crash the process. The next
    // query finds the pool without it and connects afresh.
    owned.on('error', () => {});
    pool = owned as unknown as PostgresPool;
  } else {
    pool = target.pool;
  }
  let client: PostgresPoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    await owned?.end().catch(() => {});
    throw new Error(`Cannot open the PostgreSQL job store at ${where}: ${explain(error)}`, {
      cause: error,
    });
  }
  const onError = (): void => {};
  client.on('error', onError);
  try {
    await migrate(client, schema);
  } catch (error) {
    client.removeListener('error', onError);
    client.release(true);
    await owned?.end().catch(() => {});
    throw error;
  }
  client.removeListener('error', onError);
  client.release();
  return new PostgresStore(driver, pool, owned !== undefined, schema);
}

/** @internal */
export class PostgresStore implements JobStore {
  readonly kind = 'postgres';
  private readonly sql: Statements;
  private readonly channel: string;
  private listener: Listener | undefined;
  private readonly subscribers = new Set<StoreEvents>();
  private closed = false;
  /** When this process last settled expired leases (performance.now()). */
  private lastSettle = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly driver: typeof pg,
    readonly pool: PostgresPool,
    private readonly ownsPool: boolean,
    readonly schema: string,
  ) {
    this.sql = statements(schema);
    this.channel = channelOf(schema);
  }

  /** Is `tx` a connection (not a pool) that can run the enqueue inside its transaction? */
  checkTx(tx: unknown): Error | undefined {
    if (
      typeof tx !== 'object' ||
      tx === null ||
      typeof (tx as { query?: unknown }).query !== 'function'
    ) {
      return new TypeError(
        `Expected \`options.tx\` to be a pg client inside a transaction (from pool.connect(), after BEGIN), got ${describe(tx)}`,
      );
    }
    if (tx instanceof this.driver.Pool) {
      return new TypeError(
        'Expected `options.tx` to be a pg client inside a transaction, got a pg.Pool: check out a client with pool.connect(), BEGIN, enqueue with it, then COMMIT',
      );
    }
    return undefined;
  }

  /** `fn` in one transaction on a pooled connection. */
  private async transaction<T>(fn: (client: PostgresClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // Checked out, a connection that dies between two queries emits 'error'
    // on itself, which would crash the process unheard.
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const value = await fn(client);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: Error) => {
        broken ??= rollback;
      });
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken ?? false);
    }
  }

  /**
   * A statement that may run twice (a read, or a write that is the same
   * when repeated). A pooled connection the database cut while it sat idle
   * fails its next statement: that one is tried again once, on a fresh
   * connection, so the first call after a database restart does not fail.
   */
  private async idempotent(text: string, values?: unknown[]) {
    try {
      return await this.pool.query(text, values);
    } catch (error) {
      if (!connectionLost(error)) throw error;
      return await this.pool.query(text, values);
    }
  }

  async now(): Promise<number> {
    const [row] = rows<{ now: number }>(await this.idempotent(this.sql.now));
    return row!.now;
  }

  async enqueue(jobs: readonly NewJob[], tx?: unknown): Promise<Enqueued[]> {
    if (tx !== undefined) return this.insert(jobs, tx as PostgresClient);
    if (jobs.every((job) => job.key === undefined)) return this.insert(jobs, this.pool);
    return this.transaction((client) => this.insert(jobs, client));
  }

  /** Insert with `client` (in a transaction when more than one statement runs). */
  private async insert(jobs: readonly NewJob[], client: PostgresClient): Promise<Enqueued[]> {
    if (jobs.every((job) => job.key === undefined)) {
      const result = await client.query(this.sql.notifying(this.sql.insertMany, 8), [
        jobs.map((j) => j.name),
        jobs.map((j) => j.queue),
        jobs.map((j) => j.payload),
        jobs.map((j) => j.maxAttempts),
        jobs.map((j) => j.priority),
        jobs.map((j) => j.runAt ?? null),
        jobs.map((j) => j.delayMs),
        this.channel,
      ]);
      // Inserted in input order, so ids ascend in input order.
      return rows<{ id: string }>(result)
        .map((r) => BigInt(r.id))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((id) => ({ id: String(id), created: true }));
    }
    const out: Enqueued[] = [];
    for (const job of jobs) out.push(await this.insertOne(job, client));
    return out;
  }

  /** One job; with a key held by an active job, that job instead. */
  private async insertOne(job: NewJob, client: PostgresClient): Promise<Enqueued> {
    for (;;) {
      const [inserted] = rows<{ id: string }>(
        await client.query(this.sql.notifying(this.sql.insertKeyed, 9), [
          job.name,
          job.queue,
          job.payload,
          job.maxAttempts,
          job.priority,
          job.runAt ?? null,
          job.delayMs,
          job.key ?? null,
          this.channel,
        ]),
      );
      if (inserted !== undefined) return { id: inserted.id, created: true };
      const [held] = rows<{ id: string }>(await client.query(this.sql.activeKey, [job.key]));
      if (held !== undefined) return { id: held.id, created: false };
      // The holder finished between the two statements: the key is free, insert again.
    }
  }

  async get(id: string): Promise<JobRecord | undefined> {
    if (!isId(id)) return undefined;
    const [row] = rows<Row>(await this.idempotent(this.sql.get, [id]));
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
      params.push(filter.states);
      where.push(`state = ANY($${params.length}::text[])`);
    }
    if (filter.name !== undefined) {
      params.push(filter.name);
      where.push(`name = $${params.length}`);
    }
    if (filter.queue !== undefined) {
      params.push(filter.queue);
      where.push(`queue = $${params.length}`);
    }
    params.push(filter.limit);
    const text = `SELECT ${this.sql.columns} FROM ${this.sql.jobs}
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`;
    return rows<Row>(await this.idempotent(text, params)).map(toRecord);
  }

  async counts(): Promise<Record<JobState, number>> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    const result = await this.idempotent(this.sql.counts);
    for (const { state, n } of rows<{ state: JobState; n: number }>(result)) counts[state] = n;
    return counts;
  }

  async cancel(id: string): Promise<CancelOutcome> {
    if (!isId(id)) return 'missing';
    const outcome = await this.transaction(async (client): Promise<CancelOutcome> => {
      const [row] = rows<{ state: JobState }>(await client.query(this.sql.lockState, [id]));
      if (row === undefined) return 'missing';
      if (row.state === 'pending') {
        await client.query(this.sql.cancelPending, [id, JSON.stringify(cancelledByRequest())]);
        return 'cancelled';
      }
      if (row.state === 'running') {
        await client.query(this.sql.requestCancel, [id]);
        // Delivered at COMMIT, to whichever worker runs it.
        await client.query('SELECT pg_notify($1, $2)', [this.channel, `cancel:${id}`]);
        return 'requested';
      }
      return 'finished';
    });
    return outcome;
  }

  async retry(id: string): Promise<RetryOutcome> {
    if (!isId(id)) return 'missing';
    try {
      return await this.transaction(async (client): Promise<RetryOutcome> => {
        const [row] = rows<{ state: JobState; key: string | null }>(
          await client.query(this.sql.lockState, [id]),
        );
        if (row === undefined) return 'missing';
        if (row.state === 'succeeded') return 'succeeded';
        if (row.state === 'pending' || row.state === 'running') return 'not-finished';
        if (
          row.key !== null &&
          (await client.query(this.sql.activeKey, [row.key])).rows.length > 0
        ) {
          return 'key-taken';
        }
        await client.query(this.sql.retry, [id]);
        await client.query("SELECT pg_notify($1, 'ready')", [this.channel]);
        return 'retried';
      });
    } catch (error) {
      // Another process took the key between the check and the update.
      if ((error as { code?: string }).code === '23505') return 'key-taken';
      throw error;
    }
  }

  async prune(olderThanMs: number): Promise<number> {
    return (await this.idempotent(this.sql.prune, [olderThanMs])).rowCount ?? 0;
  }

  async claim(request: ClaimRequest): Promise<Claimed[]> {
    // Expired leases are settled before a claim, but not before every one:
    // a busy worker claims many times a second, and a lease expiry needs
    // noticing within a fraction of a lease, not within a millisecond.
    const now = performance.now();
    if (now - this.lastSettle >= Math.min(1_000, request.leaseMs / 4)) {
      this.lastSettle = now;
      await this.idempotent(this.sql.settleExpired, [
        JSON.stringify(cancelledByRequest()),
        leaseExpiredError('{attempt}').message,
      ]);
    }
    const claimed = rows<Row>(
      await this.pool.query(this.sql.claim, [
        request.owner,
        request.leaseMs,
        request.queues,
        request.names,
        request.limit,
      ]),
    );
    // RETURNING gives no order: the handlers start in the claim's order.
    claimed.sort(
      (a, b) =>
        a.priority - b.priority ||
        a.run_at.getTime() - b.run_at.getTime() ||
        (BigInt(a.id) < BigInt(b.id) ? -1 : 1),
    );
    return claimed.map((row) => ({
      record: toRecord(row),
      lease: { id: row.id, token: row.lease_token },
    }));
  }

  async renew(leases: readonly Lease[], leaseMs: number): Promise<Set<string>> {
    const result = await this.idempotent(this.sql.renew, [
      leases.map((l) => l.id),
      leases.map((l) => l.token),
      leaseMs,
    ]);
    return new Set(rows<{ id: string }>(result).map((r) => r.id));
  }

  async finish(items: readonly Finish[]): Promise<boolean[]> {
    const kinds = items.map(({ outcome }) =>
      outcome.kind === 'failed' && outcome.retryInMs !== null ? 'retry' : outcome.kind,
    );
    const result = await this.pool.query(this.sql.finish, [
      items.map((i) => i.lease.id),
      items.map((i) => i.lease.token),
      kinds,
      items.map(({ outcome }) => (outcome.kind === 'succeeded' ? outcome.result : null)),
      items.map(({ outcome }) =>
        outcome.kind === 'failed' || outcome.kind === 'cancelled'
          ? JSON.stringify(outcome.error)
          : null,
      ),
      items.map(({ outcome }) => (outcome.kind === 'failed' ? outcome.retryInMs : null)),
      JSON.stringify(cancelledByRequest()),
      this.channel,
    ]);
    const done = rows<{ id: string; state: JobState }>(result);
    const held = new Set(done.map((r) => r.id));
    return items.map((i) => held.has(i.lease.id));
  }

  async progress(lease: Lease, value: string): Promise<boolean> {
    const result = await this.idempotent(this.sql.progress, [lease.id, lease.token, value]);
    return result.rowCount === 1;
  }

  async cancelRequested(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const result = await this.idempotent(this.sql.cancelRequested, [ids]);
    return rows<{ id: string }>(result).map((r) => r.id);
  }

  async lastTick(schedule: string): Promise<number | undefined> {
    const [row] = rows<{ last_tick: number }>(await this.idempotent(this.sql.lastTick, [schedule]));
    return row?.last_tick;
  }

  advanceSchedule(tick: ScheduleTick): Promise<boolean> {
    return this.transaction(async (client) => {
      const result =
        tick.previous === undefined
          ? await client.query(this.sql.insertSchedule, [tick.schedule, tick.tick])
          : await client.query(this.sql.advanceSchedule, [tick.schedule, tick.tick, tick.previous]);
      if (result.rowCount !== 1) return false;
      if (tick.job !== undefined) await this.insertOne(tick.job, client);
      return true;
    });
  }

  subscribe(events: StoreEvents): () => void {
    this.subscribers.add(events);
    if (this.listener === undefined && !this.closed) {
      const config = (this.pool as { options?: object }).options ?? {};
      this.listener = new Listener(this.driver.Client, config, this.channel, {
        notify: (payload) => {
          if (payload === 'ready') for (const s of this.subscribers) s.ready();
          else if (payload.startsWith('cancel:')) {
            const id = payload.slice('cancel:'.length);
            for (const s of this.subscribers) s.cancel(id);
          }
        },
        reconnected: () => {
          for (const s of this.subscribers) s.ready();
        },
        failed: (error) => {
          for (const s of this.subscribers) s.failed(error);
        },
      });
      this.listener.start();
    }
    return () => {
      this.subscribers.delete(events);
      if (this.subscribers.size === 0 && this.listener !== undefined) {
        const listener = this.listener;
        this.listener = undefined;
        void listener.close();
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
    if (this.ownsPool) await this.pool.end();
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object without a query() method`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
