// Canonical byte encoding of a world: equal worlds give equal bytes (views are sorted, dead
// nodes are reset), and the bytes decode back to the world. Each node and each queue is also
// hashed on its own and the hashes summed, so a transition rehashes only what it touched and a
// state already visited is recognised without encoding it whole.
import { type Message, MsgType, type NodeId } from '../../models/hyparview/messages.ts';
import { NONE, type NodeState } from '../../models/hyparview/node.ts';
import { type Fingerprint, fingerprint, fingerprintWords } from './fingerprint.ts';
import { LINK_DOWN, type Packet } from './packets.ts';
import type { World } from './world.ts';

const LINK_DOWN_TAG = 7;

export class Encoder {
  /** Reused output buffer; each method returns how many bytes of it are valid. */
  readonly buf = new Uint8Array(1 << 16);
  private pos = 0;

  private byte(v: number): void {
    this.buf[this.pos++] = v;
  }

  private ids(ids: readonly NodeId[]): void {
    this.buf[this.pos++] = ids.length;
    for (let i = 0; i < ids.length; i++) this.buf[this.pos++] = ids[i]!;
  }

  encode(w: World): number {
    this.pos = 0;
    this.header(w);
    for (const s of w.nodes) this.node(s);
    for (const q of w.queues) this.queue(q);
    return this.pos;
  }

  /** The world's fields outside nodes and queues. */
  encodeHeader(w: World): number {
    this.pos = 0;
    this.header(w);
    return this.pos;
  }

  encodeNode(s: NodeState): number {
    this.pos = 0;
    this.node(s);
    return this.pos;
  }

  encodeQueue(q: readonly Packet[]): number {
    this.pos = 0;
    this.queue(q);
    return this.pos;
  }

  private header(w: World): void {
    this.byte(w.alive);
    this.byte(w.joined);
    this.byte(w.formed ? 1 : 0);
    this.byte(w.crashesLeft);
    this.byte(w.linkFailuresLeft);
    this.byte(w.earlyTimeoutsLeft);
    for (let i = 0; i < w.cyclesUsed.length; i++) this.byte(w.cyclesUsed[i]!);
  }

  private node(s: NodeState): void {
    this.ids(s.active);
    this.ids(s.passive);
    this.byte(s.pending + 1);
    this.ids(s.tried);
    this.ids(s.exchanged);
    this.ids(s.abandoned);
  }

  private queue(q: readonly Packet[]): void {
    this.byte(q.length);
    for (let k = 0; k < q.length; k++) this.packet(q[k]!);
  }

  private packet(p: Packet): void {
    if (p === LINK_DOWN) return this.byte(LINK_DOWN_TAG);
    const m = p as Message;
    this.byte(m.t);
    switch (m.t) {
      case MsgType.ForwardJoin:
        this.byte(m.newNode);
        this.byte(m.ttl);
        break;
      case MsgType.Neighbor:
        this.byte(m.high ? 1 : 0);
        break;
      case MsgType.NeighborReply:
        this.byte(m.accepted ? 1 : 0);
        break;
      case MsgType.Shuffle:
        this.byte(m.origin);
        this.byte(m.ttl);
        this.ids(m.ids);
        break;
      case MsgType.ShuffleReply:
        this.ids(m.ids);
        break;
      default:
        break;
    }
  }
}

const scratch = new Encoder();
const fp: Fingerprint = { hi: 0, lo: 0 };

/** Hashes component `slot` (node i, or n + queue index) into `fp`, seeded by its slot. */
function hashComponent(slot: number, nodes: readonly NodeState[], queues: readonly (readonly Packet[])[]): void {
  const n = nodes.length;
  const len = slot < n ? scratch.encodeNode(nodes[slot]!) : scratch.encodeQueue(queues[slot - n]!);
  fingerprint(scratch.buf, len, fp, slot + 1);
}

