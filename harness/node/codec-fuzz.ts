// Arbitraries and properties for the wire codec, shared by the short CI run (test/node) and
// the long run in the benchmark (bench.ts). Dev tooling: imports fast-check.
import fc from 'fast-check';
import { formatHostPort } from './address.ts';
import { decodeBody, encodeFrame, FrameDecoder, FrameError, HEADER_BYTES, type PeerRef, type WireMessage } from './codec.ts';

export const nodeIdArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
export const addressArb = fc
  .tuple(fc.constantFrom('127.0.0.1', '10.1.2.3', 'node-7.cluster.local', '::1', 'localhost'), fc.integer({ min: 1, max: 65535 }))
  .map(([h, p]) => formatHostPort(h, p));
export const peerArb: fc.Arbitrary<PeerRef> = fc.record({ id: nodeIdArb, addr: addressArb });
const ttlArb = fc.integer({ min: 0, max: 255 });
const peersArb = fc.array(peerArb, { maxLength: 12 });
const blobArb = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b));

export const wireMessageArb: fc.Arbitrary<WireMessage> = fc.oneof(
  fc.record({ t: fc.constant('hello' as const), peer: peerArb, nonce: blobArb, proof: blobArb }, { requiredKeys: ['t', 'peer'] }),
  fc.record({ t: fc.constant('auth' as const), proof: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) }),
  fc.record({ t: fc.constantFrom('ping' as const, 'pong' as const), seq: fc.nat({ max: 0xffff_ffff }) }),
  fc.record({ t: fc.constant('join' as const) }),
  fc.record({ t: fc.constant('forwardJoin' as const), newNode: peerArb, ttl: ttlArb }),
  fc.record({ t: fc.constant('neighbor' as const), high: fc.boolean() }),
  fc.record({ t: fc.constant('neighborReply' as const), accepted: fc.boolean() }),
  fc.record({ t: fc.constant('disconnect' as const) }),
  fc.record({ t: fc.constant('shuffle' as const), origin: peerArb, ids: peersArb, ttl: ttlArb }),
  fc.record({ t: fc.constant('shuffleReply' as const), ids: peersArb }),
  fc.record({ t: fc.constant('broadcast' as const), id: fc.string({ minLength: 1, maxLength: 80 }).filter((s) => Buffer.byteLength(s) <= 255), payload: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)) }),
);

/** Cut points splitting a byte string into the chunks a socket might deliver. */
const cutsArb = fc.array(fc.nat(), { maxLength: 8 });

function chunks(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/**
 * Feeds `bytes` in chunks; asserts the decoder's contract for any input: it returns frames
 * or throws FrameError (nothing else), never holds more than one maximal frame, and every
 * frame it returns is canonical (re-encoding gives bytes that decode to the same message).
 */
export function decodeAnything(bytes: Buffer, cuts: readonly number[], maxFrameBytes: number): WireMessage[] {
  const d = new FrameDecoder(maxFrameBytes);
  const got: WireMessage[] = [];
  try {
    for (const c of chunks(bytes, cuts)) {
      got.push(...d.push(c));
      if (d.buffered > maxFrameBytes + HEADER_BYTES + c.length) throw new Error(`decoder holds ${d.buffered} bytes`);
    }
  } catch (e) {
    if (!(e instanceof FrameError)) throw e;
  }
  for (const m of got) {
    const bytes = encodeFrame(m);
    if (!encodeFrame(decodeBody(bytes.subarray(HEADER_BYTES))).equals(bytes)) throw new Error(`not canonical: ${JSON.stringify(m)}`);
  }
  return got;
}

/** Random bytes, and valid frames with bytes flipped, cut off, or inserted. */
export const hostileBytesArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
  fc
    .tuple(fc.array(wireMessageArb, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat())
    .map(([ms, flips, cut]) => {
      const b = Buffer.concat(ms.map(encodeFrame));
      for (const [at, v] of flips) b[at % b.length] = v;
      return b.subarray(0, b.length - (cut % 3 === 0 ? cut % b.length : 0));
    }),
);

export const decoderFuzzProperty = (maxFrameBytes: number) =>
  fc.property(hostileBytesArb, cutsArb, (bytes, cuts) => {
    decodeAnything(bytes, cuts, maxFrameBytes);
  });

export const roundTripProperty = fc.property(fc.array(wireMessageArb, { maxLength: 5 }), cutsArb, (ms, cuts) => {
  const bytes = Buffer.concat(ms.map(encodeFrame));
  const got = decodeAnything(bytes, cuts, 64 * 1024);
  // The encoding is injective, so equal bytes mean equal messages.
  if (got.length !== ms.length || !Buffer.concat(got.map(encodeFrame)).equals(bytes)) throw new Error(`round trip changed the messages: ${JSON.stringify(got)}`);
});
