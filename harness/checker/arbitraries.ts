// fast-check arbitraries for checker scenarios: small cluster options, join orders, fault
// schedules with their timing, and delivery orders. They generate plain data that
// harness/checker/schedule.ts runs (runSchedule, runPlan), so a failing case shrinks to fewer
// faults, earlier faults, natural join orders and shorter, lower-index delivery orders.
// fast-check is a dev dependency: only tests import this module.
import fc from 'fast-check';
import type { MutantName } from '../../models/hyparview/mutants.ts';
import { type CheckOptions, resolveOptions } from './options.ts';
import { type FaultKind, faultBudgets, type Plan, type PlannedFault } from './schedule.ts';
import { MAX_CHECKER_NODES } from './world.ts';

export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface ScenarioShape {
  /** Fixed by the caller: which protocol variant runs. */
  readonly variant: CheckOptions['variant'];
  readonly mutant?: MutantName;
  /** Cluster size; default 2..5. */
  readonly nodes?: Range;
  /** Active-view size; default 1..3. */
  readonly active?: Range;
  /** Active-view size nodes − 1 instead (every node can hold all others: no eviction ever happens). */
  readonly fullMesh?: boolean;
  /** Passive-view size; default 1..4. */
  readonly passive?: Range;
  /** Walk lengths and shuffle sizes; defaults arwl 1..4, prwl 0..arwl, ka 0..2, kp 0..2, shuffleWalk 1..3. */
  readonly arwl?: Range;
  readonly prwl?: Range;
  readonly ka?: Range;
  readonly kp?: Range;
  readonly shuffleWalk?: Range;
  /** Shuffle-timer firings per node; default 0..2. */
  readonly cycles?: Range;
  /** Most faults of each kind a plan schedules (and the budget the options allow); default none. */
  readonly crashes?: number;
  readonly linkFailures?: number;
  readonly earlyTimeouts?: number;
  /** Longest delivery order / raw schedule; default 80. */
  readonly maxSchedule?: number;
  /** Latest step a join or fault is scheduled at; default 60. */
  readonly maxAt?: number;
  /** Options to use as they are, overriding anything generated. */
  readonly fixed?: Partial<CheckOptions>;
}

const range = (r: Range | undefined, fallback: Range): fc.Arbitrary<number> => fc.integer(r ?? fallback);

/** Checker options for a small cluster of the given shape, validated by resolveOptions. */
export function checkerOptionsArb(shape: ScenarioShape): fc.Arbitrary<CheckOptions> {
  return fc
    .record({
      nodes: range(shape.nodes, { min: 2, max: 5 }),
      active: range(shape.active, { min: 1, max: 3 }),
      passive: range(shape.passive, { min: 1, max: 4 }),
      arwl: range(shape.arwl, { min: 1, max: 4 }),
      prwl: range(shape.prwl, { min: 0, max: 4 }),
      ka: range(shape.ka, { min: 0, max: 2 }),
      kp: range(shape.kp, { min: 0, max: 2 }),
      shuffleWalk: range(shape.shuffleWalk, { min: 1, max: 3 }),
      cycles: range(shape.cycles, { min: 0, max: 2 }),
      crashes: fc.integer({ min: 0, max: shape.crashes ?? 0 }),
      linkFailures: fc.integer({ min: 0, max: shape.linkFailures ?? 0 }),
      earlyTimeouts: fc.integer({ min: 0, max: shape.earlyTimeouts ?? 0 }),
    })
    .map((o) =>
      resolveOptions({
        ...o,
        active: shape.fullMesh ? Math.max(1, o.nodes - 1) : o.active,
        prwl: Math.min(o.prwl, o.arwl), // the paper's walks need PRWL <= ARWL
        variant: shape.variant,
        mutant: shape.mutant,
        choices: 'enumerate',
        ...shape.fixed,
      }),
    );
}

/** A raw schedule: successor picks, each taken modulo the number of successors. Shrinks to shorter, lower picks. */
export function scheduleArb(maxLength = 80): fc.Arbitrary<number[]> {
  return fc.array(fc.nat({ max: 63 }), { maxLength });
}

/** A delivery order for a plan: picks among the ordinary successors (deliveries, timers). */
export const deliveryOrderArb = scheduleArb;

/** Join-order sort keys for nodes 1..7 (see schedule.ts joinOrder); all-zero keys are the natural order. */
export function joinKeysArb(): fc.Arbitrary<number[]> {
  return fc.array(fc.nat({ max: 7 }), { minLength: MAX_CHECKER_NODES - 1, maxLength: MAX_CHECKER_NODES - 1 });
}

/** When each join becomes due; shrinks to "all at once at the start". */
export function joinTimingArb(maxAt = 60): fc.Arbitrary<number[]> {
  return fc.array(fc.nat({ max: maxAt }), { minLength: MAX_CHECKER_NODES - 1, maxLength: MAX_CHECKER_NODES - 1 });
}

/** Faults with their timing: at most `max[kind]` of each kind. Shrinks to fewer, earlier faults. */
export function faultScheduleArb(max: Partial<Record<FaultKind, number>>, maxAt = 60): fc.Arbitrary<PlannedFault[]> {
  const kinds = (Object.keys(max) as FaultKind[]).filter((k) => (max[k] ?? 0) > 0);
  if (kinds.length === 0) return fc.constant([]);
  const total = kinds.reduce((sum, k) => sum + max[k]!, 0);
  const fault = fc.record({ at: fc.nat({ max: maxAt }), kind: fc.constantFrom(...kinds), target: fc.nat({ max: 15 }) });
  return fc.array(fault, { maxLength: total }).map((faults) => {
    // Keep at most max[kind] of each kind (the earliest in the array).
    const seen: Partial<Record<FaultKind, number>> = {};
    return faults.filter((f) => (seen[f.kind] = (seen[f.kind] ?? 0) + 1) <= max[f.kind]!);
  });
}

/** A plan: join order and timing, faults with their timing, and a delivery order. */
export function planArb(shape: Pick<ScenarioShape, 'crashes' | 'linkFailures' | 'earlyTimeouts' | 'maxSchedule' | 'maxAt'>): fc.Arbitrary<Plan> {
  return fc.record({
    joinKeys: joinKeysArb(),
    joinAt: joinTimingArb(shape.maxAt),
    faults: faultScheduleArb({ crash: shape.crashes ?? 0, linkFailure: shape.linkFailures ?? 0, earlyTimeout: shape.earlyTimeouts ?? 0 }, shape.maxAt),
    deliveries: deliveryOrderArb(shape.maxSchedule),
  });
}

export interface PlannedScenario {
  readonly options: CheckOptions;
  readonly plan: Plan;
}

/**
 * Options plus a plan, with the options' fault budgets set to exactly the faults the plan
 * schedules (so removing a fault while shrinking also removes its budget).
 */
export function plannedScenarioArb(shape: ScenarioShape): fc.Arbitrary<PlannedScenario> {
  return fc.record({ options: checkerOptionsArb({ ...shape, crashes: 0, linkFailures: 0, earlyTimeouts: 0 }), plan: planArb(shape) }).map(({ options, plan }) => ({
    options: resolveOptions({ ...options, ...faultBudgets(plan), ...shape.fixed }),
    plan,
  }));
}

export interface ScheduledScenario {
  readonly options: CheckOptions;
  readonly schedule: number[];
}

/** Options plus a raw schedule (see runSchedule). */
export function scheduledScenarioArb(shape: ScenarioShape): fc.Arbitrary<ScheduledScenario> {
  return fc.record({ options: checkerOptionsArb(shape), schedule: scheduleArb(shape.maxSchedule) });
}
