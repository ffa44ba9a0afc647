// Cyclon (enhanced shuffling, join by random walks), one rule per test, then a seeded random run
// of a few hundred nodes checking the invariants. Node 0 is the node under test; the small config
// is a view of 4, shuffles of 3 entries, join walks of 3.
import test from 'ava';
import { ConfigError } from '../../models/hyparview/config.ts';
import type { NodeId } from '../../models/hyparview/messages.ts';
import {
  CYCLON_DEFAULTS,
  type CyclonConfig,
  type CyclonEffect,
  type CyclonInput,
  type CyclonMessage,
  type CyclonState,
  cloneCyclon,
  initialCyclon,
  makeCyclonConfig,
  neighboursCyclon,
  stepCyclon,
} from '../../models/cyclon/index.ts';
import { baselineRun, reachable } from './baseline-run.ts';
import { ScriptedChooser, SELF } from './helpers.ts';

const cfg = makeCyclonConfig({ viewSize: 4, shuffleLength: 3, joinWalkLength: 3 });
const NONE = -1;

/** Node 0 holding `entries` as [id, age] pairs. */
function node(entries: Array<[NodeId, number]> = [], pending = NONE, sent: NodeId[] = []): CyclonState {
  return { id: SELF, ids: entries.map((e) => e[0]), ages: entries.map((e) => e[1]), pending, sent };
}

/** One step on a copy, with every real choice scripted (see ScriptedChooser); leftovers throw. */
function stepOnce(state: CyclonState, input: CyclonInput, script: readonly number[] = [], config: CyclonConfig = cfg) {
  const next = cloneCyclon(state);
  const chooser = new ScriptedChooser(script);
  const out: CyclonEffect[] = [];
  stepCyclon(next, input, { config, chooser, out });
  if (chooser.unused > 0) throw new Error(`script ${JSON.stringify(script)} has ${chooser.unused} unused value(s)`);
  return { state: next, effects: out, chooser };
}

const recv = (from: NodeId, msg: CyclonMessage): CyclonInput => ({ t: 'message', from, msg });
const send = (to: NodeId, msg: CyclonMessage): CyclonEffect => ({ t: 'send', to, msg });
const CYCLE: CyclonInput = { t: 'cycle' };
const JOIN: CyclonMessage = { t: 'join' };
const shuffle = (...entries: number[]): CyclonMessage => ({ t: 'shuffle', entries });
const shuffleReply = (...entries: number[]): CyclonMessage => ({ t: 'shuffleReply', entries });
const joinWalk = (newNode: NodeId, ttl: number): CyclonMessage => ({ t: 'joinWalk', newNode, ttl });
const joinReply = (...entries: number[]): CyclonMessage => ({ t: 'joinReply', entries });
const entries = (s: CyclonState): Array<[NodeId, number]> => s.ids.map((id, i) => [id, s.ages[i]!]);

// ---- config ----------------------------------------------------------------------------------

test('config: defaults are a view of 35 (HyParView 5 + 30), shuffles of 14, join walks of 6', (t) => {
  t.deepEqual(CYCLON_DEFAULTS, { viewSize: 35, shuffleLength: 14, joinWalkLength: 6 });
  t.deepEqual(makeCyclonConfig(), CYCLON_DEFAULTS);
  t.deepEqual(makeCyclonConfig({ viewSize: 8, shuffleLength: 8 }), { viewSize: 8, shuffleLength: 8, joinWalkLength: 6 });
});

for (const field of ['viewSize', 'shuffleLength', 'joinWalkLength'] as const) {
  test(`config: ${field} must be an integer from 1 to 255; errors name the field`, (t) => {
    for (const bad of [0, -1, 1.5, Number.NaN, 256, '3' as unknown as number]) {
      const err = t.throws(() => makeCyclonConfig({ [field]: bad }), { instanceOf: ConfigError }, String(bad));
      t.is(err?.field, field);
    }
  });
}

test('config: shuffleLength above viewSize is rejected naming shuffleLength', (t) => {
  const err = t.throws(() => makeCyclonConfig({ viewSize: 4, shuffleLength: 5 }), { instanceOf: ConfigError });
  t.is(err?.field, 'shuffleLength');
});

// ---- shuffling: the cycle --------------------------------------------------------------------

test('initialCyclon: an empty view, no exchange pending; neighboursCyclon is the view', (t) => {
  const s = initialCyclon(7);
  t.deepEqual(s, { id: 7, ids: [], ages: [], pending: NONE, sent: [] });
  t.deepEqual(neighboursCyclon(node([[3, 0], [5, 1]])), [3, 5]);
});

