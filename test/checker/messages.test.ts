// Message properties (properties/messages.ts) are judged on every transition: by BFS, DFS and
// random walks, on directed runs, and when a replay token is re-executed.
import test from 'ava';
import { check } from '../../harness/checker/check.ts';
import { MUTANT_SCENARIOS } from '../../harness/checker/mutants.ts';
import { runSchedule } from '../../harness/checker/schedule.ts';
import { decodeToken, formatTrace, replayPath } from '../../harness/checker/trace.ts';
import { type Decisions, REFERENCE_DECISIONS } from '../../models/hyparview/config.ts';
import { MsgType } from '../../models/hyparview/messages.ts';
import { type MessageBounds, NEIGHBOR_PRIORITY, PASSIVE_AT_PRWL } from '../../properties/messages.ts';

test('a message property broken by a step is reported with its trace, and its replay says so', (t) => {
  const r = check({ ...MUTANT_SCENARIOS.fourNodesJoining, mutant: 'forward-join-ttl-twice' });
  const v = r.violations[0]!;
  t.is(v.property, 'walk-ttl');
  t.regex(v.message, /FORWARD_JOIN\(new=\d, ttl=\d\).*relays a FORWARD_JOIN that arrived with ttl \d: the ttl must be \d/);
  const { options, path } = decodeToken(v.replay);
  const trace = replayPath(options, path);
  t.is(trace.failures[0]?.property, 'walk-ttl', formatTrace(trace));
  t.regex(trace.steps.at(-1)!.action, /FORWARD_JOIN/);
  // The same token, followed as a directed run, stops at the same step with the same verdict.
  const run = runSchedule(options, path);
  t.is(run.failures[0]?.property, 'walk-ttl');
  t.is(run.path.length, path.length);
});

test('DFS and random walks judge message properties too', (t) => {
  const dfs = check({ ...MUTANT_SCENARIOS.threeNodesOneCrash, mutant: 'shuffle-reply-to-sender', strategy: 'dfs' });
  t.is(dfs.violations[0]?.property, 'shuffle-reply-to-origin');
  const random = check({ ...MUTANT_SCENARIOS.threeNodesOneCrash, mutant: 'shuffle-ttl-never-decremented', strategy: 'random', seed: 7, walks: 500 });
  t.is(random.violations[0]?.property, 'walk-ttl');
});

test('neighbor-priority: HIGH with neighbours only as decisions 11 (swap) and 1 (walk-end notification) define it', (t) => {
  const b = (d: Partial<Decisions>): MessageBounds => ({ activeSize: 2, passiveSize: 3, arwl: 3, prwl: 1, shuffleWalk: 2, decisions: { ...REFERENCE_DECISIONS, ...d } });
  const full = { active: [1, 2], passive: [3] };
  const high = [{ to: 3, msg: { t: MsgType.Neighbor, high: true } as const }];
  const swap = { id: 0, input: { t: 'shuffleTimer' } as const, before: full, after: full, sent: high };
  t.is(NEIGHBOR_PRIORITY.check(swap, b({})), null);
  t.regex(NEIGHBOR_PRIORITY.check(swap, b({ fullViewSwap: 'never' })) ?? '', /NEIGHBOR\(HIGH\) to 3 with active view \[1,2\]/);
  const notify = { id: 0, input: { t: 'message', from: 1, msg: { t: MsgType.ForwardJoin, newNode: 3, ttl: 0 } } as const, before: { active: [1], passive: [] }, after: { active: [1, 3], passive: [] }, sent: high };
  t.is(NEIGHBOR_PRIORITY.check(notify, b({})), null);
  t.truthy(NEIGHBOR_PRIORITY.check(notify, b({ forwardJoinEnd: 'silent' })));
  const low = { ...swap, sent: [{ to: 3, msg: { t: MsgType.Neighbor, high: false } as const }] };
  t.regex(NEIGHBOR_PRIORITY.check(low, b({})) ?? '', /NEIGHBOR\(LOW\) to 3 with a full active view/);
  t.is(NEIGHBOR_PRIORITY.check({ ...low, after: { active: [1], passive: [3] } }, b({})), null);
});

test('passive-at-prwl: judged only where the walk goes on and the new node was unknown', (t) => {
  const b: MessageBounds = { activeSize: 2, passiveSize: 3, arwl: 3, prwl: 1, shuffleWalk: 2, decisions: REFERENCE_DECISIONS };
  const fj = (ttl: number) => ({ t: 'message', from: 1, msg: { t: MsgType.ForwardJoin, newNode: 5, ttl } }) as const;
  const step = (ttl: number, passiveAfter: number[]) => ({ id: 0, input: fj(ttl), before: { active: [1, 2], passive: [] }, after: { active: [1, 2], passive: passiveAfter }, sent: [] });
  t.is(PASSIVE_AT_PRWL.check(step(1, [5]), b), null);
  t.is(PASSIVE_AT_PRWL.check(step(2, []), b), null);
  t.truthy(PASSIVE_AT_PRWL.check(step(1, []), b));
  t.truthy(PASSIVE_AT_PRWL.check(step(3, [5]), b));
  // The walk ended here: the new node went to the active view, no verdict on the passive one.
  t.is(PASSIVE_AT_PRWL.check({ ...step(1, []), after: { active: [1, 2, 5], passive: [] } }, b), null);
});
