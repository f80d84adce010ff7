/**
 * The functions with the most self time in a V8 `.cpuprofile` (from
 * `node --cpu-prof`, or `npm run bench -- --cpu-prof --only ID --contender TEXT`).
 *
 * Usage: node --import tsx bench/profile.ts FILE.cpuprofile [--top 25] [--filter src/]
 *   --filter TEXT: only functions whose file path contains TEXT (e.g. `src/` for weft's own).
 */

import { readFileSync } from 'node:fs';
import { numberArg, textArg } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (file === undefined || file.startsWith('--')) {
  console.error(
    'usage: node --import tsx bench/profile.ts FILE.cpuprofile [--top N] [--filter TEXT]',
  );
  process.exit(2);
}
const top = numberArg('top', 25);
const filter = textArg('filter', '');

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]!)!;
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const { functionName, url, lineNumber } = node.callFrame;
  const where =
    url === ''
      ? ''
      : `${url.replace(/^file:\/\//, '').replace(process.cwd(), '.')}:${lineNumber + 1}`;
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + dt);
}

console.log(`${(total / 1000).toFixed(0)} ms sampled in ${file}`);
const rows = [...self].filter(([key]) => key.includes(filter)).sort((a, b) => b[1] - a[1]);
for (const [key, us] of rows.slice(0, top)) {
  console.log(
    `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`,
  );
}
