// Node states and messages packed into typed arrays, against the protocol's own objects: the
// same runs, whatever fits. And the engine's timers, one per node.
import test from 'ava';
import { MUTANTS, type MutantName } from '../../models/hyparview/mutants.ts';
import { cloneNode, NONE, type NodeState } from '../../models/hyparview/node.ts';
import { DEFAULT_ENGINE, Simulation } from '../../harness/sim/engine.ts';
import { EventPool } from '../../harness/sim/events.ts';
import { makeProtocol, type SimProtocol } from '../../harness/sim/protocols.ts';
import { simulate, type SimulateOptions } from '../../harness/sim/simulate.ts';
import { makeStore } from '../../harness/sim/store.ts';

const SEED = Number(process.env.HYPARVIEW_TEST_SEED ?? 2007);

test('a packed run is the same run as one on objects: failure, churn, properties and a mutant', (t) => {
  const runs: Array<Partial<SimulateOptions> & Pick<SimulateOptions, 'protocol'>> = [
    { protocol: 'hyparview', fail: 0.3, churn: 0.05 },
    { protocol: 'hyparview', fail: 0.5, engine: { detect: 'on-send' } as SimulateOptions['engine'] },
    { protocol: 'hyparview', messages: 0, healCycles: 0, protocols: { hyparview: { mutant: 'passive-capacity-off-by-one' } } },
  ];
  for (const o of runs) {
    const base = { nodes: 400, seed: SEED, cycles: 8, ...o };
    const [objects, packed] = (['objects', 'packed'] as const).map((store) => {
      const { options: _, ...rest } = simulate({ ...base, engine: { ...base.engine, store } as SimulateOptions['engine'] });
      return rest;
    });
    t.deepEqual(packed, objects, `seed ${SEED}, ${JSON.stringify(o)}`);
  }
});

test('a state too big for its slot is kept as an object, and packed again once it fits; clones are apart', (t) => {
  const protocol = makeProtocol('hyparview', { hyparview: { activeSize: 1, passiveSize: 1, ka: 0, kp: 0, prwl: 0 } });
  const store = makeStore(3, protocol.init, protocol.states as never) as ReturnType<typeof makeStore<NodeState>>;
  const bigState = (): NodeState => ({ id: 1, active: [2], passive: [0], pending: 0, tried: [0], exchanged: [], abandoned: [0, 0, 2, 2, 2] });
  const big = bigState();
  store.save(1, bigState());
  t.deepEqual(store.copy(1), big);
  const copy = store.clone();
  const s = store.view(1);
  s.abandoned = [2];
  store.save(1, s);
  t.deepEqual(store.copy(1), { ...big, abandoned: [2] });
  t.deepEqual(copy.copy(1), big, 'the clone kept the state as it was');
  t.deepEqual(store.copy(0), protocol.init(0));
  t.deepEqual(store.copy(2), protocol.init(2));
});

test('packed messages give the same run as message objects, also where some do not fit their slot', (t) => {
  // ka + kp = 15: a SHUFFLE's 15 ids overflow its slot and travel as objects; the rest are packed.
  for (const hyparview of [{}, { ka: 5, kp: 10, passiveSize: 30 }]) {
    const packed = makeProtocol('hyparview', { hyparview });
    const objects: SimProtocol = { ...packed, messages: undefined };
    const [a, b] = [packed, objects].map((protocol) => {
      const sim = new Simulation(protocol, { ...DEFAULT_ENGINE, nodes: 300, seed: SEED });
      sim.bootstrap('sequential');
      sim.runCycles(4);
      sim.crash(Array.from({ length: 100 }, (_, i) => 3 * i));
      sim.broadcast();
      sim.runCycles(2);
      return { events: sim.eventsProcessed, sent: sim.messagesSent, states: Array.from({ length: sim.size }, (_, i) => cloneNode(sim.state(i) as NodeState)), broadcasts: sim.broadcasts };
    });
    t.true(a!.events > 10_000);
    t.deepEqual(a, b, `seed ${SEED}, ${JSON.stringify(hyparview)}`);
  }
});

