// Scamp's parameters (Ganesh, Kermarrec, Massoulié 2001).
import { ConfigError } from '../hyparview/config.ts';

export interface ScampConfig {
  /**
   * Extra copies of each subscription the contact forwards. Partial views then average about
   * (c + 1)·ln n ids (walks unbounded, see maxForwards): with the default 4, about 46 at n = 10,000,
   * the same order as the 35 ids a HyParView node (5 + 30) or a default Cyclon node holds.
   */
  c: number;
  /**
   * Lease length in cycles; 0 turns leases off (the basic protocol). With leases every node
   * resubscribes each `leaseCycles` cycles, a partial view entry expires once older than
   * `leaseCycles` cycles, and a node isolated for a lease resubscribes through its in-view (the
   * heartbeat rule). node.ts says how this keeps view sizes steady.
   */
  leaseCycles: number;
  /**
   * How many times one forwarded subscription may be relayed: a copy that has been relayed this
   * often is kept by the node it reaches (or dropped if that node cannot keep it), so no walk
   * lives for ever. The paper has no such bound. A node keeps a copy with odds 1/(1 + view size),
   * so with views of v ids a copy outlives 20 relays with odds (v/(v+1))^20: about 0.65 for v = 46.
   * The bound then decides where many copies land (any node, not preferably one with a small view),
   * and the copies it drops (at a node that already holds the subscriber) compound over the joins:
   * 3,000 sequential joins gave mean views of 26 with 20 and 35 with 255, for (c+1)·ln n = 40.
   * The default, 255 (the largest the config accepts), keeps closest to the paper; a copy
   * then almost always finds a keeper long before the bound.
   */
  maxForwards: number;
}

export const SCAMP_DEFAULTS: ScampConfig = { c: 4, leaseCycles: 0, maxForwards: 255 };

const LIMITS = { c: 255, leaseCycles: 1_000_000, maxForwards: 255 } as const;

/** Builds a validated config from partial input; throws ConfigError naming the bad field. */
export function makeScampConfig(input: Partial<ScampConfig> = {}): ScampConfig {
  const cfg: ScampConfig = { ...SCAMP_DEFAULTS };
  for (const field of Object.keys(LIMITS) as Array<keyof ScampConfig>) {
    const value = input[field] ?? cfg[field];
    const max = LIMITS[field];
    if (!Number.isInteger(value) || value < 0 || value > max) throw new ConfigError(field, `must be an integer from 0 to ${max}, got ${JSON.stringify(value)}`);
    cfg[field] = value;
  }
  return cfg;
}
