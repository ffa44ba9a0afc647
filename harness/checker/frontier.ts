// The BFS queue and the ancestry that rebuilds a state's path, in plain memory for one thread
// or in SharedArrayBuffers for the parallel search (parallel.ts), where a level's records are
// handed between worker threads chunk by chunk and every state's id is drawn from one counter.
import type { Fingerprint } from './fingerprint.ts';

export const NO_PARENT = 0xffffffff;

/**
 * For every state the BFS queued, by id: its parent's id and its index among the parent's
 * successors (8 bytes a state), so a state's path (for a counterexample) is rebuilt instead of
 * stored with it. One thread's grows by blocks (past the first, which doubles up to a block: no
 * copy, no doubled capacity at the peak).
 * Shared: fixed capacity, ids drawn atomically, readable by every thread.
 */
export class Ancestry {
  /** Blocks of BLOCK ids each (one block, the whole capacity, when shared). */
  private readonly parents: Uint32Array[];
  private readonly indexes: Uint32Array[];
  private count = 0;
  /** Shared: the next id, drawn atomically. */
  private readonly counter: Int32Array | undefined;
  private readonly capacity: number;
  /** Id `id` is at [id >>> bits][id & mask]: blocks of BLOCK ids, or the one shared array. */
  private readonly bits: number;
  private readonly mask: number;

  constructor(shared?: SharedAncestry) {
    this.parents = shared ? [new Uint32Array(shared.parents)] : [];
    this.indexes = shared ? [new Uint32Array(shared.indexes)] : [];
    this.counter = shared && new Int32Array(shared.counter);
    this.capacity = shared ? this.parents[0]!.length : Infinity;
    this.bits = shared ? 31 : BLOCK_BITS;
    this.mask = 2 ** this.bits - 1;
  }

  /** The id the next state gets (shared: ids drawn so far by every thread, some not used yet). */
  get size(): number {
    return this.counter ? Atomics.load(this.counter, 0) : this.count;
  }

  /** Shared: the block of ids this thread drew and has not used yet, [next, end). */
  private next = 0;
  private end = 0;

  /** Records a state; returns its id, or -1 when a shared ancestry is full. */
  add(parent: number, index: number): number {
    if (this.counter) {
      // Ids are drawn in blocks: one counter for every thread is a contended line.
      if (this.next === this.end) {
        this.next = Atomics.add(this.counter, 0, ID_BLOCK);
        this.end = this.next + ID_BLOCK;
      }
      const id = this.next++;
      if (id >= this.capacity) return -1;
      this.parents[0]![id] = parent;
      this.indexes[0]![id] = index;
      return id;
    }
    const id = this.count++;
    const at = id & (BLOCK - 1);
    const last = this.parents.length - 1;
    if (at === 0) {
      // The first block starts small and doubles: most searches (the mutation suite's) stay small.
      const size = last < 0 ? FIRST_BLOCK : BLOCK;
      this.parents.push(new Uint32Array(size));
      this.indexes.push(new Uint32Array(size));
    } else if (at === this.parents[last]!.length) {
      this.parents[last] = grown(this.parents[last]!);
      this.indexes[last] = grown(this.indexes[last]!);
    }
    this.parents[this.parents.length - 1]![at] = parent;
    this.indexes[this.indexes.length - 1]![at] = index;
    return id;
  }

  /** The id of state `id`'s parent (NO_PARENT for the first state). */
  parent(id: number): number {
    return this.parents[id >>> this.bits]![id & this.mask]!;
  }

  /** The successor indices from the initial state to state `id`. */
  path(id: number): number[] {
    const path: number[] = [];
    for (let at = id, parent = this.parent(at); parent !== NO_PARENT; at = parent, parent = this.parent(at)) path.push(this.indexes[at >>> this.bits]![at & this.mask]!);
    return path.reverse();
  }
}
const BLOCK_BITS = 20;
const BLOCK = 1 << BLOCK_BITS;
const FIRST_BLOCK = 1 << 12;

function grown(block: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(2 * block.length);
  bigger.set(block);
  return bigger;
}

/** The buffers of an ancestry shared between threads (postable to a worker). */
export interface SharedAncestry {
  readonly parents: SharedArrayBuffer;
  readonly indexes: SharedArrayBuffer;
  /** One Int32: the next id. */
  readonly counter: SharedArrayBuffer;
}

/** Ids a thread draws at once from a shared ancestry; its capacity needs this much room per thread. */
export const ID_BLOCK = 256;

export function sharedAncestry(capacity: number): SharedAncestry {
  return { parents: new SharedArrayBuffer(4 * capacity), indexes: new SharedArrayBuffer(4 * capacity), counter: new SharedArrayBuffer(4) };
}

export interface FrontierItem {
  readonly state: Uint8Array;
  readonly fp: Fingerprint;
  /** The low word of the parent's fingerprint: a tag, confirmed exactly where it matches. */
  readonly parentTag: number;
  readonly depth: number;
  readonly id: number;
}

/** Chunks of queued records handed from one thread to others, with the number of records in each. */
export interface SealedChunks {
  readonly chunks: Uint8Array[];
  readonly counts: number[];
}

/**
 * A FIFO of (world, fingerprint, its parent's tag, depth, id) records packed into large
 * byte chunks. A shared frontier writes small chunks of shared memory, so that a level's chunks
 * can be sealed and read by whichever worker claims each.
 */
