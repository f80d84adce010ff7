/** The suite's scenarios, in report order. Loaded on demand: a child process imports only its own. */

import type { Scenario } from '../harness.js';

export const SCENARIO_IDS = [
  'spawn',
  'sleep',
  'cancel',
  'memory',
  'lock',
  'map',
  'queue',
  'timeouts',
] as const;

export type ScenarioId = (typeof SCENARIO_IDS)[number];

export async function loadScenario(id: string): Promise<Scenario> {
  if (!(SCENARIO_IDS as readonly string[]).includes(id)) {
    throw new RangeError(`Expected a scenario among ${SCENARIO_IDS.join(', ')}, got '${id}'`);
  }
  const module = (await import(`./${id}.js`)) as { scenario: Scenario };
  return module.scenario;
}
