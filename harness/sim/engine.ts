// A seeded discrete-event simulator for 10^4..10^6 nodes running one of the overlays of
// protocols.ts unchanged. Virtual time in whole milliseconds; a cycle is one shuffle period, and
// every node's timer fires once per cycle at its own seeded phase. Each directed link has a
// fixed latency drawn from the seed, so messages on one link arrive in order, as over TCP.
// Everything random comes from seeded choosers (each shard's and the engine's) taken in event
// order, so a run is a pure function of its options. The nodes are split into `shards` (shard.ts),
// which run in windows of virtual time, on one thread or, for a large HyParView run, on one
// thread each (parallel.ts): the same run either way. Pending events sit in slots of one typed
// array per shard (events.ts), and from PACKED_FROM nodes so do the node states (store.ts): a
// large run is bound by memory latency, not by the steps' work (BENCHMARKS.md, simulator).
import { type Chooser, seededChooser, type SeededChooser } from '../../models/chooser.ts';
import type { NodeId } from '../../models/hyparview/messages.ts';
import { ALWAYS, QUIESCENT, type Property } from '../../properties/invariants.ts';
import type { ClusterSnapshot, NodeSnapshot } from '../../properties/snapshot.ts';
import type { SimProtocol } from './protocols.ts';
import { EventPool, MESSAGE_WORDS } from './events.ts';
import { exchange, runThreaded } from './parallel.ts';
import { EventQueue } from './queue.ts';
import { Kind, LEFT_OUT, latency, mix, type Network, Shard, Tally, TALLY } from './shard.ts';
import { makeStore } from './store.ts';

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
  /**
   * Shards the nodes are split into. Each shard draws from a chooser of its own, so the run
   * depends on their number; with more than one, latencyMs.min must be at least 1 ms. By default
   * two from SHARDED_FROM nodes for a protocol whose shards can run on threads (HyParView), else one.
   */
  readonly shards?: number;
  /**
   * Whether shards may run on threads of their own (HyParView runs with packed states, during
   * cycles); default true. The run is the same either way.
   */
  readonly threads?: boolean;
  /** Records a thread's channel carries per exchange round (default CHANNEL_RECORDS); the run is the same at any size. */
  readonly channelRecords?: number;
}

/** The most shards a network may be split into. */
export const MAX_SHARDS = 16;

/** From this many nodes a network runs on two shards by default: the cycles run about 1.5× faster on this 2-core machine's two threads (BENCHMARKS.md). */
export const SHARDED_FROM = 30_000;

/** The shards a network of these options runs on. */
export function shardCount(protocol: SimProtocol, options: EngineOptions): number {
  if (options.shards !== undefined) return options.shards;
  return options.nodes >= SHARDED_FROM && options.latencyMs.min >= 1 && threadable(protocol) ? 2 : 1;
}

/** Whether a protocol's shards can run on threads: its messages all pack into event slots, and another thread can rebuild it. */
function threadable(protocol: SimProtocol): boolean {
  return protocol.recipe !== undefined && protocol.states !== undefined && protocol.messages !== undefined && (protocol.messageWords ?? Infinity) <= MESSAGE_WORDS;
}

/** Below this many nodes the states mostly fit in cache: packed, the cycles run no faster and the sequential build 20% slower. */
export const PACKED_FROM = 30_000;

