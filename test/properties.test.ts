/**
 * Property-based tests (fast-check): weft's structural invariants, checked
 * over random programs made of sleeps, failures, child tasks, task groups,
 * timeouts and cancellations.
 *
 * A program is a tree of blocks. A block is a list of statements run in
 * order; it awaits (in its `finally`) every task it spawned with
 * `createTask`, so that no error can go unretrieved. Statements:
 *
 * - `sleep(ms)`                 await sleep(ms)
 * - `fail(ms)`                  await sleep(ms) (or nothing, for null), then throw a fresh Error
 * - `failIfCancelled(ms)`       await sleep(ms); if that throws CancelledError, throw an Error instead
 * - `signalWait(ms)`            a Node API stopped through the signal: timers/promises
 *                               setTimeout(ms, { signal: currentSignal() }), not a checkpoint
 * - `awaitTask(index)`          await a task created earlier in the block (errors propagate)
 * - `cancel(ms, who, index)`    await sleep(ms) (or nothing), then cancel() a sibling task
 *                               created earlier in the block, or an enclosing task (self included)
 * - `stopGroup`                 tg.cancel() when the block is a TaskGroup body (else nothing)
 * - `spawn(body)`               createTask(body), or tg.createTask(body) inside a group body
 * - `group(children, body)`     TaskGroup.run: children started first, then the body
 * - `timeout(ms, body)`         timeout(ms, body)
 *
 * What actually happens while a program runs (blocks entered, finally blocks
 * run, errors thrown into each group, cancel() calls, signals handed out) is
 * recorded, and the invariants are checked against that record, never
 * against the plan: a child cancelled before it threw never threw.
 *
 * Properties:
 * 1. random programs: run() leaves no task pending; every finally ran once;
 *    each TaskGroup rejects with exactly the failures that happened in it;
 *    no unhandled rejection, unretrieved error or weft warning; no abort
 *    listener left on any signal; cancel() counts and cancelled() outcomes;
 * 2. one TaskGroup in detail (children, body awaiting or returning them):
 *    its .errors are exactly the failures that happened, each once;
 * 3. cancellation delivery to one task: cancelled() unless caught,
 *    cancelling() equals the accepted cancel() calls;
 * 4. gather(..., { returnExceptions: true }): input order, exact values/errors;
 * 5. timeout through tasks and groups: TimeoutError iff the work was too
 *    slow, cancelling() back to 0 afterwards.
 *
 * Runs per property: 100, or WEFT_PROPERTY_RUNS.
 */

import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { setTimeout as nodeSleep } from 'node:timers/promises';
import fc from 'fast-check';
import {
  allTasks,
  CancelledError,
  createTask,
  currentSignal,
  currentTask,
  gather,
  sleep,
  type Task,
  type TaskFn,
  TaskGroup,
  TaskGroupError,
  TimeoutError,
  timeout,
} from '../src/index.js';
import { runWatched, settle } from './property-harness.js';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/**
 * A cancellation rather than a failure: a CancelledError, or the AbortError
 * a Node API rejects with when a weft cancellation aborted its signal.
 */
function isCancellation(error: unknown): boolean {
  return (
    error instanceof CancelledError ||
    (error instanceof Error && error.name === 'AbortError' && error.cause instanceof CancelledError)
  );
}

/**
 * Work stopped through `signal` (after it aborted) is a cancellation too,
 * whatever the reason: a group body stopped through `tg.signal` because an
 * enclosing timeout expired has not failed.
 */
function stoppedBy(error: unknown, signal: AbortSignal): boolean {
  if (isCancellation(error)) return true;
  if (!signal.aborted) return false;
  const cause = error instanceof Error && error.name === 'AbortError' ? error.cause : error;
  return cause === signal.reason;
}

/** An error and, for aggregates, what it holds (for assertion messages). */
function show(error: unknown): string {
  if (error instanceof AggregateError) {
    return `${error.name}[${error.errors.map(show).join(', ')}]`;
  }
  if (error instanceof Error) {
    return error.cause === undefined ? error.name : `${error.name}(cause: ${show(error.cause)})`;
  }
  return String(error);
}

function sameMembers(actual: readonly unknown[], expected: Set<unknown>): boolean {
  return actual.length === expected.size && actual.every((e) => expected.has(e));
}

/** Runs per property; raise it locally to hunt for rare interleavings: WEFT_PROPERTY_RUNS=5000 */
const NUM_RUNS = Number(process.env.WEFT_PROPERTY_RUNS ?? 100);

