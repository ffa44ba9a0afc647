// The stateful peer fuzzer (`npm run fuzz:node`; a short run in test/node/adversary.test.ts):
// fast-check generates sequences of attacker commands (adversary.ts) against one live node, n1
// of a cluster of real processes (n1..n4), and checks after every command and every 100 ms that
// n1 is alive, answers, and keeps each table under the bound its /state declares. At the end of
// each case, before the attacker leaves, a new node must be able to join through n1; after it
// leaves, the good nodes' active views must be symmetric and connected, and a broadcast must
// reach them all.
// Dev tooling: imports fast-check.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { LOCAL_CLUSTER_CONFIG, LocalCluster, type Member } from '../../clusters/local/cluster.ts';
import { controlRequest } from '../../clusters/local/snapshot.ts';
import { Adversary, type Bytes, type Link, Listener, type ListenMode, type RawMessage, type RawPeer, rawFrame } from './adversary.ts';
import { nodeIdArb } from './codec-fuzz.ts';
import type { NodeConfigInput } from './config.ts';
import { HyParViewNode, type NodeView } from './node.ts';

/** Bounds small enough that a flood of a few thousand frames crosses any that is not enforced. */
export const FUZZ_NODE_CONFIG: NodeConfigInput = {
  ...LOCAL_CLUSTER_CONFIG,
  logLevel: 'warn',
  maxConnections: 64,
  maxHandshaking: 8,
  maxOutbound: 32,
  maxDialing: 16,
  maxDialsPerSecond: 100,
  maxKnownPeers: 256,
  maxAnswersOwed: 16,
  broadcastCacheSize: 1000,
};

const TARGET = 'n1';
const GOOD = ['n2', 'n3', 'n4'];
/** Identities one case may hold: well under maxConnections, so a refused join is the target's doing. */
const MAX_IDENTITIES = 24;
const SAMPLE_EVERY_MS = 100;
/** How long the good nodes get to repair their views once the attacker is gone. */
const SETTLE_MS = 12_000;

export type Invariant =
  | 'alive'
  | 'healthz'
  | 'known-peers'
  | 'answers-owed'
  | 'inbound'
  | 'outbound'
  | 'handshaking'
  | 'rss'
  | 'admission-handshake'
  | 'admission-squat'
  | 'admission'
  | 'symmetry'
  | 'broadcast';

export const INVARIANTS: readonly Invariant[] = ['alive', 'healthz', 'known-peers', 'answers-owed', 'inbound', 'outbound', 'handshaking', 'rss', 'admission-handshake', 'admission-squat', 'admission', 'symmetry', 'broadcast'];

export interface Violation {
  readonly invariant: Invariant;
  readonly message: string;
}

/** What a case throws when the target broke an invariant. */
export class Finding extends Error {
  constructor(readonly violations: readonly Violation[]) {
    super(violations.map((v) => `${v.invariant}: ${v.message}`).join('; '));
    this.name = 'Finding';
  }
}

/** The target died again of a crash already reported: the case ends, and passes. */
class KnownCrash extends Error {}

/** Thrown by a case that would start after the time budget; ends the run, not a finding. */
class TimeUp extends Error {}

/** Each table of /state against its declared bound. */
function boundViolations(v: NodeView): Violation[] {
  const l = v.limits;
  const checks: [Invariant, string, number, number][] = [
    ['known-peers', 'knownPeers', v.knownPeers, l.maxKnownPeers],
    ['answers-owed', 'awaiting.length', v.awaiting.length, l.maxAnswersOwed],
    ['inbound', 'connections.inbound', v.connections.inbound, l.maxConnections],
    ['outbound', 'connections.outbound', v.connections.outbound, l.maxOutbound],
    ['handshaking', 'connections.handshaking', v.connections.handshaking, l.maxHandshaking],
  ];
  return checks.filter(([, , n, max]) => n > max).map(([invariant, what, n, max]) => ({ invariant, message: `${what} ${n} > ${max}` }));
}

/** Resident memory of a process in MiB, NaN once it is gone. */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Why the good nodes' active views are not yet symmetric among themselves and connected, or null. */
function asymmetry(views: ReadonlyMap<string, NodeView | null>): string | null {
  for (const [id, v] of views) {
    if (!v) return `${id} does not answer`;
    for (const a of v.active) {
      if (!views.has(a)) return `${id} keeps ${a}, not a good node, active`;
      if (!views.get(a)?.active.includes(id)) return `${id} has ${a} active, but ${a} does not have ${id}`;
    }
  }
  const [first] = views.keys();
  const reached = new Set([first!]);
  for (const id of reached) for (const a of views.get(id)!.active) reached.add(a);
  const cut = [...views.keys()].filter((id) => !reached.has(id));
  return cut.length === 0 ? null : `the good nodes are split: {${[...reached].join(', ')}} and {${cut.join(', ')}}`;
}

// ---- the cluster the target lives in -----------------------------------------------------

interface ArenaOptions {
  readonly seed: number;
  readonly config: NodeConfigInput;
  readonly healthzMs: number;
  readonly rssCapMiB: number;
  readonly ignore: Set<Invariant>;
}

/** n1 (the target) and three good nodes, restarted when an attack leaves them broken. */
class Arena {
  peakRssMiB = 0;
  /** The last case ended early: the next one heals the cluster first. */
  dirty = false;

  private constructor(
    public cluster: LocalCluster,
    readonly opts: ArenaOptions,
  ) {}

  static async start(opts: ArenaOptions): Promise<Arena> {
    return new Arena(await Arena.cluster(opts), opts);
  }

  private static async cluster(opts: ArenaOptions): Promise<LocalCluster> {
    const c = await LocalCluster.start({ nodes: 1 + GOOD.length, seed: opts.seed, config: opts.config });
    try {
      await c.joinAll('sequential', () => 0);
      const problem = await Arena.settled(c, new Map(), 15_000);
      if (problem !== null) throw new Error(`the good cluster did not settle before any attack: ${problem}`);
      return c;
    } catch (e) {
      await c.destroy();
      throw e;
    }
  }

