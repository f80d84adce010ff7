/**
 * Chaos on PostgreSQL, with real processes: worker processes SIGKILLed at
 * random while they run jobs, and the database itself restarted mid-run.
 * Afterwards every job has succeeded, its outcome recorded exactly once
 * (a trigger counts each job's arrival in a final state), none is lost;
 * the handler runs that happened twice (at-least-once) are counted and
 * printed, with the time a killed worker's jobs took to run elsewhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { sleep } from '../src/index.js';
import { defineJob, type Jobs, openJobs } from '../src/jobs/index.js';
import { spawnWorker, type WorkerProcess, workerProcess } from './jobs-conformance.js';
import { dropSchema, freshSchema, POSTGRES_URL, sql } from './postgres-helpers.js';

// The fixture's job, as enqueued here (the handler runs in the worker processes).
const work = defineJob('work', async (_p: { ms: number }) => process.pid);

/** A fresh schema with a trigger that records every arrival of a job in a final state. */
async function withCountedSchema(
  body: (ctx: { schema: string; jobs: Jobs }) => Promise<void>,
): Promise<void> {
  const schema = freshSchema('chaos');
  const jobs = await openJobs(POSTGRES_URL, { schema });
  const s = `"${schema}"`;
  await sql(`CREATE TABLE ${s}.outcomes (id bigint NOT NULL, state text NOT NULL)`);
  await sql(`CREATE FUNCTION ${s}.count_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO ${s}.outcomes (id, state) VALUES (NEW.id, NEW.state); RETURN NEW; END $$`);
  await sql(`CREATE TRIGGER count_outcome AFTER UPDATE OF state ON ${s}.weft_jobs FOR EACH ROW
    WHEN (NEW.state IN ('succeeded', 'failed', 'cancelled') AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION ${s}.count_outcome()`);
  try {
    await body({ schema, jobs });
  } finally {
    await jobs.close();
    await dropSchema(schema);
  }
}

/** Every job succeeded, each outcome recorded once, nothing pending or running. */
async function assertAllOnce(schema: string, jobs: Jobs, total: number): Promise<void> {
  const counts = await jobs.counts();
  assert.deepEqual(counts, { pending: 0, running: 0, succeeded: total, failed: 0, cancelled: 0 });
  const { rows } = await sql(
    `SELECT count(*)::int AS outcomes, count(DISTINCT id)::int AS jobs,
            count(*) FILTER (WHERE state <> 'succeeded')::int AS other
       FROM "${schema}".outcomes`,
  );
  assert.deepEqual(
    rows[0],
    { outcomes: total, jobs: total, other: 0 },
    'each outcome recorded once',
  );
}

async function drained(jobs: Jobs, total: number, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    // While the database restarts, this process's own calls fail too.
    const counts = await jobs.counts().catch((error: unknown) => String(error));
    if (typeof counts !== 'string' && counts.succeeded >= total) return;
    assert.ok(performance.now() < deadline, `not drained: ${JSON.stringify(counts)}`);
    await sleep(100);
  }
}

/** Handler runs per job id, from the workers' events. */
function runsById(workers: WorkerProcess[], kind: 'start' | 'end'): Map<string, number> {
  const runs = new Map<string, number>();
  for (const w of workers) {
    for (const e of w.events) {
      if (kind in e) runs.set(String(e[kind]), (runs.get(String(e[kind])) ?? 0) + 1);
    }
  }
  return runs;
}

