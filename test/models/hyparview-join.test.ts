// JOIN and FORWARD_JOIN (PROTOCOL.md "Messages and rules"), and the decisions that shape
// them: 1 forwardJoinEnd, 2 forwardJoinLastHop, 4 races (disjoint views), 6 joinFromActive,
// 7 joinWhenFull, 8 isolation (the contact seeds the joiner's passive view). Node 0 is the node
// under test; TEST_PARAMETERS: active 3, passive 4, ARWL 4, PRWL 2, ka 2, kp 2.
import test from 'ava';
import {
  config,
  DISCONNECT,
  evictionOf,
  forwardJoin,
  HIGH,
  JOIN,
  joinVia,
  node,
  recv,
  SELF,
  send,
  sentMessages,
  shuffleReply,
  stepOnce,
  TEST_PARAMETERS,
  up,
  views,
  withDecision,
} from './helpers.ts';

const { arwl, prwl } = TEST_PARAMETERS;
const reference = config();

// ---- starting a join -------------------------------------------------------------------------

test('join(contact): the joiner puts the contact in its active view and sends it JOIN', (t) => {
  const r = stepOnce(node(), joinVia(3), reference);
  t.deepEqual(r.effects, [up(3), send(3, JOIN)]);
  t.deepEqual(r.state.active, [3]);
});

test('join(self) does nothing', (t) => {
  const r = stepOnce(node(), joinVia(SELF), reference);
  t.deepEqual(r.effects, []);
  t.deepEqual(views(r.state), views(node()));
});

// ---- JOIN at the contact ---------------------------------------------------------------------

test('JOIN: the contact adds the new node and sends FORWARD_JOIN(new, ARWL) to every other active member', (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(5, JOIN), withDecision('isolation', 'none'));
  t.deepEqual(r.effects, [up(5), send(1, forwardJoin(5, arwl)), send(2, forwardJoin(5, arwl))]);
  t.deepEqual(r.state.active, [1, 2, 5]);
});

test("JOIN, isolation 'seedAndPromote': the contact also seeds the joiner with ka active + kp passive ids (SHUFFLE_REPLY)", (t) => {
  // Seeds never include the joiner. With room for 4, sampling 2 of the other active members
  // [1,2,3] goes yes, no, (forced) yes = [1,3]; passive [6] is smaller than kp, so all of it.
  const cfg = config({ activeSize: 4, decisions: { isolation: 'seedAndPromote' } });
  const r = stepOnce(node({ active: [1, 2, 3], passive: [6] }), recv(5, JOIN), cfg, [1, 0]);
  t.deepEqual(r.effects, [up(5), ...[1, 2, 3].map((p) => send(p, forwardJoin(5, arwl))), send(5, shuffleReply([1, 3, 6]))]);
  // At a full contact the eviction comes first (pick 0: member 1), so the evicted member is seeded as a passive id.
  const full = stepOnce(node({ active: [1, 2, 3] }), recv(5, JOIN), withDecision('isolation', 'seedAndPromote'), [0]);
  t.deepEqual(sentMessages(full.effects).at(-1), { to: 5, msg: shuffleReply([2, 3, 1]) });
});

test("JOIN, isolation 'seedAndPromote': a contact that knows nobody else sends no seed", (t) => {
  const r = stepOnce(node(), recv(5, JOIN), withDecision('isolation', 'seedAndPromote'));
  t.deepEqual(r.effects, [up(5)]);
});

test('JOIN to a full contact evicts the chosen member: DISCONNECT to it, and it moves to the passive view', (t) => {
  // The script picks index 1 of active [1,2,3]: member 2 is the victim.
  const r = stepOnce(node({ active: [1, 2, 3], passive: [6] }), recv(5, JOIN), withDecision('isolation', 'none'), [1]);
  t.deepEqual(r.effects, [...evictionOf(2), up(5), send(1, forwardJoin(5, arwl)), send(3, forwardJoin(5, arwl))]);
  t.deepEqual(r.state.active, [1, 3, 5]);
  t.deepEqual(r.state.passive, [2, 6]);
  t.deepEqual(r.chooser.calls, [{ kind: 'pick', n: 3 }]);
});

test("JOIN from a peer already active, joinFromActive 'ignore': no answer, no change", (t) => {
  const before = node({ active: [1, 5] });
  const r = stepOnce(before, recv(5, JOIN), withDecision('joinFromActive', 'ignore'));
  t.deepEqual(r.effects, []);
  t.deepEqual(views(r.state), views(before));
});

