// The checker's world: node states, one FIFO queue per directed link, the NEIGHBOR timers each
// node has armed, which nodes are alive and joined, and what is left of each fault budget, held
// as canonical bytes (encode.ts). Timers follow the node's effects as the real node's do
// (harness/node/node.ts): `armNeighborTimeout` arms (or re-arms) the timer for its peer, a timer
// fires only while armed and is disarmed by firing, and a crash clears them. A
// transition applies a node's step outcome (steps.ts) to its parent's bytes and finds the
// successor's fingerprint from its parent's, so a successor seen before costs neither an
// allocation nor a copy to recognise.
import type { HyParViewConfig } from '../../models/hyparview/config.ts';
import { describeMessage, type Message, type NodeId } from '../../models/hyparview/messages.ts';
import { type EventKind, initialNode, NONE, type NodeState } from '../../models/hyparview/node.ts';
import { type ClusterSnapshot, isQuiescent, type NodeSnapshot } from '../../properties/snapshot.ts';

import { addHeaderByte, addSegment, At, encodeWorld, fingerprintOf, hashSegment, headerLength, idsOf, isLinkDownAt, packetSize, timersAt, WorldIndex, writeNode } from './encode.ts';
import type { Fingerprint } from './fingerprint.ts';
import { cycleAsks, InputKind, type StepInput, type StepOutcome } from './steps.ts';
import { LINK_DOWN, type Packet } from './packets.ts';

export { LINK_DOWN, type Packet };

export interface Budgets {
  /** Node crashes, once the cluster has formed (first reached quiescence after every join). */
  readonly crashes: number;
  /** Connection failures between two live nodes (both sides see the link go down), once the cluster has formed. */
  readonly linkFailures: number;
  /** NEIGHBOR timers that fire while messages are still in flight (a slow, not a dead, peer). */
  readonly earlyTimeouts: number;
  /** Shuffle-timer firings per node. */
  readonly cycles: number;
}

export interface Scenario {
  readonly nodes: number;
  /** Node 0 starts alone; every other node joins through it, in any order. */
  readonly config: HyParViewConfig;
  readonly budgets: Budgets;
  /** Joins and shuffle timers start only while nothing is in flight: the paper's sequential joins, and a shuffle period far longer than any message's latency. */
  readonly sequential: boolean;
}

/**
 * A world's canonical bytes (layout in encode.ts). Faults are enabled once the world is
 * `formed`: quiescent once since every join was issued.
 */
export type World = Uint8Array;

export type Action =
  | { readonly k: 'deliver'; readonly from: NodeId; readonly to: NodeId }
  | { readonly k: 'join'; readonly node: NodeId }
  | { readonly k: 'cycle'; readonly node: NodeId }
  /** `node`'s armed NEIGHBOR timer for `peer` fires. */
  | { readonly k: 'timeout'; readonly node: NodeId; readonly peer: NodeId }
  | { readonly k: 'crash'; readonly node: NodeId }
  | { readonly k: 'failLink'; readonly a: NodeId; readonly b: NodeId };

export const MAX_CHECKER_NODES = 8;

export function initialWorld(s: Scenario): World {
  const n = s.nodes;
  return encodeWorld({
    alive: (1 << n) - 1,
    joined: 1, // node 0 is the contact and needs no join
    formed: n === 1,
    crashesLeft: s.budgets.crashes,
    linkFailuresLeft: s.budgets.linkFailures,
    earlyTimeoutsLeft: s.budgets.earlyTimeouts,
    cyclesUsed: new Array<number>(n).fill(0),
    timers: new Array<NodeId[]>(n).fill([]),
    nodes: Array.from({ length: n }, (_, i) => initialNode(i)),
    queues: [],
  });
}

const indexes: WorldIndex[] = [];
/** A shared index of `w`, valid until the next call. */
function indexOf(w: World): WorldIndex {
  const n = w[At.N]!;
  return (indexes[n] ??= new WorldIndex(n)).of(w);
}

export function inFlight(w: World): number {
  return indexOf(w).inFlight;
}

/** Node i of `w`, decoded. */
export function nodeOf(w: World, i: number): NodeState {
  return indexOf(w).node(i);
}

/** Node i's armed NEIGHBOR timers in `w`, a mask of peers. */
export function timersOf(w: World, i: number): number {
  return indexOf(w).timers(i);
}

