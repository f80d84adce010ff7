/**
 * Property-based tests (fast-check) for the sync primitives and queues:
 * random schedules of tasks that acquire, hold and release locks and
 * semaphores, or put to and get from queues, with cancellations and
 * timeouts at random moments.
 *
 * Schedules are driven by checkpoint() turns, not by wall-clock time: the
 * main task plays a random list of operations, one per turn, while the
 * tasks it spawned run their own random steps (each `turn` step is one
 * `checkpoint()`). Timeouts are `timeout(0, ...)` (it expires at the next
 * turn) or `timeout(null, ...)` expired on purpose by the schedule with
 * `scope.reschedule(now)`; nothing depends on how long anything takes, so a
 * failing case replays the same way when fast-check shrinks it.
 *
 * Steps that do not await run in the same synchronous turn as the step
 * before them: `release()` then `cancel()` of the waiter it handed the lock
 * to, `putNowait()` then `cancel()` of the getter it handed the item to,
 * `getNowait()` then `cancel()` of the putter it let in. That is the
 * "woken, then cancelled before it resumed" window of the FIFO hand-over.
 *
 * What the code under test did is recorded as it happens, at the promise it
 * returned (a `.then` attached at once, so records come in the order the
 * promises settled), and the invariants are checked against that record.
 *
 * Properties:
 * 1. Lock / Semaphore(k) / BoundedSemaphore(k): holders never exceed the
 *    permits; no deadlock (every task finishes within a bounded number of
 *    turns once holders release); the primitive ends free with its initial
 *    value and no waiter; FIFO (a waiter never gets the permit while an older
 *    waiter still waits, so waiters are served in the order they began to
 *    wait); an acquire rejects only with CancelledError (or TimeoutError
 *    from its timeout), only when it was cancelled, and then holds nothing.
 * 2. Queue / LifoQueue / PriorityQueue with random maxsize (0..5),
 *    producers, consumers, cancellations, timeouts and shutdowns: each item
 *    whose put resolved is delivered exactly once (or dropped by
 *    shutdown(true)); no item of a rejected put is delivered; a get or put
 *    whose task is cancelled in the turn that woke it (before it resumed)
 *    ends in CancelledError, having taken or added nothing (asyncio's rule:
 *    the item goes to the next reader, so none is lost); every task
 *    finishes after shutdown; join() resolves once every delivered item is
 *    marked done.
 * 3. Queue: each producer's items come out in put order, "out" being the
 *    order of the get calls that received them.
 * 4. qsize() never exceeds maxsize (when maxsize > 0).
 * 5. PriorityQueue and LifoQueue filled before any get: items come out
 *    sorted (ties in insertion order), resp. newest first.
 * 6. Woken waits of every primitive (Lock, Semaphore, Event, Condition,
 *    Queue get and put, Barrier): in the turn that wakes some waiters, each
 *    waiter is left alone, cancelled, cancelled then uncancelled, or
 *    cancelled twice and uncancelled once. A wait with a cancellation left
 *    standing rejects CancelledError and passes its wake-up (lock, permit,
 *    notification, item, slot) to the next waiter, in FIFO order; one whose
 *    only cancellation was undone before it resumed completes normally; a
 *    cancelled barrier party never breaks the barrier.
 * Properties 1, 2, 5 and 6 also check that after run() allTasks() is empty,
 * and that there is no unhandled rejection, no unretrieved task error, no
 * weft warning and no abort listener on any signal the test obtained.
 *
 * Runs per property: see RUNS below, or WEFT_PROPERTY_RUNS.
 */

import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  allTasks,
  Barrier,
  BoundedSemaphore,
  CancelledError,
  Condition,
  checkpoint,
  createTask,
  Event,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  Semaphore,
  type Task,
  type Timeout,
  TimeoutError,
  timeout,
} from '../src/index.js';
import { runWatched, type Settled, settle } from './property-harness.js';

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/** Runs per property; WEFT_PROPERTY_RUNS overrides every one (e.g. 5000 to hunt rare cases). */
function runs(byDefault: number): number {
  const forced = process.env.WEFT_PROPERTY_RUNS;
  return forced === undefined ? byDefault : Number(forced);
}

/** How many turns the schedule waits for its tasks to finish before it calls it a deadlock. */
const SETTLE_TURNS = 2_000;

/** Checked after every run: nothing is left behind. */
function assertCleanRun(
  watched: Awaited<ReturnType<typeof runWatched>>,
  signals: readonly AbortSignal[],
): void {
  assert.ok(
    watched.outcome.ok,
    `run() resolves, got ${watched.outcome.ok ? '' : show(watched.outcome.error)}`,
  );
  assert.equal(allTasks().size, 0, 'allTasks() is empty after run()');
  assert.deepEqual(watched.unhandled.map(show), [], 'no unhandled rejection');
  assert.deepEqual(watched.unretrieved.map(show), [], 'no unretrieved task error');
  assert.deepEqual(watched.warnings.map(show), [], 'no weft warning');
  for (const signal of signals) {
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'no abort listener left');
  }
}

function show(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A task of the schedule, with the cancel() calls it accepted. */
interface Actor {
  id: number;
  task: Task<void>;
  /** cancel() calls on this task that returned true. */
  cancels: number;
}

function cancelActor(actor: Actor): void {
  if (actor.task.cancel()) actor.cancels++;
}

/** Checkpoint until every task is done, at most `limit` turns; true if they all are. */
async function settleWithin(tasks: readonly Task<unknown>[], limit: number): Promise<boolean> {
  for (let i = 0; i < limit; i++) {
    if (tasks.every((task) => task.done())) return true;
    await checkpoint();
  }
  return tasks.every((task) => task.done());
}

/** Await tasks one by one (retrieving their errors); returns their outcomes. */
async function awaitAll(tasks: readonly Task<void>[]): Promise<Settled<void>[]> {
  const outcomes: Settled<void>[] = [];
  for (const task of tasks) outcomes.push(await settle(task));
  return outcomes;
}

/** Counters summed over every run of a property, printed as test diagnostics. */
type Stats = Record<string, number>;

function bump(stats: Stats, key: string, by = 1): void {
  stats[key] = (stats[key] ?? 0) + by;
}

// ---------------------------------------------------------------------------
// 1. Lock, Semaphore, BoundedSemaphore
// ---------------------------------------------------------------------------

/**
 * How a round takes the permit: a bare `acquire()`, `timeout(0, () => acquire())`
 * (expires at the next turn), `timeout(null, ...)` (expired by an `expireWaiter`
 * step), or `runExclusive()` (its inner acquire cannot be observed
 * directly, so it takes no part in the FIFO check).
 */
type AcquireWrap = 'plain' | 'timeout0' | 'timeoutCtl' | 'exclusive';

/** Done right after `release()`, in the same synchronous turn. */
type AfterRelease =
  | { kind: 'cancelWaiter'; nth: number }
  | { kind: 'expireWaiter'; nth: number }
  | { kind: 'cancelWorker'; index: number }
  | { kind: 'cancelSelf' };

interface Round {
  wrap: AcquireWrap;
  /** Checkpoints while holding the permit. */
  hold: number;
  after: AfterRelease[];
}

interface LockWorkerPlan {
  rounds: Round[];
  /** Checkpoints after the last round. */
  tail: number;
}

type LockOp =
  | { kind: 'spawn'; plan: LockWorkerPlan }
  | { kind: 'cancelWorker'; index: number }
  | { kind: 'cancelWaiter'; nth: number }
  | { kind: 'expireWaiter'; nth: number }
  | { kind: 'turn' };

interface LockScenario {
  primitive: 'Lock' | 'Semaphore' | 'BoundedSemaphore';
  permits: number;
  /** Spawned together in the first turn: they all contend at once. */
  initial: LockWorkerPlan[];
  ops: LockOp[];
}

const afterReleaseArb: fc.Arbitrary<AfterRelease> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('cancelWaiter' as const), nth: fc.nat(2) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('expireWaiter' as const), nth: fc.nat(2) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancelWorker' as const), index: fc.nat(7) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancelSelf' as const }) },
);

