// Each injected bug in models/hyparview/mutants.ts changes the node's behaviour on a concrete
// input: the same state and input give different effects or views with the mutant than with
// the reference. This proves every mutant hook in node.ts is live (a dead hook would make the
// mutation suite's "caught" results meaningless).
import test, { type ExecutionContext } from 'ava';
import { MUTANTS, type MutantName } from '../../models/hyparview/mutants.ts';
import type { Input, NodeState } from '../../models/hyparview/node.ts';
import { messageFailures } from '../../properties/messages.ts';
import {
  ACCEPT,
  arm,
  config,
  down,
  DISCONNECT,
  event,
  forwardJoin,
  HIGH,
  JOIN,
  linkDown,
  LOW,
  node,
  recv,
  REJECT,
  request,
  SELF,
  send,
  sentMessages,
  shuffle,
  shuffleReply,
  shuffleTimer,
  type StepResult,
  stepOnce,
  TEST_PARAMETERS,
  up,
} from './helpers.ts';

interface MutantCase {
  readonly state: NodeState;
  readonly input: Input;
  /** Choices the reference and the mutant make (they can differ: the mutant may skip one). */
  readonly referenceScript?: readonly number[];
  readonly mutantScript?: readonly number[];
  /** What the mutant does that the reference does not. */
  readonly expect: (t: ExecutionContext, reference: StepResult, mutant: StepResult) => void;
}

const full = [1, 2, 3];

/** The message properties (properties/messages.ts) one step breaks, by name. */
function brokenBy(state: NodeState, input: Input, r: StepResult, mutant?: MutantName): string[] {
  const sent = sentMessages(r.effects);
  return (messageFailures({ id: state.id, input, before: state, after: r.state, sent }, config({ mutant })) ?? []).map((f) => f.property);
}

/** The reference's step keeps `property`; the mutant's breaks it. */
function caughtBy(t: ExecutionContext, c: Pick<MutantCase, 'state' | 'input'>, ref: StepResult, mut: StepResult, property: string): void {
  t.deepEqual(brokenBy(c.state, c.input, ref), []);
  t.deepEqual(brokenBy(c.state, c.input, mut), [property]);
}

