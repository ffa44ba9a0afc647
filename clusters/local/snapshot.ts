// Live node states → the shared ClusterSnapshot, so the live cluster is judged by the same
// property predicates as the model checker. Member nk gets integer k, so the properties'
// messages ("node 3 has 5 ...") read as n3 and n5; ids that are not members (an impostor's,
// say) get integers after the last member.
import type { NodeView } from '../../harness/node/node.ts';
import type { ClusterSnapshot, NodeSnapshot } from '../../properties/snapshot.ts';
import type { Member } from './cluster.ts';

export interface LiveSnapshot {
  readonly snapshot: ClusterSnapshot;
  /** Integer → node id (index 0 unused). */
  readonly names: readonly string[];
  /** Members that should answer but did not. */
  readonly unreachable: readonly string[];
}

export function toClusterSnapshot(
  members: readonly Member[],
  views: ReadonlyMap<string, NodeView | null>,
  sizes: { readonly activeSize: number; readonly passiveSize: number },
  settled: boolean,
): LiveSnapshot {
  const names = ['', ...members.map((m) => m.id)];
  const index = new Map(members.map((m) => [m.id, m.index + 1]));
  const idx = (name: string): number => {
    let i = index.get(name);
    if (i === undefined) {
      i = names.length;
      names.push(name);
      index.set(name, i);
    }
    return i;
  };
  const unreachable: string[] = [];
  let inFlight = 0;
  const nodes: NodeSnapshot[] = members.map((m) => {
    const v = views.get(m.id) ?? null;
    if (!v) {
      if (m.status !== 'killed') unreachable.push(m.id);
      return { id: m.index + 1, alive: m.status !== 'killed', active: [], passive: [], pending: [], tracked: [] };
    }
    inFlight += v.inFlight;
    return {
      id: m.index + 1,
      alive: true,
      active: v.active.map(idx).sort((a, b) => a - b),
      passive: v.passive.map(idx).sort((a, b) => a - b),
      pending: v.pending.map(idx),
      awaiting: v.awaiting.map(idx),
      tracked: v.tried.map(idx).sort((a, b) => a - b),
    };
  });
  return { snapshot: { nodes, ...sizes, inFlight, settled }, names, unreachable };
}
