// Single guided runs through the checker's world: instead of exploring every successor, a
// "director" picks one successor per step. Two directors are provided: a raw schedule (an
// array of small integers, each taken modulo the number of successors) and a structured plan
// (a join order, faults with their timing, and a delivery order). Either way the run records
// the successor indices it took, so its path replays with `replayPath` and its token with
// `hyparview-harness replay`. Pure: no I/O, no clocks, no Math.random.
import { ALWAYS, QUIET } from '../../properties/invariants.ts';
import { MESSAGE_PROPERTIES } from '../../properties/messages.ts';
import { NO_BUSY_LOOP, STEP_PROPERTIES } from '../../properties/progress.ts';
import { isQuiescent } from '../../properties/snapshot.ts';
import { type CheckOptions, scenarioOf } from './options.ts';
import { type Successor, successors } from './successors.ts';
import { type Failure, failuresIn } from './judge.ts';
import { encodeToken } from './trace.ts';
import { type Action, describeAction, inFlight, initialWorld, type Scenario, snapshotOf, type World } from './world.ts';

export interface RunLimits {
  /** Longest run; a run that reaches it stops with `ended: 'max-steps'`. Default 400. */
  readonly maxSteps?: number;
  /**
   * Which properties stop the run: every property judged outside quiescence (always-properties,
   * quiet ones where nothing is in flight, and step properties such as no-busy-loop), all of them
   * (quiescent ones at quiescence too), or the named ones. Default 'all'.
   */
  readonly properties?: 'always' | 'all' | readonly string[];
  /**
   * When the schedule runs out, keep going: deliver what is in flight (lowest queue first), issue
   * the remaining joins and fire NEIGHBOR timeouts once quiet, until nothing of that is left.
   * Shuffle timers and faults are not fired by settling. Default false.
   */
  readonly settle?: boolean;
}

export type RunEnd =
  /** A property broke; `world` is the first state that broke it. */
  | 'failure'
  /** No successor was enabled. */
  | 'stuck'
  /** The director had nothing more to do (schedule exhausted, settled). */
  | 'done'
  | 'max-steps';

export interface ScheduleRun {
  /** Properties broken in the final world (empty unless `ended` is 'failure'). */
  readonly failures: readonly Failure[];
  /** The successor indices taken: the path `replayPath` and replay tokens use. */
  readonly path: readonly number[];
  /** The action of each step taken. */
  readonly actions: readonly Action[];
  readonly token: string;
  readonly world: World;
  /** The final world is quiescent (properties/snapshot isQuiescent). */
  readonly quiescent: boolean;
  readonly ended: RunEnd;
}

/** What a director sees at each step. */
export interface StepView {
  readonly scenario: Scenario;
  readonly world: World;
  readonly successors: readonly Successor[];
  /** Steps taken so far. */
  readonly step: number;
}

/** Picks the index of the next successor, or null to stop. */
export type Director = (view: StepView) => number | null;