test('cycle with an empty view does nothing', (t) => {
  const r = stepOnce(node(), CYCLE);
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state, node());
});

test('cycle: ages every entry, removes the oldest (first of a tie) and sends it SHUFFLE: itself at age 0 plus l-1 random others', (t) => {
  // Ages become [3,6,2,6]: 2 and 4 tie, 2 comes first. Sampling 2 of the others [1,3,4]: yes, no, (forced) yes.
  const r = stepOnce(node([[1, 2], [2, 5], [3, 1], [4, 5]]), CYCLE, [1, 0]);
  t.deepEqual(r.effects, [send(2, shuffle(SELF, 0, 1, 3, 4, 6))]);
  t.deepEqual(entries(r.state), [[1, 3], [3, 2], [4, 6]]);
  t.is(r.state.pending, 2);
  t.deepEqual(r.state.sent, [1, 4]);
  t.deepEqual(r.chooser.calls, [{ kind: 'chance', k: 2, n: 3 }, { kind: 'chance', k: 1, n: 2 }, { kind: 'chance', k: 1, n: 1 }]);
});

test('cycle with a single entry sends only our own fresh entry, and the view is left empty', (t) => {
  const r = stepOnce(node([[5, 0]]), CYCLE);
  t.deepEqual(r.effects, [send(5, shuffle(SELF, 0))]);
  t.deepEqual(r.state, node([], 5, []));
});

test('cycle: a new cycle replaces an exchange still pending', (t) => {
  const r = stepOnce(node([[1, 0], [2, 4]], 9, [3]), CYCLE);
  t.deepEqual(r.effects, [send(2, shuffle(SELF, 0, 1, 1))]);
  t.is(r.state.pending, 2);
  t.deepEqual(r.state.sent, [1]);
});

// ---- shuffling: the receiver -----------------------------------------------------------------

test('SHUFFLE: replies with l random entries of its own, then merges by overwriting the ones it sent', (t) => {
  // Sampling 3 of [1,2,3,4]: yes, no, then forced yes, yes = [1,3,4].
  const r = stepOnce(node([[1, 1], [2, 2], [3, 3], [4, 4]]), recv(7, shuffle(7, 0, 5, 1, 6, 2)), [1, 0]);
  t.deepEqual(r.effects, [send(7, shuffleReply(1, 1, 3, 3, 4, 4))]);
  t.deepEqual(entries(r.state), [[7, 0], [2, 2], [5, 1], [6, 2]]);
});

test('SHUFFLE: merging fills empty slots first, discards ourselves and ids already held', (t) => {
  // The reply is the whole view (3 ids, l = 3): no choice.
  const r = stepOnce(node([[1, 1], [2, 2], [3, 3]]), recv(7, shuffle(7, 0, 1, 9, 8, 4, SELF, 2)));
  t.deepEqual(r.effects, [send(7, shuffleReply(1, 1, 2, 2, 3, 3))]);
  // 7 takes the empty slot, 1 is held (its age is kept), 8 overwrites 1 (sent first), ourselves are skipped.
  t.deepEqual(entries(r.state), [[8, 4], [2, 2], [3, 3], [7, 0]]);
});

test('SHUFFLE: the reply never holds the sender', (t) => {
  const r = stepOnce(node([[7, 1], [2, 2]]), recv(7, shuffle(7, 0)));
  t.deepEqual(r.effects, [send(7, shuffleReply(2, 2))]);
  t.deepEqual(entries(r.state), [[7, 1], [2, 2]]);
});

test('SHUFFLE at an empty view: an empty reply, and the sender is kept', (t) => {
  const r = stepOnce(node(), recv(7, shuffle(7, 0, 3, 5)));
  t.deepEqual(r.effects, [send(7, shuffleReply())]);
  t.deepEqual(entries(r.state), [[7, 0], [3, 5]]);
});

// ---- shuffling: the reply --------------------------------------------------------------------

test('SHUFFLE_REPLY from the pending peer: empty slots first, then the entries sent to it, in order; the rest is discarded', (t) => {
  const r = stepOnce(node([[1, 3], [3, 2], [4, 6]], 2, [1, 4]), recv(2, shuffleReply(5, 0, 3, 7, 6, 1, 8, 2, 9, 0)));
  t.deepEqual(r.effects, []);
  // 5 fills the slot 2 left; 3 is held; 6 overwrites 1; 8 overwrites 4; 9 finds no room.
  t.deepEqual(entries(r.state), [[6, 1], [3, 2], [8, 2], [5, 0]]);
  t.is(r.state.pending, NONE);
  t.deepEqual(r.state.sent, []);
});

