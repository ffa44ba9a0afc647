// The mutation suite: the checker run against each injected bug. A mutant is caught when the
// checker reports a violated property; each runs on the smallest scenario that exposes it.
import { MUTANTS, type MutantName } from '../../models/hyparview/mutants.ts';
import { check } from './check.ts';
import type { CheckOptions } from './options.ts';

/** Scenario changes a mutant needs beyond the checker's defaults (which pass for the reference node). */
const SCENARIOS: Partial<Record<MutantName, Partial<CheckOptions>>> = {
  'passive-capacity-off-by-one': { nodes: 4, passive: 1 },
  'high-priority-read-as-low': { nodes: 4 },
};

export interface MutantResult {
  readonly mutant: MutantName;
  readonly description: string;
  readonly caught: boolean;
  readonly property: string | null;
  readonly steps: number;
  readonly seconds: number;
  readonly unique: number;
  readonly replay: string | null;
}

export function runMutant(mutant: MutantName, base: Partial<CheckOptions> = {}): MutantResult {
  const r = check({ ...base, ...SCENARIOS[mutant], mutant, strategy: 'bfs' });
  const first = r.violations[0];
  return {
    mutant,
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
