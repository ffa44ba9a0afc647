// Judging a world against the properties. Node-local always-properties are judged once per
// node state and remembered (most worlds differ from a seen one in one node or one queue);
// the rest are judged on the world's snapshot, quiescent ones only at quiescence.
import { ALL_PROPERTIES, type Property, type Verdict } from '../../properties/invariants.ts';
import { type ClusterSnapshot, isQuiescent } from '../../properties/snapshot.ts';
import { WorldIndex } from './encode.ts';
import { BytesMap } from './fingerprint.ts';
import { mayBeQuiescent, nodeSnapshot, type Scenario, snapshotOf, type World } from './world.ts';

export interface Failure {
  readonly property: string;
  readonly message: string;
}

export interface Judgement {
  readonly failures: Failure[];
  /** The quiescent properties applied (properties/snapshot isQuiescent). */
  readonly quiescent: boolean;
}

const LOCAL = ALL_PROPERTIES.filter((p): p is Property & Required<Pick<Property, 'local'>> => p.local !== undefined);
/** Each property's position in LOCAL, or -1. */
const LOCAL_INDEX = ALL_PROPERTIES.map((p) => LOCAL.indexOf(p as (typeof LOCAL)[number]));

export class Judge {
  private readonly index: WorldIndex;
  private readonly verdicts = new BytesMap<readonly Verdict[]>();
  private readonly key = new Uint8Array(256);

  constructor(readonly s: Scenario) {
    this.index = new WorldIndex(s.nodes);
  }

  /**
   * Judges `w`. `changed` (bit i for node i) may leave out nodes whose state is that of a world
   * already judged free of node-local violations: their verdicts are known.
   */
  judge(w: World, changed = -1): Judgement {
    const index = this.index.of(w);
    // Built only when a property needs the whole world (seldom: quiescent worlds are few).
    let snapshot: ClusterSnapshot | undefined;
    const quiescent = mayBeQuiescent(this.s, index) && isQuiescent((snapshot = snapshotOf(this.s, w)));
    const failures: Failure[] = [];
    const local: (readonly Verdict[] | null)[] = [];
    for (let i = 0; i < this.s.nodes; i++) local.push(index.alive(i) && ((changed >> i) & 1) === 1 ? this.localVerdicts(i) : null);
    for (let j = 0; j < ALL_PROPERTIES.length; j++) {
      const p = ALL_PROPERTIES[j]!;
      const k = LOCAL_INDEX[j]!;
      let message: Verdict = null;
      if (k >= 0) {
        for (let i = 0; i < local.length && !message; i++) message = local[i]?.[k] ?? null;
      } else if (p.kind === 'always' || quiescent) {
        message = p.check((snapshot ??= snapshotOf(this.s, w)));
      }
      if (message) failures.push({ property: p.name, message });
    }
    return { failures, quiescent };
  }

  /** The node-local verdicts of live node i, judged once per (id, node state). */
  private localVerdicts(i: number): readonly Verdict[] {
    const { bytes, nodeAt } = this.index;
    const key = this.key;
    key[0] = i;
    let len = 1;
    for (let k = nodeAt[i]!; k < nodeAt[i + 1]!; k++) key[len++] = bytes[k]!;
    let verdicts = this.verdicts.get(key, len);
    if (!verdicts) {
      const node = nodeSnapshot(this.index, i);
      const bounds = { activeSize: this.s.config.activeSize, passiveSize: this.s.config.passiveSize };
      this.verdicts.add(key, len, (verdicts = LOCAL.map((p) => p.local(node, bounds))));
    }
    return verdicts;
  }
}

const judges = new WeakMap<Scenario, Judge>();

/** Every property `w` breaks: always-properties everywhere, quiescent ones at quiescence. */
export function failuresIn(s: Scenario, w: World): Failure[] {
  let judge = judges.get(s);
  if (!judge) judges.set(s, (judge = new Judge(s)));
  return judge.judge(w).failures;
}
