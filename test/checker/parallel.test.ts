// check --workers (parallel.ts): BFS on worker threads over a shared visited set and ancestry.
// Its counts and verdicts must be those of the single-thread search on every exhausted scenario.
import test from 'ava';
import { check, type CheckResult } from '../../harness/checker/check.ts';
import { resolveOptions } from '../../harness/checker/options.ts';
import { checkParallel } from '../../harness/checker/parallel.ts';
import { decodeToken, replayPath } from '../../harness/checker/trace.ts';
import type { CheckOptions } from '../../harness/checker/options.ts';

const counts = (r: CheckResult) => ({
  unique: r.unique,
  transitions: r.states,
  maxDepth: r.maxDepth,
  depthBounded: r.depthBounded,
  quiescentStates: r.quiescentStates,
  verdict: r.verdict,
  stopReason: r.stopReason,
  violations: r.violations.map((v) => `${v.property} after ${v.steps} steps`).sort(),
  sometimes: r.sometimes,
});

const SCENARIOS: Array<Partial<CheckOptions>> = [
  { nodes: 3 },
  { nodes: 3, earlyTimeouts: 1 },
  { nodes: 3, crashes: 1, linkFailures: 1, cycles: 0 },
  { nodes: 4, active: 3, crashes: 1, cycles: 0 },
  { nodes: 3, choices: 'seeded', seed: 9 },
  { nodes: 3, variant: 'paper' },
  { nodes: 3, mutant: 'ignore-link-down' },
];

for (const scenario of SCENARIOS) {
  test.serial(`2 threads from the first level, same counts and verdict as one: ${JSON.stringify(scenario)}`, async (t) => {
    const one = check(scenario, { keepGoing: true });
    const two = await checkParallel({ ...scenario, workers: 2 }, { keepGoing: true }, 1);
    t.is(two.threads, 2);
    t.is(one.stopReason, 'exhausted');
    t.deepEqual(counts(two), counts(one));
    for (const v of two.violations) {
      const { options, path } = decodeToken(v.replay);
      t.true(replayPath(options, path).failures.some((f) => f.property === v.property), `${v.property}: its replay token reproduces it`);
    }
  });
}

test.serial('without --keep-going the first violation stops every thread; the trace is a shortest one', async (t) => {
  const one = check({ nodes: 3, variant: 'paper' });
  const two = await checkParallel({ nodes: 3, variant: 'paper', workers: 2 }, {}, 1);
  t.is(two.stopReason, 'violation');
  t.is(two.violations.length, 1);
  t.is(two.violations[0]!.steps, one.violations[0]!.steps);
});

test.serial('the state cap stops the threads (within a batch of it); small searches never start a thread', async (t) => {
  const capped = await checkParallel({ nodes: 3, earlyTimeouts: 1, workers: 2, maxStates: 50_000 }, {}, 1);
  t.is(capped.stopReason, 'max-states');
  t.true(capped.unique >= 50_000 && capped.unique < 50_000 + 2 * 256 + 1, `${capped.unique}`);
  const small = await checkParallel({ nodes: 4, active: 3, crashes: 1, cycles: 0, workers: 2, symmetry: false });
  t.is(small.threads, 1);
  t.is(small.unique, 3781);
});

test('--workers above 1 takes BFS without --liveness only', (t) => {
  t.throws(() => resolveOptions({ workers: 2, strategy: 'dfs' }), { message: /workers.*needs --strategy bfs/ });
  t.throws(() => resolveOptions({ workers: 2, liveness: 'recoverable' }), { message: /workers.*without --liveness/ });
  t.throws(() => resolveOptions({ workers: 0 }), { message: /workers/ });
});
