// Liveness over the graph a BFS explored (`--liveness`). For each quiescent property P below,
// "P is restored" means a quiescent state where P holds is reached, and two notions are judged:
//   recoverable(P)  AG EF P: from every reachable state, SOME continuation restores P;
//   restored(P)     AG AF P: from every reachable state, EVERY continuation restores P.
// A scenario's fault and cycle budgets are finite, so every run ends (in a quiescent state with
// nothing left to fire) or loops; "every continuation" is therefore "before the budgets run out".
// States the search did not expand (depth bound, state or time limit) count as restoring P, so
// a reported failure is exact: its whole future was explored.
import type { Failure } from './judge.ts';

export const LIVENESS_PROPERTIES = ['connected', 'no-isolated-node', 'active-symmetric', 'no-dead-neighbours'] as const;
export type LivenessNotion = 'recoverable' | 'restored';

/** Property name → its bit in a state's `good` byte. */
const BIT = new Map<string, number>(LIVENESS_PROPERTIES.map((p, k) => [p, 1 << k]));
const ALL_GOOD = (1 << LIVENESS_PROPERTIES.length) - 1;
/** Set on states the search expanded: their successors are all recorded. */
const EXPANDED = 0x80;

export function isLivenessProperty(name: string): boolean {
  return BIT.has(name);
}

/** The `good` bits of a judged state: P restored here iff quiescent and P not among its failures. */
export function goodBits(quiescent: boolean, failures: readonly Failure[]): number {
  if (!quiescent) return 0;
  let bits = ALL_GOOD;
  for (const f of failures) bits &= ~(BIT.get(f.property) ?? 0);
  return bits;
}

export interface LivenessFailure {
  readonly notion: LivenessNotion;
  readonly property: string;
  /** The first state (in BFS order, so with the shortest path) from which P may never be restored. */
  readonly state: number;
  /** recoverable: how many states its future holds, none restoring P. */
  readonly future: number;
  /** restored: a continuation from `state` that never restores P (state ids, `state` excluded). */
  readonly continuation: readonly number[];
  /** restored: whether the continuation ends by going round a loop (else in a dead end). */
  readonly loops: boolean;
}

/**
 * The explored graph, in compressed rows: ids are given in BFS order and states are expanded in
 * id order, so a state's successors are appended as one run. 5 bytes a state plus 4 an edge.
 */
export class StateGraph {
  private flags = new Uint8Array(1 << 16);
  private offsets = new Uint32Array(1 << 16);
  private edges = new Uint32Array(1 << 18);
  private edgeCount = 0;
  /** Ids below this have their row (offsets[id], offsets[id + 1]) closed. */
  private rows = 0;
  size = 0;

  get bytes(): number {
    return this.flags.byteLength + this.offsets.byteLength + this.edges.byteLength;
  }

  /** A new state with its good bits; returns its id. */
  add(good: number): number {
    if (this.size + 2 > this.flags.length) {
      this.flags = grown(this.flags, this.flags.length * 2);
      this.offsets = grown(this.offsets, this.offsets.length * 2);
    }
    this.flags[this.size] = good;
    return this.size++;
  }

  /** Starts recording the successors of `id` (ids are expanded in increasing order). */
  expand(id: number): void {
    while (this.rows <= id) this.offsets[++this.rows] = this.edgeCount;
    this.flags[id]! |= EXPANDED;
  }

  /** An edge from the state last expanded to `to`. */
  edge(to: number): void {
    if (this.edgeCount === this.edges.length) this.edges = grown(this.edges, this.edges.length * 2);
    this.edges[this.edgeCount++] = to;
    this.offsets[this.rows] = this.edgeCount;
  }

  private succ(id: number): Uint32Array {
    return id < this.rows ? this.edges.subarray(this.offsets[id]!, this.offsets[id + 1]!) : EMPTY;
  }

  /** Every violation, one per (notion, property), on the first state that shows it; `restored` also judges the stronger notion. */
  analyse(restored: boolean): LivenessFailure[] {
    const out: LivenessFailure[] = [];
    LIVENESS_PROPERTIES.forEach((property, k) => {
      const bit = 1 << k;
      const reach = this.canReach(bit);
      const lost = reach.indexOf(0);
      if (lost >= 0) out.push({ notion: 'recoverable', property, state: lost, future: this.futureSize(lost), continuation: [], loops: false });
      if (!restored) return;
      const avoid = this.canAvoid(bit);
      const first = avoid.indexOf(1);
      if (first >= 0) out.push({ notion: 'restored', property, state: first, future: 0, ...this.avoidingRun(first, avoid) });
    });
    return out;
  }

  /** 1 where some continuation restores P (unexpanded states are given the benefit of the doubt). */
  private canReach(bit: number): Uint8Array {
    const r = new Uint8Array(this.size);
    for (let id = 0; id < this.size; id++) r[id] = (this.flags[id]! & bit) !== 0 || (this.flags[id]! & EXPANDED) === 0 ? 1 : 0;
    // Successors mostly have larger ids: sweeping downwards settles most in one pass.
    for (let changed = true; changed; ) {
      changed = false;
      for (let id = this.size - 1; id >= 0; id--) {
        if (r[id]) continue;
        for (const to of this.succ(id)) {
          if (r[to]) {
            r[id] = 1;
            changed = true;
            break;
          }
        }
      }
    }
    return r;
  }

  /**
   * 1 where some continuation avoids P for ever (EG not-P, runs ending in a dead end included):
   * start from every expanded state without P and drop, until none changes, those that have
   * successors and none of them still marked.
   */
  private canAvoid(bit: number): Uint8Array {
    const a = new Uint8Array(this.size);
    for (let id = 0; id < this.size; id++) a[id] = (this.flags[id]! & bit) === 0 && (this.flags[id]! & EXPANDED) !== 0 ? 1 : 0;
    for (let changed = true; changed; ) {
      changed = false;
      for (let id = this.size - 1; id >= 0; id--) {
        if (!a[id]) continue;
        const next = this.succ(id);
        if (next.length > 0 && !next.some((to) => a[to] === 1)) {
          a[id] = 0;
          changed = true;
        }
      }
    }
    return a;
  }

  /** A run from `from` through marked states to a dead end or back to a state already on it. */
  private avoidingRun(from: number, avoid: Uint8Array): { continuation: number[]; loops: boolean } {
    const on = new Set<number>([from]);
    const continuation: number[] = [];
    for (let at = from; ; ) {
      const next = this.succ(at).find((to) => avoid[to] === 1);
      if (next === undefined) return { continuation, loops: false };
      continuation.push(next);
      if (on.has(next)) return { continuation, loops: true };
      on.add(next);
      at = next;
    }
  }

  /** States reachable from `from`, itself included. */
  private futureSize(from: number): number {
    const seen = new Uint8Array(this.size);
    const stack = [from];
    seen[from] = 1;
    let n = 0;
    while (stack.length > 0) {
      const id = stack.pop()!;
      n++;
      for (const to of this.succ(id)) {
        if (!seen[to]) {
          seen[to] = 1;
          stack.push(to);
        }
      }
    }
    return n;
  }
}

const EMPTY = new Uint32Array(0);

function grown<T extends Uint8Array | Uint32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
