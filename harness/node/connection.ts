// One TCP connection: framing, the HELLO exchange, and the limits that keep a hostile or
// stuck peer from holding memory or a slot for long. Which connections to keep, and what a
// closed one means to the protocol, is the node's business (node.ts).
//
// Connections carry protocol traffic one way: the dialling side sends, the accepting side
// only answers the HELLO and PINGs. A node therefore holds one outbound connection per peer
// it talks to, and a broken outbound connection is exactly the model's linkDown.
//
// A paused peer or a blackholed link breaks no TCP connection, so the dialling side pings
// every keepaliveIntervalMs and fails the connection ('keepalive-timeout') when its oldest
// unanswered PING is keepaliveTimeoutMs old; the accepting side fails it when nothing at all
// arrived for interval + timeout.
//
// With a cluster secret, each side proves it over the other's fresh nonce before anything else:
//   dialler → HELLO(id, nonce D)
//   acceptor → HELLO(id, nonce A, HMAC(secret, "acceptor", D, A, ids))
//   dialler → AUTH(HMAC(secret, "dialler", D, A, ids)), then its protocol frames (held until now)
// so a node without the secret can neither join nor pass for one that has it. No frame is
// protected after that: an on-path attacker is out of scope (run the overlay over TLS or a VPN).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder, FrameError, type PeerRef, type WireMessage } from './codec.ts';

/** What a connection hands to the node: everything but the handshake and the keepalive. */
export type ProtocolFrame = Exclude<WireMessage, { t: 'hello' | 'auth' | 'ping' | 'pong' }>;

const NONCE_BYTES = 16;

/** The proof `role` gives: an HMAC binding the secret to both nonces and both ids. */
function proof(secret: string, role: 'acceptor' | 'dialler', dialler: { id: string; nonce: Uint8Array }, acceptor: { id: string; nonce: Uint8Array }): Buffer {
  return createHmac('sha256', secret)
    .update(`hyparview-harness/1 ${role} ${dialler.id} ${acceptor.id} `)
    .update(dialler.nonce)
    .update(acceptor.nonce)
    .digest();
}

function sameProof(got: Uint8Array | undefined, want: Buffer): boolean {
  return got !== undefined && got.length === want.length && timingSafeEqual(got, want);
}

export interface ConnectionLimits {
  readonly maxFrameBytes: number;
  readonly helloTimeoutMs: number;
  readonly frameTimeoutMs: number;
  readonly maxWriteBufferBytes: number;
  /** 0: no keepalive. */
  readonly keepaliveIntervalMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly clusterSecret?: string | undefined;
}

export interface CloseInfo {
  /** Short machine-readable cause: a FrameError reason, 'hello-timeout', 'eof', 'error', ... */
  readonly code: string;
  readonly message: string;
  /** False when we closed it on purpose (finish or close); true for anything else. */
  readonly failure: boolean;
}

export interface ConnectionEvents {
  /** The peer's HELLO arrived; return a reason to refuse the connection, or null to accept it. */
  hello(c: Connection, peer: PeerRef): string | null;
  message(c: Connection, m: ProtocolFrame): void;
  closed(c: Connection, info: CloseInfo): void;
}

export class Connection {
  /** Who is at the other end, once their HELLO was accepted. */
  peer: PeerRef | null = null;
  private readonly decoder: FrameDecoder;
  private helloTimer: NodeJS.Timeout | undefined;
  private frameTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** The PONG deadline (outbound) or the silence deadline (inbound). */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** When each unanswered PING was sent (or its wait restarted), oldest first; the newest is number `pings` (mod 2^32). */
  private readonly unanswered: number[] = [];
  private pings = 0;
  /** When the last frame arrived (performance.now()). */
  lastHeard = performance.now();
  private readonly nonce = randomBytes(NONCE_BYTES);
  /** Acceptor with a secret: the dialler's HELLO, until its AUTH proves it. */
  private claimed: { peer: PeerRef; nonce: Uint8Array } | undefined;
  /** Dialler with a secret: frames sent before the handshake finished, and their size. */
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private cause: Omit<CloseInfo, 'failure'> | undefined;
  private ended = false;
  private done = false;

