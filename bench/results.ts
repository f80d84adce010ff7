/**
 * The suite's raw results: one JSON file per Node version
 * (`bench/results/node20.json`, `node24.json`), from which `BENCHMARKS.md`
 * is generated. Figures are kept sample by sample, so that the report can
 * be regenerated or re-read without running anything again.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Library, Role } from './harness.js';
import { median } from './stats.js';

export interface RowResult {
  name: string;
  library: Library;
  role: Role;
  /** Size it ran at (below the scenario's when its time was scaled). */
  n: number;
  /** The common phase's figures (ms of one run, or bytes per task). */
  samples: number[];
  /** Figures before any `AsyncLocalStorage` was in use in the process. */
  alone?: number[];
  /** Why the library cannot express the scenario; `samples` is then empty. */
  na?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  work: string;
  metric: 'ms' | 'bytes';
  unit: string;
  n: number;
  rows: RowResult[];
  /** Seconds the scenario took, Python included. */
  seconds: number;
}

export interface SuiteResult {
  /** `process.version` of the Node that ran the scenarios. */
  node: string;
  date: string;
  mode: 'full' | 'quick' | 'partial';
  machine: { cpu: string; cores: number; memoryGiB: number; os: string };
  /** Python version, or why Python was not measured. */
  python: { version: string } | { missing: string };
  settings: { warmup: number; rounds: number; minSamples: number; budgetMs: number };
  scenarios: ScenarioResult[];
  /** Wall time of the whole run for this Node version (Python included). */
  seconds: number;
}

/** Every `node*.json` in `dir`, oldest Node first. */
export function loadResults(dir: string): SuiteResult[] {
  return loadByNode<SuiteResult>(dir, /^node\d+\.json$/);
}

/** Every result file in `dir` whose name matches `pattern`, oldest Node first (none when `dir` is missing). */
export function loadByNode<T extends { node: string }>(dir: string, pattern: RegExp): T[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => pattern.test(f));
  } catch {
    return [];
  }
  return names
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as T)
    .sort((a, b) => major(a.node) - major(b.node));
}

export function major(version: string): number {
  return Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
}

/** Median of a row, or undefined when it has no figure. */
export function mid(row: RowResult | undefined): number | undefined {
  return row !== undefined && row.samples.length > 0 ? median(row.samples) : undefined;
}

/** The row every ratio of a scenario is taken against: its first weft row. */
export function referenceRow(scenario: ScenarioResult): RowResult | undefined {
  return scenario.rows.find((r) => r.role === 'weft' && r.samples.length > 0);
}

/** `row ÷ weft`: above 1 means weft is faster (or lighter). */
export function ratioToWeft(scenario: ScenarioResult, row: RowResult): number | undefined {
  const weft = mid(referenceRow(scenario));
  const value = mid(row);
  return weft === undefined || value === undefined ? undefined : value / weft;
}
