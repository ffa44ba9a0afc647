// Hostile input against a running node (n1 of a real 3-node cluster): after each attack the
// node still answers, keeps its good neighbours, and their broadcasts still reach everyone;
// its memory stays bounded throughout.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { LOCAL_CLUSTER_CONFIG, LocalCluster } from '../../clusters/local/cluster.ts';
import { encodeFrame, FrameType, WIRE_VERSION } from '../../harness/node/codec.ts';
import type { NodeView } from '../../harness/node/node.ts';
import { broadcastReachesAll, rawConnect, type RawClient, rssMiB, waitFor } from './helpers.ts';

const SEED = 99;
const HELLO_TIMEOUT_MS = 800;
const FRAME_TIMEOUT_MS = 800;
const MAX_CONNECTIONS = 40;
const MAX_HANDSHAKING = 8;
const MAX_FRAME_BYTES = 4096;

let shared: Promise<{ cluster: LocalCluster; rssBefore: number }> | undefined;
let started: LocalCluster | undefined;

test.after.always(async () => {
  await started?.destroy();
  started?.removeLogs();
});

/** One cluster for the whole file (its tests run serially), started by the first test that needs it. */
function cluster(): Promise<{ cluster: LocalCluster; rssBefore: number }> {
  shared ??= (async () => {
    const c = (started = await LocalCluster.start({
      nodes: 3,
      seed: SEED,
      config: {
      ...LOCAL_CLUSTER_CONFIG,
      logLevel: 'warn',
      helloTimeoutMs: HELLO_TIMEOUT_MS,
      frameTimeoutMs: FRAME_TIMEOUT_MS,
      maxConnections: MAX_CONNECTIONS,
      maxHandshaking: MAX_HANDSHAKING,
      maxFrameBytes: MAX_FRAME_BYTES,
      },
    }));
    await c.joinAll('sequential', () => 0);
    await waitFor('a full mesh of 3', 5000, async () => [...(await c.views()).values()].every((v) => v?.active.length === 2));
    return { cluster: c, rssBefore: rssMiB(c.member('n1').pid) };
  })();
  return shared;
}

const target = (c: LocalCluster): string => c.member('n1').listen;
const state = (c: LocalCluster): Promise<NodeView> => c.api<NodeView>('n1', '/state');

async function stillServing(t: ExecutionContext, c: LocalCluster): Promise<void> {
  const s = await state(c);
  t.deepEqual(s.active, ['n2', 'n3'], `seed ${SEED}: n1 lost a good neighbour`);
  await broadcastReachesAll(c, 'n2');
  await broadcastReachesAll(c, 'n1');
}

const hello = (id: string): Buffer => encodeFrame({ t: 'hello', peer: { id, addr: '127.0.0.1:9' } });

async function closedWithin(t: ExecutionContext, client: RawClient, ms: number, what: string): Promise<number> {
  const timeout = new Promise<number>((r) => setTimeout(() => r(Infinity), ms));
  const took = await Promise.race([client.closed, timeout]);
  client.socket.destroy();
  t.true(took <= ms, `${what}: still open after ${ms} ms`);
  return took;
}

const rejected = async (c: LocalCluster, reason: string): Promise<number> => (await state(c)).counters.framesRejected[reason] ?? 0;

test.serial(`random bytes (fast-check seed ${SEED}) close only their own connections`, async (t) => {
  const { cluster: c } = await cluster();
  const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 2000 }), { seed: SEED, numRuns: 30 });
  for (let i = 0; i < samples.length; i += MAX_HANDSHAKING) {
    const batch = await Promise.all(samples.slice(i, i + MAX_HANDSHAKING).map(async (bytes) => {
      const client = await rawConnect(target(c));
      client.send(Buffer.from(bytes));
      return client;
    }));
    await Promise.all(batch.map((client) => closedWithin(t, client, HELLO_TIMEOUT_MS + 2000, 'random bytes')));
  }
  await stillServing(t, c);
});

