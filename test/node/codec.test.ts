// The wire codec: exact layout, every rejection reason, and fast-check fuzzing (short here;
// the long run is in `npm run bench:node`).
import test from 'ava';
import fc from 'fast-check';
import { decodeBody, encodeFrame, FrameDecoder, FrameError, FrameType, HEADER_BYTES, WIRE_VERSION } from '../../harness/node/codec.ts';
import { decoderFuzzProperty, roundTripProperty } from '../../harness/node/codec-fuzz.ts';

const SEED = 20_261_126;
const frame = (type: number, body: number[], version = WIRE_VERSION): Buffer => {
  const b = Buffer.alloc(HEADER_BYTES + 2 + body.length);
  b.writeUInt32BE(2 + body.length, 0);
  b[4] = version;
  b[5] = type;
  Buffer.from(body).copy(b, 6);
  return b;
};
const peerBytes = (id: string, addr: string): number[] => [id.length, ...Buffer.from(id), addr.length, ...Buffer.from(addr)];

function rejects(t: import('ava').ExecutionContext, bytes: Buffer, reason: FrameError['reason'], max = 1024): void {
  const err = t.throws(() => new FrameDecoder(max).push(bytes), { instanceOf: FrameError });
  t.is(err?.reason, reason, err?.message);
}

test('layout: u32 length, version, type, body; ids travel with their address', (t) => {
  t.deepEqual(encodeFrame({ t: 'join' }), frame(FrameType.Join, []));
  // HELLO: the sender, then a nonce and a proof (each a u8 length and bytes; empty without a cluster secret).
  t.deepEqual(encodeFrame({ t: 'hello', peer: { id: 'n1', addr: '127.0.0.1:7001' } }), frame(FrameType.Hello, [...peerBytes('n1', '127.0.0.1:7001'), 0, 0]));
  t.deepEqual(encodeFrame({ t: 'hello', peer: { id: 'n1', addr: 'h:1' }, nonce: Buffer.of(7, 8) }), frame(FrameType.Hello, [...peerBytes('n1', 'h:1'), 2, 7, 8, 0]));
  t.deepEqual(encodeFrame({ t: 'auth', proof: Buffer.of(1, 2, 3) }), frame(FrameType.Auth, [3, 1, 2, 3]));
  t.deepEqual(encodeFrame({ t: 'forwardJoin', newNode: { id: 'n9', addr: 'h:1' }, ttl: 6 }), frame(FrameType.ForwardJoin, [...peerBytes('n9', 'h:1'), 6]));
  t.deepEqual(
    encodeFrame({ t: 'shuffle', origin: { id: 'a', addr: 'h:1' }, ttl: 3, ids: [{ id: 'b', addr: 'h:2' }] }),
    frame(FrameType.Shuffle, [...peerBytes('a', 'h:1'), 3, 1, ...peerBytes('b', 'h:2')]),
  );
});

test('PING and PONG: a u32 sequence number, exactly four bytes; distinct type bytes', (t) => {
  t.deepEqual(encodeFrame({ t: 'ping', seq: 7 }), frame(FrameType.Ping, [0, 0, 0, 7]));
  t.deepEqual(encodeFrame({ t: 'pong', seq: 0xfffffffe }), frame(FrameType.Pong, [0xff, 0xff, 0xff, 0xfe]));
  for (const m of [{ t: 'ping', seq: 0 }, { t: 'pong', seq: 0xffffffff }] as const) t.deepEqual(new FrameDecoder().push(encodeFrame(m)), [m]);
  t.is(new Set(Object.values(FrameType)).size, Object.values(FrameType).length);
  for (const type of [FrameType.Ping, FrameType.Pong]) {
    rejects(t, frame(type, []), 'malformed');
    rejects(t, frame(type, [0, 0, 1]), 'malformed');
    rejects(t, frame(type, [0, 0, 0, 1, 0]), 'malformed'); // trailing byte
  }
  t.throws(() => encodeFrame({ t: 'ping', seq: 2 ** 32 }), { instanceOf: RangeError });
});

