// Symmetry reduction. Nodes 1..n-1 all join through node 0 with one configuration, and the model
// never compares ids (views are sets; every random pick is enumerated), so renaming them maps a
// world's successors onto the renamed world's successors. The search keeps one world per class
// of renamings: it dedups on a fingerprint every renaming of a world shares (the least over the
// renamings of its canonical candidates) while it stores and expands the concrete world, so
// paths, replay tokens and traces stay those of real runs.
//
// Sound only where the renaming is exact: with enumerated choices, and where no passive view can
// overflow. A full view's merge evicts to make room, in the order of the ids a message lists, and
// a sender lists them in the order of their names: a renamed world could then lose other ids.
// --liveness then analyses a graph of classes, which has the paths of the graph of worlds, so it
// decides the same.
import { MsgType } from '../../models/hyparview/messages.ts';
import { At, headerLength, NodeAt, packetSize, timersAt, WorldIndex } from './encode.ts';
import { type Fingerprint, hashRange } from './fingerprint.ts';
import type { CheckOptions } from './options.ts';

/** Why symmetry reduction would be unsound for these options, or null when it is sound. */
export function symmetryUnsound(o: CheckOptions): string | null {
  if (o.strategy === 'random') return 'random walks do not dedup';
  if (o.nodes < 3) return 'fewer than two nodes to rename';
  if (o.choices !== 'enumerate') return 'seeded choices pick by position in a view sorted by name';
  // A passive view holds ids other than its node's own (a mutant may add its own): it never
  // overflows, and so never evicts in an order the names decide, if it has room for all of them.
  const room = o.nodes - 1 + (o.mutant === 'merge-self-into-passive' ? 1 : 0);
  const capacity = o.passive + (o.mutant === 'passive-capacity-off-by-one' ? 1 : 0);
  if (capacity < room) return `a passive view of ${o.passive} can overflow with ${o.nodes} nodes, and a merge then evicts in an order the names decide (use --passive ${room} or more)`;
  return null;
}

/**
 * The fingerprint every renaming of a world shares. Nodes 1..n-1 are ordered by a signature that
 * names none of them; only renamings that keep that order are tried (every one, where nodes tie),
 * and the least hash of the renamed worlds' bytes is the class's (a fingerprint of its own kind:
 * it is only ever compared with other class fingerprints).
 */
export class Canonicalizer {
  private readonly index: WorldIndex;
  private out = new Uint8Array(256);
  private readonly signature: Float64Array;
  private readonly order: Int32Array;
  /** perm[old id] = new id; inverse[new id] = old id. */
  private readonly perm: Int32Array;
  private readonly inverse: Int32Array;
  private readonly fp: Fingerprint = { hi: 0, lo: 0 };
  private readonly best: Fingerprint = { hi: 0, lo: 0 };
  /**
   * Direct-mapped: a world's fingerprint, then its class's (four words a slot). Most transitions
   * lead to a world met before (interleavings meet again), whose class is then not worked out again.
   * It starts small and doubles (forgetting) as it fills, to 2^20 slots: a small search, such as
   * each of the mutation suite's, does not pay for 16 MiB.
   */
  private memo = new Int32Array(4 << MEMO_START_BITS);
  private memoMask = (1 << MEMO_START_BITS) - 1;
  private memoStored = 0;

  constructor(private readonly n: number) {
    this.index = new WorldIndex(n);
    this.signature = new Float64Array(n);
    this.order = new Int32Array(n - 1);
    this.perm = new Int32Array(n);
    this.inverse = new Int32Array(n);
  }

  /** The class fingerprint of the world whose own fingerprint is `fp` into `out`, if it was worked out lately. */
  recall(fp: Fingerprint, out: Fingerprint): boolean {
    const at = 4 * (fp.lo & this.memoMask);
    const memo = this.memo;
    if (memo[at] !== fp.hi || memo[at + 1] !== fp.lo) return false;
    out.hi = memo[at + 2]!;
    out.lo = memo[at + 3]!;
    return true;
  }

  /** The class fingerprint of world bytes[0, len), whose own fingerprint is `fp`, into `out`. */
  fingerprint(bytes: Uint8Array, len: number, fp: Fingerprint, out: Fingerprint): void {
    this.classOf(bytes, len, out);
    if (++this.memoStored > this.memoMask && this.memoMask < MEMO_MASK) {
      this.memoMask = 2 * this.memoMask + 1;
      this.memo = new Int32Array(4 * (this.memoMask + 1));
      this.memoStored = 0;
    }
    const at = 4 * (fp.lo & this.memoMask);
    this.memo[at] = fp.hi;
    this.memo[at + 1] = fp.lo;
    this.memo[at + 2] = out.hi;
    this.memo[at + 3] = out.lo;
  }

