/**
 * weft's timers: every `sleep`, `timeout` and `wait` deadline.
 *
 * One Node timer per distinct duration, not one per sleep: timers of the
 * same duration (in whole milliseconds) are due in the order they were
 * started, so each duration keeps a FIFO list of light entries and arms a
 * single Node timer for its head. A sleeping task then costs one small
 * object instead of a Node `Timeout` plus its bookkeeping (100k sleeping
 * tasks hold 100k entries and a handful of Node timers), and cancelling is
 * an O(1) unlink. Node's own timers work the same way internally, with a
 * heavier object per timer.
 *
 * Delays above 2^31-1 ms (about 24.8 days), which `setTimeout` silently
 * turns into 1 ms, are re-armed in steps: a `sleep(30 days)` must not fire
 * at once.
 */

const MAX_DELAY = 2 ** 31 - 1;

/**
 * An entry in a duration list. `sleep` waiters are entries themselves (one
 * object per sleeping task); other users get a {@link TimerHandle}.
 */
export abstract class TimerEntry {
  /** @internal */ _prev: TimerEntry | undefined = undefined;
  /** @internal */ _next: TimerEntry | undefined = undefined;
  /** @internal The list it waits in; undefined when not armed (never, fired or stopped). */
  _list: DurationList | undefined = undefined;
  /**
   * @internal When it is due: whole milliseconds on the `performance.now()`
   * clock, rounded up (an integer is stored in the object; a fraction would
   * cost a heap number per timer).
   */
  _due = 0;
  /** Called once when due. */
  abstract _fire(): void;
}

/** A started timer: `fn(arg)` when due, unless stopped. */
export class TimerHandle extends TimerEntry {
  constructor(
    readonly fn: (arg: never) => void,
    readonly arg: unknown,
  ) {
    super();
  }
  _fire(): void {
    this.fn(this.arg as never);
  }
}

/** The timers of one duration, in the order they are due, behind one Node timer. */
class DurationList {
  head: TimerEntry | undefined = undefined;
  tail: TimerEntry | undefined = undefined;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  constructor(readonly key: number) {}
}

const lists = new Map<number, DurationList>();

/** Call `fn(arg)` after `ms` (may be Infinity: never, but keeps the process alive like asyncio). */
export function startTimer<A>(ms: number, fn: (arg: A) => void, arg: A): TimerHandle {
  const timer = new TimerHandle(fn as (arg: never) => void, arg);
  armTimer(timer, ms);
  return timer;
}

/** Call `fn(arg)` at `due` on the `performance.now()` clock (`left`: the time to it, when the caller knows it). */
export function startTimerAt<A>(
  due: number,
  fn: (arg: A) => void,
  arg: A,
  left = due - performance.now(),
): TimerHandle {
  const timer = new TimerHandle(fn as (arg: never) => void, arg);
  insert(timer, Math.ceil(due), left);
  return timer;
}

/** Arm `entry` to fire after `ms`. */
export function armTimer(entry: TimerEntry, ms: number): void {
  insert(entry, Math.ceil(performance.now() + ms), ms);
}

function insert(entry: TimerEntry, due: number, ms: number): void {
  entry._due = due;
  // Whole milliseconds, as Node's own timer lists: a timer started later in
  // the same list is due no earlier than the ones before it (to within the
  // rounding, which fires a timer at most a millisecond late).
  const key = ms === Number.POSITIVE_INFINITY ? ms : Math.max(1, Math.ceil(ms));
  let list = lists.get(key);
  if (list === undefined) {
    list = new DurationList(key);
    lists.set(key, list);
  }
  entry._list = list;
  const tail = list.tail;
  if (tail === undefined) {
    list.head = list.tail = entry;
    const timer = list.timer;
    // An emptied list keeps its Node timer (see stopTimer): armed for an
    // earlier entry of the same duration, it fires no later than this one is
    // due, and fire() re-arms for the rest. Only its hold on the process
    // comes back.
    if (timer === undefined) arm(list, due);
    else timer.ref();
  } else {
    tail._next = entry;
    entry._prev = tail;
    list.tail = entry;
  }
}

function arm(list: DurationList, due: number): void {
  const left = due - performance.now();
  list.timer = setTimeout(fire, Math.min(MAX_DELAY, Math.max(1, left)), list);
}

function fire(list: DurationList): void {
  list.timer = undefined;
  // The head is due by `performance.now()`; Node may fire a little before
  // (its loop clock is cached, in whole milliseconds): the head is then
  // re-armed for the rest, a millisecond at most. Entries due within a
  // millisecond of the first one fired go with it, so timers started in the
  // same turn (two sleep(100) a few microseconds apart) wake in the same
  // turn, whichever side of a millisecond boundary their due times fell.
  let horizon = performance.now();
  let first = true;
  for (let entry = list.head; entry !== undefined; entry = list.head) {
    if (entry._due > horizon) {
      // A callback that started a timer in an emptied list armed it already.
      if (list.timer === undefined) arm(list, entry._due);
      return;
    }
    if (first) {
      first = false;
      horizon = Math.max(horizon, entry._due + 1);
    }
    unlink(list, entry);
    // An entry's callback never throws into the others: weft's callbacks
    // only settle promises.
    entry._fire();
  }
  // Every timer of this duration is gone (a callback may have started a new
  // one in it: then it is armed again already).
  if (list.head === undefined && list.timer === undefined) forgetList(list);
}

/** Drop an empty list (unless a new list for its duration replaced it meanwhile). */
function forgetList(list: DurationList): void {
  if (lists.get(list.key) === list) lists.delete(list.key);
}

function unlink(list: DurationList, entry: TimerEntry): void {
  const { _prev: prev, _next: next } = entry;
  if (prev === undefined) list.head = next;
  else prev._next = next;
  if (next === undefined) list.tail = prev;
  else next._prev = prev;
  entry._prev = entry._next = undefined;
  entry._list = undefined;
}

/** Stop a timer (no-op when undefined, fired or stopped already). */
export function stopTimer(entry: TimerEntry | undefined): void {
  const list = entry?._list;
  if (list === undefined) return;
  unlink(list, entry!);
  // The Node timer stays armed for the old head's time: it then re-arms for
  // the new head, which is due no earlier. Even when this was the last
  // entry: clearing it and setting a new one for the next timer of this
  // duration cost more than the rest of a `timeout()` that finished in time
  // (a Node timer is inserted and removed per call). Unreferenced, it no
  // longer keeps the process alive; when it fires on an empty list, the list
  // is dropped.
  if (list.head === undefined) list.timer?.unref();
}

/** The duration an armed entry waits for, in whole milliseconds (0 when not armed). */
export function timerDuration(entry: TimerEntry): number {
  return entry._list?.key ?? 0;
}

/** How many weft timers are armed (for tests: nothing may be left behind). */
export function activeTimers(): number {
  let count = 0;
  for (const list of lists.values()) {
    for (let t = list.head; t !== undefined; t = t._next) count++;
  }
  return count;
}
