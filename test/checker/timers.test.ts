// The checker's world holds each node's armed NEIGHBOR timers and drives them as the real node
// does (harness/node/node.ts): a timeout fires only for an armed timer, arming the same peer again
// replaces it, firing disarms it and a crash clears them; no-stuck-request and no-busy-loop judge
// what that makes visible.
import test from 'ava';
import { decodeWorld, encodeWorld, type WorldView } from '../../harness/checker/encode.ts';
import { resolveOptions, scenarioOf } from '../../harness/checker/options.ts';
import { successors } from '../../harness/checker/successors.ts';
import { failuresIn } from '../../harness/checker/judge.ts';
import { check } from '../../harness/checker/check.ts';
import { MUTANT_SCENARIOS } from '../../harness/checker/mutants.ts';
import { decodeToken, formatTrace, replayPath } from '../../harness/checker/trace.ts';
import { type Action, describeAction, initialWorld, type World } from '../../harness/checker/world.ts';
import { MsgType } from '../../models/hyparview/messages.ts';
import { initialNode, type NodeState } from '../../models/hyparview/node.ts';
import { NO_BUSY_LOOP, type NodeSnapshot, QUIESCENT, QUIET } from '../../properties/index.ts';

const options = resolveOptions({ nodes: 3, crashes: 1, cycles: 0 });
const s = scenarioOf(options);

const node = (id: number, v: Partial<NodeState> = {}): NodeState => ({ ...initialNode(id), ...v });

/** A formed 3-node world: 0–1 linked, 2 alone with 0 and 1 as candidates; `edit` changes it. */
function world(edit: (v: WorldView) => Partial<WorldView> = () => ({})): World {
  const base: WorldView = {
    ...decodeWorld(initialWorld(s)),
    joined: 0b111,
    formed: true,
    nodes: [node(0, { active: [1] }), node(1, { active: [0] }), node(2, { passive: [0, 1] })],
  };
  return encodeWorld({ ...base, ...edit(base) });
}

const timeouts = (w: World): Action[] => successors(s, w, 'enumerate', 1).map((x) => x.action).filter((a) => a.k === 'timeout');

test('a NEIGHBOR timeout fires only for an armed timer, never for a request whose timer was not armed', (t) => {
  const asked = (timers: number[][]) =>
    world((v) => ({ nodes: [v.nodes[0]!, v.nodes[1]!, node(2, { passive: [0, 1], pending: 0 })], timers }));
  t.deepEqual(timeouts(asked([[], [], []])), []);
  t.deepEqual(timeouts(asked([[], [], [0]])), [{ k: 'timeout', node: 2, peer: 0 }]);
});

test('a stale timer (its request already answered) still fires, as a no-op that only disarms it', (t) => {
  const w = world(() => ({ timers: [[], [], [1]] }));
  const [fire] = successors(s, w, 'enumerate', 1).filter((x) => x.action.k === 'timeout');
  t.truthy(fire);
  t.regex(describeAction(w, s, fire!.action), /node 2: stale NEIGHBOR timer for 1 fires/);
  const after = decodeWorld(fire!.world);
  t.deepEqual(after.timers, [[], [], []]);
  t.deepEqual(after.nodes, decodeWorld(w).nodes);
});

test('a timer that fires is disarmed, and the request it ends arms the timer of the next one', (t) => {
  const w = world((v) => ({ nodes: [v.nodes[0]!, v.nodes[1]!, node(2, { passive: [0, 1], pending: 0 })], timers: [[], [], [0]] }));
  const fired = successors(s, w, 'enumerate', 1).find((x) => x.action.k === 'timeout')!;
  t.true(fired.events.includes('neighborTimedOut'));
  const after = decodeWorld(fired.world);
  t.is(after.nodes[2]!.pending, 1); // the refill asks the other candidate...
  t.deepEqual(after.timers[2], [1]); // ...and arms its timer; the fired one is gone
  t.deepEqual(after.queues[2 * 3 + 1], [{ t: MsgType.Neighbor, high: true }]);
});

test('arming the timer of a peer that already has one replaces it: one timer per peer', (t) => {
  // Node 2 asked 0 and still has a stale timer for 1 from an earlier request. 0 rejects, so 2
  // asks 1 and arms its timer again: the world still holds one timer for 1, as clearTimeout +
  // setTimeout leaves one in the real node.
  const w = world((v) => ({
    nodes: [v.nodes[0]!, v.nodes[1]!, node(2, { passive: [0, 1], pending: 0 })],
    timers: [[], [], [0, 1]],
    queues: Object.assign(v.queues.slice(), { [0 * 3 + 2]: [{ t: MsgType.NeighborReply, accepted: false }] }),
  }));
  const delivered = successors(s, w, 'enumerate', 1).find((x) => x.action.k === 'deliver')!;
  const after = decodeWorld(delivered.world);
  t.is(after.nodes[2]!.pending, 1);
  t.deepEqual(after.timers[2], [0, 1]);
});

test("a crash clears the crashed node's timers", (t) => {
  const w = world((v) => ({ nodes: [v.nodes[0]!, v.nodes[1]!, node(2, { passive: [0, 1], pending: 0 })], timers: [[], [], [0]] }));
  const crash = successors(s, w, 'enumerate', 1).find((x) => x.action.k === 'crash' && x.action.node === 2)!;
  t.deepEqual(decodeWorld(crash.world).timers, [[], [], []]);
});

