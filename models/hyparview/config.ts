// Node parameters and the explicit choice made for each ambiguity of the paper
// (PROTOCOL.md, "Where the paper is silent"). docs/protocol-decisions.md explains each one.
import type { MutantName } from './mutants.ts';
import { MUTANTS } from './mutants.ts';

export interface Decisions {
  /** 1. Who tells `new` it was added at the end of a FORWARD_JOIN walk. */
  forwardJoinEnd: 'silent' | 'notify';
  /**
   * 2. When a FORWARD_JOIN stops early, and where it may go next: the paper's "active view of size
   * one" (forwarding to anyone but the sender), or "no active peer other than the sender and the
   * joining node" (never forwarding to either of them).
   */
  forwardJoinLastHop: 'sizeIsOne' | 'noOtherPeer';
  /** 3. A SHUFFLE or FORWARD_JOIN from a peer that is not our neighbour: process it, or also answer DISCONNECT. */
  asymmetricLink: 'ignore' | 'disconnect';
  /** 4. Races: views kept disjoint on every insertion, stray replies and DISCONNECTs checked against our state. */
  races: 'unguarded' | 'guarded';
  /** 5. How a rejected NEIGHBOR travels back: not at all (the requester times out), or a reply. */
  neighborReject: 'timeout' | 'reply';
  /** 6. JOIN from a peer already in the active view (a restarted node). */
  joinFromActive: 'ignore' | 'rejoin';
  /** 7. JOIN to a node whose active view is full. */
  joinWhenFull: 'evict' | 'redirect';
  /**
   * 8. Isolation: nothing, or guard against it: the contact answers a JOIN with a SHUFFLE_REPLY of
   * some of its peers (so the joiner has backups from the start), a peer whose link broke is kept
   * in the passive view (a connect to a dead one fails and drops it), and
   * every cycle promotes from the passive view while the active view has room.
   */
  isolation: 'none' | 'seedAndPromote';
  /** 9. SHUFFLE_REPLY contents when the passive view is short: fewer ids, or filled from the active view. */
  shuffleReply: 'passiveOnly' | 'fillFromActive';
  /**
   * 10. A passive candidate whose connection fails: removed (the paper), or kept and asked again
   * in a later refill round, so a partition's other side is not forgotten while it is unreachable.
   */
  failedCandidate: 'drop' | 'keep';
  /**
   * 11. A node whose active view is full never asks anyone, so two sides of a healed partition
   * that each filled their views stay apart: nothing (the paper), or now and then (one cycle in
   * SWAP_ODDS) a HIGH NEIGHBOR to a random passive peer, which both ends accept by evicting one
   * neighbour each.
   */
  fullViewSwap: 'never' | 'sometimes';
}

/** Every choice each decision accepts: the paper-literal one first. */
export const DECISION_CHOICES: { readonly [K in keyof Decisions]: readonly Decisions[K][] } = {
  forwardJoinEnd: ['silent', 'notify'],
  forwardJoinLastHop: ['sizeIsOne', 'noOtherPeer'],
  asymmetricLink: ['ignore', 'disconnect'],
  races: ['unguarded', 'guarded'],
  neighborReject: ['timeout', 'reply'],
  joinFromActive: ['ignore', 'rejoin'],
  joinWhenFull: ['evict', 'redirect'],
  isolation: ['none', 'seedAndPromote'],
  shuffleReply: ['passiveOnly', 'fillFromActive'],
  failedCandidate: ['drop', 'keep'],
  fullViewSwap: ['never', 'sometimes'],
};

export const PAPER_DECISIONS: Decisions = {
  forwardJoinEnd: 'silent',
  forwardJoinLastHop: 'sizeIsOne',
  asymmetricLink: 'ignore',
  races: 'unguarded',
  neighborReject: 'timeout',
  joinFromActive: 'ignore',
  joinWhenFull: 'evict',
  isolation: 'none',
  shuffleReply: 'passiveOnly',
  failedCandidate: 'drop',
  fullViewSwap: 'never',
};

