// Properties over one cluster snapshot. Each returns null when it holds, or a sentence
// naming the node and the ids that break it.
import type { ClusterSnapshot, NodeSnapshot } from './snapshot.ts';

export type Verdict = string | null;

export interface Property {
  readonly name: string;
  /** Judged in every state, where nothing is in flight (properties/snapshot isQuiet), or at quiescence. */
  readonly kind: 'always' | 'quiet' | 'quiescent';
  readonly description: string;
  readonly check: (c: ClusterSnapshot) => Verdict;
  /**
   * Set when the property is node-local: `check` is then the verdict of the first live node
   * that breaks `local`, so an engine may judge each node state once and remember it.
   */
  readonly local?: (n: NodeSnapshot, bounds: ViewBounds) => Verdict;
}

export type ViewBounds = Pick<ClusterSnapshot, 'activeSize' | 'passiveSize'>;

function firstBroken(c: ClusterSnapshot, test: (n: NodeSnapshot) => Verdict): Verdict {
  for (const n of c.nodes) {
    if (!n.alive) continue;
    const v = test(n);
    if (v) return v;
  }
  return null;
}

/** An always-property that each live node must satisfy on its own. */
function nodeLocal(name: string, description: string, local: (n: NodeSnapshot, bounds: ViewBounds) => Verdict): Property {
  return { name, kind: 'always', description, local, check: (c) => firstBroken(c, (n) => local(n, c)) };
}

const duplicated = (ids: readonly number[]): number | undefined => ids.find((id, i) => ids.indexOf(id) !== i);
const list = (ids: readonly number[]): string => `[${ids.join(',')}]`;

export const ALWAYS: readonly Property[] = [
  nodeLocal('view-bounds', '|active| <= activeSize and |passive| <= passiveSize', (n, b) =>
    n.active.length > b.activeSize
      ? `node ${n.id} has ${n.active.length} active peers ${list(n.active)}, more than ${b.activeSize}`
      : n.passive.length > b.passiveSize
        ? `node ${n.id} has ${n.passive.length} passive peers ${list(n.passive)}, more than ${b.passiveSize}`
        : null,
  ),
  nodeLocal('views-disjoint', 'no peer is in both the active and the passive view', (n) => {
    const both = n.active.find((id) => n.passive.includes(id));
    return both === undefined ? null : `node ${n.id} has ${both} in both views: active ${list(n.active)}, passive ${list(n.passive)}`;
  }),
  nodeLocal('self-not-in-views', 'a node is never in its own views', (n) =>
    n.active.includes(n.id) || n.passive.includes(n.id) ? `node ${n.id} lists itself: active ${list(n.active)}, passive ${list(n.passive)}` : null,
  ),
  nodeLocal('no-duplicates', 'no id appears twice in one view', (n) => {
    const dup = duplicated(n.active) ?? duplicated(n.passive);
    return dup === undefined ? null : `node ${n.id} lists ${dup} twice: active ${list(n.active)}, passive ${list(n.passive)}`;
  }),
  nodeLocal('no-unknown-bookkeeping', 'per-peer bookkeeping only for peers in the views (outstanding requests excepted)', (n) => {
    const stray = n.tracked.find((id) => !n.passive.includes(id) && !n.active.includes(id) && !n.pending.includes(id) && !n.awaiting?.includes(id));
    return stray === undefined ? null : `node ${n.id} keeps state for ${stray}, which is in neither view`;
  }),
];

/** Undirected edges of the active graph that only one side holds, among live nodes. */
export function asymmetricPairs(c: ClusterSnapshot): Array<[number, number]> {
  const byId = new Map(c.nodes.map((n) => [n.id, n]));
  const out: Array<[number, number]> = [];
  for (const n of c.nodes) {
    if (!n.alive) continue;
    for (const peer of n.active) {
      const other = byId.get(peer);
      if (other?.alive && !other.active.includes(n.id)) out.push([n.id, peer]);
    }
  }
  return out;
}