// ---------------------------------------------------------------------------
// Program model and generator
// ---------------------------------------------------------------------------

/** A generated statement, before blocks are numbered. */
type RawStmt =
  | { kind: 'sleep'; ms: number }
  | { kind: 'fail'; ms: number | null }
  | { kind: 'failIfCancelled'; ms: number }
  | { kind: 'signalWait'; ms: number }
  | { kind: 'awaitTask'; index: number }
  | { kind: 'cancel'; ms: number | null; who: 'sibling' | 'ancestor'; index: number }
  | { kind: 'stopGroup' }
  | { kind: 'spawn'; intoGroup: boolean; body: RawStmt[] }
  | { kind: 'group'; children: RawStmt[][]; body: RawStmt[] }
  | { kind: 'timeout'; ms: number; body: RawStmt[] };

/** A numbered block: every task function, group body and timeout body is one. */
interface Block {
  id: number;
  stmts: Stmt[];
}

type Stmt =
  | Exclude<RawStmt, { kind: 'spawn' | 'group' | 'timeout' }>
  | { kind: 'spawn'; intoGroup: boolean; body: Block }
  | { kind: 'group'; children: Block[]; body: Block }
  | { kind: 'timeout'; ms: number; body: Block };

const tinyMs = fc.integer({ min: 0, max: 5 });
const tinyMsOrNow = fc.option(tinyMs, { nil: null, freq: 4 });

const leafStmt: fc.Arbitrary<RawStmt> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('sleep' as const), ms: tinyMs }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fail' as const), ms: tinyMsOrNow }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('failIfCancelled' as const), ms: tinyMs }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('cancel' as const),
      ms: tinyMsOrNow,
      who: fc.constantFrom('sibling' as const, 'sibling' as const, 'ancestor' as const),
      index: fc.nat(3),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'stopGroup' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('signalWait' as const), ms: tinyMs }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('awaitTask' as const), index: fc.nat(3) }),
  },
);

const WIDTH = 4;
const DEPTH = 3;

/** Statements that may nest `depth` more levels of blocks. */
function stmtArb(depth: number): fc.Arbitrary<RawStmt> {
  if (depth === 0) return leafStmt;
  const sub = blockArb(depth - 1);
  return fc.oneof(
    { weight: 5, arbitrary: leafStmt },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('spawn' as const),
        intoGroup: fc.boolean(),
        body: sub,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('group' as const),
        children: fc.array(sub, { maxLength: 3 }),
        body: sub,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('timeout' as const),
        ms: fc.integer({ min: 0, max: 8 }),
        body: sub,
      }),
    },
  );
}

function blockArb(depth: number): fc.Arbitrary<RawStmt[]> {
  return fc.array(stmtArb(depth), { maxLength: WIDTH });
}

/** Number every block (depth-first), so that records can be keyed by id. */
function label(raw: RawStmt[]): Block {
  let next = 0;
  const block = (stmts: RawStmt[]): Block => {
    const id = next++;
    return { id, stmts: stmts.map(stmt) };
  };
  const stmt = (s: RawStmt): Stmt => {
    switch (s.kind) {
      case 'spawn':
        return { ...s, body: block(s.body) };
      case 'group':
        return { ...s, children: s.children.map(block), body: block(s.body) };
      case 'timeout':
        return { ...s, body: block(s.body) };
      default:
        return s;
    }
  };
  return block(raw);
}

const programArb: fc.Arbitrary<Block> = blockArb(DEPTH).map(label);

/**
 * A block that can only ever be cancelled, never fail: no failure (or failing
 * cleanup), no timeout (TimeoutError), no tg.cancel() (after which a spawn
 * into the group throws InvalidStateError), in any nested block. (A task's
 * signal only ever aborts with a CancelledError, so `signalWait` is safe.)
 */
function cancelSafe(block: Block): boolean {
  return block.stmts.every((s) => {
    switch (s.kind) {
      case 'fail':
      case 'failIfCancelled':
      case 'timeout':
      case 'stopGroup':
        return false;
      case 'spawn':
        return cancelSafe(s.body);
      case 'group':
        return s.children.every(cancelSafe) && cancelSafe(s.body);
      default:
        return true;
    }
  });
}

// ---------------------------------------------------------------------------
// Interpreter: runs a program and records what happened
// ---------------------------------------------------------------------------

interface TaskRecord {
  /** cancel() calls made by the program on this task that returned true. */
  explicitCancels: number;
  cancelSafe: boolean;
}