test('decodes frames however the stream is cut, down to single bytes', (t) => {
  const msgs = [
    { t: 'hello', peer: { id: 'n2', addr: '[::1]:7002' } },
    { t: 'neighbor', high: true },
    { t: 'shuffleReply', ids: [{ id: 'n3', addr: '127.0.0.1:7003' }] },
    { t: 'broadcast', id: 'n2-x-1', payload: Buffer.from('payload') },
  ] as const;
  const bytes = Buffer.concat(msgs.map((m) => encodeFrame(m)));
  const d = new FrameDecoder();
  const got = [];
  for (const byte of bytes) got.push(...d.push(Buffer.of(byte)));
  t.deepEqual(got, [...msgs]);
  t.is(d.buffered, 0);
  t.notThrows(() => d.end());
});

test('an oversized length prefix is rejected from its first 4 bytes, before any body is buffered', (t) => {
  const d = new FrameDecoder(1024);
  const err = t.throws(() => d.push(Buffer.from([0xff, 0xff, 0xff, 0xff])), { instanceOf: FrameError });
  t.is(err?.reason, 'oversized');
  rejects(t, Buffer.from([0, 0, 4, 1]), 'oversized');
});

test('every other bad frame names its reason', (t) => {
  rejects(t, Buffer.from([0, 0, 0, 1, WIRE_VERSION]), 'undersized');
  rejects(t, frame(FrameType.Join, [], 9), 'version');
  rejects(t, frame(0x7f, []), 'unknown-type');
  rejects(t, frame(FrameType.Join, [0]), 'malformed'); // trailing byte
  rejects(t, frame(FrameType.Neighbor, [2]), 'malformed'); // a boolean that is 2
  rejects(t, frame(FrameType.Hello, peerBytes('bad id!', '127.0.0.1:1')), 'malformed');
  rejects(t, frame(FrameType.Hello, peerBytes('n1', 'no-port')), 'malformed');
  rejects(t, frame(FrameType.Hello, peerBytes('n1', '127.0.0.1:0')), 'malformed');
  rejects(t, frame(FrameType.ShuffleReply, [3, ...peerBytes('a', 'h:1')]), 'malformed'); // count says 3, one follows
  rejects(t, frame(FrameType.Broadcast, [0]), 'malformed'); // empty message id
  t.is(t.throws(() => decodeBody(Buffer.from([WIRE_VERSION])), { instanceOf: FrameError })?.reason, 'undersized');
});

test('a stream that ends inside a frame is a truncated frame', (t) => {
  const d = new FrameDecoder();
  const whole = encodeFrame({ t: 'hello', peer: { id: 'n1', addr: '127.0.0.1:7001' } });
  t.deepEqual(d.push(whole.subarray(0, whole.length - 3)), []);
  t.is(t.throws(() => d.end(), { instanceOf: FrameError })?.reason, 'truncated');
  const headerOnly = new FrameDecoder();
  headerOnly.push(whole.subarray(0, 2));
  t.is(t.throws(() => headerOnly.end(), { instanceOf: FrameError })?.reason, 'truncated');
});

test(`fuzz (seed ${SEED}): any message list survives encode, arbitrary chunking and decode`, (t) => {
  t.notThrows(() => fc.assert(roundTripProperty, { seed: SEED, numRuns: 300 }));
});

test(`fuzz (seed ${SEED}): random and mutated bytes give frames or a FrameError, nothing else, in bounded memory`, (t) => {
  t.notThrows(() => fc.assert(decoderFuzzProperty(256), { seed: SEED, numRuns: 2000 }));
});

test('strings must be valid UTF-8: a replacement character would make an id longer than the bytes it came in', (t) => {
  const body = Buffer.concat([Buffer.of(WIRE_VERSION, FrameType.Broadcast, 4), Buffer.of(0x61, 0xff, 0xfe, 0x62), Buffer.from('payload')]);
  t.throws(() => decodeBody(body), { instanceOf: FrameError, message: 'message id is not valid UTF-8' });
  const ok = Buffer.concat([Buffer.of(WIRE_VERSION, FrameType.Broadcast, 4), Buffer.from('né!'), Buffer.from('payload')]);
  t.like(decodeBody(ok), { t: 'broadcast', id: 'né!' });
});
