// The checker's world is a canonical byte string (a state vector): equal worlds are equal bytes,
// so the bytes are what gets fingerprinted, queued on the BFS frontier and decoded on demand.
//
// Layout: n, then the header (alive mask, joined mask, formed, crashes left, link failures
// left, early timeouts left, one shuffle count per node, one mask of armed NEIGHBOR timers per
// node), then per node (active mask, passive
// mask, pending + 1, tried mask, exchanged mask, abandoned count, abandoned ids), then per
// directed link (from * n + to) the packet count and the packets. Views are sets of ids below 8,
// so a bit mask is both their smallest and their canonical form; `abandoned` is a multiset.
import { type Message, MsgType, type NodeId } from '../../models/hyparview/messages.ts';
import type { NodeState } from '../../models/hyparview/node.ts';
import { type Fingerprint, hashRange } from './fingerprint.ts';
import { LINK_DOWN, type Packet } from './packets.ts';

export const enum At {
  N = 0,
  Alive = 1,
  Joined = 2,
  Formed = 3,
  CrashesLeft = 4,
  LinkFailuresLeft = 5,
  EarlyTimeoutsLeft = 6,
  /** cyclesUsed[i] is at Cycles + i; node i's armed NEIGHBOR timers (a mask of peers) at Cycles + n + i. */
  Cycles = 7,
}

/** Where node i's mask of armed NEIGHBOR timers is, in an n-node world's header. */
export const timersAt = (n: number, i: number): number => At.Cycles + n + i;

/** A copy of world `w` in which every node has its whole cycle budget again and no fault is left to inject. */
export function withFreshCycles(w: Uint8Array): Uint8Array {
  const fresh = w.slice();
  fresh[At.CrashesLeft] = 0;
  fresh[At.LinkFailuresLeft] = 0;
  fresh.fill(0, At.Cycles, At.Cycles + w[At.N]!);
  return fresh;
}

/** Bytes in an n-node world's header. */
export const headerLength = (n: number): number => At.Cycles + 2 * n;

/** Offsets inside a node's segment. */
export const enum NodeAt {
  Active = 0,
  Passive = 1,
  Pending = 2,
  Tried = 3,
  Exchanged = 4,
  AbandonedCount = 5,
  Abandoned = 6,
}

const LINK_DOWN_TAG = LINK_DOWN.t;

const maskOf = (ids: readonly NodeId[]): number => {
  let m = 0;
  for (let i = 0; i < ids.length; i++) m |= 1 << ids[i]!;
  return m;
};

/** The ids in mask `m`, ascending. */
export function idsOf(m: number): NodeId[] {
  const ids: NodeId[] = [];
  for (let id = 0; m !== 0; id++, m >>>= 1) if (m & 1) ids.push(id);
  return ids;
}

export function writeNode(buf: Uint8Array, pos: number, s: NodeState): number {
  buf[pos++] = maskOf(s.active);
  buf[pos++] = maskOf(s.passive);
  buf[pos++] = s.pending + 1;
  buf[pos++] = maskOf(s.tried);
  buf[pos++] = maskOf(s.exchanged);
  buf[pos++] = s.abandoned.length;
  for (let k = 0; k < s.abandoned.length; k++) buf[pos++] = s.abandoned[k]!;
  return pos;
}

/** Decodes the segment at `pos` of the node with id `id`. */
export function readNode(buf: Uint8Array, pos: number, id: NodeId): NodeState {
  const count = buf[pos + NodeAt.AbandonedCount]!;
  const abandoned: NodeId[] = [];
  for (let k = 0; k < count; k++) abandoned.push(buf[pos + NodeAt.Abandoned + k]!);
  return {
    id,
    active: idsOf(buf[pos + NodeAt.Active]!),
    passive: idsOf(buf[pos + NodeAt.Passive]!),
    pending: buf[pos + NodeAt.Pending]! - 1,
    tried: idsOf(buf[pos + NodeAt.Tried]!),
    exchanged: idsOf(buf[pos + NodeAt.Exchanged]!),
    abandoned,
  };
}

