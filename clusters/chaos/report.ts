// What a chaos run writes to report.json, and what report.html is drawn from. Times are
// seconds since the run's clock started (the first snapshot after the cluster formed).

export type FaultKind = 'partition' | 'one-way' | 'latency' | 'bandwidth' | 'reset' | 'slicer' | 'limit-data' | 'crash' | 'pause';

export interface PlannedPhase {
  readonly index: number;
  readonly kind: FaultKind;
  /** One line saying what is done, e.g. "halves: n1 n2 n3 n4 | n5 n6 n7 n8 (blackhole)". */
  readonly description: string;
  /** Seconds after the run's start the fault is applied, and how long it stays before its heal. */
  readonly at: number;
  readonly holdSeconds: number;
  /** Kind-specific parameters (groups, links, ms, rate, targets), so the phase can be replayed. */
  readonly params: Readonly<Record<string, unknown>>;
}

export interface TimelineEvent {
  readonly t: number;
  readonly phase: number;
  readonly event: 'fault' | 'heal' | 'restored' | 'not-restored';
  readonly description: string;
}

export interface Sample {
  readonly t: number;
  /** Phase in force (a fault applied and not yet healed), or null between phases. */
  readonly phase: number | null;
  readonly live: number;
  /** Live members whose control API did not answer (a paused node, say). */
  readonly unreachable: number;
  readonly components: number;
  readonly asymmetricPairs: number;
  readonly activeMin: number;
  readonly activeMean: number;
  readonly activeMax: number;
  readonly passiveMean: number;
  /** Always-properties broken on this snapshot. */
  readonly alwaysViolations: number;
}

export interface Probe {
  readonly t: number;
  readonly phase: number;
  /** Live members that delivered the probe broadcast / live members. */
  readonly delivered: number;
  readonly live: number;
  readonly reach: number;
}

/** What was required after a heal, and whether it held within the bound. */
export interface HealCheck {
  readonly phase: number;
  readonly kind: FaultKind;
  readonly healedAt: number;
  /** When symmetry, one component, no isolated node and the probe's full reach were first seen; null if never within the bound. */
  readonly restoredAt: number | null;
  readonly seconds: number | null;
  readonly boundSeconds: number;
  /** What still failed at the bound (empty when restored). */
  readonly failures: readonly string[];
}

export interface ReportViolation {
  readonly t: number;
  readonly phase: number | null;
  readonly property: string;
  readonly message: string;
}

export interface ChaosReport {
  readonly version: 1;
  readonly verdict: 'pass' | 'fail' | 'error';
  /** The exact command that reruns this schedule. */
  readonly command: string;
  readonly backend: 'docker' | 'local';
  readonly seed: number;
  readonly nodes: number;
  readonly durationSeconds: number;
  readonly faults: readonly FaultKind[];
  readonly boundSeconds: number;
  /** Node settings; `decisions` holds only the overrides of the variant's decisions. */
  readonly config: { readonly activeSize: number; readonly passiveSize: number; readonly shufflePeriodMs: number; readonly keepaliveIntervalMs: number; readonly keepaliveTimeoutMs: number; readonly variant: string; readonly decisions: Readonly<Record<string, string>>; readonly mutant: string | null };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly schedule: readonly PlannedPhase[];
  readonly timeline: readonly TimelineEvent[];
  readonly samples: readonly Sample[];
  readonly probes: readonly Probe[];
  readonly checks: readonly HealCheck[];
  readonly violations: readonly ReportViolation[];
  /** Set when the run could not be carried out (verdict "error"). */
  readonly error?: string;
}
