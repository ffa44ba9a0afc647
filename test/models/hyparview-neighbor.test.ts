// Promotion from the passive view (NEIGHBOR, NEIGHBOR_REPLY, the request timeout), DISCONNECT
// and broken links, with decisions 4 races and 5 neighborReject. Node 0 is under test,
// active view of 3, passive view of 4.
import test from 'ava';
import { NONE } from '../../models/hyparview/node.ts';
import { MsgType } from '../../models/hyparview/messages.ts';
import {
  ACCEPT,
  config,
  DISCONNECT,
  down,
  event,
  evictionOf,
  forwardJoin,
  HIGH,
  linkDown,
  LOW,
  neighborTimeout,
  node,
  recv,
  REJECT,
  request,
  send,
  stepAll,
  stepOnce,
  up,
  views,
  withDecision,
} from './helpers.ts';

const reference = config();
const accepted = (peer: number) => [event('neighborAccepted', peer), send(peer, ACCEPT)];

// ---- NEIGHBOR --------------------------------------------------------------------------------

test('NEIGHBOR(HIGH) with a free slot is accepted and answered', (t) => {
  const r = stepOnce(node({ active: [1] }), recv(5, HIGH), reference);
  t.deepEqual(r.effects, [up(5), ...accepted(5)]);
  t.deepEqual(r.state.active, [1, 5]);
});

test('NEIGHBOR(HIGH) at a full node is accepted, evicting the chosen member to the passive view', (t) => {
  const r = stepOnce(node({ active: [1, 2, 3] }), recv(5, HIGH), reference, [2]);
  t.deepEqual(r.effects, [...evictionOf(3), up(5), ...accepted(5)]);
  t.deepEqual(r.state.active, [1, 2, 5]);
  t.deepEqual(r.state.passive, [3]);
});

test('NEIGHBOR(LOW) with a free slot is accepted', (t) => {
  const r = stepOnce(node({ active: [1, 2] }), recv(5, LOW), reference);
  t.deepEqual(r.effects, [up(5), ...accepted(5)]);
  t.deepEqual(r.state.active, [1, 2, 5]);
});

test("NEIGHBOR(LOW) at a full node is rejected with a reply (neighborReject 'reply')", (t) => {
  const before = node({ active: [1, 2, 3] });
  const r = stepOnce(before, recv(5, LOW), withDecision('neighborReject', 'reply'));
  t.deepEqual(r.effects, [send(5, REJECT), event('neighborRejected', 5)]);
  t.deepEqual(views(r.state), views(before));
});

test("NEIGHBOR(LOW) at a full node is rejected silently (neighborReject 'timeout'): the requester must time out", (t) => {
  const before = node({ active: [1, 2, 3] });
  const r = stepOnce(before, recv(5, LOW), withDecision('neighborReject', 'timeout'));
  t.deepEqual(r.effects, [event('neighborRejected', 5)]);
  t.deepEqual(views(r.state), views(before));
});

for (const high of [true, false]) {
  test(`NEIGHBOR(${high ? 'HIGH' : 'LOW'}) from a peer already active is answered with accept and changes nothing`, (t) => {
    const before = node({ active: [1, 2, 5] });
    const r = stepOnce(before, recv(5, high ? HIGH : LOW), reference);
    t.deepEqual(r.effects, [send(5, ACCEPT)]);
    t.deepEqual(views(r.state), views(before));
  });
}

test("NEIGHBOR(LOW) from a passive member, races 'guarded': it moves passive → active", (t) => {
  const r = stepOnce(node({ active: [1], passive: [5, 6] }), recv(5, LOW), reference);
  t.deepEqual(r.state.active, [1, 5]);
  t.deepEqual(r.state.passive, [6]);
});

// ---- NEIGHBOR_REPLY --------------------------------------------------------------------------

test('NEIGHBOR_REPLY(accept) from the pending peer moves it passive → active and continues the refill', (t) => {
  const r = stepOnce(node({ active: [1], passive: [5, 6], pending: 5 }), recv(5, ACCEPT), reference);
  // The view still has a free slot, so the next untried passive peer (6) is asked, with LOW.
  t.deepEqual(r.effects, [up(5), event('promoted', 5), ...request(6, false)]);
  t.deepEqual(views(r.state), { active: [1, 5], passive: [6], pending: 6, tried: [], exchanged: [], abandoned: [] });
});