  get target(): Member {
    return this.cluster.member(TARGET);
  }

  get keepaliveIntervalMs(): number {
    return this.cluster.config.keepaliveIntervalMs;
  }

  alive(): boolean {
    const m = this.target;
    return m.status === 'up' && m.proc?.exitCode === null && m.proc.signalCode === null;
  }

  /** The error that ended the target, from its log. */
  crashNote(): string {
    try {
      const log = readFileSync(join(this.cluster.logDir, `${TARGET}.log`), 'utf8').split('\n');
      const at = log.findIndex((l) => /^\w*Error\b|Error:/.test(l) && !l.startsWith('{'));
      return at < 0 ? 'no error in its log' : log.slice(at, at + 3).map((l) => l.trim()).join(' | ').slice(0, 400);
    } catch (e) {
      return (e as Error).message;
    }
  }

  state(): Promise<NodeView> {
    return this.cluster.api<NodeView>(TARGET, '/state', undefined, 3000);
  }

  /** Alive, answering, every table under its bound, memory under the cap; `healthz` also times GET /healthz. */
  async inspect(healthz: boolean): Promise<Violation[]> {
    const dead = (): Violation[] => [{ invariant: 'alive', message: `n1 exited: ${this.crashNote()}` }];
    if (!this.alive()) return dead();
    const out: Violation[] = [];
    try {
      if (healthz) await controlRequest(TARGET, this.target.control, '/healthz', undefined, undefined, this.opts.healthzMs);
      out.push(...boundViolations(await this.state()));
    } catch (e) {
      await sleep(200); // a refused request may be a crash whose exit is not reported yet
      if (!this.alive()) return dead();
      out.push({ invariant: 'healthz', message: `n1's control API: ${(e as Error).message}` });
    }
    const rss = rssMiB(this.target.pid);
    if (rss > this.peakRssMiB) this.peakRssMiB = rss;
    if (rss > this.opts.rssCapMiB) out.push({ invariant: 'rss', message: `n1 RSS ${rss.toFixed(1)} MiB > ${this.opts.rssCapMiB} MiB` });
    return out;
  }

  /** Waits until `extra` and the members answer with symmetric, connected, good-only active views. */
  static async settled(c: LocalCluster, extra: ReadonlyMap<string, () => NodeView>, timeoutMs: number): Promise<string | null> {
    const deadline = performance.now() + timeoutMs;
    let problem: string | null = 'not read yet';
    let passes = 0;
    // Views are read one node at a time, not atomically: two passing reads in a row.
    while (passes < 2) {
      const views = await c.views();
      for (const [id, view] of extra) views.set(id, view());
      problem = asymmetry(views);
      passes = problem === null ? passes + 1 : 0;
      if (passes < 2) {
        if (performance.now() >= deadline) return problem ?? 'symmetric only once';
        await sleep(150);
      }
    }
    return null;
  }

  /** After a case that ended early: the target restarted if it died, the cluster rebuilt if it does not settle. */
  async heal(log: (line: string) => void): Promise<void> {
    if (!this.alive()) {
      if (this.target.status !== 'killed') this.cluster.kill(TARGET);
      await this.cluster.restart(TARGET);
      await this.cluster.join(TARGET, GOOD[0]!);
    }
    const problem = await Arena.settled(this.cluster, new Map(), SETTLE_MS);
    if (problem !== null) {
      log(`cluster did not settle (${problem}); starting a new one`);
      await this.destroy();
      this.cluster = await Arena.cluster(this.opts);
    }
    this.dirty = false;
  }

  async destroy(): Promise<void> {
    await this.cluster.destroy();
    this.cluster.removeLogs();
  }
}

// ---- what commands say, symbolically (resolved against the live case) ---------------------

type IdSpec =
  | { readonly k: 'fresh'; readonly len: number }
  | { readonly k: 'any'; readonly id: string }
  | { readonly k: 'good'; readonly i: number }
  | { readonly k: 'target' }
  | { readonly k: 'late' }
  | { readonly k: 'ours'; readonly i: number }
  /** Not a node id: invalid UTF-8, too long, empty, bad characters. */
  | { readonly k: 'raw'; readonly bytes: Uint8Array };

type AddrSpec =
  | { readonly k: 'good'; readonly i: number; readonly control: boolean }
  | { readonly k: 'target' }
  | { readonly k: 'ours'; readonly i: number }
  | { readonly k: 'silent' }
  /** A listener of ours that closes each connection on arrival. */
  | { readonly k: 'reset' }
  /** 127.0.0.1:1: connection refused. */
  | { readonly k: 'refused' }
  | { readonly k: 'late' }
  /** 127.0.0.1 spelt in zero-padded octal, up to 255 bytes, at the silent listener's port. */
  | { readonly k: 'long'; readonly len: number }
  /** Not HOST:PORT, so no node dials it (never a hostname: that would need DNS, off loopback). */
  | { readonly k: 'raw'; readonly bytes: Uint8Array };

interface PeerSpec {
  readonly id: IdSpec;
  readonly addr: AddrSpec;
}

/** `n` ids, cycling through `of` (fresh ids stay fresh). */
interface ListSpec {
  readonly n: number;
  readonly of: readonly PeerSpec[];
}

type BroadcastId = { readonly k: 'fresh' } | { readonly k: 'bytes'; readonly bytes: Uint8Array };