const roundArb: fc.Arbitrary<Round> = fc.record({
  wrap: fc.constantFrom<AcquireWrap>(
    'plain',
    'plain',
    'plain',
    'timeout0',
    'timeoutCtl',
    'exclusive',
  ),
  hold: fc.nat(3),
  after: fc.oneof(
    fc.constant<AfterRelease[]>([]),
    fc.array(afterReleaseArb, { minLength: 1, maxLength: 2 }),
  ),
});

const lockWorkerArb: fc.Arbitrary<LockWorkerPlan> = fc.record({
  rounds: fc.array(roundArb, { minLength: 1, maxLength: 3 }),
  tail: fc.nat(1),
});

const lockOpArb: fc.Arbitrary<LockOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('spawn' as const), plan: lockWorkerArb }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancelWorker' as const), index: fc.nat(7) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancelWaiter' as const), nth: fc.nat(2) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('expireWaiter' as const), nth: fc.nat(2) }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'turn' as const }) },
);

const lockScenarioArb: fc.Arbitrary<LockScenario> = fc
  .record({
    primitive: fc.constantFrom('Lock' as const, 'Semaphore' as const, 'BoundedSemaphore' as const),
    permits: fc.integer({ min: 1, max: 3 }),
    initial: fc.array(lockWorkerArb, { minLength: 1, maxLength: 6 }),
    ops: fc.array(lockOpArb, { maxLength: 14 }),
  })
  .map((s) => (s.primitive === 'Lock' ? { ...s, permits: 1 } : s));

/** One `acquire()` call, as the test saw it. */
interface Acquisition {
  worker: Actor;
  /** Order in which waiting acquires began (-1: the permit was free, it did not wait). */
  seq: number;
  /** Whether its settling is observed at the promise acquire() returned (not runExclusive). */
  observed: boolean;
  state: 'pending' | 'acquired' | 'rejected';
  scope: Timeout | undefined;
}

class LockWorld {
  readonly prim: Lock | Semaphore;
  holders = 0;
  nextSeq = 0;
  /** Acquisitions that waited and have not settled, oldest first. */
  readonly waiting: Acquisition[] = [];
  /** `seq` of each observed waiter that got the permit, in that order. */
  readonly acquiredOrder: number[] = [];
  readonly workers: Actor[] = [];
  readonly signals: AbortSignal[] = [];
  readonly violations: string[] = [];

  constructor(
    readonly scenario: LockScenario,
    readonly stats: Stats,
  ) {
    const { primitive, permits } = scenario;
    this.prim =
      primitive === 'Lock'
        ? new Lock()
        : primitive === 'Semaphore'
          ? new Semaphore(permits)
          : new BoundedSemaphore(permits);
  }

  get permits(): number {
    return this.scenario.permits;
  }

  /** Registers a new acquire() about to be called; call it right before. */
  begin(worker: Actor, observed: boolean): Acquisition {
    const waits = this.prim.locked();
    const acq: Acquisition = {
      worker,
      seq: waits ? this.nextSeq++ : -1,
      observed,
      state: 'pending',
      scope: undefined,
    };
    if (waits) this.waiting.push(acq);
    return acq;
  }

  /** acquire() resolved: the permit is held from now on. */
  acquired(acq: Acquisition): void {
    if (acq.state !== 'pending') this.violations.push(`acquire settled twice (${acq.state})`);
    acq.state = 'acquired';
    this.unlist(acq);
    this.holders++;
    if (this.holders > this.permits) {
      this.violations.push(`${this.holders} holders of ${this.prim} (permits: ${this.permits})`);
    }
    if (acq.seq >= 0 && acq.observed) {
      bump(this.stats, 'waiters served');
      // FIFO: no older observed waiter is still waiting...
      for (const other of this.waiting) {
        if (other.observed && other.seq < acq.seq) {
          this.violations.push(
            `waiter #${acq.seq} got the permit while #${other.seq} still waited`,
          );
        }
      }
      // ...so the waiters are served in the order they began to wait.
      const last = this.acquiredOrder.at(-1);
      if (last !== undefined && last > acq.seq) {
        this.violations.push(`waiter #${acq.seq} served after #${last}`);
      }
      this.acquiredOrder.push(acq.seq);
    }
  }

  /** acquire() rejected: check why, and that the permit was not taken. */
  rejected(acq: Acquisition, error: unknown): void {
    if (acq.state !== 'pending') this.violations.push(`acquire settled twice (${acq.state})`);
    acq.state = 'rejected';
    this.unlist(acq);
    bump(this.stats, 'acquires rejected');
    if (!(error instanceof CancelledError)) {
      this.violations.push(`acquire() rejected with ${show(error)}, not CancelledError`);
    }
    if (acq.worker.cancels === 0 && !(acq.scope?.expired() ?? false)) {
      this.violations.push(`acquire() of an uncancelled task rejected: ${show(error)}`);
    }
  }

