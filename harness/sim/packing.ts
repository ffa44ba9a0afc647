// HyParView's state and messages packed into int32 words, for the simulator's node store
// (store.ts) and event pool (events.ts). The node runs unchanged on what they unpack.
import type { HyParViewConfig } from '../../models/hyparview/config.ts';
import { type Message, MsgType, type NodeId } from '../../models/hyparview/messages.ts';
import { cloneNode, NONE, type NodeState } from '../../models/hyparview/node.ts';
import type { MessageCodec } from './events.ts';
import type { StateCodec } from './store.ts';

/** Overwrites `view` with the `n` words at `from`. */
function fill(view: NodeId[], slots: Int32Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) view[i] = slots[from + i]!;
  while (view.length > n) view.pop();
}

function put(view: readonly NodeId[], slots: Int32Array, at: number): void {
  for (let i = 0; i < view.length; i++) slots[at + i] = view[i]!;
}

/** A state's lists, as their lengths stand in the slot's header (hyparviewStates orders their regions). */
const enum List {
  Active,
  Passive,
  Tried,
  Exchanged,
  Abandoned,
}
const LISTS = 5;
/** Slot words before the lists: pending, then each list's length. */
const HEADER = 1 + LISTS;

/**
 * The store's scratch state: pending comes out of the slot at once, each list only when the step
 * first reads it, and only lists read are written back. A relayed SHUFFLE or a stale timeout (half
 * the events of a large run) reads the active view or nothing, so the passive view stays put.
 */
class PackedNode implements NodeState {
  id: NodeId = 0;
  pending: NodeId = NONE;
  /** Bit l: list l was read out of the slot (or replaced) since the unpack. */
  loaded = 0;
  slots: Int32Array = new Int32Array(0);
  pos = 0;
  readonly lists: NodeId[][] = [[], [], [], [], []];

  constructor(readonly offsets: Int32Array) {}

  list(l: List): NodeId[] {
    const view = this.lists[l]!;
    if ((this.loaded & (1 << l)) === 0) {
      fill(view, this.slots, this.pos + this.offsets[l]!, this.slots[this.pos + 1 + l]!);
      this.loaded |= 1 << l;
    }
    return view;
  }

  replace(l: List, view: NodeId[]): void {
    this.lists[l] = view;
    this.loaded |= 1 << l;
  }

  get active(): NodeId[] {
    return this.list(List.Active);
  }
  set active(v: NodeId[]) {
    this.replace(List.Active, v);
  }
  get passive(): NodeId[] {
    return this.list(List.Passive);
  }
  set passive(v: NodeId[]) {
    this.replace(List.Passive, v);
  }
  get tried(): NodeId[] {
    return this.list(List.Tried);
  }
  set tried(v: NodeId[]) {
    this.replace(List.Tried, v);
  }
  get exchanged(): NodeId[] {
    return this.list(List.Exchanged);
  }
  set exchanged(v: NodeId[]) {
    this.replace(List.Exchanged, v);
  }
  get abandoned(): NodeId[] {
    return this.list(List.Abandoned);
  }
  set abandoned(v: NodeId[]) {
    this.replace(List.Abandoned, v);
  }
}

/**
 * A HyParView state in one slot: pending and the five lists' lengths, then each list in a region
 * of its own: room for a full active and passive view, a tried list as long as the passive view,
 * one shuffle's ids and four abandoned requests. A state beyond that (a mutant's) stays an object.
 * The tried list, empty but in a refill, comes last, so most steps read the slot's first lines only.
 */
