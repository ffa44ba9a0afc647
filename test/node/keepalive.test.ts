// The link keepalive: a peer that completes its HELLO and then goes quiet (paused, or behind
// a blackholed link) is dropped within interval + timeout; healthy links live on PINGs alone;
// our own frozen event loop is not blamed on peers. Short timers, 127.0.0.1 only.
import net from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { watchUntilConverged } from '../../clusters/local/check.ts';
import { LOCAL_CLUSTER_CONFIG, type LocalCluster } from '../../clusters/local/cluster.ts';
import { describeViews } from '../../clusters/local/run.ts';
import { seededChooser } from '../../models/chooser.ts';
import { encodeFrame, FrameDecoder } from '../../harness/node/codec.ts';
import type { NodeConfigInput } from '../../harness/node/config.ts';
import type { NodeView } from '../../harness/node/node.ts';
import { broadcastReachesAll, http, rawConnect, startCluster, startInProcess, waitFor } from './helpers.ts';

const SEED = 5150;
const INTERVAL = 100;
const TIMEOUT = 400;
/** Timer and scheduling slack on a loaded machine: in-process, and through processes and HTTP polls. */
const MARGIN = 250;
const PROCESS_MARGIN = 1000;
// No shuffles during a test: nothing but the keepalive crosses an idle link.
const CONFIG: NodeConfigInput = { keepaliveIntervalMs: INTERVAL, keepaliveTimeoutMs: TIMEOUT, shufflePeriodMs: 3_600_000, logLevel: 'silent' };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface FakePeer {
  readonly addr: string;
  /** performance.now() when it answered the HELLO of the node that dialled it. */
  readonly helloAt: Promise<number>;
  /** performance.now() when that connection closed. */
  readonly closedAt: Promise<number>;
  readonly pings: number[];
}

/** A peer written against the codec: answers the HELLO of the one node that dials it, then hands each PING to `onPing`. */
async function fakePeer(t: ExecutionContext, id: string, onPing: (seq: number, socket: net.Socket) => void): Promise<FakePeer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const addr = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const pings: number[] = [];
  const socket = new Promise<net.Socket>((r) => server.once('connection', r));
  const helloAt = socket.then(
    (s) =>
      new Promise<number>((resolve, reject) => {
        const decoder = new FrameDecoder();
        s.on('error', () => {}); // a reset shows as the close below
        s.on('data', (chunk: Buffer) => {
          for (const m of decoder.push(chunk)) {
            if (m.t === 'hello') {
              s.write(encodeFrame({ t: 'hello', peer: { id, addr } }));
              resolve(performance.now());
            } else if (m.t === 'ping') {
              pings.push(m.seq);
              onPing(m.seq, s);
            }
          }
        });
        s.on('close', () => reject(new Error(`${id}: closed before the HELLO`)));
      }),
  );
  const closedAt = socket.then((s) => new Promise<number>((r) => s.on('close', () => r(performance.now()))));
  t.teardown(async () => (await socket).destroy());
  return { addr, helloAt, closedAt, pings };
}

