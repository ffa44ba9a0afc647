// Liveness (--liveness, harness/checker/liveness.ts): recoverable = AG EF P, restored = AG AF P
// over the graph the BFS explored, P a quiescent property "restored" in a quiescent state where it
// holds. The graph analysis on hand-made graphs, then the findings of docs/protocol-decisions.md:
// F1 is transient (recoverable and restored), F2 is permanent without decision 11 (the point of
// no return is the trace's end) and the remedy restores it; and exhaustive 4-node verifications.
import test from 'ava';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { check } from '../../harness/checker/check.ts';
import { goodBits, LIVENESS_PROPERTIES, StateGraph } from '../../harness/checker/liveness.ts';
import { decodeToken, replayPath } from '../../harness/checker/trace.ts';
import { resolveOptions, scenarioOf } from '../../harness/checker/options.ts';
import { successors } from '../../harness/checker/successors.ts';
import { snapshotOf } from '../../harness/checker/world.ts';
import { components } from '../../properties/invariants.ts';
import { isQuiescent } from '../../properties/snapshot.ts';

const SEED = Number(process.env.HYPARVIEW_TEST_SEED ?? 20_111);
const CONNECTED = 1; // bit of LIVENESS_PROPERTIES[0]
const GOOD = (1 << LIVENESS_PROPERTIES.length) - 1;

/** A graph from rows of successors, expanded in id order; `open` ids are left unexpanded. */
function graph(good: number[], rows: number[][], open: number[] = []): StateGraph {
  const g = new StateGraph();
  for (const bits of good) g.add(bits);
  rows.forEach((row, id) => {
    if (open.includes(id)) return;
    g.expand(id);
    for (const to of row) g.edge(to);
  });
  return g;
}

const connectedFailures = (g: StateGraph, restored = true) => g.analyse(restored).filter((f) => f.property === 'connected');

test('goodBits: P is restored only in a quiescent state where it holds', (t) => {
  t.is(goodBits(false, []), 0);
  t.is(goodBits(true, []), GOOD);
  t.is(goodBits(true, [{ property: 'connected', message: '' }]), GOOD & ~CONNECTED);
  t.is(goodBits(true, [{ property: 'answers-arrive', message: '' }]), GOOD);
});

test('recoverable fails at the point of no return: the first state from which no good state is reachable', (t) => {
  // 0 → 1 → 2 (good); 0 → 3 → 4 (a dead end without P): 3 is the point of no return.
  const g = graph([0, 0, GOOD, 0, 0], [[1, 3], [2], [], [4], []]);
  const [rec, res] = connectedFailures(g);
  t.like(rec, { notion: 'recoverable', state: 3, future: 2 });
  // Every continuation: 0 can go the bad way, so restored already fails at 0, by a dead end.
  t.like(res, { notion: 'restored', state: 0, loops: false });
  t.deepEqual(res!.continuation, [3, 4]);
});

test('a loop that never passes a good state fails restored but not recoverable while an exit exists', (t) => {
  // 0 ⇄ 1, and 1 → 2 (good): a scheduler may go round 0-1 for ever, a fair one leaves.
  const g = graph([0, 0, GOOD], [[1], [0, 2], []]);
  const failures = connectedFailures(g);
  t.is(failures.length, 1);
  t.like(failures[0], { notion: 'restored', state: 0, loops: true });
  t.deepEqual(connectedFailures(g, false), [], 'recoverable alone judges nothing wrong');
});

test('an unexpanded state counts as restoring P: a failure is reported only where the whole future was explored', (t) => {
  const g = graph([0, 0, 0], [[1, 2], [], []], [2]);
  const [rec] = connectedFailures(g);
  t.like(rec, { notion: 'recoverable', state: 1, future: 1 });
  t.is(connectedFailures(graph([0, 0], [[1], []], [1])).length, 0);
});

// Tokens of the traces in docs/protocol-decisions.md §5, in scenarios with one cycle left per node.
const F1 =
  'eyJ2IjoyLCJvIjp7Im5vZGVzIjo0LCJhY3RpdmUiOjIsInBhc3NpdmUiOjMsImFyd2wiOjMsInByd2wiOjEsImthIjoxLCJrcCI6MSwic2h1ZmZsZVdhbGsiOjIsInZhcmlhbnQiOiJyZWZlcmVuY2UiLCJjcmFzaGVzIjoxLCJsaW5rRmFpbHVyZXMiOjEsImVhcmx5VGltZW91dHMiOjAsImN5Y2xlcyI6MSwiY2hvaWNlcyI6ImVudW1lcmF0ZSIsInNlZWQiOjF9LCJwIjoiMC4wLjAuMC4wLjAuMS4xLjAuMC4xLjQuNC4zLjIuMC4xLjEuMS4wLjI1LjAuMS45LjAuMC4wLjAifQ';