  unlist(acq: Acquisition): void {
    const i = this.waiting.indexOf(acq);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** The nth oldest acquisition still waiting (in the test's view), if any. */
  nthWaiter(nth: number): Acquisition | undefined {
    if (this.waiting.length === 0) return undefined;
    return this.waiting[nth % this.waiting.length];
  }

  cancelWaiter(nth: number): void {
    const target = this.nthWaiter(nth);
    if (target !== undefined) cancelActor(target.worker);
  }

  expireWaiter(nth: number): void {
    const scope = this.nthWaiter(nth)?.scope;
    if (scope === undefined || scope.expired()) return;
    try {
      scope.reschedule(performance.now()); // a deadline already passed: expires at the next turn
      bump(this.stats, 'timeouts expired on purpose');
    } catch {
      // that timeout's function already returned
    }
  }

  cancelWorker(index: number): void {
    const target = this.workers[index % this.workers.length];
    if (target !== undefined) cancelActor(target);
  }

  spawn(plan: LockWorkerPlan): Actor {
    const actor: Actor = { id: this.workers.length, task: undefined!, cancels: 0 };
    actor.task = createTask((signal) => lockWorker(this, actor, plan, signal));
    this.workers.push(actor);
    return actor;
  }
}

/** acquire(), with its settling recorded first thing. */
function observedAcquire(w: LockWorld, acq: Acquisition): Promise<true> {
  const promise = w.prim.acquire();
  promise.then(
    () => w.acquired(acq),
    (error: unknown) => w.rejected(acq, error),
  );
  return promise;
}

/** Take the permit as `wrap` says; resolves with the acquisition (held) or rejects. */
async function takePermit(w: LockWorld, self: Actor, wrap: AcquireWrap): Promise<Acquisition> {
  if (wrap === 'plain') {
    const acq = w.begin(self, true);
    await observedAcquire(w, acq);
    return acq;
  }
  let acq: Acquisition | undefined;
  try {
    await timeout(wrap === 'timeout0' ? 0 : null, (scope) => {
      w.signals.push(scope.signal);
      acq = w.begin(self, true);
      acq.scope = scope;
      return observedAcquire(w, acq);
    });
  } catch (error) {
    const expired = acq?.scope?.expired() ?? false;
    if (error instanceof TimeoutError) {
      if (!expired) w.violations.push('TimeoutError from a timeout that did not expire');
    } else if (!(error instanceof CancelledError)) {
      w.violations.push(`timeout(acquire) rejected with ${show(error)}`);
    }
    if (acq?.state === 'acquired') {
      // The acquire succeeded, the caller was told it failed: the permit leaks.
      w.violations.push(`timeout(acquire) rejected (${show(error)}) but kept the permit`);
      w.holders--;
      w.prim.release();
    }
    throw error;
  }
  return acq!;
}

function release(w: LockWorld): void {
  w.holders--;
  try {
    w.prim.release();
  } catch (error) {
    w.violations.push(`release() threw ${show(error)}`);
  }
}

function afterRelease(w: LockWorld, self: Actor, steps: readonly AfterRelease[]): void {
  for (const step of steps) {
    switch (step.kind) {
      case 'cancelWaiter': {
        // Right after release(): the oldest waiter was just handed the permit
        // and has not resumed yet (for nth 0, when somebody waited).
        if (step.nth === 0 && w.waiting.length > 0)
          bump(w.stats, 'waiter cancelled right after hand-over');
        w.cancelWaiter(step.nth);
        break;
      }
      case 'expireWaiter':
        w.expireWaiter(step.nth);
        break;
      case 'cancelWorker':
        w.cancelWorker(step.index);
        break;
      case 'cancelSelf':
        cancelActor(self);
        break;
    }
  }
}

async function lockWorker(
  w: LockWorld,
  self: Actor,
  plan: LockWorkerPlan,
  signal: AbortSignal,
): Promise<void> {
  w.signals.push(signal);
  for (const round of plan.rounds) {
    if (round.wrap === 'exclusive') {
      const acq = w.begin(self, false);
      try {
        await w.prim.runExclusive(async () => {
          w.acquired(acq);
          try {
            for (let i = 0; i < round.hold; i++) await checkpoint();
          } finally {
            w.holders--;
          }
        });
      } catch (error) {
        if (acq.state === 'pending') w.rejected(acq, error);
        throw error;
      }
      afterRelease(w, self, round.after);
      continue;
    }
    try {
      await takePermit(w, self, round.wrap);
    } catch (error) {
      if (error instanceof TimeoutError) continue; // next round
      throw error;
    }
    try {
      for (let i = 0; i < round.hold; i++) await checkpoint();
    } finally {
      release(w);
      afterRelease(w, self, round.after);
    }
  }
  for (let i = 0; i < plan.tail; i++) await checkpoint();
}

test('Lock and Semaphore(k): bounded holders, FIFO hand-over, no deadlock, no lost permit, under cancellations and timeouts', async (t) => {
  const stats: Stats = {};
  let numRuns = 0;
  await fc.assert(
    fc.asyncProperty(lockScenarioArb, async (scenario) => {
      numRuns++;
      const w = new LockWorld(scenario, stats);
      let finished = true;
      let outcomes: Settled<void>[] = [];

      const watched = await runWatched(async (signal) => {
        w.signals.push(signal);
        for (const plan of scenario.initial) w.spawn(plan);
        for (const op of scenario.ops) {
          switch (op.kind) {
            case 'spawn':
              w.spawn(op.plan);
              break;
            case 'cancelWorker':
              w.cancelWorker(op.index);
              break;
            case 'cancelWaiter':
              w.cancelWaiter(op.nth);
              break;
            case 'expireWaiter':
              w.expireWaiter(op.nth);
              break;
            case 'turn':
              break;
          }
          await checkpoint();
        }
        // Every holder releases within a bounded number of turns: no deadlock.
        const tasks = w.workers.map((a) => a.task);
        finished = await settleWithin(tasks, SETTLE_TURNS);
        if (!finished) {
          const stuck = w.workers.filter((a) => !a.task.done()).map((a) => a.id);
          w.violations.push(
            `deadlock: workers ${stuck} still pending after ${SETTLE_TURNS} turns, ${w.prim}, holders ${w.holders}`,
          );
          for (const actor of w.workers) cancelActor(actor);
        }
        outcomes = await awaitAll(tasks);
        // Nobody is left in the wait list: take every permit and give them
        // back; a stale waiter would be handed one and keep it.
        const free =
          !w.prim.locked() && (!(w.prim instanceof Semaphore) || w.prim.value === scenario.permits);
        if (!free) w.violations.push(`${w.prim} not free at the end (holders: ${w.holders})`);
        if (finished && free) {
          for (let i = 0; i < scenario.permits; i++) await w.prim.acquire();
          if (!w.prim.locked()) w.violations.push(`${w.prim} not locked with every permit taken`);
          for (let i = 0; i < scenario.permits; i++) w.prim.release();
        }
      });

      assert.deepEqual(w.violations, []);
      assert.ok(finished, 'every worker finished');
      // A worker ends normally, or cancelled when somebody cancelled it.
      for (const [i, outcome] of outcomes.entries()) {
        if (outcome.ok) continue;
        assert.ok(outcome.error instanceof CancelledError, `worker ${i}: ${show(outcome.error)}`);
        assert.ok(w.workers[i]!.cancels > 0, `worker ${i} ended cancelled without a cancel()`);
      }
      // The primitive ends free, with its initial value and nobody waiting.
      assert.equal(w.holders, 0);
      assert.equal(w.prim.locked(), false, `${w.prim} is free at the end`);
      if (w.prim instanceof Semaphore) {
        assert.equal(w.prim.value, scenario.permits, `${w.prim}: value back to its initial`);
      }
      assertCleanRun(watched, w.signals);
    }),
    { numRuns: runs(4_000), includeErrorInReport: true },
  );
  t.diagnostic(`${numRuns} runs; ${JSON.stringify(stats)}`);
});

// ---------------------------------------------------------------------------
// 2. Queues: delivery, order, shutdown, join
// ---------------------------------------------------------------------------

type QueueKind = 'Queue' | 'LifoQueue' | 'PriorityQueue';
type CallWrap = 'plain' | 'timeout0';

type ProducerStep =
  | { kind: 'put'; wrap: CallWrap }
  | { kind: 'putNowait' }
  | { kind: 'cancelGetter'; nth: number }
  | { kind: 'turn' };

type ConsumerStep =
  | { kind: 'get'; wrap: CallWrap }
  | { kind: 'getNowait' }
  | { kind: 'cancelGetter'; nth: number }
  | { kind: 'cancelPutter'; nth: number }
  | { kind: 'turn' };

type ConsumerPlan =
  | { kind: 'steps'; steps: ConsumerStep[] }
  /** `for await` over the queue, stopping after `limit` items (null: until shutdown). */
  | { kind: 'iterate'; limit: number | null };

type QueueOp =
  | { kind: 'producer'; steps: ProducerStep[] }
  | { kind: 'consumer'; plan: ConsumerPlan }
  | { kind: 'cancelTask'; index: number }
  | { kind: 'cancelGetter'; nth: number }
  | { kind: 'cancelPutter'; nth: number }
  /** Steps by the schedule itself (producer 0), all in one synchronous turn. */
  | { kind: 'burst'; steps: SyncStep[] }
  | { kind: 'shutdown'; immediate: boolean }
  | { kind: 'turn' };

/**
 * A step that does not wait. In a burst, `putNowait` then `cancelGetter 0`
 * cancels the getter that was just handed the item, before it resumes;
 * `getNowait` then `cancelPutter 0` cancels the putter just let in.
 */
type SyncStep =
  | { kind: 'putNowait' }
  | { kind: 'getNowait' }
  | { kind: 'cancelGetter'; nth: number }
  | { kind: 'cancelPutter'; nth: number };

interface QueueScenario {
  kind: QueueKind;
  maxsize: number;
  /** Spawned in the first turn. */
  producers: ProducerStep[][];
  consumers: ConsumerPlan[];
  ops: QueueOp[];
  /** The shutdown every schedule ends with. */
  finalImmediate: boolean;
}

const syncStepArb: fc.Arbitrary<SyncStep> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'putNowait' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'getNowait' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancelGetter' as const), nth: fc.nat(1) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancelPutter' as const), nth: fc.nat(1) }),
  },
);

