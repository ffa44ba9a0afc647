// Statistics of an overlay's graph among live nodes, as the paper's Table 1 reports them:
// in-degree distribution, clustering coefficient, average shortest path. Compact (CSR) arrays,
// so 10^6 nodes fit.
import type { Chooser } from '../../models/chooser.ts';
import type { NodeId } from '../../models/hyparview/messages.ts';

export interface Csr {
  readonly n: number;
  readonly start: Int32Array;
  readonly edges: Int32Array;
}

/** Directed out-edges among live nodes (edges to dead nodes and to self left out). */
export function outGraph(n: number, alive: Uint8Array, neighbours: (id: NodeId) => readonly NodeId[]): Csr {
  const start = new Int32Array(n + 1);
  let m = 0;
  for (let i = 0; i < n; i++) {
    start[i] = m;
    if (alive[i]) for (const p of neighbours(i)) if (alive[p] && p !== i) m++;
  }
  start[n] = m;
  const edges = new Int32Array(m);
  let k = 0;
  for (let i = 0; i < n; i++) if (alive[i]) for (const p of neighbours(i)) if (alive[p] && p !== i) edges[k++] = p;
  return { n, start, edges };
}

/** The same graph with every edge in both directions, each neighbour list sorted and without duplicates. */
export function undirected(g: Csr): Csr {
  const deg = new Int32Array(g.n);
  for (let i = 0; i < g.n; i++) {
    for (let k = g.start[i]!; k < g.start[i + 1]!; k++) {
      deg[i]!++;
      deg[g.edges[k]!]!++;
    }
  }
  const start = new Int32Array(g.n + 1);
  for (let i = 0; i < g.n; i++) start[i + 1] = start[i]! + deg[i]!;
  const fill = start.slice(0, g.n);
  const edges = new Int32Array(start[g.n]!);
  for (let i = 0; i < g.n; i++) {
    for (let k = g.start[i]!; k < g.start[i + 1]!; k++) {
      const j = g.edges[k]!;
      edges[fill[i]!++] = j;
      edges[fill[j]!++] = i;
    }
  }
  // Sort and deduplicate each list in place, then compact.
  const outStart = new Int32Array(g.n + 1);
  let w = 0;
  for (let i = 0; i < g.n; i++) {
    const list = edges.subarray(start[i]!, start[i + 1]!).sort();
    outStart[i] = w;
    for (let k = 0; k < list.length; k++) if (k === 0 || list[k] !== list[k - 1]) edges[w++] = list[k]!;
  }
  outStart[g.n] = w;
  return { n: g.n, start: outStart, edges: edges.slice(0, w) };
}

function hasEdge(g: Csr, a: number, b: number): boolean {
  let lo = g.start[a]!;
  let hi = g.start[a + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = g.edges[mid]!;
    if (v === b) return true;
    if (v < b) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** In-degree histogram over live nodes: count[d] = nodes with in-degree d. */
export function inDegrees(g: Csr, alive: Uint8Array): number[] {
  const indeg = new Int32Array(g.n);
  for (let k = 0; k < g.edges.length; k++) indeg[g.edges[k]!]!++;
  const hist: number[] = [];
  for (let i = 0; i < g.n; i++) {
    if (!alive[i]) continue;
    const d = indeg[i]!;
    while (hist.length <= d) hist.push(0);
    hist[d]!++;
  }
  return hist;
}

/**
 * Average local clustering coefficient over the live nodes of an undirected graph: the share of
 * a node's neighbour pairs that are neighbours themselves (0 for fewer than two neighbours).
 */
export function clusteringCoefficient(u: Csr, alive: Uint8Array): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < u.n; i++) {
    if (!alive[i]) continue;
    count++;
    const s = u.start[i]!;
    const k = u.start[i + 1]! - s;
    if (k < 2) continue;
    let links = 0;
    for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) if (hasEdge(u, u.edges[s + a]!, u.edges[s + b]!)) links++;
    sum += (2 * links) / (k * (k - 1));
  }
  return count === 0 ? 0 : sum / count;
}

/**
 * Average shortest path length along out-edges (the way a broadcast travels), over pairs that
 * are connected, from every live node when there are at most `exactUpTo` of them, otherwise from
 * `samples` seeded random sources. Also: the share of (source, target) pairs that are unreachable.
 */
export function averagePathLength(g: Csr, alive: Uint8Array, chooser: Chooser, samples = 200, exactUpTo = 2000): { average: number; unreachable: number; sources: number } {
  const live: number[] = [];
  for (let i = 0; i < g.n; i++) if (alive[i]) live.push(i);
  const sources = live.length <= exactUpTo ? live : Array.from({ length: samples }, () => live[chooser.pick(live.length)]!);
  const dist = new Int32Array(g.n);
  const queue = new Int32Array(g.n);
  let total = 0;
  let pairs = 0;
  let unreachable = 0;
  for (const src of sources) {
    dist.fill(-1);
    dist[src] = 0;
    let head = 0;
    let tail = 0;
    queue[tail++] = src;
    while (head < tail) {
      const v = queue[head++]!;
      for (let k = g.start[v]!; k < g.start[v + 1]!; k++) {
        const w = g.edges[k]!;
        if (dist[w] === -1) {
          dist[w] = dist[v]! + 1;
          total += dist[w]!;
          pairs++;
          queue[tail++] = w;
        }
      }
    }
    unreachable += live.length - tail;
  }
  return { average: pairs === 0 ? 0 : total / pairs, unreachable: unreachable / Math.max(1, sources.length * (live.length - 1)), sources: sources.length };
}