test("JOIN from a peer already active, joinFromActive 'rejoin': keeps it and walks FORWARD_JOIN to the others", (t) => {
  const before = node({ active: [1, 2, 5] });
  const r = stepOnce(before, recv(5, JOIN), config({ decisions: { joinFromActive: 'rejoin', isolation: 'none' } }));
  // No eviction and no neighborUp: the peer is already a neighbour (a restarted node).
  t.deepEqual(r.effects, [send(1, forwardJoin(5, arwl)), send(2, forwardJoin(5, arwl))]);
  t.deepEqual(views(r.state), views(before));
});

test("JOIN to a full contact, joinWhenFull 'redirect': the joiner gets DISCONNECT, goes passive, and the walks still start", (t) => {
  const r = stepOnce(node({ active: [1, 2, 3] }), recv(5, JOIN), config({ decisions: { joinWhenFull: 'redirect', isolation: 'none' } }));
  t.deepEqual(r.effects, [send(5, DISCONNECT), send(1, forwardJoin(5, arwl)), send(2, forwardJoin(5, arwl)), send(3, forwardJoin(5, arwl))]);
  t.deepEqual(r.state.active, [1, 2, 3]);
  t.deepEqual(r.state.passive, [5]);
});

test("JOIN from a passive member, races 'guarded': it leaves the passive view (views stay disjoint)", (t) => {
  const r = stepOnce(node({ active: [1], passive: [5, 6] }), recv(5, JOIN), withDecision('races', 'guarded'));
  t.deepEqual(r.state.active, [1, 5]);
  t.deepEqual(r.state.passive, [6]);
});

test("JOIN from a passive member, races 'unguarded' (paper-literal): it is in both views", (t) => {
  const r = stepOnce(node({ active: [1], passive: [5, 6] }), recv(5, JOIN), withDecision('races', 'unguarded'));
  t.deepEqual(r.state.active, [1, 5]);
  t.deepEqual(r.state.passive, [5, 6]);
});

// ---- FORWARD_JOIN ----------------------------------------------------------------------------

test("FORWARD_JOIN with ttl 0 is accepted; forwardJoinEnd 'notify' tells the new node with NEIGHBOR(HIGH)", (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(1, forwardJoin(5, 0)), withDecision('forwardJoinEnd', 'notify'));
  t.deepEqual(r.effects, [up(5), send(5, HIGH)]);
  t.deepEqual(r.state.active, [1, 2, 5]);
});

test("FORWARD_JOIN with ttl 0 is accepted; forwardJoinEnd 'silent' (paper) tells nobody", (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(1, forwardJoin(5, 0)), withDecision('forwardJoinEnd', 'silent'));
  t.deepEqual(r.effects, [up(5)]);
  t.deepEqual(r.state.active, [1, 2, 5]);
});

test('FORWARD_JOIN accepted at a full node evicts a member first', (t) => {
  const r = stepOnce(node({ active: [1, 2, 3] }), recv(1, forwardJoin(5, 0)), reference, [2]);
  t.deepEqual(r.effects, [...evictionOf(3), up(5), send(5, HIGH)]);
  t.deepEqual(r.state.active, [1, 2, 5]);
  t.deepEqual(r.state.passive, [3]);
});

test('FORWARD_JOIN ending at a node that already has the new node active: nothing to add, no NEIGHBOR', (t) => {
  const r = stepOnce(node({ active: [1, 5] }), recv(1, forwardJoin(5, 0)), reference);
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state.active, [1, 5]);
});

test('FORWARD_JOIN for the node itself ends without adding it', (t) => {
  const r = stepOnce(node({ active: [1] }), recv(1, forwardJoin(SELF, 0)), reference);
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state.active, [1]);
});

for (const lastHop of ['sizeIsOne', 'noOtherPeer'] as const) {
  test(`FORWARD_JOIN to a node whose only active member is the sender stops there (${lastHop})`, (t) => {
    const r = stepOnce(node({ active: [1] }), recv(1, forwardJoin(5, 3)), withDecision('forwardJoinLastHop', lastHop));
    t.deepEqual(r.effects, [up(5), send(5, HIGH)]);
    t.deepEqual(r.state.active, [1, 5]);
  });
}

// The two readings differ when the one active member is not the sender, and when the view is empty.
// asymmetricLink 'ignore' keeps the repair DISCONNECT (tested elsewhere) out of these effects.
test("FORWARD_JOIN, forwardJoinLastHop 'sizeIsOne': one active member that is not the sender still ends the walk", (t) => {
  const cfg = config({ decisions: { forwardJoinLastHop: 'sizeIsOne', asymmetricLink: 'ignore' } });
  const r = stepOnce(node({ active: [2] }), recv(1, forwardJoin(5, 3)), cfg);
  t.deepEqual(r.effects, [up(5), send(5, HIGH)]);
  t.deepEqual(r.state.active, [2, 5]);
});