  /** The class fingerprint of world bytes[0, len) into `out`, worked out (not recalled). */
  classOf(bytes: Uint8Array, len: number, out: Fingerprint): void {
    const index = this.index.of(len === bytes.length ? bytes : bytes.subarray(0, len));
    const { signature: sig, order } = this;
    for (let i = 1; i < this.n; i++) sig[i] = signatureOf(index, i);
    // Insertion sort of 1..n-1 by signature (n is at most 8).
    for (let k = 0; k < order.length; k++) {
      const id = k + 1;
      let j = k - 1;
      while (j >= 0 && sig[order[j]!]! > sig[id]!) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = id;
    }
    this.best.hi = this.best.lo = -1;
    this.tryTies(0);
    out.hi = this.best.hi;
    out.lo = this.best.lo;
  }

  /** Tries every order of each run of tied signatures from position `from` of `order` on. */
  private tryTies(from: number): void {
    const { order, signature: sig } = this;
    let start = from;
    while (start < order.length - 1 && sig[order[start]!] !== sig[order[start + 1]!]) start++;
    if (start >= order.length - 1) return this.tryOrder();
    let end = start + 1;
    while (end < order.length && sig[order[end]!] === sig[order[start]!]) end++;
    this.permuteRun(start, end);
  }

  /** Every order of order[at, end) by swaps, each followed by the runs after `end`. */
  private permuteRun(at: number, end: number): void {
    if (at === end - 1) return this.tryTies(end);
    const order = this.order;
    for (let k = at; k < end; k++) {
      swap(order, at, k);
      this.permuteRun(at + 1, end);
      swap(order, at, k);
    }
  }

  private tryOrder(): void {
    const { perm, inverse, order, fp, best } = this;
    perm[0] = inverse[0] = 0;
    for (let k = 0; k < order.length; k++) {
      perm[order[k]!] = k + 1;
      inverse[k + 1] = order[k]!;
    }
    if (this.out.length < this.index.length + 16) this.out = new Uint8Array(2 * this.index.length + 16);
    const len = renameWorld(this.index, perm, inverse, this.out);
    hashRange(this.out, 0, len, CLASS_SEED, fp);
    const hi = fp.hi >>> 0;
    const bestHi = best.hi >>> 0;
    if (hi < bestHi || (hi === bestHi && fp.lo >>> 0 < best.lo >>> 0)) {
      best.hi = fp.hi;
      best.lo = fp.lo;
    }
  }
}

const CLASS_SEED = 0x5e77;
const MEMO_START_BITS = 12;
const MEMO_MASK = (1 << 20) - 1;

/** World `world` with node i renamed perm[i] (perm[0] = 0): for tests. */
export function renamed(world: Uint8Array, perm: readonly number[]): Uint8Array {
  const n = world[At.N]!;
  const inverse = new Int32Array(n);
  perm.forEach((to, from) => (inverse[to] = from));
  const out = new Uint8Array(world.length + 16);
  return out.slice(0, renameWorld(new WorldIndex(n).of(world), Int32Array.from(perm), inverse, out));
}

/**
 * A number that depends on node i's part of the world, never on its name or the others' (node 0
 * is no other). Nodes with equal numbers are tried in every order, so two parts that happen to
 * give one number cost time, never soundness.
 */
function signatureOf(w: WorldIndex, i: number): number {
  const b = w.bytes;
  const n = w.n;
  const at = w.nodeAt[i]!;
  const node0 = w.nodeAt[0]!;
  const timers = b[timersAt(n, i)]!;
  let s = (b[At.Alive]! >> i) & 1;
  s = s * 2 + ((b[At.Joined]! >> i) & 1);
  s = s * 16 + b[At.Cycles + i]!;
  s = s * 16 + popcount(timers) * 2 + (timers & 1);
  s = s * 2 + ((b[timersAt(n, 0)]! >> i) & 1);
  for (let field = NodeAt.Active; field <= NodeAt.Exchanged; field++) {
    if (field === NodeAt.Pending) continue;
    const m = b[at + field]!;
    s = s * 64 + popcount(m) * 2 + (m & 1) + 32 * ((b[node0 + field]! >> i) & 1);
  }
  const pending = b[at + NodeAt.Pending]! - 1;
  s = s * 6 + (pending < 0 ? 0 : pending === 0 ? 1 : 2) + 3 * (b[node0 + NodeAt.Pending]! - 1 === i ? 1 : 0);
  s = s * 16 + b[at + NodeAt.AbandonedCount]!;
  // Packets this node has queued for node 0 and node 0 for it, and the same with the others.
  let others = 0;
  for (let j = 1; j < n; j++) if (j !== i) others += w.queueLength(i * n + j) + 8 * w.queueLength(j * n + i);
  s = s * 64 + Math.min(w.queueLength(i * n) + 8 * w.queueLength(i), 63);
  return s * 64 + Math.min(others, 63);
}

