// The shuffle cycle (timer, SHUFFLE, SHUFFLE_REPLY, passive merging), the asymmetric-link
// repair and passive-view capacity, with decisions 3 asymmetricLink, 8 isolation and
// 9 shuffleReply. Node 0 is under test: active 3, passive 4, ka 2, kp 2, shuffle walk 3.
import test from 'ava';
import { NONE, SWAP_ODDS } from '../../models/hyparview/node.ts';
import {
  ACCEPT,
  config,
  DISCONNECT,
  evictionOf,
  down,
  event,
  forwardJoin,
  node,
  recv,
  request,
  SELF,
  send,
  shuffle,
  shuffleReply,
  shuffleTimer,
  stepOnce,
  TEST_PARAMETERS,
  up,
  views,
  withDecision,
} from './helpers.ts';

const reference = config();
const noSwap = withDecision('fullViewSwap', 'never');
const { shuffleWalk } = TEST_PARAMETERS;

// ---- the shuffle timer -----------------------------------------------------------------------

test('shuffle timer: SHUFFLE(self, ka active + kp passive ids, walk) to a random active member; the ids are remembered', (t) => {
  // Selection sampling asks one yes/no per element while a choice remains:
  // active [1,2,3] → yes, no, (forced) yes = [1,3]; passive [4,5,6] → no, (forced) yes, yes = [5,6].
  // Then pick(3) = 1 sends it to active member 2.
  const r = stepOnce(node({ active: [1, 2, 3], passive: [4, 5, 6] }), shuffleTimer(), noSwap, [1, 0, 0, 1]);
  t.deepEqual(r.effects, [send(2, shuffle(SELF, [1, 3, 5, 6], shuffleWalk))]);
  t.deepEqual(r.state.exchanged, [1, 3, 5, 6]);
  t.deepEqual(r.chooser.calls, [
    { kind: 'chance', k: 2, n: 3 },
    { kind: 'chance', k: 1, n: 2 },
    { kind: 'chance', k: 1, n: 1 },
    { kind: 'chance', k: 2, n: 3 },
    { kind: 'chance', k: 2, n: 2 },
    { kind: 'chance', k: 1, n: 1 },
    { kind: 'pick', n: 3 },
  ]);
});

test("shuffle timer with a full active view, fullViewSwap 'sometimes': one cycle in SWAP_ODDS, NEIGHBOR(HIGH) to a random passive peer, then the shuffle", (t) => {
  const full = node({ active: [1, 2, 3], passive: [4, 5, 6] });
  // chance(1, SWAP_ODDS) yes, pick(3) = 2 (peer 6); then the shuffle as above.
  const r = stepOnce(full, shuffleTimer(), reference, [1, 2, 1, 0, 0, 1]);
  t.deepEqual(r.effects, [...request(6, true), send(2, shuffle(SELF, [1, 3, 5, 6], shuffleWalk))]);
  t.is(r.state.pending, 6);
  t.deepEqual(r.chooser.calls[0], { kind: 'chance', k: 1, n: SWAP_ODDS });
  // The other cycles: no request.
  const quiet = stepOnce(full, shuffleTimer(), reference, [0, 1, 0, 0, 1]);
  t.deepEqual(quiet.effects, [send(2, shuffle(SELF, [1, 3, 5, 6], shuffleWalk))]);
  t.is(quiet.state.pending, NONE);
});

test("fullViewSwap: the swapped-in peer's acceptance evicts one of our neighbours (DISCONNECT), as at the peer", (t) => {
  const asked = node({ active: [1, 2, 3], passive: [4, 5, 6], pending: 6 });
  const r = stepOnce(asked, recv(6, ACCEPT), reference, [0]);
  t.deepEqual(r.effects, [...evictionOf(1), up(6), event('promoted', 6)]);
  t.deepEqual(r.state.active, [2, 3, 6]);
  t.true(r.state.passive.includes(1));
});

test("fullViewSwap: never with a free active slot (the refill asks instead) nor while a request is pending", (t) => {
  const roomy = stepOnce(node({ active: [1, 2], passive: [4] }), shuffleTimer(), withDecision('isolation', 'none'), [0]);
  t.false(roomy.chooser.calls.some((c) => c.kind === 'chance' && c.n === SWAP_ODDS));
  const busy = stepOnce(node({ active: [1, 2, 3], passive: [4, 5], pending: 5 }), shuffleTimer(), reference, [1, 0, 0]);
  t.false(busy.chooser.calls.some((c) => c.kind === 'chance' && c.n === SWAP_ODDS));
});

