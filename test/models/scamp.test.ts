// Scamp (subscriptions, forwarded copies, in-views; leases and the heartbeat rule), one rule per
// test, then seeded random runs of a few hundred nodes checking the invariants. Node 0 is the
// node under test; the small config has c = 2 and maxForwards = 3, leases off unless stated.
import test from 'ava';
import { ConfigError } from '../../models/hyparview/config.ts';
import type { NodeId } from '../../models/hyparview/messages.ts';
import {
  cloneScamp,
  initialScamp,
  makeScampConfig,
  neighboursScamp,
  SCAMP_DEFAULTS,
  type ScampConfig,
  type ScampEffect,
  type ScampInput,
  type ScampMessage,
  type ScampState,
  stepScamp,
} from '../../models/scamp/index.ts';
import { baselineRun, reachable } from './baseline-run.ts';
import { ScriptedChooser, SELF } from './helpers.ts';

const cfg = makeScampConfig({ c: 2, maxForwards: 3 });
const leased = makeScampConfig({ c: 2, maxForwards: 3, leaseCycles: 3 });

interface Init {
  id?: NodeId;
  partialView?: NodeId[];
  inView?: NodeId[];
  ages?: number[];
  cycle?: number;
  quiet?: number;
  resubTo?: NodeId;
  renewing?: boolean;
}

const NONE = -1;

function node(init: Init = {}): ScampState {
  return {
    id: init.id ?? SELF,
    partialView: init.partialView ?? [],
    inView: init.inView ?? [],
    ages: init.ages ?? [],
    cycle: init.cycle ?? 0,
    quiet: init.quiet ?? 0,
    resubTo: init.resubTo ?? NONE,
    renewing: init.renewing ?? false,
  };
}

/** One step on a copy, with every real choice scripted (see ScriptedChooser); leftovers throw. */
function stepOnce(state: ScampState, input: ScampInput, script: readonly number[] = [], config: ScampConfig = cfg) {
  const next = cloneScamp(state);
  const chooser = new ScriptedChooser(script);
  const out: ScampEffect[] = [];
  stepScamp(next, input, { config, chooser, out });
  if (chooser.unused > 0) throw new Error(`script ${JSON.stringify(script)} has ${chooser.unused} unused value(s)`);
  return { state: next, effects: out, chooser };
}

const recv = (from: NodeId, msg: ScampMessage): ScampInput => ({ t: 'message', from, msg });
const send = (to: NodeId, msg: ScampMessage): ScampEffect => ({ t: 'send', to, msg });
const CYCLE: ScampInput = { t: 'cycle' };
const SUBSCRIBE: ScampMessage = { t: 'subscribe' };
const RESUBSCRIBE: ScampMessage = { t: 'resubscribe' };
const IN_VIEW: ScampMessage = { t: 'inView' };
const fwd = (newNode: NodeId, hops: number): ScampMessage => ({ t: 'forwardedSubscription', newNode, hops });

// ---- config ----------------------------------------------------------------------------------

test('config: defaults are c = 4, leases off, at most 20 relays per copy', (t) => {
  t.deepEqual(SCAMP_DEFAULTS, { c: 4, leaseCycles: 0, maxForwards: 255 });
  t.deepEqual(makeScampConfig(), SCAMP_DEFAULTS);
  t.deepEqual(makeScampConfig({ c: 0, maxForwards: 0, leaseCycles: 10 }), { c: 0, leaseCycles: 10, maxForwards: 0 });
});

for (const field of ['c', 'leaseCycles', 'maxForwards'] as const) {
  test(`config: ${field} must be a non-negative integer within its bound; errors name the field`, (t) => {
    for (const bad of [-1, 1.5, Number.NaN, 1e9, '3' as unknown as number]) {
      const err = t.throws(() => makeScampConfig({ [field]: bad }), { instanceOf: ConfigError }, String(bad));
      t.is(err?.field, field);
    }
  });
}

test('initialScamp: empty views; neighboursScamp is the partial view', (t) => {
  t.deepEqual(initialScamp(7), node({ id: 7 }));
  t.deepEqual(neighboursScamp(node({ partialView: [3, 1], inView: [9] })), [3, 1]);
});

