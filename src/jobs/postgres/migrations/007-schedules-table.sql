-- Schedules: the last tick each one enqueued (ms since the epoch, on the
-- database's clock). A worker advances a tick with a compare-and-set on
-- `last_tick` in the same transaction as the tick's job, so each tick is
-- enqueued once however many workers share the store.
CREATE TABLE weft_schedules (
  schedule  text   PRIMARY KEY,
  last_tick bigint NOT NULL
);