/** Every action of an n-node world, made once: actions are values, and the search lists millions. */
class ActionTable {
  readonly deliver: Action[] = [];
  readonly join: Action[] = [];
  readonly cycle: Action[] = [];
  readonly timeout: Action[] = [];
  readonly crash: Action[] = [];
  readonly failLink: Action[] = [];

  constructor(n: number) {
    for (let from = 0; from < n; from++) for (let to = 0; to < n; to++) this.deliver.push({ k: 'deliver', from, to });
    for (let i = 0; i < n; i++) {
      this.join.push({ k: 'join', node: i });
      this.cycle.push({ k: 'cycle', node: i });
      this.crash.push({ k: 'crash', node: i });
      for (let b = 0; b < n; b++) {
        this.timeout.push({ k: 'timeout', node: i, peer: b });
        this.failLink.push({ k: 'failLink', a: i, b });
      }
    }
  }
}

const actionTables: ActionTable[] = [];

/** Every action enabled in the indexed world, in a fixed order (the order replay tokens index into). */
export function enabledActions(s: Scenario, w: WorldIndex): Action[] {
  const n = s.nodes;
  const b = w.bytes;
  const all = (actionTables[n] ??= new ActionTable(n));
  const out: Action[] = [];
  for (let q = 0; q < n * n; q++) if (w.queueLength(q) > 0) out.push(all.deliver[q]!);
  const quiet = w.inFlight === 0;
  /** Joins and cycles may start now (--sequential: only in quiescence). */
  const starts = quiet || !s.sequential;
  if (starts) for (let i = 1; i < n; i++) if (!w.joined(i)) out.push(all.join[i]!);
  for (let i = 0; i < n; i++) {
    if (!w.alive(i) || !w.joined(i)) continue;
    if (starts && b[At.Cycles + i]! < s.budgets.cycles) out.push(all.cycle[i]!);
    if (quiet || b[At.EarlyTimeoutsLeft]! > 0) {
      for (let armed = w.timers(i), p = 0; armed !== 0; armed >>>= 1, p++) if (armed & 1) out.push(all.timeout[i * n + p]!);
    }
  }
  const formed = b[At.Formed] === 1;
  if (b[At.CrashesLeft]! > 0 && formed) {
    for (let i = 0; i < n; i++) if (w.alive(i)) out.push(all.crash[i]!);
  }
  if (b[At.LinkFailuresLeft]! > 0 && formed) {
    for (let a = 0; a < n; a++) {
      for (let c = a + 1; c < n; c++) if (w.alive(a) && w.alive(c) && linked(w, n, a, c)) out.push(all.failLink[a * n + c]!);
    }
  }
  return out;
}

/**
 * A connection joins a and b: one of them awaits something from the other (the real node keeps
 * exactly those connections open, harness/node/node.ts `awaitsFrom`), or a message is on its way.
 */
function linked(w: WorldIndex, n: number, a: number, b: number): boolean {
  return awaits(w, a, b) || awaits(w, b, a) || w.queueLength(a * n + b) > 0 || w.queueLength(b * n + a) > 0;
}

/** Node i expects something more from `peer`: it is active, asked, or owes an answer (the real node's `awaitsFrom`). */
function awaits(w: WorldIndex, i: number, peer: number): boolean {
  return ((w.activeMask(i) >> peer) & 1) === 1 || w.pending(i) === peer || w.abandons(i, peer);
}

/** The node an action steps, or -1 for a fault (crash, link failure). */
export function steppedNode(a: Action): NodeId {
  switch (a.k) {
    case 'deliver':
      return a.to;
    case 'crash':
    case 'failLink':
      return -1;
    default:
      return a.node;
  }
}

const INITIAL_SEGMENT = (() => {
  const buf = new Uint8Array(16);
  return buf.slice(0, writeNode(buf, 0, initialNode(0)));
})();

/**
 * One transition under construction: the parent's bytes, the node segments it replaced, and per
 * queue how many of the parent's packets it drops and which (encoded) it appends. A transition
 * yields the successor's fingerprint (`fp`, from the parent's and the parts that
 * changed); `materialize` writes the successor's bytes to `out`, which the search asks for only
 * when the fingerprint is new. One Draft serves every transition of a search.
 */
