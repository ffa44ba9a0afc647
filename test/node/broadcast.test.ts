// models/broadcast: flooding over the active view with a bounded deduplication window.
import test from 'ava';
import fc from 'fast-check';
import { flood, initialFlood } from '../../models/broadcast.ts';

const SEED = 7;

test('an originated message is delivered here and sent to every active member', (t) => {
  const s = initialFlood(10);
  t.deepEqual(flood(s, 'm1', null, [2, 5, 9]), { deliver: true, forward: [2, 5, 9] });
});

test('a received message is relayed to everyone but its sender, once', (t) => {
  const s = initialFlood(10);
  t.deepEqual(flood(s, 'm1', 5, [2, 5, 9]), { deliver: true, forward: [2, 9] });
  t.deepEqual(flood(s, 'm1', 2, [2, 5, 9]), { deliver: false, forward: [] });
  t.deepEqual(flood(s, 'm1', null, [2, 5, 9]), { deliver: false, forward: [] });
});

test('the window forgets the oldest id first and never holds more than its capacity', (t) => {
  const s = initialFlood(3);
  for (const id of ['a', 'b', 'c', 'd']) flood(s, id, null, []);
  t.deepEqual([...s.seen].sort(), ['b', 'c', 'd']);
  t.true(flood(s, 'a', null, []).deliver);
  t.false(flood(s, 'd', null, []).deliver);
  t.throws(() => initialFlood(0), { instanceOf: RangeError });
});

test(`flooding a connected graph delivers to every node exactly once (seed ${SEED})`, (t) => {
  const graph = fc.integer({ min: 2, max: 30 }).chain((n) =>
    fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 3 * n }), fc.nat(n - 1)),
  );
  fc.assert(
    fc.property(graph, ([n, extra, origin]) => {
      // A path keeps the graph connected; extra edges add cycles (and so duplicates).
      const adj = Array.from({ length: n }, (_, i) => new Set(i + 1 < n ? [i + 1] : []));
      for (let i = 1; i < n; i++) adj[i]!.add(i - 1);
      for (const [a, b] of extra.filter(([x, y]) => x !== y)) {
        adj[a]!.add(b);
        adj[b]!.add(a);
      }
      const states = adj.map(() => initialFlood(16));
      const delivered = new Array<number>(n).fill(0);
      const queue: Array<[to: number, from: number | null]> = [[origin, null]];
      while (queue.length > 0) {
        const [to, from] = queue.shift()!;
        const r = flood(states[to]!, 'm', from, [...adj[to]!]);
        if (r.deliver) delivered[to]!++;
        for (const p of r.forward) queue.push([p, to]);
      }
      return delivered.every((d) => d === 1);
    }),
    { seed: SEED, numRuns: 200 },
  );
  t.pass();
});
