// A seeded discrete-event simulator for 10^4..10^6 nodes running one of the overlays of
// protocols.ts unchanged. Virtual time in whole milliseconds; a cycle is one shuffle period, and
// every node's timer fires once per cycle at its own seeded phase. Each directed link has a
// fixed latency drawn from the seed, so messages on one link arrive in order, as over TCP.
// Everything random comes from two seeded choosers (the protocol's and the engine's) taken
// in event order, so a run is a pure function of its options. Pending events sit in slots of one
// typed array (events.ts), and from PACKED_FROM nodes so do the node states (store.ts): a large
// run is bound by memory latency, not by the steps' work (BENCHMARKS.md, simulator).
import { type Chooser, seededChooser } from '../../models/chooser.ts';
import type { NodeId } from '../../models/hyparview/messages.ts';
import { clear } from '../../models/hyparview/views.ts';
import { ALWAYS, QUIESCENT, type Property } from '../../properties/invariants.ts';
import type { ClusterSnapshot, NodeSnapshot } from '../../properties/snapshot.ts';
import type { SimEffect, SimInput, SimProtocol } from './protocols.ts';
import { type Ev, EventPool } from './events.ts';
import { EventQueue } from './queue.ts';
import { makeStore, type NodeStore } from './store.ts';

export interface EngineOptions {
  readonly nodes: number;
  readonly seed: number;
  /** One shuffle period. */
  readonly cycleMs: number;
  /** Each directed link's one-way latency is drawn once, uniformly from [min, max] ms. */
  readonly latencyMs: { readonly min: number; readonly max: number };
  /**
   * How live nodes learn of a crash (TCP protocols): 'reset', their open connections to it
   * break at once, as when a process dies and its kernel resets them; 'on-send', only a send
   * to it fails, as when a host vanishes without a word.
   */
  readonly detect: 'reset' | 'on-send';
  /** A NEIGHBOR request unanswered for this long times out (HyParView). */
  readonly neighborTimeoutMs: number;
  /**
   * How node states are held (store.ts); the run is the same either way. 'packed' needs the
   * protocol's state codec (HyParView has one; the others keep objects). By default packed from
   * PACKED_FROM nodes, where it runs faster on about half the memory.
   */
  readonly store?: 'objects' | 'packed';
}

/** Below this many nodes the states mostly fit in cache: packed, the cycles run no faster and the sequential build 20% slower. */
export const PACKED_FROM = 30_000;

export const DEFAULT_ENGINE: Omit<EngineOptions, 'nodes' | 'seed'> = {
  cycleMs: 1000,
  latencyMs: { min: 5, max: 50 },
  detect: 'reset',
  neighborTimeoutMs: 500,
};

const enum Kind {
  Message,
  LinkDown,
  Timeout,
  Copy,
  Join,
  Originate,
}

/**
 * Every PREFETCH events the engine reads ahead in the queue: the states of the next PREFETCH
 * events' nodes and the slots of the PREFETCH after them, so that their cache misses overlap
 * instead of stalling one step each (BENCHMARKS.md, simulator, eighth session).
 */
const PREFETCH = 4;
const CYCLE: SimInput = { t: 'cycle' };

/** One broadcast: who got it, how far it travelled, how many copies it cost. */
export interface BroadcastRecord {
  origin: NodeId;
  sentAt: number;
  /** Nodes live when it was sent (the origin included), less those that crashed before it reached them. */
  live: number;
  delivered: number;
  /** Copies that reached a live node (delivered or duplicate): the paper's m. */
  received: number;
  /** Copies that reached nobody (a dead peer, or lost on the way). */
  lost: number;
  /** Largest hop count at which a node first delivered it. */
  lastHop: number;
  /** Copies still travelling; the record is final at 0. */
  pending: number;
  /** First-delivery hop + 1 per node (0: not delivered, 255: left out); dropped once final. */
  hops: Uint8Array | null;
}

