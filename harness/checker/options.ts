// The checker's options: defaults, validation at the boundary, and the scenario they describe.
import { ConfigError, type Decisions, makeConfig } from '../../models/hyparview/config.ts';
import { MUTANTS, type MutantName } from '../../models/hyparview/mutants.ts';
import { guardNamed, SOMETIMES } from '../../properties/sometimes.ts';
import { MAX_CHECKER_NODES, type Scenario } from './world.ts';

export type Strategy = 'bfs' | 'dfs' | 'random';
export type ChoiceMode = 'enumerate' | 'seeded';
export const LIVENESS_MODES = ['off', 'recoverable', 'restored'] as const;
export type LivenessMode = (typeof LIVENESS_MODES)[number];

export interface CheckOptions {
  nodes: number;
  active: number;
  passive: number;
  arwl: number;
  prwl: number;
  ka: number;
  kp: number;
  shuffleWalk: number;
  variant: 'reference' | 'paper';
  /** Single decisions overriding the variant's, e.g. { forwardJoinEnd: 'silent' }. */
  decisions?: Partial<Decisions> | undefined;
  mutant?: MutantName | undefined;
  strategy: Strategy;
  /** Longest trace explored. */
  depth: number;
  /** Stop after this many unique states. */
  maxStates: number;
  /** Stop after this many seconds. */
  timeLimit: number;
  crashes: number;
  linkFailures: number;
  earlyTimeouts: number;
  /** Shuffle-timer firings per node. */
  cycles: number;
  /** Joins and shuffle timers only while nothing is in flight (sequential joins, a period far longer than any latency): a smaller space. */
  sequential: boolean;
  choices: ChoiceMode;
  seed: number;
  /** Random-walk strategy: how many walks at most. */
  walks: number;
  /** BFS threads (parallel.ts): 1 searches in this thread; the counts do not depend on it. */
  workers: number;
  /** DFS: search only shard `index` (1-based) of `count` (check.ts splits at a BFS level); `merge` combines the shards. */
  shard?: { readonly index: number; readonly count: number } | undefined;
  /** `sometimes` guards that must be reached, else the verdict is fail. */
  expect: string[];
  /**
   * Judge connected, no-isolated-node, active-symmetric and no-dead-neighbours as liveness
   * instead of in every quiescent state (liveness.ts): 'recoverable', some continuation restores
   * each; 'restored', that and every continuation does (even an adversarial schedule). BFS
   * decides it over the explored graph; random walks ('recoverable' only) try seeded
   * continuations with fresh cycle budgets from each quiescent state where one fails.
   */
  liveness: LivenessMode;
  /** Start the search where this path (successor indices from the initial world, as in a replay token) ends. */
  from: number[];
  /** BFS and DFS keep one world per class of renamings of nodes 1..n-1, where that is sound (symmetry.ts). */
  symmetry: boolean;
}

/** A small cluster that the reference node must pass exhaustively; the CLI's defaults. */
export const DEFAULT_OPTIONS: CheckOptions = {
  nodes: 3,
  active: 2,
  passive: 3,
  arwl: 3,
  prwl: 1,
  ka: 1,
  kp: 1,
  shuffleWalk: 2,
  variant: 'reference',
  strategy: 'bfs',
  depth: 60,
  maxStates: 5_000_000,
  timeLimit: 300,
  crashes: 1,
  linkFailures: 0,
  earlyTimeouts: 0,
  cycles: 1,
  sequential: false,
  choices: 'enumerate',
  seed: 1,
  walks: 100_000,
  workers: 1,
  expect: [],
  liveness: 'off',
  from: [],
  symmetry: true,
};

const LIMITS: Partial<Record<keyof CheckOptions, [number, number]>> = {
  nodes: [1, MAX_CHECKER_NODES],
  depth: [1, 10_000],
  maxStates: [1, 2 ** 31],
  timeLimit: [0.001, 86_400],
  crashes: [0, MAX_CHECKER_NODES],
  linkFailures: [0, 255],
  earlyTimeouts: [0, 255],
  cycles: [0, 255],
  seed: [-(2 ** 31), 2 ** 31 - 1],
  walks: [1, 2 ** 31],
  workers: [1, 64],
};

