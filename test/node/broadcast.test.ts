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

test('the window never forgets an id younger than minHoldMs: a full window of young ids refuses the new message', (t) => {
  const s = initialFlood(2, 1000);
  t.true(flood(s, 'a', null, [], 0).deliver);
  t.true(flood(s, 'b', null, [], 10).deliver);
  t.deepEqual(flood(s, 'c', 1, [1, 2], 500), { deliver: false, overloaded: true, forward: [] });
  t.false(flood(s, 'a', null, [], 600).deliver, 'a is still remembered');
  t.deepEqual(flood(s, 'c', 1, [1, 2], 1000), { deliver: true, forward: [2] });
  t.false(s.seen.has('a'), 'a, the oldest, was forgotten for c');
  t.true(flood(s, 'd', null, [], 1010).deliver, 'b is 1000 ms old now');
});

/** Floods `messages` distinct ids from node 0 of a 4-cycle at once; returns the relays, or Infinity past `bound`. */
function storm(capacity: number, minHoldMs: number, messages: number, bound: number): number {
  const adj = [[1, 3], [0, 2], [1, 3], [0, 2]];
  const states = adj.map(() => initialFlood(capacity, minHoldMs));
  const queue: Array<[to: number, from: number | null, id: string]> = Array.from({ length: messages }, (_, i) => [0, null, `m${i}`]);
  let relays = 0;
  while (queue.length > 0) {
    const [to, from, id] = queue.shift()!;
    // Everything happens within one millisecond: a flood faster than any hold.
    for (const p of flood(states[to]!, id, from, adj[to]!, 0).forward) {
      queue.push([p, to, id]);
      if (++relays > bound) return Infinity;
    }
  }
  return relays;
}

test('more fresh ids in flight than the window holds: without a hold they loop for ever (a storm); with one the flood ends', (t) => {
  t.is(storm(4, 0, 12, 100_000), Infinity);
  const relays = storm(4, 1000, 12, 100_000);
  t.true(relays <= 12 * 4, `${relays} relays`);
});
