// One shard of a simulated network: a contiguous range of nodes with their states, their pending
// events, their NEIGHBOR timers and a chooser of their own. A network of one shard is the whole
// engine. With several, each runs its events in windows of virtual time no longer than the
// shortest latency, so nothing one shard sends another is due before the window ends: at each
// window's end the shards take in each other's outboxes, in shard order. That order is all the
// run depends on, so the shards may run in turn on one thread or at once on several (parallel.ts)
// and give the same run (a conservative parallel discrete-event simulation).
import { seededChooser, type SeededChooser } from '../../models/chooser.ts';
import type { NodeId } from '../../models/hyparview/messages.ts';
import { clear } from '../../models/hyparview/views.ts';
import type { EngineOptions } from './engine.ts';
import { type Ev, EventPool, Outbox, type PoolState, RECORD } from './events.ts';
import type { SimEffect, SimInput, SimProtocol } from './protocols.ts';
import { EventQueue, type QueueState } from './queue.ts';
import { attachStore, type NodeStore, type PackedStoreState } from './store.ts';

export const enum Kind {
  Message,
  LinkDown,
  Timeout,
  Copy,
  Join,
  /** A broadcast starts: its origin (-1: a random live node) is settled when the event comes. */
  Originate,
  /** A broadcast starts at an origin settled before the run (several shards). */
  Origin,
}

/** What the shards of one network share: read-only while they run, but for their own nodes' broadcast hops. */
export interface Network {
  readonly protocol: SimProtocol;
  readonly options: EngineOptions;
  readonly alive: Uint8Array;
  /** Nodes per shard: shard k holds nodes k·per .. (k + 1)·per − 1 (set when the network is split). */
  per: number;
  readonly latencySalt: number;
  /** Each broadcast's first-delivery hop + 1 per node, while it travels (indexed as the broadcasts). */
  readonly hops: ReadonlyArray<Uint8Array | null>;
  /** Settles an Originate event's origin (`origin`, or a random live node for -1) and opens its broadcast. */
  readonly originate: (broadcast: number, origin: NodeId) => NodeId;
}

/** A broadcast's counts as one shard saw them since they were last gathered (the engine adds them up). */
export const enum Tally {
  Delivered,
  Received,
  Lost,
  LastHop,
  /** Copies sent less copies arrived. */
  Pending,
}
export const TALLY = 5;

/** In a broadcast's hop table: this id is not part of the broadcast (its node died before it came). */
export const LEFT_OUT = 255;

/**
 * Every PREFETCH events the shard reads ahead in its queue: the states of the next PREFETCH
 * events' nodes and the slots of the PREFETCH after them, so that their cache misses overlap
 * instead of stalling one step each (BENCHMARKS.md, simulator, eighth session).
 */
const PREFETCH = 4;
const CYCLE: SimInput = { t: 'cycle' };

/** 32-bit mix (murmur3's finaliser). */
export function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The one-way latency of the directed link from → to: fixed for the run, drawn from its salt. */
export function latency(net: Network, from: NodeId, to: NodeId): number {
  const { min, max } = net.options.latencyMs;
  const h = mix(net.latencySalt ^ Math.imul(from + 1, 0x9e3779b1) ^ Math.imul(to + 1, 0x7feb352d));
  // h % span, in two steps of small integers: h itself may exceed int32, and % on a double is a call.
  const span = max - min + 1;
  return min + ((((h >>> 16) % span) * 65536 + (h & 0xffff)) % span);
}

/** A shard's own parts, fresh, copied or taken over from another thread. */
export interface ShardParts {
  readonly store: NodeStore<unknown>;
  readonly q: EventQueue<number>;
  readonly pool: EventPool;
  /**
   * Each node's armed NEIGHBOR timer: its generation (0: none) and peer. The request a node waits
   * on is always the one its latest timer was armed for (`ask` sets both), so an earlier timer could
   * only time out a request already closed, a no-op step: arming drops it. Per node rather than per
   * (node, peer) in a Map, whose 10^5 boxed keys cost a sixth of a large run (BENCHMARKS.md).
   */
  readonly timerGens: Int32Array;
  readonly timerPeers: Int32Array;
  readonly timerGen: number;
  /** The shard's nodes in the order their shuffle timers fire within a cycle, and each one's phase. */
  readonly byPhase: Int32Array;
  readonly phases: Int32Array;
  readonly chooser: SeededChooser;
  readonly now: number;
  readonly membershipInFlight: number;
  readonly messagesSent?: number;
  readonly eventsProcessed?: number;
  readonly tallies?: Float64Array;
}