const callWrapArb = fc.constantFrom<CallWrap>('plain', 'plain', 'plain', 'timeout0');

const producerStepArb: fc.Arbitrary<ProducerStep> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), wrap: callWrapArb }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'putNowait' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancelGetter' as const), nth: fc.nat(2) }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'turn' as const }) },
);

const consumerStepArb: fc.Arbitrary<ConsumerStep> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), wrap: callWrapArb }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'getNowait' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancelGetter' as const), nth: fc.nat(2) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancelPutter' as const), nth: fc.nat(2) }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'turn' as const }) },
);

const consumerPlanArb: fc.Arbitrary<ConsumerPlan> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('steps' as const),
      steps: fc.array(consumerStepArb, { maxLength: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('iterate' as const),
      limit: fc.option(fc.nat(4), { nil: null }),
    }),
  },
);

const queueOpArb: fc.Arbitrary<QueueOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('producer' as const),
      steps: fc.array(producerStepArb, { maxLength: 8 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('consumer' as const), plan: consumerPlanArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancelTask' as const), index: fc.nat(7) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancelGetter' as const), nth: fc.nat(2) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancelPutter' as const), nth: fc.nat(2) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('burst' as const),
      steps: fc.array(syncStepArb, { minLength: 1, maxLength: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('shutdown' as const), immediate: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'turn' as const }) },
);

function queueScenarioArb(kinds: QueueKind[]): fc.Arbitrary<QueueScenario> {
  return fc.record({
    kind: fc.constantFrom(...kinds),
    maxsize: fc.nat(5),
    producers: fc.array(fc.array(producerStepArb, { maxLength: 8 }), { maxLength: 3 }),
    consumers: fc.array(consumerPlanArb, { maxLength: 3 }),
    ops: fc.array(queueOpArb, { maxLength: 14 }),
    finalImmediate: fc.boolean(),
  });
}

/** One get() / getNowait() / iterator step, as the test saw it. */
interface GetCall {
  actor: Actor | undefined;
  /** Order of the calls. */
  seq: number;
  state: 'pending' | 'resolved' | 'rejected';
  scope: Timeout | undefined;
  /** Its task was cancelled (in a burst) while it waited or was woken: it must take nothing. */
  cancelledBeforeResume?: boolean;
}

/** One put() call. */
interface PutCall {
  actor: Actor | undefined;
  item: number;
  state: 'pending' | 'resolved' | 'rejected';
  scope: Timeout | undefined;
  /** Its task was cancelled (in a burst) while it waited or was woken: it must add nothing. */
  cancelledBeforeResume?: boolean;
}

class QueueWorld {
  readonly queue: Queue<number>;
  readonly actors: Actor[] = [];
  readonly signals: AbortSignal[] = [];
  readonly violations: string[] = [];
  /** qsize() > maxsize, seen at these points. */
  readonly overfull: string[] = [];
  /** Items whose put resolved for the caller / rejected for the caller. */
  readonly putOk = new Set<number>();
  readonly putFailed = new Set<number>();
  /** Each item a caller received, with the order of the get call that received it. */
  readonly deliveries: Array<{ seq: number; item: number }> = [];
  readonly waitingGetters: GetCall[] = [];
  readonly waitingPutters: PutCall[] = [];
  nextGetSeq = 0;
  nextProducer = 1;
  readonly nextItemOf = new Map<number, number>();
  shutdownState: 0 | 1 | 2 = 0;
  /** Items dropped by shutdown(true): qsize() when it was called. */
  dropped = 0;
  /** The last steps taken, for messages. */
  readonly trail: string[] = [];

  constructor(
    readonly scenario: QueueScenario,
    readonly stats: Stats,
  ) {
    const { kind, maxsize } = scenario;
    this.queue =
      kind === 'Queue'
        ? new Queue<number>(maxsize)
        : kind === 'LifoQueue'
          ? new LifoQueue<number>(maxsize)
          : new PriorityQueue<number>(maxsize);
  }

  note(step: string): void {
    this.trail.push(step);
    this.check(step);
  }

  /** qsize() within bounds (observed after every step). */
  check(where: string): void {
    const size = this.queue.qsize();
    bump(this.stats, 'observations');
    if (this.scenario.maxsize > 0 && size > this.scenario.maxsize) {
      this.overfull.push(
        `qsize() ${size} > maxsize ${this.scenario.maxsize} after ${where}; trail: ${this.trail.slice(-8).join(', ')}`,
      );
    }
  }

  item(producer: number): number {
    const k = this.nextItemOf.get(producer) ?? 0;
    this.nextItemOf.set(producer, k + 1);
    return producer * 1_000 + k;
  }

  // -- put ------------------------------------------------------------------

  /** put(), observed at the promise it returns. */
  rawPut(
    actor: Actor | undefined,
    item: number,
    scope: Timeout | undefined,
  ): PutCall & { promise: Promise<void> } {
    const waits = this.shutdownState === 0 && this.queue.full();
    const call: PutCall = { actor, item, state: 'pending', scope };
    if (waits) this.waitingPutters.push(call);
    const promise = this.queue.put(item);
    promise.then(
      () => {
        call.state = 'resolved';
        this.unlist(this.waitingPutters, call);
        if (call.cancelledBeforeResume) {
          this.violations.push(`put(${item}) cancelled before it resumed still added its item`);
        }
        this.check(`put(${item}) resolved`);
      },
      (error: unknown) => {
        call.state = 'rejected';
        this.unlist(this.waitingPutters, call);
        this.checkWaitError('put', error, call);
      },
    );
    return Object.assign(call, { promise });
  }

