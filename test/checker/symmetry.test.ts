// Symmetry reduction (symmetry.ts): renaming nodes 1..n-1 maps successors onto successors and
// keeps every verdict, so one world per class of renamings loses nothing. Checked here by brute
// force against the plain search, on worlds from seeded walks, and on the mutation suite.
import test from 'ava';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { check } from '../../harness/checker/check.ts';
import { worldFingerprint } from '../../harness/checker/encode.ts';
import type { Fingerprint } from '../../harness/checker/fingerprint.ts';
import { failuresIn } from '../../harness/checker/judge.ts';
import { MUTANT_SCENARIOS, mutantScenario } from '../../harness/checker/mutants.ts';
import { type CheckOptions, resolveOptions, scenarioOf } from '../../harness/checker/options.ts';
import { successors } from '../../harness/checker/successors.ts';
import { Canonicalizer, renamed, symmetryUnsound } from '../../harness/checker/symmetry.ts';
import { decodeToken, replayPath } from '../../harness/checker/trace.ts';
import { initialWorld, type World } from '../../harness/checker/world.ts';
import { MUTANTS, type MutantName } from '../../models/hyparview/mutants.ts';

const SEED = 1207;
const key = (fp: Fingerprint): string => `${fp.hi >>> 0}:${fp.lo >>> 0}`;
const classOf = (canon: Canonicalizer, w: World): string => {
  const fp = { hi: 0, lo: 0 };
  canon.classOf(w, w.length, fp);
  return key(fp);
};

/** Every world the plain search reaches (by fingerprint), by brute-force BFS over `successors`. */
function reachable(input: Partial<CheckOptions>): World[] {
  const o = resolveOptions(input);
  const s = scenarioOf(o);
  const start = initialWorld(s);
  const seen = new Map<string, World>();
  const fp = { hi: 0, lo: 0 };
  worldFingerprint(start, fp);
  seen.set(key(fp), start);
  for (let level = [start]; level.length > 0; ) {
    const next: World[] = [];
    for (const w of level) {
      if (failuresIn(s, w).length > 0) continue; // the search expands no violating world
      for (const succ of successors(s, w, o.choices, o.seed)) {
        if (succ.stepFailures) continue;
        const k = key(succ.fingerprint);
        if (seen.has(k)) continue;
        seen.set(k, succ.world);
        next.push(succ.world);
      }
    }
    level = next;
  }
  return [...seen.values()];
}

const SOUND: Array<Partial<CheckOptions>> = [
  { nodes: 3, crashes: 0 },
  { nodes: 3, crashes: 1, linkFailures: 1, cycles: 0 },
  { nodes: 4, active: 3, crashes: 1, cycles: 0 },
];

for (const scenario of SOUND) {
  test(`the symmetric search counts exactly the classes of the plain search's states: ${JSON.stringify(scenario)}`, (t) => {
    t.is(symmetryUnsound(resolveOptions(scenario)), null);
    const plain = check({ ...scenario, symmetry: false });
    const sym = check(scenario);
    t.is(plain.stopReason, 'exhausted');
    t.is(sym.stopReason, 'exhausted');
    t.is(sym.symmetryOff, null);
    const worlds = reachable(scenario);
    t.is(worlds.length, plain.unique, 'the brute-force BFS reaches what the search does');
    const canon = new Canonicalizer(scenario.nodes!);
    t.is(new Set(worlds.map((w) => classOf(canon, w))).size, sym.unique);
    t.true(sym.unique < plain.unique);
    t.is(sym.verdict, plain.verdict);
    t.is(sym.maxDepth, plain.maxDepth);
    t.deepEqual(Object.entries(sym.sometimes), Object.entries(plain.sometimes));
  });
}