test.serial('a peer that stops answering PINGs is dropped within interval + timeout; a healthy link lives on PINGs alone', async (t) => {
  const a = await startInProcess(t, 'a', SEED, CONFIG);
  const b = await startInProcess(t, 'b', SEED + 1, CONFIG);
  await a.join(b.advertised);
  await waitFor('a and b to be neighbours', 2000, () => a.view().active.includes('b') && b.view().active.includes('a'), 10);

  const silent = await fakePeer(t, 'silent', () => {});
  await a.join(silent.addr);
  await waitFor('a to take the silent peer as a neighbour', 1000, () => a.view().active.includes('silent'), 5);
  // Its own connection to us, which we close when we drop it, as a broken duplex link would be.
  const back = await rawConnect(a.advertised);
  back.send({ t: 'hello', peer: { id: 'silent', addr: silent.addr } });
  const took = (await silent.closedAt) - (await silent.helloAt);
  t.log(`silent peer dropped ${took.toFixed(0)} ms after its HELLO (interval ${INTERVAL} + timeout ${TIMEOUT})`);
  t.true(took >= INTERVAL + TIMEOUT - 5 && took <= INTERVAL + TIMEOUT + MARGIN, `seed ${SEED}: dropped after ${took.toFixed(0)} ms`);
  t.true(silent.pings.length >= TIMEOUT / INTERVAL, `pinged ${silent.pings.length} times`);
  t.true((await Promise.race([back.closed, sleep(MARGIN).then(() => Infinity)])) < Infinity, 'its inbound connection stays open');
  // The model hears of the drop at our socket's close event, which may come after the peer saw its side close.
  await waitFor('a to drop the silent peer from its active view', MARGIN, () => a.view().active.join() === 'b', 5).catch(() => {});
  t.deepEqual(a.view().active, ['b']);
  t.deepEqual(a.metrics.counts.linkDowns, { established: 1 });
  t.deepEqual(a.metrics.counts.framesRejected, { 'keepalive-timeout': 1 });

  // (a keeps asking the silent peer to be its neighbour again; only b can send to a.)
  const receivedBefore = [structuredClone(a.metrics.counts.received), structuredClone(b.metrics.counts.received)];
  await sleep(30 * INTERVAL);
  t.deepEqual([a.view().active, b.view().active], [['b'], ['a']]);
  t.is(a.metrics.counts.linkDowns.established, 1);
  t.deepEqual(b.metrics.counts.linkDowns, {});
  t.deepEqual(b.metrics.counts.framesRejected, {});
  t.deepEqual([a.metrics.counts.received, b.metrics.counts.received], receivedBefore, 'no protocol message crossed the idle link');
});

test.serial('our own event loop frozen past the timeout (busy loop) is not blamed on a peer whose PONG waits unread', async (t) => {
  const FREEZE_MS = 3 * TIMEOUT;
  const a = await startInProcess(t, 'a', SEED, CONFIG);
  // The peer answers every PING at once; after PONG 5 the whole process, our node included,
  // spins, so that PONG sits in our socket while our deadline passes.
  const peer = await fakePeer(t, 'steady', (seq, socket) => {
    socket.write(encodeFrame({ t: 'pong', seq }));
    if (seq !== 5) return;
    const until = performance.now() + FREEZE_MS;
    while (performance.now() < until);
  });
  await a.join(peer.addr);
  await waitFor('the freeze', 5 * INTERVAL + FREEZE_MS + 2000, () => peer.pings.length > 5, 10);
  await sleep(10 * INTERVAL);
  t.true(peer.pings.length >= 10, `${peer.pings.length} PINGs`);
  t.deepEqual(a.view().active, ['steady']);
  t.deepEqual(a.metrics.counts.linkDowns, {});
  t.deepEqual(a.metrics.counts.framesRejected, {});
  t.is(await Promise.race([peer.closedAt, sleep(0).then(() => 'open')]), 'open');
});

test.serial("a neighbour's own connection to us breaking is a link failure for us too, long before any keepalive deadline", async (t) => {
  const a = await startInProcess(t, 'a', SEED, CONFIG);
  const peer = await fakePeer(t, 'half', (seq, socket) => socket.write(encodeFrame({ t: 'pong', seq })));
  await a.join(peer.addr);
  await waitFor('a to take the peer as a neighbour', 1000, () => a.view().active.includes('half'), 5);
  const back = await rawConnect(a.advertised);
  back.send({ t: 'hello', peer: { id: 'half', addr: peer.addr } });
  await waitFor("a to accept the peer's connection", 1000, () => a.view().connections.inbound === 1, 5);
  await sleep(3 * INTERVAL);
  t.deepEqual(a.view().active, ['half'], 'the PINGs are answered: the link is healthy');
  // The peer's direction breaks (a reset through a proxy, a cut link); ours still answers PINGs.
  const broke = performance.now();
  back.socket.resetAndDestroy();
  await waitFor('a to drop the peer', TIMEOUT, () => !a.view().active.includes('half'), 5);
  const took = performance.now() - broke;
  t.log(`dropped ${took.toFixed(0)} ms after its connection to us was reset (keepalive deadline ${INTERVAL + TIMEOUT} ms)`);
  t.true(took < TIMEOUT, `${took.toFixed(0)} ms`);
  t.true((await peer.closedAt) >= broke, 'our connection to the peer is closed with the link');
});

