/**
 * `weft pstree`: who awaits whom. Roots are the tasks nobody awaits; under
 * a task comes what it awaits (other tasks, a `gather`, its task groups
 * with their tasks); the rest of what it waits on (a sleep, a lock, a
 * queue, a promise) is written on its line. Await cycles (deadlocks) are
 * found by `cycles.ts`.
 *
 * @module
 */

import type { Snapshot, TaskSnapshot, WaitTarget } from '../snapshot-types.js';
import { type AwaitCycle, findCycles } from './cycles.js';
import { describeWait, oneLine, summaryLine, taskLabel } from './describe.js';

/** A node of the tree. */
export type TreeNode =
  | {
      type: 'task';
      id: number;
      name: string;
      state: TaskSnapshot['state'];
      cancelling: number;
      location: string | null;
      /** What the task waits on besides the nodes under it (sleep, lock, queue, promise...). */
      waits: WaitTarget[];
      children: TreeNode[];
    }
  | {
      type: 'group';
      id: number;
      state: 'open' | 'cancelling';
      /** Whether the owner task is waiting for the group's tasks (else its body is still busy). */
      awaited: boolean;
      children: TreeNode[];
    }
  | {
      type: 'tasks';
      via: string;
      children: TreeNode[];
    }
  | {
      /** A task already printed: `above` elsewhere in the tree, or on the `cycle` path to this node. */
      type: 'ref';
      id: number;
      name: string;
      reason: 'above' | 'cycle';
    }
  | {
      /** An awaited task that is no longer in the snapshot (it finished meanwhile). */
      type: 'gone';
      id: number;
    };

/** The whole tree, as `weft pstree --json` prints it. */
export interface Tree {
  pid: number;
  node: string;
  weft: string;
  takenAt: number;
  roots: TreeNode[];
  cycles: AwaitCycle[];
}

const STRUCTURAL = new Set(['task', 'tasks', 'group']);

/**
 * Build the tree of a snapshot (see the module's description). Every task
 * appears once in full; a task reached again is a `ref` node.
 *
 * @example
 * ```ts
 * import { buildTree } from '../../src/cli/pstree.js';
 *
 * const base = { state: 'waiting', cancelling: 0, parent: 1, ageMs: 0, location: null, stack: null } as const;
 * const tree = buildTree({
 *   pid: 7, node: 'v20.20.2', weft: '0.1.0', takenAt: 0, debug: false,
 *   groups: [{ id: 1, owner: 1, state: 'open', tasks: [2] }],
 *   tasks: [
 *     { ...base, id: 1, name: 'main', parent: null, group: null, waitingOn: [{ kind: 'group', id: 1 }] },
 *     { ...base, id: 2, name: 'child', group: 1, waitingOn: [{ kind: 'promise', detail: 'fetch' }] },
 *   ],
 * });
 * console.log(tree.roots[0].children[0].type); // group
 * ```
 */