test('SHUFFLE_REPLY: a sent entry already replaced is skipped, the next one is used', (t) => {
  // 1 was overwritten meanwhile (it is no longer held): the second entry 4 is overwritten instead.
  const r = stepOnce(node([[3, 2], [4, 6], [5, 0], [6, 1]], 2, [1, 4]), recv(2, shuffleReply(8, 2)));
  t.deepEqual(entries(r.state), [[3, 2], [8, 2], [5, 0], [6, 1]]);
});

test('SHUFFLE_REPLY from another peer (a late one) only fills empty slots, and keeps the pending exchange', (t) => {
  const r = stepOnce(node([[1, 3], [3, 2], [4, 6]], 2, [1, 4]), recv(9, shuffleReply(5, 0, 6, 1)));
  t.deepEqual(entries(r.state), [[1, 3], [3, 2], [4, 6], [5, 0]]);
  t.is(r.state.pending, 2);
  t.deepEqual(r.state.sent, [1, 4]);
});

// ---- failures --------------------------------------------------------------------------------

test('linkDown removes the peer from the view and ends an exchange pending with it', (t) => {
  const r = stepOnce(node([[1, 3], [3, 2]], 3, [1]), { t: 'linkDown', peer: 3 });
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state, node([[1, 3]]));
  const other = stepOnce(node([[1, 3], [3, 2]], 2, [1]), { t: 'linkDown', peer: 1 });
  t.deepEqual(other.state, node([[3, 2]], 2, [1]));
});

// ---- joining ---------------------------------------------------------------------------------

test('join(contact): the joiner puts the contact in its view (age 0) and sends it JOIN; join(self) does nothing', (t) => {
  const r = stepOnce(node(), { t: 'join', contact: 3 });
  t.deepEqual(r.effects, [send(3, JOIN)]);
  t.deepEqual(entries(r.state), [[3, 0]]);
  t.deepEqual(stepOnce(node(), { t: 'join', contact: SELF }).effects, []);
});

test('JOIN: the contact starts viewSize walks of joinWalkLength, each to a random member (repetition allowed), and keeps its view', (t) => {
  const before = node([[1, 0], [2, 0]]);
  const r = stepOnce(before, recv(7, JOIN), [0, 1, 1, 0]);
  t.deepEqual(r.effects, [1, 2, 2, 1].map((to) => send(to, joinWalk(7, 3))));
  t.deepEqual(r.state, before);
});

test('JOIN: walks never start towards the joiner itself', (t) => {
  const r = stepOnce(node([[7, 0], [1, 0]]), recv(7, JOIN));
  t.deepEqual(r.effects, [1, 1, 1, 1].map((to) => send(to, joinWalk(7, 3))));
});

test('JOIN at a contact that knows nobody: it ends a walk itself, adding the joiner', (t) => {
  const r = stepOnce(node(), recv(7, JOIN));
  t.deepEqual(r.effects, []);
  t.deepEqual(entries(r.state), [[7, 0]]);
});

test('JOIN_WALK with ttl > 1 goes on with ttl-1 to a random member other than the joiner', (t) => {
  const r = stepOnce(node([[1, 0], [7, 0], [2, 0]]), recv(1, joinWalk(7, 2)), [1]);
  t.deepEqual(r.effects, [send(2, joinWalk(7, 1))]);
  t.deepEqual(r.chooser.calls, [{ kind: 'pick', n: 2 }]);
});

test('JOIN_WALK with ttl 1 at a full view swaps: the joiner takes a random entry\'s slot at age 0 and gets that entry', (t) => {
  const r = stepOnce(node([[1, 1], [2, 2], [3, 3], [4, 4]]), recv(1, joinWalk(7, 1)), [2]);
  t.deepEqual(r.effects, [send(7, joinReply(3, 3))]);
  t.deepEqual(entries(r.state), [[1, 1], [2, 2], [7, 0], [4, 4]]);
});

test('JOIN_WALK ending at a view with room: the joiner is added and gets a copy of a random entry', (t) => {
  const r = stepOnce(node([[1, 1], [2, 2]]), recv(1, joinWalk(7, 1)), [1]);
  t.deepEqual(r.effects, [send(7, joinReply(2, 2))]);
  t.deepEqual(entries(r.state), [[1, 1], [2, 2], [7, 0]]);
});

