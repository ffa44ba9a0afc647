// Runs in a fresh project that installed the packed tarball: plain Node 20 ESM, no TypeScript
// loader. The README's ava example, and a bug of the mutation suite caught.
import test from 'ava';
import { check, runMutant, simulate } from 'hyparview-harness';

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