test('shuffle timer with views smaller than ka and kp sends everything it has', (t) => {
  const r = stepOnce(node({ active: [2], passive: [7] }), shuffleTimer(), withDecision('isolation', 'none'));
  t.deepEqual(r.effects, [send(2, shuffle(SELF, [2, 7], shuffleWalk))]);
  t.deepEqual(r.state.exchanged, [2, 7]);
});

test("shuffle timer, isolation 'seedAndPromote': a node with a free active slot also asks a passive peer (LOW)", (t) => {
  const r = stepOnce(node({ active: [1], passive: [5] }), shuffleTimer(), withDecision('isolation', 'seedAndPromote'));
  t.deepEqual(r.effects, [...request(5, false), send(1, shuffle(SELF, [1, 5], shuffleWalk))]);
  t.is(r.state.pending, 5);
});

test("shuffle timer, isolation 'none': no promotion, only the shuffle", (t) => {
  const r = stepOnce(node({ active: [1], passive: [5] }), shuffleTimer(), withDecision('isolation', 'none'));
  t.deepEqual(r.effects, [send(1, shuffle(SELF, [1, 5], shuffleWalk))]);
  t.is(r.state.pending, NONE);
});

test("shuffle timer at an isolated node, isolation 'seedAndPromote': NEIGHBOR(HIGH) and no shuffle", (t) => {
  const r = stepOnce(node({ passive: [5] }), shuffleTimer(), withDecision('isolation', 'seedAndPromote'));
  t.deepEqual(r.effects, request(5, true));
  t.deepEqual(r.state.exchanged, []);
});

test("shuffle timer at an isolated node, isolation 'none': nothing at all", (t) => {
  const before = node({ passive: [5] });
  const r = stepOnce(before, shuffleTimer(), withDecision('isolation', 'none'));
  t.deepEqual(r.effects, []);
  t.deepEqual(views(r.state), views(before));
});

test("shuffle timer, isolation 'seedAndPromote': no new request while one is pending", (t) => {
  // Only the shuffle; with views no larger than ka and kp every id is sent without a choice.
  const r = stepOnce(node({ active: [1], passive: [5, 6], pending: 5 }), shuffleTimer(), withDecision('isolation', 'seedAndPromote'));
  t.deepEqual(r.effects, [send(1, shuffle(SELF, [1, 5, 6], shuffleWalk))]);
  t.is(r.state.pending, 5);
});

// ---- SHUFFLE ---------------------------------------------------------------------------------

test('SHUFFLE with ttl-1 > 0 at a node with more than one active member is forwarded, never back to the sender', (t) => {
  const sent = [0, 1].map((pick) => stepOnce(node({ active: [1, 2, 3] }), recv(2, shuffle(9, [7, 8], 3)), reference, [pick]).effects);
  t.deepEqual(sent, [[send(1, shuffle(9, [7, 8], 2))], [send(3, shuffle(9, [7, 8], 2))]]);
});

test('a forwarded SHUFFLE leaves the views alone', (t) => {
  const before = node({ active: [1, 2, 3], passive: [4] });
  const r = stepOnce(before, recv(1, shuffle(9, [7, 8], 3)), reference, [0]);
  t.deepEqual(views(r.state), views(before));
});

test("SHUFFLE with ttl-1 == 0 is accepted: SHUFFLE_REPLY to the origin, filled from the active view ('fillFromActive')", (t) => {
  // It received 2 ids + the origin, so it answers 3: passive [4,5] and one active member (the
  // script skips 1 and takes 2). Merging 9, 7, 8 into a passive view of 4 evicts one of the
  // ids just sent (4 or 5; the script picks 4).
  const r = stepOnce(node({ active: [1, 2, 3], passive: [4, 5] }), recv(1, shuffle(9, [7, 8], 1)), withDecision('shuffleReply', 'fillFromActive'), [0, 1, 0]);
  t.deepEqual(r.effects, [send(9, shuffleReply([4, 5, 2]))]);
  t.deepEqual(r.state.passive, [5, 7, 8, 9]);
  t.deepEqual(r.state.active, [1, 2, 3]);
});