  constructor(
    readonly socket: Socket,
    readonly dir: 'in' | 'out',
    private readonly ownHello: PeerRef,
    private readonly limits: ConnectionLimits,
    private readonly events: ConnectionEvents,
  ) {
    this.decoder = new FrameDecoder(limits.maxFrameBytes);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.helloTimer = setTimeout(() => this.fail('hello-timeout', `no HELLO within ${limits.helloTimeoutMs} ms`), limits.helloTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.cause ??= { code: 'error', message: e.code ?? e.message };
    });
    socket.on('close', () => this.onClose());
    if (dir === 'out') {
      if (limits.clusterSecret !== undefined) this.held = [];
      socket.write(encodeFrame({ t: 'hello', peer: ownHello, nonce: this.nonce }));
    }
  }

  get open(): boolean {
    return !this.ended && !this.done;
  }

  /** Bytes written but not yet handed to the kernel (still connecting, or a slow reader). */
  get unflushed(): number {
    return this.socket.writableLength;
  }

  send(frame: Buffer): void {
    if (!this.open) return;
    if (this.held) {
      this.held.push(frame);
      this.heldBytes += frame.length;
      if (this.heldBytes > this.limits.maxWriteBufferBytes) this.fail('write-buffer', `more than ${this.limits.maxWriteBufferBytes} bytes held for a handshake that has not finished`);
      return;
    }
    // Frames sent in one tick leave in one write (a flood relays many at once).
    if (this.socket.writableCorked === 0) {
      this.socket.cork();
      process.nextTick(() => this.socket.uncork());
    }
    this.socket.write(frame);
    if (this.socket.writableLength > this.limits.maxWriteBufferBytes) {
      this.fail('write-buffer', `more than ${this.limits.maxWriteBufferBytes} bytes unsent; the peer is not reading`);
    }
  }

  /** Keep the connection `ms` more for reuse, then close it gracefully; `keep()` cancels. */
  linger(ms: number): void {
    if (this.lingerTimer || !this.open) return;
    this.lingerTimer = setTimeout(() => this.finish(), ms);
  }

  keep(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  get lingering(): boolean {
    return this.lingerTimer !== undefined;
  }

  /** Close on purpose, after flushing what was sent; a peer that never reads is cut later. */
  finish(): void {
    if (!this.open) return;
    this.ended = true;
    this.cause = { code: 'finished', message: 'closed by us' };
    this.socket.end();
    setTimeout(() => this.socket.destroy(), this.limits.helloTimeoutMs).unref();
  }

  /** Close on purpose, now. */
  close(code: string, message: string): void {
    if (this.done) return;
    this.ended = true;
    this.cause = { code, message };
    this.socket.destroy();
  }

  /** Close because of something the other side did (or failed to do). */
  fail(code: string, message: string): void {
    if (this.done || this.ended || this.socket.destroyed) return;
    this.cause = { code, message };
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (!this.open || this.socket.destroyed) return;
    let frames: WireMessage[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      if (e instanceof FrameError) return this.fail(e.reason, e.message);
      throw e;
    }
    for (const m of frames) {
      if (!this.open || this.socket.destroyed) return;
      try {
        this.onFrame(m);
      } catch (e) {
        // A bug one peer's input reaches costs that peer its connection, not every peer the process.
        return this.fail('internal-error', `handling ${m.t}: ${(e as Error).stack ?? String(e)}`);
      }
    }
    clearTimeout(this.frameTimer);
    if (this.decoder.buffered > 0 && this.peer) {
      this.frameTimer = setTimeout(() => this.fail('frame-timeout', `frame incomplete after ${this.limits.frameTimeoutMs} ms`), this.limits.frameTimeoutMs);
    }
  }

  private onFrame(m: WireMessage): void {
    this.lastHeard = performance.now();
    if (!this.peer) return this.handshake(m);
    if (this.dir === 'in' && this.limits.keepaliveIntervalMs > 0) this.armSilenceDeadline();
    if (m.t === 'hello' || m.t === 'auth') return this.fail('protocol', `${m.t} after the handshake`);
    if (this.dir === 'out') return m.t === 'pong' ? this.onPong(m.seq) : this.fail('protocol', `unexpected ${m.t} on a connection we dialled`);
    if (m.t === 'pong') return this.fail('protocol', 'unexpected pong on a connection we accepted');
    if (m.t === 'ping') return this.send(encodeFrame({ t: 'pong', seq: m.seq }));
    this.events.message(this, m);
  }

  // ---- handshake -----------------------------------------------------------------------------

  private handshake(m: WireMessage): void {
    const secret = this.limits.clusterSecret;
    if (this.claimed) {
      // Acceptor with a secret: the dialler must prove it before anything else.
      if (m.t !== 'auth') return this.fail('auth', `${this.claimed.peer.id} sent ${m.t} before proving the cluster secret`);
      const me = { id: this.ownHello.id, nonce: this.nonce };
      if (!sameProof(m.proof, proof(secret!, 'dialler', { id: this.claimed.peer.id, nonce: this.claimed.nonce }, me))) {
        return this.fail('auth', `${this.claimed.peer.id} does not know the cluster secret`);
      }
      return this.established(this.claimed.peer);
    }
    if (m.t !== 'hello') return this.fail('protocol', `expected HELLO, got ${m.t}`);
    if (this.dir === 'in') {
      if (secret === undefined) {
        this.socket.write(encodeFrame({ t: 'hello', peer: this.ownHello }));
        return this.established(m.peer);
      }
      if (!m.nonce || m.nonce.length !== NONCE_BYTES) return this.fail('auth', `${m.peer.id} sent no nonce: it has no cluster secret`);
      this.claimed = { peer: m.peer, nonce: m.nonce };
      const mine = proof(secret, 'acceptor', { id: m.peer.id, nonce: m.nonce }, { id: this.ownHello.id, nonce: this.nonce });
      this.socket.write(encodeFrame({ t: 'hello', peer: this.ownHello, nonce: this.nonce, proof: mine }));
      return;
    }
    if (secret !== undefined) {
      const ids = { dialler: { id: this.ownHello.id, nonce: this.nonce }, acceptor: { id: m.peer.id, nonce: m.nonce ?? new Uint8Array(0) } };
      if (!sameProof(m.proof, proof(secret, 'acceptor', ids.dialler, ids.acceptor))) return this.fail('auth', `${m.peer.id} does not know the cluster secret`);
      this.socket.write(encodeFrame({ t: 'auth', proof: proof(secret, 'dialler', ids.dialler, ids.acceptor) }));
    }
    this.established(m.peer);
  }

  /** The handshake is done: the node decides whether to keep the connection, then the keepalive starts. */
  private established(peer: PeerRef): void {
    this.claimed = undefined;
    const refusal = this.events.hello(this, peer);
    if (refusal !== null) return this.fail('refused', refusal);
    clearTimeout(this.helloTimer);
    this.peer = peer;
    const held = this.held;
    this.held = undefined;
    for (const frame of held ?? []) this.send(frame);
    if (this.limits.keepaliveIntervalMs > 0) {
      if (this.dir === 'out') this.schedulePing();
      else this.armSilenceDeadline();
    }
  }

  // ---- keepalive ------------------------------------------------------------------------------

  /** setTimeout that tells its callback whether it fired more than one keepalive interval late. */
  private after(ms: number, fire: (late: boolean) => void): NodeJS.Timeout {
    const due = performance.now() + ms;
    return setTimeout(() => fire(performance.now() - due > this.limits.keepaliveIntervalMs), ms);
  }

  private schedulePing(): void {
    this.pingTimer = this.after(this.limits.keepaliveIntervalMs, (late) => {
      if (!this.open) return;
      if (late) this.restartDeadlines();
      this.pings = (this.pings + 1) >>> 0;
      this.unanswered.push(performance.now());
      this.send(encodeFrame({ t: 'ping', seq: this.pings }));
      if (this.unanswered.length === 1) this.armPongDeadline();
      this.schedulePing();
    });
  }

  private armPongDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const oldest = this.unanswered[0];
    if (oldest === undefined) return;
    this.deadlineTimer = this.after(Math.max(0, oldest + this.limits.keepaliveTimeoutMs - performance.now()), (late) => {
      if (late) this.restartDeadlines();
      else this.fail('keepalive-timeout', `no PONG within ${this.limits.keepaliveTimeoutMs} ms`);
    });
  }

  /**
   * The accepting side's half: the dialler pings every interval, so an inbound connection silent
   * for interval + timeout is dead (a paused peer, or a cut its own close never crossed).
   */
  private armSilenceDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const ms = this.limits.keepaliveIntervalMs + this.limits.keepaliveTimeoutMs;
    this.deadlineTimer = this.after(ms, (late) => {
      if (late) this.armSilenceDeadline();
      else this.fail('keepalive-timeout', `nothing received, not even a PING, for ${ms} ms`);
    });
  }

  // A late timer means we were frozen (SIGSTOP, docker pause, GC), not the peer: its PONGs may sit unread in the socket.
  private restartDeadlines(): void {
    this.unanswered.fill(performance.now());
    this.armPongDeadline();
  }

  private onPong(seq: number): void {
    // PONGs come back in PING order, so this one must answer the oldest unanswered PING.
    const expected = (this.pings - this.unanswered.length + 1) >>> 0;
    if (this.unanswered.length === 0 || seq !== expected) return this.fail('protocol', `PONG ${seq} does not answer PING ${expected}`);
    this.unanswered.shift();
    this.armPongDeadline();
  }

  private onEnd(): void {
    try {
      this.decoder.end();
      this.fail('eof', 'closed by the peer');
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      this.fail(e.reason, e.message);
    }
  }

  private onClose(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.helloTimer);
    clearTimeout(this.frameTimer);
    clearTimeout(this.lingerTimer);
    clearTimeout(this.pingTimer);
    clearTimeout(this.deadlineTimer);
    const cause = this.cause ?? { code: 'eof', message: 'closed by the peer' };
    this.events.closed(this, { ...cause, failure: !this.ended });
  }
}