type FrameSpec =
  | { readonly t: 'join' | 'disconnect' }
  | { readonly t: 'forwardJoin'; readonly newNode: PeerSpec; readonly ttl: number }
  | { readonly t: 'neighbor'; readonly high: boolean }
  | { readonly t: 'neighborReply'; readonly accepted: boolean }
  | { readonly t: 'shuffle'; readonly origin: PeerSpec; readonly ttl: number; readonly ids: ListSpec }
  | { readonly t: 'shuffleReply'; readonly ids: ListSpec }
  | { readonly t: 'broadcast'; readonly id: BroadcastId; readonly payload: number }
  | { readonly t: 'ping' | 'pong'; readonly seq: number }
  | { readonly t: 'hello'; readonly peer: PeerSpec }
  | { readonly t: 'auth'; readonly proof: Uint8Array };

const FLOODS = ['forwardJoin0', 'shuffleOrigins', 'shuffleIds', 'broadcastFF', 'broadcastFresh', 'neighbor', 'neighborReply', 'join', 'disconnect', 'ping'] as const;
type FloodKind = (typeof FLOODS)[number];

interface FloodSpec {
  readonly kind: FloodKind;
  readonly count: number;
  readonly addr: AddrSpec;
  /** Over how many of our identities the frames are spread. */
  readonly spread: number;
}

/** Our identity's address: its own listener (answering as it, as someone else, mutely, or not at all), or any address. */
type OwnAddr = { readonly k: 'own'; readonly mode: ListenMode | 'wrong' } | AddrSpec;

const showBytes = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex').slice(0, 16)}${b.length > 8 ? '…' : ''}/${b.length}B`;

function showId(s: IdSpec): string {
  switch (s.k) {
    case 'fresh':
      return `fresh/${s.len}`;
    case 'any':
      return JSON.stringify(s.id);
    case 'good':
      return GOOD[s.i]!;
    case 'target':
      return TARGET;
    case 'late':
      return 'late';
    case 'ours':
      return `#${s.i}`;
    case 'raw':
      return showBytes(s.bytes);
  }
}

function showAddr(s: OwnAddr): string {
  switch (s.k) {
    case 'own':
      return `own:${s.mode}`;
    case 'good':
      return `${GOOD[s.i]}${s.control ? ':control' : ''}`;
    case 'ours':
      return `#${s.i}`;
    case 'long':
      return `long/${s.len}`;
    case 'raw':
      return showBytes(s.bytes);
    default:
      return s.k;
  }
}

const showPeer = (p: PeerSpec): string => `${showId(p.id)}@${showAddr(p.addr)}`;
const showList = (l: ListSpec): string => `[${l.n}× ${l.of.map(showPeer).join('|')}]`;

function showFrame(f: FrameSpec): string {
  switch (f.t) {
    case 'forwardJoin':
      return `forwardJoin(${showPeer(f.newNode)}, ttl ${f.ttl})`;
    case 'neighbor':
      return `neighbor(${f.high ? 'high' : 'low'})`;
    case 'neighborReply':
      return `neighborReply(${f.accepted})`;
    case 'shuffle':
      return `shuffle(${showPeer(f.origin)}, ttl ${f.ttl}, ${showList(f.ids)})`;
    case 'shuffleReply':
      return `shuffleReply(${showList(f.ids)})`;
    case 'broadcast':
      return `broadcast(${f.id.k === 'fresh' ? 'fresh' : showBytes(f.id.bytes)}, ${f.payload}B)`;
    case 'ping':
    case 'pong':
      return `${f.t}(${f.seq})`;
    case 'hello':
      return `hello(${showPeer(f.peer)})`;
    case 'auth':
      return `auth(${showBytes(f.proof)})`;
    default:
      return f.t;
  }
}

// ---- arbitraries ------------------------------------------------------------------------------

const u8 = (max: number): fc.Arbitrary<number> => fc.oneof(fc.constantFrom(0, 1, max), fc.nat(max));

const rawIdArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(Buffer.alloc(255, 0xff)),
  fc.uint8Array({ minLength: 1, maxLength: 255 }),
  fc.integer({ min: 65, max: 255 }).map((n) => Buffer.alloc(n, 'a')),
  fc.constantFrom(...['', 'a b', 'ü', 'n1\n', '\u0000', '../x'].map((s) => Buffer.from(s)), Buffer.of(0xc0, 0xaf), Buffer.of(0xed, 0xa0, 0x80), Buffer.of(0x61, 0xc3)),
);

const rawAddrArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(Buffer.alloc(255, 0xff)),
  fc.uint8Array({ minLength: 1, maxLength: 255 }).map((b) => Buffer.concat([Buffer.of(0xff), b]).subarray(0, 255)),
  fc.constantFrom(...['', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:99999', '[zz]:1', ':1', 'a b:1', '127.0.0.1:1:1', `${'7'.repeat(64)}:1`].map((s) => Buffer.from(s))),
);

const idArb: fc.Arbitrary<IdSpec> = fc.oneof(
  { weight: 6, arbitrary: u8(64).map((len): IdSpec => ({ k: 'fresh', len })) },
  { weight: 1, arbitrary: nodeIdArb.map((id): IdSpec => ({ k: 'any', id })) },
  { weight: 1, arbitrary: fc.nat(GOOD.length - 1).map((i): IdSpec => ({ k: 'good', i })) },
  { weight: 1, arbitrary: fc.constantFrom<IdSpec>({ k: 'target' }, { k: 'late' }) },
  { weight: 2, arbitrary: fc.nat(MAX_IDENTITIES - 1).map((i): IdSpec => ({ k: 'ours', i })) },
  { weight: 1, arbitrary: rawIdArb.map((bytes): IdSpec => ({ k: 'raw', bytes })) },
);

const addrArb: fc.Arbitrary<AddrSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<AddrSpec>({ k: 'silent' }, { k: 'reset' }, { k: 'refused' }, { k: 'silent' }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('good' as const), i: fc.nat(GOOD.length - 1), control: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constantFrom<AddrSpec>({ k: 'target' }, { k: 'late' }) },
  { weight: 2, arbitrary: fc.nat(MAX_IDENTITIES - 1).map((i): AddrSpec => ({ k: 'ours', i })) },
  { weight: 1, arbitrary: fc.oneof(fc.constant(255), fc.integer({ min: 17, max: 255 })).map((len): AddrSpec => ({ k: 'long', len })) },
  { weight: 1, arbitrary: rawAddrArb.map((bytes): AddrSpec => ({ k: 'raw', bytes })) },
);

