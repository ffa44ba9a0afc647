// What the explorer draws, step by step, taken from the replay of a token: the checker's own
// worlds decoded, never a second run of the model.
import { describeMessage } from '../../models/hyparview/messages.ts';
import { asymmetricPairs, components } from '../../properties/invariants.ts';
import { decodeWorld } from '../checker/encode.ts';
import { scenarioOf } from '../checker/options.ts';
import { LINK_DOWN, type Packet } from '../checker/packets.ts';
import { decodeToken, replayPath } from '../checker/trace.ts';
import { snapshotOf } from '../checker/world.ts';

export interface FrameNode {
  readonly id: number;
  readonly alive: boolean;
  readonly joined: boolean;
  readonly active: readonly number[];
  readonly passive: readonly number[];
  readonly pending: number;
  readonly timers: readonly number[];
}

export interface Frame {
  /** 0: the initial world; k: after step k. */
  readonly step: number;
  readonly action: string | null;
  /** The node the step acted on (-1: a fault, or the initial world). */
  readonly stepped: number;
  readonly nodes: readonly FrameNode[];
  /** Messages in flight on each directed link that carries any, oldest first. */
  readonly links: ReadonlyArray<{ readonly from: number; readonly to: number; readonly packets: readonly string[] }>;
  /** Components of the active graph over live nodes, and pairs only one side holds. */
  readonly components: ReadonlyArray<readonly number[]>;
  readonly asymmetric: ReadonlyArray<readonly [number, number]>;
}

export interface ExplorerData {
  readonly token: string;
  readonly scenario: string;
  readonly frames: readonly Frame[];
  /** What breaks at the last step (empty: the trace ends with every property holding). */
  readonly failures: ReadonlyArray<{ readonly property: string; readonly message: string }>;
}

const describePacket = (p: Packet): string => (p.t === LINK_DOWN.t ? 'link down' : describeMessage(p as Exclude<Packet, typeof LINK_DOWN>));

/** The frames of a token's trace; a bad token throws ConfigError naming the problem. */
export function explorerData(token: string): ExplorerData {
  const { options, path } = decodeToken(token);
  const trace = replayPath(options, path);
  const scenario = scenarioOf(options);
  const frames = trace.worlds.map((w, k): Frame => {
    const v = decodeWorld(w);
    const n = v.nodes.length;
    const snapshot = snapshotOf(scenario, w);
    const step = k === 0 ? null : trace.steps[k - 1]!;
    return {
      step: k,
      action: step?.action ?? null,
      stepped: step?.node ?? -1,
      nodes: v.nodes.map((node, i) => ({
        id: i,
        alive: ((v.alive >> i) & 1) === 1,
        joined: ((v.joined >> i) & 1) === 1,
        active: node.active,
        passive: node.passive,
        pending: node.pending,
        timers: v.timers[i]!,
      })),
      links: v.queues.flatMap((q, at) => (q.length === 0 ? [] : [{ from: Math.floor(at / n), to: at % n, packets: q.map(describePacket) }])),
      components: components(snapshot),
      asymmetric: asymmetricPairs(snapshot),
    };
  });
  const mode = `${options.variant} variant${options.mutant ? `, mutant ${options.mutant}` : ''}, ${options.nodes} nodes, active ${options.active}, passive ${options.passive}, seed ${options.seed}`;
  return { token, scenario: mode, frames, failures: trace.failures.map((f) => ({ property: f.property, message: f.message })) };
}