  async put(actor: Actor, producer: number, wrap: CallWrap): Promise<'ok' | 'failed'> {
    const item = this.item(producer);
    let call: (PutCall & { promise: Promise<void> }) | undefined;
    try {
      if (wrap === 'plain') {
        call = this.rawPut(actor, item, undefined);
        await call.promise;
      } else {
        await timeout(0, (scope) => {
          this.signals.push(scope.signal);
          call = this.rawPut(actor, item, scope);
          return call.promise;
        });
      }
    } catch (error) {
      // What the caller sees decides: this item must never come out.
      this.putFailed.add(item);
      this.checkCallerError('put', error, call?.scope);
      if (call?.state === 'resolved') {
        this.violations.push(`put(${item}) was queued but its caller got ${show(error)}`);
      }
      if (error instanceof CancelledError) throw error;
      return 'failed';
    }
    this.putOk.add(item);
    this.note(`put(${item})`);
    return 'ok';
  }

  putNowait(producer: number): void {
    const item = this.item(producer);
    const wasFull = this.queue.full();
    try {
      this.queue.putNowait(item);
      this.putOk.add(item);
      if (this.waitingGetters.length > 0) bump(this.stats, 'items handed to a waiting getter');
    } catch (error) {
      this.putFailed.add(item);
      if (error instanceof QueueFull) {
        if (!wasFull) this.violations.push(`putNowait(${item}): QueueFull on a queue not full`);
      } else if (!(error instanceof QueueShutDown) || this.shutdownState === 0) {
        this.violations.push(`putNowait(${item}) threw ${show(error)}`);
      }
    }
    this.note(`putNowait(${item})`);
  }

  // -- get ------------------------------------------------------------------

  rawGet(
    actor: Actor | undefined,
    scope: Timeout | undefined,
  ): GetCall & { promise: Promise<number> } {
    const waits = this.shutdownState === 0 && this.queue.empty();
    const call: GetCall = { actor, seq: this.nextGetSeq++, state: 'pending', scope };
    if (waits) this.waitingGetters.push(call);
    const promise = this.queue.get();
    promise.then(
      (item) => {
        call.state = 'resolved';
        this.unlist(this.waitingGetters, call);
        if (call.cancelledBeforeResume) {
          this.violations.push(`get() cancelled before it resumed still took ${item}`);
        }
        this.check('get() resolved');
      },
      (error: unknown) => {
        call.state = 'rejected';
        this.unlist(this.waitingGetters, call);
        this.checkWaitError('get', error, call);
      },
    );
    return Object.assign(call, { promise });
  }

  /** A caller received `item` from the get call numbered `seq`; it marks it done at once. */
  received(seq: number, item: number, how: string): void {
    this.deliveries.push({ seq, item });
    try {
      this.queue.taskDone();
    } catch (error) {
      this.violations.push(`taskDone() after ${how} -> ${item} threw ${show(error)}`);
    }
    this.note(`${how} -> ${item}`);
  }

  async get(actor: Actor, wrap: CallWrap): Promise<'ok' | 'failed' | 'shut'> {
    let call: (GetCall & { promise: Promise<number> }) | undefined;
    let item: number;
    try {
      if (wrap === 'plain') {
        call = this.rawGet(actor, undefined);
        item = await call.promise;
      } else {
        item = await timeout(0, (scope) => {
          this.signals.push(scope.signal);
          call = this.rawGet(actor, scope);
          return call.promise;
        });
      }
    } catch (error) {
      this.checkCallerError('get', error, call?.scope);
      if (call?.state === 'resolved') {
        this.violations.push(`get() received an item but its caller got ${show(error)}: item lost`);
      }
      if (error instanceof CancelledError) throw error;
      return error instanceof QueueShutDown ? 'shut' : 'failed';
    }
    this.received(call!.seq, item, 'get()');
    return 'ok';
  }

  getNowait(): void {
    const seq = this.nextGetSeq++;
    const wasEmpty = this.queue.empty();
    let item: number;
    try {
      item = this.queue.getNowait();
    } catch (error) {
      if (error instanceof QueueEmpty) {
        if (!wasEmpty) this.violations.push('getNowait(): QueueEmpty on a non-empty queue');
      } else if (!(error instanceof QueueShutDown) || this.shutdownState === 0) {
        this.violations.push(`getNowait() threw ${show(error)}`);
      }
      this.note('getNowait() failed');
      return;
    }
    this.received(seq, item, 'getNowait()');
  }

  /** `for await (const item of queue)`, one get call per step, `limit` items at most. */
  async iterate(actor: Actor, limit: number | null): Promise<void> {
    const iterator = this.queue[Symbol.asyncIterator]();
    let taken = 0;
    try {
      while (limit === null || taken < limit) {
        const waits = this.shutdownState === 0 && this.queue.empty();
        const call: GetCall = { actor, seq: this.nextGetSeq++, state: 'pending', scope: undefined };
        if (waits) this.waitingGetters.push(call);
        let next: IteratorResult<number>;
        try {
          next = await iterator.next();
        } catch (error) {
          call.state = 'rejected';
          this.unlist(this.waitingGetters, call);
          this.checkWaitError('for await', error, call);
          throw error;
        }
        call.state = 'resolved';
        this.unlist(this.waitingGetters, call);
        if (next.done) {
          if (this.shutdownState === 0) this.violations.push('for await ended before shutdown');
          return;
        }
        taken++;
        this.received(call.seq, next.value, 'for await');
      }
    } finally {
      await iterator.return?.();
    }
  }

  // -- checks ---------------------------------------------------------------

  /** A put()/get() promise rejected: only CancelledError when cancelled, QueueShutDown after shutdown. */
  checkWaitError(what: string, error: unknown, call: GetCall | PutCall): void {
    if (error instanceof CancelledError) {
      bump(this.stats, `${what} cancelled`);
      const cancelled = (call.actor?.cancels ?? 0) > 0 || (call.scope?.expired() ?? false);
      if (!cancelled)
        this.violations.push(`${what} of an uncancelled task rejected: ${show(error)}`);
    } else if (error instanceof QueueShutDown) {
      if (this.shutdownState === 0)
        this.violations.push(`${what}: QueueShutDown before shutdown()`);
    } else {
      this.violations.push(`${what} rejected with ${show(error)}`);
    }
  }

  /** What the caller of a (maybe timeout-wrapped) put/get got. */
  checkCallerError(what: string, error: unknown, scope: Timeout | undefined): void {
    if (error instanceof TimeoutError) {
      if (!(scope?.expired() ?? false))
        this.violations.push(`${what}: TimeoutError without expiry`);
    } else if (!(error instanceof CancelledError) && !(error instanceof QueueShutDown)) {
      this.violations.push(`${what} failed with ${show(error)}`);
    }
  }

  unlist<C>(list: C[], call: C): void {
    const i = list.indexOf(call);
    if (i >= 0) list.splice(i, 1);
  }

  /**
   * Cancel the task of the nth waiting get. `inBurst`: the schedule does it
   * in the synchronous turn of the put that may just have woken it, before
   * any get resumed, so the get must end in CancelledError and take nothing
   * (asyncio's rule; no item is lost with it, the next reader gets it).
   */
  cancelGetter(nth: number, inBurst = false): void {
    const pending = this.waitingGetters.filter((c) => c.actor !== undefined);
    const target = pending[nth % Math.max(pending.length, 1)];
    if (target !== undefined) {
      const accepted = target.actor!.task.cancel();
      if (accepted) target.actor!.cancels++;
      if (accepted && inBurst && target.state === 'pending') {
        target.cancelledBeforeResume = true;
        bump(this.stats, 'gets cancelled before they resumed');
      }
    }
    this.note(`cancel getter ${nth}`);
  }