/**
 * Messages kept flowing with no shuffle timer firing, past any count a settling overlay reaches:
 * its nodes keep answering each other (a bug such as the `retry-rejecting-peer` mutant).
 */
export class Livelock extends Error {
  constructor(readonly events: number, readonly atMs: number, readonly cycle: number) {
    super(`the overlay never settles: ${events} events at ${atMs} ms (cycle ${cycle}) with no shuffle timer firing, and messages still in flight: its nodes keep answering each other (a livelock)`);
    this.name = 'Livelock';
  }
}

/** Events one sequential join may take before it counts as a livelock: a join settles in a few hundred. */
const JOIN_SETTLES_WITHIN = 1_000_000;

export interface Violation {
  readonly property: string;
  readonly message: string;
  readonly atMs: number;
}

/** Always-properties judged node by node (node-local), and those that need the whole snapshot. */
const LOCAL_ALWAYS = ALWAYS.filter((p) => p.local);
const WHOLE_ALWAYS = ALWAYS.filter((p) => !p.local);

/** In a broadcast's hop table: this id is not part of the broadcast (its node died before it came). */
const LEFT_OUT = 255;

/** 32-bit mix (murmur3's finaliser). */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Simulation {
  private readonly states: NodeStore<unknown>;
  readonly alive: Uint8Array;
  now = 0;
  /** Protocol messages sent, and events processed, over the whole run. */
  messagesSent = 0;
  eventsProcessed = 0;
  readonly broadcasts: BroadcastRecord[] = [];
  /** Cycles run so far (all runCycles calls). */
  cycle = 0;

  /** Pending events by time, as slots of the pool. */
  private readonly q: EventQueue<number>;
  private readonly pool: EventPool;
  /** Protocol messages, link failures and joins in the queue (not timers, not broadcast copies). */
  private membershipInFlight = 0;
  private live: number;
  private readonly protocolChooser: Chooser;
  readonly chooser: Chooser;
  private readonly phase: Int32Array;
  private readonly byPhase: Int32Array;
  /**
   * Each node's armed NEIGHBOR timer: its generation (0: none) and peer. The request a node waits
   * on is always the one its latest timer was armed for (`ask` sets both), so an earlier timer could
   * only time out a request already closed, a no-op step: arming drops it. Per node rather than per
   * (node, peer) in a Map, whose 10^5 boxed keys cost a sixth of a large run (BENCHMARKS.md).
   */
  private readonly timerGens: Int32Array;
  private readonly timerPeers: Int32Array;
  private timerGen = 0;
  private readonly out: SimEffect[] = [];
  /** The event being handled, read out of its slot. */
  private readonly current: Ev = { k: 0, to: 0, peer: 0, x: 0, hop: 0, msg: null };
  /** The input handed to the protocol, rewritten for each event (models read it, never keep it). */
  private readonly input: { t: SimInput['t']; from: NodeId; msg: unknown; peer: NodeId; contact: NodeId } = { t: 'message', from: 0, msg: null, peer: 0, contact: 0 };
  private readonly latencySalt: number;
  /** Events left before the next read-ahead, and what it read (kept, so that the reads stay). */
  private prefetchIn = 0;
  private prefetched = 0;

  /**
   * A fresh network of `options.nodes` nodes, none joined; or, with `base`, a copy of `base` as
   * it stands whose random choices from now on come from the seed and `salt`, so that one
   * stabilised overlay can go through several experiments, each reproducible on its own.
   */
  constructor(readonly protocol: SimProtocol, readonly options: EngineOptions, base?: Simulation, salt = 0) {
    const { nodes, seed } = options;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 2 ** 24) throw new RangeError(`nodes must be an integer from 1 to ${2 ** 24}, got ${nodes}`);
    for (const [name, ms] of [['cycleMs', options.cycleMs], ['neighborTimeoutMs', options.neighborTimeoutMs], ['latencyMs.min', options.latencyMs.min], ['latencyMs.max', options.latencyMs.max]] as const) {
      if (!Number.isInteger(ms) || ms < 0 || ms > 4096) throw new RangeError(`${name} must be whole milliseconds from 0 to 4096, got ${ms}`);
    }
    const streams = base ? mix(seed ^ mix(salt + 0x51)) : seed;
    this.protocolChooser = seededChooser(streams);
    this.chooser = seededChooser(streams ^ 0x5eed51);
    this.latencySalt = mix(seed ^ 0x1a7e);
    if (base) {
      this.states = base.states.clone();
      this.alive = base.alive.slice();
      this.live = base.live;
      this.phase = base.phase;
      this.byPhase = base.byPhase;
      this.q = base.q.clone();
      this.pool = base.pool.clone();
      this.membershipInFlight = base.membershipInFlight;
      this.timerGens = base.timerGens.slice();
      this.timerPeers = base.timerPeers.slice();
      this.timerGen = base.timerGen;
      this.now = base.now;
      this.cycle = base.cycle;
      return;
    }
    this.q = new EventQueue<number>();
    this.pool = EventPool.empty(protocol.messages);
    this.timerGens = new Int32Array(nodes);
    this.timerPeers = new Int32Array(nodes);
    const packed = options.store ?? (nodes >= PACKED_FROM ? 'packed' : 'objects');
    this.states = makeStore(nodes, protocol.init, packed === 'packed' ? protocol.states : undefined);
    this.alive = new Uint8Array(nodes).fill(1);
    this.live = nodes;
    this.phase = new Int32Array(nodes);
    for (let i = 0; i < nodes; i++) this.phase[i] = this.chooser.pick(options.cycleMs);
    this.byPhase = Int32Array.from({ length: nodes }, (_, i) => i).sort((a, b) => this.phase[a]! - this.phase[b]! || a - b);
  }

  get size(): number {
    return this.states.size;
  }

  /** Node `id`'s state, to read at once: valid until the simulation next touches a state. */
  state(id: NodeId): unknown {
    return this.states.view(id);
  }

  get liveCount(): number {
    return this.live;
  }

  latency(from: NodeId, to: NodeId): number {
    const { min, max } = this.options.latencyMs;
    return min + (mix(this.latencySalt ^ Math.imul(from + 1, 0x9e3779b1) ^ Math.imul(to + 1, 0x7feb352d)) % (max - min + 1));
  }

  // ---- inputs --------------------------------------------------------------------------------

  /** `node` joins through `contact` at time `at`. */
  join(node: NodeId, contact: NodeId, at = this.now): void {
    this.membershipInFlight++;
    this.q.push(at, this.pool.add(Kind.Join, node, contact, 0, 0, null));
  }

  /**
   * Every node but node 0 joins. 'sequential' (the paper): one at a time through a random node
   * already in, each join walking to its end before the next starts; 'at-once': all at the same
   * instant, each through a random lower-numbered node.
   */
  bootstrap(mode: 'sequential' | 'at-once', onProgress?: (joined: number) => void): void {
    for (let i = 1; i < this.size; i++) {
      this.join(i, this.chooser.pick(i), this.now);
      if (mode === 'sequential') {
        this.drain(JOIN_SETTLES_WITHIN);
        if (onProgress && i % 1024 === 0) onProgress(i);
      }
    }
    this.drain();
    onProgress?.(this.size - 1);
  }

  /** Crashes `ids` at once. Under 'reset', live nodes with a link to one of them hear of it one latency later. */
  crash(ids: Iterable<NodeId>): void {
    const travelling = this.broadcasts.filter((r) => r.hops !== null);
    for (const id of ids) {
      if (!this.alive[id]) continue;
      this.live--;
      this.alive[id] = 0;
      // Reliability counts the nodes that stay up: one that dies before a broadcast reaches it is not
      // owed it, nor is a fresh node that takes its id later (churn): it is left out of that broadcast.
      for (const r of travelling) {
        if (!r.hops![id]) {
          r.live--;
          r.hops![id] = LEFT_OUT;
        }
      }
    }
    if (this.options.detect !== 'reset' || !this.protocol.connections) return;
    for (let y = 0; y < this.size; y++) {
      if (!this.alive[y]) continue;
      for (const p of this.protocol.links(this.states.view(y))) {
        if (!this.alive[p]) this.linkDown(y, p, this.now + this.latency(p, y));
      }
    }
  }

  /** A fresh node takes the place of `id` (same id, empty state) and joins through `contact`. */
  replace(id: NodeId, contact: NodeId): void {
    this.states.reset(id);
    this.live += 1 - this.alive[id]!;
    this.alive[id] = 1;
    this.timerGens[id] = 0;
    this.join(id, contact);
  }

  /** Floods a broadcast at time `at` from `origin`, or from a seeded random node live at that time; returns its record. */
  broadcast(at = this.now, origin: NodeId = -1): BroadcastRecord {
    const rec: BroadcastRecord = { origin, sentAt: at, live: 0, delivered: 0, received: 0, lost: 0, lastHop: 0, pending: 1, hops: null };
    this.broadcasts.push(rec);
    this.q.push(at, this.pool.add(Kind.Originate, origin, -1, this.broadcasts.length - 1, 0, null));
    return rec;
  }

  /** A seeded random live node. */
  randomLive(): NodeId {
    for (;;) {
      const id = this.chooser.pick(this.size);
      if (this.alive[id]) return id;
    }
  }

  // ---- running -------------------------------------------------------------------------------

  /**
   * Runs `cycles` whole cycles from the next cycle boundary; `onCycle` is called at the end of
   * each (cycle numbers count from the first run).
   */
  runCycles(cycles: number, onCycle?: (cycle: number) => void): void {
    const T = this.options.cycleMs;
    const start = Math.ceil(this.now / T) * T;
    for (let k = 0; k < cycles; k++) {
      const base = start + k * T;
      for (let i = 0; i < this.byPhase.length; i++) {
        const id = this.byPhase[i]!;
        const at = base + this.phase[id]!;
        this.runUntil(at);
        this.now = at;
        if (this.alive[id]) this.apply(id, CYCLE);
      }
      this.runUntil(base + T);
      this.now = base + T;
      this.cycle++;
      onCycle?.(this.cycle);
    }
  }

  /** Processes every event up to and including time `t`. */
  runUntil(t: number): void {
    while (this.q.peekTime() <= t) this.process();
  }

  /**
   * Runs, with no shuffle timer firing, until nothing is left in flight; throws Livelock past
   * `maxEvents` (by default a thousand per node, far beyond the few dozen a settling node takes).
   */
  drain(maxEvents = 1000 * this.size + JOIN_SETTLES_WITHIN): void {
    for (let n = 0; this.q.size > 0; n++) {
      if (n >= maxEvents) throw new Livelock(n, this.now, this.cycle);
      this.process();
    }
  }

  // ---- events --------------------------------------------------------------------------------

  private process(): void {
    const time = this.q.peekTime();
    const e = this.pool.take(this.q.pop(), this.current);
    if (--this.prefetchIn <= 0) this.prefetch();
    this.now = time;
    this.eventsProcessed++;
    this.handle(e, time);
    e.msg = null;
  }

  private prefetch(): void {
    this.prefetchIn = PREFETCH;
    let read = this.prefetched;
    for (let j = 0; j < 2 * PREFETCH; j++) {
      const next = this.q.ahead(j);
      if (next === undefined) break;
      // The first PREFETCH slots were read one round ago: their nodes are known without a miss.
      read ^= j < PREFETCH ? this.states.touch(this.pool.to(next)) : this.pool.to(next);
    }
    this.prefetched = read;
  }

  private handle(e: Ev, time: number): void {
    const input = this.input;
    switch (e.k) {
      case Kind.Message:
        this.membershipInFlight--;
        if (this.alive[e.to]) {
          input.t = 'message';
          input.from = e.peer;
          input.msg = e.msg;
          this.apply(e.to, input as SimInput);
        }
        // The connection it travelled on is gone: the sender hears of it.
        else if (this.protocol.connections && this.alive[e.peer]) this.linkDown(e.peer, e.to, time + this.latency(e.to, e.peer));
        return;
      case Kind.LinkDown:
        this.membershipInFlight--;
        if (this.alive[e.to]) {
          input.t = 'linkDown';
          input.peer = e.peer;
          this.apply(e.to, input as SimInput);
        }
        return;
      case Kind.Join:
        this.membershipInFlight--;
        if (this.alive[e.to]) {
          input.t = 'join';
          input.contact = e.peer;
          this.apply(e.to, input as SimInput);
        }
        return;
      case Kind.Timeout: {
        if (this.timerGens[e.to] !== e.x) return; // superseded, or the node restarted
        this.timerGens[e.to] = 0;
        if (this.alive[e.to]) {
          input.t = 'timeout';
          input.peer = e.peer;
          this.apply(e.to, input as SimInput);
        }
        return;
      }
      case Kind.Originate:
      case Kind.Copy:
        return this.copyArrives(e);
    }
  }

  private apply(id: NodeId, input: SimInput): void {
    const out = this.out;
    clear(out);
    const s = this.states.view(id);
    this.protocol.step(s, input, this.protocolChooser, out);
    this.states.save(id, s);
    for (let i = 0; i < out.length; i++) {
      const fx = out[i]!;
      if (fx.t === 'send') {
        const { to, msg } = fx as Extract<SimEffect, { t: 'send' }>;
        this.send(id, to, msg);
      } else if (fx.t === 'armNeighborTimeout') {
        const { peer } = fx as Extract<SimEffect, { t: 'armNeighborTimeout' }>;
        // A generation fits its event's int32 slot: it wraps (skipping 0), and a timer lives far shorter than 2^32 arms.
        const gen = (this.timerGen = (this.timerGen + 1) | 0 || 1);
        this.timerGens[id] = gen;
        this.timerPeers[id] = peer;
        this.q.push(this.now + this.options.neighborTimeoutMs, this.pool.add(Kind.Timeout, id, peer, gen, 0, null));
      }
    }
  }

  private send(from: NodeId, to: NodeId, msg: unknown): void {
    this.messagesSent++;
    if (this.alive[to]) {
      this.membershipInFlight++;
      this.q.push(this.now + this.latency(from, to), this.pool.add(Kind.Message, to, from, 0, 0, msg));
    } else if (this.protocol.connections) {
      // The connect (or the write on a reset connection) fails: a round trip later.
      this.linkDown(from, to, this.now + 2 * this.latency(from, to));
    }
  }

  private linkDown(at: NodeId, peer: NodeId, time: number): void {
    this.membershipInFlight++;
    this.q.push(time, this.pool.add(Kind.LinkDown, at, peer, 0, 0, null));
  }

  private copyArrives(e: Ev): void {
    const rec = this.broadcasts[e.x]!;
    rec.pending--;
    let id = e.to;
    if (e.k === Kind.Originate) {
      if (id < 0) id = this.randomLive();
      rec.origin = id;
      rec.live = this.liveCount;
      rec.hops = new Uint8Array(this.size);
    }
    if (!this.alive[id]) {
      rec.lost++;
      if (this.protocol.connections && e.peer >= 0 && this.alive[e.peer]) this.linkDown(e.peer, id, this.now + this.latency(id, e.peer));
      return this.finish(rec);
    }
    if (e.k === Kind.Copy) rec.received++;
    if (rec.hops![id]) return this.finish(rec);
    rec.hops![id] = Math.min(LEFT_OUT - 1, e.hop + 1);
    rec.delivered++;
    if (e.hop > rec.lastHop) rec.lastHop = e.hop;
    for (const to of this.protocol.gossipTargets(this.states.view(id), e.peer, this.protocolChooser)) {
      rec.pending++;
      if (this.alive[to]) this.q.push(this.now + this.latency(id, to), this.pool.add(Kind.Copy, to, id, e.x, e.hop + 1, null));
      else {
        // Sent into a dead link: lost, and (over TCP) the sender hears of it.
        rec.pending--;
        rec.lost++;
        if (this.protocol.connections) this.linkDown(id, to, this.now + 2 * this.latency(id, to));
      }
    }
    this.finish(rec);
  }

  private finish(rec: BroadcastRecord): void {
    if (rec.pending === 0) rec.hops = null;
  }

  // ---- observing -----------------------------------------------------------------------------

  /** The shared snapshot the properties judge; only for protocols with views they know. */
  snapshot(): ClusterSnapshot {
    const { snapshot, bounds } = this.views();
    const nodes: NodeSnapshot[] = Array.from({ length: this.size }, (_, i) => ({ ...snapshot(this.states.copy(i), this.alive[i] === 1), timers: this.timerGens[i] ? [this.timerPeers[i]!] : [] }));
    return { nodes, ...bounds, inFlight: this.membershipInFlight, settled: true };
  }

  /** The protocol's node snapshot and view bounds: what the properties judge (HyParView has them). */
  private views(): { snapshot: NonNullable<SimProtocol['snapshot']>; bounds: NonNullable<SimProtocol['bounds']> } {
    const { snapshot, bounds, name } = this.protocol;
    if (!snapshot || !bounds) throw new Error(`the properties judge HyParView views; ${name} has none`);
    return { snapshot, bounds };
  }

  /**
   * Components of the knowledge graph among live nodes (an edge wherever one names the other in
   * either view): survivors in different components cannot ever find each other, whatever the
   * protocol does, so a split between them is beyond repair rather than a fault.
   */
  knowledgeComponents(): number {
    const { snapshot } = this.views();
    const parent = Int32Array.from({ length: this.size }, (_, i) => i);
    const find = (x: number): number => {
      while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
      return x;
    };
    for (let i = 0; i < this.size; i++) {
      if (!this.alive[i]) continue;
      const n = snapshot(this.states.view(i), true);
      for (const p of [...n.active, ...n.passive]) if (this.alive[p]) parent[find(p)] = find(i);
    }
    let roots = 0;
    for (let i = 0; i < this.size; i++) if (this.alive[i] && find(i) === i) roots++;
    return roots;
  }

  /**
   * Always-properties (the node-local ones node by node, with no cluster snapshot to build every
   * cycle), or the quiescent ones on the whole snapshot.
   */
  judge(which: 'always' | 'quiescent'): Violation[] {
    const found: Violation[] = [];
    const judgeWhole = (props: readonly Property[]) => {
      if (props.length === 0) return;
      const snap = this.snapshot();
      for (const p of props) {
        const v = p.check(snap);
        if (v) found.push({ property: p.name, message: v, atMs: this.now });
      }
    };
    if (which === 'quiescent') {
      judgeWhole(QUIESCENT);
      return found;
    }
    judgeWhole(WHOLE_ALWAYS);
    const { snapshot, bounds } = this.views();
    const open = new Set(LOCAL_ALWAYS);
    for (let i = 0; i < this.size && open.size > 0; i++) {
      if (!this.alive[i]) continue;
      const node = snapshot(this.states.view(i), true);
      for (const p of open) {
        const v = p.local!(node, bounds);
        if (v) {
          found.push({ property: p.name, message: v, atMs: this.now });
          open.delete(p);
        }
      }
    }
    return found;
  }
}
