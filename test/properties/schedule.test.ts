// The guided runs and scenario arbitraries the property tests rest on: a raw schedule takes
// successor schedule[k] % count, plans respect their join order and fault budgets, and the
// generated scenarios really exercise crashes, link failures and early timeouts (a property test
// over scenarios that never fault would pass vacuously).
import test from 'ava';
import fc from 'fast-check';
import { checkerOptionsArb, plannedScenarioArb, type ScenarioShape } from '../../harness/checker/arbitraries.ts';
import { decodeWorld } from '../../harness/checker/encode.ts';
import { resolveOptions, scenarioOf } from '../../harness/checker/options.ts';
import { faultBudgets, joinOrder, type Plan, runPlan, runSchedule, type ScheduleRun } from '../../harness/checker/schedule.ts';
import { successors } from '../../harness/checker/successors.ts';
import { type Action, initialWorld } from '../../harness/checker/world.ts';
import { DEFAULT_SEED, FAULTY_REFERENCE, HEALING_REFERENCE } from './helpers.ts';

const small = resolveOptions({ nodes: 3, crashes: 0, cycles: 1 });
const noPlan: Plan = { joinKeys: [], joinAt: [], faults: [], deliveries: [] };
const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number): T[] => fc.sample(arb, { seed: DEFAULT_SEED, numRuns });

test('runSchedule takes successor schedule[k] % (number of successors) at step k', (t) => {
  const schedule = [7, 2, 9, 4, 11];
  const run = runSchedule(small, schedule);
  const s = scenarioOf(small);
  let w = initialWorld(s);
  for (let k = 0; k < run.path.length; k++) {
    const next = successors(s, w, small.choices, small.seed);
    t.is(run.path[k], schedule[k]! % next.length, `step ${k}`);
    w = next[run.path[k]!]!.world;
  }
  t.is(run.path.length, schedule.length);
  t.is(run.ended, 'done');
});

test('runSchedule stops where the schedule ends, and with settle delivers until quiescent', (t) => {
  const bare = runSchedule(small, []);
  t.deepEqual(bare.path, []);
  t.false(bare.quiescent, 'nodes 1 and 2 have not joined');
  const settled = runSchedule(small, [], { settle: true });
  t.true(settled.quiescent);
  t.is(settled.ended, 'done');
  t.deepEqual(settled.failures, []);
  t.true(settled.actions.every((a) => a.k === 'deliver' || a.k === 'join' || a.k === 'timeout'), 'settling fires no timer and no fault');
});

test('a run with no enabled successor ends stuck; a run past maxSteps ends max-steps', (t) => {
  const alone = resolveOptions({ nodes: 1, crashes: 0, cycles: 0 });
  t.is(runSchedule(alone, [0, 0]).ended, 'stuck');
  const long = runSchedule(small, [], { settle: true, maxSteps: 3 });
  t.is(long.ended, 'max-steps');
  t.is(long.path.length, 3);
});

test('a run stops at the first state that breaks a watched property, and only a watched one', (t) => {
  const paper = resolveOptions({ nodes: 3, crashes: 0, cycles: 0, variant: 'paper' });
  const watched = runSchedule(paper, [], { settle: true, properties: ['active-symmetric'] });
  t.is(watched.ended, 'failure');
  t.deepEqual(
    watched.failures.map((f) => f.property),
    ['active-symmetric'],
  );
  const unwatched = runSchedule(paper, [], { settle: true, properties: ['connected'] });
  t.not(unwatched.ended, 'failure');
});

test('runPlan issues the joins in the plan\'s join order', (t) => {
  const options = resolveOptions({ nodes: 5, crashes: 0, cycles: 0 });
  const plan: Plan = { ...noPlan, joinKeys: [3, 1, 2, 0] };
  t.deepEqual(joinOrder(plan, 5), [4, 2, 3, 1]);
  const run = runPlan(options, plan);
  const joins = run.actions.flatMap((a) => (a.k === 'join' ? [a.node] : []));
  t.deepEqual(joins, [4, 2, 3, 1]);
  t.true(run.quiescent);
});