const peerArb: fc.Arbitrary<PeerSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ id: idArb, addr: addrArb }) },
  // One of our identities as it presents itself, so the target can actually reach it.
  { weight: 1, arbitrary: fc.nat(MAX_IDENTITIES - 1).map((i): PeerSpec => ({ id: { k: 'ours', i }, addr: { k: 'ours', i } })) },
);

const listArb: fc.Arbitrary<ListSpec> = fc.record({ n: u8(255), of: fc.array(peerArb, { minLength: 1, maxLength: 3 }) });

const broadcastIdArb: fc.Arbitrary<BroadcastId> = fc.oneof(
  fc.constant<BroadcastId>({ k: 'fresh' }),
  fc.constant<BroadcastId>({ k: 'bytes', bytes: Buffer.alloc(255, 0xff) }),
  fc.uint8Array({ minLength: 1, maxLength: 255 }).map((bytes): BroadcastId => ({ k: 'bytes', bytes })),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 63 }).map((s): BroadcastId => ({ k: 'bytes', bytes: Buffer.from(s).subarray(0, 255) })),
);

const frameArb: fc.Arbitrary<FrameSpec> = fc.oneof(
  fc.constantFrom<FrameSpec>({ t: 'join' }, { t: 'disconnect' }),
  fc.record({ t: fc.constant('forwardJoin' as const), newNode: peerArb, ttl: u8(255) }),
  fc.record({ t: fc.constant('neighbor' as const), high: fc.boolean() }),
  fc.record({ t: fc.constant('neighborReply' as const), accepted: fc.boolean() }),
  fc.record({ t: fc.constant('shuffle' as const), origin: peerArb, ttl: u8(255), ids: listArb }),
  fc.record({ t: fc.constant('shuffleReply' as const), ids: listArb }),
  fc.record({ t: fc.constant('broadcast' as const), id: broadcastIdArb, payload: fc.oneof(fc.constant(0), fc.nat(4000)) }),
  // Keepalive and handshake frames where they do not belong: answered, or the connection is cut.
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('ping' as const, 'pong' as const), seq: fc.oneof(fc.constantFrom(0, 0xffff_ffff), fc.nat()) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('hello' as const), peer: peerArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('auth' as const), proof: fc.uint8Array({ maxLength: 255 }) }) },
);

const floodArb: fc.Arbitrary<FloodSpec> = fc.record({
  // The three that grow a table per frame, twice as often.
  kind: fc.constantFrom(...FLOODS, 'forwardJoin0', 'shuffleOrigins', 'shuffleIds'),
  count: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 100, max: 3000 })),
  addr: fc.oneof({ weight: 3, arbitrary: fc.constant<AddrSpec>({ k: 'silent' }) }, { weight: 2, arbitrary: addrArb }),
  spread: fc.integer({ min: 1, max: 4 }),
});

const ownAddrArb: fc.Arbitrary<OwnAddr> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<ListenMode | 'wrong'>('answer', 'mute', 'silent', 'reset', 'wrong').map((mode): OwnAddr => ({ k: 'own', mode })) },
  { weight: 2, arbitrary: addrArb },
);

// ---- one case: the real system the commands act on ------------------------------------------

interface Identity {
  readonly hello: RawPeer;
  readonly ping: boolean;
  link: Link | null;
}

interface Model {
  identities: number;
  holding: boolean;
  squatting: boolean;
}

class Case {
  readonly identities: Identity[] = [];
  commands = 0;
  private fresh = 0;
  private late: HyParViewNode | undefined;
  private readonly sampled: Violation[] = [];
  private sampling = true;
  private readonly sampler: Promise<void>;

  private constructor(
    private readonly arena: Arena,
    readonly no: number,
    readonly adversary: Adversary,
    private readonly silent: string,
    private readonly reset: string,
    /** Holds the newcomer's address until it starts (refusing what the target sends there before). */
    private readonly lateAddr: Listener,
  ) {
    this.sampler = this.sample();
  }

  static async open(arena: Arena, no: number, log: (line: string) => void): Promise<Case> {
    if (arena.dirty) await arena.heal(log);
    arena.dirty = true;
    const adversary = new Adversary(arena.target.listen, { maxDials: 2000, maxListenerSockets: 5000, pingEveryMs: arena.keepaliveIntervalMs });
    const [silent, reset, lateAddr] = await Promise.all([adversary.listen('silent'), adversary.listen('reset'), Listener.open('reset', 0)]);
    return new Case(arena, no, adversary, silent.address, reset.address, lateAddr);
  }

  get lateId(): string {
    return `late-${this.no}`;
  }

  /** An id no node has heard of: at least `len` characters (the counter may need more). */
  freshId(len = 0): string {
    const base = `f${this.no.toString(36)}-${(this.fresh++).toString(36)}`;
    return base.length >= len ? base : `${base}.${'x'.repeat(len - base.length - 1)}`;
  }

  private idOf(s: IdSpec): Bytes {
    switch (s.k) {
      case 'fresh':
        return this.freshId(s.len);
      case 'any':
        return s.id;
      case 'good':
        return GOOD[s.i]!;
      case 'target':
        return TARGET;
      case 'late':
        return this.lateId;
      case 'ours':
        return this.identities.length > 0 ? this.identities[s.i % this.identities.length]!.hello.id : this.freshId();
      case 'raw':
        return s.bytes;
    }
  }