function duplicates(runs: Map<string, number>): number {
  let extra = 0;
  for (const n of runs.values()) extra += n - 1;
  return extra;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

describe('PostgreSQL chaos', { timeout: 300_000 }, () => {
  test('4 workers, 10,000 jobs, a random worker SIGKILLed every 200-500 ms (30 kills): every job succeeds once', () =>
    withCountedSchema(async ({ schema, jobs }) => {
      const total = 10_000;
      const leaseMs = 1_000;
      await jobs.enqueueMany(
        work,
        Array.from({ length: total }, (_, i) => ({ ms: 1 + ((i * 7919) % 20) })),
        { maxAttempts: 1_000 }, // kills cost attempts; none may fail for that here
      );
      const options = {
        url: POSTGRES_URL,
        options: { schema },
        concurrency: 4,
        leaseMs,
        pollMs: 100,
      };
      const all: WorkerProcess[] = [];
      const live: WorkerProcess[] = [];
      for (let i = 0; i < 4; i++) live.push(await workerProcess(options));
      all.push(...live);
      const kills: Array<{ at: number; inFlight: string[] }> = [];
      for (let k = 0; k < 30; k++) {
        await sleep(200 + Math.floor(Math.random() * 300));
        const victim = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
        victim.child.kill('SIGKILL');
        const at = Date.now();
        await new Promise((resolve) => victim.child.once('exit', resolve));
        const ended = new Set(victim.events.filter((e) => 'end' in e).map((e) => String(e.end)));
        const inFlight = victim.events
          .filter((e) => 'start' in e && !ended.has(String(e.start)))
          .map((e) => String(e.start));
        kills.push({ at, inFlight });
        const fresh = spawnWorker(options);
        live.push(fresh);
        all.push(fresh);
      }
      try {
        await drained(jobs, total, 120_000);
        await assertAllOnce(schema, jobs, total);
        // How long a killed worker's jobs waited before they ran again elsewhere.
        const recoveries: number[] = [];
        for (const { at, inFlight } of kills) {
          for (const id of inFlight) {
            const again = all
              .flatMap((w) => w.events)
              .filter((e) => String(e.start) === id && Number(e.at) >= at)
              .map((e) => Number(e.at) - at);
            if (again.length > 0) recoveries.push(Math.min(...again));
          }
        }
        const starts = runsById(all, 'start');
        const ends = runsById(all, 'end');
        const hit = kills.filter((k) => k.inFlight.length > 0).length;
        console.log(
          `# chaos: ${kills.length} kills (${hit} while handlers ran, ${kills.reduce((n, k) => n + k.inFlight.length, 0)} handlers interrupted); ` +
            `${starts.size} jobs started, ${duplicates(starts)} extra starts, ${duplicates(ends)} handlers completed twice; ` +
            `a killed worker's job ran again after ${median(recoveries)} ms median, ${Math.max(0, ...recoveries)} ms max (leaseMs ${leaseMs})`,
        );
        assert.equal(starts.size, total, 'every job ran');
        assert.ok(hit > 0, 'some kills landed while handlers ran');
        // At-least-once: a repeat needs a kill (or a lease lost), so repeats
        // are bounded by the kills times the handlers each could interrupt.
        assert.ok(duplicates(ends) <= kills.length * options.concurrency);
      } finally {
        await Promise.all(live.map((w) => w.stop()));
      }
    }));

  test('short leases under load: lease renewals and batched outcomes never deadlock', () =>
    withCountedSchema(async ({ schema, jobs }) => {
      // Three workers x 50 handlers renewing 300 ms leases every 100 ms while
      // outcomes land in batches: both write the same rows, and did so in
      // different orders (PostgreSQL's "deadlock detected", leases lost).
      const total = 4_000;
      const errors: unknown[] = [];
      const nap = defineJob('nap', async (ms: number) => {
        await sleep(ms);
        return ms;
      });
      await jobs.enqueueMany(
        nap,
        Array.from({ length: total }, (_, i) => 50 + (i % 400)),
        { maxAttempts: 100 },
      );
      const workers = [0, 1, 2].map(() =>
        jobs.worker({
          jobs: [nap],
          concurrency: 50,
          leaseMs: 300,
          pollMs: 20,
          onError: (e) => errors.push(e),
        }),
      );
      const runs = workers.map((w) => w.run());
      try {
        await drained(jobs, total, 120_000);
      } finally {
        await Promise.all(workers.map((w) => w.stop({ graceMs: 0 })));
        await Promise.all(runs);
      }
      assert.deepEqual(
        errors.map(String).filter((e) => /deadlock/.test(e)),
        [],
        'no deadlock between renewals and outcomes',
      );
      await assertAllOnce(schema, jobs, total);
    }));

  test(
    'the database restarts mid-run: workers reconnect, nothing is lost, each outcome recorded once',
    {
      skip: existsSync('/usr/bin/pg_ctlcluster')
        ? false
        : 'needs pg_ctlcluster to restart the local PostgreSQL',
    },
    () =>
      withCountedSchema(async ({ schema, jobs }) => {
        const total = 2_000;
        await jobs.enqueueMany(
          work,
          Array.from({ length: total }, (_, i) => ({ ms: 5 + ((i * 31) % 30) })),
          { maxAttempts: 1_000 },
        );
        const options = {
          url: POSTGRES_URL,
          options: { schema },
          concurrency: 8,
          leaseMs: 5_000,
          pollMs: 100,
        };
        const workers = [await workerProcess(options), await workerProcess(options)];
        try {
          await drained(jobs, Math.floor(total / 5), 60_000).catch(() => {});
          const before = (await jobs.counts()).succeeded;
          const restarted = performance.now();
          const result = spawnSync(
            'pg_ctlcluster',
            ['--skip-systemctl-redirect', '15', 'main', 'restart'],
            {
              encoding: 'utf8',
            },
          );
          assert.equal(result.status, 0, `pg_ctlcluster restart failed: ${result.stderr}`);
          const down = performance.now() - restarted;
          // `jobs` (this process's pool) reconnects too: its next query opens a fresh connection.
          await drained(jobs, total, 120_000);
          await assertAllOnce(schema, jobs, total);
          const errors = workers.flatMap((w) => w.events.filter((e) => 'error' in e));
          const ends = runsById(workers, 'end');
          console.log(
            `# restart: ${before}/${total} done when PostgreSQL restarted (${down.toFixed(0)} ms); all ${total} done once after; ` +
              `${errors.length} errors reported by ${workers.length} workers; ${duplicates(ends)} handlers completed twice`,
          );
          for (const w of workers) {
            const reported = w.events.filter((e) => 'error' in e).length;
            assert.ok(
              reported <= 3,
              `errors are reported once per outage, not per poll (got ${reported})`,
            );
          }
        } finally {
          await Promise.all(workers.map((w) => w.stop()));
        }
      }),
  );
});
