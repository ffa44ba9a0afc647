// One node's step in the checker's terms: the node's new bytes, the packets it sent, the peers
// it linked to and the events it counted. The model is pure, so a step is a function of (node
// id, node bytes, input, choices); the cache keeps every enumerated outcome of each (node,
// input) it has seen, so the millions of worlds that share a node state and an arriving packet
// run the model once between them (see BENCHMARKS.md).
import type { Chooser } from '../../models/chooser.ts';
import type { HyParViewConfig } from '../../models/hyparview/config.ts';
import type { Message, NodeId } from '../../models/hyparview/messages.ts';
import { type Effect, type EventKind, type Input, NONE, step } from '../../models/hyparview/node.ts';
import { messageFailures } from '../../properties/messages.ts';
import { hashSegment, packetSize, readNode, readPacket, writeNode, writePacket } from './encode.ts';
import { BytesMap, type Fingerprint } from './fingerprint.ts';
import { LINK_DOWN } from './packets.ts';

export type StepEffect =
  /** A packet (encoded) for `to`. */
  | { readonly to: NodeId; readonly packet: Uint8Array }
  /** `peer` entered the active view: a connection to it must exist. */
  | { readonly linked: NodeId }
  /** The NEIGHBOR timer for `peer` is (re-)armed: it may fire later, as the real node's setTimeout does. */
  | { readonly armed: NodeId };

export interface StepOutcome {
  /** The node's new segment, and its hash in the node's slot (encode.ts addSegment). */
  readonly node: Uint8Array;
  readonly nodeHash: Fingerprint;
  readonly effects: readonly StepEffect[];
  readonly events: readonly EventKind[];
  /** The value each random choice took, in the order the node asked. */
  readonly choices: readonly number[];
  /** The message properties (properties/messages.ts) this step breaks, or null. */
  readonly stepFailures: readonly { readonly property: string; readonly message: string }[] | null;
}

/** What a node steps on, as found in the world's bytes. */
export const enum InputKind {
  Join = 0,
  /** A packet from `arg` (a message or a link-down), at `packetAt`. */
  Packet = 1,
  ShuffleTimer = 2,
  /** The NEIGHBOR request to `arg` timed out. */
  NeighborTimeout = 3,
}

export interface StepInput {
  kind: InputKind;
  arg: NodeId;
  /** The world bytes and offset of the node's segment, and of the packet for InputKind.Packet. */
  bytes: Uint8Array;
  nodeAt: number;
  nodeEnd: number;
  packetAt: number;
}

function modelInput(x: StepInput): Input {
  switch (x.kind) {
    case InputKind.Join:
      return { t: 'join', contact: x.arg };
    case InputKind.Packet: {
      const p = readPacket(x.bytes, x.packetAt);
      return p === LINK_DOWN ? { t: 'linkDown', peer: x.arg } : { t: 'message', from: x.arg, msg: p as Message };
    }
    case InputKind.ShuffleTimer:
      return { t: 'shuffleTimer' };
    case InputKind.NeighborTimeout:
      return { t: 'neighborTimeout', peer: x.arg };
  }
}

const scratch = new Uint8Array(1 << 12);

/** Runs the model for node `id` on `x`, with `chooser` making its random choices. */
export function runStep(config: HyParViewConfig, id: NodeId, x: StepInput, chooser: Chooser, choices: readonly number[]): StepOutcome {
  const node = readNode(x.bytes, x.nodeAt, id);
  const out: Effect[] = [];
  const before = { active: node.active.slice(), passive: node.passive.slice() };
  const input = modelInput(x);
  step(node, input, { config, chooser, out });
  const effects: StepEffect[] = [];
  const events: EventKind[] = [];
  const sent: { to: NodeId; msg: Message }[] = [];
  for (const e of out) {
    if (e.t === 'send') sent.push(e);
    if (e.t === 'send') effects.push({ to: e.to, packet: scratch.slice(0, writePacket(scratch, 0, e.msg)) });
    else if (e.t === 'neighborUp') effects.push({ linked: e.peer });
    else if (e.t === 'armNeighborTimeout') effects.push({ armed: e.peer });
    else if (e.t === 'event') events.push(e.kind);
    // neighborDown changes nothing the world holds: the real node only logs it, and decides which
    // connections to keep from the node's state after each step (harness/node/node.ts reconcile).
  }
  const segment = scratch.slice(0, writeNode(scratch, 0, node));
  const nodeHash: Fingerprint = { hi: 0, lo: 0 };
  hashSegment(segment, 0, segment.length, id, nodeHash);
  // Judged once per (node, input, choices): the cache below keeps the verdict with the outcome.
  const stepFailures = messageFailures({ id, input, before, after: node, sent }, config);
  return { node: segment, nodeHash, effects, events, choices, stepFailures };
}