test('NEIGHBOR_REPLY(accept) that fills the active view ends the refill round (tried is cleared)', (t) => {
  const r = stepOnce(node({ active: [1, 2], passive: [5, 6], pending: 5, tried: [6] }), recv(5, ACCEPT), reference);
  t.deepEqual(r.effects, [up(5), event('promoted', 5)]);
  t.deepEqual(views(r.state), { active: [1, 2, 5], passive: [6], pending: NONE, tried: [], exchanged: [], abandoned: [] });
});

test('NEIGHBOR_REPLY(reject) keeps the peer passive, marks it tried, and asks another', (t) => {
  const r = stepOnce(node({ active: [1], passive: [5, 6], pending: 5 }), recv(5, REJECT), reference);
  t.deepEqual(r.effects, request(6, false));
  t.deepEqual(views(r.state), { active: [1], passive: [5, 6], pending: 6, tried: [5], exchanged: [], abandoned: [] });
});

test('NEIGHBOR_REPLY(reject) with every passive peer tried ends the round (tried is cleared)', (t) => {
  const r = stepOnce(node({ active: [1], passive: [5, 6], pending: 5, tried: [6] }), recv(5, REJECT), reference);
  t.deepEqual(r.effects, []);
  t.deepEqual(views(r.state), { active: [1], passive: [5, 6], pending: NONE, tried: [], exchanged: [], abandoned: [] });
});

test('NEIGHBOR_REPLY(reject) from a pending peer that has left the passive view meanwhile leaves no bookkeeping for it', (t) => {
  // DISCONNECT from 1 moves 1 into the full passive view, evicting 7 (pick 3), whose request is
  // still out; 7's reject must not mark it tried, since it is in neither view any more.
  const [moved, rejected] = stepAll(node({ active: [1, 2], passive: [4, 5, 6, 7], pending: 7 }), reference, [
    [recv(1, DISCONNECT), [3]],
    [recv(7, REJECT), [0]],
  ]);
  t.deepEqual(moved!.state.passive, [1, 4, 5, 6]);
  t.deepEqual(rejected!.effects, request(1, false));
  t.deepEqual(views(rejected!.state), { active: [2], passive: [1, 4, 5, 6], pending: 1, tried: [], exchanged: [], abandoned: [] });
});

test('a refill picks among the untried passive peers only', (t) => {
  const r = stepOnce(node({ active: [1], passive: [5, 6, 7, 8], pending: 5, tried: [6] }), recv(5, REJECT), reference, [1]);
  // Untried after the reject: [7, 8]; the script picks index 1.
  t.deepEqual(r.effects, request(8, false));
  t.deepEqual(r.chooser.calls, [{ kind: 'pick', n: 2 }]);
  t.deepEqual(r.state.tried, [5, 6]);
});

test("a stray NEIGHBOR_REPLY(accept) (no request pending to it), races 'guarded': DISCONNECT back, views unchanged", (t) => {
  const before = node({ active: [1], passive: [5, 6], pending: 6 });
  const r = stepOnce(before, recv(5, ACCEPT), withDecision('races', 'guarded'));
  t.deepEqual(r.effects, [send(5, DISCONNECT)]);
  t.deepEqual(views(r.state), views(before));
});

test("a stray NEIGHBOR_REPLY(accept), races 'unguarded': the peer is added to the active view", (t) => {
  const r = stepOnce(node({ active: [1], passive: [5, 6], pending: 6 }), recv(5, ACCEPT), withDecision('races', 'unguarded'));
  t.deepEqual(r.effects, [up(5)]);
  t.deepEqual(views(r.state), { active: [1, 5], passive: [6], pending: 6, tried: [], exchanged: [], abandoned: [] });
});

for (const races of ['guarded', 'unguarded'] as const) {
  test(`a stray NEIGHBOR_REPLY(reject) is ignored (races '${races}')`, (t) => {
    const before = node({ active: [1], passive: [5] });
    const r = stepOnce(before, recv(5, REJECT), withDecision('races', races));
    t.deepEqual(r.effects, []);
    t.deepEqual(views(r.state), views(before));
  });

  test(`a stray NEIGHBOR_REPLY(accept) from an active member is ignored (races '${races}')`, (t) => {
    // E.g. the answer to the NEIGHBOR(HIGH) a FORWARD_JOIN's last hop sent.
    const before = node({ active: [1, 5] });
    const r = stepOnce(before, recv(5, ACCEPT), withDecision('races', races));
    t.deepEqual(r.effects, []);
    t.deepEqual(views(r.state), views(before));
  });
}