interface GroupRecord {
  /** Every non-cancellation error thrown by a direct child's function or by the body. */
  failures: Set<unknown>;
  outcome: { ok: true } | { ok: false; error: unknown } | undefined;
}

class World {
  readonly entered = new Map<number, number>();
  readonly finallies = new Map<number, number>();
  readonly tasks = new Map<Task<unknown>, TaskRecord>();
  readonly groups: GroupRecord[] = [];
  readonly signals: AbortSignal[] = [];
  /** Checks made while the program runs (an assert there would be swallowed). */
  readonly violations: string[] = [];

  bump(map: Map<number, number>, id: number): void {
    map.set(id, (map.get(id) ?? 0) + 1);
  }

  register(task: Task<unknown>, block: Block): void {
    this.tasks.set(task, { explicitCancels: 0, cancelSafe: cancelSafe(block) });
  }
}

interface Ctx {
  /** Enclosing tasks, outermost first; the last one runs this block. */
  ancestors: Task<unknown>[];
  /** Set when this block is a TaskGroup body. */
  group: { tg: TaskGroup; record: GroupRecord } | undefined;
}

/**
 * Run a block: its statements in order, then (in `finally`) await every task
 * it spawned. Rethrows the block's error, else the first error of a spawned
 * task (as `await task` would have).
 */
async function execBlock(w: World, block: Block, ctx: Ctx, known: Task<unknown>[]): Promise<void> {
  w.bump(w.entered, block.id);
  const spawned: Task<unknown>[] = [];
  const local = [...known];
  let spawnError: { error: unknown } | undefined;
  try {
    for (const stmt of block.stmts) await execStmt(w, stmt, ctx, spawned, local);
  } finally {
    for (const task of spawned) {
      try {
        await task;
      } catch (error) {
        spawnError ??= { error };
      }
    }
    w.bump(w.finallies, block.id);
  }
  if (spawnError !== undefined) throw spawnError.error;
}

/** The function of a task that runs `block`; failures go to the group's record, if any. */
function taskFn(
  w: World,
  block: Block,
  ancestors: Task<unknown>[],
  record: GroupRecord | undefined,
): TaskFn<void> {
  return async (signal) => {
    w.signals.push(signal);
    const self = currentTask()!;
    if (self.signal !== signal) w.violations.push('task fn got a signal other than task.signal');
    try {
      await execBlock(w, block, { ancestors: [...ancestors, self], group: undefined }, []);
    } catch (error) {
      if (record !== undefined && !isCancellation(error)) record.failures.add(error);
      throw error;
    }
  };
}

async function execStmt(
  w: World,
  s: Stmt,
  ctx: Ctx,
  spawned: Task<unknown>[],
  local: Task<unknown>[],
): Promise<void> {
  switch (s.kind) {
    case 'sleep':
      await sleep(s.ms);
      return;
    case 'fail':
      if (s.ms !== null) await sleep(s.ms);
      throw new Error('generated failure');
    case 'failIfCancelled':
      try {
        await sleep(s.ms);
      } catch (error) {
        // a cleanup that fails: the cancellation turns into an error
        if (error instanceof CancelledError) throw new Error('failed while cancelled');
        throw error;
      }
      return;
    case 'signalWait':
      await nodeSleep(s.ms, undefined, { signal: currentSignal() });
      return;
    case 'awaitTask': {
      const task = local[s.index % Math.max(local.length, 1)];
      if (task !== undefined) await task;
      return;
    }
    case 'cancel': {
      if (s.ms !== null) await sleep(s.ms);
      const pool = s.who === 'sibling' ? local : [...ctx.ancestors].reverse();
      const target = pool[s.index % Math.max(pool.length, 1)];
      if (target === undefined) return;
      const wasDone = target.done();
      const accepted = target.cancel();
      if (accepted === wasDone) w.violations.push(`cancel() returned ${accepted} on ${target}`);
      if (accepted) w.tasks.get(target)!.explicitCancels++;
      return;
    }
    case 'stopGroup':
      ctx.group?.tg.cancel();
      return;
    case 'spawn': {
      const group = s.intoGroup ? ctx.group : undefined;
      const fn = taskFn(w, s.body, ctx.ancestors, group?.record);
      const task: Task<unknown> = group ? group.tg.createTask(fn) : createTask(fn);
      w.register(task, s.body);
      local.push(task);
      if (group === undefined) spawned.push(task);
      return;
    }
    case 'group': {
      const record: GroupRecord = { failures: new Set(), outcome: undefined };
      w.groups.push(record);
      try {
        await TaskGroup.run(async (tg) => {
          w.signals.push(tg.signal);
          if (currentSignal() !== tg.signal) w.violations.push('currentSignal() in a group body');
          const children = s.children.map((child) => {
            const task = tg.createTask(taskFn(w, child, ctx.ancestors, record));
            w.register(task, child);
            return task;
          });
          try {
            await execBlock(w, s.body, { ancestors: ctx.ancestors, group: { tg, record } }, [
              ...children,
            ]);
          } catch (error) {
            if (!stoppedBy(error, tg.signal)) record.failures.add(error);
            throw error;
          }
        });
        record.outcome = { ok: true };
      } catch (error) {
        record.outcome = { ok: false, error };
        throw error;
      }
      return;
    }
    case 'timeout':
      await timeout(s.ms, async (scope) => {
        w.signals.push(scope.signal);
        if (currentSignal() !== scope.signal) w.violations.push('currentSignal() in a timeout');
        await execBlock(w, s.body, { ancestors: ctx.ancestors, group: undefined }, []);
      });
      return;
  }
}