test("SHUFFLE accepted with a short passive view, shuffleReply 'passiveOnly': the reply has fewer ids", (t) => {
  const r = stepOnce(node({ active: [1, 2, 3], passive: [4, 5] }), recv(1, shuffle(9, [7, 8], 1)), withDecision('shuffleReply', 'passiveOnly'), [0]);
  t.deepEqual(r.effects, [send(9, shuffleReply([4, 5]))]);
  t.deepEqual(r.state.passive, [5, 7, 8, 9]);
});

test('SHUFFLE at a node with only one active member is accepted even with ttl left', (t) => {
  const r = stepOnce(node({ active: [1] }), recv(1, shuffle(9, [7], 3)), reference);
  // Empty passive view: the reply is filled from the active view (minus the origin).
  t.deepEqual(r.effects, [send(9, shuffleReply([1]))]);
  t.deepEqual(r.state.passive, [7, 9]);
});

test('SHUFFLE_REPLY holds as many ids as were received plus one, and merging evicts the ids sent first', (t) => {
  // Full passive [2,3,4,5]; wanted 2: sampling takes 2 and 4 (yes, no, yes).
  // Merging 9: full, evict among the sent [2,4] → pick 0 = 2. Merging 7: full, only 4 left of the sent ids.
  const r = stepOnce(node({ active: [1], passive: [2, 3, 4, 5] }), recv(1, shuffle(9, [7], 1)), reference, [1, 0, 1, 0]);
  t.deepEqual(r.effects, [send(9, shuffleReply([2, 4]))]);
  t.deepEqual(r.state.passive, [3, 5, 7, 9]);
  t.deepEqual(r.chooser.calls.filter((c) => c.kind === 'pick'), [{ kind: 'pick', n: 2 }, { kind: 'pick', n: 1 }]);
});

test('SHUFFLE_REPLY never offers the origin its own id', (t) => {
  const r = stepOnce(node({ active: [1], passive: [4, 9] }), recv(1, shuffle(9, [], 1)), withDecision('shuffleReply', 'passiveOnly'));
  t.deepEqual(r.effects, [send(9, shuffleReply([4]))]);
});

test('merging a SHUFFLE skips the node itself and ids already in either view', (t) => {
  const r = stepOnce(node({ active: [1, 2], passive: [4] }), recv(1, shuffle(9, [SELF, 1, 4, 7], 1)), reference);
  t.deepEqual(r.effects, [send(9, shuffleReply([4, 1, 2]))]);
  t.deepEqual(views(r.state), { active: [1, 2], passive: [4, 7, 9], pending: NONE, tried: [], exchanged: [], abandoned: [] });
});

test("a node's own SHUFFLE coming back to it is dropped", (t) => {
  const before = node({ active: [1], passive: [4] });
  const r = stepOnce(before, recv(1, shuffle(SELF, [1, 4], 1)), reference);
  t.deepEqual(r.effects, []);
  t.deepEqual(views(r.state), views(before));
});

// ---- SHUFFLE_REPLY ---------------------------------------------------------------------------

test('SHUFFLE_REPLY is merged evicting the ids of our own exchange first, then forgets the exchange', (t) => {
  // Full passive [4,5,6,7], exchanged [4,5]: 8 evicts 5 (pick 1 of [4,5]), then 3 evicts 4.
  const r = stepOnce(node({ passive: [4, 5, 6, 7], exchanged: [4, 5] }), recv(9, shuffleReply([8, 3])), reference, [1]);
  t.deepEqual(r.effects, [event('shuffleCompleted', NONE)]);
  t.deepEqual(views(r.state), { active: [], passive: [3, 6, 7, 8], pending: NONE, tried: [], exchanged: [], abandoned: [] });
});

test('SHUFFLE_REPLY with no exchange of ours outstanding (a JOIN seed) is merged, evicting at random, and completes no shuffle', (t) => {
  const r = stepOnce(node({ passive: [4, 5, 6, 7] }), recv(9, shuffleReply([8])), reference, [2]);
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state.passive, [4, 5, 7, 8]);
  t.deepEqual(r.chooser.calls, [{ kind: 'pick', n: 4 }]);
});

