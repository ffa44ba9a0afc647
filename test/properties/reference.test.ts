// Property tests of the reference node through the checker's world, on generated scenarios:
// join orders, faults with their timing and delivery orders (harness/checker/arbitraries.ts).
// Each failure prints fast-check's seed and path, the command that reproduces it, and the
// replay token and trace of the failing run.
import { testProp } from '@fast-check/ava';
import { plannedScenarioArb, type PlannedScenario, scheduledScenarioArb, type ScheduledScenario } from '../../harness/checker/arbitraries.ts';
import { runPlan, runSchedule } from '../../harness/checker/schedule.ts';
import { ALWAYS, QUIESCENT } from '../../properties/invariants.ts';
import { describeRun, FAULTY_REFERENCE, HEALING_REFERENCE, propertyParameters, testFile } from './helpers.ts';

const FILE = testFile(import.meta.url);

const ALWAYS_CHECKED = ALWAYS.map((p) => p.name);
const QUIESCENT_NAMES = QUIESCENT.map((p) => p.name);

// Runs are short (a few ms); 300 steps is beyond any settling run except a livelock.
const MAX_STEPS = 300;

const planned = (title: string, numRuns: number, properties: readonly string[]) =>
  propertyParameters<[PlannedScenario]>(FILE, title, numRuns, ([sc]) => describeRun(sc.options, runPlan(sc.options, sc.plan, { properties, maxSteps: MAX_STEPS })));

const ALWAYS_PLAN = 'reference: no always-property breaks under any join order, fault schedule and delivery order';
testProp(
  ALWAYS_PLAN,
  [plannedScenarioArb(FAULTY_REFERENCE)],
  (t, sc) => {
    const run = runPlan(sc.options, sc.plan, { properties: ALWAYS_CHECKED, maxSteps: MAX_STEPS });
    t.deepEqual(run.failures, []);
  },
  planned(ALWAYS_PLAN, 150, ALWAYS_CHECKED),
);

const ALWAYS_RAW = 'reference: no always-property breaks on any raw schedule of successor picks';
testProp(
  ALWAYS_RAW,
  [scheduledScenarioArb({ ...FAULTY_REFERENCE, maxSchedule: 120 })],
  (t, sc) => {
    const run = runSchedule(sc.options, sc.schedule, { properties: ALWAYS_CHECKED, maxSteps: MAX_STEPS, settle: true });
    t.deepEqual(run.failures, []);
  },
  propertyParameters<[ScheduledScenario]>(FILE, ALWAYS_RAW, 150, ([sc]) =>
    describeRun(sc.options, runSchedule(sc.options, sc.schedule, { properties: ALWAYS_CHECKED, maxSteps: MAX_STEPS, settle: true })),
  ),
);

const QUIESCENT_PLAN = 'reference: every quiescent state of a healing cluster is symmetric, connected, answered, without isolated or dead neighbours';
testProp(
  QUIESCENT_PLAN,
  [plannedScenarioArb(HEALING_REFERENCE)],
  (t, sc) => {
    // The run checks the quiescent properties in every quiescent state it passes, not just the last.
    const checked = [...ALWAYS_CHECKED, ...QUIESCENT_NAMES];
    const run = runPlan(sc.options, sc.plan, { properties: checked, maxSteps: MAX_STEPS });
    t.deepEqual(run.failures, []);
    // Plans settle once their delivery order runs out, so a run ends quiescent unless it livelocks.
    t.true(run.quiescent, `run ended ${run.ended} after ${run.path.length} steps without reaching quiescence`);
  },
  planned(QUIESCENT_PLAN, 150, [...ALWAYS_CHECKED, ...QUIESCENT_NAMES]),
);