const ALWAYS_NAMES = new Set([...ALWAYS, ...QUIET, ...STEP_PROPERTIES, ...MESSAGE_PROPERTIES].map((p) => p.name));
const DEFAULT_MAX_STEPS = 400;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Runs `director` from the initial world of `options`, checking properties in every state. */
export function runDirected(options: CheckOptions, director: Director, limits: RunLimits = {}): ScheduleRun {
  const s = scenarioOf(options);
  const maxSteps = limits.maxSteps ?? DEFAULT_MAX_STEPS;
  const wanted = limits.properties ?? 'all';
  const judged = (w: World, step?: { from: World; before: World | undefined; action: Action; stepFailures: readonly Failure[] | null }): readonly Failure[] => {
    // The step is judged first (properties/progress.ts: did it leave the world as it was, or undo
    // the step before it?), then the state it reached.
    const back = !step ? 0 : sameBytes(step.from, w) ? 1 : step.before && sameBytes(step.before, w) ? 2 : 0;
    const busy = back > 0 ? [{ property: NO_BUSY_LOOP.name, message: NO_BUSY_LOOP.check(describeAction(step!.from, s, step!.action), back)! }] : [];
    // The message properties (properties/messages.ts) of the step.
    if (step?.stepFailures) busy.unshift(...step.stepFailures);
    const all = busy.length > 0 ? [...busy, ...failuresIn(s, w)] : failuresIn(s, w);
    if (wanted === 'all') return all;
    return all.filter((f) => (wanted === 'always' ? ALWAYS_NAMES.has(f.property) : wanted.includes(f.property)));
  };
  const path: number[] = [];
  const actions: Action[] = [];
  let world = initialWorld(s);
  let before: World | undefined;
  let failures = judged(world);
  let ended: RunEnd = 'failure';
  while (failures.length === 0) {
    if (path.length >= maxSteps) {
      ended = 'max-steps';
      break;
    }
    const next = successors(s, world, options.choices, options.seed);
    if (next.length === 0) {
      ended = 'stuck';
      break;
    }
    const index = director({ scenario: s, world, successors: next, step: path.length });
    if (index === null) {
      ended = 'done';
      break;
    }
    if (!Number.isInteger(index) || index < 0 || index >= next.length) throw new RangeError(`director picked successor ${index} of ${next.length}`);
    path.push(index);
    actions.push(next[index]!.action);
    const from = world;
    world = next[index]!.world;
    failures = judged(world, { from, before, action: next[index]!.action, stepFailures: next[index]!.stepFailures });
    before = from;
  }
  return { failures, path, actions, token: encodeToken(options, path), world, quiescent: isQuiescent(snapshotOf(s, world)), ended };
}

// ---- raw schedules ---------------------------------------------------------------------------

/**
 * The successor settling takes: the first delivery, join or (once nothing is in flight)
 * NEIGHBOR timeout, or null when there is none. When that action has several outcomes (random
 * choices under --choices enumerate) the step number picks one, pseudo-randomly: always taking
 * the first would be an adversary that, for example, has a full node evict the same peer forever.
 */
function settleStep(view: StepView, withJoins: boolean): number | null {
  const quiet = inFlight(view.world) === 0;
  const first = view.successors.findIndex(({ action: { k } }) => k === 'deliver' || (withJoins && k === 'join') || (k === 'timeout' && quiet));
  if (first < 0) return null;
  const action = view.successors[first]!.action;
  let outcomes = 1;
  while (view.successors[first + outcomes]?.action === action) outcomes++;
  // A fixed pseudo-random outcome per step (a plain rotation can fall in step with a cycle).
  return first + ((Math.imul(view.step + 1, 0x9e3779b1) >>> 16) % outcomes);
}

/**
 * Walks from the initial world taking successor `schedule[k] % successors.length` at step k,
 * until a property breaks, no successor is enabled, or the schedule is exhausted (then, with
 * `limits.settle`, until the cluster settles).
 */
export function runSchedule(options: CheckOptions, schedule: readonly number[], limits: RunLimits = {}): ScheduleRun {
  return runDirected(
    options,
    (view) => {
      if (view.step < schedule.length) return schedule[view.step]! % view.successors.length;
      return limits.settle ? settleStep(view, true) : null;
    },
    limits,
  );
}

// ---- structured plans ------------------------------------------------------------------------

export type FaultKind = 'crash' | 'linkFailure' | 'earlyTimeout';

export interface PlannedFault {
  /** The step from which the fault is due; it fires at the first step it is enabled from then on. */
  readonly at: number;
  readonly kind: FaultKind;
  /** Which of the enabled faults of this kind (crash: which live node, link: which linked pair), modulo their number. */
  readonly target: number;
}

export interface Plan {
  /** Sort keys of nodes 1..: joins are issued in increasing key order (ties by node id). */
  readonly joinKeys: readonly number[];
  /** Step from which the k-th join (in join order) is due; a join never overtakes an earlier one. */
  readonly joinAt: readonly number[];
  readonly faults: readonly PlannedFault[];
  /** Picks among the ordinary successors (deliveries, shuffle timers, NEIGHBOR timeouts once quiet), modulo their number. */
  readonly deliveries: readonly number[];
}

