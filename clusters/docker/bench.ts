// `npm run bench:docker` (after `npm run setup:docker`): the Docker harness's numbers for BENCHMARKS.md.
//   1. time to start a 16-node Docker cluster (containers + Toxiproxy + proxies) and to converge it
//   2. per fault kind, time from the heal to the properties restored (8 nodes, each fault held 4 s)
//   3. the latency a Toxiproxy hop adds with no toxics (TCP ping-pong, direct vs through a proxy)
// Options (environment): BENCH_SEED (default 1), BENCH_RUNS (runs of 1 and rounds of 2, default 3).
import { cpus } from 'node:os';
import { createServer, type Socket, connect } from 'node:net';
import { ChaosCluster, defaultBoundSeconds } from '../chaos/cluster.ts';
import type { FaultKind } from '../chaos/report.ts';
import { awaitRestored } from '../chaos/run.ts';
import { startLocalToxiproxy } from '../local/proxied.ts';
import { nodeId } from '../links.ts';
import { FAULT_KINDS, makeSchedule } from '../nemesis/schedule.ts';

const SEED = Number(process.env.BENCH_SEED ?? 1);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]): string => (xs.length === 0 ? '-' : `median ${median(xs).toFixed(2)}, min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}`);

async function startAndConverge(nodes: number, seed: number): Promise<{ start: number; converge: number }> {
  const t0 = performance.now();
  const c = await ChaosCluster.start({ backend: 'docker', nodes, seed });
  try {
    const start = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await c.joinAll();
    const r = await c.converge(30_000, t1);
    if (!r.converged) throw new Error(`${nodes} nodes did not converge: ${r.violations.map((v) => v.message).join('; ')}`);
    return { start, converge: (performance.now() - t1) / 1000 };
  } finally {
    await c.stop();
  }
}

/** Heal-to-restored seconds for each fault kind, `rounds` times each, on one 8-node cluster. */
async function healTimes(rounds: number): Promise<Map<FaultKind, Array<number | null>>> {
  const c = await ChaosCluster.start({ backend: 'docker', nodes: 8, seed: SEED });
  const times = new Map<FaultKind, Array<number | null>>(FAULT_KINDS.map((k) => [k, []]));
  try {
    await c.joinAll();
    await c.converge(30_000);
    const bound = defaultBoundSeconds(c.config);
    const ids = Array.from({ length: 8 }, (_, i) => nodeId(i));
    for (let round = 0; round < rounds; round++) {
      for (const kind of FAULT_KINDS) {
        const [phase] = makeSchedule({ seed: SEED + round, ids, faults: [kind], durationSeconds: 1, hold: [4, 4], boundSeconds: bound });
        await c.nemesis.apply(phase!);
        await sleep(phase!.holdSeconds * 1000);
        await c.nemesis.undo(phase!);
        const r = await awaitRestored(c, 3 * bound);
        times.get(kind)!.push(r.seconds);
        say(`  ${kind.padEnd(10)} ${phase!.description}: ${r.seconds === null ? `not restored in ${3 * bound} s (${r.failures.join('; ')})` : `${r.seconds.toFixed(2)} s`}`);
        if (r.seconds === null) await c.converge(30_000);
      }
    }
  } finally {
    await c.stop();
  }
  return times;
}

/** Round-trip microseconds of `count` one-byte ping-pongs to `port`. */
async function pingPong(port: number, count: number): Promise<number[]> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s)).once('error', reject);
  });
  socket.setNoDelay(true);
  const rtts: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        socket.once('data', () => resolve());
        socket.write('x');
      });
      rtts.push(Number(process.hrtime.bigint() - t) / 1000);
    }
  } finally {
    socket.destroy();
  }
  return rtts;
}

async function proxyHop(count: number): Promise<{ direct: number; proxied: number }> {
  const echo = createServer((s) => {
    s.setNoDelay(true);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const echoPort = (echo.address() as { port: number }).port;
  const { server, toxiproxy } = await startLocalToxiproxy();
  try {
    const proxy = await toxiproxy.createProxy({ name: 'bench', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    const proxyPort = Number(proxy.listen.split(':').pop());
    await pingPong(echoPort, 500);
    await pingPong(proxyPort, 500);
    const direct = median(await pingPong(echoPort, count));
    const proxied = median(await pingPong(proxyPort, count));
    return { direct, proxied };
  } finally {
    server.kill('SIGKILL');
    await server.catch(() => undefined);
    echo.close();
  }
}

say(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, seed ${SEED}, ${RUNS} runs`);
say('1. 16-node Docker cluster: start (containers, Toxiproxy, 240 proxies) and converge (sequential joins until the quiescent properties hold twice)');
const starts: number[] = [];
const converges: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const r = await startAndConverge(16, SEED + run);
  starts.push(r.start);
  converges.push(r.converge);
  say(`  run ${run + 1}: start ${r.start.toFixed(2)} s, converge ${r.converge.toFixed(2)} s, total ${(r.start + r.converge).toFixed(2)} s`);
}
say(`  start ${fmt(starts)}; converge ${fmt(converges)}; total ${fmt(starts.map((s, i) => s + converges[i]!))} (target <= 20 s)`);
say('2. heal to restored, 8 nodes, each fault held 4 s');
const times = await healTimes(RUNS);
for (const [kind, xs] of times) {
  const ok = xs.filter((x): x is number => x !== null);
  say(`  ${kind.padEnd(10)} ${fmt(ok)}${ok.length < xs.length ? `; not restored ${xs.length - ok.length}/${xs.length}` : ''}`);
}
say('3. one Toxiproxy hop, no toxics: median round trip of 5000 one-byte ping-pongs on 127.0.0.1');
const hop = await proxyHop(5000);
say(`  direct ${hop.direct.toFixed(1)} µs, through the proxy ${hop.proxied.toFixed(1)} µs: +${(hop.proxied - hop.direct).toFixed(1)} µs a round trip, about +${((hop.proxied - hop.direct) / 2).toFixed(1)} µs each way (one hop)`);
