// The paper sweep's results, summarised per protocol and failure level (means over seeds), with
// the values the paper reports beside them where they are known (../shared/PROTOCOL.md).
import type { JobResult, PaperOptions } from './paper.ts';
import type { ProtocolName } from './protocols.ts';
import type { MessageStats } from './simulate.ts';

/** What the paper reports, as quoted in PROTOCOL.md; null where it gives no number. */
export const PAPER_VALUES = {
  hyparview: { clustering: 0.00092, averagePath: 6.39 },
  randomGraph: { clustering: 0.0005, averagePath: 6.64 },
  claims: [
    'reliability shows almost no visible impact after the simultaneous failure of up to ~90% of the nodes, back at 100% within the first few messages; Cyclon and Scamp degrade far earlier',
    'healing takes 1–2 cycles for failure rates below 80%',
    'after 50 cycles almost all nodes have a full active view',
  ],
} as const;

export interface LevelSummary {
  readonly fail: number;
  /** Mean reliability of the messages after the failure, over messages and seeds. */
  readonly reliability: number;
  /** Mean reliability of the first message after the failure. */
  readonly firstMessage: number;
  /** Per-message reliability, mean over seeds. */
  readonly perMessage: number[];
  /** Cycles until reliability stayed at 100%: worst seed (null: some seed never got there). */
  readonly reliabilityHealedAfter: number | null;
  /** Cycles until no view named a dead node and views were as full as before: worst seed (null: not within the run). */
  readonly viewsHealedAfter: number | null;
  /** Share of full views at the end of the run, mean over seeds. */
  readonly fullViewsAtEnd: number;
}

export interface ChurnSummary {
  readonly churn: number;
  readonly reliability: number;
  /** Per cycle, mean over seeds. */
  readonly perCycle: Array<{ cycle: number; reliability: number | null; fullViews: number; deadEntries: number }>;
}

export interface ProtocolSummary {
  readonly overlay: { clustering: number; averagePath: number; unreachable: number; fullViews: number; meanView: number; inDegree: number[] };
  readonly atOnce: { clustering: number; averagePath: number; fullViews: number; reliabilityAt50: number } | null;
  readonly probes: { reliability: number; lastHop: number; redundancy: number };
  readonly levels: LevelSummary[];
  readonly churn: ChurnSummary[];
}

export interface PaperViolation {
  readonly protocol: ProtocolName;
  readonly seed: number;
  readonly fail: number;
  readonly churn: number;
  readonly cycle: number;
  readonly property: string;
  readonly message: string;
  readonly command: string;
}

export interface PaperReport {
  readonly command: string;
  readonly options: PaperOptions;
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly seconds: number;
  readonly paper: typeof PAPER_VALUES;
  readonly protocols: Partial<Record<ProtocolName, ProtocolSummary>>;
  readonly violations: PaperViolation[];
  /** Splits at the end of a run whose survivors share no knowledge: reported, not failed. */
  readonly beyondRepair: PaperViolation[];
  readonly jobs: JobResult[];
}

export const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const meanOf = <T>(xs: readonly T[], f: (x: T) => number): number => mean(xs.map(f));
/** The worst (largest) of per-seed healing times; null when any seed did not heal. */
const worst = (xs: ReadonlyArray<number | null>): number | null => (xs.some((x) => x === null) ? null : Math.max(0, ...(xs as number[])));
const reliabilityOf = (ms: readonly MessageStats[]) => meanOf(ms, (m) => m.reliability);