/** Writes world `w` renamed by `perm` (inverse: its inverse), lists of ids sorted again, to `out`; returns its length. */
function renameWorld(w: WorldIndex, perm: Int32Array, inverse: Int32Array, out: Uint8Array): number {
  const src = w.bytes;
  const n = w.n;
  out[At.N] = n;
  out[At.Alive] = renameMask(src[At.Alive]!, perm);
  out[At.Joined] = renameMask(src[At.Joined]!, perm);
  out[At.Formed] = src[At.Formed]!;
  out[At.CrashesLeft] = src[At.CrashesLeft]!;
  out[At.LinkFailuresLeft] = src[At.LinkFailuresLeft]!;
  out[At.EarlyTimeoutsLeft] = src[At.EarlyTimeoutsLeft]!;
  for (let i = 0; i < n; i++) {
    out[At.Cycles + perm[i]!] = src[At.Cycles + i]!;
    out[timersAt(n, perm[i]!)] = renameMask(src[timersAt(n, i)]!, perm);
  }
  let pos = headerLength(n);
  for (let j = 0; j < n; j++) {
    const at = w.nodeAt[inverse[j]!]!;
    out[pos + NodeAt.Active] = renameMask(src[at + NodeAt.Active]!, perm);
    out[pos + NodeAt.Passive] = renameMask(src[at + NodeAt.Passive]!, perm);
    const pending = src[at + NodeAt.Pending]!;
    out[pos + NodeAt.Pending] = pending === 0 ? 0 : perm[pending - 1]! + 1;
    out[pos + NodeAt.Tried] = renameMask(src[at + NodeAt.Tried]!, perm);
    out[pos + NodeAt.Exchanged] = renameMask(src[at + NodeAt.Exchanged]!, perm);
    const count = src[at + NodeAt.AbandonedCount]!;
    out[pos + NodeAt.AbandonedCount] = count;
    pos += NodeAt.Abandoned;
    for (let k = 0; k < count; k++) out[pos + k] = perm[src[at + NodeAt.Abandoned + k]!]!;
    sortRange(out, pos, pos + count);
    pos += count;
  }
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let from = w.queueAt[inverse[a]! * n + inverse[b]!]!;
      const count = src[from++]!;
      out[pos++] = count;
      for (let k = 0; k < count; k++) {
        // The packet's bytes as they are, then its ids renamed: the layout is encode.ts's.
        const size = packetSize(src, from);
        for (let j = 0; j < size; j++) out[pos + j] = src[from + j]!;
        const t = src[from]!;
        if (t === MsgType.ForwardJoin || t === MsgType.Shuffle) out[pos + 1] = perm[src[from + 1]!]!;
        if (t === MsgType.Shuffle) renameIds(out, pos + 3, perm);
        else if (t === MsgType.ShuffleReply) renameIds(out, pos + 1, perm);
        pos += size;
        from += size;
      }
    }
  }
  return pos;
}

/** Renames the id list at out[at] (count, ids) in place and sorts it again (a merge that cannot overflow takes it as a set). */
function renameIds(out: Uint8Array, at: number, perm: Int32Array): void {
  const end = at + 1 + out[at]!;
  for (let k = at + 1; k < end; k++) out[k] = perm[out[k]!]!;
  sortRange(out, at + 1, end);
}

function renameMask(m: number, perm: Int32Array): number {
  let r = 0;
  for (let id = 0; m !== 0; id++, m >>>= 1) if (m & 1) r |= 1 << perm[id]!;
  return r;
}

function swap(a: Int32Array, i: number, j: number): void {
  const v = a[i]!;
  a[i] = a[j]!;
  a[j] = v;
}

function sortRange(a: Uint8Array, from: number, to: number): void {
  for (let k = from + 1; k < to; k++) {
    const v = a[k]!;
    let j = k - 1;
    while (j >= from && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

function popcount(m: number): number {
  let c = 0;
  for (; m !== 0; m &= m - 1) c++;
  return c;
}