const F2_WITHOUT_SWAP =
  'eyJ2IjoyLCJvIjp7Im5vZGVzIjo1LCJhY3RpdmUiOjIsInBhc3NpdmUiOjMsImFyd2wiOjMsInByd2wiOjEsImthIjoxLCJrcCI6MSwic2h1ZmZsZVdhbGsiOjIsInZhcmlhbnQiOiJyZWZlcmVuY2UiLCJkZWNpc2lvbnMiOnsiZnVsbFZpZXdTd2FwIjoibmV2ZXIifSwiY3Jhc2hlcyI6MCwibGlua0ZhaWx1cmVzIjowLCJlYXJseVRpbWVvdXRzIjowLCJjeWNsZXMiOjEsImNob2ljZXMiOiJlbnVtZXJhdGUiLCJzZWVkIjoxfSwicCI6IjEuMS4wLjEuMS4zLjMuMC40LjAuMy4xLjMuMi4xLjIuNC4yLjAuMS4yLjAuMS4wLjIuMC4wLjAifQ';
// F4 (two crashes out of 4 nodes), up to the second crash: survivors 2 and 3 never met.
const F4 =
  'eyJ2IjoyLCJvIjp7Im5vZGVzIjo0LCJhY3RpdmUiOjMsInBhc3NpdmUiOjQsImFyd2wiOjIsInByd2wiOjEsImthIjoxLCJrcCI6MSwic2h1ZmZsZVdhbGsiOjEsInZhcmlhbnQiOiJyZWZlcmVuY2UiLCJjcmFzaGVzIjoyLCJsaW5rRmFpbHVyZXMiOjAsImVhcmx5VGltZW91dHMiOjAsImN5Y2xlcyI6MSwiY2hvaWNlcyI6ImVudW1lcmF0ZSIsInNlZWQiOjF9LCJwIjoiMi4wLjAuMC4wLjAuMS4xLjAuMC4wLjAuMC4wLjAuMC4wLjAuMC4yNy4yMCJ9';

function from(token: string, extra: Parameters<typeof check>[0] = {}) {
  const { options, path } = decodeToken(token);
  return check({ ...options, ...extra, from: path, maxStates: 4_000_000, timeLimit: 120 }, { keepGoing: true });
}

test('F1 is transient: the isolated state is a violation for the quiescent check, but recoverable and restored hold from it', (t) => {
  const plain = from(F1);
  t.true(plain.violations.some((v) => v.property === 'no-isolated-node' && v.steps === 28), 'the plain check flags the 28-step state itself');
  const live = from(F1, { liveness: 'restored' });
  t.is(live.stopReason, 'exhausted');
  t.is(live.verdict, 'pass', live.violations.map((v) => `${v.property}: ${v.message}`).join('\n'));
  t.log(`F1 future: ${live.unique} states, ${(live.graphBytes / 2 ** 20).toFixed(1)} MiB graph, ${live.seconds.toFixed(1)} s`);
});

test('F2 without the island remedy is permanent: its last state is the point of no return, over its whole future', (t) => {
  const r = from(F2_WITHOUT_SWAP, { liveness: 'recoverable' });
  t.is(r.stopReason, 'exhausted');
  const v = r.violations.find((x) => x.property === 'recoverable:connected');
  t.truthy(v, `expected recoverable:connected, got ${r.violations.map((x) => x.property).join(', ')}`);
  t.is(v!.steps, 28);
  t.regex(v!.message, new RegExp(`from the state after step 28, .*its whole future, ${r.unique} states`));
  t.log(`F2 future: ${r.unique} states, ${(r.graphBytes / 2 ** 20).toFixed(1)} MiB graph, ${r.seconds.toFixed(1)} s`);
});

test('F2 with the island remedy (decision 11, the reference): from the same state a continuation reconnects', (t) => {
  const { options, path } = decodeToken(F2_WITHOUT_SWAP);
  const o = resolveOptions({ ...options, decisions: {} });
  const s = scenarioOf(o);
  // Seeded random walks from the F2 state until one reaches a quiescent state whose live nodes form one component.
  const rng = xoroshiro128plus(SEED);
  const start = replayPath(o, path).final;
  let found: number[] | undefined;
  let walks = 0;
  for (; walks < 2000 && !found; walks++) {
    let w = start;
    const steps: number[] = [];
    for (let next = successors(s, w, o.choices, o.seed); next.length > 0 && steps.length < 80; next = successors(s, w, o.choices, o.seed)) {
      const i = uniformInt(rng, 0, next.length - 1);
      steps.push(i);
      w = next[i]!.world;
      const snap = snapshotOf(s, w);
      if (isQuiescent(snap) && components(snap).length === 1) {
        found = steps;
        break;
      }
    }
  }
  t.truthy(found, `seed ${SEED}: no walk of 2000 reached a quiescent connected state`);
  const trace = replayPath(o, [...path, ...found!]);
  t.deepEqual(trace.failures, [], 'the reconnected state breaks no property');
  t.log(`walk ${walks}: connected and quiescent ${found!.length} steps after the F2 state`);
});

