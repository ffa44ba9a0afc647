// Successors of a world: every enabled action, and under `--choices enumerate` every way the
// node's random choices can go. Their order is what replay tokens index into. The cursor walks
// them one at a time, giving each one's fingerprint before (and without) writing it out: the
// search's hot loop. `successors` lists copies. Node steps under enumerated choices come from a
// cache of step outcomes (steps.ts).
import { type Chooser, seededChooser } from '../../models/chooser.ts';
import type { EventKind } from '../../models/hyparview/node.ts';
import type { Fingerprint } from './fingerprint.ts';
import type { ChoiceMode } from './options.ts';
import { runStep, StepCache, type StepOutcome } from './steps.ts';
import { type Action, Draft, enabledActions, type Packet, type Scenario, steppedNode, type World } from './world.ts';

export interface Successor {
  readonly action: Action;
  /** The value each random choice took, in the order the node asked. */
  readonly choices: readonly number[];
  readonly world: World;
  /** The world's fingerprint (as worldFingerprint would compute it). */
  readonly fingerprint: Fingerprint;
  readonly events: readonly EventKind[];
  /** The message or connection event the action delivered, if any. */
  readonly delivered: Packet | undefined;
  /** The message properties the step broke (properties/messages.ts), or null. */
  readonly stepFailures: StepOutcome['stepFailures'];
}

/** Records the choices a seeded chooser makes, so a seeded step can still be described. */
function recording(inner: Chooser, into: number[]): Chooser {
  return {
    pick: (n) => {
      const v = inner.pick(n);
      if (n > 1) into.push(v);
      return v;
    },
    chance: (k, n) => {
      const v = inner.chance(k, n);
      if (k > 0 && k < n) into.push(v ? 1 : 0);
      return v;
    },
  };
}

/**
 * Walks the successors of one world after another. After `next()` returns true, `draft.fp` is
 * the successor's fingerprint, and `draft.materialize()` puts its bytes in `draft.out`.
 */
export class SuccessorCursor {
  readonly draft: Draft;
  private readonly cache: StepCache;
  private mode: ChoiceMode = 'enumerate';
  private seed = 0;
  private actions: Action[] = [];
  private actionIndex = -1;
  /** The current action's outcomes (one per choice combination; null for a fault, which has one) and how many were taken. */
  private outcomes: readonly StepOutcome[] | null = NO_OUTCOMES;
  private taken = 0;
  /** The current successor's position in the list replay tokens index into. */
  index = -1;
  action: Action | undefined;

  /** `cache`: the step outcomes, shared by every cursor of one search (DFS keeps one cursor per level). */
  constructor(readonly s: Scenario, cache = new StepCache(s.config)) {
    this.draft = new Draft(s);
    this.cache = cache;
  }

  /** Starts on the successors of `w`; `fp`, its fingerprint when the caller kept it, spares hashing it whole. */
  reset(w: World, mode: ChoiceMode, seed: number, fp?: Fingerprint): void {
    this.draft.load(w, fp);
    this.mode = mode;
    this.seed = seed;
    this.actions = enabledActions(this.s, this.draft.parent);
    this.actionIndex = -1;
    this.outcomes = NO_OUTCOMES;
    this.taken = 0;
    this.index = -1;
  }

  get events(): readonly EventKind[] {
    return this.draft.events;
  }

  /** The value each random choice of the current successor took. */
  get choices(): readonly number[] {
    return this.outcomes ? this.outcomes[this.taken - 1]!.choices : NO_CHOICES;
  }

  /** The message properties the current successor's step broke (properties/messages.ts), or null (a fault breaks none). */
  get stepFailures(): StepOutcome['stepFailures'] {
    return this.outcomes ? this.outcomes[this.taken - 1]!.stepFailures : null;
  }

  /** The packet the current successor's action delivered, if any. */
  get delivered(): Packet | undefined {
    const a = this.action!;
    return a.k === 'deliver' ? this.draft.parent.head(a.from * this.s.nodes + a.to) : undefined;
  }

  next(): boolean {
    if (this.taken >= (this.outcomes ? this.outcomes.length : 1)) {
      if (++this.actionIndex >= this.actions.length) return false;
      this.action = this.actions[this.actionIndex]!;
      this.outcomes = this.outcomesOf(this.action);
      this.taken = 0;
    }
    this.index++;
    const action = this.action!;
    if (this.outcomes) this.draft.applyStep(action, this.outcomes[this.taken]!);
    else this.draft.applyFault(action);
    this.taken++;
    return true;
  }

  private outcomesOf(action: Action): readonly StepOutcome[] | null {
    const node = steppedNode(action);
    if (node < 0) return null;
    const input = this.draft.locateInput(action);
    if (this.mode === 'enumerate') return this.cache.outcomes(node, input);
    // Seeded choices are a pure function of (seed, state, action): a state always has the same successors.
    const choices: number[] = [];
    const chooser = seededChooser((this.seed ^ Math.imul(this.draft.parentFp.lo, 0x9e3779b1) ^ Math.imul(this.actionIndex + 1, 0x85ebca6b)) | 0);
    return [runStep(this.s.config, node, input, recording(chooser, choices), choices)];
  }
}

const NO_OUTCOMES: readonly StepOutcome[] = [];
const NO_CHOICES: readonly number[] = [];

const cursors = new WeakMap<Scenario, SuccessorCursor>();

/** All successors of `w`, each with its own copy of the successor world. */
export function successors(s: Scenario, w: World, mode: ChoiceMode, seed: number): Successor[] {
  let cursor = cursors.get(s);
  if (!cursor) cursors.set(s, (cursor = new SuccessorCursor(s)));
  cursor.reset(w, mode, seed);
  const out: Successor[] = [];
  while (cursor.next()) {
    const { draft } = cursor;
    draft.materialize();
    out.push({ action: cursor.action!, choices: cursor.choices, world: draft.out.slice(0, draft.length), fingerprint: { hi: draft.fp.hi, lo: draft.fp.lo }, events: draft.events, delivered: cursor.delivered, stepFailures: cursor.stepFailures });
  }
  return out;
}