test('no-stuck-request: with nothing in flight, an outstanding request without an armed timer is a violation', (t) => {
  const stuck = world((v) => ({ nodes: [v.nodes[0]!, v.nodes[1]!, node(2, { passive: [0, 1], pending: 0 })] }));
  t.deepEqual(failuresIn(s, stuck).map((f) => f.property), ['no-stuck-request']);
  t.regex(failuresIn(s, stuck)[0]!.message, /node 2 waits for an answer from 0, but nothing is in flight and no timeout is armed/);
  const armed = world((v) => ({ nodes: [v.nodes[0]!, v.nodes[1]!, node(2, { passive: [0, 1], pending: 0 })], timers: [[], [], [0]] }));
  t.deepEqual(failuresIn(s, armed), []);
  // While something is in flight the answer may still come: not judged.
  const inFlight = world((v) => ({
    nodes: [v.nodes[0]!, v.nodes[1]!, node(2, { passive: [0, 1], pending: 0 })],
    queues: Object.assign(v.queues.slice(), { [2 * 3 + 0]: [{ t: MsgType.Neighbor, high: true }] }),
  }));
  t.deepEqual(failuresIn(s, inFlight), []);
  // An engine without timers (no `timers` in its snapshot) is not judged.
  const [noStuck] = QUIET;
  t.is(noStuck!.check({ nodes: [{ id: 0, alive: true, active: [], passive: [1], pending: [1], tracked: [] }], activeSize: 2, passiveSize: 3, inFlight: 0, settled: true }), null);
});

test('no-busy-loop: a step that leaves the world as it found it is reported, and its replay says so', (t) => {
  t.is(NO_BUSY_LOOP.check('x', 0), null);
  const r = check({ mutant: 'retry-dead-candidate' });
  const v = r.violations[0]!;
  t.is(v.property, 'no-busy-loop');
  t.regex(v.message, /"deliver 0→1: link down" leaves every node, queue and timer exactly as it found them/);
  const { options, path } = decodeToken(v.replay);
  const trace = replayPath(options, path);
  t.is(trace.failures[0]?.property, 'no-busy-loop', formatTrace(trace));
});

test('no-busy-loop: two steps of which the second undoes the first are reported, and replay says so', (t) => {
  const r = check({ ...MUTANT_SCENARIOS.fourNodesJoining, mutant: 'retry-rejecting-peer' });
  const v = r.violations[0]!;
  t.is(v.property, 'no-busy-loop');
  t.regex(v.message, /"deliver 0→1: NEIGHBOR_REPLY\(reject\)" puts every node, queue and timer back as they were before the step that led here/);
  const { options, path } = decodeToken(v.replay);
  const trace = replayPath(options, path);
  t.is(trace.failures[0]?.property, 'no-busy-loop', formatTrace(trace));
  t.regex(trace.steps.at(-2)!.action, /NEIGHBOR\(LOW\)/);
});

test('refill-progress: an under-full node with a live untried candidate must ask at its next cycle at the latest', (t) => {
  const refill = QUIESCENT.find((p) => p.name === 'refill-progress')!;
  const snapshot = (n: Partial<NodeSnapshot>, others: NodeSnapshot[] = [{ id: 1, alive: true, active: [], passive: [], pending: [], tracked: [] }]) => ({
    nodes: [{ id: 0, alive: true, active: [], passive: [1], pending: [], tracked: [], ...n }, ...others],
    activeSize: 2,
    passiveSize: 3,
    inFlight: 0,
    settled: true,
  });
  t.regex(refill.check(snapshot({ cycleAsks: () => false }))!, /node 0 has 0 of 2 active slots filled and live candidates \[1\] it has not tried/);
  t.is(refill.check(snapshot({ cycleAsks: () => true })), null, 'its cycle asks');
  t.is(refill.check(snapshot({})), null, 'an engine that cannot step the node is not judged');
  t.is(refill.check(snapshot({ cycleAsks: () => false, tracked: [1] })), null, 'tried in this round');
  t.is(refill.check(snapshot({ cycleAsks: () => false, awaiting: [1] })), null, 'still owes it an answer');
  t.is(refill.check(snapshot({ cycleAsks: () => false }, [{ id: 1, alive: false, active: [], passive: [], pending: [], tracked: [] }])), null, 'the candidate is dead');
  t.is(refill.check(snapshot({ cycleAsks: () => false, active: [2, 3] })), null, 'full');
  // In the checker the engine steps the node's cycle: the reference asks (decision 8, seedAndPromote), the paper's node does not.
  for (const [variant, broken] of [['reference', false], ['paper', true]] as const) {
    const o = resolveOptions({ nodes: 3, crashes: 0, cycles: 0, variant });
    const w = encodeWorld({ ...decodeWorld(initialWorld(scenarioOf(o))), joined: 0b111, formed: true, nodes: [node(0, { active: [1] }), node(1, { active: [0] }), node(2, { active: [0], passive: [1] })] });
    t.is(failuresIn(scenarioOf(o), w).some((f) => f.property === 'refill-progress'), broken, variant);
  }
  const paper = check({ nodes: 3, variant: 'paper' }, { keepGoing: true });
  t.is(paper.violations.find((v) => v.property === 'refill-progress')?.steps, 8);
});
