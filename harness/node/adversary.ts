// A hostile peer, for fuzzing one live node: frames built byte by byte (encodeFrame validates,
// and the lies we need are exactly what it refuses), identities that complete the HELLO and then
// say anything, listeners that take the target's dials, and connections that only hold a slot.
// Loopback only, and every count bounded, so a fuzz run cannot become a flood of its own.
import net from 'node:net';
import { parseHostPort } from './address.ts';
import { encodeFrame, FrameDecoder, FrameType, HEADER_BYTES, WIRE_VERSION } from './codec.ts';

export type Bytes = string | Uint8Array;

/** An (id, address) pair as the wire carries it, whether or not it is valid. */
export interface RawPeer {
  readonly id: Bytes;
  readonly addr: Bytes;
}

export type RawMessage =
  | { readonly t: 'hello'; readonly peer: RawPeer }
  | { readonly t: 'auth'; readonly proof: Uint8Array }
  | { readonly t: 'ping' | 'pong'; readonly seq: number }
  | { readonly t: 'join' | 'disconnect' }
  | { readonly t: 'forwardJoin'; readonly newNode: RawPeer; readonly ttl: number }
  | { readonly t: 'neighbor'; readonly high: boolean }
  | { readonly t: 'neighborReply'; readonly accepted: boolean }
  | { readonly t: 'shuffle'; readonly origin: RawPeer; readonly ttl: number; readonly ids: readonly RawPeer[] }
  | { readonly t: 'shuffleReply'; readonly ids: readonly RawPeer[] }
  | { readonly t: 'broadcast'; readonly id: Bytes; readonly payload: Uint8Array };

// ---- the raw frame builder -----------------------------------------------------------------