export const DEFAULT_ENGINE: Omit<EngineOptions, 'nodes' | 'seed'> = {
  cycleMs: 1000,
  latencyMs: { min: 5, max: 50 },
  detect: 'reset',
  neighborTimeoutMs: 500,
};

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
  /** `violations`: properties the run had already broken (`simulate` judges them before it drains). */
  constructor(readonly events: number, readonly atMs: number, readonly cycle: number, readonly violations: ReadonlyArray<Violation & { readonly cycle: number }> = []) {
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

export class Simulation {
  /** One shard until the first cycles run, then `shardCount` (the sequential build runs whole: see split). */
  private shards: Shard[];
  /** The shards the network runs its cycles on. */
  readonly shardCount: number;
  private readonly chooserOf: (k: number) => SeededChooser;
  private readonly net: Network;
  readonly alive: Uint8Array;
  now = 0;
  readonly broadcasts: BroadcastRecord[] = [];
  /** Cycles run so far (all runCycles calls). */
  cycle = 0;
  private live: number;
  readonly chooser: Chooser;
  /** Each broadcast's hop table while it travels (shared with the shards). */
  private readonly hops: Array<Uint8Array | null> = [];
  /** Broadcasts started and still travelling: their shards' tallies are gathered after each run. */
  private open: number[] = [];
  /** Broadcasts whose origin is settled when a run reaches them (several shards), in the order sent. */
  private unsettled: number[] = [];
  /** Runs (one per cycle) whose shards ran on threads of their own. */
  threadedRuns = 0;

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
    const count = (this.shardCount = shardCount(protocol, options));
    if (!Number.isInteger(count) || count < 1 || count > Math.min(MAX_SHARDS, nodes)) throw new RangeError(`shards must be an integer from 1 to ${Math.min(MAX_SHARDS, nodes)}, got ${count}`);
    if (options.channelRecords !== undefined && !(Number.isInteger(options.channelRecords) && options.channelRecords >= 1)) throw new RangeError(`channelRecords must be a whole number from 1, got ${options.channelRecords}`);
    if (count > 1 && options.latencyMs.min < 1) throw new RangeError(`shards exchange messages once per window of the shortest latency: with ${count} shards latencyMs.min must be at least 1 ms, got 0`);
    const streams = base ? mix(seed ^ mix(salt + 0x51)) : seed;
    // Shard 0 draws from the stream a network of one shard always drew from, so one shard is the engine of old.
    const chooserOf = (this.chooserOf = (k: number): SeededChooser => seededChooser(k === 0 ? streams : streams ^ mix(k + 0x5a4d)));
    this.chooser = seededChooser(streams ^ 0x5eed51);
    this.alive = bytes(nodes, count > 1);
    this.net = { protocol, options, alive: this.alive, per: base?.net.per ?? nodes, latencySalt: mix(seed ^ 0x1a7e), hops: this.hops, originate: (x, origin) => this.settle(x, origin) };
    if (base) {
      this.alive.set(base.alive);
      this.live = base.live;
      this.now = base.now;
      this.cycle = base.cycle;
      this.shards = base.shards.map((s, k) => s.clone(this.net, chooserOf(k)));
      return;
    }
    this.alive.fill(1);
    this.live = nodes;
    const phase = new Int32Array(nodes);
    for (let i = 0; i < nodes; i++) phase[i] = this.chooser.pick(options.cycleMs);
    const byPhase = Int32Array.from({ length: nodes }, (_, i) => i).sort((a, b) => phase[a]! - phase[b]! || a - b);
    const packed = options.store ?? (nodes >= PACKED_FROM ? 'packed' : 'objects');
    const whole = new Shard(0, 1, this.net, {
      store: makeStore(nodes, protocol.init, packed === 'packed' ? protocol.states : undefined),
      q: new EventQueue<number>(),
      pool: EventPool.empty(protocol.messages),
      timerGens: new Int32Array(nodes),
      timerPeers: new Int32Array(nodes),
      timerGen: 0,
      byPhase,
      phases: byPhase.map((id) => phase[id]!),
      chooser: chooserOf(0),
      now: 0,
      membershipInFlight: 0,
    });
    this.shards = [whole];
  }

  /**
   * Cuts the whole network into its shards, before its first cycles. Until then it runs whole:
   * a sequential build is one join at a time, too sparse to gain from windows (shards on one thread
   * build a quarter slower, BENCHMARKS.md), and every shard count then builds the same overlay.
   */
  private split(): void {
    this.net.per = Math.ceil(this.size / this.shardCount);
    this.shards = this.shards[0]!.split(this.shardCount, this.chooserOf, (x) => this.unsettled.push(x));
  }

  get size(): number {
    return this.options.nodes;
  }

  /** Protocol messages sent, and events processed, over the whole run (a copy counts from its own start). */
  get messagesSent(): number {
    return this.shards.reduce((n, s) => n + s.messagesSent, 0);
  }

  get eventsProcessed(): number {
    return this.shards.reduce((n, s) => n + s.eventsProcessed, 0);
  }

  private shardOf(id: NodeId): Shard {
    return this.shards[(id / this.net.per) | 0]!;
  }

  /** Node `id`'s state, to read at once: valid until the simulation next touches a state. */
  state(id: NodeId): unknown {
    return this.shardOf(id).store.view(id);
  }

  get liveCount(): number {
    return this.live;
  }

  latency(from: NodeId, to: NodeId): number {
    return latency(this.net, from, to);
  }

  // ---- inputs --------------------------------------------------------------------------------

  /** `node` joins through `contact` at time `at`. */
  join(node: NodeId, contact: NodeId, at = this.now): void {
    this.shardOf(node).push(at, Kind.Join, node, contact, 0);
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
      const shard = this.shardOf(y);
      for (const p of this.protocol.links(shard.store.view(y))) {
        if (!this.alive[p]) shard.push(this.now + this.latency(p, y), Kind.LinkDown, y, p, 0);
      }
    }
  }

  /** A fresh node takes the place of `id` (same id, empty state) and joins through `contact`. */
  replace(id: NodeId, contact: NodeId): void {
    this.shardOf(id).reset(id);
    this.live += 1 - this.alive[id]!;
    this.alive[id] = 1;
    this.join(id, contact);
  }

  /** Floods a broadcast at time `at` from `origin`, or from a seeded random node live at that time; returns its record. */
  broadcast(at = this.now, origin: NodeId = -1): BroadcastRecord {
    const rec: BroadcastRecord = { origin, sentAt: at, live: 0, delivered: 0, received: 0, lost: 0, lastHop: 0, pending: 1, hops: null };
    this.broadcasts.push(rec);
    this.hops.push(null);
    const x = this.broadcasts.length - 1;
    // One shard settles the origin when the event comes; several settle it as a run reaches it (`settleDue`).
    if (this.shards.length === 1) this.shards[0]!.push(at, Kind.Originate, origin, -1, x);
    else this.unsettled.push(x);
    return rec;
  }

  /** A seeded random live node. */
  randomLive(): NodeId {
    for (;;) {
      const id = this.chooser.pick(this.size);
      if (this.alive[id]) return id;
    }
  }

  /** Broadcast `x` starts: its origin is settled, and it is owed to the nodes live now. */
  private settle(x: number, origin: NodeId): NodeId {
    const rec = this.broadcasts[x]!;
    rec.origin = origin < 0 ? this.randomLive() : origin;
    rec.live = this.live;
    rec.hops = this.hops[x] = bytes(this.size, this.shardCount > 1);
    this.open.push(x);
    return rec.origin;
  }

  /**
   * Several shards: settles the broadcasts due by `end` before the run, in the order they are due
   * (as their events would come), and queues their starts. Nothing changes who is live during a run.
   */
  private settleDue(end: number): void {
    if (this.unsettled.length === 0) return;
    const due = this.unsettled.filter((x) => this.broadcasts[x]!.sentAt <= end).sort((a, b) => this.broadcasts[a]!.sentAt - this.broadcasts[b]!.sentAt || a - b);
    this.unsettled = this.unsettled.filter((x) => this.broadcasts[x]!.sentAt > end);
    for (const x of due) {
      const origin = this.settle(x, this.broadcasts[x]!.origin);
      this.shardOf(origin).push(this.broadcasts[x]!.sentAt, Kind.Origin, origin, -1, x);
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
    if (cycles > 0 && this.shards.length < this.shardCount) this.split();
    for (let k = 0; k < cycles; k++) {
      const base = start + k * T;
      this.settleDue(base + T);
      for (const s of this.shards) s.startCycle(base);
      this.run(base + T, Infinity);
      for (const s of this.shards) s.endCycle();
      this.gather();
      this.now = base + T;
      this.cycle++;
      onCycle?.(this.cycle);
    }
  }

  /**
   * Runs, with no shuffle timer firing, until nothing is left in flight; throws Livelock past
   * `maxEvents` (by default a thousand per node, far beyond the few dozen a settling node takes).
   */
  drain(maxEvents = 1000 * this.size + JOIN_SETTLES_WITHIN): void {
    this.settleDue(Infinity);
    const n = this.run(Infinity, maxEvents);
    this.gather();
    for (const s of this.shards) if (s.now > this.now) this.now = s.now;
    if (this.shards.some((s) => s.pending > 0)) throw new Livelock(n, this.now, this.cycle);
  }

  /** Runs the events (and armed shuffle timers) due by `end`, at most `budget` of them; returns how many ran. */
  private run(end: number, budget: number): number {
    if (this.shards.length === 1) return this.shards[0]!.runWindow(end + 1, budget);
    if (end < Infinity && this.threaded()) {
      this.threadedRuns++;
      return runThreaded(this.shards, this.net, end);
    }
    const shards = this.shards;
    const window = this.options.latencyMs.min;
    let n = 0;
    for (;;) {
      let w = Infinity;
      for (let k = 0; k < shards.length; k++) w = Math.min(w, shards[k]!.nextTime());
      if (w > end || w === Infinity) return n;
      const until = Math.min(w + window, end + 1);
      for (let k = 0; k < shards.length; k++) {
        n += shards[k]!.runWindow(until, budget - n);
        if (n >= budget) return n;
      }
      exchange(shards);
    }
  }

  /** Whether the shards run on threads: the protocol allows it, and their states are packed into typed arrays that move there. */
  private threaded(): boolean {
    return this.options.threads !== false && threadable(this.protocol) && this.shards.every((s) => s.store.packed);
  }

  /** Adds the shards' tallies into their broadcasts' records; a broadcast with no copy left travelling is final. */
  private gather(): void {
    if (this.open.length === 0) return;
    for (const x of this.open) {
      const rec = this.broadcasts[x]!;
      const at = x * TALLY;
      for (const s of this.shards) {
        const t = s.tallies;
        if (at >= t.length) continue;
        rec.delivered += t[at + Tally.Delivered]!;
        rec.received += t[at + Tally.Received]!;
        rec.lost += t[at + Tally.Lost]!;
        rec.lastHop = Math.max(rec.lastHop, t[at + Tally.LastHop]!);
        rec.pending += t[at + Tally.Pending]!;
        t.fill(0, at, at + TALLY);
      }
      if (rec.pending === 0) rec.hops = this.hops[x] = null;
    }
    this.open = this.open.filter((x) => this.hops[x] !== null);
  }

  // ---- observing -----------------------------------------------------------------------------

  /** The shared snapshot the properties judge; only for protocols with views they know. */
  snapshot(): ClusterSnapshot {
    const { snapshot, bounds } = this.views();
    const nodes: NodeSnapshot[] = Array.from({ length: this.size }, (_, i) => {
      const shard = this.shardOf(i);
      const timer = shard.timer(i);
      return { ...snapshot(shard.store.copy(i), this.alive[i] === 1), timers: timer.gen ? [timer.peer] : [] };
    });
    const inFlight = this.shards.reduce((n, s) => n + s.membershipInFlight, 0);
    return { nodes, ...bounds, inFlight, settled: true };
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
      const n = snapshot(this.state(i), true);
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
      const node = snapshot(this.state(i), true);
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

/** `n` zeroed bytes, in memory other threads can share when `shared`. */
function bytes(n: number, shared: boolean): Uint8Array {
  return new Uint8Array(shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
}