  /** As {@link cancelGetter}: a put cancelled in a burst must add nothing. */
  cancelPutter(nth: number, inBurst = false): void {
    const pending = this.waitingPutters.filter((c) => c.actor !== undefined);
    const target = pending[nth % Math.max(pending.length, 1)];
    if (target !== undefined) {
      const accepted = target.actor!.task.cancel();
      if (accepted) target.actor!.cancels++;
      if (accepted && inBurst && target.state === 'pending') {
        target.cancelledBeforeResume = true;
        bump(this.stats, 'puts cancelled before they resumed');
      }
    }
    this.note(`cancel putter ${nth}`);
  }

  shutdown(immediate: boolean): void {
    if (immediate) this.dropped += this.queue.qsize();
    this.queue.shutdown(immediate);
    if (immediate) this.shutdownState = 2;
    else if (this.shutdownState === 0) this.shutdownState = 1;
    this.note(`shutdown(${immediate})`);
  }

  // -- tasks ----------------------------------------------------------------

  spawn(body: (self: Actor) => Promise<void>): Actor {
    const actor: Actor = { id: this.actors.length, task: undefined!, cancels: 0 };
    actor.task = createTask(async (signal) => {
      this.signals.push(signal);
      await body(actor);
    });
    this.actors.push(actor);
    return actor;
  }

  producer(steps: readonly ProducerStep[]): Actor {
    const producer = this.nextProducer++;
    return this.spawn(async (self) => {
      for (const step of steps) {
        switch (step.kind) {
          case 'put':
            await this.put(self, producer, step.wrap);
            break;
          case 'putNowait':
            this.putNowait(producer);
            break;
          case 'cancelGetter':
            this.cancelGetter(step.nth);
            break;
          case 'turn':
            await checkpoint();
            this.note('producer turn');
            break;
        }
      }
    });
  }

  consumer(plan: ConsumerPlan): Actor {
    return this.spawn(async (self) => {
      if (plan.kind === 'iterate') {
        await this.iterate(self, plan.limit);
        return;
      }
      for (const step of plan.steps) {
        switch (step.kind) {
          case 'get':
            await this.get(self, step.wrap);
            break;
          case 'getNowait':
            this.getNowait();
            break;
          case 'cancelGetter':
            this.cancelGetter(step.nth);
            break;
          case 'cancelPutter':
            this.cancelPutter(step.nth);
            break;
          case 'turn':
            await checkpoint();
            this.note('consumer turn');
            break;
        }
      }
    });
  }
}

async function playQueueScenario(w: QueueWorld): Promise<void> {
  for (const steps of w.scenario.producers) w.producer(steps);
  for (const plan of w.scenario.consumers) w.consumer(plan);
  await checkpoint();
  for (const op of w.scenario.ops) {
    switch (op.kind) {
      case 'producer':
        w.producer(op.steps);
        break;
      case 'consumer':
        w.consumer(op.plan);
        break;
      case 'cancelTask': {
        const target = w.actors[op.index % Math.max(w.actors.length, 1)];
        if (target !== undefined) cancelActor(target);
        break;
      }
      case 'cancelGetter':
        w.cancelGetter(op.nth);
        break;
      case 'cancelPutter':
        w.cancelPutter(op.nth);
        break;
      case 'burst':
        for (const step of op.steps) {
          if (step.kind === 'putNowait') w.putNowait(0);
          else if (step.kind === 'getNowait') w.getNowait();
          else if (step.kind === 'cancelGetter') w.cancelGetter(step.nth, true);
          else w.cancelPutter(step.nth, true);
        }
        break;
      case 'shutdown':
        w.shutdown(op.immediate);
        break;
      case 'turn':
        break;
    }
    await checkpoint();
    w.note(`schedule turn (${op.kind})`);
  }
  // End: shut down; every task finishes (waiting puts and gets reject, the rest drain).
  w.shutdown(w.scenario.finalImmediate);
  const tasks = w.actors.map((a) => a.task);
  if (!(await settleWithin(tasks, SETTLE_TURNS))) {
    const stuck = w.actors.filter((a) => !a.task.done()).map((a) => a.id);
    w.violations.push(
      `tasks ${stuck} still pending ${SETTLE_TURNS} turns after shutdown, ${w.queue}`,
    );
    for (const actor of w.actors) cancelActor(actor);
  }
  for (const [i, outcome] of (await awaitAll(tasks)).entries()) {
    if (outcome.ok) continue;
    if (!(outcome.error instanceof CancelledError)) {
      w.violations.push(`task ${i} failed: ${show(outcome.error)}`);
    } else if (w.actors[i]!.cancels === 0) {
      w.violations.push(`task ${i} ended cancelled without a cancel()`);
    }
  }
  // Drain what is left (nobody can cancel this one).
  const drainer = w.consumer({ kind: 'iterate', limit: null });
  if (!(await settleWithin([drainer.task], SETTLE_TURNS))) {
    w.violations.push(`for await did not end after shutdown, ${w.queue}`);
    cancelActor(drainer);
  }
  await settle(drainer.task);
  if (w.queue.qsize() !== 0 || !w.queue.empty()) w.violations.push(`not drained: ${w.queue}`);
  // Every item delivered was marked done: join() resolves without waiting long.
  let joined = false;
  const join = w.queue.join().then(() => {
    joined = true;
  });
  for (let i = 0; i < 3 && !joined; i++) await checkpoint();
  if (!joined) {
    w.violations.push(`join() did not resolve: ${w.queue}`);
  } else {
    await join;
  }
}

/** Every item put is delivered exactly once (or dropped by shutdown(true)); nothing else is. */
function checkDeliveries(w: QueueWorld): void {
  const seen = new Set<number>();
  for (const { item } of w.deliveries) {
    assert.ok(!seen.has(item), `item ${item} delivered twice`);
    seen.add(item);
    assert.ok(!w.putFailed.has(item), `item ${item} of a put that rejected was delivered`);
    assert.ok(w.putOk.has(item), `item ${item} delivered but never put`);
  }
  if (w.dropped === 0) {
    const missing = [...w.putOk].filter((item) => !seen.has(item));
    assert.deepEqual(missing, [], 'every item put is delivered');
  } else {
    // shutdown(true) dropped `dropped` items; the rest came out.
    assert.equal(seen.size + w.dropped, w.putOk.size, 'delivered + dropped = put');
  }
}

/**
 * FIFO: each producer's items come out in the order it put them, "out"
 * being the order of the get calls that received them (a get that waits is
 * served before any later get, and receives the oldest item).
 */
function checkFifoOrder(w: QueueWorld): void {
  const byCall = [...w.deliveries].sort((a, b) => a.seq - b.seq);
  const last = new Map<number, number>();
  for (const { item, seq } of byCall) {
    const producer = Math.floor(item / 1_000);
    const before = last.get(producer);
    assert.ok(
      before === undefined || before < item,
      `get call #${seq} received ${item} after an earlier get call received ${before} (same producer); deliveries by call: ${byCall.map((d) => `#${d.seq}:${d.item}`).join(' ')}; trail: ${w.trail.join(', ')}`,
    );
    last.set(producer, item);
  }
}

