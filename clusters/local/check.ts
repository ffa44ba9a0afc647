// Judging a live cluster with the shared properties: ALWAYS on every snapshot, QUIESCENT
// on snapshots where nothing is in flight and no request is outstanding. Snapshots are read
// node by node, not atomically, so convergence needs two passing snapshots in a row.
import { ALWAYS, asymmetricPairs, components, QUIESCENT } from '../../properties/invariants.ts';
import { isQuiescent } from '../../properties/snapshot.ts';
import type { NodeView } from '../../harness/node/node.ts';
import type { NodeConfig } from '../../harness/node/config.ts';
import { type LiveSnapshot, type MemberState, toClusterSnapshot } from './snapshot.ts';

/** A running cluster whose members can be read: local processes or containers. */
export interface Observable {
  readonly members: readonly MemberState[];
  readonly config: NodeConfig;
  views(): Promise<Map<string, NodeView | null>>;
}

export interface Violation {
  readonly property: string;
  readonly message: string;
}

export interface Judgement {
  readonly always: Violation[];
  readonly quiescent: Violation[];
  /** Whether the quiescent properties apply to this snapshot at all. */
  readonly isQuiescent: boolean;
  readonly components: number;
  readonly asymmetricPairs: number;
}

export function judge(live: LiveSnapshot): Judgement {
  const run = (props: typeof ALWAYS): Violation[] =>
    props.flatMap((p) => {
      const message = p.check(live.snapshot);
      return message === null ? [] : [{ property: p.name, message }];
    });
  const unreachable = live.unreachable.map((id) => ({ property: 'node-answers', message: `${id} is running but its control API does not answer` }));
  return {
    always: run(ALWAYS),
    quiescent: [...unreachable, ...run(QUIESCENT)],
    isQuiescent: isQuiescent(live.snapshot) && unreachable.length === 0,
    components: components(live.snapshot).length,
    asymmetricPairs: asymmetricPairs(live.snapshot).length,
  };
}

export async function snapshotOf(cluster: Observable, settled = true): Promise<LiveSnapshot> {
  const views = await cluster.views();
  return toClusterSnapshot(cluster.members, views, { activeSize: cluster.config.protocol.activeSize, passiveSize: cluster.config.protocol.passiveSize }, settled);
}

export interface Convergence {
  readonly converged: boolean;
  /** From `since` to the first snapshot of the passing pair; or to the give-up time. */
  readonly seconds: number;
  readonly last: LiveSnapshot;
  readonly judgement: Judgement;
  /** ALWAYS violations seen on any snapshot, or, when not converged, what the last one broke. */
  readonly violations: Violation[];
  readonly snapshots: number;
}

export interface WatchOptions {
  /** performance.now() of the moment convergence time is counted from. */
  readonly since: number;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly onSnapshot?: (live: LiveSnapshot, j: Judgement) => void;
}

/** Polls until the quiescent properties hold twice in a row, an ALWAYS property breaks, or time runs out. */
export async function watchUntilConverged(cluster: Observable, opts: WatchOptions): Promise<Convergence> {
  const deadline = opts.since + opts.timeoutMs;
  let firstPass: number | null = null;
  let snapshots = 0;
  for (;;) {
    const taken = performance.now();
    const live = await snapshotOf(cluster);
    const j = judge(live);
    snapshots++;
    opts.onSnapshot?.(live, j);
    const seconds = (t: number): number => Math.max(0, t - opts.since) / 1000;
    if (j.always.length > 0) return { converged: false, seconds: seconds(taken), last: live, judgement: j, violations: j.always, snapshots };
    if (j.isQuiescent && j.quiescent.length === 0) {
      if (firstPass !== null) return { converged: true, seconds: seconds(firstPass), last: live, judgement: j, violations: [], snapshots };
      firstPass = taken;
    } else {
      firstPass = null;
    }
    const now = performance.now();
    if (now >= deadline) {
      const why = j.quiescent.length > 0 ? j.quiescent : [{ property: 'quiescence', message: `never quiescent: ${live.snapshot.inFlight} frames unsent, requests pending at ${live.snapshot.nodes.filter((n) => n.pending.length > 0).length} nodes` }];
      return { converged: false, seconds: seconds(now), last: live, judgement: j, violations: why, snapshots };
    }
    await new Promise((r) => setTimeout(r, Math.min(opts.pollMs ?? 200, deadline - now)));
  }
}