test('the event pool: a packed message, one kept as an object, none; slots reused; clones apart', (t) => {
  const protocol = makeProtocol('hyparview', { hyparview: { ka: 5, kp: 10 } });
  const pool = EventPool.empty(protocol.messages);
  const shuffle = { t: 5, origin: 7, ids: [1, 2, 3], ttl: 4 };
  const long = { t: 6, ids: Array.from({ length: 12 }, (_, i) => i) };
  const read = () => ({ k: 0, to: 0, peer: 0, x: 0, hop: 0, msg: null as unknown });
  const a = pool.add(0, 1, 2, 0, 0, shuffle);
  const b = pool.add(0, 3, 4, 0, 0, long);
  const c = pool.add(3, 5, 6, 9, 1_000_000, null);
  const copy = pool.clone();
  t.deepEqual(pool.take(a, read()), { k: 0, to: 1, peer: 2, x: 0, hop: 0, msg: shuffle });
  t.is(pool.take(b, read()).msg, long, 'an overlong message is the object itself');
  t.deepEqual(pool.take(c, read()), { k: 3, to: 5, peer: 6, x: 9, hop: 1_000_000, msg: null });
  t.is(pool.add(4, 0, 0, 0, 0, null), c, 'a freed slot is reused');
  t.deepEqual(copy.take(a, read()).msg, shuffle, 'the clone still holds its events');
  t.deepEqual(copy.take(b, read()).msg, long);
});

test('timer generations wrap within an event slot: across 2^31 NEIGHBOR timers, every timer still fires and is disarmed', (t) => {
  const run = (startGen: number) => {
    const sim = new Simulation(makeProtocol('hyparview'), { ...DEFAULT_ENGINE, nodes: 300, seed: SEED });
    (sim as unknown as { shards: Array<{ timerGen: number }> }).shards[0]!.timerGen = startGen;
    sim.bootstrap('sequential');
    sim.runCycles(3);
    sim.drain();
    return { events: sim.eventsProcessed, armed: sim.snapshot().nodes.reduce((n, node) => n + node.timers!.length, 0), states: Array.from({ length: sim.size }, (_, i) => cloneNode(sim.state(i) as NodeState)) };
  };
  const wrapped = run(2 ** 31 - 1000);
  t.is(wrapped.armed, 0, 'a timer past the wrap never fired');
  t.deepEqual(wrapped, run(0), `seed ${SEED}`);
});

test('a node waits only on the request of its latest NEIGHBOR timer, so the engine keeps one timer per node and drops none that could end a request', (t) => {
  // The engine drops a node's earlier timer when it arms another. Sound while the request a node
  // waits on is always its latest armed one: an earlier timer's timeout would then be a no-op.
  // Checked after every step, for every mutant too.
  for (const mutant of [undefined, ...(Object.keys(MUTANTS) as MutantName[])]) {
    const protocol = makeProtocol('hyparview', { hyparview: { mutant } }) as SimProtocol<NodeState>;
    const lastArmed = new Map<number, number>();
    let arms = 0;
    let broken: string | undefined;
    const checked: SimProtocol<NodeState> = {
      ...protocol,
      init: (id) => (lastArmed.delete(id), protocol.init(id)),
      step: (s, input, chooser, out) => {
        const from = out.length;
        protocol.step(s, input, chooser, out);
        for (let i = from; i < out.length; i++) {
          const fx = out[i]!;
          if (fx.t === 'armNeighborTimeout') {
            lastArmed.set(s.id, (fx as { peer: number }).peer);
            arms++;
          }
        }
        const armed = lastArmed.get(s.id);
        if (s.pending !== NONE && armed !== undefined && s.pending !== armed) broken ??= `node ${s.id} waits for ${s.pending}, but its latest timer is for ${armed} (${input.t})`;
      },
    };
    const sim = new Simulation(checked as SimProtocol, { ...DEFAULT_ENGINE, nodes: 200, seed: SEED });
    // All at once and in whole cycles: some mutants never settle, so nothing here drains.
    for (let i = 1; i < sim.size; i++) sim.join(i, sim.chooser.pick(i));
    sim.runCycles(4);
    sim.crash(Array.from({ length: 60 }, (_, i) => i * 3));
    for (let c = 0; c < 4; c++) {
      for (let k = 0; k < 10; k++) sim.replace(sim.chooser.pick(sim.size), sim.randomLive());
      sim.runCycles(1);
    }
    t.is(broken, undefined, `seed ${SEED}, mutant ${mutant ?? 'none'}`);
    if (mutant !== 'neighbor-without-timeout') t.true(arms > 0, `mutant ${mutant ?? 'none'} armed no timer`);
  }
});