// ---- subscribing -----------------------------------------------------------------------------

test('join(contact): the joiner puts the contact in its partial view and sends it SUBSCRIBE; join(self) does nothing', (t) => {
  const r = stepOnce(node(), { t: 'join', contact: 3 });
  t.deepEqual(r.effects, [send(3, SUBSCRIBE)]);
  t.deepEqual(r.state.partialView, [3]);
  t.deepEqual(stepOnce(node(), { t: 'join', contact: SELF }).effects, []);
});

test('SUBSCRIBE: the contact forwards a copy to every partial view member and c more to random members (repetition allowed)', (t) => {
  const before = node({ partialView: [1, 2, 3] });
  const r = stepOnce(before, recv(7, SUBSCRIBE), [2, 2]);
  t.deepEqual(r.effects, [1, 2, 3, 3, 3].map((to) => send(to, fwd(7, 0))));
  t.deepEqual(r.state.partialView, before.partialView, 'the contact does not keep the subscription itself');
  t.deepEqual(r.chooser.calls, [{ kind: 'pick', n: 3 }, { kind: 'pick', n: 3 }]);
});

test('SUBSCRIBE: no copy goes to the subscriber itself', (t) => {
  const r = stepOnce(node({ partialView: [1, 7] }), recv(7, SUBSCRIBE));
  t.deepEqual(r.effects, [1, 1, 1].map((to) => send(to, fwd(7, 0))));
});

test('SUBSCRIBE or RESUBSCRIBE: the contact puts the subscriber in its in-view (the subscriber holds it)', (t) => {
  t.deepEqual(stepOnce(node({ partialView: [1], inView: [4] }), recv(7, SUBSCRIBE)).state.inView, [4, 7]);
  t.deepEqual(stepOnce(node({ partialView: [1], inView: [7], ages: [0] }), recv(7, RESUBSCRIBE), [], leased).state.inView, [7]);
});

test('SUBSCRIBE at a contact with an empty partial view: it keeps the subscriber and tells it (INVIEW)', (t) => {
  const r = stepOnce(node(), recv(7, SUBSCRIBE));
  t.deepEqual(r.effects, [send(7, IN_VIEW)]);
  t.deepEqual(r.state.partialView, [7]);
});

test('FORWARDED_SUBSCRIPTION is kept with probability 1/(1 + |partialView|): added, and INVIEW to the subscriber', (t) => {
  const r = stepOnce(node({ partialView: [1, 2] }), recv(1, fwd(7, 0)), [1]);
  t.deepEqual(r.effects, [send(7, IN_VIEW)]);
  t.deepEqual(r.state.partialView, [1, 2, 7]);
  t.deepEqual(r.chooser.calls, [{ kind: 'chance', k: 1, n: 3 }]);
});

test('FORWARDED_SUBSCRIPTION not kept goes on to a random partial view member with hops+1', (t) => {
  const r = stepOnce(node({ partialView: [1, 2] }), recv(1, fwd(7, 1)), [0, 1]);
  t.deepEqual(r.effects, [send(2, fwd(7, 2))]);
  t.deepEqual(r.state.partialView, [1, 2]);
  t.deepEqual(r.chooser.calls, [{ kind: 'chance', k: 1, n: 3 }, { kind: 'pick', n: 2 }]);
});

test('FORWARDED_SUBSCRIPTION of ourselves, or of a node already held, is forwarded without a draw (never to the subscriber)', (t) => {
  const self = stepOnce(node({ partialView: [1, 2] }), recv(1, fwd(SELF, 0)), [0]);
  t.deepEqual(self.effects, [send(1, fwd(SELF, 1))]);
  t.deepEqual(self.chooser.calls, [{ kind: 'pick', n: 2 }]);
  const held = stepOnce(node({ partialView: [1, 7] }), recv(1, fwd(7, 0)));
  t.deepEqual(held.effects, [send(1, fwd(7, 1))]);
  t.deepEqual(held.state.partialView, [1, 7]);
});

