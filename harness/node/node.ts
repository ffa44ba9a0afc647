// The real HyParView node: models/hyparview's `step`, unchanged, driven by TCP connections
// and timers. Everything protocol-shaped happens in the model; this file only turns its
// effects into I/O and I/O into its inputs:
//   send(to, msg)        → a frame on our outbound connection to `to` (dialled on demand)
//   neighborUp/Down      → keep that connection / let it linger, then close it
//   armNeighborTimeout   → a timer that steps `neighborTimeout`
//   outbound conn breaks or cannot be opened → `linkDown` (the model uses one input for both);
//                        so does one whose keepalive times out (a paused or blackholed peer)
//   every shufflePeriodMs → `shuffleTimer`
import net from 'node:net';
import type { Logger } from 'pino';
import { type FloodState, flood, initialFlood } from '../../models/broadcast.ts';
import { seededChooser, type Chooser } from '../../models/chooser.ts';
import { type Decisions, PAPER_DECISIONS, REFERENCE_DECISIONS } from '../../models/hyparview/config.ts';
import { type Message, MSG_NAMES, MsgType, type NodeId } from '../../models/hyparview/messages.ts';
import { type Effect, type Input, initialNode, NONE, type NodeState, step } from '../../models/hyparview/node.ts';
import { formatHostPort, type HostPort, parseHostPort } from './address.ts';
import { encodeFrame, type PeerRef, type WireMessage } from './codec.ts';
import type { NodeConfig } from './config.ts';
import { type CloseInfo, Connection, type ConnectionEvents, type ProtocolFrame } from './connection.ts';
import { Directory, SELF } from './directory.ts';
import { NodeMetrics } from './metrics.ts';
import { TokenBucket } from './rate.ts';

export interface NodeOptions {
  readonly id: string;
  /** Where to listen; port 0 picks a free one. */
  readonly listen: HostPort;
  /** The address peers should dial; defaults to the listen address (with the port bound). */
  readonly advertise?: string | undefined;
  readonly config: NodeConfig;
  readonly seed: number;
  readonly log: Logger;
}

const LIMIT_KEYS = [
  'maxConnections',
  'maxHandshaking',
  'maxOutbound',
  'maxDialing',
  'maxDialsPerSecond',
  'maxKnownPeers',
  'maxAnswersOwed',
  'broadcastCacheSize',
  'maxFrameBytes',
  'maxWriteBufferBytes',
] as const;

export type NodeLimits = Pick<NodeConfig, (typeof LIMIT_KEYS)[number]>;

/** What GET /state returns. */
export interface NodeView {
  readonly id: string;
  readonly address: string;
  readonly seed: number;
  readonly active: string[];
  readonly passive: string[];
  /** The peer our outstanding NEIGHBOR request went to, if any. */
  readonly pending: string[];
  /** Passive peers already asked in the current refill round. */
  readonly tried: string[];
  /** Peers whose answer to an abandoned request (or a walk-end notification) is still due. */
  readonly awaiting: string[];
  /** Outbound connections with bytes not yet handed to the kernel. */
  readonly inFlight: number;
  readonly connections: { readonly inbound: number; readonly handshaking: number; readonly outbound: number; readonly dialing: number };
  readonly knownPeers: number;
  readonly dial: Record<string, string>;
  readonly config: { readonly activeSize: number; readonly passiveSize: number; readonly shufflePeriodMs: number; readonly variant: string };
  /** The bounds the tables above must stay under, whatever peers send. */
  readonly limits: NodeLimits;
  readonly counters: NodeMetrics['counts'] & { readonly broadcast: NodeMetrics['broadcast'] };
  readonly uptimeSeconds: number;
}

