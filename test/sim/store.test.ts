// The packed node store against the protocol's own objects: the same states, whatever fits.
import test from 'ava';
import type { NodeState } from '../../models/hyparview/node.ts';
import { makeProtocol } from '../../harness/sim/protocols.ts';
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
  const store = makeStore(3, protocol.init, protocol.codec as never) as ReturnType<typeof makeStore<NodeState>>;
  const bigState = (): NodeState => ({ id: 1, active: [2], passive: [0], pending: 0, tried: [0], exchanged: [], abandoned: [0, 0, 2, 2, 2] });
  const big = bigState();
  store.save(1, bigState());
  t.deepEqual(store.view(1), big);
  const copy = store.clone();
  const s = store.view(1);
  s.abandoned = [2];
  store.save(1, s);
  t.deepEqual(store.view(1), { ...big, abandoned: [2] });
  t.deepEqual(copy.view(1), big, 'the clone kept the state as it was');
  t.deepEqual(store.view(0), protocol.init(0));
  t.deepEqual(store.copy(2), protocol.init(2));
});
