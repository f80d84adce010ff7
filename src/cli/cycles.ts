/**
 * Await cycles — deadlocks — in a snapshot: tasks that wait on each other
 * in a ring, found on the "waits on" edges alone (a task awaiting a task, a
 * gather awaiting its tasks, a group body awaiting its group's tasks).
 *
 * @module
 */

import type { Snapshot, TaskSnapshot } from '../snapshot-types.js';
import { taskLabel } from './describe.js';

/** Tasks that await each other in a ring: each awaits the next, the last awaits the first. */
export interface AwaitCycle {
  /** Ids of the tasks, starting from the smallest. */
  ids: number[];
  /** Their names, in the same order. */
  names: string[];
}

/** The tasks a task waits on, directly or through a gather or the group it waits for. */
function waitEdges(task: TaskSnapshot, groups: Map<number, Snapshot['groups'][number]>): number[] {
  const out: number[] = [];
  for (const wait of task.waitingOn) {
    if (wait.kind === 'task') out.push(wait.id);
    // No spread into push(): a gather or group of 100,000 tasks would overflow the call stack.
    else if (wait.kind === 'tasks') for (const id of wait.ids) out.push(id);
    else if (wait.kind === 'group') for (const id of groups.get(wait.id)?.tasks ?? []) out.push(id);
  }
  return out;
}

/**
 * The await cycles of a snapshot: strongly connected sets of tasks on the
 * "waits on" edges (task → task, task → gathered tasks, task → tasks of the
 * group it waits for), one ring reported per set.
 *
 * @example
 * ```ts
 * import { findCycles } from '../../src/cli/cycles.js';
 *
 * const task = (id: number, name: string, on: number) => ({
 *   id, name, state: 'waiting', cancelling: 0, parent: null, group: null, ageMs: 0,
 *   waitingOn: [{ kind: 'task', id: on, name: '' }], location: null, stack: null,
 * } as const);
 * const cycles = findCycles({ tasks: [task(3, 'a', 4), task(4, 'b', 3)], groups: [] });
 * console.log(cycles[0].names.join(' -> ')); // a -> b
 * ```
 */
export function findCycles(snapshot: Pick<Snapshot, 'tasks' | 'groups'>): AwaitCycle[] {
  const groups = new Map(snapshot.groups.map((g) => [g.id, g]));
  const byId = new Map(snapshot.tasks.map((t) => [t.id, t]));
  const edges = new Map<number, number[]>();
  for (const t of snapshot.tasks) {
    edges.set(
      t.id,
      waitEdges(t, groups).filter((id) => byId.has(id)),
    );
  }
  // Tarjan's algorithm, iterative so that a long chain of awaits cannot overflow the stack.
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (const start of byId.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ id: number; next: number }> = [{ id: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work.at(-1)!;
      const out = edges.get(frame.id)!;
      if (frame.next < out.length) {
        const to = out[frame.next++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent !== undefined) {
        low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      }
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: number[] = [];
        let id: number;
        do {
          id = stack.pop()!;
          onStack.delete(id);
          component.push(id);
        } while (id !== frame.id);
        const selfLoop = component.length === 1 && edges.get(id)!.includes(id);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components
    .map((component) => ring(component, edges))
    .sort((a, b) => a[0]! - b[0]!)
    .map((ids) => ({ ids, names: ids.map((id) => byId.get(id)!.name) }));
}

/** One ring through a strongly connected set, from its smallest id (a shortest one, by BFS). */
function ring(component: number[], edges: Map<number, number[]>): number[] {
  const members = new Set(component);
  let start = component[0]!;
  for (const id of component) if (id < start) start = id;
  const previous = new Map<number, number>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const to of edges.get(id)!) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [id];
        for (let at = id; at !== start; ) path.push((at = previous.get(at)!));
        return path.reverse();
      }
      if (!previous.has(to)) {
        previous.set(to, id);
        queue.push(to);
      }
    }
  }
  return [start];
}

/**
 * The error lines for a tree's await cycles, one per cycle.
 *
 * @example
 * ```ts
 * import { formatCycles } from '../../src/cli/cycles.js';
 *
 * console.log(formatCycles([{ ids: [3, 4], names: ['a', 'b'] }])); // await cycle (deadlock): #3 a -> #4 b -> #3 a
 * ```
 */
export function formatCycles(cycles: readonly AwaitCycle[]): string {
  return cycles
    .map((c) => {
      const labels = c.ids.map((id, i) => taskLabel({ id, name: c.names[i]! }));
      return `await cycle (deadlock): ${[...labels, labels[0]].join(' -> ')}`;
    })
    .join('\n');
}