  private addrOf(s: AddrSpec): Bytes {
    const c = this.arena.cluster;
    switch (s.k) {
      case 'good': {
        const m = c.member(GOOD[s.i]!);
        return s.control ? m.control : m.listen;
      }
      case 'target':
        return this.arena.target.listen;
      case 'ours':
        return this.identities.length > 0 ? this.identities[s.i % this.identities.length]!.hello.addr : this.silent;
      case 'silent':
        return this.silent;
      case 'reset':
        return this.reset;
      case 'refused':
        return '127.0.0.1:1';
      case 'late':
        return this.lateAddr.address;
      case 'long':
        return longLoopback(s.len, this.silent.split(':')[1]!);
      case 'raw':
        return s.bytes;
    }
  }

  private peer(p: PeerSpec): RawPeer {
    return { id: this.idOf(p.id), addr: this.addrOf(p.addr) };
  }

  private list(l: ListSpec): RawPeer[] {
    return Array.from({ length: l.n }, (_, i) => this.peer(l.of[i % l.of.length]!));
  }

  private message(f: FrameSpec): RawMessage {
    switch (f.t) {
      case 'forwardJoin':
        return { t: 'forwardJoin', newNode: this.peer(f.newNode), ttl: f.ttl };
      case 'shuffle':
        return { t: 'shuffle', origin: this.peer(f.origin), ttl: f.ttl, ids: this.list(f.ids) };
      case 'shuffleReply':
        return { t: 'shuffleReply', ids: this.list(f.ids) };
      case 'broadcast':
        return { t: 'broadcast', id: f.id.k === 'fresh' ? this.freshId() : f.id.bytes, payload: Buffer.alloc(f.payload, 0x5a) };
      case 'hello':
        return { t: 'hello', peer: this.peer(f.peer) };
      default:
        return f;
    }
  }

  // -- the attacker's moves --

  async addIdentity(id: IdSpec, addr: OwnAddr, ping: boolean): Promise<void> {
    const name = this.idOf(id);
    let hello: RawPeer;
    if (addr.k === 'own') {
      const l = await this.adversary.listen(addr.mode === 'wrong' ? 'answer' : addr.mode);
      hello = { id: name, addr: l.address };
      l.answerAs = addr.mode === 'wrong' ? { id: this.freshId(), addr: l.address } : hello;
    } else {
      hello = { id: name, addr: this.addrOf(addr) };
    }
    const identity: Identity = { hello, ping, link: null };
    this.identities.push(identity);
    await this.connect(identity);
  }

  /** The identity's connection, redialled (same HELLO) if the target closed it; null when out of dials. */
  private async connect(identity: Identity): Promise<Link | null> {
    if (identity.link?.open) return identity.link;
    identity.link = this.adversary.dial(identity.hello, identity.ping);
    if (identity.link) await within(this.arena.cluster.config.helloTimeoutMs + 1000, 'HELLO', identity.link.accepted).catch(() => false);
    return identity.link;
  }

  async send(who: number, frames: readonly FrameSpec[]): Promise<void> {
    const identity = this.identities[who % this.identities.length]!;
    const link = await this.connect(identity);
    if (link) await this.adversary.send(link, frames.map((f) => rawFrame(this.message(f))));
  }

  async flood(who: number, f: FloodSpec): Promise<void> {
    const n = Math.min(f.spread, this.identities.length);
    const links = (await Promise.all(Array.from({ length: n }, (_, k) => this.connect(this.identities[(who + k) % this.identities.length]!)))).filter((l): l is Link => l !== null);
    if (links.length === 0) return;
    const batches: Buffer[][] = links.map(() => []);
    const count = f.kind === 'shuffleIds' ? Math.min(f.count, 40) : f.kind === 'broadcastFF' ? Math.min(f.count, 20) : f.count;
    for (let i = 0; i < count; i++) batches[i % links.length]!.push(rawFrame(this.floodMessage(f, i)));
    await Promise.all(links.map((l, k) => this.adversary.send(l, batches[k]!)));
  }

  private floodMessage(f: FloodSpec, i: number): RawMessage {
    const fresh = (): RawPeer => ({ id: this.freshId(), addr: this.addrOf(f.addr) });
    switch (f.kind) {
      case 'forwardJoin0':
        return { t: 'forwardJoin', newNode: fresh(), ttl: 0 };
      case 'shuffleOrigins':
        return { t: 'shuffle', origin: fresh(), ttl: i % 2, ids: [fresh()] };
      case 'shuffleIds':
        return { t: 'shuffle', origin: fresh(), ttl: 1, ids: Array.from({ length: 255 }, fresh) };
      case 'broadcastFF':
        return { t: 'broadcast', id: Buffer.alloc(255, 0xff), payload: Buffer.of(i) };
      case 'broadcastFresh':
        return { t: 'broadcast', id: this.freshId(i % 2 === 0 ? 255 : 0), payload: Buffer.alloc(16) };
      case 'neighbor':
        return { t: 'neighbor', high: i % 2 === 0 };
      case 'neighborReply':
        return { t: 'neighborReply', accepted: i % 2 === 0 };
      case 'ping':
        return { t: 'ping', seq: i };
      case 'join':
      case 'disconnect':
        return { t: f.kind };
    }
  }

  hangup(who: number, hard: boolean): void {
    this.identities[who % this.identities.length]!.link?.close(hard);
  }

  hold(count: number): void {
    this.adversary.hold(count, null);
  }

  /** An idle HELLO claiming `id` (a good node's, or that of the node that joins at the end), renewed when cut. */
  squatOn(id: IdSpec): void {
    const name = this.idOf(id);
    const addr = id.k === 'good' ? this.arena.cluster.member(GOOD[id.i]!).listen : this.lateAddr.address;
    this.adversary.hold(1, { id: name, addr });
  }

  // -- the checks --

  private async sample(): Promise<void> {
    while (this.sampling) {
      for (const v of await this.arena.inspect(false)) if (!this.sampled.some((s) => s.invariant === v.invariant)) this.sampled.push(v);
      await sleep(SAMPLE_EVERY_MS);
    }
  }