/** A shard in transit between threads: its typed arrays move, the rest is copied. */
export interface ShardState extends Omit<ShardParts, 'store' | 'q' | 'pool' | 'chooser'> {
  readonly index: number;
  readonly store: PackedStoreState<unknown>;
  readonly q: QueueState<number>;
  readonly pool: PoolState;
  readonly chooser: readonly number[];
  readonly messagesSent: number;
  readonly eventsProcessed: number;
  readonly tallies: Float64Array;
  readonly cycleBase: number;
  readonly timerNext: number;
}

export class Shard {
  readonly store: NodeStore<unknown>;
  private readonly q: EventQueue<number>;
  private readonly pool: EventPool;
  readonly timerGens: Int32Array;
  readonly timerPeers: Int32Array;
  timerGen: number;
  private readonly byPhase: Int32Array;
  private readonly phases: Int32Array;
  readonly chooser: SeededChooser;
  now: number;
  /** Protocol messages, link failures and joins this shard queued, less those it took (another shard's may take them). */
  membershipInFlight: number;
  messagesSent: number;
  eventsProcessed: number;
  /** TALLY counts per broadcast, since the engine last gathered them. */
  tallies: Float64Array;
  /** Events bound for each other shard in this window (this shard's own stays empty). */
  readonly outboxes: Outbox[];
  /** Within a cycle: its start time (else -1), and the next shuffle timer to fire, by place in byPhase. */
  private cycleBase = -1;
  private timerNext = 0;
  private readonly out: SimEffect[] = [];
  /** The event being handled, read out of its slot. */
  private readonly current: Ev = { k: 0, to: 0, peer: 0, x: 0, hop: 0, msg: null };
  /** The input handed to the protocol, rewritten for each event (models read it, never keep it). */
  private readonly input: { t: SimInput['t']; from: NodeId; msg: unknown; peer: NodeId; contact: NodeId } = { t: 'message', from: 0, msg: null, peer: 0, contact: 0 };
  /** Events left before the next read-ahead, and what it read (kept, so that the reads stay). */
  private prefetchIn = 0;
  private prefetched = 0;

  constructor(readonly index: number, shards: number, readonly net: Network, parts: ShardParts) {
    this.store = parts.store;
    this.q = parts.q;
    this.pool = parts.pool;
    this.timerGens = parts.timerGens;
    this.timerPeers = parts.timerPeers;
    this.timerGen = parts.timerGen;
    this.byPhase = parts.byPhase;
    this.phases = parts.phases;
    this.chooser = parts.chooser;
    this.now = parts.now;
    this.membershipInFlight = parts.membershipInFlight;
    this.messagesSent = parts.messagesSent ?? 0;
    this.eventsProcessed = parts.eventsProcessed ?? 0;
    this.tallies = parts.tallies ?? new Float64Array(0);
    this.outboxes = Array.from({ length: shards }, () => new Outbox());
  }

  /** A copy whose random choices come from `chooser`, so that the two run apart. */
  clone(net: Network, chooser: SeededChooser): Shard {
    return new Shard(this.index, this.outboxes.length, net, {
      store: this.store.clone(),
      q: this.q.clone(),
      pool: this.pool.clone(),
      timerGens: this.timerGens.slice(),
      timerPeers: this.timerPeers.slice(),
      timerGen: this.timerGen,
      byPhase: this.byPhase,
      phases: this.phases,
      chooser,
      now: this.now,
      membershipInFlight: this.membershipInFlight,
    });
  }

