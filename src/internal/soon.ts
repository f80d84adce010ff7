/**
 * The ready queue: callbacks that run on the next turn of the event loop,
 * all of one turn's in one `setImmediate`, in the order they were queued
 * (asyncio's `call_soon`).
 *
 * With an immediate per `checkpoint()`, one task's wake-up and all the
 * microtasks it triggers (its completion, its awaiters, their done
 * callbacks) ran before a sibling woken in the same turn resumed. asyncio
 * resumes every task woken in one iteration first, then what they
 * scheduled: nested task groups cancelled together, or a `wait()` counting
 * tasks done, behave differently otherwise.
 */

/** Something queued to run soon: a `checkpoint()` waiter, an expired deadline. */
export interface SoonEntry {
  /** Queued and not yet run or cancelled. */
  _soonQueued: boolean;
  /** Runs once, on the turn after it was queued (unless cancelled first). */
  _runSoon(): void;
}

let batch: SoonEntry[] = [];
let scheduled = false;

/** Queue `entry` to run on the next turn, after everything queued before it. */
export function callSoon(entry: SoonEntry): void {
  entry._soonQueued = true;
  batch.push(entry);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

/**
 * Take `entry` out of the queue; false when it already ran or was
 * cancelled. (The turn's immediate still fires, and finds nothing to do.)
 */
export function cancelSoon(entry: SoonEntry): boolean {
  if (!entry._soonQueued) return false;
  entry._soonQueued = false;
  return true;
}

function flush(): void {
  // Entries queued while this batch runs (none from resolving promises:
  // their reactions run after this callback) wait for the next turn.
  const running = batch;
  batch = [];
  scheduled = false;
  for (let i = 0; i < running.length; i++) {
    const entry = running[i]!;
    if (!entry._soonQueued) continue;
    entry._soonQueued = false;
    try {
      entry._runSoon();
    } catch (error) {
      // weft's own entries do not throw; if one did, the rest of the batch
      // must still run, and the error must not vanish.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