test.serial('an oversized length prefix is cut at once, before and after a HELLO', async (t) => {
  const { cluster: c } = await cluster();
  const before = await rejected(c, 'oversized');
  const early = await rawConnect(target(c));
  early.send(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
  t.true((await closedWithin(t, early, 1000, 'oversized before HELLO')) < HELLO_TIMEOUT_MS, 'cut by the size check, not the HELLO timeout');
  const late = await rawConnect(target(c));
  late.send(hello('x-oversized'));
  late.send(Buffer.from([0, 0, 0x10, 0x01])); // 4097 bytes: one more than the maximum
  await closedWithin(t, late, 1000, 'oversized after HELLO');
  t.is(await rejected(c, 'oversized'), before + 2);
  await stillServing(t, c);
});

test.serial('a truncated frame: the stream ends inside it, or stalls inside it', async (t) => {
  const { cluster: c } = await cluster();
  const frame = encodeFrame({ t: 'shuffleReply', ids: [{ id: 'x9', addr: '127.0.0.1:9' }] });
  const ended = await rawConnect(target(c));
  ended.send(hello('x-truncated'));
  ended.send(frame.subarray(0, frame.length - 5));
  ended.socket.end();
  await closedWithin(t, ended, 1000, 'truncated then FIN');
  const stalled = await rawConnect(target(c));
  stalled.send(hello('x-stalled'));
  stalled.send(frame.subarray(0, 7));
  const took = await closedWithin(t, stalled, FRAME_TIMEOUT_MS + 2000, 'truncated then silent');
  t.true(took >= FRAME_TIMEOUT_MS * 0.9, `cut by the frame timeout, after ${took} ms`);
  t.true((await rejected(c, 'truncated')) >= 1);
  t.true((await rejected(c, 'frame-timeout')) >= 1);
  await stillServing(t, c);
});

test.serial('an unknown message type closes that connection, with the reason counted', async (t) => {
  const { cluster: c } = await cluster();
  const client = await rawConnect(target(c));
  client.send(hello('x-unknown'));
  client.send(Buffer.from([0, 0, 0, 2, WIRE_VERSION, 0x7f]));
  await closedWithin(t, client, 1000, 'unknown type');
  t.is(await rejected(c, 'unknown-type'), 1);
  const wrongVersion = await rawConnect(target(c));
  wrongVersion.send(Buffer.from([0, 0, 0, 2, WIRE_VERSION + 1, FrameType.Join]));
  await closedWithin(t, wrongVersion, 1000, 'wrong version');
  t.is(await rejected(c, 'version'), 1);
  await stillServing(t, c);
});

test.serial("a peer claiming a connected node's id, or n1's own, is refused and changes nothing", async (t) => {
  const { cluster: c } = await cluster();
  const before = await rejected(c, 'refused');
  for (const id of ['n2', 'n1']) {
    const impostor = await rawConnect(target(c));
    impostor.send(hello(id));
    impostor.send({ t: 'disconnect' });
    await closedWithin(t, impostor, 1000, `impostor ${id}`);
  }
  t.is(await rejected(c, 'refused'), before + 2);
  await stillServing(t, c);
});

test.serial('slowloris: a silent connection, and one trickling its HELLO, are cut by the HELLO deadline', async (t) => {
  const { cluster: c } = await cluster();
  const silent = await rawConnect(target(c));
  const trickle = await rawConnect(target(c));
  const bytes = hello('x-slow');
  let i = 0;
  const drip = setInterval(() => i < bytes.length && trickle.send(bytes.subarray(i, ++i)), 100);
  t.teardown(() => clearInterval(drip));
  const [a, b] = await Promise.all([closedWithin(t, silent, HELLO_TIMEOUT_MS + 2000, 'silent'), closedWithin(t, trickle, HELLO_TIMEOUT_MS + 2000, 'trickle')]);
  clearInterval(drip);
  t.true(a >= HELLO_TIMEOUT_MS * 0.9 && b >= HELLO_TIMEOUT_MS * 0.9, `closed after ${a} and ${b} ms`);
  t.true((await rejected(c, 'hello-timeout')) >= 2);
  await stillServing(t, c);
});

test.serial(`a connection flood beyond the limits (${MAX_CONNECTIONS} connections, ${MAX_HANDSHAKING} handshaking) is refused; memory stays bounded`, async (t) => {
  const { cluster: c, rssBefore } = await cluster();
  const clients: RawClient[] = [];
  t.teardown(() => {
    for (const cl of clients) cl.socket.destroy();
  });
  // Connections that complete their HELLO, one after another, until past the total limit...
  for (let i = 0; i < MAX_CONNECTIONS + 10; i++) {
    const cl = await rawConnect(target(c));
    cl.send(hello(`flood-${i}`));
    clients.push(cl);
    await new Promise((r) => setTimeout(r, 5));
  }
  // ...then a burst of silent ones.
  const burst = await Promise.allSettled(Array.from({ length: 100 }, () => rawConnect(target(c))));
  for (const r of burst) if (r.status === 'fulfilled') clients.push(r.value);
  const s = await state(c);
  t.true(s.connections.inbound <= MAX_CONNECTIONS, `inbound ${s.connections.inbound}`);
  t.true(s.connections.handshaking <= MAX_HANDSHAKING, `handshaking ${s.connections.handshaking}`);
  t.true((s.counters.connectionsRejected['connection-limit'] ?? 0) > 0, JSON.stringify(s.counters.connectionsRejected));
  await stillServing(t, c);
  for (const cl of clients) cl.socket.destroy();
  await waitFor('the flood connections to be gone', 3000, async () => (await state(c)).connections.inbound <= 4);
  const rss = rssMiB(c.member('n1').pid);
  t.true(rss < rssBefore + 40, `seed ${SEED}: RSS grew from ${rssBefore.toFixed(1)} to ${rss.toFixed(1)} MiB`);
  const handshakeBurst = await Promise.allSettled(Array.from({ length: 40 }, () => rawConnect(target(c))));
  const opened = handshakeBurst.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  t.teardown(() => {
    for (const cl of opened) cl.socket.destroy();
  });
  await waitFor('the handshake limit to refuse some', 3000, async () => ((await state(c)).counters.connectionsRejected['handshake-limit'] ?? 0) > 0);
  await stillServing(t, c);
  t.log(`n1 RSS ${rssBefore.toFixed(1)} → ${rss.toFixed(1)} MiB`);
});
