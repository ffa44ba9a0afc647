// The engine's pending events, each in a slot of one Int32Array: one cache line holding the
// event's fields and, for a protocol with a message codec, its message. A message in flight is
// then no heap object: at 10^5 nodes tens of thousands are in flight at any time, and as objects
// they outlived young-generation GCs and cost copies and promotions (BENCHMARKS.md, simulator).
import type { NodeId } from '../../models/hyparview/messages.ts';

export interface MessageCodec {
  /** Writes `msg` into `words` words at `pos`; false when it does not fit (the pool keeps the object). */
  pack(msg: unknown, words: number, slots: Int32Array, pos: number): boolean;
  /** The message at `pos`, in an object reused by the next unpack (the engine hands it to one step). */
  unpack(slots: Int32Array, pos: number): unknown;
}

/** An event as the engine handles it, read out of its slot. */
export interface Ev {
  k: number;
  to: NodeId;
  /** The sender, the failed peer, the timer's peer, the joining contact. */
  peer: NodeId;
  /** Broadcast index (copies) or timer generation (timeouts). */
  x: number;
  /** Hop count of a broadcast copy. */
  hop: number;
  msg: unknown;
}

/** Words in a slot: one 64-byte cache line. */
const SLOT = 16;
/** Words of an event bound for another shard: its time, then its slot. */
export const RECORD = 1 + SLOT;
const enum At {
  /** kind | PACKED | OBJECT | hop << 5 */
  Head,
  To,
  Peer,
  X,
  Msg,
}
/** Words a packed message may take. */
export const MESSAGE_WORDS = SLOT - At.Msg;
/** The slot holds the message. */
const PACKED = 8;
/** The message is in `objects`. */
const OBJECT = 16;

export class EventPool {
  private constructor(
    private slots: Int32Array,
    /** Messages the codec did not pack, by slot. */
    private readonly objects: unknown[],
    private readonly free: number[],
    private used: number,
    private readonly codec: MessageCodec | undefined,
  ) {}

  static empty(codec?: MessageCodec): EventPool {
    return new EventPool(new Int32Array(SLOT * 1024), [], [], 0, codec);
  }

  /** A slot holding the event; `kind` below 8, `hop` below 2^26. */
  add(kind: number, to: NodeId, peer: NodeId, x: number, hop: number, msg: unknown): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.used++;
      if (this.used * SLOT > this.slots.length) {
        const grown = new Int32Array(this.slots.length * 2);
        grown.set(this.slots);
        this.slots = grown;
      }
    }
    const pos = slot * SLOT;
    const s = this.slots;
    let head = kind | (hop << 5);
    if (msg !== null) {
      if (this.codec?.pack(msg, MESSAGE_WORDS, s, pos + At.Msg)) {
        head |= PACKED;
      } else {
        head |= OBJECT;
        this.objects[slot] = msg;
      }
    }
    s[pos] = head;
    s[pos + At.To] = to;
    s[pos + At.Peer] = peer;
    s[pos + At.X] = x;
    return slot;
  }

  /** The event's kind. */
  kind(slot: number): number {
    return this.slots[slot * SLOT]! & 7;
  }

  /** The event's addressee. */
  to(slot: number): NodeId {
    return this.slots[slot * SLOT + At.To]!;
  }

  /** Reads the event in `slot` into `into` and frees the slot. */
  take(slot: number, into: Ev): Ev {
    const s = this.slots;
    const pos = slot * SLOT;
    const head = s[pos]!;
    into.k = head & 7;
    into.hop = head >>> 5;
    into.to = s[pos + At.To]!;
    into.peer = s[pos + At.Peer]!;
    into.x = s[pos + At.X]!;
    if (head & PACKED) {
      into.msg = this.codec!.unpack(s, pos + At.Msg);
    } else if (head & OBJECT) {
      into.msg = this.objects[slot];
      this.objects[slot] = undefined;
    } else {
      into.msg = null;
    }
    this.free.push(slot);
    return into;
  }

  /** Moves the event in `slot` into `out`, due at `time` in the shard it goes to, and frees the slot. */
  moveOut(slot: number, time: number, out: Outbox): void {
    const pos = out.reserve();
    const words = out.words;
    const s = this.slots;
    words[pos] = time;
    // Word by word: a subarray to copy from costs more than the 16 words (one view object per event).
    for (let i = 0; i < SLOT; i++) words[pos + 1 + i] = s[slot * SLOT + i]!;
    if (s[slot * SLOT]! & OBJECT) {
      out.objects[out.count - 1] = this.objects[slot];
      this.objects[slot] = undefined;
    }
    this.free.push(slot);
  }

  /** A slot holding the event recorded at `pos` of `words` (an outbox or a channel), with its message object if it has one. */
  moveIn(words: Int32Array, pos: number, object: unknown): number {
    const slot = this.add(0, 0, 0, 0, 0, null);
    const s = this.slots;
    for (let i = 0; i < SLOT; i++) s[slot * SLOT + i] = words[pos + 1 + i]!;
    if (s[slot * SLOT]! & OBJECT) this.objects[slot] = object;
    return slot;
  }

  /** A copy whose messages are deep copies, so the two pools run apart. */
  clone(): EventPool {
    return new EventPool(this.slots.slice(), structuredClone(this.objects), this.free.slice(), this.used, this.codec);
  }

  /** What another thread needs to take the pool over (its messages must all be packed). */
  detach(): PoolState {
    if (this.objects.some((m) => m !== undefined)) throw new Error('an event pool with unpacked messages cannot move between threads');
    return { slots: this.slots, free: this.free, used: this.used };
  }

  static attach(state: PoolState, codec: MessageCodec | undefined): EventPool {
    return new EventPool(state.slots, [], state.free, state.used, codec);
  }
}

export interface PoolState {
  readonly slots: Int32Array;
  readonly free: number[];
  readonly used: number;
}

/** Events bound for another shard, as records (RECORD words each) and the messages the codec did not pack, by record. */
export class Outbox {
  words = new Int32Array(RECORD * 256);
  count = 0;
  objects: unknown[] = [];

  /** The position of a new record. */
  reserve(): number {
    if ((this.count + 1) * RECORD > this.words.length) {
      const grown = new Int32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    return this.count++ * RECORD;
  }

  /** Appends `count` records from word `at` of `words` (a channel: no message objects). */
  append(words: Int32Array, at: number, count: number): void {
    for (let i = 0; i < count; i++) {
      const pos = this.reserve();
      for (let j = 0; j < RECORD; j++) this.words[pos + j] = words[at + i * RECORD + j]!;
    }
  }

  clear(): void {
    this.count = 0;
    if (this.objects.length > 0) this.objects = [];
  }
}
