/**
 * Schedules: the last tick each one enqueued. A worker advances a tick
 * with a compare-and-set on `last_tick` in the same transaction as the
 * tick's job, so each tick is enqueued once however many workers share the
 * store.
 */
export const sql = `
CREATE TABLE weft_schedules (
  schedule  TEXT    PRIMARY KEY,
  last_tick INTEGER NOT NULL
)`;