test('JOIN_WALK at an empty view ends there whatever its ttl: the joiner is added, nothing to give', (t) => {
  const r = stepOnce(node(), recv(1, joinWalk(7, 3)));
  t.deepEqual(r.effects, []);
  t.deepEqual(entries(r.state), [[7, 0]]);
});

test('JOIN_WALK ending at a node that already holds the joiner (or at the joiner) is lost: no change', (t) => {
  const holder = node([[7, 2], [1, 1]]);
  const r = stepOnce(holder, recv(1, joinWalk(7, 1)));
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state, holder);
  // Its only member is the joiner: nowhere to go on, and nothing to do here.
  const only = node([[7, 2]]);
  t.deepEqual(stepOnce(only, recv(1, joinWalk(7, 3))).state, only);
  t.deepEqual(stepOnce(node([[1, 1]]), recv(1, joinWalk(SELF, 1))).effects, []);
});

test('JOIN_REPLY: the joiner adds what it gets, skipping itself and ids held, up to viewSize', (t) => {
  const r = stepOnce(node([[3, 0]]), recv(2, joinReply(5, 2, SELF, 1, 3, 4, 6, 0, 8, 1, 9, 9)));
  t.deepEqual(r.effects, []);
  t.deepEqual(entries(r.state), [[3, 0], [5, 2], [6, 0], [8, 1]]);
});

// ---- a seeded random run ---------------------------------------------------------------------

const CYCLON_RUN = {
  init: initialCyclon,
  step: stepCyclon,
  neighbours: neighboursCyclon,
  check: (s: CyclonState): string[] => {
    const problems: string[] = [];
    const bad = (what: string) => problems.push(`${what} [${s.ids}]`);
    if (s.ids.includes(s.id)) bad('holds itself');
    if (new Set(s.ids).size !== s.ids.length) bad('duplicate ids');
    if (s.ages.length !== s.ids.length) bad('ages not parallel to ids');
    return problems;
  },
};

/** A seeded run (test/models/baseline-run.ts), the cycle order shuffled each round; views checked against `config`'s bound too. */
function run(n: number, seed: number, config: CyclonConfig, cycles: number, killAt = -1, killFraction = 0) {
  const model = { ...CYCLON_RUN, check: (s: CyclonState) => [...CYCLON_RUN.check(s), ...(s.ids.length > config.viewSize ? [`view over its bound [${s.ids}]`] : [])] };
  return baselineRun(model, config, { n, seed, cycles, killAt, killFraction, shuffled: true });
}

test('random run, 300 nodes, defaults: no self, no duplicates, views within bound; views fill and the overlay is connected', (t) => {
  const config = makeCyclonConfig();
  const { nodes, alive, violations } = run(300, 42, config, 30);
  t.deepEqual(violations, []);
  const sizes = nodes.map((s) => s.ids.length);
  t.true(Math.min(...sizes) >= config.viewSize - 1, `smallest view ${Math.min(...sizes)}`);
  t.is(reachable(nodes, alive, neighboursCyclon), 300);
  // In-degrees stay balanced: Cyclon's hallmark (the paper's in-degree spread is narrow).
  const indegree = new Array<number>(300).fill(0);
  for (const s of nodes) for (const p of s.ids) indegree[p]!++;
  t.true(Math.min(...indegree) >= 10, `smallest in-degree ${Math.min(...indegree)}`);
});

test('random run, 300 nodes, 20% die at cycle 10: invariants hold, dead ids age out of live views, the survivors stay connected', (t) => {
  const config = makeCyclonConfig();
  for (const seed of [1, 2, 3]) {
    const { nodes, alive, violations } = run(300, seed, config, 70, 10, 0.2);
    t.deepEqual(violations, [], `seed ${seed}`);
    const live = nodes.filter((s) => alive[s.id]);
    const deadEntries = live.reduce((sum, s) => sum + s.ids.filter((p) => !alive[p]).length, 0);
    const allEntries = live.reduce((sum, s) => sum + s.ids.length, 0);
    t.true(deadEntries / allEntries < 0.01, `seed ${seed}: ${deadEntries} dead of ${allEntries}`);
    t.is(reachable(nodes, alive, neighboursCyclon), live.length, `seed ${seed}`);
  }
});

test('random run, small views (4, shuffles of 3): the invariants hold under heavy merging', (t) => {
  const { violations, nodes, alive } = run(200, 7, cfg, 40, 20, 0.1);
  t.deepEqual(violations, []);
  t.true(nodes.every((s) => !alive[s.id] || s.ids.length <= cfg.viewSize));
});
