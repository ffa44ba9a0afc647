// Progress properties: judged on a step (a state and the state it leads to), not on one state.
// Only an engine that holds the whole system's state (the checker's world: every node, queue,
// timer and budget) can tell that a step changed nothing; the others do not judge these.
import type { Verdict } from './invariants.ts';

export interface StepProperty {
  readonly name: string;
  readonly description: string;
  /** The verdict on one step: `action` describes it; `unchanged` says it left the whole state exactly as it found it. */
  readonly check: (action: string, unchanged: boolean) => Verdict;
}

/**
 * A step that leaves everything as it was is enabled again at once and can repeat forever: a
 * busy loop (the real node would spin, e.g. redialling a dead peer as fast as its dial limits
 * allow). The rule it guards is decision 10 (docs/protocol-decisions.md) and the paper's refill:
 * a candidate whose connection failed is dropped (paper) or asked again only in a *later* refill
 * round (reference), never straight away.
 */
export const NO_BUSY_LOOP: StepProperty = {
  name: 'no-busy-loop',
  description: 'no step leaves the whole system exactly as it found it (such a step can repeat forever)',
  check: (action, unchanged) => (unchanged ? `"${action}" leaves every node, queue and timer exactly as it found them, so it can repeat forever` : null),
};

export const STEP_PROPERTIES: readonly StepProperty[] = [NO_BUSY_LOOP];