const CASES: Record<MutantName, MutantCase> = {
  'evict-without-disconnect': {
    state: node({ active: full }),
    input: recv(5, JOIN),
    referenceScript: [0],
    mutantScript: [0],
    expect: (t, ref, mut) => {
      t.true(sentMessages(ref.effects).some((m) => m.to === 1 && m.msg.t === DISCONNECT.t));
      t.deepEqual(sentMessages(mut.effects).filter((m) => m.to === 1), []);
      t.deepEqual(mut.state.active, [2, 3, 5]); // still evicted, just silently
    },
  },
  'accept-low-when-full': {
    state: node({ active: full }),
    input: recv(5, LOW),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.active, full);
      t.deepEqual(mut.state.active, [1, 2, 3, 5]);
    },
  },
  'active-keeps-passive': {
    state: node({ active: [1], passive: [5], pending: 5 }),
    input: recv(5, ACCEPT),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.passive, []);
      t.deepEqual(mut.state.active, [1, 5]);
      t.deepEqual(mut.state.passive, [5]);
    },
  },
  'ignore-link-down': {
    state: node({ active: [1, 2] }),
    input: linkDown(1),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.active, [2]);
      t.deepEqual(mut.state.active, [1, 2]);
      t.false(mut.effects.some((e) => e.t === 'neighborDown'));
    },
  },
  'merge-self-into-passive': {
    state: node(),
    input: recv(9, shuffleReply([SELF, 7])),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.passive, [7]);
      t.deepEqual(mut.state.passive, [SELF, 7]);
    },
  },
  'merge-active-into-passive': {
    state: node({ active: [1] }),
    input: recv(9, shuffleReply([1, 7])),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.passive, [7]);
      t.deepEqual(mut.state.passive, [1, 7]);
    },
  },
  'passive-capacity-off-by-one': {
    state: node({ passive: [5, 6, 7, 8] }),
    input: recv(9, shuffleReply([4])),
    referenceScript: [0], // the reference evicts 5 to make room; the mutant has room for one more
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.passive, [4, 6, 7, 8]);
      t.deepEqual(mut.state.passive, [4, 5, 6, 7, 8]);
      t.is(mut.state.passive.length, TEST_PARAMETERS.passiveSize + 1);
    },
  },
  'disconnect-keeps-active': {
    state: node({ active: [1, 2] }),
    input: recv(1, DISCONNECT),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.active, [2]);
      t.deepEqual(mut.state.active, [1, 2]);
      t.deepEqual(mut.state.passive, [1]);
    },
  },
  'reject-read-as-accept': {
    state: node({ active: [1], passive: [5], pending: 5 }),
    input: recv(5, REJECT),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.active, [1]);
      t.deepEqual(mut.state.active, [1, 5]);
      t.deepEqual(mut.effects, [up(5), event('promoted', 5)]);
    },
  },
  'accept-without-reply': {
    state: node({ active: [1] }),
    input: recv(5, LOW),
    expect: (t, ref, mut) => {
      t.deepEqual(sentMessages(ref.effects), [{ to: 5, msg: ACCEPT }]);
      t.deepEqual(mut.state.active, [1, 5]);
      t.deepEqual(sentMessages(mut.effects), []);
    },
  },
  'join-without-evict': {
    state: node({ active: full }),
    input: recv(5, JOIN),
    referenceScript: [0],
    mutantScript: [1, 0], // the contact's seed samples 2 of the 3 other members
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.active, [2, 3, 5]);
      t.deepEqual(mut.state.active, [1, 2, 3, 5]);
      t.deepEqual(
        sentMessages(mut.effects).filter((m) => m.msg.t === forwardJoin(0, 0).t),
        full.map((to) => ({ to, msg: forwardJoin(5, TEST_PARAMETERS.arwl) })),
      );
    },
  },
  'high-priority-read-as-low': {
    state: node({ active: full }),
    input: recv(5, HIGH),
    referenceScript: [0],
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.active, [2, 3, 5]);
      t.deepEqual(mut.state.active, full);
      t.deepEqual(mut.effects, [send(5, REJECT), event('neighborRejected', 5)]);
    },
  },
  'neighbor-without-timeout': {
    state: node({ active: [1], passive: [5] }),
    input: recv(1, DISCONNECT),
    referenceScript: [1], // candidates [1,5]: ask 5
    mutantScript: [1],
    expect: (t, ref, mut) => {
      t.deepEqual(ref.effects, [down(1), ...request(5, true)]);
      t.deepEqual(mut.effects, [down(1), send(5, HIGH)]);
      t.is(mut.state.pending, 5);
      t.false(mut.effects.some((e) => e.t === arm(5).t));
    },
  },
  'retry-dead-candidate': {
    state: node({ active: [1], passive: [5, 6], pending: 5 }),
    input: linkDown(5),
    mutantScript: [0], // candidates [5,6]: the mutant picks the dead 5 again
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.tried, [5]);
      t.deepEqual(ref.effects, request(6, false));
      t.deepEqual(mut.state.tried, []);
      t.deepEqual(mut.effects, request(5, false));
    },
  },
  'retry-rejecting-peer': {
    state: node({ active: [1], passive: [5, 6], pending: 5 }),
    input: recv(5, REJECT),
    mutantScript: [0], // candidates [5,6]: the mutant picks 5, which just said no, again
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.tried, [5]);
      t.deepEqual(ref.effects, request(6, false));
      t.deepEqual(mut.state.tried, []);
      t.deepEqual(mut.effects, request(5, false));
    },
  },
  'forward-join-ttl-twice': {
    state: node({ active: [1, 2] }),
    input: recv(1, forwardJoin(5, 3)),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.effects, [send(2, forwardJoin(5, 2))]);
      t.deepEqual(mut.effects, [send(2, forwardJoin(5, 1))]);
      caughtBy(t, CASES['forward-join-ttl-twice'], ref, mut, 'walk-ttl');
    },
  },
  'forward-join-ttl-never-decremented': {
    state: node({ active: [1, 2] }),
    input: recv(1, forwardJoin(5, 3)),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.effects, [send(2, forwardJoin(5, 2))]);
      t.deepEqual(mut.effects, [send(2, forwardJoin(5, 3))]);
      caughtBy(t, CASES['forward-join-ttl-never-decremented'], ref, mut, 'walk-ttl');
    },
  },
  'passive-at-wrong-hop': {
    state: node({ active: [1, 2] }),
    input: recv(1, forwardJoin(5, TEST_PARAMETERS.arwl)),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.state.passive, []);
      t.deepEqual(mut.state.passive, [5]);
      caughtBy(t, CASES['passive-at-wrong-hop'], ref, mut, 'passive-at-prwl');
    },
  },
  'shuffle-reply-to-sender': {
    state: node({ active: [1], passive: [6] }),
    input: recv(1, shuffle(7, [8], 1)),
    expect: (t, ref, mut) => {
      t.deepEqual(sentMessages(ref.effects), [{ to: 7, msg: shuffleReply([6, 1]) }]);
      t.deepEqual(sentMessages(mut.effects), [{ to: 1, msg: shuffleReply([6, 1]) }]);
      caughtBy(t, CASES['shuffle-reply-to-sender'], ref, mut, 'shuffle-reply-to-origin');
    },
  },
  'refill-low-when-full': {
    state: node({ active: full, passive: [5] }),
    input: shuffleTimer(),
    referenceScript: [0, 1, 1, 0], // no swap this cycle; the shuffle takes 1 and 2 of the active view, goes to 1
    mutantScript: [1, 1, 0], // the mutant asks 5, so the swap is skipped (a request is pending)
    expect: (t, ref, mut) => {
      t.deepEqual(ref.effects, [send(1, shuffle(SELF, [1, 2, 5], TEST_PARAMETERS.shuffleWalk))]);
      t.deepEqual(mut.effects, [...request(5, false), send(1, shuffle(SELF, [1, 2, 5], TEST_PARAMETERS.shuffleWalk))]);
      caughtBy(t, CASES['refill-low-when-full'], ref, mut, 'neighbor-priority');
    },
  },
  'high-priority-too-early': {
    state: node({ active: [1, 2], passive: [5] }),
    input: recv(1, DISCONNECT),
    referenceScript: [1], // candidates [1,5]: ask 5
    mutantScript: [1],
    expect: (t, ref, mut) => {
      t.deepEqual(ref.effects, [down(1), ...request(5, false)]);
      t.deepEqual(mut.effects, [down(1), ...request(5, true)]);
      caughtBy(t, CASES['high-priority-too-early'], ref, mut, 'neighbor-priority');
    },
  },
  'shuffle-ttl-never-decremented': {
    state: node({ active: [1, 2] }),
    input: recv(1, shuffle(7, [8], 3)),
    expect: (t, ref, mut) => {
      t.deepEqual(ref.effects, [send(2, shuffle(7, [8], 2))]);
      t.deepEqual(mut.effects, [send(2, shuffle(7, [8], 3))]);
      caughtBy(t, CASES['shuffle-ttl-never-decremented'], ref, mut, 'walk-ttl');
    },
  },
};

test('every mutant in MUTANTS has a case here', (t) => {
  t.deepEqual(Object.keys(CASES).sort(), Object.keys(MUTANTS).sort());
});

for (const [name, c] of Object.entries(CASES) as Array<[MutantName, MutantCase]>) {
  test(`mutant ${name} changes the node's behaviour: ${MUTANTS[name]}`, (t) => {
    const reference = stepOnce(c.state, c.input, config(), c.referenceScript);
    const mutant = stepOnce(c.state, c.input, config({ mutant: name }), c.mutantScript);
    t.notDeepEqual({ effects: mutant.effects, state: mutant.state }, { effects: reference.effects, state: reference.state });
    c.expect(t, reference, mutant);
  });
}
