/**
 * The children of a task group not yet done, cheaper than a `Set` at
 * 100k children: an array that only grows by `push`, a count of the live
 * ones, and a compaction (a new array of the live ones) once the done ones
 * are the majority. A long-lived group with many short children so keeps
 * at most about twice its live children, and a child costs one array slot
 * instead of a hash-table entry.
 */

/** What the collection needs of a task. */
interface Member {
  done(): boolean;
}

/** Below this many entries, done children are left in place (compacting costs more than it saves). */
const MIN_COMPACT = 64;

export class LiveTasks<T extends Member> {
  private _items: T[] = [];
  private _live = 0;

  /** How many members are not done. */
  get size(): number {
    return this._live;
  }

  /** Add a member that is not done. */
  add(task: T): void {
    this._items.push(task);
    this._live++;
  }

  /**
   * A member has become done (call once per added member). Compaction makes
   * a new array, so a loop over the old one (cancelling every child, which
   * can end some at once) goes on undisturbed.
   */
  doneOne(): void {
    this._live--;
    const items = this._items;
    if (items.length >= MIN_COMPACT && this._live < items.length / 2) {
      this._items = items.filter((t) => !t.done());
    }
  }

  /** The members not done, in the order they were added (a member ending during the loop is skipped). */
  *[Symbol.iterator](): Generator<T> {
    const items = this._items;
    for (let i = 0; i < items.length; i++) {
      const task = items[i]!;
      if (!task.done()) yield task;
    }
  }
}
