// Runs in a fresh project that installed the packed tarball: plain Node 20 ESM, no TypeScript
// loader. The README's ava example, and a bug of the mutation suite caught.
import test from 'ava';
import { check, DEFAULT_ENGINE, runMutant, simulate } from 'hyparview-harness';

test('reference node, 3 nodes, one crash: every property holds', (t) => {
  const r = check({ nodes: 3, crashes: 1, cycles: 1 });
  t.is(r.verdict, 'pass', r.violations.map((v) => `${v.property}\n${v.trace}`).join('\n'));
});

test('a node that ignores link failures is caught', (t) => {
  const r = runMutant('ignore-link-down');
  t.true(r.caught, `not caught: ${JSON.stringify(r)}`);
});

test('the simulator runs from the package too', (t) => {
  const r = simulate({ protocol: 'hyparview', nodes: 100, seed: 1, cycles: 2, fail: 0.5 });
  t.is(r.afterFailure.failed, 50);
  t.deepEqual(r.violations, []);
});

test('the simulator runs its shards on threads from the package: the same run as on one thread', (t) => {
  const run = (threads) => simulate({ protocol: 'hyparview', nodes: 400, seed: 1, cycles: 3, fail: 0.3, engine: { ...DEFAULT_ENGINE, store: 'packed', shards: 2, threads } });
  const [alone, threaded] = [run(false), run(true)];
  t.true(alone.run.events > 10_000);
  t.deepEqual(threaded.afterFailure, alone.afterFailure);
  t.deepEqual(threaded.run, alone.run);
});