test('F4 is permanent whatever the decisions: survivors that share no knowledge, no continuation reconnects them', (t) => {
  const { options, path } = decodeToken(F4);
  const last = replayPath(options, path).final;
  const views = snapshotOf(scenarioOf(options), last).nodes.filter((n) => n.alive);
  t.deepEqual(views.map((n) => n.id), [2, 3]);
  for (const n of views) t.deepEqual([...n.active, ...n.passive].filter((p) => p === 2 || p === 3), [], `node ${n.id} knows no survivor`);
  // The island remedy (decision 11) and keeping failed candidates (decision 10) cannot help: there is no one to ask.
  for (const decisions of [{}, { fullViewSwap: 'never', failedCandidate: 'drop' }] as const) {
    const r = from(F4, { decisions, liveness: 'recoverable' });
    t.is(r.stopReason, 'exhausted');
    for (const property of ['recoverable:connected', 'recoverable:no-isolated-node']) {
      const v = r.violations.find((x) => x.property === property);
      t.truthy(v, `${JSON.stringify(decisions)}: expected ${property}`);
      t.is(v!.steps, 21, 'the second crash is the point of no return');
    }
  }
});

test('exhaustive 4-node verification: recoverability holds for the reference (active 3; no crash, one crash)', (t) => {
  for (const crashes of [0, 1]) {
    const r = check({ nodes: 4, active: 3, crashes, cycles: 0, liveness: 'recoverable' }, { keepGoing: true });
    t.is(r.stopReason, 'exhausted');
    t.false(r.depthBounded);
    t.is(r.verdict, 'pass', `crashes ${crashes}: ${r.violations.map((v) => `${v.property}: ${v.message}`).join('\n')}`);
  }
});

// The smallest scenario where the island remedy acts: 4 nodes, active 2, so a full node has a
// passive peer to swap in. Joins and cycles start only in quiescence (--sequential) to fit.
const FOUR_WITH_SWAPS = { nodes: 4, active: 2, passive: 1, arwl: 1, prwl: 1, shuffleWalk: 1, cycles: 1, sequential: true, depth: 400, maxStates: 20_000_000, timeLimit: 240 } as const;

test('exhaustive 4-node verification with the island remedy acting: recoverable and restored hold (no crash)', (t) => {
  const r = check({ ...FOUR_WITH_SWAPS, crashes: 0, liveness: 'restored' }, { keepGoing: true });
  t.is(r.stopReason, 'exhausted');
  t.false(r.depthBounded);
  t.is(r.verdict, 'pass', r.violations.map((v) => `${v.property}: ${v.message}`).join('\n'));
  // The remedy's swaps are most of the space: without them it is tiny.
  const without = check({ ...FOUR_WITH_SWAPS, crashes: 0, decisions: { fullViewSwap: 'never' } });
  t.true(r.unique > 50 * without.unique, `${r.unique} states with the swap, ${without.unique} without`);
  t.log(`${r.unique} states (${without.unique} without the swap), ${r.seconds.toFixed(1)} s, graph ${(r.graphBytes / 2 ** 20).toFixed(1)} MiB`);
});

test('the paper variant on 3 nodes leaves a survivor that knows only the dead contact: no continuation recovers it', (t) => {
  const paper = check({ nodes: 3, variant: 'paper', liveness: 'recoverable' }, { keepGoing: true });
  t.true(paper.violations.some((v) => v.property === 'recoverable:no-isolated-node'));
  const reference = check({ nodes: 3, liveness: 'restored' }, { keepGoing: true });
  t.is(reference.verdict, 'pass');
});

test('random walks under --liveness: two islands on 5 nodes are permanent without decision 11, and every split the walks meet with it recovers', (t) => {
  const scenario = { nodes: 5, crashes: 0, cycles: 2, strategy: 'random', depth: 150, seed: 1, liveness: 'recoverable' } as const;
  const without = check({ ...scenario, walks: 200, decisions: { fullViewSwap: 'never' } });
  const v = without.violations.find((x) => x.property === 'recoverable:connected');
  t.truthy(v, without.violations.map((x) => x.property).join(', '));
  t.regex(v!.message, /form 2 components.*none of 100 random continuations of up to 150 steps, each node given 2 fresh cycles/);
  // The trace ends in that quiescent split, and the plain check flags the same state.
  t.true(replayPath(decodeToken(v!.replay).options, decodeToken(v!.replay).path).failures.some((f) => f.property === 'connected'));
  const remedy = check({ ...scenario, walks: 400 });
  t.is(remedy.verdict, 'pass', remedy.violations.map((x) => `${x.property}: ${x.message}`).join('\n'));
  t.true(remedy.recovered > 0, 'some walk met a broken quiescent state, and a continuation mended it');
  t.log(`without the remedy: broken for good after ${v!.steps} steps; with it: ${remedy.recovered} broken states recovered in ${remedy.seconds.toFixed(1)} s`);
});

test('--liveness restored needs BFS, DFS takes no --liveness, and a --from path must fit the scenario', (t) => {
  t.throws(() => resolveOptions({ liveness: 'recoverable', strategy: 'dfs' }), { message: /needs --strategy bfs .* or random/ });
  t.throws(() => resolveOptions({ liveness: 'restored', strategy: 'random' }), { message: /restored needs --strategy bfs/ });
  t.throws(() => check({ from: [99] }), { message: /step 1 picks successor 99/ });
});