export function summarise(jobs: readonly JobResult[], options: PaperOptions, command: string, seconds: number, cpus: number): PaperReport {
  const protocols: Partial<Record<ProtocolName, ProtocolSummary>> = {};
  const violations: PaperViolation[] = [];
  const beyondRepair: PaperViolation[] = [];
  for (const job of jobs) {
    for (const l of job.levels) {
      const entry = (v: { cycle: number; property: string; message: string }): PaperViolation => ({ protocol: job.protocol, seed: job.seed, fail: l.fail, churn: l.churn, cycle: v.cycle, property: v.property, message: v.message, command: l.command });
      violations.push(...l.violations.map(entry));
      beyondRepair.push(...l.beyondRepair.map(entry));
    }
  }
  for (const protocol of options.protocols) {
    const runs = jobs.filter((j) => j.protocol === protocol && j.bootstrap === 'sequential');
    const atOnce = jobs.find((j) => j.protocol === protocol && j.bootstrap === 'at-once');
    if (runs.length === 0) continue;
    const levels = options.failLevels.map((fail): LevelSummary => {
      const ls = runs.map((j) => j.levels.find((l) => l.fail === fail && l.churn === 0)!);
      const count = ls[0]!.messages.length;
      return {
        fail,
        reliability: meanOf(ls, (l) => reliabilityOf(l.messages)),
        firstMessage: meanOf(ls, (l) => l.messages[0]?.reliability ?? 0),
        perMessage: Array.from({ length: count }, (_, i) => meanOf(ls, (l) => l.messages[i]!.reliability)),
        reliabilityHealedAfter: worst(ls.map((l) => l.reliabilityHealedAfter)),
        viewsHealedAfter: worst(ls.map((l) => l.viewsHealedAfter)),
        fullViewsAtEnd: meanOf(ls, (l) => l.perCycle.at(-1)?.fullViews ?? 0),
      };
    });
    const churn = options.churnRates.map((rate): ChurnSummary => {
      const ls = runs.map((j) => j.levels.find((l) => l.churn === rate)!);
      const cycles = ls[0]!.perCycle.length;
      return {
        churn: rate,
        reliability: meanOf(ls, (l) => reliabilityOf(l.messages)),
        perCycle: Array.from({ length: cycles }, (_, i) => ({
          cycle: i + 1,
          reliability: meanOf(ls, (l) => l.perCycle[i]!.reliability ?? 0),
          fullViews: meanOf(ls, (l) => l.perCycle[i]!.fullViews),
          deadEntries: meanOf(ls, (l) => l.perCycle[i]!.deadEntries),
        })),
      };
    });
    const first = runs[0]!.overlay;
    protocols[protocol] = {
      overlay: {
        clustering: meanOf(runs, (j) => j.overlay.clustering),
        averagePath: meanOf(runs, (j) => j.overlay.averagePath),
        unreachable: meanOf(runs, (j) => j.overlay.unreachable),
        fullViews: meanOf(runs, (j) => j.overlay.fullViews),
        meanView: meanOf(runs, (j) => j.overlay.meanView),
        inDegree: first.inDegree,
      },
      atOnce: atOnce
        ? { clustering: atOnce.overlay.clustering, averagePath: atOnce.overlay.averagePath, fullViews: atOnce.overlay.fullViews, reliabilityAt50: reliabilityOf(atOnce.levels[0]?.messages ?? []) }
        : null,
      probes: {
        reliability: meanOf(runs, (j) => reliabilityOf(j.probes)),
        lastHop: meanOf(runs, (j) => meanOf(j.probes, (p) => p.lastHop)),
        redundancy: meanOf(runs, (j) => meanOf(j.probes, (p) => p.redundancy)),
      },
      levels,
      churn,
    };
  }
  return { command, options, machine: { cpus, node: process.version }, seconds, paper: PAPER_VALUES, protocols, violations, beyondRepair, jobs: [...jobs] };
}

/** A share as a percentage with one decimal. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
/** Cycles until healed, or 'never' (within the run). */
export const cyc = (x: number | null): string => (x === null ? 'never' : String(x));

/** The terminal summary: reliability and healing per failure level, then the overlay's graph. */
export function formatTable(r: PaperReport): string {
  const names = Object.keys(r.protocols) as ProtocolName[];
  const col = (s: string, w: number) => s.padStart(w);
  const lines: string[] = [];
  lines.push(`reliability after the failure (mean of ${r.jobs[0]?.levels[0]?.messages.length ?? 0} messages, ${r.options.seeds.length} seed(s)); healed after: cycles until every message reached every live node (worst seed)`);
  lines.push(['failed'.padEnd(7), ...names.map((n) => col(`${n} rel`, 14) + col('healed', 8))].join(''));
  for (let i = 0; i < r.options.failLevels.length; i++) {
    const fail = r.options.failLevels[i]!;
    lines.push([pct(fail).padEnd(7), ...names.map((n) => { const l = r.protocols[n]!.levels[i]!; return col(pct(l.reliability), 14) + col(cyc(l.reliabilityHealedAfter), 8); })].join(''));
  }
  lines.push('');
  lines.push(['overlay'.padEnd(24), ...names.map((n) => col(n, 12)), col('paper', 12)].join(''));
  const row = (label: string, f: (s: ProtocolSummary) => string, paper = '') => lines.push([label.padEnd(24), ...names.map((n) => col(f(r.protocols[n]!), 12)), col(paper, 12)].join(''));
  row('clustering coefficient', (s) => s.overlay.clustering.toFixed(5), `${PAPER_VALUES.hyparview.clustering}`);
  row('average shortest path', (s) => s.overlay.averagePath.toFixed(2), `${PAPER_VALUES.hyparview.averagePath}`);
  row('full views', (s) => pct(s.overlay.fullViews), 'almost all');
  row('mean view size', (s) => s.overlay.meanView.toFixed(2));
  row('last delivery hop', (s) => s.probes.lastHop.toFixed(1));
  row('message redundancy', (s) => s.probes.redundancy.toFixed(2));
  row('reliability, no fault', (s) => pct(s.probes.reliability));
  for (const c of r.options.churnRates) row(`reliability, churn ${pct(c)}`, (s) => pct(s.churn.find((x) => x.churn === c)!.reliability));
  lines.push('');
  if (r.beyondRepair.length > 0) lines.push(`beyond repair (survivors that share no knowledge, at the end of a run): ${r.beyondRepair.length}, in runs with ${[...new Set(r.beyondRepair.map((v) => pct(v.fail)))].join(', ')} failed`);
  lines.push(r.violations.length === 0 ? 'properties: no violation on the simulated HyParView snapshots' : `properties: ${r.violations.length} violation(s), e.g. ${r.violations[0]!.property} (${r.violations[0]!.protocol}, seed ${r.violations[0]!.seed}, ${pct(r.violations[0]!.fail)} failed, cycle ${r.violations[0]!.cycle}): ${r.violations[0]!.message}`);
  return lines.join('\n');
}
