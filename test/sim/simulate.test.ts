// The simulator: seeded runs of 500-1,000 nodes asserting the paper's qualitative results,
// reproducibility bit for bit, the properties on HyParView's snapshots, and the engine's parts.
// Reproduce a failure with the printed seed (HYPARVIEW_TEST_SEED=<seed>).
import test from 'ava';
import { seededChooser } from '../../models/chooser.ts';
import { averagePathLength, clusteringCoefficient, outGraph, undirected } from '../../harness/sim/graph.ts';
import { paperJobs, runJobs } from '../../harness/sim/paper.ts';
import { EventQueue } from '../../harness/sim/queue.ts';
import { simulate, type SimulateOptions } from '../../harness/sim/simulate.ts';

const SEED = Number(process.env.HYPARVIEW_TEST_SEED ?? 2007);
const small = (o: Partial<SimulateOptions> & Pick<SimulateOptions, 'protocol'>) => ({ nodes: 500, seed: SEED, cycles: 20, ...o });
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('the event queue pops by time, and in insertion order at equal times, within its window and beyond', (t) => {
  const q = new EventQueue<string>();
  const chooser = seededChooser(SEED);
  const pushed: Array<[number, string]> = [];
  for (let i = 0; i < 2000; i++) {
    // Mostly near times, some beyond the calendar's window (8,192 ms), as scheduled broadcasts are.
    const time = chooser.chance(1, 10) ? 8000 + chooser.pick(20_000) : chooser.pick(20);
    pushed.push([time, `e${i}`]);
    q.push(time, `e${i}`);
  }
  // Pops interleaved with pushes at or after the time just popped, as the engine does.
  const popped: string[] = [];
  let now = 0;
  for (let i = 0; q.size > 0; i++) {
    t.is(q.peekTime() >= now, true);
    now = q.peekTime();
    popped.push(q.pop());
    if (i % 7 === 0 && pushed.length < 3000) {
      const time = now + chooser.pick(9000);
      pushed.push([time, `late${i}`]);
      q.push(time, `late${i}`);
    }
  }
  const expected = pushed.map((p, i) => ({ p, i })).sort((a, b) => a.p[0] - b.p[0] || a.i - b.i).map((x) => x.p[1]);
  t.deepEqual(popped, expected, `seed ${SEED}`);
});

test('graph statistics: a triangle with a tail, and a directed ring', (t) => {
  // 0-1-2 triangle, 3 hangs off 2 (edges listed one way; clustering reads them undirected).
  const alive = new Uint8Array(4).fill(1);
  const g = outGraph(4, alive, (id) => [[1], [2], [0, 3], []][id]!);
  // Local coefficients: 0 → 1, 1 → 1, 2 → 1/3 (neighbours 0, 1, 3; only 0-1 linked), 3 → 0.
  t.is(clusteringCoefficient(undirected(g), alive), (1 + 1 + 1 / 3 + 0) / 4);
  const ring = outGraph(5, new Uint8Array(5).fill(1), (id) => [(id + 1) % 5]);
  const paths = averagePathLength(ring, new Uint8Array(5).fill(1), seededChooser(SEED));
  t.is(paths.average, (1 + 2 + 3 + 4) / 4);
  t.is(paths.unreachable, 0);
  // A dead node cuts the ring: edges to it are left out.
  const cut = new Uint8Array(5).fill(1);
  cut[2] = 0;
  const broken = averagePathLength(outGraph(5, cut, (id) => [(id + 1) % 5]), cut, seededChooser(SEED));
  t.true(broken.unreachable > 0);
});

test('the same seed gives the same result, bit for bit; another seed another one', (t) => {
  const o = small({ protocol: 'hyparview', fail: 0.3, cycles: 10 });
  const a = simulate(o);
  const b = simulate(o);
  t.deepEqual(a, b, `seed ${SEED}`);
  t.is(a.command, `npx hyparview-harness simulate --protocol hyparview --nodes 500 --fail 30 --cycles 10 --seed ${SEED}`);
  const c = simulate({ ...o, seed: SEED + 1 });
  t.notDeepEqual(c.afterFailure.messages, a.afterFailure.messages);
});

test('HyParView: reliability at least 99% after 50% failure once a cycle has passed, above Cyclon and Scamp; properties hold', (t) => {
  const runs = (['hyparview', 'cyclon', 'scamp'] as const).map((protocol) => simulate(small({ protocol, nodes: 1000, fail: 0.5 })));
  const [hv, cy, sc] = runs.map((r) => r.afterFailure.messages.slice(r.options.messagesPerCycle).map((m) => m.reliability));
  const line = runs.map((r, i) => `${r.options.protocol} ${(mean([hv, cy, sc][i]!) * 100).toFixed(2)}%`).join(', ');
  t.log(`after the first cycle: ${line}`);
  t.true(Math.min(...hv!) >= 0.99, `seed ${SEED}: ${line}; worst HyParView message ${Math.min(...hv!)}`);
  t.true(mean(hv!) > mean(cy!) && mean(hv!) > mean(sc!), `seed ${SEED}: ${line}`);
  t.deepEqual(runs[0]!.violations, [], `seed ${SEED}`);
});