const bytes = (b: Bytes): Buffer => (typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** A u8 length and the bytes: the one limit kept is the one the wire itself imposes. */
function short(b: Bytes): Buffer {
  const x = bytes(b);
  if (x.length > 255) throw new RangeError(`${x.length} bytes do not fit a u8 length`);
  return Buffer.concat([Buffer.of(x.length), x]);
}

const peer = (p: RawPeer): Buffer => Buffer.concat([short(p.id), short(p.addr)]);

function peers(ps: readonly RawPeer[]): Buffer {
  if (ps.length > 255) throw new RangeError(`${ps.length} ids do not fit a u8 count`);
  return Buffer.concat([Buffer.of(ps.length), ...ps.map(peer)]);
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

/** Whatever this codec's HELLO carries after the peer when no cluster secret is set (empty nonce and proof, or nothing). */
const PROBE = { id: 'probe', addr: '127.0.0.1:1' };
const HELLO_TRAILER = encodeFrame({ t: 'hello', peer: PROBE }).subarray(HEADER_BYTES + 2 + peer(PROBE).length);
/** AUTH (the cluster secret's proof), by number: a codec without it calls it an unknown type. */
const AUTH_TYPE = 0x04;

function body(m: RawMessage): [type: number, body: Buffer] {
  switch (m.t) {
    case 'hello':
      return [FrameType.Hello, Buffer.concat([peer(m.peer), HELLO_TRAILER])];
    case 'auth':
      return [AUTH_TYPE, short(m.proof)];
    case 'ping':
      return [FrameType.Ping, u32(m.seq)];
    case 'pong':
      return [FrameType.Pong, u32(m.seq)];
    case 'join':
      return [FrameType.Join, Buffer.alloc(0)];
    case 'disconnect':
      return [FrameType.Disconnect, Buffer.alloc(0)];
    case 'forwardJoin':
      return [FrameType.ForwardJoin, Buffer.concat([peer(m.newNode), Buffer.of(m.ttl & 0xff)])];
    case 'neighbor':
      return [FrameType.Neighbor, Buffer.of(m.high ? 1 : 0)];
    case 'neighborReply':
      return [FrameType.NeighborReply, Buffer.of(m.accepted ? 1 : 0)];
    case 'shuffle':
      return [FrameType.Shuffle, Buffer.concat([peer(m.origin), Buffer.of(m.ttl & 0xff), peers(m.ids)])];
    case 'shuffleReply':
      return [FrameType.ShuffleReply, peers(m.ids)];
    case 'broadcast':
      return [FrameType.Broadcast, Buffer.concat([short(m.id), bytes(m.payload)])];
  }
}

/** The frame encodeFrame would build, without its checks: ids and addresses may be any bytes. */
export function rawFrame(m: RawMessage): Buffer {
  const [type, b] = body(m);
  const head = Buffer.alloc(6);
  head.writeUInt32BE(b.length + 2, 0);
  head[4] = WIRE_VERSION;
  head[5] = type;
  return Buffer.concat([head, b]);
}

// ---- connections -----------------------------------------------------------------------------

/** How long a write may wait for the target to read before we give up on the connection. */
const WRITE_WAIT_MS = 2000;
/** Writes are cut into pieces of this size, so one flood cannot queue megabytes in our process. */
const WRITE_CHUNK = 64 * 1024;

function onlyLoopback(addr: string): net.NetConnectOpts {
  const { host, port } = parseHostPort(addr);
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) throw new Error(`the adversary only dials 127.0.0.0/8, not ${addr}`);
  return { host, port };
}

/** One connection we dialled to the target: optionally a HELLO first, optionally pings after. */
export class Link {
  readonly socket: net.Socket;
  /** True once the target answered our HELLO; false if it closed first (or we sent none). */
  readonly accepted: Promise<boolean>;
  readonly closed: Promise<void>;
  /** When we last wrote a frame (the HELLO included): the target judges idleness by what it hears. */
  lastSent = performance.now();
  private readonly decoder = new FrameDecoder(1024 * 1024);
  private pingTimer: NodeJS.Timeout | undefined;
  private pings = 0;
  /** Writes in order: a PING must not land inside a flood cut into pieces. */
  private tail: Promise<boolean> = Promise.resolve(true);

  readonly pinging: boolean;

  constructor(
    target: string,
    readonly hello: RawPeer | null,
    pingEveryMs: number,
  ) {
    this.pinging = hello !== null && pingEveryMs > 0;
    this.socket = net.connect(onlyLoopback(target));
    this.socket.setNoDelay(true);
    this.socket.on('error', () => {});
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    let answered: (ok: boolean) => void = () => {};
    this.accepted = new Promise((resolve) => (answered = resolve));
    void this.closed.then(() => {
      clearInterval(this.pingTimer);
      answered(false);
    });
    this.socket.on('data', (chunk: Buffer) => {
      try {
        for (const m of this.decoder.push(chunk)) {
          if (m.t !== 'hello') continue;
          answered(true);
          if (pingEveryMs > 0) this.pingTimer = setInterval(() => void this.write(rawFrame({ t: 'ping', seq: ++this.pings })), pingEveryMs);
        }
      } catch {
        this.socket.destroy();
      }
    });
    if (hello) void this.write(rawFrame({ t: 'hello', peer: hello }));
    else answered(false);
  }

  get open(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  /** Writes `data`, waiting (bounded) whenever the target falls behind; false if the connection is gone. */
  write(data: Buffer): Promise<boolean> {
    this.tail = this.tail.then(() => this.writeNow(data));
    return this.tail;
  }

  private async writeNow(data: Buffer): Promise<boolean> {
    for (let at = 0; at < data.length; at += WRITE_CHUNK) {
      if (!this.open) return false;
      this.lastSent = performance.now();
      if (this.socket.write(data.subarray(at, at + WRITE_CHUNK))) continue;
      const drained = await new Promise<boolean>((resolve) => {
        const done = (ok: boolean): void => {
          clearTimeout(timer);
          this.socket.off('drain', onDrain);
          this.socket.off('close', onClose);
          resolve(ok);
        };
        const onDrain = (): void => done(true);
        const onClose = (): void => done(false);
        const timer = setTimeout(() => done(false), WRITE_WAIT_MS);
        this.socket.once('drain', onDrain);
        this.socket.once('close', onClose);
      });
      if (!drained) return false;
    }
    return this.open;
  }

  /** Graceful (FIN) or abrupt (RST-like destroy). */
  close(hard: boolean): void {
    clearInterval(this.pingTimer);
    if (hard) this.socket.destroy();
    else this.socket.end();
  }
}

/**
 * How a listener of ours treats the target's dials: 'answer' completes the HELLO as `answerAs`
 * and PONGs; 'mute' completes the HELLO and never PONGs; 'silent' says nothing at all; 'reset'
 * closes each connection on arrival (and keeps its port from being anyone else's).
 */
export type ListenMode = 'answer' | 'mute' | 'silent' | 'reset';

export class Listener {
  accepted = 0;
  /** Who an 'answer' or 'mute' listener says it is (set once its address is known). */
  answerAs: RawPeer | null = null;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly address: string,
  ) {}

  /** Listens on 127.0.0.1 (a free port); connections past `maxSockets` are closed on arrival. */
  static async open(mode: ListenMode, maxSockets: number): Promise<Listener> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    const l = new Listener(server, `127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    server.on('connection', (s) => {
      s.on('error', () => {});
      if (mode === 'reset' || l.sockets.size >= maxSockets) return void s.destroy();
      l.accepted++;
      l.sockets.add(s);
      s.once('close', () => l.sockets.delete(s));
      if (mode === 'silent') return;
      const decoder = new FrameDecoder(1024 * 1024);
      s.on('data', (chunk: Buffer) => {
        try {
          for (const m of decoder.push(chunk)) {
            if (m.t === 'hello' && l.answerAs) s.write(rawFrame({ t: 'hello', peer: l.answerAs }));
            else if (m.t === 'ping' && mode === 'answer') s.write(rawFrame({ t: 'pong', seq: m.seq }));
          }
        } catch {
          s.destroy();
        }
      });
    });
    return l;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** After the target closes a held connection, wait this long before opening its replacement. */
const REFRESH_MS = 100;

/**
 * `count` connections kept open by replacing each one the target closes: idle ones holding
 * handshake slots (no HELLO), or a HELLO that then says nothing (a squatter), while the dial
 * budget lasts and until frozen.
 */
export class Hold {
  readonly links: Link[] = [];
  private frozen = false;

  constructor(
    count: number,
    private readonly dial: () => Link | null,
  ) {
    for (let i = 0; i < count; i++) this.keep(i);
  }

  private keep(slot: number): void {
    if (this.frozen) return;
    const link = this.dial();
    if (!link) return;
    this.links[slot] = link;
    void link.closed.then(() => setTimeout(() => this.keep(slot), REFRESH_MS));
  }

  /** Stops replacing closed connections; the open ones stay. */
  freeze(): void {
    this.frozen = true;
  }
}

export interface AdversaryLimits {
  /** Connections we may open to the target in all (identities, holds and their replacements). */
  readonly maxDials: number;
  /** Connections one listener keeps from the target's dials. */
  readonly maxListenerSockets: number;
  /** How often an identity that pings sends one: the target's keepalive interval. */
  readonly pingEveryMs: number;
}

/** Everything one attacker holds against one target, torn down together. */
export class Adversary {
  readonly links = new Set<Link>();
  readonly listeners: Listener[] = [];
  readonly holds: Hold[] = [];
  framesSent = 0;
  bytesSent = 0;
  /** HELLOs the target answered: zero over a whole run means our frames no longer match its codec. */
  handshakes = 0;
  private dialsLeft: number;

  constructor(
    readonly target: string,
    private readonly limits: AdversaryLimits,
  ) {
    onlyLoopback(target);
    this.dialsLeft = limits.maxDials;
  }

  /** A new connection to the target, or null once the dial budget is spent. */
  dial(hello: RawPeer | null, ping: boolean): Link | null {
    if (this.dialsLeft <= 0) return null;
    this.dialsLeft--;
    const link = new Link(this.target, hello, ping ? this.limits.pingEveryMs : 0);
    this.links.add(link);
    void link.accepted.then((ok) => void (ok && this.handshakes++));
    void link.closed.then(() => this.links.delete(link));
    return link;
  }

  async send(link: Link, frames: readonly Buffer[]): Promise<boolean> {
    const data = Buffer.concat(frames);
    this.framesSent += frames.length;
    this.bytesSent += data.length;
    return link.write(data);
  }

  async listen(mode: ListenMode): Promise<Listener> {
    const l = await Listener.open(mode, this.limits.maxListenerSockets);
    this.listeners.push(l);
    return l;
  }

  hold(count: number, hello: RawPeer | null): Hold {
    const h = new Hold(count, () => this.dial(hello, false));
    this.holds.push(h);
    return h;
  }

  /** Stops every hold from replacing what the target closes. */
  freeze(): void {
    for (const h of this.holds) h.freeze();
  }

  /** Closes every connection and listener, abruptly, and waits until they are gone. */
  async close(): Promise<void> {
    this.freeze();
    const links = [...this.links];
    for (const l of links) l.close(true);
    await Promise.all([...links.map((l) => l.closed), ...this.listeners.map((l) => l.close())]);
  }
}
