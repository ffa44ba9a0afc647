// The network split into shards (harness/sim/shard.ts): the same run on one thread as on
// several, the defaults, bad options, and a thread that fails. Reproduce a failure with the
// printed seed (HYPARVIEW_TEST_SEED=<seed>).
import test from 'ava';
import { DEFAULT_ENGINE, type EngineOptions, Livelock, shardCount, Simulation } from '../../harness/sim/engine.ts';
import { makeProtocol, type SimProtocol } from '../../harness/sim/protocols.ts';
import { simulate, SimulateError, type SimulateOptions } from '../../harness/sim/simulate.ts';

const SEED = Number(process.env.HYPARVIEW_TEST_SEED ?? 2007);
const engine = (o: Partial<EngineOptions>) => ({ ...DEFAULT_ENGINE, store: 'packed', ...o }) as SimulateOptions['engine'];

test('shards give the same run on one thread as on threads of their own: failure, churn, broadcasts and the properties', (t) => {
  for (const shards of [2, 3]) {
    const base = { protocol: 'hyparview', nodes: 1500, seed: SEED, cycles: 8, fail: 0.3, churn: 0.05, messages: 20, healCycles: 4 } as const;
    const [alone, threaded] = [false, true].map((threads) => {
      const { options: _, ...result } = simulate({ ...base, engine: engine({ shards, threads }) });
      return result;
    });
    t.true(alone!.run.events > 100_000);
    t.deepEqual(threaded, alone, `seed ${SEED}, ${shards} shards`);
  }
});

test('channels too small for a window carry it in several rounds, and the run is the same', (t) => {
  const base = { protocol: 'hyparview', nodes: 1000, seed: SEED, cycles: 5, fail: 0.3, messages: 10, healCycles: 2 } as const;
  const run = (o: Partial<EngineOptions>) => {
    const { options: _, ...result } = simulate({ ...base, engine: engine({ shards: 3, ...o }) });
    return result;
  };
  // A window of 1,000 nodes sends dozens of messages each way: 5 records a round takes many rounds.
  t.deepEqual(run({ threads: true, channelRecords: 5 }), run({ threads: false }), `seed ${SEED}`);
  t.throws(() => run({ channelRecords: 0 }), { instanceOf: RangeError, message: /channelRecords must be a whole number from 1, got 0/ });
});

test('the shards of a packed HyParView run go to threads, cycle by cycle; a copy and a changed protocol stay on one thread', (t) => {
  const sim = new Simulation(makeProtocol('hyparview'), { ...engine({ shards: 2 }), nodes: 600, seed: SEED });
  sim.bootstrap('sequential');
  sim.runCycles(3);
  t.is(sim.threadedRuns, 3);
  // A spread copy of the protocol (a test's changed step) has no recipe for a thread to rebuild it from.
  const changed: SimProtocol = { ...makeProtocol('hyparview') };
  const alone = new Simulation(changed, { ...engine({ shards: 2 }), nodes: 600, seed: SEED });
  alone.bootstrap('sequential');
  alone.runCycles(2);
  t.is(alone.threadedRuns, 0);
  t.is(alone.eventsProcessed > 0, true);
});

test('HyParView on two shards keeps the paper results: a broadcast reaches every survivor of a 50% failure, and no property breaks', (t) => {
  const r = simulate({ protocol: 'hyparview', nodes: 2000, seed: SEED, cycles: 20, fail: 0.5, engine: engine({ shards: 2 }) });
  t.deepEqual(r.violations, [], `seed ${SEED}`);
  const afterOneCycle = r.afterFailure.messages.slice(10);
  t.true(afterOneCycle.every((m) => m.reliability >= 0.99), `seed ${SEED}`);
  t.true(r.stable.overlay.fullViews > 0.9, `seed ${SEED}: ${r.stable.overlay.fullViews}`);
});