export class Frontier {
  private chunks: Uint8Array[] = [];
  private counts: number[] = [];
  private writeChunk = -1;
  private writePos = 0;
  private readChunk = 0;
  private readPos = 0;
  private count = 0;
  /** Chunks read to the end, written again before a new one is made: the BFS reads and writes at the same pace, and a 16 MB buffer waits for a full GC to go. */
  private readonly spare: Uint8Array[] = [];

  /** The chunk records are being written to. */
  chunk: Uint8Array = EMPTY_CHUNK;

  constructor(
    private readonly chunkBytes = 1 << 24,
    private readonly shared = false,
  ) {}

  /** A frontier that reads the `count` records of one sealed chunk. */
  static reading(chunk: Uint8Array, count: number): Frontier {
    const f = new Frontier(chunk.length, true);
    f.chunks = [chunk];
    f.counts = [count];
    f.count = count;
    return f;
  }

  get length(): number {
    return this.count;
  }

  /** Makes room for a record whose world takes `len` bytes; returns where in `chunk` to write the world. */
  reserve(len: number): number {
    if (this.writePos + RECORD_BYTES + len > this.chunk.length) {
      if (this.writeChunk >= 0) this.chunk[this.writePos] = 0xff; // end-of-chunk mark
      // One thread's chunks start small and double up to chunkBytes: most searches (the mutation suite's) stay small.
      const size = this.shared ? this.chunkBytes : Math.min(this.chunkBytes, 2 * this.chunk.length || FIRST_CHUNK);
      const bytes = Math.max(size, RECORD_BYTES + 1 + len);
      this.chunk = bytes === this.chunkBytes && this.spare.length > 0 ? this.spare.pop()! : new Uint8Array(this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
      this.chunks.push(this.chunk);
      this.counts.push(0);
      this.writeChunk = this.chunks.length - 1;
      this.writePos = 0;
    }
    return this.writePos + 4;
  }

  /** Queues the record last reserved, its world of `len` bytes written. */
  commit(len: number, fp: Fingerprint, parentTag: number, depth: number, id: number): void {
    const c = this.chunk;
    let p = this.writePos;
    c[p++] = len & 0x7f;
    c[p++] = len >> 7;
    c[p++] = depth & 0xff;
    c[p++] = depth >> 8;
    p += len;
    writeU32(c, p, fp.hi);
    writeU32(c, p + 4, fp.lo);
    writeU32(c, p + 8, id);
    writeU32(c, p + 12, parentTag);
    this.writePos = p + 16;
    this.counts[this.writeChunk]!++;
    this.count++;
  }

  push(state: Uint8Array, len: number, fp: Fingerprint, parentTag: number, depth: number, id: number): void {
    const at = this.reserve(len); // before reading `chunk`: reserving may start a new one
    this.chunk.set(state.subarray(0, len), at);
    this.commit(len, fp, parentTag, depth, id);
  }

  /** The oldest record; its `state` stays valid until the next shift. */
  shift(): FrontierItem | null {
    if (this.count === 0) return null;
    let c = this.chunks[this.readChunk]!;
    if (this.readPos >= c.length || c[this.readPos] === 0xff) {
      // The record last shifted lay in this chunk, and its expansion is over: the chunk may be written again.
      if (!this.shared && c.length === this.chunkBytes && this.spare.length < 2) this.spare.push(c);
      this.chunks[this.readChunk] = EMPTY_CHUNK;
      this.readChunk++;
      this.readPos = 0;
      c = this.chunks[this.readChunk]!;
    }
    let p = this.readPos;
    const len = c[p]! | (c[p + 1]! << 7);
    const depth = c[p + 2]! | (c[p + 3]! << 8);
    p += 4;
    const state = c.subarray(p, p + len);
    p += len;
    const fp = { hi: readU32(c, p), lo: readU32(c, p + 4) };
    const id = readU32(c, p + 8) >>> 0;
    const parentTag = readU32(c, p + 12);
    this.readPos = p + 16;
    this.count--;
    return { state, fp, parentTag, depth, id };
  }

  /** Hands over every chunk written so far (with its record count) and starts afresh. */
  seal(): SealedChunks {
    if (this.writeChunk >= 0 && this.writePos < this.chunk.length) this.chunk[this.writePos] = 0xff;
    const sealed = { chunks: this.chunks, counts: this.counts };
    this.chunks = [];
    this.counts = [];
    this.chunk = EMPTY_CHUNK;
    this.writeChunk = -1;
    this.writePos = 0;
    this.readChunk = this.readPos = this.count = 0;
    return sealed;
  }
}
const EMPTY_CHUNK = new Uint8Array(0);
const FIRST_CHUNK = 1 << 16;
/** A record's bytes besides its world: length and depth (4), fingerprint (8), id (4), parent's tag (4). */
const RECORD_BYTES = 20;

function writeU32(c: Uint8Array, p: number, v: number): void {
  c[p] = v & 0xff;
  c[p + 1] = (v >>> 8) & 0xff;
  c[p + 2] = (v >>> 16) & 0xff;
  c[p + 3] = (v >>> 24) & 0xff;
}

const readU32 = (c: Uint8Array, p: number): number => c[p]! | (c[p + 1]! << 8) | (c[p + 2]! << 16) | (c[p + 3]! << 24);
