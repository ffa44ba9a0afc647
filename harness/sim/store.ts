// The engine's node states: the protocol's own objects, or, for a protocol with a codec, one
// fixed slot of int32 words per node in a single Int32Array, unpacked into a scratch state for
// each step and packed back after it. At 10^5 nodes a step then reads a few adjacent cache
// lines instead of a dozen heap objects scattered over the old generation, and a copy of the
// whole network is one array copy (BENCHMARKS.md, simulator, seventh session).
import type { NodeId } from '../../models/hyparview/messages.ts';

export interface StateCodec<S> {
  /** Words in a node's slot. */
  readonly words: number;
  /** Words from the slot's start that most steps read: the store's `touch` fetches their lines. */
  readonly hot: number;
  /** Writes `s` at `pos`; false when it does not fit (the store then keeps it as an object). */
  pack(s: S, slots: Int32Array, pos: number): boolean;
  /** Reads the slot at `pos` into `into` (the scratch state), and returns it. */
  unpack(slots: Int32Array, pos: number, id: NodeId, into: S): S;
  /** A deep copy, sharing no array with `s`. */
  copy(s: S): S;
  /** The state the store unpacks each slot into. */
  scratch(): S;
}

export interface NodeStore<S> {
  /** The store holds nodes first .. first + size - 1 (a shard's range of the network). */
  readonly first: NodeId;
  readonly size: number;
  /** States in slots of a typed array (else objects). */
  readonly packed: boolean;
  /**
   * Node `id`'s state, to read or to step: valid until the next `view` (a packed store hands out
   * one scratch state). After a step, `save` it.
   */
  view(id: NodeId): S;
  save(id: NodeId, s: S): void;
  /** Reads a word of each cache line of the hot part of node `id`'s state, so that they are on their way before its step (a packed store; objects ignore it). */
  touch(id: NodeId): number;
  /** Node `id`'s state as a copy the caller may keep. */
  copy(id: NodeId): S;
  /** Node `id` starts afresh. */
  reset(id: NodeId): void;
  clone(): NodeStore<S>;
  /** A store of its nodes `first` .. `first + size - 1` alone, sharing nothing with this one. */
  slice(first: NodeId, size: number): NodeStore<S>;
  /** What another thread needs to take the store over (packed stores): its words move, not copied. */
  detach(): PackedStoreState<S>;
}

/** A packed store in transit between threads. */
export interface PackedStoreState<S> {
  readonly first: NodeId;
  readonly size: number;
  readonly slots: Int32Array;
  readonly spilled: ReadonlyArray<readonly [NodeId, S]>;
}

/** A store of nodes `first` .. `first + nodes - 1`, each starting from `init`. */
export function makeStore<S>(nodes: number, init: (id: NodeId) => S, codec?: StateCodec<S>, first = 0): NodeStore<S> {
  return codec ? PackedStore.fresh(first, nodes, init, codec) : ObjectStore.fresh(first, nodes, init);
}

/** The packed store a thread detached, taken over by this one. */
export function attachStore<S>(state: PackedStoreState<S>, init: (id: NodeId) => S, codec: StateCodec<S>): NodeStore<S> {
  return new PackedStore(state.slots, new Map(state.spilled), state.first, state.size, init, codec);
}

class ObjectStore<S> implements NodeStore<S> {
  readonly packed = false;

  private constructor(readonly first: NodeId, private readonly states: S[], private readonly init: (id: NodeId) => S) {}

  static fresh<S>(first: NodeId, nodes: number, init: (id: NodeId) => S): ObjectStore<S> {
    return new ObjectStore(first, Array.from({ length: nodes }, (_, i) => init(first + i)), init);
  }

  get size(): number {
    return this.states.length;
  }

  view(id: NodeId): S {
    return this.states[id - this.first]!;
  }

  save(): void {}

  touch(): number {
    return 0;
  }

  copy(id: NodeId): S {
    return structuredClone(this.view(id));
  }

  reset(id: NodeId): void {
    this.states[id - this.first] = this.init(id);
  }

  clone(): ObjectStore<S> {
    return new ObjectStore(this.first, structuredClone(this.states), this.init);
  }

  slice(first: NodeId, size: number): ObjectStore<S> {
    return new ObjectStore(first, this.states.slice(first - this.first, first - this.first + size), this.init);
  }

  detach(): never {
    throw new Error('only a packed store moves between threads');
  }
}

class PackedStore<S> implements NodeStore<S> {
  readonly packed = true;
  private readonly scratch: S;

  constructor(
    private readonly slots: Int32Array,
    /** States that did not fit their slot, kept as objects. */
    private readonly spilled: Map<NodeId, S>,
    readonly first: NodeId,
    readonly size: number,
    private readonly init: (id: NodeId) => S,
    private readonly codec: StateCodec<S>,
  ) {
    this.scratch = codec.scratch();
  }

  static fresh<S>(first: NodeId, nodes: number, init: (id: NodeId) => S, codec: StateCodec<S>): PackedStore<S> {
    const store = new PackedStore(new Int32Array(nodes * codec.words), new Map(), first, nodes, init, codec);
    for (let i = 0; i < nodes; i++) store.reset(first + i);
    return store;
  }

  view(id: NodeId): S {
    if (this.spilled.size !== 0) {
      const s = this.spilled.get(id);
      if (s !== undefined) return s;
    }
    return this.codec.unpack(this.slots, (id - this.first) * this.codec.words, id, this.scratch);
  }

  save(id: NodeId, s: S): void {
    if (this.codec.pack(s, this.slots, (id - this.first) * this.codec.words)) {
      if (this.spilled.size !== 0) this.spilled.delete(id);
    } else if (s === this.scratch) {
      this.spilled.set(id, this.codec.copy(s));
    } else {
      this.spilled.set(id, s);
    }
  }

  touch(id: NodeId): number {
    const { words, hot } = this.codec;
    const pos = (id - this.first) * words;
    let read = this.slots[pos + hot - 1]!;
    for (let i = 0; i < hot; i += 16) read ^= this.slots[pos + i]!;
    return read;
  }

  copy(id: NodeId): S {
    return this.codec.copy(this.view(id));
  }

  reset(id: NodeId): void {
    this.save(id, this.init(id));
  }

  clone(): PackedStore<S> {
    const spilled = new Map([...this.spilled].map(([id, s]) => [id, this.codec.copy(s)]));
    return new PackedStore(this.slots.slice(), spilled, this.first, this.size, this.init, this.codec);
  }

  slice(first: NodeId, size: number): PackedStore<S> {
    const { words } = this.codec;
    const from = (first - this.first) * words;
    const spilled = new Map([...this.spilled].filter(([id]) => id >= first && id < first + size));
    return new PackedStore(this.slots.slice(from, from + size * words), spilled, first, size, this.init, this.codec);
  }

  detach(): PackedStoreState<S> {
    return { first: this.first, size: this.size, slots: this.slots, spilled: [...this.spilled] };
  }
}