// ---- answers still owed (decision 4 'guarded', with neighborReject 'reply') ------------------
// A request we stop waiting for (made moot, timed out) or a walk-end notification still gets an
// answer. The node remembers one `abandoned` entry per answer owed, consumes that answer without
// acting on it, and does not ask the peer again meanwhile.

test("races 'guarded': adding the pending peer by another path (its own NEIGHBOR) makes our request moot; its answer is owed", (t) => {
  const r = stepOnce(node({ active: [1], passive: [5], pending: 5 }), recv(5, LOW), withDecision('races', 'guarded'));
  t.deepEqual(r.effects, [up(5), ...accepted(5)]);
  t.deepEqual(views(r.state), { active: [1, 5], passive: [], pending: NONE, tried: [], exchanged: [], abandoned: [5] });
});

test("races 'unguarded': adding the pending peer by another path leaves our request pending", (t) => {
  const r = stepOnce(node({ active: [1], passive: [5], pending: 5 }), recv(5, LOW), withDecision('races', 'unguarded'));
  t.is(r.state.pending, 5);
  t.deepEqual(r.state.abandoned, []);
});

test("races 'guarded': the late accept of a moot request cannot re-add a peer evicted meanwhile", (t) => {
  // Crossed requests: 5 asks us while our request to 5 is in flight; we accept 5, then evict it
  // for 6 (DISCONNECT to 5), then 5's answer to our old request arrives.
  const [, evicted, late] = stepAll(node({ active: [1, 2], passive: [5], pending: 5 }), withDecision('races', 'guarded'), [
    [recv(5, LOW)],
    [recv(6, HIGH), [2]],
    [recv(5, ACCEPT)],
  ]);
  t.deepEqual(evicted!.state.active, [1, 2, 6]);
  t.deepEqual(late!.effects, [send(5, DISCONNECT)]);
  t.deepEqual(views(late!.state), { active: [1, 2, 6], passive: [5], pending: NONE, tried: [], exchanged: [], abandoned: [] });
});

test('a walk-end NEIGHBOR(HIGH) notification leaves an answer owed; the answer is consumed', (t) => {
  const [notified, answered] = stepAll(node({ active: [1] }), reference, [[recv(1, forwardJoin(5, 0))], [recv(5, ACCEPT)]]);
  t.deepEqual(notified!.effects, [up(5), send(5, HIGH)]);
  t.deepEqual(notified!.state.abandoned, [5]);
  t.deepEqual(answered!.effects, []);
  t.deepEqual(views(answered!.state), { active: [1, 5], passive: [], pending: NONE, tried: [], exchanged: [], abandoned: [] });
});

for (const [key, value] of [
  ['races', 'unguarded'],
  ['neighborReject', 'timeout'],
] as const) {
  test(`no answer is tracked as owed with ${key} '${value}'`, (t) => {
    // Unguarded nodes take any answer as it comes; without rejection replies no answer may ever come.
    const cfg = withDecision(key, value);
    t.deepEqual(stepOnce(node({ active: [1], passive: [6, 7], pending: 6 }), neighborTimeout(6), cfg).state.abandoned, []);
    t.deepEqual(stepOnce(node({ active: [1] }), recv(1, forwardJoin(5, 0)), cfg).state.abandoned, []);
  });
}

test('an owed reject is consumed, and frees the peer to be asked again', (t) => {
  const r = stepOnce(node({ active: [1], passive: [5], abandoned: [5] }), recv(5, REJECT), reference);
  t.deepEqual(r.effects, request(5, false));
  t.deepEqual(views(r.state), { active: [1], passive: [5], pending: 5, tried: [], exchanged: [], abandoned: [] });
});

test("an owed accept from a peer we do not hold is consumed and answered with DISCONNECT (races 'guarded')", (t) => {
  const r = stepOnce(node({ active: [1], passive: [5, 6], pending: 6, abandoned: [5] }), recv(5, ACCEPT), reference);
  t.deepEqual(r.effects, [send(5, DISCONNECT)]);
  t.deepEqual(views(r.state), { active: [1], passive: [5, 6], pending: 6, tried: [], exchanged: [], abandoned: [] });
});