export function hyparviewStates(config: HyParViewConfig): StateCodec<NodeState> {
  const room = [config.activeSize, config.passiveSize, config.passiveSize, config.ka + config.kp, 4];
  const offsets = new Int32Array(LISTS);
  let words = HEADER;
  for (const l of [List.Active, List.Exchanged, List.Abandoned, List.Passive, List.Tried]) {
    offsets[l] = words;
    words += room[l]!;
  }
  const fits = (view: readonly NodeId[], l: List) => view.length <= room[l]!;
  const write = (view: readonly NodeId[], l: List, slots: Int32Array, pos: number) => {
    slots[pos + 1 + l] = view.length;
    put(view, slots, pos + offsets[l]!);
  };
  return {
    words,
    // Through the first words of the tried list.
    hot: Math.min(words, offsets[List.Tried]! + 4),
    scratch: () => new PackedNode(offsets),
    pack(s, slots, pos) {
      if (s instanceof PackedNode && s.slots === slots && s.pos === pos) {
        const { loaded, lists } = s;
        for (let l = 0; l < LISTS; l++) if (loaded & (1 << l) && !fits(lists[l]!, l)) return false;
        slots[pos] = s.pending;
        for (let l = 0; l < LISTS; l++) if (loaded & (1 << l)) write(lists[l]!, l, slots, pos);
        return true;
      }
      const all = [s.active, s.passive, s.tried, s.exchanged, s.abandoned];
      if (!all.every(fits)) return false;
      slots[pos] = s.pending;
      all.forEach((view, l) => write(view, l, slots, pos));
      return true;
    },
    unpack(slots, pos, id, into) {
      const s = into as PackedNode;
      s.id = id;
      s.pending = slots[pos]!;
      s.slots = slots;
      s.pos = pos;
      s.loaded = 0;
      return s;
    },
    copy: cloneNode,
  };
}

const NO_IDS: readonly NodeId[] = [];

/**
 * A HyParView message in an event's slot: its type and id count, its two numeric fields, then
 * its ids. Unpacked into one object per type, reused: a step reads its message and never keeps
 * it (a relayed SHUFFLE's ids are packed again before the next unpack).
 */
export function hyparviewMessages(): MessageCodec {
  const ids: NodeId[] = [];
  const reused = {
    [MsgType.Join]: { t: MsgType.Join },
    [MsgType.ForwardJoin]: { t: MsgType.ForwardJoin, newNode: 0, ttl: 0 },
    [MsgType.Neighbor]: { t: MsgType.Neighbor, high: false },
    [MsgType.NeighborReply]: { t: MsgType.NeighborReply, accepted: false },
    [MsgType.Disconnect]: { t: MsgType.Disconnect },
    [MsgType.Shuffle]: { t: MsgType.Shuffle, origin: 0, ids, ttl: 0 },
    [MsgType.ShuffleReply]: { t: MsgType.ShuffleReply, ids },
  };
  return {
    pack(message, words, slots, pos) {
      const m = message as Message;
      let a = 0;
      let b = 0;
      let list = NO_IDS;
      switch (m.t) {
        case MsgType.ForwardJoin:
          a = m.newNode;
          b = m.ttl;
          break;
        case MsgType.Neighbor:
          a = m.high ? 1 : 0;
          break;
        case MsgType.NeighborReply:
          a = m.accepted ? 1 : 0;
          break;
        case MsgType.Shuffle:
          a = m.origin;
          b = m.ttl;
          list = m.ids;
          break;
        case MsgType.ShuffleReply:
          list = m.ids;
          break;
      }
      if (3 + list.length > words) return false;
      slots[pos] = m.t | (list.length << 8);
      slots[pos + 1] = a;
      slots[pos + 2] = b;
      put(list, slots, pos + 3);
      return true;
    },
    unpack(slots, pos) {
      const head = slots[pos]!;
      const a = slots[pos + 1]!;
      const b = slots[pos + 2]!;
      const t = (head & 0xff) as MsgType;
      const m = reused[t] as { t: MsgType; newNode: number; ttl: number; high: boolean; accepted: boolean; origin: number };
      switch (t) {
        case MsgType.ForwardJoin:
          m.newNode = a;
          m.ttl = b;
          break;
        case MsgType.Neighbor:
          m.high = a === 1;
          break;
        case MsgType.NeighborReply:
          m.accepted = a === 1;
          break;
        case MsgType.Shuffle:
          m.origin = a;
          m.ttl = b;
          fill(ids, slots, pos + 3, head >>> 8);
          break;
        case MsgType.ShuffleReply:
          fill(ids, slots, pos + 3, head >>> 8);
          break;
      }
      return m;
    },
  };
}