/** Replays a fixed script of choice values, recording how many alternatives each choice had. */
class ScriptChooser implements Chooser {
  script: readonly number[] = [];
  used: number[] = [];
  ranges: number[] = [];

  reset(script: readonly number[]): void {
    this.script = script;
    this.used = [];
    this.ranges = [];
  }

  private next(range: number): number {
    const pos = this.used.length;
    const v = pos < this.script.length ? this.script[pos]! : 0;
    this.used.push(v);
    this.ranges.push(range);
    return v;
  }

  pick(n: number): number {
    return n <= 1 ? 0 : this.next(n);
  }

  chance(k: number, n: number): boolean {
    if (k <= 0) return false;
    if (k >= n) return true;
    return this.next(2) === 1;
  }

  /** The next script in odometer order, or null when every combination has been run. */
  following(): number[] | null {
    const { used, ranges } = this;
    for (let p = used.length - 1; p >= 0; p--) {
      if (used[p]! + 1 < ranges[p]!) return [...used.slice(0, p), used[p]! + 1];
    }
    return null;
  }
}

/** Every outcome of the step, one per combination of choices, in odometer order. */
function enumerateStep(config: HyParViewConfig, id: NodeId, x: StepInput): StepOutcome[] {
  const script = new ScriptChooser();
  const outcomes: StepOutcome[] = [];
  let next: readonly number[] | null = [];
  while (next) {
    script.reset(next);
    outcomes.push(runStep(config, id, x, script, script.used));
    next = script.following();
  }
  return outcomes;
}

const cycleVerdicts = new WeakMap<HyParViewConfig, BytesMap<boolean>>();
const cycleKey = new Uint8Array(256);

/**
 * Whether node `id`, whose segment is bytes[at, end), sends a NEIGHBOR request when its shuffle
 * timer fires, for some choice; run once per (config, id, node state), as the step cache does.
 */
export function cycleAsks(config: HyParViewConfig, id: NodeId, bytes: Uint8Array, at: number, end: number): boolean {
  let verdicts = cycleVerdicts.get(config);
  if (!verdicts) cycleVerdicts.set(config, (verdicts = new BytesMap()));
  cycleKey[0] = id;
  cycleKey.set(bytes.subarray(at, end), 1);
  const len = 1 + end - at;
  let asks = verdicts.get(cycleKey, len);
  if (asks === undefined) {
    const outcomes = enumerateStep(config, id, { kind: InputKind.ShuffleTimer, arg: 0, bytes, nodeAt: at, nodeEnd: end, packetAt: 0 });
    asks = outcomes.some((o) => readNode(o.node, 0, id).pending !== NONE);
    verdicts.add(cycleKey, len, asks);
  }
  return asks;
}

export class StepCache {
  private readonly table = new BytesMap<StepOutcome[]>();
  private readonly key = new Uint8Array(256);

  constructor(private readonly config: HyParViewConfig) {}

  /** The enumerated outcomes of node `id` stepping on `x`. */
  outcomes(id: NodeId, x: StepInput): StepOutcome[] {
    const key = this.key;
    key[0] = id;
    key[1] = x.kind;
    key[2] = x.arg;
    let len = 3;
    for (let k = x.nodeAt; k < x.nodeEnd; k++) key[len++] = x.bytes[k]!;
    if (x.kind === InputKind.Packet) {
      for (let k = x.packetAt, end = k + packetSize(x.bytes, k); k < end; k++) key[len++] = x.bytes[k]!;
    }
    let outcomes = this.table.get(key, len);
    if (!outcomes) this.table.add(key, len, (outcomes = enumerateStep(this.config, id, x)));
    return outcomes;
  }
}
