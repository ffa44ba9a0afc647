// The checker's bookkeeping on reachable worlds: the bytes decode to plain values that encode
// back to the same bytes (so the bytes are canonical: views sorted, dead nodes reset), distinct
// worlds get distinct fingerprints, and a run's path and token replay to the same final world.
import { fc, testProp } from '@fast-check/ava';
import { plannedScenarioArb, scheduledScenarioArb } from '../../harness/checker/arbitraries.ts';
import { decodeWorld, encodeWorld, worldFingerprint } from '../../harness/checker/encode.ts';
import type { Fingerprint } from '../../harness/checker/fingerprint.ts';
import { type CheckOptions, scenarioOf } from '../../harness/checker/options.ts';
import { SuccessorCursor, successors } from '../../harness/checker/successors.ts';
import { runDirected, runPlan, type ScheduleRun } from '../../harness/checker/schedule.ts';
import { decodeToken, replayPath } from '../../harness/checker/trace.ts';
import type { World } from '../../harness/checker/world.ts';
import { describeRun, FAULTY_REFERENCE, propertyParameters, testFile } from './helpers.ts';

const FILE = testFile(import.meta.url);

interface Reached {
  readonly options: CheckOptions;
  readonly run: ScheduleRun;
  /** Every world the run passed through, the initial one first and the final one last. */
  readonly worlds: readonly World[];
}

/** Follows a raw schedule (no settling), recording every world on the way. */
function walkRecording(options: CheckOptions, schedule: readonly number[]): Reached {
  const worlds: World[] = [];
  const run = runDirected(
    options,
    (view) => {
      worlds.push(view.world);
      return view.step < schedule.length ? schedule[view.step]! % view.successors.length : null;
    },
    // Walk past property violations too: the paper variant breaks them, and its worlds must still encode.
    { properties: [] },
  );
  if (worlds[worlds.length - 1] !== run.world) worlds.push(run.world);
  return { options, run, worlds };
}

// Both variants, faults on, mid-run worlds with messages in flight (raw schedules stop anywhere)
// and settled ones (plans).
const shapes = [FAULTY_REFERENCE, { ...FAULTY_REFERENCE, variant: 'paper' as const }];
const reachedArb: fc.Arbitrary<Reached> = fc.oneof(
  ...shapes.map((shape) => scheduledScenarioArb({ ...shape, nodes: { min: 2, max: 5 } }).map(({ options, schedule }) => walkRecording(options, schedule))),
  ...shapes.map((shape) =>
    plannedScenarioArb(shape).map(({ options, plan }) => {
      const run = runPlan(options, plan, { properties: [], maxSteps: 200 });
      return { options, run, worlds: [run.world] };
    }),
  ),
);

const params = (title: string, numRuns: number) =>
  propertyParameters<[Reached]>(FILE, title, numRuns, ([r]) => [`options ${JSON.stringify(r.options)}`, ...describeRun(r.options, r.run)]);

const fingerprintOf = (w: World): Fingerprint => {
  const fp = { hi: 0, lo: 0 };
  worldFingerprint(w, fp);
  return fp;
};

const ROUND_TRIP = 'decode then encode gives back the same bytes, with sorted views, for every reachable world';
testProp(
  ROUND_TRIP,
  [reachedArb],
  (t, r) => {
    const sorted = (ids: readonly number[]): boolean => ids.every((id, k) => k === 0 || ids[k - 1]! <= id);
    for (const w of r.worlds) {
      const view = decodeWorld(w);
      t.is(view.nodes.length, r.options.nodes);
      for (const node of view.nodes) t.true([node.active, node.passive, node.tried, node.exchanged, node.abandoned].every(sorted));
      t.deepEqual(encodeWorld(view), w);
    }
  },
  params(ROUND_TRIP, 60),
);

const FINGERPRINTS = 'worlds with different bytes have different fingerprints, and a world its own whatever buffer holds it';
testProp(
  FINGERPRINTS,
  [reachedArb],
  (t, r) => {
    const keys = new Set<string>();
    const worlds = new Set<string>();
    for (const w of r.worlds) {
      const fp = fingerprintOf(w);
      const inside = new Uint8Array(w.length + 7);
      inside.set(w, 3);
      t.deepEqual(fingerprintOf(inside.subarray(3, 3 + w.length)), fp);
      keys.add(`${fp.hi}:${fp.lo}`);
      worlds.add(Buffer.from(w).toString('hex'));
    }
    t.is(keys.size, worlds.size, 'two different worlds share a fingerprint');
  },
  params(FINGERPRINTS, 60),
);

// The step cache keys a step by everything it depends on: a warm cache (shared by every run of
// the scenario) must give exactly what the model computes afresh. And a successor's fingerprint,
// found from its parent's by adjusting what changed, must be its fingerprint from scratch.
const CACHED_STEPS = 'successors from the warm step cache equal those of a fresh cursor, whose incremental fingerprints equal fingerprints from scratch';
testProp(
  CACHED_STEPS,
  [reachedArb],
  (t, r) => {
    const s = scenarioOf(r.options);
    for (const w of r.worlds) {
      const warm = successors(s, w, r.options.choices, r.options.seed);
      for (const x of warm) t.deepEqual(x.fingerprint, fingerprintOf(x.world));
      const cold = new SuccessorCursor(s);
      cold.reset(w, r.options.choices, r.options.seed);
      const fresh: Array<[string, readonly number[], string]> = [];
      while (cold.next()) {
        const { draft } = cold;
        const incremental = { ...draft.fp };
        t.is(draft.writeTo(new Uint8Array(draft.length + 3), 3), draft.length + 3, 'the successor is as long as the digest said');
        draft.materialize();
        const bytes = draft.out.slice(0, draft.length);
        t.deepEqual(incremental, fingerprintOf(bytes));
        fresh.push([JSON.stringify(cold.action), cold.choices, Buffer.from(bytes).toString('hex')]);
      }
      t.deepEqual(
        warm.map((x) => [JSON.stringify(x.action), x.choices, Buffer.from(x.world).toString('hex')]),
        fresh,
      );
    }
  },
  params(CACHED_STEPS, 40),
);

const REPLAY = "replaying a run's path, or its token, reaches the same final world";
testProp(
  REPLAY,
  [reachedArb],
  (t, r) => {
    const decoded = decodeToken(r.run.token);
    t.deepEqual(decoded.path, r.run.path);
    for (const options of [r.options, decoded.options]) {
      const trace = replayPath(options, r.run.path);
      t.deepEqual(trace.final, r.run.world);
      t.deepEqual(fingerprintOf(trace.final), fingerprintOf(r.run.world));
    }
  },
  params(REPLAY, 60),
);
