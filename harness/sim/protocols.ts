// The three overlays the simulator compares, behind one interface, each driving its unchanged
// sans-IO model. HyParView runs over TCP (a send to a dead peer comes back as a link failure,
// and a crash breaks its open connections); Cyclon and Scamp exchange datagrams, as in their
// own papers' models, so a message to a dead peer is lost without a word.
import type { Chooser } from '../../models/chooser.ts';
import type { BaselineContext, BaselineEffect, BaselineInput } from '../../models/baseline.ts';
import { type CyclonConfig, initialCyclon, makeCyclonConfig, neighboursCyclon, stepCyclon } from '../../models/cyclon/index.ts';
import { type HyParViewConfig, makeConfig } from '../../models/hyparview/config.ts';
import type { NodeId } from '../../models/hyparview/messages.ts';
import { type Effect, initialNode, NONE, type NodeState, step } from '../../models/hyparview/node.ts';
import { clear } from '../../models/hyparview/views.ts';
import { initialScamp, makeScampConfig, neighboursScamp, type ScampConfig, stepScamp } from '../../models/scamp/index.ts';
import type { NodeSnapshot } from '../../properties/snapshot.ts';
import type { MessageCodec } from './events.ts';
import type { Recipe } from './parallel.ts';
import { hyparviewMessages, hyparviewStates } from './packing.ts';
import type { StateCodec } from './store.ts';