  /** Throws what the sampler saw since the last call, and what a fresh inspection sees (ignored invariants aside). */
  async verify(): Promise<void> {
    const seen = [...this.sampled.splice(0), ...(await this.arena.inspect(true))];
    this.report(seen.filter((v, i) => seen.findIndex((w) => w.invariant === v.invariant) === i));
  }

  private report(violations: readonly Violation[]): void {
    const ignore = this.arena.opts.ignore;
    if (violations.some((v) => v.invariant === 'alive') && ignore.has('alive')) throw new KnownCrash();
    const fresh = violations.filter((v) => !ignore.has(v.invariant));
    if (fresh.length > 0) throw new Finding(fresh);
  }

  /** The end of a case: a new node joins under attack; the attacker leaves; the good nodes must recover. */
  async finish(): Promise<void> {
    await this.verify();
    await this.admit();
    await this.verify();
    this.sampling = false;
    await this.sampler;
    await this.adversary.close();
    await this.settle();
  }

  /**
   * A node the target has never seen joins through it while everything the attacker holds stays
   * open. Our connections claiming its id must first have been silent for two keepalive intervals:
   * a dialler pings every interval, so such a connection is no live peer and its claim must yield.
   * One that pings is a live impostor, which no node can tell from the real one without a shared
   * secret: it hangs up first.
   */
  private async admit(): Promise<void> {
    const idleMs = 2 * this.arena.keepaliveIntervalMs + 300;
    const claims = (): Link[] => [...this.adversary.links].filter((l) => l.open && l.hello !== null && Buffer.from(l.hello.id).equals(Buffer.from(this.lateId)));
    for (const l of claims()) if (l.pinging) l.close(true);
    const deadline = performance.now() + 4 * idleMs;
    while (performance.now() < deadline && claims().some((l) => performance.now() - l.lastSent < idleMs)) await sleep(25);
    this.adversary.freeze();
    const squatting = claims().length > 0;
    const rejected = async (): Promise<NodeView['counters'] | undefined> => (await this.arena.state().catch(() => undefined))?.counters;
    const before = await rejected();
    const config = this.arena.cluster.config;
    await this.lateAddr.close();
    const start = (port: number): Promise<HyParViewNode> => HyParViewNode.start({ id: this.lateId, listen: { host: '127.0.0.1', port }, config, seed: this.no, log: pino({ level: 'silent' }) });
    // Its port may be taken in the moment between (its HELLO then tells the target where it is).
    const late = await start(Number(this.lateAddr.address.split(':')[1])).catch(() => start(0));
    try {
      await within(config.helloTimeoutMs + 2000, 'join', late.join(this.arena.target.listen));
      this.late = late;
    } catch (e) {
      await late.stop();
      if (!this.arena.alive()) return this.report(await this.arena.inspect(false));
      const after = await rejected();
      const delta = (kind: 'connectionsRejected' | 'framesRejected', reason: string): number => (after?.[kind][reason] ?? 0) - (before?.[kind][reason] ?? 0);
      const squatted = squatting && delta('framesRejected', 'refused') > 0;
      const invariant: Invariant = squatted ? 'admission-squat' : delta('connectionsRejected', 'handshake-limit') > 0 ? 'admission-handshake' : 'admission';
      const holding = `${this.adversary.links.size} attacker connections open${squatting ? `, claiming ${this.lateId}: one silent ≥ ${idleMs} ms` : ''}`;
      this.report([{ invariant, message: `${this.lateId} could not join through n1 (${holding}): ${(e as Error).message}; n1 rejections ${JSON.stringify({ connections: after?.connectionsRejected, frames: after?.framesRejected })}` }]);
    }
  }

  private async settle(): Promise<void> {
    const late = this.late;
    const extra = new Map<string, () => NodeView>(late ? [[this.lateId, () => late.view()]] : []);
    const problem = await Arena.settled(this.arena.cluster, extra, SETTLE_MS);
    if (problem !== null) return this.report([{ invariant: 'symmetry', message: `${SETTLE_MS} ms after the attacker left: ${problem}; ${await this.n1Counters()}` }]);
    const from = GOOD[this.no % GOOD.length]!;
    let id: string | undefined;
    // A node may refuse a broadcast for a while (429) after a burst filled its dedup window.
    for (const until = performance.now() + 5000; id === undefined; await sleep(200)) {
      try {
        id = await this.arena.cluster.broadcast(from, `case ${this.no}`);
      } catch (e) {
        if (performance.now() >= until) return this.report([{ invariant: 'broadcast', message: `${from} could not start a broadcast for 5 s: ${(e as Error).message}; ${await this.n1Counters()}` }]);
      }
    }
    const deadline = performance.now() + 3000;
    let missing: string[] = [];
    do {
      missing = await this.arena.cluster.missing(id);
      if (late && !late.hasDelivered(id)) missing.push(this.lateId);
      if (missing.length === 0) return;
      await sleep(100);
    } while (performance.now() < deadline);
    this.report([{ invariant: 'broadcast', message: `a broadcast from ${from} did not reach ${missing.join(', ')} within 3 s; ${await this.n1Counters()}` }]);
  }

  /** For a finding's message: why n1 closed connections, and its broadcast traffic. */
  private async n1Counters(): Promise<string> {
    const c = (await this.arena.state().catch(() => null))?.counters;
    return c ? `n1 closed connections for ${JSON.stringify(c.framesRejected)}; n1 broadcasts ${JSON.stringify(c.broadcast)}` : 'n1 /state does not answer';
  }

  async dispose(): Promise<void> {
    this.sampling = false;
    await this.sampler;
    await Promise.all([this.adversary.close(), this.lateAddr.close()]);
    await this.late?.stop();
  }
}