test('FORWARDED_SUBSCRIPTION relayed maxForwards times is kept where it arrives, without a draw', (t) => {
  const r = stepOnce(node({ partialView: [1, 2] }), recv(1, fwd(7, cfg.maxForwards)));
  t.deepEqual(r.effects, [send(7, IN_VIEW)]);
  t.deepEqual(r.state.partialView, [1, 2, 7]);
  t.deepEqual(r.chooser.calls, []);
});

test('FORWARDED_SUBSCRIPTION relayed maxForwards times at a node that cannot keep it is dropped', (t) => {
  t.deepEqual(stepOnce(node({ partialView: [1, 7] }), recv(1, fwd(7, cfg.maxForwards))).effects, []);
  t.deepEqual(stepOnce(node({ partialView: [1, 2] }), recv(1, fwd(SELF, cfg.maxForwards))).effects, []);
});

test('FORWARDED_SUBSCRIPTION at an empty partial view is kept (odds 1/1); one whose only other holder is the subscriber is dropped', (t) => {
  const r = stepOnce(node(), recv(1, fwd(7, 0)));
  t.deepEqual(r.effects, [send(7, IN_VIEW)]);
  t.deepEqual(r.state.partialView, [7]);
  t.deepEqual(stepOnce(node({ partialView: [7] }), recv(1, fwd(7, 0))).effects, []);
});

test('INVIEW: the sender joins the in-view, once', (t) => {
  const r = stepOnce(node({ inView: [4] }), recv(5, IN_VIEW));
  t.deepEqual(r.state.inView, [4, 5]);
  t.deepEqual(stepOnce(r.state, recv(5, IN_VIEW)).state.inView, [4, 5]);
});

test('linkDown removes the peer from the partial view (with its age) and the in-view', (t) => {
  const r = stepOnce(node({ partialView: [1, 3, 4], ages: [0, 2, 1], inView: [3, 5] }), { t: 'linkDown', peer: 3 }, [], leased);
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state, node({ partialView: [1, 4], ages: [0, 1], inView: [5] }));
});

// ---- leases ----------------------------------------------------------------------------------

test('cycle without leases does nothing, and no ages are kept', (t) => {
  const before = node({ partialView: [1, 2], inView: [3] });
  const r = stepOnce(before, CYCLE);
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state, before);
  t.deepEqual(stepOnce(node(), recv(1, fwd(7, 0))).state.ages, []);
});

test('leases: new partial view entries start at age 0', (t) => {
  t.deepEqual(stepOnce(node(), { t: 'join', contact: 3 }, [], leased).state.ages, [0]);
  t.deepEqual(stepOnce(node({ partialView: [1], ages: [2] }), recv(1, fwd(7, 0)), [1], leased).state.ages, [2, 0]);
});

test('leases: each cycle ages every entry; entries older than leaseCycles expire silently', (t) => {
  const r = stepOnce(node({ partialView: [1, 2, 3], ages: [0, 2, 3] }), CYCLE, [], leased);
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state, node({ partialView: [1, 2], ages: [1, 3], cycle: 1, quiet: 1 }));
});

test('leases: a node resubscribes (RESUBSCRIBE) through a random partial view member when (cycle + id) is a multiple of leaseCycles', (t) => {
  const resubscriptions = (id: NodeId): number[] => {
    const fired: number[] = [];
    let s = node({ id, partialView: [5], ages: [0], inView: [8] });
    for (let c = 1; c <= 3; c++) {
      const r = stepOnce(s, CYCLE, [], leased);
      if (r.effects.length > 0) {
        t.deepEqual(r.effects, [send(5, RESUBSCRIBE)]);
        t.like(r.state, { inView: [8], resubTo: 5, renewing: true });
        fired.push(c);
      }
      s = r.state;
    }
    return fired;
  };
  t.deepEqual(resubscriptions(0), [3]);
  t.deepEqual(resubscriptions(1), [2]);
  const r = stepOnce(node({ partialView: [4, 5], ages: [0, 0], cycle: 2 }), CYCLE, [1], leased);
  t.deepEqual(r.effects, [send(5, RESUBSCRIBE)]);
});