export function writePacket(buf: Uint8Array, pos: number, p: Packet): number {
  buf[pos++] = p.t;
  if (p === LINK_DOWN) return pos;
  const m = p as Message;
  switch (m.t) {
    case MsgType.ForwardJoin:
      buf[pos++] = m.newNode;
      buf[pos++] = m.ttl;
      break;
    case MsgType.Neighbor:
      buf[pos++] = m.high ? 1 : 0;
      break;
    case MsgType.NeighborReply:
      buf[pos++] = m.accepted ? 1 : 0;
      break;
    case MsgType.Shuffle:
      buf[pos++] = m.origin;
      buf[pos++] = m.ttl;
      pos = writeIds(buf, pos, m.ids);
      break;
    case MsgType.ShuffleReply:
      pos = writeIds(buf, pos, m.ids);
      break;
    default:
      break;
  }
  return pos;
}

function writeIds(buf: Uint8Array, pos: number, ids: readonly NodeId[]): number {
  buf[pos++] = ids.length;
  for (let k = 0; k < ids.length; k++) buf[pos++] = ids[k]!;
  return pos;
}

const readIds = (buf: Uint8Array, pos: number): NodeId[] => Array.from(buf.subarray(pos + 1, pos + 1 + buf[pos]!));

export function readPacket(buf: Uint8Array, pos: number): Packet {
  const t = buf[pos]!;
  switch (t) {
    case LINK_DOWN_TAG:
      return LINK_DOWN;
    case MsgType.ForwardJoin:
      return { t, newNode: buf[pos + 1]!, ttl: buf[pos + 2]! };
    case MsgType.Neighbor:
      return { t, high: buf[pos + 1] === 1 };
    case MsgType.NeighborReply:
      return { t, accepted: buf[pos + 1] === 1 };
    case MsgType.Shuffle:
      return { t, origin: buf[pos + 1]!, ttl: buf[pos + 2]!, ids: readIds(buf, pos + 3) };
    case MsgType.ShuffleReply:
      return { t, ids: readIds(buf, pos + 1) };
    default:
      return { t: t as typeof MsgType.Join | typeof MsgType.Disconnect };
  }
}

/** Bytes taken by the packet at `pos`. */
export function packetSize(buf: Uint8Array, pos: number): number {
  switch (buf[pos]!) {
    case MsgType.ForwardJoin:
      return 3;
    case MsgType.Neighbor:
    case MsgType.NeighborReply:
      return 2;
    case MsgType.Shuffle:
      return 4 + buf[pos + 3]!;
    case MsgType.ShuffleReply:
      return 2 + buf[pos + 1]!;
    default:
      return 1;
  }
}

export const isLinkDownAt = (buf: Uint8Array, pos: number): boolean => buf[pos] === LINK_DOWN_TAG;

/** Where each node and queue segment of one world starts; reusable across worlds of one size. */
export class WorldIndex {
  bytes: Uint8Array = new Uint8Array(0);
  /** Bytes in use: the world's length. */
  length = 0;
  /** Node i's segment starts at nodeAt[i]; nodeAt[n] is where the queues start. */
  readonly nodeAt: Int32Array;
  /** Queue q's count byte is at queueAt[q]; queueAt[n * n] is the world's end. */
  readonly queueAt: Int32Array;
  /** Where the last packet of queue q starts (undefined when it is empty). */
  readonly lastAt: Int32Array;
  inFlight = 0;

  constructor(readonly n: number) {
    this.nodeAt = new Int32Array(n + 1);
    this.queueAt = new Int32Array(n * n + 1);
    this.lastAt = new Int32Array(n * n);
  }