test("FORWARD_JOIN, forwardJoinLastHop 'noOtherPeer': one active member that is not the sender gets the walk", (t) => {
  const cfg = config({ decisions: { forwardJoinLastHop: 'noOtherPeer', asymmetricLink: 'ignore' } });
  const r = stepOnce(node({ active: [2] }), recv(1, forwardJoin(5, 3)), cfg);
  t.deepEqual(r.effects, [send(2, forwardJoin(5, 2))]);
  t.deepEqual(r.state.active, [2]);
});

test("FORWARD_JOIN, forwardJoinLastHop 'sizeIsOne': at an empty active view the walk is lost", (t) => {
  const cfg = config({ decisions: { forwardJoinLastHop: 'sizeIsOne', asymmetricLink: 'ignore' } });
  const r = stepOnce(node(), recv(1, forwardJoin(5, 3)), cfg);
  t.deepEqual(r.effects, []);
  t.deepEqual(views(r.state), views(node()));
});

test("FORWARD_JOIN, forwardJoinLastHop 'noOtherPeer': an empty active view ends the walk and adds the new node", (t) => {
  const cfg = config({ decisions: { forwardJoinLastHop: 'noOtherPeer', asymmetricLink: 'ignore' } });
  const r = stepOnce(node(), recv(1, forwardJoin(5, 3)), cfg);
  t.deepEqual(r.effects, [up(5), send(5, HIGH)]);
  t.deepEqual(r.state.active, [5]);
});

// Where the walk may go next: the paper excludes only the sender, so it can hand the walk to the
// joining node itself (where it dies); 'noOtherPeer' excludes the joining node too.
test("FORWARD_JOIN, forwardJoinLastHop 'sizeIsOne': with the new node as the only other member, the walk goes to the new node", (t) => {
  const r = stepOnce(node({ active: [1, 5] }), recv(1, forwardJoin(5, 3)), withDecision('forwardJoinLastHop', 'sizeIsOne'));
  t.deepEqual(r.effects, [send(5, forwardJoin(5, 2))]);
});

test("FORWARD_JOIN, forwardJoinLastHop 'noOtherPeer': with the new node as the only other member, the walk ends here", (t) => {
  // Last hop, and the new node is already active: nothing to add.
  const r = stepOnce(node({ active: [1, 5] }), recv(1, forwardJoin(5, 3)), withDecision('forwardJoinLastHop', 'noOtherPeer'));
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state.active, [1, 5]);
});

test("FORWARD_JOIN, forwardJoinLastHop 'noOtherPeer': forwarded to members other than the sender and the new node only", (t) => {
  const r = stepOnce(node({ active: [1, 2, 5] }), recv(1, forwardJoin(5, 3)), withDecision('forwardJoinLastHop', 'noOtherPeer'));
  // One candidate (2): no choice is offered.
  t.deepEqual(r.effects, [send(2, forwardJoin(5, 2))]);
  t.deepEqual(r.chooser.calls, [{ kind: 'pick', n: 1 }]);
});

test('FORWARD_JOIN with ttl == PRWL puts the new node in the passive view and forwards with ttl-1', (t) => {
  // Candidates are the active members other than the sender, [2,3]; the script picks 3.
  const r = stepOnce(node({ active: [1, 2, 3] }), recv(1, forwardJoin(5, prwl)), reference, [1]);
  t.deepEqual(r.effects, [send(3, forwardJoin(5, prwl - 1))]);
  t.deepEqual(r.state.passive, [5]);
  t.deepEqual(r.state.active, [1, 2, 3]);
  t.deepEqual(r.chooser.calls, [{ kind: 'pick', n: 2 }]);
});

for (const ttl of [prwl + 1, prwl - 1]) {
  test(`FORWARD_JOIN with ttl ${ttl} != PRWL (${prwl}) forwards without a passive insertion`, (t) => {
    const r = stepOnce(node({ active: [1, 2, 3] }), recv(1, forwardJoin(5, ttl)), reference, [0]);
    t.deepEqual(r.effects, [send(2, forwardJoin(5, ttl - 1))]);
    t.deepEqual(r.state.passive, []);
  });
}

test('FORWARD_JOIN is never forwarded back to its sender: each pick is among the other members', (t) => {
  const targets = [0, 1].map((pick) => stepOnce(node({ active: [1, 2, 3] }), recv(2, forwardJoin(5, 3)), reference, [pick]).effects);
  t.deepEqual(targets, [[send(1, forwardJoin(5, 2))], [send(3, forwardJoin(5, 2))]]);
});

test('FORWARD_JOIN with ttl == PRWL for a node already active: no passive insertion (views stay disjoint)', (t) => {
  const r = stepOnce(node({ active: [1, 2, 5] }), recv(1, forwardJoin(5, prwl)), reference);
  t.deepEqual(r.effects, [send(2, forwardJoin(5, prwl - 1))]);
  t.deepEqual(r.state.passive, []);
});
