// Judging a world against the properties. Node-local always-properties are judged once per
// node state and remembered (most worlds differ from a seen one in one node or one queue);
// the rest are judged on the world's snapshot, quiet ones only where nothing is in flight and
// quiescent ones only at quiescence.
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
  readonly failures: readonly Failure[];
  /** The quiet properties applied (nothing in flight). */
  readonly quiet: boolean;
  /** The quiescent properties applied (properties/snapshot isQuiescent). */
  readonly quiescent: boolean;
}

const LOCAL = ALL_PROPERTIES.filter((p): p is Property & Required<Pick<Property, 'local'>> => p.local !== undefined);
/** Each property's position in LOCAL, or -1. */
const LOCAL_INDEX = ALL_PROPERTIES.map((p) => LOCAL.indexOf(p as (typeof LOCAL)[number]));
/** Some always-property needs the whole world. */
const GLOBAL_ALWAYS = ALL_PROPERTIES.some((p) => p.kind === 'always' && !p.local);
const CLEAN: Judgement = Object.freeze({ failures: Object.freeze([]), quiet: false, quiescent: false });

export class Judge {
  private readonly index: WorldIndex;
  /** Per (id, node state): the node-local verdicts, or null when every one holds. */
  private readonly verdicts = new BytesMap<readonly Verdict[] | null>();
  private readonly local: (readonly Verdict[] | null)[];
  private readonly key = new Uint8Array(256);

  constructor(readonly s: Scenario) {
    this.index = new WorldIndex(s.nodes);
    this.local = new Array<readonly Verdict[] | null>(s.nodes).fill(null);
  }

  /**
   * Judges `w`. `changed` (bit i for node i) may leave out nodes whose state is that of a world
   * already judged free of node-local violations: their verdicts are known.
   */
  judge(w: World, changed = -1): Judgement {
    const index = this.index.of(w);
    const local = this.local;
    let broken = false;
    for (let i = 0; i < this.s.nodes; i++) {
      local[i] = index.alive(i) && ((changed >> i) & 1) === 1 ? this.localVerdicts(i) : null;
      if (local[i]) broken = true;
    }
    // Built only when a property needs the whole world (seldom: quiescent worlds are few).
    let snapshot: ClusterSnapshot | undefined;
    const quiet = index.inFlight === 0;
    const quiescent = mayBeQuiescent(this.s, index) && isQuiescent((snapshot = snapshotOf(this.s, w)));
    if (!broken && !quiet && !GLOBAL_ALWAYS) return CLEAN;
    const failures: Failure[] = [];
    for (let j = 0; j < ALL_PROPERTIES.length; j++) {
      const p = ALL_PROPERTIES[j]!;
      const k = LOCAL_INDEX[j]!;
      let message: Verdict = null;
      if (k >= 0) {
        for (let i = 0; i < local.length && !message; i++) message = local[i]?.[k] ?? null;
      } else if (p.kind === 'always' || (p.kind === 'quiet' && quiet) || (p.kind === 'quiescent' && quiescent)) {
        message = p.check((snapshot ??= snapshotOf(this.s, w)));
      }
      if (message) failures.push({ property: p.name, message });
    }
    return { failures, quiet, quiescent };
  }

  /** The node-local verdicts of live node i (null when all hold), judged once per (id, node state). */
  private localVerdicts(i: number): readonly Verdict[] | null {
    const { bytes, nodeAt } = this.index;
    const key = this.key;
    key[0] = i;
    let len = 1;
    for (let k = nodeAt[i]!; k < nodeAt[i + 1]!; k++) key[len++] = bytes[k]!;
    let verdicts = this.verdicts.get(key, len);
    if (verdicts === undefined) {
      const node = nodeSnapshot(this.index, i);
      const bounds = { activeSize: this.s.config.activeSize, passiveSize: this.s.config.passiveSize };
      verdicts = LOCAL.map((p) => p.local(node, bounds));
      if (verdicts.every((v) => v === null)) verdicts = null;
      this.verdicts.add(key, len, verdicts);
    }
    return verdicts;
  }
}

const judges = new WeakMap<Scenario, Judge>();

/** Every property `w` breaks: always-properties everywhere, quiescent ones at quiescence. */
export function failuresIn(s: Scenario, w: World): readonly Failure[] {
  let judge = judges.get(s);
  if (!judge) judges.set(s, (judge = new Judge(s)));
  return judge.judge(w).failures;
}