export const PROTOCOLS = ['hyparview', 'cyclon', 'scamp'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

/**
 * What the engine does with a model's effects: sends, and (HyParView) NEIGHBOR timeouts to arm,
 * one per node: arming another drops the earlier one, whose request the node no longer waits on.
 */
export type SimEffect = { readonly t: 'send'; readonly to: NodeId; readonly msg: unknown } | { readonly t: 'armNeighborTimeout'; readonly peer: NodeId } | { readonly t: string };

export type SimInput =
  | { readonly t: 'join'; readonly contact: NodeId }
  | { readonly t: 'message'; readonly from: NodeId; readonly msg: unknown }
  | { readonly t: 'cycle' }
  | { readonly t: 'linkDown'; readonly peer: NodeId }
  | { readonly t: 'timeout'; readonly peer: NodeId };

export interface SimProtocol<S = unknown> {
  readonly name: ProtocolName;
  /** True over TCP: a send to a dead peer fails back to the sender, and a crash breaks open links. */
  readonly connections: boolean;
  /** How many out-neighbours a node aims for (the active view, or the partial view's bound). */
  readonly viewTarget: number;
  init(id: NodeId): S;
  step(s: S, input: SimInput, chooser: Chooser, out: SimEffect[]): void;
  /** Out-neighbours: the overlay's edges, for its statistics. */
  neighbours(s: S): readonly NodeId[];
  /** Where a node sends a broadcast it delivers for the first time (`from` = -1 at the origin); valid until the next call (read it at once). */
  gossipTargets(s: S, from: NodeId, chooser: Chooser): readonly NodeId[];
  /** Peers a node holds a connection to (TCP protocols): a crash of one of them breaks it. */
  links(s: S): readonly NodeId[];
  /** The peer whose answer the node waits on (-1: none): a NEIGHBOR timer for any other times out nothing, and the engine skips it. */
  awaiting?(s: S): NodeId;
  /** The node for the shared properties, where the protocol has the views they judge. */
  snapshot?(s: S, alive: boolean): NodeSnapshot;
  /** Bounds the properties judge views against. */
  readonly bounds?: { readonly activeSize: number; readonly passiveSize: number };
  /** Packs a node's state into a fixed slot (store.ts), where the state's size is bounded. */
  readonly states?: StateCodec<S>;
  /** Packs a message in flight into its event's slot (events.ts). */
  readonly messages?: MessageCodec;
  /** Words the longest message packs into: shards on threads need every message packed. */
  readonly messageWords?: number;
  /** How another thread rebuilds this protocol (makeProtocol's own, and not carried by a copy: a changed copy stays on one thread). */
  readonly recipe?: Recipe;
}

export interface ProtocolOptions {
  readonly hyparview?: Parameters<typeof makeConfig>[0];
  readonly cyclon?: Partial<CyclonConfig>;
  readonly scamp?: Partial<ScampConfig>;
  /** Gossip fanout of Cyclon and Scamp (HyParView floods its active view). */
  readonly fanout?: number;
}

/** The paper's comparison: every overlay forwards a broadcast to 4 peers (HyParView: active 5 minus the sender). */
export const DEFAULT_FANOUT = 4;

const SHUFFLE_TIMER = { t: 'shuffleTimer' } as const;

function hyparview(config: HyParViewConfig): SimProtocol<NodeState> {
  const ctx = { config, chooser: undefined as unknown as Chooser, out: [] as Effect[] };
  // The flood's targets, rewritten for every copy: the engine reads them at once (a first delivery in a large run).
  const targets: NodeId[] = [];
  // The timer inputs, reused: the node reads an input, never keeps it.
  const timeout = { t: 'neighborTimeout' as const, peer: 0 };
  return {
    name: 'hyparview',
    connections: true,
    viewTarget: config.activeSize,
    bounds: { activeSize: config.activeSize, passiveSize: config.passiveSize },
    init: initialNode,
    states: hyparviewStates(config),
    messages: hyparviewMessages(),
    // A SHUFFLE_REPLY holds up to ka + kp + 1 ids, after the codec's three words.
    messageWords: 4 + config.ka + config.kp,
    step(s, input, chooser, out) {
      ctx.chooser = chooser;
      ctx.out = out as Effect[];
      switch (input.t) {
        case 'cycle':
          return step(s, SHUFFLE_TIMER, ctx);
        case 'timeout':
          timeout.peer = input.peer;
          return step(s, timeout, ctx);
        case 'message':
          return step(s, input as Parameters<typeof step>[1], ctx);
        default:
          return step(s, input, ctx);
      }
    },
    neighbours: (s) => s.active,
    awaiting: (s) => s.pending,
    gossipTargets(s, from) {
      if (from < 0) return s.active;
      clear(targets);
      for (const p of s.active) if (p !== from) targets.push(p);
      return targets;
    },
    links(s) {
      const held = s.pending === NONE ? s.active.slice() : [...s.active, s.pending];
      for (const p of s.abandoned) if (!held.includes(p)) held.push(p);
      return held;
    },
    snapshot: (s, alive) => ({
      id: s.id,
      alive,
      active: s.active,
      passive: s.passive,
      pending: s.pending === NONE ? [] : [s.pending],
      awaiting: s.abandoned,
      tracked: s.tried,
    }),
  };
}

/**
 * Gossip to `fanout` distinct random members of a partial view, never back to the sender: a
 * partial Fisher-Yates shuffle, one draw per target (the hot path of every broadcast copy).
 */
function gossip(fanout: number, view: readonly NodeId[], from: NodeId, chooser: Chooser): NodeId[] {
  const pool = from < 0 ? view.slice() : view.filter((p) => p !== from);
  const k = Math.min(fanout, pool.length);
  for (let i = 0; i < k; i++) {
    const j = i + chooser.pick(pool.length - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  pool.length = k;
  return pool;
}

/** A baseline overlay over datagrams, driving its model's step with the shared baseline vocabulary. */
function datagram<S, C, M>(
  name: ProtocolName,
  config: C,
  fanout: number,
  viewTarget: number,
  model: { init: (id: NodeId) => S; step: (s: S, input: BaselineInput<M>, ctx: BaselineContext<C, M>) => void; neighbours: (s: S) => readonly NodeId[] },
): SimProtocol<S> {
  const ctx = { config, chooser: undefined as unknown as Chooser, out: [] as BaselineEffect<M>[] };
  return {
    name,
    connections: false,
    viewTarget,
    init: model.init,
    step(s, input, chooser, out) {
      if (input.t === 'timeout') return; // no timers
      ctx.chooser = chooser;
      ctx.out = out as BaselineEffect<M>[];
      model.step(s, input as BaselineInput<M>, ctx);
    },
    neighbours: model.neighbours,
    gossipTargets: (s, from, chooser) => gossip(fanout, model.neighbours(s), from, chooser),
    links: () => [],
  };
}

export function makeProtocol(name: ProtocolName, options: ProtocolOptions = {}): SimProtocol {
  // Not enumerable, so a spread copy of the protocol (a test's changed step) has none.
  return Object.defineProperty(build(name, options), 'recipe', { value: { name, options } satisfies Recipe, enumerable: false });
}

function build(name: ProtocolName, options: ProtocolOptions): SimProtocol {
  const fanout = options.fanout ?? DEFAULT_FANOUT;
  switch (name) {
    case 'hyparview':
      return hyparview(makeConfig(options.hyparview)) as SimProtocol;
    case 'cyclon': {
      const config = makeCyclonConfig(options.cyclon);
      return datagram(name, config, fanout, config.viewSize, { init: initialCyclon, step: stepCyclon, neighbours: neighboursCyclon }) as SimProtocol;
    }
    case 'scamp': {
      const config = makeScampConfig(options.scamp);
      // Scamp's views average (c + 1) ln n and have no bound: a view counts as full from c + 1 ids.
      return datagram(name, config, fanout, config.c + 1, { init: initialScamp, step: stepScamp, neighbours: neighboursScamp }) as SimProtocol;
    }
  }
}