  /** Indexes `bytes` (a world of this index's size); returns this. */
  of(bytes: Uint8Array): this {
    const n = this.n;
    this.bytes = bytes;
    let pos = headerLength(n);
    for (let i = 0; i < n; i++) {
      this.nodeAt[i] = pos;
      pos += NodeAt.Abandoned + bytes[pos + NodeAt.AbandonedCount]!;
    }
    this.nodeAt[n] = pos;
    let inFlight = 0;
    for (let q = 0; q < n * n; q++) {
      this.queueAt[q] = pos;
      const count = bytes[pos++]!;
      inFlight += count;
      for (let k = 0; k < count; k++) {
        this.lastAt[q] = pos;
        pos += packetSize(bytes, pos);
      }
    }
    this.queueAt[n * n] = pos;
    this.length = pos;
    this.inFlight = inFlight;
    return this;
  }

  alive(i: number): boolean {
    return ((this.bytes[At.Alive]! >> i) & 1) === 1;
  }

  joined(i: number): boolean {
    return ((this.bytes[At.Joined]! >> i) & 1) === 1;
  }

  /** Node i's armed NEIGHBOR timers, a mask of peers. */
  timers(i: number): number {
    return this.bytes[timersAt(this.n, i)]!;
  }

  queueLength(q: number): number {
    return this.bytes[this.queueAt[q]!]!;
  }

  activeMask(i: number): number {
    return this.bytes[this.nodeAt[i]! + NodeAt.Active]!;
  }

  pending(i: number): NodeId {
    return this.bytes[this.nodeAt[i]! + NodeAt.Pending]! - 1;
  }

  abandons(i: number, peer: NodeId): boolean {
    const at = this.nodeAt[i]!;
    const count = this.bytes[at + NodeAt.AbandonedCount]!;
    for (let k = 0; k < count; k++) if (this.bytes[at + NodeAt.Abandoned + k] === peer) return true;
    return false;
  }

  /** The head packet of queue q (which must not be empty). */
  head(q: number): Packet {
    return readPacket(this.bytes, this.queueAt[q]! + 1);
  }

  /** Node i, decoded. */
  node(i: number): NodeState {
    return readNode(this.bytes, this.nodeAt[i]!, i);
  }

  /** Queue q's packets, oldest first. */
  queue(q: number): Packet[] {
    const out: Packet[] = [];
    const count = this.queueLength(q);
    for (let k = 0, pos = this.queueAt[q]! + 1; k < count; k++, pos += packetSize(this.bytes, pos)) out.push(readPacket(this.bytes, pos));
    return out;
  }
}

// A world's fingerprint is a sum (two 32-bit lanes) of one hash per part: each header byte (a
// fixed random pair per position and value, Zobrist-style), each node segment and each queue
// segment (hashed, seeded by slot: node i is slot i, queue q slot n + q). A transition changes
// few parts, so it finds its successor's fingerprint by adjusting its parent's, without writing
// the successor out.

const HEADER_PARTS = At.Cycles + 2 * 8; // MAX_CHECKER_NODES shuffle counts and timer masks
const ZOBRIST = (() => {
  const table = new Int32Array(HEADER_PARTS * 256 * 2);
  const h: Fingerprint = { hi: 0, lo: 0 };
  for (let k = 0; k < HEADER_PARTS * 256; k++) {
    hashRange(Uint8Array.of(k & 0xff, k >> 8), 0, 2, 0x2b0b, h);
    table[2 * k] = h.hi;
    table[2 * k + 1] = h.lo;
  }
  return table;
})();

/** Adds (sign 1) or subtracts (sign -1) header byte `value` at `position` to `sum`. */
export function addHeaderByte(sum: Fingerprint, position: number, value: number, sign: 1 | -1): void {
  const k = 2 * (position * 256 + value);
  sum.hi = (sum.hi + sign * ZOBRIST[k]!) | 0;
  sum.lo = (sum.lo + sign * ZOBRIST[k + 1]!) | 0;
}

/** The hash of segment bytes[from, to) in `slot`. */
export function hashSegment(bytes: Uint8Array, from: number, to: number, slot: number, out: Fingerprint): void {
  hashRange(bytes, from, to, slot + 1, out);
}

