/** Creation stacks of tasks (debug mode) and the user code they point to. */

import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** weft's own directory (src/ or dist/): its frames are not where the user created a task. */
const weftDir = dirname(dirname(fileURLToPath(import.meta.url)));

/** The stack of the code creating a task, without the frames of this call and the constructor. */
export function creationStack(): string | undefined {
  const stack = new Error().stack;
  return stack?.split('\n').slice(3).join('\n');
}

/** `file:line:column` of the first frame of a creation stack outside weft. */
export function creationLocation(stack: string): string | null {
  for (const line of stack.split('\n')) {
    const match = /\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?\s*$/.exec(line);
    if (match === null) continue;
    let where = match[1]!;
    if (where.startsWith('file://')) {
      try {
        const parts = /^(.*):(\d+):(\d+)$/.exec(where)!;
        where = `${fileURLToPath(parts[1]!)}:${parts[2]}:${parts[3]}`;
      } catch {
        // Not a valid file URL: keep it as it is.
      }
    }
    if (where.startsWith(weftDir) || where.startsWith('node:')) continue;
    return where;
  }
  return null;
}