export class HyParViewNode {
  readonly name: string;
  readonly metrics: NodeMetrics;
  private address = '';
  private readonly config: NodeConfig;
  private readonly log: Logger;
  private readonly seed: number;
  private readonly state: NodeState = initialNode(SELF);
  private dir!: Directory;
  private readonly chooser: Chooser;
  private readonly server: net.Server;
  /** Our one outbound connection per peer we send to; the model's links. */
  private readonly out = new Map<NodeId, Connection>();
  private readonly inbound = new Set<Connection>();
  /** Inbound connections whose HELLO was accepted, one per peer id (first come, first kept). */
  private readonly inboundByPeer = new Map<NodeId, Connection>();
  private readonly peerOf = new Map<Connection, NodeId>();
  private readonly joins = new Map<Connection, { resolve: (id: string) => void; reject: (e: Error) => void }>();
  private readonly neighborTimers = new Map<NodeId, NodeJS.Timeout>();
  private readonly dialMap: Map<string, string>;
  private readonly flood: FloodState;
  /** Warnings caused by remote input, at most 20 a second, so a flood cannot flood the log. */
  private readonly warnings = new TokenBucket(20);
  private readonly dialBudget: TokenBucket;
  /** Each inbound connection's allowance of membership frames, and of broadcast ids new to us. */
  private readonly frameBudgets = new WeakMap<Connection, TokenBucket>();
  private readonly newBroadcastBudgets = new WeakMap<Connection, TokenBucket>();
  /** Half of what the dedup window can take in per hold, so that no one peer can fill it and keep everyone's broadcasts out. */
  private readonly newBroadcastsPerSecond: number;
  /** Peers whose dial we refused during this step: each gets the linkDown a failed dial would give. */
  private readonly refusedDials: NodeId[] = [];
  /** The peers in the model's `abandoned`, in the order they first came to owe us an answer (oldest first). */
  private readonly debtors = new Set<NodeId>();
  private readonly startedAt = Date.now();
  private readonly incarnation = Date.now().toString(36);
  private broadcastSeq = 0;
  private shuffleTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly events: ConnectionEvents = {
    hello: (c, peer) => (c.dir === 'in' ? this.helloIn(c, peer) : this.helloOut(c, peer)),
    message: (c, m) => this.onMessage(c, m),
    closed: (c, info) => this.onClosed(c, info),
  };