test('two shards from 30,000 HyParView nodes by default; one below, for Cyclon and Scamp, and with a zero latency', (t) => {
  const hyparview = makeProtocol('hyparview');
  const at = (nodes: number, o: Partial<EngineOptions> = {}, protocol = hyparview) => shardCount(protocol, { ...DEFAULT_ENGINE, nodes, seed: 1, ...o });
  t.is(at(29_999), 1);
  t.is(at(30_000), 2);
  t.is(at(30_000, {}, makeProtocol('cyclon')), 1);
  t.is(at(30_000, {}, makeProtocol('scamp')), 1);
  t.is(at(30_000, { latencyMs: { min: 0, max: 50 } }), 1);
  t.is(at(30_000, { shards: 1 }), 1);
  t.is(at(500, { shards: 3 }), 3);
  // HyParView with shuffles too long for an event slot cannot cross threads, so stays whole.
  t.is(at(30_000, {}, makeProtocol('hyparview', { hyparview: { ka: 5, kp: 10, passiveSize: 30 } })), 1);
});

test('bad shard counts are refused with the reason', (t) => {
  const protocol = makeProtocol('hyparview');
  t.throws(() => new Simulation(protocol, { ...DEFAULT_ENGINE, nodes: 100, seed: 1, shards: 0 }), { instanceOf: RangeError, message: /shards must be an integer from 1 to 16, got 0/ });
  t.throws(() => new Simulation(protocol, { ...DEFAULT_ENGINE, nodes: 3, seed: 1, shards: 4 }), { instanceOf: RangeError, message: /from 1 to 3, got 4/ });
  t.throws(() => new Simulation(protocol, { ...DEFAULT_ENGINE, latencyMs: { min: 0, max: 50 }, nodes: 100, seed: 1, shards: 2 }), { instanceOf: RangeError, message: /latencyMs.min must be at least 1 ms/ });
  t.throws(() => simulate({ protocol: 'hyparview', nodes: 100, seed: 1, engine: engine({ shards: 1.5 }) }), { instanceOf: SimulateError, message: /shards: must be an integer from 1 to 16/ });
});

test('a shard thread that fails ends the run with its error, within seconds, not a hang', (t) => {
  const real = makeProtocol('hyparview');
  // A thread rebuilds the protocol from its recipe: one naming no protocol fails there, not here.
  const broken = Object.defineProperty({ ...real }, 'recipe', { value: { name: 'gossipsub', options: {} } });
  const sim = new Simulation(broken, { ...engine({ shards: 2 }), nodes: 400, seed: SEED });
  sim.bootstrap('sequential');
  const t0 = Date.now();
  t.throws(() => sim.runCycles(1), { message: /simulation thread of shard 1: / });
  t.true(Date.now() - t0 < 30_000);
});

test('the build runs whole, so every shard count builds the same overlay; what is pending when the cycles start goes to its shard', (t) => {
  const run = (shards: number, threads: boolean) => {
    const sim = new Simulation(makeProtocol('hyparview'), { ...engine({ shards, threads }), nodes: 800, seed: SEED });
    sim.bootstrap('sequential');
    const built = Array.from({ length: sim.size }, (_, i) => JSON.stringify(sim.snapshot().nodes[i]));
    // Left in flight into the first cycle: a broadcast to start later, a crash's link failures, a fresh node's join.
    const rec = sim.broadcast(sim.now + 700);
    sim.crash([3, 5, 7]);
    sim.replace(5, 0);
    sim.runCycles(3);
    sim.drain();
    return { built, after: sim.snapshot(), rec, events: sim.eventsProcessed };
  };
  const whole = run(1, false);
  const [alone, threaded] = [run(3, false), run(3, true)];
  t.deepEqual(alone.built, whole.built, `seed ${SEED}`);
  t.notDeepEqual(alone.after, whole.after, 'three shards draw from choosers of their own');
  t.deepEqual(threaded, alone, `seed ${SEED}`);
  t.is(alone.rec.delivered, alone.rec.live);
  t.is(alone.rec.live, 800 - 2, 'the broadcast started after the crash: owed to the live nodes but 3 and 7');
});

test('a drain on several shards stops at its event budget with Livelock, counting what waits between shards', (t) => {
  const sim = new Simulation(makeProtocol('hyparview'), { ...engine({ shards: 2 }), nodes: 300, seed: SEED });
  sim.bootstrap('sequential');
  sim.runCycles(1);
  sim.broadcast();
  const e = t.throws(() => sim.drain(50), { instanceOf: Livelock });
  t.is(e?.events, 50);
});
