// The BFS queue and ancestry: records come out as they went in while read chunks are written
// again, and paths survive the ancestry's block boundaries.
import test from 'ava';
import { Ancestry, Frontier, NO_PARENT } from '../../harness/checker/frontier.ts';

test('a frontier that writes its read chunks again gives back every record in order, bytes intact', (t) => {
  // Chunks of 256 bytes hold a few records each, so the run spans many chunks and reuses them.
  const frontier = new Frontier(256);
  const world = (n: number): Uint8Array => Uint8Array.from({ length: 5 + (n % 40) }, (_, k) => (n * 31 + k) & 0xff);
  let pushed = 0;
  let shifted = 0;
  const push = (): void => {
    const w = world(pushed);
    frontier.push(w, w.length, { hi: pushed, lo: ~pushed }, pushed * 7, pushed % 1000, pushed);
    pushed++;
  };
  for (let k = 0; k < 10; k++) push();
  // A BFS's pace: each shifted record's successors are written while its bytes are still read.
  for (let item = frontier.shift(); item; item = frontier.shift()) {
    const n = shifted++;
    for (let k = 0; k < (n < 2000 ? 2 : 0) && pushed < 3000; k++) push();
    t.deepEqual([...item.state], [...world(n)], `record ${n}`);
    t.deepEqual([item.fp.hi, item.fp.lo, item.parentTag, item.depth, item.id], [n, ~n, n * 7, n % 1000, n]);
  }
  t.is(shifted, pushed);
  t.is(frontier.length, 0);
});

test('an ancestry rebuilds paths across its blocks of a million ids', (t) => {
  const ancestry = new Ancestry();
  let last = ancestry.add(NO_PARENT, 0);
  const chain = (1 << 20) + 10;
  for (let k = 1; k < chain; k++) last = ancestry.add(last, k % 7);
  t.is(ancestry.size, chain);
  t.is(ancestry.parent(last), last - 1);
  const path = ancestry.path(last);
  t.is(path.length, chain - 1);
  t.true(path.every((index, k) => index === (k + 1) % 7));
});