/** 127.0.0.1 as inet_aton reads it (zero-padded octal: resolved without DNS), `len` bytes with the port. */
export function longLoopback(len: number, port: string): string {
  const labels = ['0177', '0', '0', '01'];
  let pad = Math.max(0, len - port.length - 1 - (labels.join('.').length));
  const out = labels.map((l) => {
    const add = Math.min(pad, 63 - l.length);
    pad -= add;
    return '0'.repeat(add) + l;
  });
  return `${out.join('.')}:${port}`;
}

// ---- commands ----------------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Case>;

/** Runs `act`, then checks the target (every command ends with the invariants checked). */
abstract class Step implements Cmd {
  abstract check(m: Readonly<Model>): boolean;
  protected abstract act(m: Model, c: Case): Promise<void>;
  abstract toString(): string;
  async run(m: Model, c: Case): Promise<void> {
    c.commands++;
    await this.act(m, c);
    await c.verify();
  }
}

class Dial extends Step {
  constructor(
    readonly id: IdSpec,
    readonly addr: OwnAddr,
    readonly ping: boolean,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.identities < MAX_IDENTITIES;
  }
  protected async act(m: Model, c: Case): Promise<void> {
    m.identities++;
    await c.addIdentity(this.id, this.addr, this.ping);
  }
  toString(): string {
    return `Dial(${showId(this.id)}@${showAddr(this.addr)}${this.ping ? ', pings' : ''})`;
  }
}

class Many extends Step {
  constructor(
    readonly count: number,
    readonly addr: OwnAddr,
    readonly then: FrameSpec | null,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.identities + this.count <= MAX_IDENTITIES;
  }
  protected async act(m: Model, c: Case): Promise<void> {
    const first = m.identities;
    m.identities += this.count;
    await Promise.all(Array.from({ length: this.count }, () => c.addIdentity({ k: 'fresh', len: 0 }, this.addr, true)));
    if (this.then) await Promise.all(Array.from({ length: this.count }, (_, k) => c.send(first + k, [this.then!])));
  }
  toString(): string {
    return `Many(${this.count}@${showAddr(this.addr)}${this.then ? `, each ${showFrame(this.then)}` : ''})`;
  }
}

class Send extends Step {
  constructor(
    readonly who: number,
    readonly frames: readonly FrameSpec[],
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.identities > 0;
  }
  protected act(_m: Model, c: Case): Promise<void> {
    return c.send(this.who, this.frames);
  }
  toString(): string {
    return `Send(#${this.who}: ${this.frames.map(showFrame).join(', ')})`;
  }
}

class Flood extends Step {
  constructor(
    readonly who: number,
    readonly flood: FloodSpec,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.identities > 0;
  }
  protected act(_m: Model, c: Case): Promise<void> {
    return c.flood(this.who, this.flood);
  }
  toString(): string {
    return `Flood(#${this.who}×${this.flood.spread}: ${this.flood.kind} ×${this.flood.count} @${showAddr(this.flood.addr)})`;
  }
}

class HoldSlots extends Step {
  constructor(readonly count: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return !m.holding;
  }
  protected async act(m: Model, c: Case): Promise<void> {
    m.holding = true;
    c.hold(this.count);
    await sleep(50);
  }
  toString(): string {
    return `HoldIdle(${this.count})`;
  }
}

class Squat extends Step {
  constructor(readonly id: IdSpec) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return !m.squatting;
  }
  protected async act(m: Model, c: Case): Promise<void> {
    m.squatting = true;
    c.squatOn(this.id);
    await sleep(50);
  }
  toString(): string {
    return `Squat(${showId(this.id)})`;
  }
}

class Hangup extends Step {
  constructor(
    readonly who: number,
    readonly hard: boolean,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.identities > 0;
  }
  protected async act(_m: Model, c: Case): Promise<void> {
    c.hangup(this.who, this.hard);
  }
  toString(): string {
    return `Hangup(#${this.who}${this.hard ? ', reset' : ''})`;
  }
}

class Pause extends Step {
  constructor(readonly ms: number) {
    super();
  }
  check(): boolean {
    return true;
  }
  protected act(): Promise<void> {
    return sleep(this.ms);
  }
  toString(): string {
    return `Pause(${this.ms} ms)`;
  }
}

const who = fc.nat(MAX_IDENTITIES - 1);

export function commandArb(maxHandshaking: number): fc.Arbitrary<Cmd> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(idArb, ownAddrArb, fc.boolean()).map(([id, addr, ping]) => new Dial(id, addr, ping)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 2, max: 12 }), ownAddrArb, fc.option(frameArb)).map(([n, addr, then]) => new Many(n, addr, then)) },
    { weight: 6, arbitrary: fc.tuple(who, fc.array(frameArb, { minLength: 1, maxLength: 5 })).map(([w, fs]) => new Send(w, fs)) },
    { weight: 6, arbitrary: fc.tuple(who, floodArb).map(([w, f]) => new Flood(w, f)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: maxHandshaking + 2 }).map((n) => new HoldSlots(n)) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        { weight: 3, arbitrary: fc.constant<IdSpec>({ k: 'late' }) },
        { weight: 1, arbitrary: fc.nat(GOOD.length - 1).map((i): IdSpec => ({ k: 'good', i })) },
      ).map((id) => new Squat(id)),
    },
    { weight: 1, arbitrary: fc.tuple(who, fc.boolean()).map(([w, hard]) => new Hangup(w, hard)) },
    { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 20, max: 300 }), fc.integer({ min: 300, max: 1500 })).map((ms) => new Pause(ms)) },
  );
}

// ---- the runner --------------------------------------------------------------------------