/** Sets the world's component sum from scratch (a world just built or decoded). */
export function digestWorld(w: { -readonly [K in keyof World]: World[K] }): World {
  let sumHi = 0;
  let sumLo = 0;
  for (let slot = 0; slot < w.nodes.length + w.queues.length; slot++) {
    hashComponent(slot, w.nodes, w.queues);
    sumHi = (sumHi + fp.hi) | 0;
    sumLo = (sumLo + fp.lo) | 0;
  }
  w.sumHi = sumHi;
  w.sumLo = sumLo;
  return w;
}

/**
 * The component sum of a world derived from `parent` by replacing the components in `touched`:
 * each one's old hash is subtracted and its new hash added (incremental, Zobrist-style).
 */
export function updateSum(parent: World, nodes: readonly NodeState[], queues: readonly (readonly Packet[])[], touched: readonly number[]): [number, number] {
  let sumHi = parent.sumHi;
  let sumLo = parent.sumLo;
  for (const slot of touched) {
    hashComponent(slot, parent.nodes, parent.queues);
    sumHi = (sumHi - fp.hi) | 0;
    sumLo = (sumLo - fp.lo) | 0;
    hashComponent(slot, nodes, queues);
    sumHi = (sumHi + fp.hi) | 0;
    sumLo = (sumLo + fp.lo) | 0;
  }
  return [sumHi, sumLo];
}

/** The world's 64-bit fingerprint: its header bytes, then its component sum. */
export function worldFingerprint(w: World, out: Fingerprint): void {
  fingerprint(scratch.buf, scratch.encodeHeader(w), out, 0x51ed);
  fingerprintWords(w.sumHi, w.sumLo, out);
}

class Decoder {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    return this.bytes[this.pos++]!;
  }

  ids(): NodeId[] {
    const len = this.byte();
    const out = new Array<NodeId>(len);
    for (let i = 0; i < len; i++) out[i] = this.byte();
    return out;
  }

  packet(): Packet {
    const t = this.byte();
    switch (t) {
      case LINK_DOWN_TAG:
        return LINK_DOWN;
      case MsgType.ForwardJoin:
        return { t, newNode: this.byte(), ttl: this.byte() };
      case MsgType.Neighbor:
        return { t, high: this.byte() === 1 };
      case MsgType.NeighborReply:
        return { t, accepted: this.byte() === 1 };
      case MsgType.Shuffle:
        return { t, origin: this.byte(), ttl: this.byte(), ids: this.ids() };
      case MsgType.ShuffleReply:
        return { t, ids: this.ids() };
      default:
        return { t: t as typeof MsgType.Join | typeof MsgType.Disconnect };
    }
  }
}

/** Decodes a world; `sums`, when the caller kept them, spares rehashing every component. */
export function decodeWorld(bytes: Uint8Array, n: number, sums?: { hi: number; lo: number }): World {
  const d = new Decoder(bytes);
  const alive = d.byte();
  const joined = d.byte();
  const formed = d.byte() === 1;
  const crashesLeft = d.byte();
  const linkFailuresLeft = d.byte();
  const earlyTimeoutsLeft = d.byte();
  const cyclesUsed: number[] = [];
  for (let i = 0; i < n; i++) cyclesUsed.push(d.byte());
  const nodes: NodeState[] = [];
  for (let i = 0; i < n; i++) {
    const active = d.ids();
    const passive = d.ids();
    const pending = d.byte() - 1;
    nodes.push({ id: i, active, passive, pending: pending < 0 ? NONE : pending, tried: d.ids(), exchanged: d.ids(), abandoned: d.ids() });
  }
  const queues: Packet[][] = [];
  for (let q = 0; q < n * n; q++) {
    const len = d.byte();
    const queue: Packet[] = [];
    for (let k = 0; k < len; k++) queue.push(d.packet());
    queues.push(queue);
  }
  const w = { nodes, alive, joined, formed, cyclesUsed, crashesLeft, linkFailuresLeft, earlyTimeoutsLeft, queues, sumHi: sums?.hi ?? 0, sumLo: sums?.lo ?? 0 };
  return sums ? w : digestWorld(w);
}