  /** Everything another thread needs to run this shard on; this object is spent. */
  detach(): ShardState {
    return {
      index: this.index,
      store: this.store.detach(),
      q: this.q.detach(),
      pool: this.pool.detach(),
      timerGens: this.timerGens,
      timerPeers: this.timerPeers,
      timerGen: this.timerGen,
      byPhase: this.byPhase,
      phases: this.phases,
      chooser: this.chooser.state(),
      now: this.now,
      membershipInFlight: this.membershipInFlight,
      messagesSent: this.messagesSent,
      eventsProcessed: this.eventsProcessed,
      tallies: this.tallies,
      cycleBase: this.cycleBase,
      timerNext: this.timerNext,
    };
  }

  /** The shard another thread detached, on this one. */
  static attach(s: ShardState, shards: number, net: Network): Shard {
    const codec = net.protocol.states;
    if (!codec) throw new Error(`${net.protocol.name} keeps no packed states to move between threads`);
    const shard = new Shard(s.index, shards, net, {
      ...s,
      store: attachStore(s.store, net.protocol.init, codec),
      q: EventQueue.attach(s.q),
      pool: EventPool.attach(s.pool, net.protocol.messages),
      chooser: seededChooser(0, s.chooser),
    });
    shard.cycleBase = s.cycleBase;
    shard.timerNext = s.timerNext;
    return shard;
  }

  /** Events queued here or waiting in its outboxes. */
  get pending(): number {
    let n = this.q.size;
    for (const box of this.outboxes) n += box.count;
    return n;
  }

  /**
   * This shard of the whole network cut into `count` shards of `net.per` nodes (set before): the
   * first keeps its chooser and counts, each other draws from `chooserOf(k)`. The pending events
   * go to their nodes' shards in the order they were due; the starts of broadcasts whose origin is
   * still to settle are handed to `unsettled`, in that order.
   */
  split(count: number, chooserOf: (k: number) => SeededChooser, unsettled: (broadcast: number) => void): Shard[] {
    const { per, protocol } = this.net;
    const shards = Array.from({ length: count }, (_, k) => {
      const first = k * per;
      const size = Math.min(per, this.store.size - first);
      const mine: number[] = [];
      for (let i = 0; i < this.byPhase.length; i++) if (this.byPhase[i]! >= first && this.byPhase[i]! < first + size) mine.push(i);
      const own = k === 0;
      return new Shard(k, count, this.net, {
        store: this.store.slice(first, size),
        q: new EventQueue<number>(),
        pool: EventPool.empty(protocol.messages),
        timerGens: this.timerGens.slice(first, first + size),
        timerPeers: this.timerPeers.slice(first, first + size),
        timerGen: own ? this.timerGen : 0,
        byPhase: Int32Array.from(mine, (i) => this.byPhase[i]!),
        phases: Int32Array.from(mine, (i) => this.phases[i]!),
        chooser: own ? this.chooser : chooserOf(k),
        now: this.now,
        membershipInFlight: own ? this.membershipInFlight : 0,
        messagesSent: own ? this.messagesSent : 0,
        eventsProcessed: own ? this.eventsProcessed : 0,
        tallies: own ? this.tallies : undefined,
      });
    });
    const moving = new Outbox();
    while (this.q.size > 0) {
      const time = this.q.peekTime();
      const slot = this.q.pop();
      if (this.pool.kind(slot) === Kind.Originate) {
        unsettled(this.pool.take(slot, this.current).x);
        continue;
      }
      const to = this.pool.to(slot);
      this.pool.moveOut(slot, time, moving);
      shards[(to / per) | 0]!.receive(moving.words, 0, 1, moving.objects);
      moving.clear();
    }
    return shards;
  }

  // ---- inputs from the engine ------------------------------------------------------------------

  push(time: number, kind: Kind, to: NodeId, peer: NodeId, x: number): void {
    if (kind !== Kind.Originate && kind !== Kind.Origin && kind !== Kind.Timeout) this.membershipInFlight++;
    this.q.push(time, this.pool.add(kind, to, peer, x, 0, null));
  }

  /**
   * Takes in `count` records from word `at` of `words` (another shard's outbox, or a channel), with
   * the messages the codec did not pack, one per record (an outbox's; a channel has none).
   */
  receive(words: Int32Array, at: number, count: number, objects: readonly unknown[] = []): void {
    for (let i = 0; i < count; i++) {
      const pos = at + i * RECORD;
      this.q.push(words[pos]!, this.pool.moveIn(words, pos, objects[i]));
    }
  }

