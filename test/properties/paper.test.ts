// The paper-literal variant IS caught: a bounded search over generated scenarios finds one
// that ends asymmetric (decision 1: the last hop of a FORWARD_JOIN adds the new node silently),
// fast-check shrinks it, and its replay token reproduces the violation. Proof that the
// arbitraries and the properties can see the bug the reference variant's choices avoid.
import test from 'ava';
import fc from 'fast-check';
import { plannedScenarioArb, type PlannedScenario } from '../../harness/checker/arbitraries.ts';
import { runPlan } from '../../harness/checker/schedule.ts';
import { decodeToken, replayPath } from '../../harness/checker/trace.ts';
import { describeRun, reproduceCommand, seedFromEnv, testFile } from './helpers.ts';

const FILE = testFile(import.meta.url);
const TITLE = 'paper variant: a bounded search finds a schedule that violates active-symmetric';
// Only the property under test stops a run, so a views-disjoint break (also a paper bug) does not hide it.
const WATCHED = ['active-symmetric'];
const MAX_RUNS = 200;

test(TITLE, (t) => {
  const seed = seedFromEnv();
  const arb = plannedScenarioArb({ variant: 'paper', nodes: { min: 3, max: 5 }, active: { min: 2, max: 3 } });
  const holds = (sc: PlannedScenario): boolean => runPlan(sc.options, sc.plan, { properties: WATCHED }).failures.length === 0;
  const path = process.env.FC_PATH;
  const details = fc.check(fc.property(arb, holds), { seed, numRuns: MAX_RUNS, ...(path ? { path } : {}) });
  t.log(`seed ${details.seed}; ${details.numRuns} scenario(s) tried, ${details.numShrinks} shrink(s)`);
  if (!details.failed || !details.counterexample) {
    t.fail(`no scenario of ${MAX_RUNS} broke active-symmetric under --variant paper\nreproduce: ${reproduceCommand(FILE, TITLE, details.seed)}`);
    return;
  }
  const [sc] = details.counterexample;
  const run = runPlan(sc.options, sc.plan, { properties: WATCHED });
  t.log([`found (fast-check path ${details.counterexamplePath}):`, ...describeRun(sc.options, run)].join('\n'));
  t.deepEqual(
    run.failures.map((f) => f.property),
    WATCHED,
  );
  // The token alone reproduces the violation, as `hyparview-harness replay` would.
  const { options, path: tokenPath } = decodeToken(run.token);
  const replayed = replayPath(options, tokenPath);
  t.true(
    replayed.failures.some((f) => f.property === 'active-symmetric'),
    `replaying the token did not break active-symmetric\nreproduce: ${reproduceCommand(FILE, TITLE, details.seed, details.counterexamplePath ?? undefined)}`,
  );
});