/** Adds (sign 1) or subtracts (sign -1) the hash of segment bytes[from, to) in `slot` to `sum`. */
export function addSegment(sum: Fingerprint, bytes: Uint8Array, from: number, to: number, slot: number, sign: 1 | -1, scratch: Fingerprint): void {
  hashSegment(bytes, from, to, slot, scratch);
  sum.hi = (sum.hi + sign * scratch.hi) | 0;
  sum.lo = (sum.lo + sign * scratch.lo) | 0;
}

/** The fingerprint of an indexed world, from scratch. */
export function fingerprintOf(index: WorldIndex, out: Fingerprint): void {
  const n = index.n;
  const scratch: Fingerprint = { hi: 0, lo: 0 };
  out.hi = out.lo = 0;
  for (let k = 0; k < headerLength(n); k++) addHeaderByte(out, k, index.bytes[k]!, 1);
  for (let i = 0; i < n; i++) addSegment(out, index.bytes, index.nodeAt[i]!, index.nodeAt[i + 1]!, i, 1, scratch);
  for (let q = 0; q < n * n; q++) addSegment(out, index.bytes, index.queueAt[q]!, index.queueAt[q + 1]!, n + q, 1, scratch);
}

/** A world's 64-bit fingerprint, from scratch. */
export function worldFingerprint(w: Uint8Array, out: Fingerprint): void {
  fingerprintOf(new WorldIndex(w[At.N]!).of(w), out);
}

/** A world's fields as plain values: for building worlds, for tests and for reading one in full. */
export interface WorldView {
  readonly alive: number;
  readonly joined: number;
  readonly formed: boolean;
  readonly crashesLeft: number;
  readonly linkFailuresLeft: number;
  readonly earlyTimeoutsLeft: number;
  readonly cyclesUsed: readonly number[];
  /** Per node, the peers with an armed NEIGHBOR timer (ascending). */
  readonly timers: readonly (readonly NodeId[])[];
  readonly nodes: readonly NodeState[];
  /** queues[from * n + to], oldest packet first. */
  readonly queues: readonly (readonly Packet[])[];
}

export function decodeWorld(w: Uint8Array): WorldView {
  const n = w[At.N]!;
  const index = new WorldIndex(n).of(w);
  return {
    alive: w[At.Alive]!,
    joined: w[At.Joined]!,
    formed: w[At.Formed] === 1,
    crashesLeft: w[At.CrashesLeft]!,
    linkFailuresLeft: w[At.LinkFailuresLeft]!,
    earlyTimeoutsLeft: w[At.EarlyTimeoutsLeft]!,
    cyclesUsed: Array.from(w.subarray(At.Cycles, At.Cycles + n)),
    timers: Array.from({ length: n }, (_, i) => idsOf(index.timers(i))),
    nodes: Array.from({ length: n }, (_, i) => index.node(i)),
    queues: Array.from({ length: n * n }, (_, q) => index.queue(q)),
  };
}

export function encodeWorld(v: WorldView): Uint8Array {
  const n = v.nodes.length;
  const buf = new Uint8Array(1 << 16);
  buf[At.N] = n;
  buf[At.Alive] = v.alive;
  buf[At.Joined] = v.joined;
  buf[At.Formed] = v.formed ? 1 : 0;
  buf[At.CrashesLeft] = v.crashesLeft;
  buf[At.LinkFailuresLeft] = v.linkFailuresLeft;
  buf[At.EarlyTimeoutsLeft] = v.earlyTimeoutsLeft;
  for (let i = 0; i < n; i++) buf[At.Cycles + i] = v.cyclesUsed[i]!;
  for (let i = 0; i < n; i++) buf[timersAt(n, i)] = maskOf(v.timers[i] ?? []);
  let pos = headerLength(n);
  for (const node of v.nodes) pos = writeNode(buf, pos, node);
  for (let q = 0; q < n * n; q++) {
    const queue = v.queues[q] ?? [];
    buf[pos++] = queue.length;
    for (const p of queue) pos = writePacket(buf, pos, p);
  }
  return buf.slice(0, pos);
}