/** The order in which nodes 1..nodes-1 join under `plan`. */
export function joinOrder(plan: Plan, nodes: number): number[] {
  const ids = Array.from({ length: nodes - 1 }, (_, i) => i + 1);
  const key = (id: number): number => plan.joinKeys[id - 1] ?? 0;
  return ids.sort((a, b) => key(a) - key(b) || a - b);
}

/** How many faults of each kind a plan schedules: the budgets a scenario needs to run it all. */
export function faultBudgets(plan: Plan): { crashes: number; linkFailures: number; earlyTimeouts: number } {
  const count = (kind: FaultKind): number => plan.faults.filter((f) => f.kind === kind).length;
  return { crashes: count('crash'), linkFailures: count('linkFailure'), earlyTimeouts: count('earlyTimeout') };
}

function isFault(kind: FaultKind, a: Action, world: World): boolean {
  switch (kind) {
    case 'crash':
      return a.k === 'crash';
    case 'linkFailure':
      return a.k === 'failLink';
    case 'earlyTimeout':
      return a.k === 'timeout' && inFlight(world) > 0;
  }
}

const indicesWhere = (view: StepView, test: (a: Action) => boolean): number[] => {
  const out: number[] = [];
  view.successors.forEach((succ, i) => {
    if (test(succ.action)) out.push(i);
  });
  return out;
};

/**
 * Runs a plan: at each step, a due fault that is enabled fires first, then a due join, then the
 * next delivery pick among the ordinary successors. Once the picks run out the run settles
 * (delivers what is in flight, lowest queue first). When there is nothing left to deliver,
 * outstanding joins are issued and then outstanding faults fired even if their step has not
 * come (time skips ahead), each followed by settling again; the run ends when none is left that
 * can happen. A fault never fires while it is not enabled (a crash before the cluster formed, a
 * link failure with no link) nor beyond the budgets in `options`.
 */
export function runPlan(options: CheckOptions, plan: Plan, limits: Omit<RunLimits, 'settle'> = {}): ScheduleRun {
  const order = joinOrder(plan, options.nodes);
  const faultsDone = plan.faults.map(() => false);
  let joinsDone = 0;
  let picks = 0;
  const joinIndex = (view: StepView): number | undefined => {
    const node = order[joinsDone];
    return node === undefined ? undefined : indicesWhere(view, (a) => a.k === 'join' && a.node === node)[0];
  };
  const fireFault = (view: StepView, due: boolean): number | null => {
    for (let f = 0; f < plan.faults.length; f++) {
      const fault = plan.faults[f]!;
      if (faultsDone[f] || (due && fault.at > view.step)) continue;
      const candidates = indicesWhere(view, (a) => isFault(fault.kind, a, view.world));
      if (candidates.length === 0) continue;
      faultsDone[f] = true;
      return candidates[fault.target % candidates.length]!;
    }
    return null;
  };
  const takeJoin = (view: StepView): number | null => {
    const i = joinIndex(view);
    if (i === undefined) return null;
    joinsDone++;
    return i;
  };
  return runDirected(
    options,
    (view) => {
      const fault = fireFault(view, true);
      if (fault !== null) return fault;
      if (joinsDone < order.length && view.step >= (plan.joinAt[joinsDone] ?? 0)) {
        const join = takeJoin(view);
        if (join !== null) return join;
      }
      const quiet = inFlight(view.world) === 0;
      const ordinary = indicesWhere(view, (a) => a.k === 'deliver' || a.k === 'cycle' || (a.k === 'timeout' && quiet));
      if (picks < plan.deliveries.length && ordinary.length > 0) return ordinary[plan.deliveries[picks++]! % ordinary.length]!;
      const settle = picks >= plan.deliveries.length ? settleStep(view, false) : null;
      return settle ?? takeJoin(view) ?? fireFault(view, false);
    },
    limits,
  );
}
