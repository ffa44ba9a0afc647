// The wire format: length-prefixed binary frames.
//
//   u32be length   bytes that follow (version + type + body), 2 .. maxFrameBytes
//   u8    version  WIRE_VERSION
//   u8    type     FrameType
//   ...   body     per type, below; nothing may trail it
//
// Node ids travel as strings with the address their owner advertises (a PeerRef), so that a
// peer learning an id from a walk or a shuffle can dial it. Integers never leave the node.
//
// PING and PONG (body: u32be sequence number) are the link keepalive, not protocol messages:
// the dialling side pings, the accepting side answers with the same number (connection.ts).
// HELLO may carry a nonce and a proof, and AUTH a proof, when a cluster secret is configured
// (the handshake in connection.ts); without one, both are empty.
import { isNodeId, parseHostPort } from './address.ts';

export const WIRE_VERSION = 1;
export const HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

export const FrameType = {
  Hello: 0x01,
  Ping: 0x02,
  Pong: 0x03,
  Auth: 0x04,
  Join: 0x10,
  ForwardJoin: 0x11,
  Neighbor: 0x12,
  NeighborReply: 0x13,
  Disconnect: 0x14,
  Shuffle: 0x15,
  ShuffleReply: 0x16,
  Broadcast: 0x20,
} as const;

export interface PeerRef {
  readonly id: string;
  readonly addr: string;
}

export type WireMessage =
  | { readonly t: 'hello'; readonly peer: PeerRef; readonly nonce?: Uint8Array; readonly proof?: Uint8Array }
  | { readonly t: 'auth'; readonly proof: Uint8Array }
  | { readonly t: 'ping'; readonly seq: number }
  | { readonly t: 'pong'; readonly seq: number }
  | { readonly t: 'join' }
  | { readonly t: 'forwardJoin'; readonly newNode: PeerRef; readonly ttl: number }
  | { readonly t: 'neighbor'; readonly high: boolean }
  | { readonly t: 'neighborReply'; readonly accepted: boolean }
  | { readonly t: 'disconnect' }
  | { readonly t: 'shuffle'; readonly origin: PeerRef; readonly ids: readonly PeerRef[]; readonly ttl: number }
  | { readonly t: 'shuffleReply'; readonly ids: readonly PeerRef[] }
  | { readonly t: 'broadcast'; readonly id: string; readonly payload: Uint8Array };

export type FrameErrorReason = 'oversized' | 'undersized' | 'version' | 'unknown-type' | 'malformed' | 'truncated';

