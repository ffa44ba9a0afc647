// Canonical byte encoding of a world: equal worlds give equal bytes (views are sorted, dead
// nodes are reset), and the bytes decode back to the world. The checker hashes these bytes
// for its visited set and keeps them, not objects, in its BFS frontier.
import { type Message, MsgType, type NodeId } from '../../models/hyparview/messages.ts';
import { NONE, type NodeState } from '../../models/hyparview/node.ts';
import { LINK_DOWN, type Packet, type World } from './world.ts';

const LINK_DOWN_TAG = 7;

export class Encoder {
  /** Reused output buffer; `encode` returns how many bytes of it are valid. */
  readonly buf = new Uint8Array(1 << 16);
  private pos = 0;

  private byte(v: number): void {
    this.buf[this.pos++] = v;
  }

  private ids(ids: readonly NodeId[]): void {
    this.byte(ids.length);
    for (let i = 0; i < ids.length; i++) this.buf[this.pos++] = ids[i]!;
  }

  encode(w: World): number {
    this.pos = 0;
    const n = w.nodes.length;
    this.byte(w.alive);
    this.byte(w.joined);
    this.byte(w.formed ? 1 : 0);
    this.byte(w.crashesLeft);
    this.byte(w.linkFailuresLeft);
    this.byte(w.earlyTimeoutsLeft);
    for (let i = 0; i < n; i++) this.byte(w.cyclesUsed[i]!);
    for (let i = 0; i < n; i++) {
      const s = w.nodes[i]!;
      this.ids(s.active);
      this.ids(s.passive);
      this.byte(s.pending + 1);
      this.ids(s.tried);
      this.ids(s.exchanged);
    }
    for (let q = 0; q < w.queues.length; q++) {
      const queue = w.queues[q]!;
      this.byte(queue.length);
      for (let k = 0; k < queue.length; k++) this.packet(queue[k]!);
    }
    return this.pos;
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

export function decodeWorld(bytes: Uint8Array, n: number): World {
  let pos = 0;
  const byte = (): number => bytes[pos++]!;
  const ids = (): NodeId[] => {
    const len = byte();
    const out = new Array<NodeId>(len);
    for (let i = 0; i < len; i++) out[i] = byte();
    return out;
  };
  const alive = byte();
  const joined = byte();
  const formed = byte() === 1;
  const crashesLeft = byte();
  const linkFailuresLeft = byte();
  const earlyTimeoutsLeft = byte();
  const cyclesUsed: number[] = [];
  for (let i = 0; i < n; i++) cyclesUsed.push(byte());
  const nodes: NodeState[] = [];
  for (let i = 0; i < n; i++) {
    const active = ids();
    const passive = ids();
    const pending = byte() - 1;
    nodes.push({ id: i, active, passive, pending: pending < 0 ? NONE : pending, tried: ids(), exchanged: ids() });
  }
  const packet = (): Packet => {
    const t = byte();
    switch (t) {
      case LINK_DOWN_TAG:
        return LINK_DOWN;
      case MsgType.ForwardJoin:
        return { t, newNode: byte(), ttl: byte() };
      case MsgType.Neighbor:
        return { t, high: byte() === 1 };
      case MsgType.NeighborReply:
        return { t, accepted: byte() === 1 };
      case MsgType.Shuffle:
        return { t, origin: byte(), ttl: byte(), ids: ids() };
      case MsgType.ShuffleReply:
        return { t, ids: ids() };
      default:
        return { t: t as typeof MsgType.Join | typeof MsgType.Disconnect };
    }
  };
  const queues: Packet[][] = [];
  for (let q = 0; q < n * n; q++) {
    const len = byte();
    const queue: Packet[] = [];
    for (let k = 0; k < len; k++) queue.push(packet());
    queues.push(queue);
  }
  return { nodes, alive, joined, formed, cyclesUsed, crashesLeft, linkFailuresLeft, earlyTimeoutsLeft, queues };
}
