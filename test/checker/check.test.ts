// The checker verifies the reference node on small clusters, and finds the paper-literal bugs.
import test from 'ava';
import { check, type CheckResult } from '../../harness/checker/check.ts';
import { MUTANT_SCENARIOS } from '../../harness/checker/mutants.ts';
import { decodeToken, replayPath } from '../../harness/checker/trace.ts';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { resolveOptions, scenarioOf } from '../../harness/checker/options.ts';
import { successors } from '../../harness/checker/successors.ts';
import { describeAction, inFlight, initialWorld } from '../../harness/checker/world.ts';
import { reproduceCommand } from '../../harness/cli.ts';

const explain = (r: CheckResult): string => r.violations.map((v) => `${v.property}: ${v.message}\n${v.trace}\nreplay ${v.replay}`).join('\n');

test('reference variant, 3 nodes, one crash, one shuffle each: every reachable state passes', (t) => {
  const r = check({ nodes: 3, crashes: 1, cycles: 1 });
  t.is(r.verdict, 'pass', explain(r));
  t.is(r.stopReason, 'exhausted');
  t.false(r.depthBounded);
  t.true(r.unique > 10_000, `only ${r.unique} states: the scenario no longer exercises much`);
  t.true(r.sometimes.promotion && r.sometimes['shuffle-completed'] && r.sometimes['neighbor-accepted']);
});

test('reference variant, 3 nodes, a crash and a link failure: every reachable state passes', (t) => {
  const r = check({ nodes: 3, crashes: 1, linkFailures: 1, cycles: 0 });
  t.is(r.verdict, 'pass', explain(r));
  t.is(r.stopReason, 'exhausted');
  t.false(r.depthBounded);
});

test('reference variant, 3 nodes, an early NEIGHBOR timeout: every reachable state passes', (t) => {
  const r = check({ nodes: 3, crashes: 0, earlyTimeouts: 1, cycles: 1, expect: ['neighbor-timed-out'] });
  t.is(r.verdict, 'pass', explain(r));
  t.is(r.stopReason, 'exhausted');
});

test('reference variant, 4 nodes joining: every state within depth 22 passes, with evictions and rejections', (t) => {
  const r = check({ ...MUTANT_SCENARIOS.fourNodesJoining, expect: ['eviction', 'neighbor-rejected', 'asymmetry-repaired'] });
  t.is(r.verdict, 'pass', explain(r));
  t.is(r.stopReason, 'exhausted');
  t.is(r.maxDepth, 22);
});

test('reference variant, 4 nodes with a tiny passive view and a shuffle each: every state within depth 11 passes', (t) => {
  const r = check(MUTANT_SCENARIOS.fourNodesTinyPassive);
  t.is(r.verdict, 'pass', explain(r));
  t.is(r.stopReason, 'exhausted');
});

test('reference variant with silent rejections (neighborReject=timeout), 4 nodes joining: every state within depth 22 passes, and a timer ends each rejected request', (t) => {
  const r = check({ ...MUTANT_SCENARIOS.fourNodesSilentReject, expect: ['neighbor-rejected', 'neighbor-timed-out'] });
  t.is(r.verdict, 'pass', explain(r));
  t.is(r.stopReason, 'exhausted');
  t.is(r.maxDepth, 22);
});

test('paper variant: BFS finds the shortest asymmetry (the silent end of a FORWARD_JOIN walk)', (t) => {
  const r = check({ nodes: 3, variant: 'paper' });
  t.is(r.verdict, 'fail');
  const v = r.violations[0]!;
  t.is(v.property, 'active-symmetric');
  t.is(v.steps, 5);
  t.regex(v.trace, /FORWARD_JOIN\(new=2, ttl=3\)/);
  const replayed = replayPath(decodeToken(v.replay).options, decodeToken(v.replay).path);
  t.deepEqual(replayed.failures.map((f) => f.property), ['active-symmetric']);
});

test('dfs and random walks find the same paper-variant bug; seeded runs are reproducible', (t) => {
  const dfs = check({ nodes: 3, variant: 'paper', strategy: 'dfs' });
  t.is(dfs.verdict, 'fail');
  const a = check({ nodes: 3, variant: 'paper', strategy: 'random', seed: 42, walks: 2000 });
  const b = check({ nodes: 3, variant: 'paper', strategy: 'random', seed: 42, walks: 2000 });
  t.is(a.verdict, 'fail');
  t.deepEqual(a.violations.map((v) => v.replay), b.violations.map((v) => v.replay));
});

