/** Fixed settings of `npm run bench:jobs` and the scenario ids they make (shared with the tests). */

/** Producers of enqueue-concurrent. */
export const PRODUCERS = 16;
/** Each worker's `concurrency`. */
export const CONCURRENCY = 24;
/** Worker processes of the processing scenarios. */
export const PROCESSES = [1, 4] as const;
/** `pollMs` of the workers that drain a backlog (they claim again as slots free; polling barely matters). */
export const PROCESSING_POLL_MS = 100;
/** `pollMs` values of the other-process latency runs. */
export const POLLS = [10, 50, 250, 1000] as const;
/** Between two enqueues of a latency run. */
export const SPACING_MS = 10;

/** Every scenario id, in report order. */
export const JOBS_SCENARIO_IDS = [
  'enqueue-serial',
  'enqueue-concurrent',
  'enqueue-many',
  ...PROCESSES.map((p) => `process-${p}`),
  'retry',
  'latency-same',
  ...POLLS.map((p) => `latency-poll-${p}`),
];