export class Draft {
  readonly parent: WorldIndex;
  readonly n: number;
  /** Node i's new segment and its hash, where bit i of `changedNodes` is set. */
  private readonly nodes: Uint8Array[];
  private readonly nodeHashes: Fingerprint[];
  /** The hash of a reset (crashed) node's segment, per slot. */
  private readonly resetHashes: Fingerprint[];
  /** Bit i: the transition replaced node i's state. */
  changedNodes = 0;
  /** Per queue: packets dropped from the parent's head (0, 1, or all when cleared); -1 when untouched. */
  private readonly dropped: Int32Array;
  private readonly touchedQueues: Int32Array;
  private touchedCount = 0;
  /** Packets appended, in order, each with its queue. */
  private readonly appendedTo: Int32Array;
  private readonly appended: Uint8Array[] = [];
  private appendedCount = 0;
  /** The successor's header, copied from the parent and edited. */
  private readonly head: Uint8Array;
  /** What the stepped node counted. */
  events: readonly EventKind[] = [];
  /** The input a step action gives its node, located in the parent's bytes. */
  readonly input: StepInput;
  /** The successor's length, and its bytes in `out` after `materialize` (until the next transition). */
  out = new Uint8Array(1 << 12);
  length = 0;
  private written = false;
  /** The parent's and the successor's fingerprints (encode.ts: sums over their parts). */
  readonly parentFp: Fingerprint = { hi: 0, lo: 0 };
  readonly fp: Fingerprint = { hi: 0, lo: 0 };
  private readonly hashScratch: Fingerprint = { hi: 0, lo: 0 };
  /** The parent's segment hashes (hi, lo per slot), computed when first needed: valid where `hashedIn` equals `loads`. */
  private readonly parentHashes: Int32Array;
  private readonly hashedIn: Int32Array;
  private loads = 0;
  /** The touched queues' new segments, as `digest` wrote them: queue q's at [scratchAt[q], scratchEnd[q]). */
  private readonly queueScratch = new Uint8Array(1 << 12);
  private readonly scratchAt: Int32Array;
  private readonly scratchEnd: Int32Array;

  constructor(readonly s: Scenario) {
    const n = s.nodes;
    this.n = n;
    this.parent = new WorldIndex(n);
    this.nodes = new Array<Uint8Array>(n).fill(INITIAL_SEGMENT);
    this.resetHashes = Array.from({ length: n }, (_, i) => {
      const h: Fingerprint = { hi: 0, lo: 0 };
      hashSegment(INITIAL_SEGMENT, 0, INITIAL_SEGMENT.length, i, h);
      return h;
    });
    this.nodeHashes = this.resetHashes.slice();
    this.dropped = new Int32Array(n * n).fill(-1);
    this.touchedQueues = new Int32Array(n * n);
    this.appendedTo = new Int32Array(1 << 10);
    this.scratchAt = new Int32Array(n * n);
    this.scratchEnd = new Int32Array(n * n);
    this.head = new Uint8Array(headerLength(n));
    this.parentHashes = new Int32Array(2 * (n + n * n));
    this.hashedIn = new Int32Array(n + n * n);
    this.input = { kind: InputKind.Join, arg: 0, bytes: this.parent.bytes, nodeAt: 0, nodeEnd: 0, packetAt: 0 };
  }

  /** Loads the parent world; `fp`, its fingerprint when the caller kept it, spares hashing it whole. */
  load(w: World, fp?: Fingerprint): void {
    this.parent.of(w);
    this.loads++;
    this.input.bytes = w;
    if (fp) {
      this.parentFp.hi = fp.hi;
      this.parentFp.lo = fp.lo;
    } else {
      fingerprintOf(this.parent, this.parentFp);
    }
  }

  /** Points `input` at what step action `a` gives its node in the loaded parent. */
  locateInput(a: Action): StepInput {
    const w = this.parent;
    const x = this.input;
    const i = steppedNode(a);
    x.nodeAt = w.nodeAt[i]!;
    x.nodeEnd = w.nodeAt[i + 1]!;
    switch (a.k) {
      case 'deliver':
        x.kind = InputKind.Packet;
        x.arg = a.from;
        x.packetAt = w.queueAt[a.from * this.n + a.to]! + 1;
        break;
      case 'join':
        x.kind = InputKind.Join;
        x.arg = 0;
        break;
      case 'cycle':
        x.kind = InputKind.ShuffleTimer;
        x.arg = 0;
        break;
      case 'timeout':
        x.kind = InputKind.NeighborTimeout;
        x.arg = a.peer;
        break;
      default:
        throw new Error(`${a.k} steps no node`);
    }
    return x;
  }