test('SHUFFLE_REPLY skips self and known ids', (t) => {
  const r = stepOnce(node({ active: [1], passive: [4] }), recv(9, shuffleReply([SELF, 1, 4, 6])), reference);
  t.deepEqual(r.state.passive, [4, 6]);
  t.deepEqual(r.state.active, [1]);
});

// ---- asymmetric links ------------------------------------------------------------------------

test("FORWARD_JOIN over a link we do not hold, asymmetricLink 'disconnect': DISCONNECT to the sender, then the walk goes on", (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(7, forwardJoin(5, 3)), withDecision('asymmetricLink', 'disconnect'), [0]);
  t.deepEqual(r.effects, [send(7, DISCONNECT), event('asymmetryRepaired', 7), send(1, forwardJoin(5, 2))]);
});

test("FORWARD_JOIN over a link we do not hold, asymmetricLink 'ignore': only the walk", (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(7, forwardJoin(5, 3)), withDecision('asymmetricLink', 'ignore'), [0]);
  t.deepEqual(r.effects, [send(1, forwardJoin(5, 2))]);
});

test("SHUFFLE over a link we do not hold, asymmetricLink 'disconnect': DISCONNECT to the sender, then the walk goes on", (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(7, shuffle(9, [8], 3)), withDecision('asymmetricLink', 'disconnect'), [1]);
  t.deepEqual(r.effects, [send(7, DISCONNECT), event('asymmetryRepaired', 7), send(2, shuffle(9, [8], 2))]);
});

test("SHUFFLE over a link we do not hold, asymmetricLink 'ignore': only the walk", (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(7, shuffle(9, [8], 3)), withDecision('asymmetricLink', 'ignore'), [1]);
  t.deepEqual(r.effects, [send(2, shuffle(9, [8], 2))]);
});

test('a walk from the peer our NEIGHBOR request is pending to is not repaired (the DISCONNECT would undo the link the request makes)', (t) => {
  const r = stepOnce(node({ active: [1, 2], passive: [7], pending: 7 }), recv(7, forwardJoin(5, 3)), withDecision('asymmetricLink', 'disconnect'), [0]);
  t.deepEqual(r.effects, [send(1, forwardJoin(5, 2))]);
});

test('a walk over a link we hold is not repaired', (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(1, forwardJoin(5, 3)), withDecision('asymmetricLink', 'disconnect'));
  t.deepEqual(r.effects, [send(2, forwardJoin(5, 2))]);
});

// ---- passive-view capacity -------------------------------------------------------------------

test('a passive insertion into a full passive view evicts a random member (and its refill bookkeeping)', (t) => {
  // DISCONNECT moves 1 into passive [5,6,7,8]: the script evicts index 2 = 7, which was tried.
  // A request is pending, so no refill starts.
  const r = stepOnce(node({ active: [1, 2], passive: [5, 6, 7, 8], pending: 5, tried: [7] }), recv(1, DISCONNECT), reference, [2]);
  t.deepEqual(r.effects, [down(1)]);
  t.deepEqual(views(r.state), { active: [2], passive: [1, 5, 6, 8], pending: 5, tried: [], exchanged: [], abandoned: [] });
});

test('a passive view of capacity 0 never holds anything', (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(1, DISCONNECT), config({ passiveSize: 0 }));
  t.deepEqual(r.effects, [down(1)]);
  t.deepEqual(r.state.passive, []);
});

test('a shuffle merge of more ids than fit keeps the passive view at capacity, sent ids evicted first', (t) => {
  // Reply [2,3] (all of passive). Merging 9, 5 fills the view; 6 evicts 2 (pick 0 of [2,3]),
  // 7 evicts 3 (the last sent id), 8 evicts at random (pick 0 of [5,6,7,9] = 5).
  const r = stepOnce(node({ active: [1], passive: [2, 3] }), recv(1, shuffle(9, [5, 6, 7, 8], 1)), withDecision('shuffleReply', 'passiveOnly'), [0, 0]);
  t.deepEqual(r.effects, [send(9, shuffleReply([2, 3]))]);
  t.deepEqual(r.state.passive, [6, 7, 8, 9]);
  t.deepEqual(r.chooser.calls, [{ kind: 'pick', n: 2 }, { kind: 'pick', n: 1 }, { kind: 'pick', n: 4 }]);
});