test('HyParView stabilised: clustering and path length of a random-like graph of its degree; nearly every view full', (t) => {
  const r = simulate(small({ protocol: 'hyparview', nodes: 1000, cycles: 30 }));
  const s = r.stable.overlay;
  const k = s.meanView;
  // A random graph of n nodes and degree k: clustering about k/n, path about ln n / ln k.
  const randomClustering = k / 1000;
  const randomPath = Math.log(1000) / Math.log(k);
  t.log(`clustering ${s.clustering.toFixed(5)} (random ${randomClustering.toFixed(5)}), path ${s.averagePath.toFixed(2)} (random ${randomPath.toFixed(2)}), full ${s.fullViews}`);
  t.true(s.clustering < 4 * randomClustering, `seed ${SEED}: clustering ${s.clustering}`);
  t.true(s.averagePath > 0.8 * randomPath && s.averagePath < 1.3 * randomPath, `seed ${SEED}: path ${s.averagePath}`);
  t.is(s.unreachable, 0);
  t.true(s.fullViews > 0.9, `seed ${SEED}: full views ${s.fullViews}`);
  t.true(r.stable.probes.every((p) => p.reliability === 1), `seed ${SEED}: a probe on the intact overlay missed a node`);
});

test('the properties catch a bug at scale: a passive view one over its bound breaks view-bounds, naming the cycle', (t) => {
  const r = simulate(small({ protocol: 'hyparview', cycles: 5, messages: 0, healCycles: 0, protocols: { hyparview: { mutant: 'passive-capacity-off-by-one' } } }));
  const v = r.violations.find((x) => x.property === 'view-bounds');
  t.truthy(v, `seed ${SEED}: not caught`);
  t.regex(v!.message, /passive peers .* more than 30/);
  t.true(v!.cycle >= 1 && v!.cycle <= 5);
});

test('the properties catch a bug after a failure: an ignored link failure leaves dead neighbours', (t) => {
  const r = simulate(small({ protocol: 'hyparview', cycles: 5, fail: 0.3, protocols: { hyparview: { mutant: 'ignore-link-down' } } }));
  t.true(r.violations.some((v) => v.property === 'no-dead-neighbours'), `seed ${SEED}: ${r.violations.map((v) => v.property).join(', ')}`);
  const fine = simulate(small({ protocol: 'hyparview', cycles: 5, fail: 0.3 }));
  t.deepEqual(fine.violations, []);
});

test('a split among survivors that share no knowledge is beyond repair, not a violation', (t) => {
  const r = simulate(small({ protocol: 'hyparview', nodes: 400, cycles: 10, fail: 0.95 }));
  t.deepEqual(r.violations, [], `seed ${SEED}`);
  for (const v of r.beyondRepair) t.true(v.knowledgeComponents > 1);
});

test('the sweep gives the same results on two worker threads as in one thread', async (t) => {
  const jobs = paperJobs({ nodes: 200, seeds: [SEED], protocols: ['hyparview', 'scamp'], failLevels: [0, 0.5], churnRates: [0.05], cycles: 5, atOnce: true, workers: 2 });
  const strip = (rs: Awaited<ReturnType<typeof runJobs>>) => rs.map(({ seconds: _, ...r }) => r);
  const [one, two] = [strip(await runJobs(jobs, 1)), strip(await runJobs(jobs, 2))];
  t.deepEqual(two, one, `seed ${SEED}`);
  t.is(one.length, 4);
  // A level of the sweep is what `simulate` gives with the level's flags.
  const level = one[0]!.levels[1]!;
  const alone = simulate({ protocol: 'hyparview', nodes: 200, seed: SEED, cycles: 5, fail: 0.5 });
  t.is(level.command, alone.command);
  t.deepEqual(level.messages, alone.afterFailure.messages);
  t.deepEqual(level.perCycle, alone.afterFailure.perCycle);
});

test('under churn, reliability counts the nodes that stay up: never above 100%, and HyParView near it', (t) => {
  const r = simulate(small({ protocol: 'hyparview', cycles: 5, churn: 0.05 }));
  const worst = Math.max(...r.afterFailure.messages.map((m) => m.reliability));
  t.true(worst <= 1, `seed ${SEED}: a message reached ${worst} of the nodes it was owed to`);
  t.true(mean(r.afterFailure.messages.map((m) => m.reliability)) > 0.99, `seed ${SEED}`);
});
