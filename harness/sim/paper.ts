// The paper's evaluation as one sweep: every protocol and seed builds and stabilises one
// overlay (a job), then goes through every failure level and churn rate on copies of it. Jobs
// run on worker threads, each deterministic from its seed, so the results do not depend on how
// many workers ran them or in which order.
import { availableParallelism } from 'node:os';
import { DEFAULT_ENGINE } from './engine.ts';
import { PROTOCOLS, type ProtocolName } from './protocols.ts';
import { afterFailure, type MessageStats, type OverlayStats, resolveSimulateOptions, type SimulateOptions, type SimulateResult, stabilise } from './simulate.ts';
import { startWorker } from '../threads.ts';

export const PAPER_FAIL_LEVELS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95] as const;
/** Beyond the paper: steady churn, a share of the live nodes replaced every cycle. */
export const PAPER_CHURN_RATES = [0.01, 0.05] as const;

export interface PaperOptions {
  readonly nodes: number;
  readonly seeds: readonly number[];
  readonly protocols: readonly ProtocolName[];
  readonly failLevels: readonly number[];
  readonly churnRates: readonly number[];
  readonly cycles: number;
  /** Also build each protocol's overlay with every node joining at once (first seed), for its graph. */
  readonly atOnce: boolean;
  readonly workers: number;
}

export const DEFAULT_PAPER: PaperOptions = {
  nodes: 10_000,
  seeds: [1, 2, 3],
  protocols: PROTOCOLS,
  failLevels: PAPER_FAIL_LEVELS,
  churnRates: PAPER_CHURN_RATES,
  cycles: 50,
  atOnce: true,
  workers: availableParallelism(),
};

export interface Job {
  readonly protocol: ProtocolName;
  readonly seed: number;
  readonly bootstrap: 'sequential' | 'at-once';
  readonly nodes: number;
  readonly cycles: number;
  readonly failLevels: readonly number[];
  readonly churnRates: readonly number[];
}

/** One failure level (or churn rate) of a job: what the report plots, without the per-node detail. */
export interface LevelResult {
  readonly fail: number;
  readonly churn: number;
  readonly command: string;
  readonly messages: readonly MessageStats[];
  readonly perCycle: SimulateResult['afterFailure']['perCycle'];
  readonly reliabilityHealedAfter: number | null;
  readonly viewsHealedAfter: number | null;
  readonly violations: SimulateResult['violations'];
  readonly beyondRepair: SimulateResult['beyondRepair'];
}

export interface JobResult extends Job {
  readonly overlay: OverlayStats;
  readonly probes: readonly MessageStats[];
  readonly levels: readonly LevelResult[];
  readonly seconds: number;
  readonly events: number;
}

export type JobProgress = { readonly job: number; readonly step: number; readonly steps: number };

/** `shardThreads`: whether a large run's shards may take threads of their own (the result is the same either way). */
export function jobOptions(job: Job, fail: number, churn: number, shardThreads = true): SimulateOptions {
  return resolveSimulateOptions({ protocol: job.protocol, nodes: job.nodes, seed: job.seed, cycles: job.cycles, bootstrap: job.bootstrap, fail, churn, engine: { ...DEFAULT_ENGINE, threads: shardThreads } });
}

/** Steps a job reports progress in: the stabilisation, then one per level. */
export function jobSteps(job: Job): number {
  return 1 + job.failLevels.length + job.churnRates.length;
}

export function runJob(job: Job, onStep?: (step: number) => void, shardThreads = true): JobResult {
  const t0 = performance.now();
  const base = stabilise(jobOptions(job, 0, 0, shardThreads));
  onStep?.(1);
  const runs: Array<[number, number]> = [...job.failLevels.map((f): [number, number] => [f, 0]), ...job.churnRates.map((c): [number, number] => [0, c])];
  let events = base.sim.eventsProcessed;
  const levels = runs.map(([fail, churn], i) => {
    const r = afterFailure(jobOptions(job, fail, churn, shardThreads), base, undefined, { overlay: false });
    events += r.run.events - base.sim.eventsProcessed;
    onStep?.(2 + i);
    const a = r.afterFailure;
    return { fail, churn, command: r.command, messages: a.messages, perCycle: a.perCycle, reliabilityHealedAfter: a.reliabilityHealedAfter, viewsHealedAfter: a.viewsHealedAfter, violations: r.violations, beyondRepair: r.beyondRepair };
  });
  return { ...job, overlay: base.overlay, probes: base.probes, levels, seconds: (performance.now() - t0) / 1000, events };
}

export function paperJobs(o: PaperOptions): Job[] {
  const jobs: Job[] = [];
  for (const protocol of o.protocols) {
    for (const seed of o.seeds) jobs.push({ protocol, seed, bootstrap: 'sequential', nodes: o.nodes, cycles: o.cycles, failLevels: o.failLevels, churnRates: o.churnRates });
    if (o.atOnce) jobs.push({ protocol, seed: o.seeds[0]!, bootstrap: 'at-once', nodes: o.nodes, cycles: o.cycles, failLevels: [0.5], churnRates: [] });
  }
  return jobs;
}

/**
 * Runs the jobs on `workers` threads (in this thread with 1), longest first so the threads end
 * together; results come back in job order. Jobs on worker threads keep their shards (from
 * SHARDED_FROM nodes) in their own thread, so the threads stay as many as the workers.
 */
export async function runJobs(jobs: readonly Job[], workers: number, onProgress?: (p: JobProgress) => void): Promise<JobResult[]> {
  const lanes = Math.min(workers, jobs.length);
  if (lanes <= 1) return jobs.map((job, i) => runJob(job, (step) => onProgress?.({ job: i, step, steps: jobSteps(job) })));
  const cost = (j: Job) => (j.protocol === 'hyparview' ? 4 : 1) * jobSteps(j);
  const order = jobs.map((_, i) => i).sort((a, b) => cost(jobs[b]!) - cost(jobs[a]!) || a - b);
  const results: JobResult[] = new Array(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let k = next++; k < order.length; k = next++) {
      const i = order[k]!;
      results[i] = await inWorker(jobs[i]!, (step) => onProgress?.({ job: i, step, steps: jobSteps(jobs[i]!) }));
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return results;
}

function inWorker(job: Job, onStep: (step: number) => void): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(import.meta.url, job);
    let result: JobResult | undefined;
    worker.on('message', (m: { step?: number; result?: JobResult }) => {
      if (m.result) result = m.result;
      else if (m.step !== undefined) onStep(m.step);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (result ? resolve(result) : reject(new Error(`a simulation worker (${job.protocol}, seed ${job.seed}) exited with code ${code} before its result`))));
  });
}