test('leases: the first INVIEW after a resubscription replaces the in-view; later ones add to it', (t) => {
  const first = stepOnce(node({ partialView: [5], ages: [0], inView: [8, 9], renewing: true }), recv(3, IN_VIEW), [], leased);
  t.like(first.state, { inView: [3], renewing: false });
  t.deepEqual(stepOnce(first.state, recv(4, IN_VIEW), [], leased).state.inView, [3, 4]);
});

test('leases: a resubscription whose send fails goes to another partial view member; the cycle after, a failure is just a removal', (t) => {
  const s = node({ partialView: [4, 5], ages: [1, 1], resubTo: 5, renewing: true });
  const r = stepOnce(s, { t: 'linkDown', peer: 5 }, [], leased);
  t.deepEqual(r.effects, [send(4, RESUBSCRIBE)]);
  t.like(r.state, { partialView: [4], resubTo: 4 });
  // A new cycle forgets the target (no resubscription due at cycle 1 for node 0).
  const later = stepOnce(s, CYCLE, [], leased);
  t.is(later.state.resubTo, NONE);
  t.deepEqual(stepOnce(later.state, { t: 'linkDown', peer: 5 }, [], leased).effects, []);
});

test('leases: a copy reaching a node that still holds the subscriber is forwarded as without leases, renewing nothing', (t) => {
  const r = stepOnce(node({ partialView: [1, 7], ages: [1, 2] }), recv(1, fwd(7, 0)), [], leased);
  t.deepEqual(r.effects, [send(1, fwd(7, 1))]);
  t.deepEqual(r.state.ages, [1, 2]);
});

test('RESUBSCRIBE: the contact sends one copy to each partial view member and no extra copies', (t) => {
  const r = stepOnce(node({ partialView: [1, 2, 7], ages: [0, 1, 2] }), recv(7, RESUBSCRIBE), [], leased);
  t.deepEqual(r.effects, [send(1, fwd(7, 0)), send(2, fwd(7, 0))]);
  t.deepEqual(r.state.ages, [0, 1, 2]);
  // At a contact that knows nobody else it is kept, like a SUBSCRIBE.
  t.deepEqual(stepOnce(node(), recv(7, RESUBSCRIBE), [], leased).effects, [send(7, IN_VIEW)]);
});

test('heartbeat rule: an empty partial view and leaseCycles quiet cycles: a full SUBSCRIBE through a random in-view member', (t) => {
  const r = stepOnce(node({ inView: [4, 6], quiet: 2, cycle: 1 }), CYCLE, [1], leased);
  t.deepEqual(r.effects, [send(6, SUBSCRIBE)]);
  t.deepEqual(r.state, node({ partialView: [6], ages: [0], inView: [4, 6], quiet: 0, cycle: 2, resubTo: 6, renewing: true }));
  // That send fails: it tries the next in-view member at once.
  const retry = stepOnce(r.state, { t: 'linkDown', peer: 6 }, [], leased);
  t.deepEqual(retry.effects, [send(4, SUBSCRIBE)]);
  t.like(retry.state, { partialView: [4], inView: [4], resubTo: 4 });
});

test('heartbeat rule: not before leaseCycles quiet cycles, and any message received restarts the count', (t) => {
  t.deepEqual(stepOnce(node({ inView: [4], quiet: 1, cycle: 1 }), CYCLE, [], leased).effects, []);
  const heard = stepOnce(node({ inView: [4], quiet: 2 }), recv(4, IN_VIEW), [], leased);
  t.is(heard.state.quiet, 0);
  t.deepEqual(stepOnce(heard.state, CYCLE, [], leased).effects, []);
});

test('heartbeat rule: a node whose partial view just expired and that knows nobody stays silent', (t) => {
  const r = stepOnce(node({ partialView: [1], ages: [3], quiet: 5, cycle: 2 }), CYCLE, [], leased);
  t.deepEqual(r.effects, []);
  t.deepEqual(r.state.partialView, []);
});

// ---- seeded random runs ----------------------------------------------------------------------