  /** Node `id` (one of this shard's) starts afresh. */
  reset(id: NodeId): void {
    this.store.reset(id);
    this.timerGens[id - this.store.first] = 0;
  }

  /** The generation of node `id`'s armed NEIGHBOR timer (0: none) and its peer. */
  timer(id: NodeId): { gen: number; peer: NodeId } {
    const i = id - this.store.first;
    return { gen: this.timerGens[i]!, peer: this.timerPeers[i]! };
  }

  /** The broadcast's offset in `tallies`, grown to hold it. */
  tally(broadcast: number): number {
    const at = broadcast * TALLY;
    if (at + TALLY > this.tallies.length) {
      const grown = new Float64Array(Math.max(2 * this.tallies.length, at + TALLY));
      grown.set(this.tallies);
      this.tallies = grown;
    }
    return at;
  }

  // ---- running ---------------------------------------------------------------------------------

  /** From now until endCycle, every node's shuffle timer fires once, at `base` + its phase. */
  startCycle(base: number): void {
    this.cycleBase = base;
    this.timerNext = 0;
  }

  endCycle(): void {
    this.cycleBase = -1;
  }

  /** Time of the earliest pending event or shuffle timer; Infinity when none. */
  nextTime(): number {
    const t = this.q.peekTime();
    if (this.cycleBase < 0 || this.timerNext >= this.byPhase.length) return t;
    return Math.min(t, this.cycleBase + this.phases[this.timerNext]!);
  }

  /**
   * Runs the events and shuffle timers due before `until`, a timer after the events of its own
   * millisecond, and stops after `budget` events; returns how many ran.
   */
  runWindow(until: number, budget: number): number {
    let n = 0;
    if (this.cycleBase >= 0) {
      for (; this.timerNext < this.byPhase.length; this.timerNext++) {
        const at = this.cycleBase + this.phases[this.timerNext]!;
        if (at >= until) break;
        n += this.runUntil(at, budget - n);
        this.now = at;
        const id = this.byPhase[this.timerNext]!;
        if (this.net.alive[id]) this.apply(id, CYCLE);
      }
    }
    return n + this.runUntil(until - 1, budget - n);
  }