test('runPlan fires a planned crash of the chosen node once the cluster has formed', (t) => {
  const plan: Plan = { ...noPlan, faults: [{ at: 0, kind: 'crash', target: 2 }] };
  const options = resolveOptions({ nodes: 3, cycles: 0, ...faultBudgets(plan) });
  const run = runPlan(options, plan);
  const crashes = run.actions.filter((a): a is Extract<Action, { k: 'crash' }> => a.k === 'crash');
  // Crash candidates are the live nodes in order, so target 2 is node 2.
  t.deepEqual(
    crashes.map((a) => a.node),
    [2],
  );
  t.true(run.quiescent);
});

test('plannedScenarioArb sets the fault budgets to exactly the faults the plan schedules', (t) => {
  for (const { options, plan } of sample(plannedScenarioArb(FAULTY_REFERENCE), 100)) {
    const budgets = faultBudgets(plan);
    t.like(options, budgets);
    t.true(budgets.crashes <= 2 && budgets.linkFailures <= 2 && budgets.earlyTimeouts <= 2);
  }
});

test('checkerOptionsArb stays inside its shape (and PRWL <= ARWL; fullMesh sizes the active view nodes-1)', (t) => {
  const shape: ScenarioShape = { variant: 'paper', nodes: { min: 3, max: 4 }, passive: { min: 2, max: 3 }, cycles: { min: 1, max: 1 } };
  for (const o of sample(checkerOptionsArb(shape), 100)) {
    t.true(o.nodes >= 3 && o.nodes <= 4 && o.passive >= 2 && o.passive <= 3 && o.cycles === 1, JSON.stringify(o));
    t.true(o.prwl <= o.arwl);
    t.is(o.variant, 'paper');
    t.is(o.choices, 'enumerate');
  }
  for (const o of sample(checkerOptionsArb({ ...shape, fullMesh: true }), 50)) t.is(o.active, o.nodes - 1);
});

/** Runs `numRuns` generated scenarios of `shape` (no property stops them). */
function runMany(shape: ScenarioShape, numRuns: number) {
  return sample(plannedScenarioArb(shape), numRuns).map(({ options, plan }) => ({ options, run: runPlan(options, plan, { properties: [], maxSteps: 300 }) }));
}

const took = (run: ScheduleRun, kind: Action['k']): boolean => run.actions.some((a) => a.k === kind);

test('generated faulty scenarios do crash nodes, fail links and time out early', (t) => {
  const runs = runMany(FAULTY_REFERENCE, 100);
  const crashes = runs.filter(({ run }) => took(run, 'crash')).length;
  const links = runs.filter(({ run }) => took(run, 'failLink')).length;
  // A timeout taken while messages were in flight spends the early-timeout budget.
  const early = runs.filter(({ options, run }) => decodeWorld(run.world).earlyTimeoutsLeft < options.earlyTimeouts).length;
  t.log(`of 100 runs: ${crashes} crash a node, ${links} fail a link, ${early} time out early`);
  t.true(crashes >= 20, `${crashes} runs crash`);
  t.true(links >= 20, `${links} runs fail a link`);
  t.true(early >= 10, `${early} runs time out early`);
});

test('generated healing scenarios end quiescent, many of them after a crash or a link failure', (t) => {
  const runs = runMany(HEALING_REFERENCE, 100);
  const quiescent = runs.filter(({ run }) => run.quiescent).length;
  const crashed = runs.filter(({ run }) => took(run, 'crash')).length;
  const links = runs.filter(({ run }) => took(run, 'failLink')).length;
  t.log(`of 100 runs: ${quiescent} end quiescent, ${crashed} crash a node, ${links} fail a link`);
  t.true(quiescent >= 95, `${quiescent} runs end quiescent`);
  t.true(crashed >= 20, `${crashed} runs crash`);
  t.true(links >= 20, `${links} runs fail a link`);
});