test('one entry per answer owed: two owed answers take two replies', (t) => {
  const [first, second] = stepAll(node({ active: [1, 5], abandoned: [5, 5] }), reference, [[recv(5, ACCEPT)], [recv(5, ACCEPT)]]);
  t.deepEqual(first!.state.abandoned, [5]);
  t.deepEqual(second!.state.abandoned, []);
});

test('a refill does not ask a peer that still owes an answer', (t) => {
  // DISCONNECT from 2 starts a refill among passive [2,5,6] minus the owed 5: the script picks 6 of [2,6].
  const r = stepOnce(node({ active: [1, 2], passive: [5, 6], abandoned: [5] }), recv(2, DISCONNECT), reference, [1]);
  t.deepEqual(r.effects, [down(2), ...request(6, false)]);
  t.deepEqual(r.chooser.calls, [{ kind: 'pick', n: 2 }]);
});

test('linkDown forgets every answer owed over the broken link', (t) => {
  const r = stepOnce(node({ active: [1, 5], abandoned: [5, 5] }), linkDown(5), withDecision('isolation', 'none'));
  t.deepEqual(r.effects, [down(5)]);
  t.deepEqual(r.state.abandoned, []);
});

// ---- the NEIGHBOR timeout --------------------------------------------------------------------

test('neighborTimeout for the pending peer marks it tried and asks the next one', (t) => {
  const r = stepOnce(node({ active: [1], passive: [6, 7], pending: 6 }), neighborTimeout(6), reference);
  t.deepEqual(r.effects, [event('neighborTimedOut', 6), ...request(7, false)]);
  // The timed-out request's answer may still come: it is owed, and consumed when it does.
  t.deepEqual(views(r.state), { active: [1], passive: [6, 7], pending: 7, tried: [6], exchanged: [], abandoned: [6] });
});

test('neighborTimeout for a peer that is not pending (a stale timer) does nothing', (t) => {
  for (const pending of [7, NONE]) {
    const before = node({ active: [1], passive: [6, 7], pending });
    const r = stepOnce(before, neighborTimeout(6), reference);
    t.deepEqual(r.effects, [], `pending ${pending}`);
    t.deepEqual(views(r.state), views(before), `pending ${pending}`);
  }
});

// ---- DISCONNECT ------------------------------------------------------------------------------

test('DISCONNECT from an active member moves it to the passive view and starts a refill', (t) => {
  // Untried passive peers after the move: [1, 6]; the script picks 6.
  const r = stepOnce(node({ active: [1, 2], passive: [6] }), recv(1, DISCONNECT), reference, [1]);
  t.deepEqual(r.effects, [down(1), ...request(6, false)]);
  t.deepEqual(views(r.state), { active: [2], passive: [1, 6], pending: 6, tried: [], exchanged: [], abandoned: [] });
});

test('DISCONNECT from the last active member refills with HIGH priority', (t) => {
  const r = stepOnce(node({ active: [1], passive: [6] }), recv(1, DISCONNECT), reference, [1]);
  t.deepEqual(r.effects, [down(1), ...request(6, true)]);
  t.deepEqual(r.state.active, []);
});

test("DISCONNECT from a non-neighbour, races 'guarded': ignored", (t) => {
  const before = node({ active: [1], passive: [6] });
  const r = stepOnce(before, recv(5, DISCONNECT), withDecision('races', 'guarded'));
  t.deepEqual(r.effects, []);
  t.deepEqual(views(r.state), views(before));
});

test("DISCONNECT from a non-neighbour, races 'unguarded': the sender is added to the passive view", (t) => {
  const r = stepOnce(node({ active: [1], passive: [6] }), recv(5, DISCONNECT), withDecision('races', 'unguarded'));
  t.deepEqual(r.effects, []);
  t.deepEqual(views(r.state), { active: [1], passive: [5, 6], pending: NONE, tried: [], exchanged: [], abandoned: [] });
});

// ---- broken links ----------------------------------------------------------------------------

// isolation 'none' is the paper: a broken link means a dead peer, forgotten at once.
const paperLinks = withDecision('isolation', 'none');
// isolation 'seedAndPromote' (reference) keeps the peer as a passive candidate: a broken link is
// not always a dead peer, and asking a dead one fails (linkDown of the pending target drops it).
const keepLinks = withDecision('isolation', 'seedAndPromote');