  /** Runs events due by `t` (finite: an empty queue's next time is Infinity). */
  private runUntil(t: number, budget: number): number {
    if (t > Number.MAX_SAFE_INTEGER) t = Number.MAX_SAFE_INTEGER;
    let n = 0;
    while (n < budget && this.q.peekTime() <= t) {
      this.process();
      n++;
    }
    return n;
  }

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
      read ^= j < PREFETCH ? this.store.touch(this.pool.to(next)) : this.pool.to(next);
    }
    this.prefetched = read;
  }

  private handle(e: Ev, time: number): void {
    const input = this.input;
    const alive = this.net.alive;
    switch (e.k) {
      case Kind.Message:
        this.membershipInFlight--;
        if (alive[e.to]) {
          input.t = 'message';
          input.from = e.peer;
          input.msg = e.msg;
          this.apply(e.to, input as SimInput);
        }
        // The connection it travelled on is gone: the sender hears of it.
        else if (this.net.protocol.connections && alive[e.peer]) this.linkDown(e.peer, e.to, time + latency(this.net, e.to, e.peer));
        return;
      case Kind.LinkDown:
        this.membershipInFlight--;
        if (alive[e.to]) {
          input.t = 'linkDown';
          input.peer = e.peer;
          this.apply(e.to, input as SimInput);
        }
        return;
      case Kind.Join:
        this.membershipInFlight--;
        if (alive[e.to]) {
          input.t = 'join';
          input.contact = e.peer;
          this.apply(e.to, input as SimInput);
        }
        return;
      case Kind.Timeout: {
        const i = e.to - this.store.first;
        if (this.timerGens[i] !== e.x) return; // superseded, or the node restarted
        this.timerGens[i] = 0;
        if (alive[e.to]) {
          input.t = 'timeout';
          input.peer = e.peer;
          this.apply(e.to, input as SimInput);
        }
        return;
      }
      case Kind.Originate:
      case Kind.Origin:
      case Kind.Copy:
        return this.copyArrives(e);
    }
  }

  private apply(id: NodeId, input: SimInput): void {
    const out = this.out;
    clear(out);
    const s = this.store.view(id);
    const protocol = this.net.protocol;
    protocol.step(s, input, this.chooser, out);
    this.store.save(id, s);
    // A request answered (or given up) leaves its timer nothing to time out: disarmed, its event is dropped unstepped.
    const local = id - this.store.first;
    if (this.timerGens[local] !== 0 && protocol.awaiting && protocol.awaiting(s) !== this.timerPeers[local]) this.timerGens[local] = 0;
    for (let i = 0; i < out.length; i++) {
      const fx = out[i]!;
      if (fx.t === 'send') {
        const { to, msg } = fx as Extract<SimEffect, { t: 'send' }>;
        this.send(id, to, msg);
      } else if (fx.t === 'armNeighborTimeout') {
        const { peer } = fx as Extract<SimEffect, { t: 'armNeighborTimeout' }>;
        // A generation fits its event's int32 slot: it wraps (skipping 0), and a timer lives far shorter than 2^32 arms.
        const gen = (this.timerGen = (this.timerGen + 1) | 0 || 1);
        this.timerGens[local] = gen;
        this.timerPeers[local] = peer;
        this.push(this.now + this.net.options.neighborTimeoutMs, Kind.Timeout, id, peer, gen);
      }
    }
  }

  /** Queues an event for `to`, here or in the outbox of the shard that holds it. */
  private post(time: number, kind: Kind, to: NodeId, peer: NodeId, x: number, hop: number, msg: unknown): void {
    const slot = this.pool.add(kind, to, peer, x, hop, msg);
    const shard = (to / this.net.per) | 0;
    if (shard === this.index) this.q.push(time, slot);
    else this.pool.moveOut(slot, time, this.outboxes[shard]!);
  }

  private send(from: NodeId, to: NodeId, msg: unknown): void {
    this.messagesSent++;
    if (this.net.alive[to]) {
      this.membershipInFlight++;
      this.post(this.now + latency(this.net, from, to), Kind.Message, to, from, 0, 0, msg);
    } else if (this.net.protocol.connections) {
      // The connect (or the write on a reset connection) fails: a round trip later.
      this.linkDown(from, to, this.now + 2 * latency(this.net, from, to));
    }
  }

  private linkDown(at: NodeId, peer: NodeId, time: number): void {
    this.membershipInFlight++;
    this.post(time, Kind.LinkDown, at, peer, 0, 0, null);
  }

  private copyArrives(e: Ev): void {
    const { alive, protocol } = this.net;
    const x = e.x;
    const t = this.tally(x);
    const tallies = this.tallies;
    tallies[t + Tally.Pending]--;
    const id = e.k === Kind.Originate ? this.net.originate(x, e.to) : e.to;
    const hops = this.net.hops[x]!;
    if (!alive[id]) {
      tallies[t + Tally.Lost]++;
      if (protocol.connections && e.peer >= 0 && alive[e.peer]) this.linkDown(e.peer, id, this.now + latency(this.net, id, e.peer));
      return;
    }
    if (e.k === Kind.Copy) tallies[t + Tally.Received]++;
    if (hops[id]) return;
    hops[id] = Math.min(LEFT_OUT - 1, e.hop + 1);
    tallies[t + Tally.Delivered]++;
    if (e.hop > tallies[t + Tally.LastHop]!) tallies[t + Tally.LastHop] = e.hop;
    for (const to of protocol.gossipTargets(this.store.view(id), e.peer, this.chooser)) {
      tallies[t + Tally.Pending]++;
      if (alive[to]) this.post(this.now + latency(this.net, id, to), Kind.Copy, to, id, x, e.hop + 1, null);
      else {
        // Sent into a dead link: lost, and (over TCP) the sender hears of it.
        tallies[t + Tally.Pending]--;
        tallies[t + Tally.Lost]++;
        if (protocol.connections) this.linkDown(id, to, this.now + 2 * latency(this.net, id, to));
      }
    }
  }
}