/** Merges user options over the defaults and validates every field; throws ConfigError. */
export function resolveOptions(input: Partial<CheckOptions> = {}): CheckOptions {
  const o: CheckOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(input) };
  for (const [field, [min, max]] of Object.entries(LIMITS) as Array<[keyof CheckOptions, [number, number]]>) {
    const v = o[field];
    const integer = field !== 'timeLimit';
    if (typeof v !== 'number' || Number.isNaN(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      throw new ConfigError(field, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
  }
  if (!['bfs', 'dfs', 'random'].includes(o.strategy)) throw new ConfigError('strategy', `must be bfs, dfs or random, got ${JSON.stringify(o.strategy)}`);
  if (typeof o.symmetry !== 'boolean') throw new ConfigError('symmetry', `must be true or false, got ${JSON.stringify(o.symmetry)}`);
  if (typeof o.sequential !== 'boolean') throw new ConfigError('sequential', `must be true or false, got ${JSON.stringify(o.sequential)}`);
  if (!['enumerate', 'seeded'].includes(o.choices)) throw new ConfigError('choices', `must be enumerate or seeded, got ${JSON.stringify(o.choices)}`);
  // Own names only: "toString" or "__proto__" are found `in` any object (a replay token can carry them).
  if (o.variant !== 'reference' && o.variant !== 'paper') throw new ConfigError('variant', `must be reference or paper, got ${JSON.stringify(o.variant)}`);
  if (o.mutant !== undefined && (typeof o.mutant !== 'string' || !Object.hasOwn(MUTANTS, o.mutant))) {
    throw new ConfigError('mutant', `unknown mutant ${JSON.stringify(o.mutant)}; known: ${Object.keys(MUTANTS).join(', ')}`);
  }
  for (const name of o.expect) {
    if (!guardNamed(name)) throw new ConfigError('expect', `unknown sometimes guard ${JSON.stringify(name)}; known: ${SOMETIMES.map((g) => g.name).join(', ')}`);
  }
  if (!LIVENESS_MODES.includes(o.liveness)) throw new ConfigError('liveness', `must be ${LIVENESS_MODES.join(', ')}, got ${JSON.stringify(o.liveness)}`);
  if (o.liveness === 'restored' && o.strategy !== 'bfs') throw new ConfigError('liveness', `restored needs --strategy bfs (it analyses the whole explored graph), got ${o.strategy}`);
  if (o.workers > 1 && (o.strategy !== 'bfs' || o.liveness !== 'off')) {
    throw new ConfigError('workers', `more than one needs --strategy bfs without --liveness (the others search in one thread), got ${o.strategy}${o.liveness !== 'off' ? ' with --liveness' : ''}`);
  }
  if (o.shard !== undefined) {
    const { index, count } = o.shard as { index: unknown; count: unknown };
    if (o.strategy !== 'dfs') throw new ConfigError('shard', `splits DFS in the search (random walks are split by their seeds), got ${o.strategy}`);
    if (!Number.isInteger(count) || !Number.isInteger(index) || (index as number) < 1 || (index as number) > (count as number)) throw new ConfigError('shard', 'must be K of N with 1 <= K <= N');
  }
  if (o.liveness !== 'off' && o.strategy === 'dfs') throw new ConfigError('liveness', 'needs --strategy bfs (the explored graph) or random (continuations tried from each broken state), got dfs');
  if (!Array.isArray(o.from) || o.from.some((i) => !Number.isInteger(i) || i < 0)) throw new ConfigError('from', 'must be a path of successor indices');
  scenarioOf(o); // validates the protocol parameters
  return o;
}

export function scenarioOf(o: CheckOptions): Scenario {
  const config = makeConfig({
    activeSize: o.active,
    passiveSize: o.passive,
    arwl: o.arwl,
    prwl: o.prwl,
    ka: o.ka,
    kp: o.kp,
    shuffleWalk: o.shuffleWalk,
    variant: o.variant,
    decisions: o.decisions,
    mutant: o.mutant,
  });
  return {
    nodes: o.nodes,
    config,
    budgets: { crashes: o.crashes, linkFailures: o.linkFailures, earlyTimeouts: o.earlyTimeouts, cycles: o.cycles },
    sequential: o.sequential,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
