// The one snapshot type every engine (checker, simulator, live cluster) hands to the properties.
import type { NodeId } from '../models/hyparview/messages.ts';

export interface NodeSnapshot {
  readonly id: NodeId;
  readonly alive: boolean;
  readonly active: readonly NodeId[];
  readonly passive: readonly NodeId[];
  /** Peers with an outstanding request from this node (a NEIGHBOR awaiting its answer). */
  readonly pending: readonly NodeId[];
  /** Peers that still owe an answer this node will not act on (an abandoned request); engines that do not track it omit it. */
  readonly awaiting?: readonly NodeId[];
  /** Other per-peer bookkeeping the node keeps (peers tried in the current refill round). */
  readonly tracked: readonly NodeId[];
  /** Peers for which a NEIGHBOR timeout is armed and has not fired; engines that do not model timers omit it. */
  readonly timers?: readonly NodeId[];
  /**
   * Whether the node's next shuffle-timer firing would send a NEIGHBOR request (for some random
   * choice), from the state it is in; engines that cannot step the node omit it.
   */
  readonly cycleAsks?: () => boolean;
}

export interface ClusterSnapshot {
  readonly nodes: readonly NodeSnapshot[];
  readonly activeSize: number;
  readonly passiveSize: number;
  /** Messages and connection events not yet delivered. */
  readonly inFlight: number;
  /** True once every node that is meant to join has started joining. */
  readonly settled: boolean;
}

/** Nothing in flight (requests may still be outstanding): where `quiet` properties apply. */
export function isQuiet(c: ClusterSnapshot): boolean {
  return c.inFlight === 0;
}

/** Nothing in flight, no outstanding request, every join issued: where quiescent properties apply. */
export function isQuiescent(c: ClusterSnapshot): boolean {
  return c.settled && c.inFlight === 0 && c.nodes.every((n) => !n.alive || n.pending.length === 0);
}