/** Play random queue schedules and check one thing about each. */
async function checkQueueSchedules(
  t: { diagnostic(message: string): void },
  kinds: QueueKind[],
  numRuns: number,
  check: (w: QueueWorld, watched: Awaited<ReturnType<typeof runWatched>>) => void,
): Promise<void> {
  const stats: Stats = {};
  let count = 0;
  await fc.assert(
    fc.asyncProperty(queueScenarioArb(kinds), async (scenario) => {
      count++;
      const w = new QueueWorld(scenario, stats);
      const watched = await runWatched(async (signal) => {
        w.signals.push(signal);
        await playQueueScenario(w);
      });
      bump(stats, 'items delivered', w.deliveries.length);
      bump(stats, 'puts failed', w.putFailed.size);
      check(w, watched);
    }),
    { numRuns, includeErrorInReport: true },
  );
  t.diagnostic(`${count} runs; ${JSON.stringify(stats)}`);
}

test('Queue, LifoQueue, PriorityQueue: each item put is delivered exactly once; rejected puts deliver nothing; shutdown ends every consumer; join() resolves', async (t) => {
  await checkQueueSchedules(
    t,
    ['Queue', 'LifoQueue', 'PriorityQueue'],
    runs(3_000),
    (w, watched) => {
      assert.deepEqual(w.violations, []);
      checkDeliveries(w);
      assertCleanRun(watched, w.signals);
    },
  );
});

test("Queue: each producer's items come out in put order", async (t) => {
  await checkQueueSchedules(t, ['Queue'], runs(3_000), (w) => checkFifoOrder(w));
});

test('Queue, LifoQueue, PriorityQueue: qsize() never exceeds maxsize', async (t) => {
  await checkQueueSchedules(t, ['Queue', 'LifoQueue', 'PriorityQueue'], runs(3_000), (w) => {
    assert.deepEqual(w.overfull, [], `${w.scenario.kind}(${w.scenario.maxsize}) went over maxsize`);
  });
});

// ---------------------------------------------------------------------------
// 4. PriorityQueue / LifoQueue order when filled before any get
// ---------------------------------------------------------------------------

interface OrderScenario {
  kind: 'natural' | 'compare' | 'lifo';
  /** Priorities of the items, in insertion order (ties on purpose). */
  priorities: number[];
  putWith: 'put' | 'putNowait';
  bounded: boolean;
  consumers: Array<Array<'get' | 'getNowait' | 'turn'>>;
  /** Consumers the schedule cancels, one per turn. */
  cancels: number[];
}

const orderScenarioArb: fc.Arbitrary<OrderScenario> = fc.record({
  kind: fc.constantFrom('natural' as const, 'compare' as const, 'lifo' as const),
  priorities: fc.array(fc.nat(3), { maxLength: 14 }),
  putWith: fc.constantFrom('put' as const, 'putNowait' as const),
  bounded: fc.boolean(),
  consumers: fc.array(
    fc.array(
      fc.constantFrom('get' as const, 'get' as const, 'getNowait' as const, 'turn' as const),
      {
        maxLength: 8,
      },
    ),
    { minLength: 1, maxLength: 3 },
  ),
  cancels: fc.array(fc.nat(3), { maxLength: 3 }),
});

interface Job {
  priority: number;
  index: number;
}

test('PriorityQueue filled before any get delivers in sorted order (ties in insertion order); LifoQueue newest first', async (t) => {
  let numRuns = 0;
  await fc.assert(
    fc.asyncProperty(orderScenarioArb, async (s) => {
      numRuns++;
      const jobs: Job[] = s.priorities.map((priority, index) => ({ priority, index }));
      const maxsize = s.bounded ? jobs.length : 0;
      // Items: [priority, index] pairs in natural order, objects with a compare function, or plain jobs (LIFO).
      type Item = Job | [number, number];
      const queue: Queue<Item> =
        s.kind === 'natural'
          ? (new PriorityQueue<[number, number]>(maxsize) as Queue<Item>)
          : s.kind === 'compare'
            ? (new PriorityQueue<Job>(maxsize, (a, b) => a.priority - b.priority) as Queue<Item>)
            : (new LifoQueue<Job>(maxsize) as Queue<Item>);
      const toItem = (job: Job): Item => (s.kind === 'natural' ? [job.priority, job.index] : job);
      const indexOf = (item: Item): number => (Array.isArray(item) ? item[1] : item.index);
      const received: Array<{ seq: number; index: number }> = [];
      const signals: AbortSignal[] = [];
      const violations: string[] = [];
      let nextSeq = 0;

      const watched = await runWatched(async (signal) => {
        signals.push(signal);
        for (const job of jobs) {
          if (s.putWith === 'put') await queue.put(toItem(job));
          else queue.putNowait(toItem(job));
        }
        const actors: Actor[] = s.consumers.map((steps, id) => {
          const actor: Actor = { id, task: undefined!, cancels: 0 };
          actor.task = createTask(async (sig) => {
            signals.push(sig);
            for (const step of steps) {
              if (step === 'turn') {
                await checkpoint();
                continue;
              }
              const seq = nextSeq++;
              try {
                const item = step === 'get' ? await queue.get() : queue.getNowait();
                received.push({ seq, index: indexOf(item) });
              } catch (error) {
                if (error instanceof CancelledError) throw error;
                if (!(error instanceof QueueEmpty) && !(error instanceof QueueShutDown)) {
                  violations.push(`${step}() threw ${show(error)}`);
                }
              }
            }
          });
          return actor;
        });
        for (const index of s.cancels) {
          await checkpoint();
          cancelActor(actors[index % actors.length]!);
        }
        queue.shutdown(); // the consumers still waiting stop; the items left stay
        await awaitAll(actors.map((a) => a.task));
        // Drain the rest in order.
        while (!queue.empty()) received.push({ seq: nextSeq++, index: indexOf(queue.getNowait()) });
      });

      assert.deepEqual(violations, []);
      const order = received.sort((a, b) => a.seq - b.seq).map((r) => r.index);
      const expected =
        s.kind === 'lifo'
          ? jobs.map((j) => j.index).reverse()
          : [...jobs]
              .sort((a, b) => a.priority - b.priority || a.index - b.index)
              .map((j) => j.index);
      assert.deepEqual(order, expected, `${s.kind}: order of delivery (by get call)`);
      assertCleanRun(watched, signals);
    }),
    { numRuns: runs(2_000), includeErrorInReport: true },
  );
  t.diagnostic(`${numRuns} runs`);
});

// ---------------------------------------------------------------------------
// 6. Woken waits: cancelled ones did nothing, uncancelled ones complete
// ---------------------------------------------------------------------------

type WakeKind = 'Lock' | 'Semaphore' | 'Event' | 'Condition' | 'QueueGet' | 'QueuePut' | 'Barrier';

/**
 * What the schedule does to a waiter in the synchronous turn that woke
 * some of the waiters (before any of them resumed): nothing, `cancel()`,
 * `cancel()` then `uncancel()` (the request withdrawn), or two `cancel()`s
 * and one `uncancel()` (a request left standing).
 */
type LateAction = 'none' | 'cancel' | 'cancelUndo' | 'cancelTwiceUndoOnce';

interface WakeScenario {
  kind: WakeKind;
  /** One per waiter, in the order they began to wait. */
  actions: LateAction[];
  /** How many waiters the schedule wakes (capped by what the primitive allows). */
  wakes: number;
}