test('DFS exhausts exactly the state set BFS does (same unique and quiescent counts, same verdict); its traces replay', (t) => {
  for (const scenario of [{ nodes: 3 }, { nodes: 3, crashes: 1, linkFailures: 1, cycles: 0 }, { nodes: 3, earlyTimeouts: 1 }, { nodes: 4, active: 3, crashes: 1, cycles: 0 }, { nodes: 3, choices: 'seeded', seed: 9 }] as const) {
    const bfs = check(scenario);
    const dfs = check({ ...scenario, strategy: 'dfs', depth: 10_000 });
    t.is(bfs.stopReason, 'exhausted');
    t.is(dfs.stopReason, 'exhausted');
    t.is(dfs.unique, bfs.unique, JSON.stringify(scenario));
    t.is(dfs.quiescentStates, bfs.quiescentStates, JSON.stringify(scenario));
    t.is(dfs.verdict, bfs.verdict);
  }
  // A violation DFS finds deep in its path replays to the same property.
  const deep = check({ nodes: 3, variant: 'paper', strategy: 'dfs' }, { keepGoing: true });
  t.true(deep.violations.length > 0);
  for (const v of deep.violations) {
    const { options, path } = decodeToken(v.replay);
    const replayed = replayPath(options, path);
    t.true(replayed.failures.some((f) => f.property === v.property) || v.property === 'no-busy-loop', `${v.property} after ${v.steps} steps`);
  }
});

test('seeded choices: one successor per action, and the same verdict and counts for the same seed', (t) => {
  const a = check({ nodes: 3, choices: 'seeded', seed: 9 });
  const b = check({ nodes: 3, choices: 'seeded', seed: 9 });
  const enumerated = check({ nodes: 3, symmetry: false });
  t.is(a.verdict, 'pass', explain(a));
  t.is(a.unique, b.unique);
  t.true(a.unique < enumerated.unique);
});

test('bounds stop the search and say so', (t) => {
  t.is(check({ nodes: 3, maxStates: 500 }).stopReason, 'max-states');
  const shallow = check({ nodes: 3, depth: 4 });
  t.is(shallow.stopReason, 'exhausted');
  t.true(shallow.depthBounded);
  t.is(shallow.maxDepth, 4);
});

test('keep-going reports the first trace of every violated property', (t) => {
  const r = check({ nodes: 3, variant: 'paper' }, { keepGoing: true });
  const names = r.violations.map((v) => v.property);
  t.true(names.includes('active-symmetric'));
  t.is(new Set(names).size, names.length);
});

test('an unreached sometimes guard fails the run', (t) => {
  const r = check({ nodes: 2, expect: ['eviction'] });
  t.is(r.verdict, 'fail');
  t.is(r.violations[0]!.property, 'sometimes:eviction');
});

test('bad options are rejected with the field named', (t) => {
  t.throws(() => check({ nodes: 12 }), { message: /nodes: must be an integer from 1 to 8/ });
  t.throws(() => check({ prwl: 9 }), { message: /prwl: must not exceed arwl/ });
  t.throws(() => check({ strategy: 'astar' as never }), { message: /strategy/ });
  t.throws(() => check({ expect: ['nonsense'] }), { message: /unknown sometimes guard/ });
});

test('--sequential: joins and shuffle timers start only while nothing is in flight; a smaller space, carried by tokens', (t) => {
  const seed = Number(process.env.HYPARVIEW_TEST_SEED ?? 4_242);
  const o = resolveOptions({ nodes: 4, active: 2, passive: 1, arwl: 1, prwl: 1, shuffleWalk: 1, cycles: 1, sequential: true });
  const s = scenarioOf(o);
  const rng = xoroshiro128plus(seed);
  let starts = 0;
  for (let walk = 0; walk < 200; walk++) {
    let w = initialWorld(s);
    for (let step = 0; step < 80; step++) {
      const next = successors(s, w, o.choices, o.seed);
      if (next.length === 0) break;
      for (const x of next) {
        if (x.action.k !== 'join' && x.action.k !== 'cycle') continue;
        starts++;
        if (inFlight(w) > 0) return t.fail(`seed ${seed}: ${describeAction(w, s, x.action)} offered with ${inFlight(w)} in flight`);
      }
      w = next[uniformInt(rng, 0, next.length - 1)]!.world;
    }
  }
  t.true(starts > 200, `${starts} joins and cycles offered`);
  const plain = check({ nodes: 4, active: 3, crashes: 0, cycles: 1, maxStates: 200_000 });
  const sequential = check({ nodes: 4, active: 3, crashes: 0, cycles: 1, sequential: true });
  t.is(sequential.stopReason, 'exhausted');
  t.true(sequential.unique < plain.unique, `${sequential.unique} sequential, ${plain.unique} not`);
  const failing = check({ nodes: 3, variant: 'paper', sequential: true });
  const v = failing.violations[0]!;
  const token = decodeToken(v.replay!);
  t.true(token.options.sequential);
  t.true(replayPath(token.options, token.path).failures.some((f) => f.property === v.property));
  t.regex(reproduceCommand(resolveOptions({ sequential: true })), / --sequential /);
});
