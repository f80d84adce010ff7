/**
 * One scenario in a fresh process, started by `bench/run.ts` (with
 * `--expose-gc`): measures its contenders and writes the figures as JSON to
 * `--out`. A failed check throws, and the non-zero exit fails the run.
 *
 * Usage: node --expose-gc --import tsx bench/child.ts --scenario ID --n N
 *   --warmup W --rounds R --min-samples S --budget MS --out FILE
 *   [--contender NAME] (only that contender; memory runs one per process)
 *   [--match TEXT] (only the contenders whose name contains TEXT)
 *   [--alone all|baselines] (first measure the rows that do not use AsyncLocalStorage,
 *   or only the plain-code baselines among them, before any storage is in use)
 */

import { writeFileSync } from 'node:fs';
import { measure } from './harness.js';
import { loadScenario } from './scenarios/index.js';
import { numberArg, textArg } from './stats.js';

const scenario = await loadScenario(textArg('scenario', ''));
const only = textArg('contender', '');
const match = textArg('match', '');
const contenders = scenario.contenders.filter(
  (c) => (only === '' || c.name === only) && c.name.includes(match),
);
if (contenders.length === 0) throw new Error(`no contender '${only || match}' in ${scenario.id}`);

const measured = await measure(contenders, {
  n: numberArg('n', scenario.size.full),
  metric: scenario.metric,
  warmup: numberArg('warmup', 1),
  rounds: numberArg('rounds', 5),
  minSamples: numberArg('min-samples', 3),
  budgetMs: numberArg('budget', 5_000),
  alonePhase: textArg('alone', 'none') as 'all' | 'baselines' | 'none',
  onSample: (name, value) => {
    process.stderr.write(
      `  ${scenario.id}: ${name} ${value.toFixed(scenario.metric === 'ms' ? 1 : 0)}\n`,
    );
  },
});
writeFileSync(textArg('out', '/dev/stdout'), JSON.stringify({ node: process.version, measured }));