const wakeScenarioArb: fc.Arbitrary<WakeScenario> = fc.record({
  kind: fc.constantFrom<WakeKind>(
    'Lock',
    'Semaphore',
    'Event',
    'Condition',
    'QueueGet',
    'QueuePut',
    'Barrier',
  ),
  actions: fc.array(
    fc.constantFrom<LateAction>('none', 'cancel', 'cancelUndo', 'cancelTwiceUndoOnce'),
    { minLength: 1, maxLength: 6 },
  ),
  wakes: fc.nat(6),
});

test('woken waits (Lock, Semaphore, Event, Condition, Queue, Barrier): a cancelled one did nothing and passed its wake-up on; one whose only cancel was undone completes', async (t) => {
  let numRuns = 0;
  const stats: Stats = {};
  await fc.assert(
    fc.asyncProperty(wakeScenarioArb, async (s) => {
      numRuns++;
      const n = s.actions.length;
      // Event: set() wakes all; Barrier: the schedule trips it (n + 1 parties) or not.
      const m =
        s.kind === 'Event'
          ? n
          : s.kind === 'Barrier'
            ? s.wakes > 0
              ? n
              : 0
            : s.kind === 'Lock'
              ? Math.min(s.wakes, 1)
              : Math.min(s.wakes, n);
      // Rejected: a request left standing, or one undone too late (the
      // waiter was still waiting, so the cancellation was thrown at once).
      const rejected = s.actions.map(
        (action, i) =>
          action === 'cancel' ||
          action === 'cancelTwiceUndoOnce' ||
          (action === 'cancelUndo' && i >= m),
      );
      // The m wake-ups go, in order, to the first m waiters not rejected.
      const served: number[] = [];
      for (let i = 0; i < n && served.length < m; i++) if (!rejected[i]) served.push(i);
      const signals: AbortSignal[] = [];
      const outcomes: Array<Settled<number>> = [];
      const violations: string[] = [];
      const lock = new Lock();
      const semaphore = new Semaphore(0);
      const event = new Event();
      const cond = new Condition();
      const queue = new Queue<number>(s.kind === 'QueuePut' ? n : 0);
      const barrier = new Barrier(n + 1);
      let nWaitingLeft = 0;
      if (s.kind === 'QueuePut') for (let i = 0; i < n; i++) queue.putNowait(-1 - i);
      let leftovers: number[] = [];

      const watched = await runWatched(async (signal) => {
        signals.push(signal);
        if (s.kind === 'Lock') await lock.acquire();
        const waiters = s.actions.map((_, i) =>
          createTask(async (sig): Promise<number> => {
            signals.push(sig);
            switch (s.kind) {
              case 'Lock':
                await lock.acquire();
                return i;
              case 'Semaphore':
                await semaphore.acquire();
                return i;
              case 'Event':
                await event.wait();
                return i;
              case 'Condition':
                await cond.acquire();
                try {
                  await cond.wait();
                } finally {
                  cond.release();
                }
                return i;
              case 'QueueGet':
                return await queue.get();
              case 'QueuePut':
                await queue.put(100 + i);
                return i;
              case 'Barrier':
                return await barrier.wait(); // its arrival index: i
            }
          }),
        );
        await checkpoint(); // every waiter waits now
        if (s.kind === 'Condition') await cond.acquire();
        // One synchronous turn: wake m waiters, then act on every waiter.
        switch (s.kind) {
          case 'Lock':
            if (m > 0) lock.release();
            break;
          case 'Semaphore':
            for (let k = 0; k < m; k++) semaphore.release();
            break;
          case 'Event':
            event.set();
            break;
          case 'Condition':
            cond.notify(m);
            break;
          case 'QueueGet':
            for (let k = 0; k < m; k++) queue.putNowait(k);
            break;
          case 'QueuePut':
            for (let k = 0; k < m; k++) queue.getNowait();
            break;
          case 'Barrier':
            if (m > 0) void barrier.wait(); // the last party: releases every waiter
            break;
        }
        for (const [i, action] of s.actions.entries()) {
          const task = waiters[i]!;
          if (action === 'cancel') task.cancel();
          else if (action === 'cancelUndo') {
            task.cancel();
            task.uncancel();
          } else if (action === 'cancelTwiceUndoOnce') {
            task.cancel();
            task.cancel();
            task.uncancel();
          }
        }
        if (s.kind === 'Condition') cond.release();
        for (let k = 0; k < 5; k++) await checkpoint();
        // Those neither served nor rejected still wait: end them.
        leftovers = waiters.flatMap((task, i) => (task.done() ? [] : [i]));
        nWaitingLeft = barrier.nWaiting;
        for (const i of leftovers) waiters[i]!.cancel();
        for (const task of waiters) outcomes.push(await settle(task));
        // Give back what the served waiters hold.
        if (s.kind === 'Lock') {
          if (lock.locked()) lock.release();
          if (lock.locked()) violations.push(`${lock} still locked`);
        }
        if (s.kind === 'Semaphore') {
          for (let k = 0; k < served.length; k++) semaphore.release();
          if (semaphore.value !== m)
            violations.push(`${semaphore}: value ${semaphore.value}, expected ${m}`);
        }
        if (s.kind === 'Condition' && cond.locked()) violations.push(`${cond} still locked`);
        if (s.kind === 'Barrier') {
          // Cancelled parties left without breaking it: those left still wait in the round.
          if (barrier.broken) violations.push(`${barrier} broken`);
          if (nWaitingLeft !== leftovers.length) {
            violations.push(`nWaiting ${nWaitingLeft} with ${leftovers.length} parties waiting`);
          }
        }
        if (s.kind === 'QueueGet') {
          if (queue.qsize() !== m - served.length) {
            violations.push(`${queue}: ${queue.qsize()} items left, expected ${m - served.length}`);
          }
        }
        if (s.kind === 'QueuePut') {
          const left: number[] = [];
          while (!queue.empty()) left.push(queue.getNowait());
          const expected = [
            ...Array.from({ length: n - m }, (_, k) => -1 - m - k),
            ...served.map((i) => 100 + i),
          ];
          if (left.join() !== expected.join()) {
            violations.push(`queue holds [${left}], expected [${expected}]`);
          }
        }
      });

      assert.deepEqual(violations, []);
      const expectedLeftovers = s.actions.flatMap((_, i) =>
        rejected[i] || served.includes(i) ? [] : [i],
      );
      assert.deepEqual(leftovers, expectedLeftovers, 'waiters neither served nor rejected wait on');
      for (const [i, outcome] of outcomes.entries()) {
        if (served.includes(i)) {
          bump(stats, s.actions[i] === 'cancelUndo' ? 'served after uncancel' : 'served');
          assert.ok(
            outcome.ok,
            `waiter ${i} (${s.actions[i]}) served: ${outcome.ok ? '' : show(outcome.error)}`,
          );
          // A queue get receives the items in order: the k-th one served gets item k.
          const value = s.kind === 'QueueGet' ? served.indexOf(i) : i;
          assert.equal(outcome.value, value, `waiter ${i}: value`);
        } else {
          if (rejected[i]) bump(stats, `rejected after ${s.actions[i]}`);
          assert.ok(
            !outcome.ok && outcome.error instanceof CancelledError,
            `waiter ${i} (${s.actions[i]}) rejects CancelledError: ${outcome.ok ? outcome.value : show(outcome.error)}`,
          );
        }
      }
      assertCleanRun(watched, signals);
    }),
    { numRuns: runs(2_000), includeErrorInReport: true },
  );
  t.diagnostic(`${numRuns} runs; ${JSON.stringify(stats)}`);
});
