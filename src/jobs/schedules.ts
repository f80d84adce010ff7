/**
 * Cron schedules of a worker: each tick enqueued exactly once, however many
 * workers share the store.
 *
 * A schedule (job name + cron) keeps its last enqueued tick in the store.
 * A worker that finds a tick due advances it with a compare-and-set in the
 * same transaction as the tick's job (key `<name>@<tick ISO>`); the workers
 * that lose the race enqueue nothing. Ticks missed while no worker ran are
 * not replayed: the latest due one is enqueued, once.
 *
 * @module
 */

import { Cron } from 'croner';
import { show } from '../internal/validate.js';
import { sleep } from '../sleep.js';
import { Job } from './define.js';
import { toJson } from './json.js';
import type { NewJob } from './store.js';
import type { JobWorker } from './worker.js';

/** One entry of a worker's `schedules`. */
export interface Schedule {
  // biome-ignore lint/suspicious/noExplicitAny: any job, whatever its payload and result types.
  job: Job<any, any>;
  /** 5 fields (minute first), or 6 with seconds first: croner syntax. */
  cron: string;
  /**
   * The payload of every tick's job.
   * @default null
   */
  payload?: unknown;
  /**
   * An IANA time zone the cron expression is read in.
   * @default the process's time zone
   */
  timezone?: string;
}

/** The longest a schedule loop sleeps before it looks again (a clock jump, a new tick elsewhere). */
const MAX_SLEEP_MS = 60_000;

/** @internal The first problem with a worker's `schedules`, as an error naming it. */
export function checkSchedules(schedules: unknown, jobs: unknown): Error | undefined {
  if (!Array.isArray(schedules)) {
    return new TypeError(`Expected \`options.schedules\` to be an array, got ${show(schedules)}`);
  }
  const seen = new Set<string>();
  for (const [i, entry] of schedules.entries()) {
    const label = `options.schedules[${i}]`;
    if (typeof entry !== 'object' || entry === null) {
      return new TypeError(
        `Expected \`${label}\` to be { job, cron, payload?, timezone? }, got ${show(entry)}`,
      );
    }
    const { job, cron, timezone, payload } = entry as Schedule;
    if (!(job instanceof Job)) {
      return new TypeError(
        `Expected \`${label}.job\` to be a Job made by defineJob(), got ${show(job)}`,
      );
    }
    if (Array.isArray(jobs) && !jobs.includes(job)) {
      return new TypeError(`\`${label}.job\` ('${job.name}') must also be in \`options.jobs\``);
    }
    if (typeof cron !== 'string') {
      return new TypeError(`Expected \`${label}.cron\` to be a cron expression, got ${show(cron)}`);
    }
    const fields = cron.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      return new RangeError(
        `Expected \`${label}.cron\` to have 5 fields (or 6 with seconds first), got ${show(cron)}`,
      );
    }
    if (timezone !== undefined) {
      if (typeof timezone !== 'string') {
        return new TypeError(
          `Expected \`${label}.timezone\` to be an IANA time zone name, got ${show(timezone)}`,
        );
      }
      try {
        new Intl.DateTimeFormat('en', { timeZone: timezone });
      } catch {
        return new RangeError(
          `Expected \`${label}.timezone\` to be an IANA time zone name, got ${show(timezone)}`,
        );
      }
    }
    try {
      new Cron(cron, { timezone, paused: true });
    } catch (error) {
      return new RangeError(
        `\`${label}.cron\` is not a valid cron expression: ${(error as Error).message}`,
      );
    }
    try {
      toJson(payload ?? null, `${label}.payload`);
    } catch (error) {
      return error as Error;
    }
    const id = scheduleId(job, cron);
    if (seen.has(id)) return new TypeError(`\`${label}\` repeats the schedule ${id}`);
    seen.add(id);
  }
  return undefined;
}

function scheduleId(job: Job<unknown, unknown>, cron: string): string {
  return `${job.name} ${cron.trim()}`;
}

/** @internal Enqueue due ticks until the worker stops (its task is cancelled). */
export async function scheduleLoop(worker: JobWorker): Promise<never> {
  const store = worker._jobs._store;
  const entries = worker._schedules.map((s) => ({
    schedule: s,
    id: scheduleId(s.job, s.cron),
    cron: new Cron(s.cron, { timezone: s.timezone, paused: true }),
    payload: toJson(s.payload ?? null, 'payload'),
  }));
  for (;;) {
    let wakeIn = MAX_SLEEP_MS;
    try {
      const now = await store.now();
      for (const entry of entries) {
        const last = await store.lastTick(entry.id);
        if (last === undefined) {
          // First sight of this schedule: count from now, replay nothing.
          await store.advanceSchedule({
            schedule: entry.id,
            previous: undefined,
            tick: now,
            job: undefined,
          });
          const next = entry.cron.nextRun(new Date(now));
          if (next !== null) wakeIn = Math.min(wakeIn, next.getTime() - now);
          continue;
        }
        const next = entry.cron.nextRun(new Date(last));
        if (next === null) continue; // an expression with no future tick
        if (next.getTime() > now) {
          wakeIn = Math.min(wakeIn, next.getTime() - now);
          continue;
        }
        // Due. Missed ticks are not replayed: the latest one due is the one to run.
        const latest = entry.cron.previousRuns(1, new Date(now + 1))[0] ?? next;
        const tick = Math.max(latest.getTime(), next.getTime());
        const job = entry.schedule.job;
        const row: NewJob = {
          name: job.name,
          queue: job.queue,
          payload: entry.payload,
          priority: job.priority,
          maxAttempts: job.maxAttempts,
          delayMs: 0,
          runAt: undefined,
          key: `${job.name}@${new Date(tick).toISOString()}`,
        };
        if (await store.advanceSchedule({ schedule: entry.id, previous: last, tick, job: row })) {
          worker._jobs._wakeWorkers();
        }
        wakeIn = 0; // look again at once: the next tick may be due too
      }
      worker._storeWorks();
    } catch (error) {
      worker._storeFailed(error);
      wakeIn = worker._pollMs;
    }
    await sleep(Math.max(1, Math.min(wakeIn, MAX_SLEEP_MS)));
  }
}
