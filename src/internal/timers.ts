/**
 * Timers that accept any delay. `setTimeout` silently turns delays above
 * 2^31-1 ms (about 24.8 days) into 1 ms; a `sleep(30 days)` must not fire
 * at once, so long delays are re-armed in steps.
 */

const MAX_DELAY = 2 ** 31 - 1;

export interface TimerHandle {
  handle: ReturnType<typeof setTimeout> | undefined;
  /** Set only for delays re-armed in steps (a short timer's own start tells its deadline). */
  deadline?: number;
}

/** Call `fn(arg)` after `ms` (may be Infinity: never, but keeps the process alive like asyncio). */
export function startTimer<A>(ms: number, fn: (arg: A) => void, arg: A): TimerHandle {
  const timer: TimerHandle = { handle: undefined };
  arm(timer, performance.now() + ms, fn, arg);
  return timer;
}

function arm<A>(timer: TimerHandle, deadline: number, fn: (arg: A) => void, arg: A): void {
  const left = deadline - performance.now();
  if (left <= MAX_DELAY) {
    timer.handle = setTimeout(fn, Math.max(0, left), arg);
  } else {
    timer.deadline = deadline;
    timer.handle = setTimeout(() => arm(timer, deadline, fn, arg), MAX_DELAY);
  }
}

export function stopTimer(timer: TimerHandle | undefined): void {
  if (timer?.handle !== undefined) {
    clearTimeout(timer.handle);
    timer.handle = undefined;
  }
}

export { MAX_DELAY };
