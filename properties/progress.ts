// Progress properties: judged on a step (a state and the state it leads to), not on one state.
// Only an engine that holds the whole system's state (the checker's world: every node, queue,
// timer and budget) can tell that a step changed nothing; the others do not judge these.
import type { Verdict } from './invariants.ts';

export interface StepProperty {
  readonly name: string;
  readonly description: string;
  /**
   * The verdict on one step: `action` describes it; `back` says how many steps back the whole
   * state now is where it was (1: this step left it exactly as it found it; 2: this step undid the
   * one before it), or 0 when it is new.
   */
  readonly check: (action: string, back: number) => Verdict;
}

/**
 * A step that leaves everything as it was is enabled again at once and can repeat forever, and
 * so can two steps of which the second undoes the first: a busy loop (the real node would spin:
 * redial a dead peer as fast as its dial limits allow, or ask a full peer that rejects it again
 * and again). The rule it guards is the paper's refill with decision 10 (docs/protocol-decisions.md):
 * a refill round asks each passive candidate at most once; one that rejected the request or
 * whose connection failed is asked again only in a *later* round (or, in the paper, dropped).
 * Longer cycles are not looked for (a livelock through three or more steps passes).
 */
export const NO_BUSY_LOOP: StepProperty = {
  name: 'no-busy-loop',
  description: 'no step leaves the whole system as it found it, and none undoes the step before it (either can repeat forever)',
  check: (action, back) =>
    back === 1
      ? `"${action}" leaves every node, queue and timer exactly as it found them, so it can repeat forever`
      : back === 2
        ? `"${action}" puts every node, queue and timer back as they were before the step that led here, so the two steps can repeat forever`
        : null,
};

export const STEP_PROPERTIES: readonly StepProperty[] = [NO_BUSY_LOOP];