test.serial('an inbound connection silent for interval + timeout (no PING) is closed; one that pings lives on', async (t) => {
  const a = await startInProcess(t, 'a', SEED, CONFIG);
  const quiet = await rawConnect(a.advertised);
  quiet.send({ t: 'hello', peer: { id: 'quiet', addr: '127.0.0.1:1' } });
  const chatty = await rawConnect(a.advertised);
  chatty.send({ t: 'hello', peer: { id: 'chatty', addr: '127.0.0.1:2' } });
  const pinger = setInterval(() => chatty.send({ t: 'ping', seq: 1 }), INTERVAL);
  t.teardown(() => clearInterval(pinger));
  const closedAfter = await Promise.race([quiet.closed, sleep(INTERVAL + TIMEOUT + 2 * MARGIN).then(() => -1)]);
  t.log(`silent inbound closed ${closedAfter.toFixed(0)} ms after it opened (interval ${INTERVAL} + timeout ${TIMEOUT})`);
  t.true(closedAfter >= INTERVAL + TIMEOUT && closedAfter <= INTERVAL + TIMEOUT + 2 * MARGIN, `${closedAfter} ms`);
  t.is(await Promise.race([chatty.closed.then(() => 'closed'), sleep(0).then(() => 'open')]), 'open');
});

test.serial('a peer process paused with SIGSTOP is dropped within interval + timeout and rejoins after SIGCONT', async (t) => {
  const cluster = await startCluster(t, 4, SEED, { ...LOCAL_CLUSTER_CONFIG, keepaliveIntervalMs: INTERVAL, keepaliveTimeoutMs: TIMEOUT });
  const chooser = seededChooser(SEED);
  await cluster.joinAll('sequential', (i) => chooser.pick(i));
  await converges(t, cluster, 'after the joins', 10_000);
  const sleeper = cluster.members[1 + chooser.pick(cluster.members.length - 1)]!.id;
  const others = cluster.members.map((m) => m.id).filter((id) => id !== sleeper);
  const state = (id: string): Promise<NodeView> => cluster.api<NodeView>(id, '/state');
  const holders = (await Promise.all(others.map(state))).filter((v) => v.active.includes(sleeper)).map((v) => v.id);
  t.true(holders.length > 0, `seed ${SEED}: nobody has ${sleeper} as a neighbour`);

  const pausedAt = performance.now();
  cluster.pause(sleeper);
  await waitFor(`${holders.join(', ')} to drop ${sleeper}`, INTERVAL + TIMEOUT + 3000, async () => (await Promise.all(holders.map(state))).every((v) => !v.active.includes(sleeper)), 20);
  const took = performance.now() - pausedAt;
  t.log(`${sleeper} (paused) dropped by ${holders.join(', ')} after ${took.toFixed(0)} ms`);
  t.true(took <= INTERVAL + TIMEOUT + PROCESS_MARGIN, `seed ${SEED}: dropped after ${took.toFixed(0)} ms`);
  // Each holder notices on its own connection (no PONG), on the sleeper's (silent), or on both.
  for (const v of await Promise.all(holders.map(state))) t.true([1, 2].includes(v.counters.framesRejected['keepalive-timeout'] ?? 0), `${v.id} ${JSON.stringify(v.counters.framesRejected)}`);

  await sleep(Math.max(0, 4 * TIMEOUT - (performance.now() - pausedAt)));
  cluster.resume(sleeper);
  t.like((await http(cluster.member(sleeper).control, '/healthz')).body, { ok: true });
  await converges(t, cluster, `${sleeper} after SIGCONT`, 5000);
  const back = await state(sleeper);
  t.true(back.active.length > 0, `seed ${SEED}: ${sleeper} has no neighbours after SIGCONT`);
  t.false('keepalive-timeout' in back.counters.framesRejected, `${sleeper} blamed its own pause on a peer`);
  await broadcastReachesAll(cluster, sleeper);
  await broadcastReachesAll(cluster, others[0]!);
});

async function converges(t: ExecutionContext, cluster: LocalCluster, what: string, withinMs: number): Promise<void> {
  const since = performance.now();
  const r = await watchUntilConverged(cluster, { since, timeoutMs: withinMs, pollMs: 50 });
  t.true(r.converged, `seed ${SEED}: ${what}: did not converge in ${withinMs} ms\n${r.violations.map((v) => `${v.property}: ${v.message}`).join('\n')}\n${describeViews(r.last, r.judgement)}`);
  t.log(`converged ${what} in ${r.seconds.toFixed(2)} s`);
}