// ---------------------------------------------------------------------------
// Random programs
// ---------------------------------------------------------------------------

test('random programs of tasks, groups, timeouts, failures and cancellations keep every invariant', async () => {
  await fc.assert(
    fc.asyncProperty(programArb, async (program) => {
      const w = new World();
      let mainThrew: { error: unknown } | undefined;
      let mainReturned = false;

      const watched = await runWatched(async (signal) => {
        w.signals.push(signal);
        const self = currentTask()!;
        w.register(self, program);
        try {
          await execBlock(w, program, { ancestors: [self], group: undefined }, []);
          mainReturned = true;
        } catch (error) {
          mainThrew = { error };
          throw error;
        }
      });
      const { outcome } = watched;

      assert.deepEqual(w.violations, []);

      // (1) Once run() has settled, no task is left pending...
      assert.equal(allTasks().size, 0, 'allTasks() is empty after run()');
      for (const task of w.tasks.keys()) assert.ok(task.done(), `${task} is done`);
      // ...and run() settles with main's outcome: main's error (a CancelledError
      // for a cancellation), or its value (or CancelledError when main was
      // cancelled but returned without reaching a checkpoint).
      if (mainThrew !== undefined) {
        const thrown = mainThrew.error;
        assert.ok(!outcome.ok, 'run() rejects when main throws');
        if (isCancellation(thrown)) assert.ok(outcome.error instanceof CancelledError);
        else assert.equal(outcome.error, thrown, 'run() rejects with the error main threw');
      } else {
        assert.ok(mainReturned, 'main ran to its end');
        assert.ok(outcome.ok || outcome.error instanceof CancelledError, 'run() outcome');
      }

      // (2) Every block that started ran its finally block exactly once.
      for (const [id, count] of w.entered) {
        assert.equal(count, 1, `block #${id} entered once`);
        assert.equal(w.finallies.get(id), 1, `finally of block #${id} ran exactly once`);
      }
      for (const id of w.finallies.keys()) assert.ok(w.entered.has(id), `block #${id} entered`);

      // (3) A TaskGroup's outcome matches the failures that actually happened
      // in its direct children and its body: none -> it resolves (or rejects
      // with CancelledError, when cancelled from outside); some ->
      // TaskGroupError whose .errors are exactly those, each once.
      for (const [i, group] of w.groups.entries()) {
        const result = group.outcome;
        assert.ok(result !== undefined, `group ${i} settled`);
        if (group.failures.size === 0) {
          assert.ok(
            result.ok || result.error instanceof CancelledError,
            `group ${i} without failures resolves or is cancelled, got ${result.ok ? '' : show(result.error)}`,
          );
        } else {
          assert.ok(!result.ok, `group ${i} with failures rejects`);
          assert.ok(result.error instanceof TaskGroupError, `group ${i} rejects TaskGroupError`);
          assert.ok(
            sameMembers(result.error.errors, group.failures),
            `group ${i}: .errors ${show(result.error)} vs failures [${[...group.failures].map(show)}]`,
          );
        }
      }

      // (4) Nothing leaks as an unhandled rejection, an unretrieved task
      // error (every task is awaited or grouped), or a weft warning.
      assert.deepEqual(watched.unhandled, [], 'no unhandled rejection');
      assert.deepEqual(watched.unretrieved, [], 'no unretrieved task error');
      assert.deepEqual(watched.warnings, [], 'no weft warning');

      // (5) No abort listener is left on any signal the program obtained
      // (it never adds one itself).
      for (const signal of w.signals) {
        assert.equal(getEventListeners(signal, 'abort').length, 0, 'no abort listener left');
      }

      // (6) cancel() counts: cancelling() is at least the number of accepted
      // cancel() calls (groups, awaiters and run() add their own requests,
      // timeouts and groups only take back their own), and the signal aborted.
      // A task whose code can only be cancelled (see cancelSafe) never fails,
      // and ends cancelled() once it was cancelled while pending.
      for (const [task, rec] of w.tasks) {
        assert.ok(
          task.cancelling() >= rec.explicitCancels,
          `${task}: cancelling() ${task.cancelling()} >= ${rec.explicitCancels}`,
        );
        if (rec.explicitCancels > 0) assert.ok(task.signal.aborted, `${task}: signal aborted`);
        if (rec.cancelSafe) {
          if (rec.explicitCancels > 0) assert.ok(task.cancelled(), `${task} ends cancelled`);
          else assert.ok(task.cancelled() || task.exception() === undefined, `${task} not failed`);
        }
      }
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  );
});

// ---------------------------------------------------------------------------
// One TaskGroup, in detail
// ---------------------------------------------------------------------------

/** What a child does: sleep, fail after ms (null: at once), or fail only if cancelled. */
type ChildPlan = { does: 'sleep' | 'fail' | 'failIfCancelled'; ms: number | null };

/** A body step: sleep, fail, await a child (by index), or add a child. */
type BodyStep =
  | { kind: 'sleep'; ms: number }
  | { kind: 'fail'; ms: number | null }
  | { kind: 'await'; index: number }
  | { kind: 'add'; child: ChildPlan };

test('TaskGroup: .errors are exactly the failures that happened in its children and body, each once', async () => {
  const childArb: fc.Arbitrary<ChildPlan> = fc.record({
    does: fc.constantFrom('sleep' as const, 'fail' as const, 'failIfCancelled' as const),
    ms: tinyMsOrNow,
  });
  const stepArb: fc.Arbitrary<BodyStep> = fc.oneof(
    fc.record({ kind: fc.constant('sleep' as const), ms: tinyMs }),
    fc.record({ kind: fc.constant('fail' as const), ms: tinyMsOrNow }),
    fc.record({ kind: fc.constant('await' as const), index: fc.nat(4) }),
    fc.record({ kind: fc.constant('add' as const), child: childArb }),
  );
  const planArb = fc.record({
    children: fc.array(childArb, { maxLength: 4 }),
    steps: fc.array(stepArb, { maxLength: 4 }),
    // the body ends by returning one of its children (awaited in the group's scope), or nothing
    returns: fc.option(fc.nat(4), { nil: null }),
  });

  await fc.assert(
    fc.asyncProperty(planArb, async ({ children, steps, returns }) => {
      const failures = new Set<unknown>();
      const tasks: Task<unknown>[] = [];
      let bodyFinallies = 0;
      let childFinallies = 0;
      let childStarts = 0;
      const child =
        ({ does, ms }: ChildPlan) =>
        async (): Promise<string> => {
          childStarts++;
          try {
            if (does === 'fail') {
              if (ms !== null) await sleep(ms);
              throw new Error('child failed');
            }
            try {
              await sleep(ms ?? 0);
            } catch (error) {
              if (does === 'failIfCancelled') throw new Error('child failed while cancelled');
              throw error;
            }
            return 'child done';
          } catch (error) {
            if (!isCancellation(error)) failures.add(error);
            throw error;
          } finally {
            childFinallies++;
          }
        };

      const watched = await runWatched(() =>
        settle(
          TaskGroup.run(async (tg) => {
            try {
              for (const plan of children) tasks.push(tg.createTask(child(plan)));
              for (const step of steps) {
                if (step.kind === 'sleep') await sleep(step.ms);
                else if (step.kind === 'fail') {
                  if (step.ms !== null) await sleep(step.ms);
                  throw new Error('body failed');
                } else if (step.kind === 'add') tasks.push(tg.createTask(child(step.child)));
                else if (tasks.length > 0) await tasks[step.index % tasks.length];
              }
              return returns === null || tasks.length === 0
                ? 'body done'
                : tasks[returns % tasks.length];
            } catch (error) {
              if (!isCancellation(error)) failures.add(error);
              throw error;
            } finally {
              bodyFinallies++;
            }
          }),
        ),
      );
      assert.deepEqual(watched.unhandled, []);
      assert.deepEqual(watched.unretrieved, []);
      assert.ok(watched.outcome.ok);
      const outcome = watched.outcome.value;

      // The group settles only after all of its work.
      for (const task of tasks) assert.ok(task.done(), `${task} is done when the group settles`);
      assert.equal(bodyFinallies, 1, 'the body finally ran once');
      assert.equal(childFinallies, childStarts, 'every started child ran its finally once');
      // No failure: it resolves. Failures: TaskGroupError holding each of them, once.
      if (failures.size === 0) {
        assert.ok(outcome.ok, `resolves, got ${outcome.ok ? '' : show(outcome.error)}`);
      } else {
        assert.ok(!outcome.ok && outcome.error instanceof TaskGroupError, 'rejects TaskGroupError');
        assert.ok(
          sameMembers(outcome.error.errors, failures),
          `.errors ${show(outcome.error)} vs ${failures.size} failure(s) that happened`,
        );
      }
      assert.equal(allTasks().size, 0);
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  );
});

// ---------------------------------------------------------------------------
// Cancellation delivery to one task
// ---------------------------------------------------------------------------

/**
 * How the task reacts to a CancelledError thrown into its long sleep:
 * - propagate: lets it through (try/finally only);
 * - swallow: catches it and returns at once;
 * - recover: catches it, then sleeps RECOVER_MS more without catching.
 */
type Reaction = 'propagate' | 'swallow' | 'recover';
const LONG_MS = 1_000;
const RECOVER_MS = 50;

test('cancellation delivery: cancelled while sleeping -> cancelled() unless caught; cancelling() counts every accepted cancel()', async () => {
  const planArb = fc
    .record({
      reaction: fc.constantFrom<Reaction>('propagate', 'swallow', 'recover'),
      // cancel() calls made right after createTask, before the task starts
      before: fc.nat(2),
      // then, in order: wait `gap` ms (after the previous step), call cancel() `times` times
      steps: fc.array(
        fc.record({ gap: fc.integer({ min: 0, max: 3 }), times: fc.integer({ min: 1, max: 2 }) }),
        { maxLength: 3 },
      ),
    })
    .filter((p) => p.before + p.steps.length > 0);

  await fc.assert(
    fc.asyncProperty(planArb, async ({ reaction, before, steps }) => {
      let started = false;
      let finallies = 0;
      let caught = 0;
      const watched = await runWatched(async () => {
        const task = createTask(async () => {
          started = true;
          try {
            try {
              await sleep(LONG_MS);
            } catch (error) {
              if (reaction === 'propagate' || !(error instanceof CancelledError)) throw error;
              caught++;
              if (reaction === 'swallow') return 'swallowed';
              await sleep(RECOVER_MS);
              return 'recovered';
            }
            return 'slept';
          } finally {
            finallies++;
          }
        });
        const accepted: boolean[] = [];
        const cancel = (): void => {
          const wasDone = task.done();
          const ok = task.cancel();
          assert.equal(ok, !wasDone, 'cancel() returns true iff the task was not done');
          accepted.push(ok);
        };
        for (let i = 0; i < before; i++) cancel();
        const perStep: number[] = [];
        for (const { gap, times } of steps) {
          await sleep(gap);
          const n = accepted.length;
          for (let i = 0; i < times; i++) cancel();
          perStep.push(accepted.slice(n).filter(Boolean).length);
        }
        const outcome = await settle(Promise.resolve(task.then()));
        return { task, accepted, perStep, outcome };
      });
      assert.deepEqual(watched.unhandled, []);
      assert.deepEqual(watched.unretrieved, []);
      assert.ok(watched.outcome.ok, 'main succeeded');
      const { task, accepted, perStep, outcome } = watched.outcome.value;
      const acceptedCount = accepted.filter(Boolean).length;

      // Nobody uncancelled: cancelling() is the number of accepted cancel() calls.
      assert.equal(task.cancelling(), acceptedCount);
      assert.ok(task.signal.aborted, 'the signal aborts at the first request');

      if (before > 0) {
        // Cancelled before it started: the function never runs.
        assert.equal(started, false);
        assert.equal(finallies, 0);
        assert.ok(task.cancelled());
        assert.ok(!outcome.ok && outcome.error instanceof CancelledError);
        assert.equal(acceptedCount, before);
        return;
      }
      assert.equal(started, true);
      assert.equal(finallies, 1, 'finally ran exactly once');
      // Requests made in one go merge into one CancelledError, but all count.
      assert.equal(perStep[0], steps[0]!.times);
      if (reaction === 'propagate') {
        assert.equal(caught, 0);
        assert.ok(task.cancelled(), 'a task that lets the CancelledError through is cancelled');
        assert.equal(acceptedCount, steps[0]!.times, 'later cancel() calls find it done');
      } else if (reaction === 'swallow') {
        assert.equal(caught, 1);
        assert.ok(!task.cancelled(), 'a task that catches and returns is not cancelled');
        assert.ok(outcome.ok && outcome.value === 'swallowed');
        assert.equal(acceptedCount, steps[0]!.times, 'later cancel() calls find it done');
      } else if (steps.length === 1) {
        assert.equal(caught, 1);
        assert.ok(!task.cancelled(), 'caught once, then finished its work');
        assert.ok(outcome.ok && outcome.value === 'recovered');
      } else {
        // The second round of requests reaches the recovery sleep.
        assert.equal(caught, 1);
        assert.ok(task.cancelled(), 'cancelled again while recovering');
        assert.equal(perStep[1], steps[1]!.times);
        assert.equal(acceptedCount, steps[0]!.times + steps[1]!.times);
      }
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  );
});

// ---------------------------------------------------------------------------
// gather(..., { returnExceptions: true })
// ---------------------------------------------------------------------------

type GatherKind = 'fnValue' | 'fnError' | 'taskValue' | 'taskError' | 'promise' | 'cancelledTask';

test('gather with returnExceptions: results in input order, each the value or the exact error', async () => {
  const inputArb = fc.record({
    kind: fc.constantFrom<GatherKind>(
      'fnValue',
      'fnError',
      'taskValue',
      'taskError',
      'promise',
      'cancelledTask',
    ),
    ms: tinyMs,
    // for cancelledTask: cancel at once (null) or after ms
    cancelAfter: tinyMsOrNow,
  });

  await fc.assert(
    fc.asyncProperty(fc.array(inputArb, { maxLength: 6 }), async (inputs) => {
      const watched = await runWatched(async () => {
        const helpers: Task<void>[] = [];
        const expected: Array<(result: unknown) => boolean> = [];
        const aws = inputs.map(({ kind, ms, cancelAfter }, i) => {
          const value = { value: i };
          const error = new Error(`input ${i}`);
          switch (kind) {
            case 'fnValue':
              expected.push((r) => r === value);
              return async () => {
                await sleep(ms);
                return value;
              };
            case 'fnError':
              expected.push((r) => r === error);
              return async () => {
                await sleep(ms);
                throw error;
              };
            case 'taskValue':
              expected.push((r) => r === value);
              return createTask(() => sleep(ms, value));
            case 'taskError':
              expected.push((r) => r === error);
              return createTask(async () => {
                await sleep(ms);
                throw error;
              });
            case 'promise':
              expected.push((r) => r === value);
              return new Promise((resolve) => setTimeout(resolve, ms, value));
            default: {
              // cancelledTask
              const task = createTask(() => sleep(LONG_MS));
              if (cancelAfter === null) task.cancel();
              else
                helpers.push(
                  createTask(async () => {
                    await sleep(cancelAfter);
                    task.cancel();
                  }),
                );
              expected.push((r) => {
                // the very CancelledError the task ended with
                try {
                  task.result();
                } catch (e) {
                  return r === e && r instanceof CancelledError;
                }
                return false;
              });
              return task;
            }
          }
        });
        const results = await gather(aws, { returnExceptions: true });
        for (const helper of helpers) await helper;
        return { results, expected };
      });
      assert.deepEqual(watched.unhandled, []);
      assert.deepEqual(watched.unretrieved, []);
      assert.ok(watched.outcome.ok, `gather never rejects with returnExceptions`);
      const { results, expected } = watched.outcome.value;
      assert.equal(results.length, inputs.length);
      for (const [i, check] of expected.entries()) {
        assert.ok(check(results[i]), `result ${i} (${inputs[i]!.kind}) is ${String(results[i])}`);
      }
      assert.equal(allTasks().size, 0);
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  );
});

// ---------------------------------------------------------------------------
// timeout
// ---------------------------------------------------------------------------

const SHORT_MS = 5;
const FAR_MS = 100;

/**
 * What stands between the outer task and the work: a timeout that never
 * expires in time (FAR_MS), a TaskGroup body, a TaskGroup child, or a task.
 * At most one SHORT_MS timeout is inserted among them.
 */
type Layer = 'farTimeout' | 'groupBody' | 'groupChild' | 'task';
type Level = Layer | 'shortTimeout';

/**
 * The error expected out of `levels[i]` when the short timeout at `s`
 * expires: a TimeoutError out of the short timeout, passed on by tasks and
 * by timeouts that did not expire, wrapped in a TaskGroupError by each
 * enclosing TaskGroup (a TimeoutError is a failure of the group's work).
 */
function expectedError(error: unknown, levels: Level[], s: number, i = 0): boolean {
  if (i === s) return error instanceof TimeoutError;
  if (levels[i] === 'groupBody' || levels[i] === 'groupChild') {
    return (
      error instanceof TaskGroupError &&
      error.errors.length === 1 &&
      expectedError(error.errors[0], levels, s, i + 1)
    );
  }
  return expectedError(error, levels, s, i + 1);
}

test('timeout: TimeoutError iff the work did not finish in time, through tasks and groups; cancelling() back to 0', async () => {
  const planArb = fc
    .record({
      layers: fc.array(fc.constantFrom<Layer>('farTimeout', 'groupBody', 'groupChild', 'task'), {
        maxLength: 3,
      }),
      // where the short timeout goes (mod layers + 1), or none
      shortAt: fc.option(fc.nat(3), { nil: null }),
      // the work: a weft checkpoint, or a Node API given currentSignal() (the documented idiom)
      work: fc.constantFrom('checkpoint' as const, 'signal' as const),
    })
    .map(({ layers, shortAt, work }) => {
      const levels: Level[] = [...layers];
      if (shortAt !== null) levels.splice(shortAt % (layers.length + 1), 0, 'shortTimeout');
      return { levels, work };
    })
    .filter(({ levels }) => levels.some((l) => l === 'farTimeout' || l === 'shortTimeout'));

  await fc.assert(
    fc.asyncProperty(planArb, async ({ levels, work }) => {
      const s = levels.indexOf('shortTimeout');
      // far apart both ways: the work outlasts a short timeout, and ends long before a far one
      const workMs = s >= 0 ? 1_000 : SHORT_MS;
      const signals: AbortSignal[] = [];
      const watched = await runWatched(async (signal) => {
        const scopes: Array<{ short: boolean; expired(): boolean }> = [];
        const nest = async (i: number): Promise<string> => {
          const level = levels[i];
          switch (level) {
            case undefined: {
              if (work === 'checkpoint') return sleep(workMs, 'done');
              const inner = currentSignal()!;
              signals.push(inner);
              return nodeSleep(workMs, 'done', { signal: inner });
            }
            case 'shortTimeout':
            case 'farTimeout':
              return timeout(level === 'shortTimeout' ? SHORT_MS : FAR_MS, (scope) => {
                signals.push(scope.signal);
                scopes.push({ short: level === 'shortTimeout', expired: () => scope.expired() });
                return nest(i + 1);
              });
            case 'groupBody':
              return TaskGroup.run(() => nest(i + 1));
            case 'groupChild': {
              let child: Task<string> | undefined;
              await TaskGroup.run((tg) => {
                child = tg.createTask(() => nest(i + 1));
              });
              return child!.result();
            }
            default:
              // task
              return createTask(() => nest(i + 1));
          }
        };
        const outcome = await settle(nest(0));
        const after = { cancelling: currentTask()!.cancelling(), aborted: signal.aborted };
        // The task goes on normally: no cancellation leaked out of the timeouts.
        const next = await settle(sleep(0, 'next'));
        return { outcome, after, next, scopes };
      });
      assert.deepEqual(watched.unhandled, []);
      assert.deepEqual(watched.unretrieved, []);
      assert.ok(watched.outcome.ok);
      const { outcome, after, next, scopes } = watched.outcome.value;

      if (s >= 0) {
        assert.ok(
          !outcome.ok && expectedError(outcome.error, levels, s),
          `expected a TimeoutError out of the short timeout, got ${outcome.ok ? outcome.value : show(outcome.error)}`,
        );
      } else {
        assert.ok(outcome.ok && outcome.value === 'done', 'resolves with the value');
      }
      for (const scope of scopes)
        assert.equal(scope.expired(), scope.short, 'only the short timeout expired');
      assert.equal(after.cancelling, 0, 'cancelling() is 0 afterwards');
      assert.equal(after.aborted, false, "the task's signal is untouched");
      assert.ok(next.ok && next.value === 'next', 'the next checkpoint goes through');
      assert.equal(allTasks().size, 0);
      for (const signal of signals) assert.equal(getEventListeners(signal, 'abort').length, 0);
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  );
});