test('renaming a reachable world renames its successors and keeps its verdicts (seeded walks; 4 and 5 nodes)', (t) => {
  const rng = xoroshiro128plus(SEED);
  let checked = 0;
  for (const input of [{ nodes: 4, passive: 3, crashes: 1, cycles: 1 }, { nodes: 5, passive: 4, crashes: 1, linkFailures: 1, cycles: 1 }] satisfies Array<Partial<CheckOptions>>) {
    const o = resolveOptions(input);
    const s = scenarioOf(o);
    const canon = new Canonicalizer(o.nodes);
    const propertiesOf = (w: World): string[] => failuresIn(s, w).map((f) => f.property).sort();
    const successorClasses = (w: World): string[] => successors(s, w, o.choices, o.seed).map((succ) => `${succ.stepFailures?.map((f) => f.property).join() ?? ''}/${classOf(canon, succ.world)}`).sort();
    for (let walk = 0; walk < 40; walk++) {
      let w = initialWorld(s);
      for (let step = 0; step < 30; step++) {
        const perm = [0, ...shuffled(Array.from({ length: o.nodes - 1 }, (_, k) => k + 1), rng)];
        const other = renamed(w, perm);
        t.is(classOf(canon, other), classOf(canon, w), `perm ${perm}`);
        t.deepEqual(propertiesOf(other), propertiesOf(w), `perm ${perm}`);
        t.deepEqual(successorClasses(other), successorClasses(w), `perm ${perm}`);
        checked++;
        const next = successors(s, w, o.choices, o.seed);
        if (next.length === 0) break;
        w = next[uniformInt(rng, 0, next.length - 1)]!.world;
      }
    }
  }
  t.log(`${checked} worlds renamed (seed ${SEED})`);
});

test('every mutant is caught with symmetry at the depth the plain search catches it, by a trace that replays', (t) => {
  for (const mutant of Object.keys(MUTANTS) as MutantName[]) {
    const scenario = { ...MUTANT_SCENARIOS[mutantScenario(mutant)], mutant };
    const plain = check({ ...scenario, symmetry: false });
    const sym = check(scenario);
    t.is(sym.verdict, 'fail', mutant);
    t.is(sym.violations[0]!.steps, plain.violations[0]!.steps, mutant);
    const { options, path } = decodeToken(sym.violations[0]!.replay);
    t.is(replayPath(options, path).failures[0]?.property, sym.violations[0]!.property, mutant);
  }
});

test('--liveness over classes finds what it finds over worlds: each notion, property and trace length', (t) => {
  const found = (o: Partial<CheckOptions>) => check(o, { keepGoing: true }).violations.map((v) => `${v.property} after ${v.steps} steps`).sort();
  for (const scenario of [
    { nodes: 3, variant: 'paper', liveness: 'restored' },
    { nodes: 4, active: 3, passive: 3, crashes: 1, cycles: 0, variant: 'paper', liveness: 'recoverable' },
    { nodes: 3, crashes: 1, linkFailures: 1, cycles: 0, liveness: 'restored' },
  ] satisfies Array<Partial<CheckOptions>>) {
    t.is(check(scenario).symmetryOff, null);
    t.deepEqual(found(scenario), found({ ...scenario, symmetry: false }), JSON.stringify(scenario));
  }
  t.true(found({ nodes: 3, variant: 'paper', liveness: 'restored' }).includes('restored:no-isolated-node after 17 steps'));
});

test('symmetry is off, with the reason, where it would be unsound', (t) => {
  const reason = (o: Partial<CheckOptions>) => symmetryUnsound(resolveOptions(o));
  t.regex(reason({ nodes: 4, passive: 2 })!, /passive view of 2 can overflow with 4 nodes/);
  t.regex(reason({ nodes: 4, passive: 3, mutant: 'merge-self-into-passive' })!, /use --passive 4/);
  t.regex(reason({ nodes: 3, choices: 'seeded' })!, /seeded/);
  t.is(check({ nodes: 4, passive: 1, crashes: 0, cycles: 0, depth: 8 }).symmetryOff, reason({ nodes: 4, passive: 1 }));
  t.is(check({ nodes: 3, symmetry: false }).symmetryOff, 'turned off (--no-symmetry)');
});

function shuffled(ids: number[], rng: ReturnType<typeof xoroshiro128plus>): number[] {
  for (let k = ids.length - 1; k > 0; k--) {
    const j = uniformInt(rng, 0, k);
    [ids[k], ids[j]] = [ids[j]!, ids[k]!];
  }
  return ids;
}
