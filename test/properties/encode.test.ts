// The checker's bookkeeping on reachable worlds: the byte encoding round-trips, fingerprints
// depend only on the world's value (the incrementally kept sums equal a from-scratch digest),
// distinct encodings get distinct fingerprints, and a run's path and token replay to the same
// final world.
import { fc, testProp } from '@fast-check/ava';
import { plannedScenarioArb, scheduledScenarioArb } from '../../harness/checker/arbitraries.ts';
import { decodeWorld, Encoder, worldFingerprint } from '../../harness/checker/encode.ts';
import type { Fingerprint } from '../../harness/checker/fingerprint.ts';
import type { CheckOptions } from '../../harness/checker/options.ts';
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

const encoder = new Encoder();
const encode = (w: World): Uint8Array => encoder.buf.slice(0, encoder.encode(w));
const fingerprintOf = (w: World): Fingerprint => {
  const fp = { hi: 0, lo: 0 };
  worldFingerprint(w, fp);
  return fp;
};

const ROUND_TRIP = 'encode then decode gives back an equal world and equal bytes, for every reachable world';
testProp(
  ROUND_TRIP,
  [reachedArb],
  (t, r) => {
    for (const w of r.worlds) {
      const bytes = encode(w);
      const back = decodeWorld(bytes, r.options.nodes);
      t.deepEqual(back, w);
      t.deepEqual(encode(back), bytes);
    }
  },
  params(ROUND_TRIP, 60),
);

const FINGERPRINTS = 'equal worlds have equal fingerprints, and worlds with different bytes have different ones';
testProp(
  FINGERPRINTS,
  [reachedArb],
  (t, r) => {
    const byKey = new Map<string, string>();
    for (const w of r.worlds) {
      // decodeWorld rebuilds the world with fresh objects and digests it from scratch; the run's
      // world carries sums updated step by step. Both must fingerprint alike.
      const bytes = encode(w);
      const fp = fingerprintOf(w);
      t.deepEqual(fingerprintOf(decodeWorld(bytes, r.options.nodes)), fp);
      const key = `${fp.hi}:${fp.lo}`;
      const hex = Buffer.from(bytes).toString('hex');
      const seen = byKey.get(key);
      if (seen !== undefined) t.is(seen, hex, 'two different worlds share a fingerprint');
      byKey.set(key, hex);
    }
  },
  params(FINGERPRINTS, 60),
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