/** A seeded run (test/models/baseline-run.ts), the live nodes cycled in id order. */
function run(n: number, seed: number, config: ScampConfig, cycles = 0, killAt = -1, killFraction = 0) {
  const check = (s: ScampState): string[] => {
    const problems: string[] = [];
    const bad = (what: string) => problems.push(`${what} [${s.partialView}] in [${s.inView}]`);
    if (s.partialView.includes(s.id) || s.inView.includes(s.id)) bad('holds itself');
    if (new Set(s.partialView).size !== s.partialView.length || new Set(s.inView).size !== s.inView.length) bad('duplicate ids');
    if (s.ages.length !== (config.leaseCycles > 0 ? s.partialView.length : 0)) bad('ages not parallel');
    if (s.ages.some((a) => a > config.leaseCycles)) bad('an expired entry survived its cycle');
    return problems;
  };
  return baselineRun({ init: initialScamp, step: stepScamp, neighbours: neighboursScamp, check }, config, { n, seed, cycles, killAt, killFraction });
}

test('random run, 400 nodes, defaults: no self, no duplicates; in-views mirror partial views; connected', (t) => {
  const n = 400;
  for (const seed of [1, 2, 3]) {
    const { nodes, alive, violations } = run(n, seed, makeScampConfig());
    t.deepEqual(violations, [], `seed ${seed}`);
    // Without leases or failures, y is in x's in-view exactly when x is in y's partial view.
    const sorted = (ids: readonly NodeId[]): string => ids.slice().sort((a, b) => a - b).join();
    const mismatches = nodes.filter((x) => sorted(nodes.filter((y) => y.partialView.includes(x.id)).map((y) => y.id)) !== sorted(x.inView));
    t.deepEqual(mismatches.map((s) => s.id), [], `seed ${seed}`);
    t.is(reachable(nodes, alive, neighboursScamp), n, `seed ${seed}`);
  }
});

test('random run, 400 nodes, walks practically unbounded (maxForwards 255): the mean partial view is near (c+1)·ln n', (t) => {
  const n = 400;
  const expected = (SCAMP_DEFAULTS.c + 1) * Math.log(n);
  for (const seed of [1, 2, 3]) {
    const { means } = run(n, seed, makeScampConfig({ maxForwards: 255 }));
    t.true(means[0]! > 0.7 * expected && means[0]! < 1.2 * expected, `seed ${seed}: mean ${means[0]!.toFixed(1)}, (c+1) ln n = ${expected.toFixed(1)}`);
  }
});

test('random run, leases of 5 cycles, 20% die at cycle 10: invariants hold, dead ids expire, views neither vanish nor grow', (t) => {
  // maxForwards 20: with 255 the first lease period peaks higher (2.5× the joined mean for seed 1) before settling near 1.4×.
  const config = makeScampConfig({ leaseCycles: 5, maxForwards: 20 });
  for (const seed of [1, 2]) {
    const { nodes, alive, violations, means } = run(300, seed, config, 60, 10, 0.2);
    t.deepEqual(violations, [], `seed ${seed}`);
    const live = nodes.filter((s) => alive[s.id]);
    t.deepEqual(live.filter((s) => s.partialView.some((p) => !alive[p])).map((s) => s.id), [], `seed ${seed}: dead ids left in partial views`);
    // Renewals replace expiring entries about one for one (the literal reading grew views to all 300 nodes).
    const [joined] = means;
    const trace = means.map((m) => m.toFixed(1)).join(' ');
    t.true(Math.max(...means) < 2.5 * joined!, `seed ${seed}: ${trace}`);
    // Nobody is left knowing nobody (a resubscription lost to a dead node is retried).
    t.deepEqual(live.filter((s) => s.partialView.length === 0).map((s) => s.id), [], `seed ${seed}`);
    t.true(means.at(-1)! > 0.5 * joined! && means.at(-1)! < 2 * joined!, `seed ${seed}: ${trace}`);
    t.is(reachable(nodes, alive, neighboursScamp), live.length, `seed ${seed}`);
  }
});

test('random run, small config (c 2, maxForwards 3) with leases and failures: the invariants hold', (t) => {
  const { violations } = run(200, 9, leased, 30, 8, 0.3);
  t.deepEqual(violations, []);
});