  /** Starts a transition from the loaded parent. */
  private begin(): void {
    this.changedNodes = 0;
    for (let k = 0; k < this.touchedCount; k++) this.dropped[this.touchedQueues[k]!] = -1;
    this.touchedCount = 0;
    this.appendedCount = 0;
    this.events = NO_EVENTS;
    for (let k = 0; k < this.head.length; k++) this.head[k] = this.parent.bytes[k]!;
  }

  private isAlive(i: number): boolean {
    return ((this.head[At.Alive]! >> i) & 1) === 1;
  }

  private touchQueue(q: number): void {
    if (this.dropped[q] === -1) {
      this.dropped[q] = 0;
      this.touchedQueues[this.touchedCount++] = q;
    }
  }

  /** Empties queue q (before anything is appended to it). */
  private clearQueue(q: number): void {
    this.touchQueue(q);
    this.dropped[q] = this.parent.queueLength(q);
  }

  private push(from: number, to: number, packet: Uint8Array): void {
    const q = from * this.n + to;
    this.touchQueue(q);
    this.appendedTo[this.appendedCount] = q;
    this.appended[this.appendedCount++] = packet;
  }

  /** The last packet queue q will hold (if it will hold any) is a link-down. */
  private endsWithLinkDown(q: number): boolean {
    for (let k = this.appendedCount - 1; k >= 0; k--) if (this.appendedTo[k] === q) return this.appended[k] === LINK_DOWN_BYTES;
    const w = this.parent;
    return w.queueLength(q) > Math.max(this.dropped[q]!, 0) && isLinkDownAt(w.bytes, w.lastAt[q]!);
  }

  /** `to` learns that its link to `from` is down, unless that is already the next thing it will learn. */
  private pushLinkDown(from: number, to: number): void {
    if (!this.endsWithLinkDown(from * this.n + to)) this.push(from, to, LINK_DOWN_BYTES);
  }

  /** Applies step action `a` (located by `locateInput`) with outcome `o`, and finds the successor's fingerprint. */
  applyStep(a: Action, o: StepOutcome): void {
    this.begin();
    const w = this.parent;
    const head = this.head;
    const i = steppedNode(a);
    switch (a.k) {
      case 'deliver': {
        const q = a.from * this.n + a.to;
        this.touchQueue(q);
        this.dropped[q] = 1;
        break;
      }
      case 'join':
        head[At.Joined] |= 1 << a.node;
        break;
      case 'cycle':
        head[At.Cycles + a.node]++;
        break;
      case 'timeout':
        if (w.inFlight > 0) head[At.EarlyTimeoutsLeft]--;
        head[timersAt(this.n, a.node)] &= ~(1 << a.peer); // fired: disarmed (the step may arm it again)
        break;
      default:
        break;
    }
    this.nodes[i] = o.node;
    this.nodeHashes[i] = o.nodeHash;
    this.changedNodes |= 1 << i;
    for (let k = 0; k < o.effects.length; k++) {
      const e = o.effects[k]!;
      if ('armed' in e) {
        head[timersAt(this.n, i)] |= 1 << e.armed; // clearTimeout + setTimeout: one timer per peer
      } else if ('linked' in e) {
        if (!this.isAlive(e.linked)) this.pushLinkDown(e.linked, i);
      } else if (this.isAlive(e.to)) {
        this.push(i, e.to, e.packet);
      } else {
        this.pushLinkDown(e.to, i);
      }
    }
    this.events = o.events;
    this.digest();
  }

  /** Applies a crash or a link failure and finds the successor's fingerprint. */
  applyFault(a: Action): void {
    this.begin();
    const n = this.n;
    const w = this.parent;
    const head = this.head;
    if (a.k === 'crash') {
      const dead = a.node;
      head[At.CrashesLeft]--;
      head[At.Alive] &= ~(1 << dead);
      head[timersAt(n, dead)] = 0; // a stopped node's timers never fire
      for (let j = 0; j < n; j++) {
        if (j === dead || !this.isAlive(j)) continue;
        const toDead = w.queueLength(j * n + dead) > 0;
        if (toDead) this.clearQueue(j * n + dead);
        if (toDead || awaits(w, j, dead)) this.pushLinkDown(dead, j);
      }
      // A dead node's own state no longer matters: reset it so equivalent worlds coincide.
      this.nodes[dead] = INITIAL_SEGMENT;
      this.nodeHashes[dead] = this.resetHashes[dead]!;
      this.changedNodes |= 1 << dead;
    } else if (a.k === 'failLink') {
      head[At.LinkFailuresLeft]--;
      this.clearQueue(a.a * n + a.b);
      this.clearQueue(a.b * n + a.a);
      this.push(a.a, a.b, LINK_DOWN_BYTES);
      this.push(a.b, a.a, LINK_DOWN_BYTES);
    }
    this.digest();
  }

