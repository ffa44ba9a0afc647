// The mutation suite: the checker run against each injected bug. A mutant is caught when the
// checker reports a violated property; each runs on the smallest scenario that exposes it.
import { MUTANTS, type MutantName } from '../../models/hyparview/mutants.ts';
import { check } from './check.ts';
import type { CheckOptions } from './options.ts';

/**
 * The scenarios mutants run on. The reference node passes each of them within the same bounds
 * (test/checker/mutation-suite.test.ts checks that), so a violation is the mutant's doing.
 */
export const MUTANT_SCENARIOS = {
  /** The checker's defaults: 3 nodes, one crash, one shuffle per node, explored exhaustively. */
  threeNodesOneCrash: {},
  /** Four nodes joining, so that full active views evict; explored to depth 22. */
  fourNodesJoining: { nodes: 4, crashes: 0, cycles: 0, depth: 22 },
  /** Four nodes with a one-id passive view and a shuffle each; explored to depth 11. */
  fourNodesTinyPassive: { nodes: 4, passive: 1, crashes: 0, cycles: 1, depth: 11 },
  /**
   * fourNodesJoining with the paper's silent rejection (decision 5, neighborReject=timeout): a
   * rejected NEIGHBOR gets no answer, so only the requester's timer ends it.
   */
  fourNodesSilentReject: { nodes: 4, crashes: 0, cycles: 0, depth: 22, decisions: { neighborReject: 'timeout' } },
} as const satisfies Record<string, Partial<CheckOptions>>;

const SCENARIO_OF: Record<MutantName, keyof typeof MUTANT_SCENARIOS> = {
  'evict-without-disconnect': 'fourNodesJoining',
  'accept-low-when-full': 'fourNodesJoining',
  'active-keeps-passive': 'threeNodesOneCrash',
  'ignore-link-down': 'threeNodesOneCrash',
  'merge-self-into-passive': 'threeNodesOneCrash',
  'merge-active-into-passive': 'threeNodesOneCrash',
  'passive-capacity-off-by-one': 'fourNodesTinyPassive',
  'disconnect-keeps-active': 'fourNodesJoining',
  'reject-read-as-accept': 'fourNodesJoining',
  'accept-without-reply': 'threeNodesOneCrash',
  'join-without-evict': 'fourNodesJoining',
  'high-priority-read-as-low': 'fourNodesJoining',
  'neighbor-without-timeout': 'fourNodesSilentReject',
  'retry-dead-candidate': 'threeNodesOneCrash',
  'retry-rejecting-peer': 'fourNodesJoining',
  'forward-join-ttl-twice': 'fourNodesJoining',
  'forward-join-ttl-never-decremented': 'fourNodesJoining',
  'passive-at-wrong-hop': 'fourNodesJoining',
  'shuffle-reply-to-sender': 'threeNodesOneCrash',
  'refill-low-when-full': 'fourNodesTinyPassive',
  'high-priority-too-early': 'threeNodesOneCrash',
  'shuffle-ttl-never-decremented': 'threeNodesOneCrash',
};

export interface MutantResult {
  readonly mutant: MutantName;
  readonly scenario: keyof typeof MUTANT_SCENARIOS;
  readonly description: string;
  readonly caught: boolean;
  readonly property: string | null;
  readonly steps: number;
  readonly seconds: number;
  readonly unique: number;
  readonly replay: string | null;
}

/** The scenario of MUTANT_SCENARIOS in which the suite runs `mutant`. */
export const mutantScenario = (mutant: MutantName): keyof typeof MUTANT_SCENARIOS => SCENARIO_OF[mutant];

export function runMutant(mutant: MutantName): MutantResult {
  const scenario = SCENARIO_OF[mutant];
  const r = check({ ...MUTANT_SCENARIOS[scenario], mutant, strategy: 'bfs' });
  const first = r.violations[0];
  return {
    mutant,
    scenario,
    description: MUTANTS[mutant],
    caught: r.verdict === 'fail',
    property: first?.property ?? null,
    steps: first?.steps ?? 0,
    seconds: r.seconds,
    unique: r.unique,
    replay: first?.replay ?? null,
  };
}

export function mutantNames(): MutantName[] {
  return Object.keys(MUTANTS) as MutantName[];
}
