// `npm run bench:node`: the real node's numbers for BENCHMARKS.md.
//   1. convergence of 32 local node processes after sequential joins (several seeds)
//   2. cluster-wide broadcast deliveries per second in a 16-node cluster
//   3. resident memory per node process (idle, and after the broadcast load)
//   4. a long fast-check run of the frame decoder
// Options (environment): BENCH_SEED (default 1), BENCH_RUNS (convergence runs, default 3),
// BENCH_FUZZ_RUNS (default 200000), BENCH_BROADCASTS (per node, default 500).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import fc from 'fast-check';
import { watchUntilConverged } from '../../clusters/local/check.ts';
import { LOCAL_CLUSTER_CONFIG, LocalCluster } from '../../clusters/local/cluster.ts';
import { seededChooser } from '../../models/chooser.ts';
import { decoderFuzzProperty, roundTripProperty } from './codec-fuzz.ts';
import type { NodeView } from './node.ts';

const SEED = Number(process.env.BENCH_SEED ?? 1);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FUZZ_RUNS = Number(process.env.BENCH_FUZZ_RUNS ?? 200_000);
const PER_NODE = Number(process.env.BENCH_BROADCASTS ?? 500);
const config = { ...LOCAL_CLUSTER_CONFIG, logLevel: 'warn' };

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(2)}, min ${s[0]!.toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)}`;
};

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function withCluster<T>(nodes: number, seed: number, body: (c: LocalCluster) => Promise<T>): Promise<T> {
  const c = await LocalCluster.start({ nodes, seed, config });
  try {
    return await body(c);
  } finally {
    await c.destroy();
    c.removeLogs();
  }
}

async function converge(c: LocalCluster, seed: number): Promise<{ joins: number; fromFirst: number; fromLast: number }> {
  const chooser = seededChooser(seed);
  const since = performance.now();
  await c.joinAll('sequential', (i) => chooser.pick(i));
  const joined = performance.now();
  const r = await watchUntilConverged(c, { since, timeoutMs: 60_000, pollMs: 100 });
  if (!r.converged) throw new Error(`seed ${seed}: ${c.members.length} nodes did not converge: ${r.violations.map((v) => v.message).join('; ')}`);
  return { joins: (joined - since) / 1000, fromFirst: r.seconds, fromLast: r.seconds - (joined - since) / 1000 };
}

async function convergence32(): Promise<number[]> {
  say(`\n## 1. Convergence, 32 nodes, sequential joins through a random earlier node (${RUNS} runs)`);
  const idle: number[] = [];
  const rows: Array<{ joins: number; fromFirst: number; fromLast: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    const seed = SEED + run * 1000;
    const r = await withCluster(32, seed, async (c) => {
      const res = await converge(c, seed);
      await new Promise((ok) => setTimeout(ok, 2000));
      for (const m of c.members) idle.push(rssMiB(m.pid));
      return res;
    });
    rows.push(r);
    say(`seed ${seed}: joins issued in ${r.joins.toFixed(2)} s; symmetric and connected ${r.fromFirst.toFixed(2)} s after the first join (${r.fromLast.toFixed(2)} s after the last)`);
  }
  say(`from the first join: ${stats(rows.map((r) => r.fromFirst))} s; from the last join: ${stats(rows.map((r) => r.fromLast))} s`);
  return idle;
}

async function broadcast16(): Promise<number[]> {
  say(`\n## 2. Broadcast, 16 nodes: every node floods ${PER_NODE} messages of 100 bytes at once`);
  return withCluster(16, SEED, async (c) => {
    await converge(c, SEED);
    const total = async (): Promise<{ delivered: number; duplicates: number }> => {
      // A node too busy to answer in time counts as nothing delivered for this poll.
      const views = [...(await c.views()).values()].filter((v): v is NodeView => v !== null);
      return {
        delivered: views.reduce((a, v) => a + v.counters.broadcast.delivered, 0),
        duplicates: views.reduce((a, v) => a + v.counters.broadcast.duplicates, 0),
      };
    };
    const expected = 16 * PER_NODE * 16;
    const payload = 'x'.repeat(100);
    const start = performance.now();
    await Promise.all(c.members.map((m) => c.api(m.id, '/broadcast', { payload, count: PER_NODE }, 30_000)));
    let now = await total();
    while (now.delivered < expected && performance.now() - start < 120_000) {
      await new Promise((ok) => setTimeout(ok, 100));
      now = await total();
    }
    const seconds = (performance.now() - start) / 1000;
    say(`${now.delivered} of ${expected} deliveries (reliability ${((100 * now.delivered) / expected).toFixed(2)} %) in ${seconds.toFixed(2)} s: ${Math.round(now.delivered / seconds)} deliveries/s cluster-wide; ${(now.duplicates / now.delivered).toFixed(2)} duplicate copies per delivery`);
    return c.members.map((m) => rssMiB(m.pid));
  });
}

function fuzz(): void {
  say(`\n## 4. Decoder fuzzing (fast-check, seed ${SEED})`);
  let t = performance.now();
  fc.assert(decoderFuzzProperty(4096), { seed: SEED, numRuns: FUZZ_RUNS });
  say(`random and mutated bytes: ${FUZZ_RUNS} runs in ${((performance.now() - t) / 1000).toFixed(1)} s, no failure`);
  t = performance.now();
  const roundTrips = Math.round(FUZZ_RUNS / 10);
  fc.assert(roundTripProperty, { seed: SEED, numRuns: roundTrips });
  say(`encode/chunk/decode round trips: ${roundTrips} runs in ${((performance.now() - t) / 1000).toFixed(1)} s, no failure`);
}

say(`# Real node benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, seed ${SEED}`);
say(`settings: ${JSON.stringify(config)}`);
const idle = await convergence32();
const loaded = await broadcast16();
say('\n## 3. Resident memory per node process (VmRSS)');
say(`32 nodes, idle after convergence: ${stats(idle)} MiB`);
say(`16 nodes, right after the broadcast load: ${stats(loaded)} MiB`);
fuzz();