export interface PeerFuzzOptions {
  readonly seed: number;
  /** Cases at most (fast-check runs). */
  readonly runs: number;
  readonly maxCommands: number;
  /** No case starts after this (a case in progress finishes). */
  readonly timeBudgetMs: number;
  readonly log: (line: string) => void;
  /** After a finding, go on (next seed) with its invariants ignored, to find the next distinct one. */
  readonly keepGoing?: boolean;
  readonly ignore?: readonly Invariant[];
  /** Replay one case: fast-check's counterexample path (and, after shrinking, the commands' replayPath). */
  readonly path?: string | undefined;
  readonly replayPath?: string | undefined;
  readonly shrink?: boolean;
  readonly healthzMs?: number;
  readonly rssCapMiB?: number;
  /** Every node's settings; FUZZ_NODE_CONFIG by default. */
  readonly config?: NodeConfigInput;
}

export interface FindingReport {
  readonly invariants: Invariant[];
  readonly message: string;
  readonly seed: number;
  readonly path: string;
  readonly counterexample: string;
  /** Since the fuzzer started (cluster start included). */
  readonly afterSeconds: number;
  readonly case: number;
  /** Invariants ignored when it was found: a replay needs them ignored too. */
  readonly ignored: Invariant[];
}

export interface PeerFuzzStats {
  readonly seed: number;
  readonly cases: number;
  readonly commands: number;
  readonly framesSent: number;
  /** Attacker HELLOs n1 answered. */
  readonly handshakes: number;
  readonly seconds: number;
  readonly casesPerSecond: number;
  readonly peakRssMiB: number;
  readonly rssCapMiB: number;
  readonly findings: FindingReport[];
}

/** The command that replays a finding's case (on a fresh cluster, so timing may differ). */
export function replayCommand(f: FindingReport, maxCommands: number, healthzMs = 500): string {
  const ignore = `${f.ignored.length > 0 ? ` --ignore ${f.ignored.join(',')}` : ''}${healthzMs !== 500 ? ` --healthz-ms ${healthzMs}` : ''}`;
  // Only a shrunk counterexample (a path with steps) needs the commands' own replay path.
  const replayPath = f.path.includes(':') ? /replayPath="([^"]*)"/.exec(f.counterexample)?.[1] : undefined;
  return `npm run fuzz:node -- --seed ${f.seed} --path ${f.path}${replayPath ? ` --replay-path '${replayPath}'` : ''} --max-commands ${maxCommands}${ignore}`;
}

export async function runPeerFuzz(opts: PeerFuzzOptions): Promise<PeerFuzzStats> {
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const rssCapMiB = opts.rssCapMiB ?? 256;
  const ignore = new Set(opts.ignore ?? []);
  opts.log(`peer fuzz: seed ${opts.seed}, up to ${opts.runs} cases of up to ${opts.maxCommands} commands, ${(opts.timeBudgetMs / 1000).toFixed(0)} s; RSS cap ${rssCapMiB} MiB`);
  const arena = await Arena.start({ seed: opts.seed, config: opts.config ?? FUZZ_NODE_CONFIG, healthzMs: opts.healthzMs ?? 500, rssCapMiB, ignore });
  const fuzzStart = performance.now();
  const deadline = fuzzStart + opts.timeBudgetMs;
  const findings: FindingReport[] = [];
  let cases = 0;
  let commands = 0;
  let framesSent = 0;
  let handshakes = 0;
  let shrinking = false;
  const arb = fc.commands([commandArb(arena.cluster.config.maxHandshaking)], { maxCommands: opts.maxCommands, replayPath: opts.replayPath });
  const property = fc.asyncProperty(arb, async (cmds) => {
    if (!shrinking && performance.now() > deadline) throw new TimeUp();
    const c = await Case.open(arena, ++cases, opts.log);
    const t0 = performance.now();
    try {
      await fc.asyncModelRun(() => ({ model: { identities: 0, holding: false, squatting: false }, real: c }), cmds);
      await c.finish();
      arena.dirty = false;
    } catch (e) {
      if (e instanceof KnownCrash) return;
      if (e instanceof Finding) shrinking = opts.shrink === true;
      throw e;
    } finally {
      commands += c.commands;
      framesSent += c.adversary.framesSent;
      await c.dispose();
      handshakes += c.adversary.handshakes;
      opts.log(`case ${c.no}: ${c.commands} commands, ${c.adversary.framesSent} frames, ${((performance.now() - t0) / 1000).toFixed(1)} s; ${elapsed().toFixed(0)} s in, peak n1 RSS ${arena.peakRssMiB.toFixed(1)} MiB`);
    }
  });
  try {
    let seed = opts.seed;
    while (cases < opts.runs && performance.now() < deadline) {
      const details = await fc.check(property, { seed, numRuns: opts.runs - cases, path: opts.path, endOnFailure: opts.shrink !== true });
      if (!details.failed || details.errorInstance instanceof TimeUp) break;
      if (!(details.errorInstance instanceof Finding)) throw details.errorInstance;
      const found = details.errorInstance.violations;
      const report: FindingReport = {
        invariants: found.map((v) => v.invariant),
        message: details.errorInstance.message,
        seed,
        path: details.counterexamplePath ?? '',
        counterexample: fc.stringify(details.counterexample?.[0]),
        afterSeconds: elapsed(),
        case: cases,
        ignored: [...ignore],
      };
      findings.push(report);
      opts.log(`FINDING after ${report.afterSeconds.toFixed(1)} s (seed ${seed}, path ${report.path}): ${report.message}`);
      opts.log(`  counterexample: ${report.counterexample}`);
      if (!opts.keepGoing || opts.path !== undefined) break;
      for (const v of found) ignore.add(v.invariant);
      seed = (seed + 1) | 0;
      shrinking = false;
    }
  } finally {
    await arena.destroy();
  }
  const seconds = (performance.now() - fuzzStart) / 1000;
  if (findings.length === 0 && cases >= 5 && handshakes === 0) throw new Error(`n1 answered none of our HELLOs in ${cases} cases: the raw frames no longer match its codec`);
  return { seed: opts.seed, cases, commands, framesSent, handshakes, seconds, casesPerSecond: cases / seconds, peakRssMiB: arena.peakRssMiB, rssCapMiB, findings };
}