  /**
   * The successor's fingerprint, from the parent's and the parts that changed; marks the
   * successor formed when it forms the cluster.
   */
  private digest(): void {
    const w = this.parent;
    const src = w.bytes;
    const n = this.n;
    const sum = this.fp;
    const h = this.hashScratch;
    sum.hi = this.parentFp.hi;
    sum.lo = this.parentFp.lo;
    for (let i = 0; i < n; i++) {
      if (((this.changedNodes >> i) & 1) === 0) continue;
      this.subtractParentSegment(i, w.nodeAt[i]!, w.nodeAt[i + 1]!);
      const added = this.nodeHashes[i]!;
      sum.hi = (sum.hi + added.hi) | 0;
      sum.lo = (sum.lo + added.lo) | 0;
    }
    let inFlight = w.inFlight;
    let length = w.length;
    for (let i = 0; i < n; i++) if (((this.changedNodes >> i) & 1) === 1) length += this.nodes[i]!.length - (w.nodeAt[i + 1]! - w.nodeAt[i]!);
    for (let t = 0; t < this.touchedCount; t++) {
      const q = this.touchedQueues[t]!;
      const start = w.queueAt[q]!;
      this.subtractParentSegment(n + q, start, w.queueAt[q + 1]!);
      const at = t === 0 ? 0 : this.scratchEnd[this.touchedQueues[t - 1]!]!;
      const end = this.writeQueue(this.queueScratch, at, q);
      this.scratchAt[q] = at;
      this.scratchEnd[q] = end;
      addSegment(sum, this.queueScratch, at, end, n + q, 1, h);
      inFlight += this.queueScratch[at]! - src[start]!;
      length += end - at - (w.queueAt[q + 1]! - start);
    }
    this.length = length;
    this.written = false;
    // The first quiescent state after every JOIN, by the properties' own definition, forms the
    // cluster; the cheap necessary conditions go first, as this runs on every transition.
    const head = this.head;
    if (head[At.Formed] === 0 && head[At.Joined] === (1 << n) - 1 && inFlight === 0) {
      this.materialize();
      if (isQuiescent(snapshotOf(this.s, this.out.subarray(0, this.length)))) head[At.Formed] = this.out[At.Formed] = 1;
    }
    for (let k = 0; k < head.length; k++) {
      if (head[k] === src[k]) continue;
      addHeaderByte(sum, k, src[k]!, -1);
      addHeaderByte(sum, k, head[k]!, 1);
    }
  }

  /** Subtracts from `sum` the hash of the parent's segment [from, to) in `slot`. */
  private subtractParentSegment(slot: number, from: number, to: number): void {
    const hashes = this.parentHashes;
    if (this.hashedIn[slot] !== this.loads) {
      hashSegment(this.parent.bytes, from, to, slot, this.hashScratch);
      hashes[2 * slot] = this.hashScratch.hi;
      hashes[2 * slot + 1] = this.hashScratch.lo;
      this.hashedIn[slot] = this.loads;
    }
    this.fp.hi = (this.fp.hi - hashes[2 * slot]!) | 0;
    this.fp.lo = (this.fp.lo - hashes[2 * slot + 1]!) | 0;
  }

  /** Writes the successor's bytes to `out` (`length` of them). */
  materialize(): void {
    if (this.written) return;
    if (this.out.length < this.length) this.out = new Uint8Array(2 * this.length);
    this.writeTo(this.out, 0);
    this.written = true;
  }

