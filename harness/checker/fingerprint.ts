// 64-bit state fingerprints, the checker's visited set and its byte-keyed caches. Hand-written
// because this is the hot loop: a murmur3-style hash in two independent 32-bit lanes, and an
// open-addressing table of (hi, lo) pairs in one Uint32Array, 8 bytes a slot (see BENCHMARKS.md).

export interface Fingerprint {
  hi: number;
  lo: number;
}

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes bytes[from, to) into `out`; different seeds give unrelated hashes of the same bytes. */
export function hashRange(bytes: Uint8Array, from: number, to: number, seed: number, out: Fingerprint): void {
  let h1 = 0x9747b28c ^ seed;
  let h2 = 0x1b873593 ^ Math.imul(seed, 0x85ebca6b);
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h1 = mix(h1, k);
    h2 = mix(h2, k ^ 0x5bd1e995);
  }
  let tail = 0;
  for (let shift = 0; i < to; i++, shift += 8) tail |= bytes[i]! << shift;
  h1 = mix(h1, tail);
  h2 = mix(h2, tail ^ 0x5bd1e995);
  out.hi = finish(h1, to - from);
  out.lo = finish(h2 ^ h1, to - from);
}

/** A one-lane hash of bytes[0, len): enough to pick a bucket when keys are compared anyway. */
function hash32(bytes: Uint8Array, len: number): number {
  let h = 0x9747b28c;
  let i = 0;
  for (; i + 4 <= len; i += 4) h = mix(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  let tail = 0;
  for (let shift = 0; i < len; i++, shift += 8) tail |= bytes[i]! << shift;
  return finish(mix(h, tail), len);
}

const MAX_LOAD = 0.8;
const GROWTH = 1.5;

/**
 * A set of 64-bit fingerprints. (0, 0) marks an empty slot, so that value is stored as (0, 1).
 * With `keepsIds`, each fingerprint also keeps a 32-bit id given when it was added (the
 * liveness search numbers states to record its graph); otherwise a slot is two words.
 */
export class VisitedSet {
  private table: Uint32Array;
  private capacity: number;
  private readonly stride: number;
  size = 0;

  constructor(initialCapacity = 1 << 16, keepsIds = false) {
    this.capacity = initialCapacity;
    this.stride = keepsIds ? 3 : 2;
    this.table = new Uint32Array(initialCapacity * this.stride);
  }

  get bytes(): number {
    return this.table.byteLength;
  }

  /** Adds the fingerprint (signed or unsigned words alike); returns true when it was not there before. */
  add(hi: number, lo: number): boolean {
    return this.insert(hi, lo, 0) < 0;
  }

  /**
   * Adds the fingerprint with `id` and returns -1 when it was not there before; otherwise leaves
   * it and returns the id it was added with (0 without `keepsIds`). One probe either way.
   */
  insert(hi: number, lo: number, id: number): number {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    if (this.size + 1 > this.capacity * MAX_LOAD) this.grow();
    const at = probe(this.table, this.capacity, this.stride, hi, lo);
    if (at >= 0) return this.stride === 3 ? this.table[at * 3 + 2]! : 0;
    writeSlot(this.table, this.stride, -1 - at, hi, lo, id);
    this.size++;
    return -1;
  }

  private grow(): void {
    const old = this.table;
    const oldCapacity = this.capacity;
    const k = this.stride;
    this.capacity = Math.ceil(oldCapacity * GROWTH);
    this.table = new Uint32Array(this.capacity * k);
    for (let s = 0; s < oldCapacity; s++) {
      const h = old[s * k]!;
      const l = old[s * k + 1]!;
      if (h !== 0 || l !== 0) writeSlot(this.table, k, -1 - probe(this.table, this.capacity, k, h, l), h, l, k === 3 ? old[s * k + 2]! : 0);
    }
  }
}

/**
 * A fixed-capacity fingerprint set in shared memory that worker threads add to at once (the
 * parallel BFS). A slot is two words; its high word is claimed by compare-and-swap, then the low
 * word is stored, and a reader that finds its high word waits for the low one. Neither word of a
 * stored fingerprint is 0 (a 0 word is stored as 1), so an empty or half-written slot is known.
 */
export class SharedVisitedSet {
  private readonly table: Int32Array;
  private readonly counter: Int32Array;
  private readonly capacity: number;

  constructor(readonly buffers: SharedVisitedBuffers) {
    this.table = new Int32Array(buffers.table);
    this.counter = new Int32Array(buffers.counter);
    this.capacity = this.table.length / 2;
  }

  /** Room for `states` fingerprints at the load the growable set keeps. */
  static buffers(states: number): SharedVisitedBuffers {
    return { table: new SharedArrayBuffer(8 * Math.ceil(states / MAX_LOAD + 1)), counter: new SharedArrayBuffer(4) };
  }

  /** Additions of this thread not yet counted in the shared counter (counted in batches: one counter for all threads is a contended line). */
  private pending = 0;

  /** The states every thread has counted, and this thread's own not yet published. */
  get size(): number {
    return Atomics.load(this.counter, 0) + this.pending;
  }

  /** Publishes this thread's additions, so that `size` is exact for every thread. */
  flush(): void {
    if (this.pending > 0) Atomics.add(this.counter, 0, this.pending);
    this.pending = 0;
  }

  get bytes(): number {
    return this.table.byteLength;
  }

  add(hi: number, lo: number): boolean {
    return this.insert(hi, lo) < 0;
  }

  /** -1 when the fingerprint was not there before (it is now); 0 when it was. */
  insert(hi: number, lo: number, _id = 0): number {
    hi = hi | 0 || 1;
    lo = lo | 0 || 1;
    const t = this.table;
    let slot = slotOf(hi >>> 0, this.capacity);
    for (;;) {
      let h = Atomics.load(t, 2 * slot);
      if (h === 0) h = Atomics.compareExchange(t, 2 * slot, 0, hi);
      if (h === 0) {
        Atomics.store(t, 2 * slot + 1, lo);
        if (++this.pending === 256) this.flush();
        return -1;
      }
      if (h === hi) {
        let l = Atomics.load(t, 2 * slot + 1);
        while (l === 0) l = Atomics.load(t, 2 * slot + 1);
        if (l === lo) return 0;
      }
      if (++slot === this.capacity) slot = 0;
    }
  }
}

export interface SharedVisitedBuffers {
  readonly table: SharedArrayBuffer;
  readonly counter: SharedArrayBuffer;
}

/** Multiply-shift range reduction: any capacity works, so growth need not double. */
function slotOf(hi: number, capacity: number): number {
  return Math.floor((hi / 4294967296) * capacity);
}

/** The slot holding (hi, lo), or -1 - (the empty slot where it would go). */
function probe(t: Uint32Array, capacity: number, k: number, hi: number, lo: number): number {
  let slot = slotOf(hi, capacity);
  for (;;) {
    const h = t[slot * k]!;
    const l = t[slot * k + 1]!;
    if (h === 0 && l === 0) return -1 - slot;
    if (h === hi && l === lo) return slot;
    if (++slot === capacity) slot = 0;
  }
}

function writeSlot(t: Uint32Array, k: number, slot: number, hi: number, lo: number, id: number): void {
  t[slot * k] = hi;
  t[slot * k + 1] = lo;
  if (k === 3) t[slot * k + 2] = id;
}

/**
 * A map from short byte strings to values, for the checker's caches of per-node work: keys are
 * hashed and then compared byte for byte, and the map empties itself at `limit` entries so that
 * memory stays bounded on long searches. Open addressing over typed arrays, with the keys packed
 * in one byte arena: a lookup (millions a second, in a table of up to a million keys) touches a
 * slot and the key's bytes, where a Map of entry objects chased four pointers.
 */
export class BytesMap<V> {
  /** Per slot: the key's hash, and its entry's index + 1 (0: empty). */
  private slots = new Int32Array(2 * FIRST_SLOTS);
  private mask = FIRST_SLOTS - 1;
  /** Entry e's key is arena[keyAt[e], keyAt[e + 1]). */
  private arena = new Uint8Array(1 << 12);
  private keyAt: number[] = [0];
  private values: V[] = [];

  constructor(private readonly limit = 1 << 20) {}

  get(key: Uint8Array, len: number): V | undefined {
    const h = hash32(key, len) | 0;
    const slots = this.slots;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const e = slots[2 * s + 1]! - 1;
      if (e < 0) return undefined;
      if (slots[2 * s] === h && this.keyIs(e, key, len)) return this.values[e];
    }
  }

  /** Adds a key that `get` just missed. */
  add(key: Uint8Array, len: number, value: V): void {
    if (this.values.length >= this.limit) this.clear();
    if (2 * (this.values.length + 1) > this.mask + 1) this.grow();
    const at = this.keyAt[this.values.length]!;
    if (at + len > this.arena.length) {
      const bigger = new Uint8Array(2 * Math.max(this.arena.length, at + len));
      bigger.set(this.arena.subarray(0, at));
      this.arena = bigger;
    }
    this.arena.set(key.subarray(0, len), at);
    this.keyAt.push(at + len);
    this.values.push(value);
    this.place(hash32(key, len) | 0, this.values.length);
  }

  private keyIs(e: number, key: Uint8Array, len: number): boolean {
    const at = this.keyAt[e]!;
    if (this.keyAt[e + 1]! - at !== len) return false;
    const arena = this.arena;
    for (let k = 0; k < len; k++) if (arena[at + k] !== key[k]) return false;
    return true;
  }

  private place(h: number, entry: number): void {
    let s = h & this.mask;
    while (this.slots[2 * s + 1] !== 0) s = (s + 1) & this.mask;
    this.slots[2 * s] = h;
    this.slots[2 * s + 1] = entry;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(2 * old.length);
    this.mask = old.length - 1;
    for (let s = 0; s < old.length; s += 2) if (old[s + 1] !== 0) this.place(old[s]!, old[s + 1]!);
  }

  private clear(): void {
    this.slots = new Int32Array(2 * FIRST_SLOTS);
    this.mask = FIRST_SLOTS - 1;
    this.keyAt = [0];
    this.values = [];
  }
}
const FIRST_SLOTS = 1 << 10;