export function buildTree(snapshot: Snapshot): Tree {
  const byId = new Map(snapshot.tasks.map((t) => [t.id, t]));
  const groupsByOwner = new Map<number, Snapshot['groups']>();
  for (const g of snapshot.groups) {
    groupsByOwner.set(g.owner, [...(groupsByOwner.get(g.owner) ?? []), g]);
  }
  // Children ids of each task in the display (for finding roots).
  const awaited = new Set<number>();
  for (const t of snapshot.tasks) {
    for (const wait of t.waitingOn) {
      if (wait.kind === 'task') awaited.add(wait.id);
      if (wait.kind === 'tasks') for (const id of wait.ids) awaited.add(id);
    }
  }
  for (const g of snapshot.groups) {
    if (byId.has(g.owner)) for (const id of g.tasks) awaited.add(id);
  }
  const shown = new Set<number>();
  const path = new Set<number>();

  const taskNode = (id: number): TreeNode => {
    const task = byId.get(id);
    if (task === undefined) return { type: 'gone', id };
    if (path.has(id)) return { type: 'ref', id, name: task.name, reason: 'cycle' };
    if (shown.has(id)) return { type: 'ref', id, name: task.name, reason: 'above' };
    shown.add(id);
    path.add(id);
    const children: TreeNode[] = [];
    const waitedGroups = new Set<number>();
    for (const wait of task.waitingOn) {
      if (wait.kind === 'task') children.push(taskNode(wait.id));
      else if (wait.kind === 'tasks') {
        children.push({ type: 'tasks', via: wait.via, children: wait.ids.map(taskNode) });
      } else if (wait.kind === 'group') waitedGroups.add(wait.id);
    }
    for (const g of groupsByOwner.get(id) ?? []) {
      children.push({
        type: 'group',
        id: g.id,
        state: g.state,
        awaited: waitedGroups.has(g.id),
        children: g.tasks.map(taskNode),
      });
    }
    path.delete(id);
    return {
      type: 'task',
      id,
      name: task.name,
      state: task.state,
      cancelling: task.cancelling,
      location: task.location,
      waits: task.waitingOn.filter((w) => !STRUCTURAL.has(w.kind)),
      children,
    };
  };

  const roots: TreeNode[] = [];
  for (const t of snapshot.tasks) if (!awaited.has(t.id)) roots.push(taskNode(t.id));
  // Groups whose owner is gone, then tasks only reachable from a cycle.
  for (const g of snapshot.groups) {
    if (byId.has(g.owner)) continue;
    const children = g.tasks.map(taskNode);
    roots.push({ type: 'group', id: g.id, state: g.state, awaited: false, children });
  }
  for (const t of snapshot.tasks) if (!shown.has(t.id)) roots.push(taskNode(t.id));
  const { pid, node, weft, takenAt } = snapshot;
  return { pid, node, weft, takenAt, roots, cycles: findCycles(snapshot) };
}

function label(node: TreeNode, snapshot: Snapshot): string {
  switch (node.type) {
    case 'task': {
      const parts = [taskLabel(node)];
      if (node.state !== 'waiting') parts.push(`[${node.state}]`);
      if (node.cancelling > 0) parts.push('[cancelling]');
      const waits = node.waits.map((w) => describeWait(w, snapshot));
      let text = parts.join(' ');
      if (waits.length > 0) text += ` · ${waits.join('; ')}`;
      if (node.location !== null) text += ` (at ${oneLine(node.location)})`;
      return text;
    }
    case 'group': {
      const notes = [
        ...(node.state === 'cancelling' ? ['cancelling'] : []),
        ...(node.awaited ? [] : ['not awaited yet']),
      ];
      return `group #${node.id}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
    }
    case 'tasks':
      return node.via;
    case 'ref':
      return `${taskLabel(node)} (${node.reason === 'cycle' ? 'cycle: awaited above' : 'see above'})`;
    case 'gone':
      return `#${node.id} (finished)`;
  }
}

/**
 * `weft pstree` output: a summary line and the tree drawn with box lines.
 *
 * @example
 * ```ts
 * import { buildTree, formatTree } from '../../src/cli/pstree.js';
 *
 * const base = { state: 'waiting', cancelling: 0, group: null, ageMs: 0, location: null, stack: null } as const;
 * const snapshot = {
 *   pid: 7, node: 'v20.20.2', weft: '0.1.0', takenAt: 0, debug: false, groups: [],
 *   tasks: [
 *     { ...base, id: 1, name: 'main', parent: null, waitingOn: [{ kind: 'task', id: 2, name: 'job' }] },
 *     { ...base, id: 2, name: 'job', parent: 1, waitingOn: [{ kind: 'promise', detail: 'fetch' }] },
 *   ],
 * };
 * console.log(formatTree(buildTree(snapshot), snapshot).split('\n').slice(1).join(' | ')); // └── #1 main |     └── #2 job · promise: fetch
 * ```
 */
export function formatTree(tree: Tree, snapshot: Snapshot): string {
  const lines = [summaryLine(snapshot)];
  const draw = (nodes: TreeNode[], prefix: string) => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label(node, snapshot)}`);
      if ('children' in node) draw(node.children, `${prefix}${last ? '    ' : '│   '}`);
    });
  };
  draw(tree.roots, '');
  if (tree.roots.length === 0) lines.push('No pending tasks.');
  return lines.join('\n');
}