export const REFERENCE_DECISIONS: Decisions = {
  forwardJoinEnd: 'notify',
  forwardJoinLastHop: 'noOtherPeer',
  asymmetricLink: 'disconnect',
  races: 'guarded',
  neighborReject: 'reply',
  joinFromActive: 'rejoin',
  joinWhenFull: 'evict',
  isolation: 'seedAndPromote',
  shuffleReply: 'fillFromActive',
  failedCandidate: 'keep',
  fullViewSwap: 'sometimes',
};

export type Variant = 'reference' | 'paper';
export const VARIANTS: Record<Variant, Decisions> = { reference: REFERENCE_DECISIONS, paper: PAPER_DECISIONS };

export interface HyParViewConfig {
  activeSize: number;
  passiveSize: number;
  /** Active random walk length: the TTL a FORWARD_JOIN starts with. */
  arwl: number;
  /** Passive random walk length: the TTL at which a FORWARD_JOIN also lands in the passive view. */
  prwl: number;
  /** Active ids in a SHUFFLE. */
  ka: number;
  /** Passive ids in a SHUFFLE. */
  kp: number;
  /** TTL a SHUFFLE starts with. */
  shuffleWalk: number;
  decisions: Decisions;
  /** A deliberately injected bug, for the mutation suite; undefined in every real use. */
  mutant?: MutantName | undefined;
}

/** The paper's evaluation parameters (10,000 nodes), reference decisions. */
export const PAPER_PARAMETERS = { activeSize: 5, passiveSize: 30, arwl: 6, prwl: 3, ka: 3, kp: 4, shuffleWalk: 6 } as const;

export class ConfigError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

const NUMERIC_FIELDS = ['activeSize', 'passiveSize', 'arwl', 'prwl', 'ka', 'kp', 'shuffleWalk'] as const;

/** Builds a validated config from partial user input; throws ConfigError naming the bad field. */
export function makeConfig(input: Partial<Omit<HyParViewConfig, 'decisions'>> & { variant?: string; decisions?: Partial<Decisions> } = {}): HyParViewConfig {
  const variant = input.variant ?? 'reference';
  if (!Object.hasOwn(VARIANTS, variant)) throw new ConfigError('variant', `must be one of ${Object.keys(VARIANTS).join(', ')}, got ${JSON.stringify(variant)}`);
  const cfg: HyParViewConfig = {
    ...PAPER_PARAMETERS,
    decisions: { ...VARIANTS[variant as Variant], ...input.decisions },
    mutant: input.mutant,
  };
  for (const field of NUMERIC_FIELDS) {
    const value = input[field] ?? cfg[field];
    if (!Number.isInteger(value) || value < 0 || value > 255) throw new ConfigError(field, `must be an integer from 0 to 255, got ${JSON.stringify(value)}`);
    cfg[field] = value;
  }
  if (cfg.activeSize < 1) throw new ConfigError('activeSize', 'must be at least 1');
  if (cfg.prwl > cfg.arwl) throw new ConfigError('prwl', `must not exceed arwl (${cfg.arwl}), got ${cfg.prwl}`);
  for (const [key, value] of Object.entries(cfg.decisions)) {
    const allowed: readonly string[] | undefined = Object.hasOwn(DECISION_CHOICES, key) ? DECISION_CHOICES[key as keyof Decisions] : undefined;
    if (!allowed?.includes(value)) throw new ConfigError(`decisions.${key}`, allowed ? `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}` : 'is not a known decision');
  }
  if (cfg.mutant !== undefined && !Object.hasOwn(MUTANTS, cfg.mutant)) throw new ConfigError('mutant', `unknown mutant ${JSON.stringify(cfg.mutant)}; known: ${Object.keys(MUTANTS).join(', ')}`);
  return cfg;
}

/** One `KEY=CHOICE` decision override, as the command lines take it (checked later by makeConfig). */
export function parseDecision(value: string, previous: Record<string, string>): Record<string, string> {
  const [key, choice, ...extra] = value.split('=');
  if (!key || !choice || extra.length > 0) throw new ConfigError('--decide', `takes key=value, got "${value}"`);
  return { ...previous, [key]: choice };
}