  private constructor(private readonly opts: NodeOptions) {
    this.name = opts.id;
    this.config = opts.config;
    this.log = opts.log;
    this.seed = opts.seed;
    this.chooser = seededChooser(opts.seed);
    this.dialMap = new Map(Object.entries(opts.config.dial));
    this.flood = initialFlood(opts.config.broadcastCacheSize, opts.config.broadcastMinHoldMs);
    this.dialBudget = new TokenBucket(opts.config.maxDialsPerSecond);
    this.newBroadcastsPerSecond = Math.max(1, Math.floor((opts.config.broadcastCacheSize * 1000) / Math.max(1000, opts.config.broadcastMinHoldMs) / 2));
    this.metrics = new NodeMetrics(opts.id, {
      activeSize: () => this.state.active.length,
      passiveSize: () => this.state.passive.length,
      inbound: () => this.inbound.size,
      outbound: () => this.out.size,
      directorySize: () => this.dir.size,
    });
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Listens, starts the shuffle timer; resolves once the node accepts connections. */
  static async start(opts: NodeOptions): Promise<HyParViewNode> {
    const node = new HyParViewNode(opts);
    await node.listen();
    return node;
  }

  get advertised(): string {
    return this.address;
  }

  private async listen(): Promise<void> {
    const { host, port } = this.opts.listen;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.server.on('error', (e) => this.log.error({ err: e.message }, 'listener error'));
    const bound = this.server.address() as net.AddressInfo;
    this.address = this.opts.advertise ?? formatHostPort(host, bound.port);
    this.dir = new Directory(this.name, this.address);
    // A random phase, so that nodes started together do not shuffle in lockstep.
    const phase = seededChooser(this.seed ^ 0x5eed).pick(this.config.shufflePeriodMs);
    this.shuffleTimer = setTimeout(() => {
      this.onShuffleTimer();
      this.shuffleTimer = setInterval(() => this.onShuffleTimer(), this.config.shufflePeriodMs);
    }, phase);
  }

  // ---- the model loop ----------------------------------------------------------------------

  private apply(input: Input): void {
    if (this.stopped) return;
    const out: Effect[] = [];
    step(this.state, input, { config: this.config.protocol, chooser: this.chooser, out });
    for (const e of out) this.effect(e);
    this.reconcile();
    this.failRefusedDials();
  }

  /** A dial we refused is a link that could not be opened: linkDown, as a failed connect gives. */
  private failRefusedDials(): void {
    for (let peer = this.refusedDials.shift(); peer !== undefined; peer = this.refusedDials.shift()) {
      if (!this.out.has(peer)) this.linkDown(peer, 'connect', 'dial-refused', 'a dial limit refused or evicted it');
    }
  }

  private effect(e: Effect): void {
    switch (e.t) {
      case 'send':
        this.metrics.count('sent', MSG_NAMES[e.msg.t]);
        this.connectionTo(e.to)?.send(encodeFrame(this.toWire(e.msg)));
        return;
      case 'neighborUp':
        this.log.info({ peer: this.dir.name(e.peer), active: this.dir.names(this.state.active) }, 'neighbour up');
        this.connectionTo(e.peer);
        return;
      case 'neighborDown':
        this.log.info({ peer: this.dir.name(e.peer), active: this.dir.names(this.state.active) }, 'neighbour down');
        return;
      case 'armNeighborTimeout': {
        clearTimeout(this.neighborTimers.get(e.peer));
        const timer = setTimeout(() => {
          this.neighborTimers.delete(e.peer);
          this.apply({ t: 'neighborTimeout', peer: e.peer });
        }, this.config.neighborTimeoutMs);
        this.neighborTimers.set(e.peer, timer);
        return;
      }
      case 'event':
        this.metrics.count('events', e.kind);
        this.log.debug({ event: e.kind, peer: e.peer === NONE ? undefined : this.dir.name(e.peer) }, 'protocol event');
        return;
    }
  }

  /**
   * Connections live as long as the model needs them: to active peers, and to peers whose
   * answer it awaits (the pending request, abandoned ones), so that their failure still
   * reaches it as linkDown, as the checker's network delivers it.
   */
  private reconcile(): void {
    for (const [peer, c] of this.out) {
      if (this.awaitsFrom(peer)) c.keep();
      else c.linger(this.config.lingerMs);
    }
    this.boundAnswersOwed();
  }

  /**
   * A peer that never answers would otherwise grow `abandoned` for as long as its link lives (one
   * entry per FORWARD_JOIN that ends at us naming it): past the bound, the link of the peer that
   * has owed longest is cut, which the model takes as linkDown and forgets what it owed.
   */
  private boundAnswersOwed(): void {
    const owed = this.state.abandoned;
    for (const peer of this.debtors) if (!owed.includes(peer)) this.debtors.delete(peer);
    for (const peer of owed) this.debtors.add(peer);
    while (this.state.abandoned.length > this.config.maxAnswersOwed) {
      const [oldest] = this.debtors;
      if (oldest === undefined) return;
      this.debtors.delete(oldest);
      this.dropLink(oldest, 'answers-owed', `owes more answers than the ${this.config.maxAnswersOwed} we keep track of`);
    }
  }

  private onShuffleTimer(): void {
    this.apply({ t: 'shuffleTimer' });
    this.forgetUnreferenced();
  }

  /** Drops from the directory every id neither the model's state (whatever the field) nor our I/O refers to. */
  private forgetUnreferenced(): void {
    const keep = new Set<NodeId>();
    for (const v of Object.values(this.state) as unknown[]) {
      if (typeof v === 'number') keep.add(v);
      else if (Array.isArray(v)) for (const id of v as NodeId[]) keep.add(id);
    }
    for (const ids of [this.out.keys(), this.inboundByPeer.keys(), this.peerOf.values(), this.neighborTimers.keys(), this.debtors]) for (const id of ids) keep.add(id);
    this.dir.retain(keep);
  }

  private budget(of: WeakMap<Connection, TokenBucket>, c: Connection, perSecond: number): TokenBucket {
    let b = of.get(c);
    if (!b) of.set(c, (b = new TokenBucket(perSecond)));
    return b;
  }

  /** Whether `ids` more peers fit in the directory (bounded when learnt: one frame can name 255). */
  private makeRoom(ids: number): boolean {
    if (this.dir.size + ids <= this.config.maxKnownPeers) return true;
    this.forgetUnreferenced();
    return this.dir.size + ids <= this.config.maxKnownPeers;
  }

  // ---- the codec boundary: integers inside, (id, address) on the wire -----------------------

  private toWire(m: Message): WireMessage {
    switch (m.t) {
      case MsgType.Join:
        return { t: 'join' };
      case MsgType.ForwardJoin:
        return { t: 'forwardJoin', newNode: this.dir.ref(m.newNode), ttl: m.ttl };
      case MsgType.Neighbor:
        return { t: 'neighbor', high: m.high };
      case MsgType.NeighborReply:
        return { t: 'neighborReply', accepted: m.accepted };
      case MsgType.Disconnect:
        return { t: 'disconnect' };
      case MsgType.Shuffle:
        return { t: 'shuffle', origin: this.dir.ref(m.origin), ids: m.ids.map((id) => this.dir.ref(id)), ttl: m.ttl };
      case MsgType.ShuffleReply:
        return { t: 'shuffleReply', ids: m.ids.map((id) => this.dir.ref(id)) };
    }
  }

  /**
   * Walk lengths and lists are capped at our own configured ones, so no peer can make a walk run
   * long, or make us answer with a list longer than any our configuration allows.
   */
  private fromWire(m: Exclude<ProtocolFrame, { t: 'broadcast' }>): Message {
    const p = this.config.protocol;
    const intern = (r: PeerRef): NodeId => this.dir.intern(r);
    const listed = (ids: readonly PeerRef[], max: number): NodeId[] => ids.slice(0, max).map(intern);
    switch (m.t) {
      case 'join':
        return { t: MsgType.Join };
      case 'forwardJoin':
        return { t: MsgType.ForwardJoin, newNode: intern(m.newNode), ttl: Math.min(m.ttl, p.arwl) };
      case 'neighbor':
        return { t: MsgType.Neighbor, high: m.high };
      case 'neighborReply':
        return { t: MsgType.NeighborReply, accepted: m.accepted };
      case 'disconnect':
        return { t: MsgType.Disconnect };
      case 'shuffle':
        return { t: MsgType.Shuffle, origin: intern(m.origin), ids: listed(m.ids, p.ka + p.kp), ttl: Math.min(m.ttl, p.shuffleWalk) };
      case 'shuffleReply':
        return { t: MsgType.ShuffleReply, ids: listed(m.ids, p.ka + p.kp + 1) };
    }
  }

  // ---- connections ---------------------------------------------------------------------------

  /**
   * Our outbound connection to `peer`, dialled if there is none; null when the dial limits refuse
   * it (the peer then gets the linkDown of a failed dial, once this step is done). Peers name the
   * addresses we dial, so dials are limited in number, in concurrency and in rate.
   */
  private connectionTo(peer: NodeId): Connection | null {
    const existing = this.out.get(peer);
    if (existing?.open) return existing;
    const refusal = this.dialRefusal(this.state.active.includes(peer));
    if (refusal !== null) {
      this.metrics.count('connectionsRejected', refusal);
      if (this.warnings.take()) this.log.warn({ peer: this.dir.name(peer), reason: refusal }, 'dial refused');
      if (!this.refusedDials.includes(peer)) this.refusedDials.push(peer);
      this.out.delete(peer);
      return null;
    }
    const name = this.dir.name(peer);
    const addr = this.dialMap.get(name) ?? this.dir.addr(peer);
    const c = this.dial(addr);
    this.out.set(peer, c);
    this.peerOf.set(c, peer);
    return c;
  }

  /**
   * Why a new dial may not start now, or null. At the connection limit, an idle lingering
   * connection makes room. At the concurrency limit, a dial nobody awaits any more makes room;
   * and a dial for an active peer may evict the oldest dial for a peer we only await an answer
   * from (peers name those by the thousand: a joiner must not wait for their handshakes to time
   * out). That peer gets the linkDown of a refused dial.
   */
  private dialRefusal(forActive: boolean): string | null {
    let dialing = 0;
    let idle: NodeId | undefined;
    let unwanted: NodeId | undefined;
    let owed: NodeId | undefined;
    for (const [peer, c] of this.out) {
      if (c.peer) {
        if (c.lingering) idle ??= peer;
        continue;
      }
      dialing++;
      if (c.lingering || !c.open) unwanted ??= peer;
      else if (!this.state.active.includes(peer)) owed ??= peer;
    }
    if (dialing >= this.config.maxDialing) {
      const victim = unwanted ?? (forActive ? owed : undefined);
      if (victim === undefined) return 'dial-concurrency';
      this.metrics.count('connectionsRejected', 'dial-evicted');
      this.out.get(victim)?.close('dial-evicted', 'evicted: a dial that matters more needed the slot');
      this.out.delete(victim);
      if (victim === owed && !this.refusedDials.includes(victim)) this.refusedDials.push(victim);
    }
    if (this.out.size >= this.config.maxOutbound) {
      if (idle === undefined) return 'outbound-limit';
      this.out.get(idle)?.finish();
      this.out.delete(idle);
    }
    return this.dialBudget.take() ? null : 'dial-rate';
  }

  private dial(addr: string): Connection {
    const { host, port } = parseHostPort(addr);
    const socket = net.connect({ host, port });
    return new Connection(socket, 'out', this.dir.ref(SELF), this.config, this.events);
  }

  private helloOut(c: Connection, peer: PeerRef): string | null {
    if (peer.id === this.name) return `it claims our own id ${this.name}`;
    const expected = this.peerOf.get(c);
    if (expected !== undefined) {
      const name = this.dir.name(expected);
      return peer.id === name ? null : `dialled ${name} but it says it is ${peer.id}`;
    }
    const join = this.joins.get(c);
    if (!join) return 'unexpected connection';
    // A join dialled by address: now we know who the contact is.
    this.joins.delete(c);
    const contact = this.learnFromHello(peer);
    if (this.out.get(contact)?.open) c.finish();
    else {
      this.out.set(contact, c);
      this.peerOf.set(c, contact);
    }
    this.log.info({ contact: peer.id, addr: peer.addr }, 'joining');
    join.resolve(peer.id);
    // After the HELLO is processed, so the model's effects find the connection in place.
    queueMicrotask(() => this.apply({ t: 'join', contact }));
    return null;
  }

  /**
   * A peer holds one outbound connection to us, and it pings: an id already held by a connection
   * heard from lately stays with it; one held by a silent connection (dead on its side, or a
   * squatter that claimed the id first) goes to the newcomer. Only a cluster secret stops a peer
   * that lies about its id.
   */
  private helloIn(c: Connection, peer: PeerRef): string | null {
    if (peer.id === this.name) return `it claims our own id ${this.name}`;
    const known = this.dir.lookup(peer.id);
    const held = known === undefined ? undefined : this.inboundByPeer.get(known);
    const quiet = this.config.keepaliveIntervalMs > 0 ? 2 * this.config.keepaliveIntervalMs : this.config.helloTimeoutMs;
    if (held && !held.socket.destroyed && performance.now() - held.lastHeard < quiet) return `${peer.id} is already connected from ${held.socket.remoteAddress}`;
    if (!this.makeRoom(1)) return 'the peer table is full';
    if (held) this.inboundByPeer.delete(known!);
    const id = this.learnFromHello(peer);
    this.inboundByPeer.set(id, c);
    this.peerOf.set(c, id);
    held?.close('replaced', `${peer.id} connected again from ${c.socket.remoteAddress}`);
    return null;
  }

  /** A HELLO is the peer's own word on its address; it replaces ours unless we are talking to it. */
  private learnFromHello(peer: PeerRef): NodeId {
    const id = this.dir.intern(peer);
    if (!this.out.get(id)?.open && !this.inboundByPeer.has(id)) this.dir.setAddr(id, peer.addr);
    return id;
  }

  /**
   * Slots are shared by eviction, not first come first kept, so that no client can hold them all:
   * a new connection past the handshake limit evicts the longest-waiting handshake, and one past
   * the connection limit evicts the oldest connection from a peer the protocol awaits nothing from.
   */
  private accept(socket: net.Socket): void {
    if (this.stopped) return void socket.destroy();
    const handshaking: Connection[] = [];
    let idle: Connection | undefined;
    for (const c of this.inbound) {
      if (!c.peer) handshaking.push(c);
      else if (idle === undefined && !this.awaitsFrom(this.peerOf.get(c) ?? NONE)) idle = c;
    }
    // The victim leaves the count now; its close event comes later.
    const evict = (victim: Connection | undefined, reason: string, why: string): string => {
      if (victim) {
        this.inbound.delete(victim);
        victim.fail(reason, why);
      }
      return reason;
    };
    const refusal =
      handshaking.length >= this.config.maxHandshaking
        ? evict(handshaking[0], 'handshake-limit', 'evicted: too many connections are handshaking')
        : this.inbound.size >= this.config.maxConnections
          ? evict(idle, 'connection-limit', 'evicted: the connection limit is reached')
          : null;
    if (refusal) {
      this.metrics.count('connectionsRejected', refusal);
      if (this.warnings.take()) this.log.warn({ from: socket.remoteAddress, reason: refusal, inbound: this.inbound.size }, 'connection limit reached');
      if (refusal === 'connection-limit' && !idle) {
        socket.on('error', () => {});
        socket.destroy();
        return;
      }
    }
    this.inbound.add(new Connection(socket, 'in', this.dir.ref(SELF), this.config, this.events));
  }

  private onMessage(c: Connection, m: ProtocolFrame): void {
    const from = this.peerOf.get(c);
    if (from === undefined || this.stopped) return;
    if (m.t === 'broadcast') {
      if (!this.flood.seen.has(m.id) && !this.budget(this.newBroadcastBudgets, c, this.newBroadcastsPerSecond).take()) return this.metrics.countBroadcast('dropped');
      return void this.onBroadcast(from, m.id, m.payload);
    }
    if (!this.budget(this.frameBudgets, c, this.config.maxMembershipFramesPerSecond).take()) return c.fail('frame-rate', `more than ${this.config.maxMembershipFramesPerSecond} membership frames a second`);
    if (!this.makeRoom(m.t === 'shuffle' || m.t === 'shuffleReply' ? m.ids.length + 1 : 1)) return c.fail('peer-table-full', `no room for the ids it names among ${this.config.maxKnownPeers} known peers`);
    const msg = this.fromWire(m);
    this.metrics.count('received', MSG_NAMES[msg.t]);
    this.apply({ t: 'message', from, msg });
  }

  private onClosed(c: Connection, info: CloseInfo): void {
    const peer = this.peerOf.get(c);
    this.peerOf.delete(c);
    const who = c.peer?.id ?? (peer !== undefined ? this.dir.name(peer) : c.socket.remoteAddress);
    const remoteFault = info.failure && !['eof', 'error', 'finished'].includes(info.code);
    if (info.code === 'internal-error') this.log.error({ peer: who, detail: info.message }, 'bug: a frame from this peer threw; its connection is closed');
    if (remoteFault) {
      this.metrics.count('framesRejected', info.code);
      if (this.warnings.take()) this.log.warn({ peer: who, dir: c.dir, reason: info.code, detail: info.message }, 'connection closed');
    }
    const join = this.joins.get(c);
    if (join) {
      this.joins.delete(c);
      join.reject(new Error(`no answer from the contact: ${info.message}`));
    }
    if (c.dir === 'in') {
      this.inbound.delete(c);
      if (peer === undefined || this.inboundByPeer.get(peer) !== c) return;
      this.inboundByPeer.delete(peer);
      // The peer's half of the link is gone (reset, cut, or closed while we wait on it): nothing
      // more comes from it, so the link is down for us too, as for one broken duplex TCP link.
      if (info.failure && !this.stopped && this.awaitsFrom(peer)) this.dropLink(peer, 'peer-link-down', `${who}'s connection to us closed (${info.code})`);
      return;
    }
    if (peer === undefined || this.out.get(peer) !== c) return;
    this.out.delete(peer);
    if (!info.failure || this.stopped) return;
    this.linkDown(peer, c.peer ? 'established' : 'connect', info.code, info.message);
  }

  /**
   * The link to `peer` is down. The peer may be alive (it was paused, or only this direction is
   * cut) and may wait for what we could not send: closing its connection to us tells it the link
   * is down, as the breaking of one duplex TCP link would (the checker's link failure reaches both sides).
   */
  private linkDown(peer: NodeId, phase: string, code: string, message: string): void {
    this.metrics.count('linkDowns', phase);
    this.log.info({ peer: this.dir.name(peer), reason: code, detail: message }, 'link down');
    this.inboundByPeer.get(peer)?.close(code, 'our link to this peer broke');
    this.apply({ t: 'linkDown', peer });
  }

  /** Whether the model expects anything more from `peer`: it is active, asked, or owes an answer. */
  private awaitsFrom(peer: NodeId): boolean {
    const s = this.state;
    return s.active.includes(peer) || s.pending === peer || s.abandoned.includes(peer);
  }

  /** Cuts our link to `peer` now: its connections close and the model steps linkDown before anything else arrives. */
  private dropLink(peer: NodeId, code: string, message: string): void {
    const out = this.out.get(peer);
    if (out) {
      this.out.delete(peer);
      this.peerOf.delete(out);
      out.fail(code, message);
    }
    this.linkDown(peer, out ? (out.peer ? 'established' : 'connect') : code, code, message);
  }

  // ---- broadcast -----------------------------------------------------------------------------

  /** Floods `payload` over the active view; returns the message id. */
  /** Floods `payload` over the active view; returns the message id, or null when the dedup window is full of young ids. */
  broadcast(payload: Uint8Array): string | null {
    const id = `${this.name}-${this.incarnation}-${++this.broadcastSeq}`;
    if (!this.onBroadcast(null, id, payload)) return null;
    this.metrics.countBroadcast('originated');
    return id;
  }

  /** False when the message was refused (see FloodState.minHoldMs). */
  private onBroadcast(from: NodeId | null, id: string, payload: Uint8Array): boolean {
    const r = flood(this.flood, id, from, this.state.active, performance.now());
    if (r.overloaded) {
      this.metrics.countBroadcast('dropped');
      return false;
    }
    if (!r.deliver) {
      this.metrics.countBroadcast('duplicates');
      return true;
    }
    this.metrics.countBroadcast('delivered');
    if (r.forward.length === 0) return true;
    const frame = encodeFrame({ t: 'broadcast', id, payload });
    for (const peer of r.forward) this.connectionTo(peer)?.send(frame);
    this.metrics.countBroadcast('relayed', r.forward.length);
    this.failRefusedDials();
    return true;
  }

  hasDelivered(id: string): boolean {
    return this.flood.seen.has(id);
  }

  // ---- control -------------------------------------------------------------------------------

  /** Dials `contact` (HOST:PORT), learns its id from its HELLO, then steps `join`. */
  join(contact: string): Promise<string> {
    if (this.stopped) return Promise.reject(new Error('the node has stopped'));
    // The contact becomes an active peer: its dial may evict one for a peer that only owes us.
    const refusal = this.dialRefusal(true);
    this.failRefusedDials();
    if (refusal !== null) return Promise.reject(new Error(`cannot dial now (${refusal})`));
    const c = this.dial(contact);
    return new Promise((resolve, reject) => this.joins.set(c, { resolve, reject }));
  }

  /** Routes our outgoing link to `peer` through `addr` (a proxy, say); null restores the default. */
  setDial(peer: string, addr: string | null): void {
    if (addr === null) this.dialMap.delete(peer);
    else this.dialMap.set(peer, addr);
  }

  view(): NodeView {
    const names = (ids: readonly NodeId[]): string[] => this.dir.names(ids);
    let handshaking = 0;
    for (const c of this.inbound) if (!c.peer) handshaking++;
    let inFlight = 0;
    let dialing = 0;
    for (const c of this.out.values()) {
      if (c.unflushed > 0) inFlight++;
      if (!c.peer) dialing++;
    }
    return {
      id: this.name,
      address: this.address,
      seed: this.seed,
      active: names(this.state.active),
      passive: names(this.state.passive),
      pending: this.state.pending === NONE ? [] : names([this.state.pending]),
      tried: names(this.state.tried),
      awaiting: names(this.state.abandoned),
      inFlight,
      connections: { inbound: this.inbound.size, handshaking, outbound: this.out.size, dialing },
      knownPeers: this.dir.size - 1,
      dial: Object.fromEntries(this.dialMap),
      config: {
        activeSize: this.config.protocol.activeSize,
        passiveSize: this.config.protocol.passiveSize,
        shufflePeriodMs: this.config.shufflePeriodMs,
        variant: variantOf(this.config),
      },
      limits: Object.fromEntries(LIMIT_KEYS.map((k) => [k, this.config[k]])) as NodeLimits,
      counters: { ...this.metrics.counts, broadcast: { ...this.metrics.broadcast } },
      uptimeSeconds: (Date.now() - this.startedAt) / 1000,
    };
  }

  /**
   * Stops: no LEAVE message exists in HyParView, so peers learn it from their connections
   * breaking, exactly as for a crash.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.shuffleTimer);
    clearInterval(this.shuffleTimer);
    for (const t of this.neighborTimers.values()) clearTimeout(t);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.out.values(), ...this.inbound, ...this.joins.keys()]) c.close('shutdown', 'node stopped');
    await closed;
  }
}

function variantOf(config: NodeConfig): string {
  const same = (d: Decisions): boolean => (Object.keys(d) as (keyof Decisions)[]).every((k) => config.protocol.decisions[k] === d[k]);
  return same(REFERENCE_DECISIONS) ? 'reference' : same(PAPER_DECISIONS) ? 'paper' : 'custom';
}
