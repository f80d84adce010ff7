/**
 * Results of `npm run bench:jobs`: one JSON file per Node version
 * (`bench/results/jobs-node<major>.json`), kept sample by sample, from
 * which the Jobs section of `BENCHMARKS.md` is generated.
 */

import { loadByNode } from '../results.js';
import type { JobsLibrary } from './contender.js';

/** Latency percentiles over every job of a run, in ms. */
export interface LatencySummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface JobsRow {
  /** Contender id and its name in the report. */
  contender: string;
  name: string;
  library: JobsLibrary;
  n: number;
  /** Throughput scenarios: jobs/s, one figure per measured round. */
  samples: number[];
  /** Latency scenarios: the percentiles of every job's latency. */
  latency?: LatencySummary;
  /** Processing: jobs each worker process ran, per round. */
  shares?: number[][];
}

export interface JobsScenarioResult {
  id: string;
  group: 'enqueue' | 'processing' | 'latency';
  title: string;
  /** What it does, for the report. */
  work: string;
  /** Jobs per run. */
  n: number;
  /** Worker processes (processing), `pollMs` of the worker (latency; null when woken in-process). */
  processes?: number;
  pollMs?: number | null;
  rows: JobsRow[];
  seconds: number;
}

/** A check that held (a check that fails ends the run, with nothing written). */
export interface JobsCheck {
  scenario: string;
  contender: string;
  check: string;
}

export interface JobsSuiteResult {
  node: string;
  date: string;
  mode: 'full' | 'quick' | 'partial';
  /** `load`: load averages (1, 5, 15 min) at the start; `loadAfter`: at the end. */
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    os: string;
    load: number[];
    loadAfter?: number[];
  };
  /** Where better-sqlite3 came from (a build for this Node's ABI when not the project's). */
  driver?: string;
  contenders: Array<{
    id: string;
    name: string;
    library: JobsLibrary;
    backend: string;
    /** Where it promises less than weft, or cannot do what a scenario asks. */
    notes?: string;
  }>;
  /** Contenders that could not run on this Node, and why. */
  skipped?: Array<{ id: string; name: string; reason: string }>;
  settings: {
    rounds: number;
    producers: number;
    concurrency: number;
    processingPollMs: number;
    spacingMs: number;
  };
  scenarios: JobsScenarioResult[];
  checks: JobsCheck[];
  seconds: number;
}

/** Every `jobs-node*.json` in `dir`, oldest Node first. */
export function loadJobsResults(dir: string): JobsSuiteResult[] {
  return loadByNode<JobsSuiteResult>(dir, /^jobs-node\d+\.json$/);
}