  /** Writes the successor's `length` bytes into `target` from `at`; returns where they end. */
  writeTo(target: Uint8Array, at: number): number {
    const w = this.parent;
    const src = w.bytes;
    const n = this.n;
    let pos = at;
    for (let k = 0; k < this.head.length; k++) target[pos++] = this.head[k]!;
    for (let i = 0; i < n; i++) {
      if (((this.changedNodes >> i) & 1) === 1) {
        const replaced = this.nodes[i]!;
        for (let k = 0; k < replaced.length; k++) target[pos++] = replaced[k]!;
      } else {
        for (let k = w.nodeAt[i]!, end = w.nodeAt[i + 1]!; k < end; k++) target[pos++] = src[k]!;
      }
    }
    const scratch = this.queueScratch;
    for (let q = 0; q < n * n; q++) {
      if (this.dropped[q] !== -1) {
        for (let k = this.scratchAt[q]!, end = this.scratchEnd[q]!; k < end; k++) target[pos++] = scratch[k]!;
      } else {
        for (let k = w.queueAt[q]!, end = w.queueAt[q + 1]!; k < end; k++) target[pos++] = src[k]!;
      }
    }
    return pos;
  }

  /** Writes touched queue q's new segment (count, the parent's packets it keeps, those appended) at `pos`; returns the end. */
  private writeQueue(out: Uint8Array, pos: number, q: number): number {
    const w = this.parent;
    const src = w.bytes;
    const start = w.queueAt[q]!;
    const dropped = this.dropped[q]!;
    const countAt = pos++;
    let count = src[start]! - dropped;
    let from = start + 1;
    for (let d = 0; d < dropped; d++) from += packetSize(src, from);
    for (let k = from, end = w.queueAt[q + 1]!; k < end; k++) out[pos++] = src[k]!;
    for (let k = 0; k < this.appendedCount; k++) {
      if (this.appendedTo[k] !== q) continue;
      const packet = this.appended[k]!;
      for (let b = 0; b < packet.length; b++) out[pos++] = packet[b]!;
      count++;
    }
    out[countAt] = count;
    return pos;
  }
}

const NO_EVENTS: readonly EventKind[] = [];
const LINK_DOWN_BYTES = Uint8Array.of(LINK_DOWN.t);

export function describeAction(w: World, s: Scenario, a: Action): string {
  const index = indexOf(w);
  switch (a.k) {
    case 'deliver': {
      const p = index.head(a.from * s.nodes + a.to);
      return `deliver ${a.from}→${a.to}: ${p === LINK_DOWN ? 'link down' : describeMessage(p as Message)}`;
    }
    case 'join':
      return `node ${a.node} joins through node 0`;
    case 'cycle':
      return `node ${a.node}: shuffle timer fires`;
    case 'timeout':
      return index.pending(a.node) === a.peer
        ? `node ${a.node}: NEIGHBOR request to ${a.peer} times out${index.inFlight > 0 ? ' (early)' : ''}`
        : `node ${a.node}: stale NEIGHBOR timer for ${a.peer} fires (no request to it outstanding)${index.inFlight > 0 ? ' (early)' : ''}`;
    case 'crash':
      return `node ${a.node} crashes`;
    case 'failLink':
      return `link ${a.a}–${a.b} fails`;
  }
}

/** Node i of the indexed world as the properties see it. */
export function nodeSnapshot(index: WorldIndex, i: number, asks?: () => boolean): NodeSnapshot {
  const node = index.node(i);
  return {
    id: i,
    alive: index.alive(i),
    active: node.active,
    passive: node.passive,
    pending: node.pending === NONE ? [] : [node.pending],
    awaiting: node.abandoned,
    tracked: node.tried,
    timers: idsOf(index.timers(i)),
    cycleAsks: asks,
  };
}

/** Every join was issued and nothing is in flight: necessary for quiescence, and cheap to test. */
export const mayBeQuiescent = (s: Scenario, index: WorldIndex): boolean => index.bytes[At.Joined] === (1 << s.nodes) - 1 && index.inFlight === 0;

export function snapshotOf(s: Scenario, w: World): ClusterSnapshot {
  const index = indexOf(w);
  const nodes: NodeSnapshot[] = [];
  for (let i = 0; i < s.nodes; i++) {
    const at = index.nodeAt[i]!;
    const end = index.nodeAt[i + 1]!;
    nodes.push(nodeSnapshot(index, i, () => cycleAsks(s.config, i, w, at, end)));
  }
  return {
    nodes,
    activeSize: s.config.activeSize,
    passiveSize: s.config.passiveSize,
    inFlight: index.inFlight,
    settled: w[At.Joined] === (1 << s.nodes) - 1,
  };
}