/** A frame that cannot be decoded; the connection it came on is closed. */
export class FrameError extends Error {
  constructor(
    readonly reason: FrameErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Ids per list (a u8 count). */
export const MAX_LIST = 255;
/** A string on the wire (id, address, message id) has a u8 length. */
export const MAX_SHORT_BYTES = 255;
/** The largest PeerRef on the wire: an id of 64 bytes and an address of 255, each with its length byte. */
export const MAX_PEER_BYTES = 1 + 64 + 1 + MAX_SHORT_BYTES;
/** The length prefix, version, type and message-id length byte of a BROADCAST frame. */
export const BROADCAST_OVERHEAD = HEADER_BYTES + 3;

/** The largest frame carrying `ids` PeerRefs (a SHUFFLE: origin, ttl, count, ids). */
export function maxListFrameBytes(ids: number): number {
  return HEADER_BYTES + 2 + MAX_PEER_BYTES + 2 + ids * MAX_PEER_BYTES;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// ---- encoding ------------------------------------------------------------------------------

class Writer {
  private readonly parts: Buffer[] = [];
  private size = 0;
  u8(v: number): this {
    return this.bytes(Buffer.of(v));
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return this.bytes(b);
  }
  bytes(b: Uint8Array): this {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.parts.push(buf);
    this.size += buf.length;
    return this;
  }
  short(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length > MAX_SHORT_BYTES) throw new RangeError(`string too long for the wire: ${b.length} bytes`);
    return this.u8(b.length).bytes(b);
  }
  peer(p: PeerRef): this {
    return this.short(p.id).short(p.addr);
  }
  /** A short byte string (nonce, proof): u8 length, then the bytes. */
  blob(b: Uint8Array = new Uint8Array(0)): this {
    if (b.length > MAX_SHORT_BYTES) throw new RangeError(`byte string too long for the wire: ${b.length} bytes`);
    return this.u8(b.length).bytes(b);
  }
  peers(ps: readonly PeerRef[]): this {
    if (ps.length > MAX_LIST) throw new RangeError(`too many ids for one message: ${ps.length}`);
    this.u8(ps.length);
    for (const p of ps) this.peer(p);
    return this;
  }
  frame(type: number): Buffer {
    const head = Buffer.alloc(HEADER_BYTES + 2);
    head.writeUInt32BE(this.size + 2, 0);
    head[4] = WIRE_VERSION;
    head[5] = type;
    return Buffer.concat([head, ...this.parts], head.length + this.size);
  }
}

export function encodeFrame(m: WireMessage): Buffer {
  const w = new Writer();
  switch (m.t) {
    case 'hello':
      return w.peer(m.peer).blob(m.nonce).blob(m.proof).frame(FrameType.Hello);
    case 'auth':
      return w.blob(m.proof).frame(FrameType.Auth);
    case 'ping':
      return w.u32(m.seq).frame(FrameType.Ping);
    case 'pong':
      return w.u32(m.seq).frame(FrameType.Pong);
    case 'join':
      return w.frame(FrameType.Join);
    case 'forwardJoin':
      return w.peer(m.newNode).u8(m.ttl).frame(FrameType.ForwardJoin);
    case 'neighbor':
      return w.u8(m.high ? 1 : 0).frame(FrameType.Neighbor);
    case 'neighborReply':
      return w.u8(m.accepted ? 1 : 0).frame(FrameType.NeighborReply);
    case 'disconnect':
      return w.frame(FrameType.Disconnect);
    case 'shuffle':
      return w.peer(m.origin).u8(m.ttl).peers(m.ids).frame(FrameType.Shuffle);
    case 'shuffleReply':
      return w.peers(m.ids).frame(FrameType.ShuffleReply);
    case 'broadcast':
      return w.short(m.id).bytes(m.payload).frame(FrameType.Broadcast);
  }
}

// ---- decoding ------------------------------------------------------------------------------

class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  private need(n: number, what: string): void {
    if (this.at + n > this.b.length) throw new FrameError('malformed', `frame ends inside ${what}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.b[this.at++]!;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  bool(what: string): boolean {
    const v = this.u8(what);
    if (v > 1) throw new FrameError('malformed', `${what} must be 0 or 1, got ${v}`);
    return v === 1;
  }
  /** Strict UTF-8: a replacement character would make the string longer than the bytes it came in. */
  short(what: string): string {
    const n = this.u8(what);
    this.need(n, what);
    let s: string;
    try {
      s = utf8.decode(this.b.subarray(this.at, this.at + n));
    } catch {
      throw new FrameError('malformed', `${what} is not valid UTF-8`);
    }
    this.at += n;
    return s;
  }
  peer(what: string): PeerRef {
    const id = this.short(`${what} id`);
    if (!isNodeId(id)) throw new FrameError('malformed', `${what} id is not a node id: ${JSON.stringify(id.slice(0, 64))}`);
    const addr = this.short(`${what} address`);
    try {
      parseHostPort(addr);
    } catch {
      throw new FrameError('malformed', `${what} address is not HOST:PORT: ${JSON.stringify(addr.slice(0, 64))}`);
    }
    return { id, addr };
  }
  blob(what: string): Buffer {
    const n = this.u8(what);
    this.need(n, what);
    const b = Buffer.from(this.b.subarray(this.at, this.at + n));
    this.at += n;
    return b;
  }
  peers(what: string): PeerRef[] {
    const n = this.u8(`${what} count`);
    const out: PeerRef[] = [];
    for (let i = 0; i < n; i++) out.push(this.peer(what));
    return out;
  }
  rest(): Buffer {
    const r = this.b.subarray(this.at);
    this.at = this.b.length;
    return r;
  }
  end(): void {
    if (this.at !== this.b.length) throw new FrameError('malformed', `${this.b.length - this.at} trailing bytes`);
  }
}

/** Decodes one frame body (version and type included, length prefix stripped). */
export function decodeBody(body: Buffer): WireMessage {
  if (body.length < 2) throw new FrameError('undersized', `frame of ${body.length} bytes has no version and type`);
  if (body[0] !== WIRE_VERSION) throw new FrameError('version', `wire version ${body[0]} is not ${WIRE_VERSION}`);
  const type = body[1]!;
  const r = new Reader(body.subarray(2));
  let m: WireMessage;
  switch (type) {
    case FrameType.Hello: {
      const peer = r.peer('sender');
      const nonce = r.blob('nonce');
      const proof = r.blob('proof');
      m = { t: 'hello', peer, ...(nonce.length > 0 && { nonce }), ...(proof.length > 0 && { proof }) };
      break;
    }
    case FrameType.Auth:
      m = { t: 'auth', proof: r.blob('proof') };
      break;
    case FrameType.Ping:
      m = { t: 'ping', seq: r.u32('sequence number') };
      break;
    case FrameType.Pong:
      m = { t: 'pong', seq: r.u32('sequence number') };
      break;
    case FrameType.Join:
      m = { t: 'join' };
      break;
    case FrameType.ForwardJoin:
      m = { t: 'forwardJoin', newNode: r.peer('new node'), ttl: r.u8('ttl') };
      break;
    case FrameType.Neighbor:
      m = { t: 'neighbor', high: r.bool('priority') };
      break;
    case FrameType.NeighborReply:
      m = { t: 'neighborReply', accepted: r.bool('accepted') };
      break;
    case FrameType.Disconnect:
      m = { t: 'disconnect' };
      break;
    case FrameType.Shuffle:
      m = { t: 'shuffle', origin: r.peer('origin'), ttl: r.u8('ttl'), ids: r.peers('shuffled') };
      break;
    case FrameType.ShuffleReply:
      m = { t: 'shuffleReply', ids: r.peers('shuffled') };
      break;
    case FrameType.Broadcast: {
      const id = r.short('message id');
      if (id.length === 0) throw new FrameError('malformed', 'empty broadcast message id');
      m = { t: 'broadcast', id, payload: Buffer.from(r.rest()) };
      break;
    }
    default:
      throw new FrameError('unknown-type', `unknown message type 0x${type.toString(16).padStart(2, '0')}`);
  }
  r.end();
  return m;
}

/**
 * Splits a byte stream into frames. Holds at most one frame's worth of bytes (bounded by
 * maxFrameBytes) and copies each byte a bounded number of times, however the stream is cut.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Body length of the frame being assembled, once its prefix is known. */
  private want = -1;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes received but not yet decoded. */
  get buffered(): number {
    return this.size;
  }

  /** Feeds bytes; returns the complete frames they finish. Throws FrameError on a bad frame. */
  push(chunk: Buffer): WireMessage[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    const out: WireMessage[] = [];
    for (;;) {
      if (this.want < 0) {
        if (this.size < HEADER_BYTES) return out;
        const length = this.take(HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) throw new FrameError('oversized', `frame of ${length} bytes exceeds the maximum of ${this.maxFrameBytes}`);
        if (length < 2) throw new FrameError('undersized', `frame of ${length} bytes has no version and type`);
        this.want = length;
      }
      if (this.size < this.want) return out;
      const body = this.take(this.want);
      this.want = -1;
      out.push(decodeBody(body));
    }
  }

  /** The stream ended: any bytes left over are a truncated frame. */
  end(): void {
    if (this.size > 0 || this.want >= 0) throw new FrameError('truncated', `stream ended inside a frame (${this.size} bytes buffered)`);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    return head;
  }
}
