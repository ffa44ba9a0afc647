// `sometimes` guards: events a scenario must reach at least once, proof that it exercised
// what it claims. They are read from the node's event effects, not from snapshots.
import type { EventKind } from '../models/hyparview/node.ts';

export interface SometimesGuard {
  readonly name: string;
  readonly event: EventKind;
  readonly description: string;
}

export const SOMETIMES: readonly SometimesGuard[] = [
  { name: 'eviction', event: 'evicted', description: 'a full active view evicted a member' },
  { name: 'neighbor-accepted', event: 'neighborAccepted', description: 'a NEIGHBOR request was accepted' },
  { name: 'neighbor-rejected', event: 'neighborRejected', description: 'a NEIGHBOR request was rejected' },
  { name: 'neighbor-timed-out', event: 'neighborTimedOut', description: 'a NEIGHBOR request timed out' },
  { name: 'promotion', event: 'promoted', description: 'a passive peer was promoted to the active view' },
  { name: 'shuffle-completed', event: 'shuffleCompleted', description: 'a shuffle exchange completed' },
  { name: 'asymmetry-repaired', event: 'asymmetryRepaired', description: 'a message over a one-sided link was answered with DISCONNECT' },
];

export function guardNamed(name: string): SometimesGuard | undefined {
  return SOMETIMES.find((g) => g.name === name);
}
