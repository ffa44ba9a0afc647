// Cyclon's parameters (Voulgaris, Gavidia, van Steen 2005), defaulted so a Cyclon node holds as
// many ids as a HyParView node with the paper's parameters (active 5 + passive 30).
import { ConfigError } from '../hyparview/config.ts';

export interface CyclonConfig {
  /** Cache size c: the most ids a node holds. */
  viewSize: number;
  /** Shuffle length l: entries exchanged per shuffle, the sender's own fresh entry included. */
  shuffleLength: number;
  /** TTL of each join random walk (like HyParView's ARWL). */
  joinWalkLength: number;
}

export const CYCLON_DEFAULTS: CyclonConfig = { viewSize: 35, shuffleLength: 14, joinWalkLength: 6 };

const FIELDS = ['viewSize', 'shuffleLength', 'joinWalkLength'] as const;

/** Builds a validated config from partial input; throws ConfigError naming the bad field. */
export function makeCyclonConfig(input: Partial<CyclonConfig> = {}): CyclonConfig {
  const cfg: CyclonConfig = { ...CYCLON_DEFAULTS };
  for (const field of FIELDS) {
    const value = input[field] ?? cfg[field];
    if (!Number.isInteger(value) || value < 1 || value > 255) throw new ConfigError(field, `must be an integer from 1 to 255, got ${JSON.stringify(value)}`);
    cfg[field] = value;
  }
  if (cfg.shuffleLength > cfg.viewSize) throw new ConfigError('shuffleLength', `must not exceed viewSize (${cfg.viewSize}), got ${cfg.shuffleLength}`);
  return cfg;
}