test("linkDown of an active member, isolation 'none': removed, and not kept as a passive candidate", (t) => {
  const r = stepOnce(node({ active: [1, 2] }), linkDown(1), paperLinks);
  t.deepEqual(r.effects, [down(1)]);
  t.deepEqual(views(r.state), { active: [2], passive: [], pending: NONE, tried: [], exchanged: [], abandoned: [] });
});

test("linkDown of an active member, isolation 'seedAndPromote': removed and kept in the passive view, then asked again", (t) => {
  const r = stepOnce(node({ active: [1, 2] }), linkDown(1), keepLinks);
  t.deepEqual(r.effects, [down(1), ...request(1, false)]);
  t.deepEqual(views(r.state), { active: [2], passive: [1], pending: 1, tried: [], exchanged: [], abandoned: [] });
});

test('linkDown leaving the active view empty refills with NEIGHBOR(HIGH)', (t) => {
  const r = stepOnce(node({ active: [1], passive: [6] }), linkDown(1), paperLinks);
  t.deepEqual(r.effects, [down(1), ...request(6, true)]);
  t.deepEqual(views(r.state), { active: [], passive: [6], pending: 6, tried: [], exchanged: [], abandoned: [] });
  // The reference picks among [1, 6]: the script picks 6.
  const kept = stepOnce(node({ active: [1], passive: [6] }), linkDown(1), keepLinks, [1]);
  t.deepEqual(kept.effects, [down(1), ...request(6, true)]);
  t.deepEqual(kept.state.passive, [1, 6]);
});

test('linkDown leaving other active members refills with NEIGHBOR(LOW)', (t) => {
  const r = stepOnce(node({ active: [1, 2], passive: [6] }), linkDown(1), paperLinks);
  t.deepEqual(r.effects, [down(1), ...request(6, false)]);
  t.deepEqual(r.state.pending, 6);
});

const dropFailed = (isolation: 'none' | 'seedAndPromote') => config({ decisions: { isolation, failedCandidate: 'drop' } });
for (const cfg of [dropFailed('none'), dropFailed('seedAndPromote')]) {
  test(`linkDown of the pending target (connection failed), failedCandidate 'drop': dropped from the passive view, the next one asked (isolation '${cfg.decisions.isolation}')`, (t) => {
    const r = stepOnce(node({ active: [1], passive: [6, 7], pending: 6 }), linkDown(6), cfg);
    t.deepEqual(r.effects, request(7, false));
    t.deepEqual(views(r.state), { active: [1], passive: [7], pending: 7, tried: [], exchanged: [], abandoned: [] });
  });
}

test("linkDown of the pending target, failedCandidate 'keep': kept as tried in the passive view, the next one asked", (t) => {
  const r = stepOnce(node({ active: [1], passive: [6, 7], pending: 6 }), linkDown(6), reference);
  t.deepEqual(r.effects, request(7, false));
  t.deepEqual(views(r.state), { active: [1], passive: [6, 7], pending: 7, tried: [6], exchanged: [], abandoned: [] });
});

test("failedCandidate 'keep': once every candidate failed, the next cycle asks them again (a healed partition reconnects)", (t) => {
  const failed = stepOnce(node({ active: [1], passive: [6, 7], pending: 7, tried: [6] }), linkDown(7), reference);
  t.deepEqual(failed.effects, []);
  t.deepEqual(views(failed.state), { active: [1], passive: [6, 7], pending: NONE, tried: [], exchanged: [], abandoned: [] });
  const cycle = stepOnce(failed.state, { t: 'shuffleTimer' }, reference, [0]);
  t.true(cycle.effects.some((e) => e.t === 'send' && e.msg.t === MsgType.Neighbor && (e.to === 6 || e.to === 7)), JSON.stringify(cycle.effects));
});

test("linkDown of the pending target that was also tried, failedCandidate 'drop', leaves no bookkeeping behind", (t) => {
  // tried is a subset of passive: dropping the peer from passive also drops it from tried.
  const r = stepOnce(node({ active: [1], passive: [6, 7], pending: 6, tried: [6, 7] }), linkDown(6), dropFailed('none'));
  t.deepEqual(r.effects, []);
  t.deepEqual(views(r.state), { active: [1], passive: [7], pending: NONE, tried: [], exchanged: [], abandoned: [] });
});
