// Live node states → the shared ClusterSnapshot, so the live cluster is judged by the same
// property predicates as the model checker. Member nk gets integer k, so the properties'
// messages ("node 3 has 5 ...") read as n3 and n5; ids that are not members (an impostor's,
// say) get integers after the last member.
import type { NodeView } from '../../harness/node/node.ts';
import type { ClusterSnapshot, NodeSnapshot } from '../../properties/snapshot.ts';
import type { Member } from './cluster.ts';

/** What a snapshot needs to know of a member, whatever runs it. */
export type MemberState = Pick<Member, 'id' | 'index' | 'status'>;

export interface LiveSnapshot {
  readonly snapshot: ClusterSnapshot;
  /** Integer → node id (index 0 unused). */
  readonly names: readonly string[];
  /** Members that should answer but did not. */
  readonly unreachable: readonly string[];
}

export function toClusterSnapshot(
  members: readonly MemberState[],
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

/** GET or POST on a node's control API at `address`; a token, if given, as a bearer token. */
export async function controlRequest<T>(id: string, address: string, path: string, body?: unknown, token?: string, timeoutMs = 3000): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`http://${address}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${id} ${path}: HTTP ${res.status} ${text.trim()}`);
  return JSON.parse(text) as T;
}

/**
 * Every member's /state: null for a killed or unreachable one; a paused one cannot answer,
 * so it gets its last answer (its links are frozen with it).
 */
export async function readViews(members: readonly MemberState[], state: (id: string) => Promise<NodeView>, last: Map<string, NodeView>): Promise<Map<string, NodeView | null>> {
  const entries = await Promise.all(
    members.map(async (m): Promise<[string, NodeView | null]> => {
      if (m.status === 'paused') return [m.id, last.get(m.id) ?? null];
      if (m.status !== 'up') return [m.id, null];
      try {
        const v = await state(m.id);
        last.set(m.id, v);
        return [m.id, v];
      } catch {
        return [m.id, null];
      }
    }),
  );
  return new Map(entries);
}