/** Connected components of the active graph (edges in either direction) over live nodes. */
export function components(c: ClusterSnapshot): number[][] {
  const live = c.nodes.filter((n) => n.alive);
  const adjacency = new Map<number, Set<number>>(live.map((n) => [n.id, new Set<number>()]));
  for (const n of live) {
    for (const peer of n.active) {
      if (!adjacency.has(peer)) continue;
      adjacency.get(n.id)!.add(peer);
      adjacency.get(peer)!.add(n.id);
    }
  }
  const seen = new Set<number>();
  const result: number[][] = [];
  for (const n of live) {
    if (seen.has(n.id)) continue;
    const component: number[] = [];
    const stack = [n.id];
    seen.add(n.id);
    while (stack.length > 0) {
      const id = stack.pop()!;
      component.push(id);
      for (const next of adjacency.get(id)!) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    result.push(component.sort((a, b) => a - b));
  }
  return result;
}

/**
 * Judged wherever nothing is in flight, outstanding requests or not: no message, answer or
 * link-down is still on its way, so whatever a node waits for must come from one of its timers.
 */
export const QUIET: readonly Property[] = [
  {
    name: 'no-stuck-request',
    kind: 'quiet',
    description: 'with nothing in flight, every outstanding NEIGHBOR request has its timeout armed, so it still ends',
    // The paper's rule (PROTOCOL.md ambiguity 5): a request that gets no answer counts as rejected once
    // its timeout fires; the reference arms that timeout with every request (`ask`). With nothing in
    // flight no answer can come, so a request without an armed timer would wait forever, as the real
    // node would. Engines that do not model timers omit `timers`, and the property does not apply.
    check: (c) =>
      c.inFlight > 0
        ? null
        : firstBroken(c, (n) => {
            const stuck = n.timers && n.pending.find((peer) => !n.timers!.includes(peer));
            return stuck === undefined
              ? null
              : `node ${n.id} waits for an answer from ${stuck}, but nothing is in flight and no timeout is armed for it: it waits forever`;
          }),
  },
];

export const QUIESCENT: readonly Property[] = [
  {
    name: 'answers-arrive',
    kind: 'quiescent',
    description: 'with nothing in flight, no node still waits for the answer to a request',
    check: (c) =>
      firstBroken(c, (n) => (n.awaiting?.length ? `node ${n.id} still waits for an answer from ${list(n.awaiting)}, but nothing is in flight` : null)),
  },
  {
    name: 'active-symmetric',
    kind: 'quiescent',
    description: 'q in active(p) iff p in active(q), for live p and q',
    check: (c) => {
      const [pair] = asymmetricPairs(c);
      return pair ? `node ${pair[0]} has ${pair[1]} in its active view, but ${pair[1]} does not have ${pair[0]}` : null;
    },
  },
  {
    name: 'no-dead-neighbours',
    kind: 'quiescent',
    description: 'failed peers have left every live active view',
    check: (c) => {
      const dead = new Set(c.nodes.filter((n) => !n.alive).map((n) => n.id));
      return firstBroken(c, (n) => {
        const stale = n.active.find((id) => dead.has(id));
        return stale === undefined ? null : `node ${n.id} still has crashed node ${stale} in its active view ${list(n.active)}`;
      });
    },
  },
  {
    name: 'no-isolated-node',
    kind: 'quiescent',
    description: 'no live node has an empty active view while another live node exists',
    check: (c) => {
      const live = c.nodes.filter((n) => n.alive);
      if (live.length < 2) return null;
      const lonely = live.find((n) => n.active.length === 0);
      return lonely ? `node ${lonely.id} is isolated (empty active view) among ${live.length} live nodes` : null;
    },
  },
  {
    name: 'refill-progress',
    kind: 'quiescent',
    description: 'a live node with a free active slot and a live candidate not yet tried in this round asks one at its next cycle at the latest',
    // The paper refills the active view from the passive one (section 4.3); with nothing in flight and
    // no request outstanding, a node that still has room and a live candidate it has not tried can
    // only be waiting for its timer, so its next cycle must ask (the reference: decision 8,
    // seedAndPromote). Otherwise it stays short of neighbours for ever while one would answer.
    check: (c) => {
      const live = new Set(c.nodes.filter((n) => n.alive).map((n) => n.id));
      return firstBroken(c, (n) => {
        if (n.active.length >= c.activeSize || !n.cycleAsks) return null;
        const untried = n.passive.filter((p) => live.has(p) && !n.tracked.includes(p) && !n.awaiting?.includes(p));
        if (untried.length === 0 || n.cycleAsks()) return null;
        return `node ${n.id} has ${n.active.length} of ${c.activeSize} active slots filled and live candidates ${list(untried)} it has not tried, nothing is outstanding, and its next cycle asks none of them: it stays short for ever`;
      });
    },
  },
  {
    name: 'connected',
    kind: 'quiescent',
    description: 'the active graph over live nodes is one connected component',
    check: (c) => {
      const parts = components(c);
      return parts.length <= 1 ? null : `the live nodes form ${parts.length} components: ${parts.map(list).join(' ')}`;
    },
  },
];

export const ALL_PROPERTIES: readonly Property[] = [...ALWAYS, ...QUIET, ...QUIESCENT];
