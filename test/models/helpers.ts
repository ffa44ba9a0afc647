// Helpers for driving the reference node's `step()` one input at a time with scripted random
// choices, so every test can state the exact effects and resulting views it expects.
import type { Chooser } from '../../models/chooser.ts';
import { type Decisions, type HyParViewConfig, makeConfig } from '../../models/hyparview/config.ts';
import { type Message, MsgType, type NodeId } from '../../models/hyparview/messages.ts';
import type { MutantName } from '../../models/hyparview/mutants.ts';
import { cloneNode, type Effect, type EventKind, type Input, NONE, type NodeState, step } from '../../models/hyparview/node.ts';

/** The node under test is always node 0; peers are 1..9. */
export const SELF = 0;

/**
 * Small parameters so "full" views are easy to build: 3 active, 4 passive, walks of 4 (ARWL)
 * and 2 (PRWL), shuffles of 2 active + 2 passive ids with a walk of 3.
 */
export const TEST_PARAMETERS = { activeSize: 3, passiveSize: 4, arwl: 4, prwl: 2, ka: 2, kp: 2, shuffleWalk: 3 } as const;

export interface ConfigInput {
  decisions?: Partial<Decisions>;
  mutant?: MutantName;
  activeSize?: number;
  passiveSize?: number;
  arwl?: number;
  prwl?: number;
  ka?: number;
  kp?: number;
  shuffleWalk?: number;
  variant?: 'reference' | 'paper';
}

/** A validated config: the test parameters, reference decisions, and any overrides. */
export function config(input: ConfigInput = {}): HyParViewConfig {
  return makeConfig({ ...TEST_PARAMETERS, ...input });
}

/** The reference config with one decision changed. */
export function withDecision<K extends keyof Decisions>(key: K, value: Decisions[K], base: ConfigInput = {}): HyParViewConfig {
  return config({ ...base, decisions: { ...base.decisions, [key]: value } });
}

export interface NodeInit {
  active?: NodeId[];
  passive?: NodeId[];
  pending?: NodeId;
  tried?: NodeId[];
  exchanged?: NodeId[];
  abandoned?: NodeId[];
}

/** A node state for node `SELF`; views are sorted as the model keeps them. */
export function node(init: NodeInit = {}): NodeState {
  const sorted = (ids: NodeId[] = []): NodeId[] => ids.slice().sort((a, b) => a - b);
  return {
    id: SELF,
    active: sorted(init.active),
    passive: sorted(init.passive),
    pending: init.pending ?? NONE,
    tried: sorted(init.tried),
    exchanged: sorted(init.exchanged),
    abandoned: sorted(init.abandoned),
  };
}

/** One call the node made on its chooser, for tests that check how a choice was offered. */
export type ChoiceCall = { readonly kind: 'pick'; readonly n: number } | { readonly kind: 'chance'; readonly k: number; readonly n: number };

/**
 * A chooser that returns scripted values in order: `pick(n)` returns the next value (which must
 * be < n), `chance(k, n)` is true when the next value is 1. Like the checker's enumerating
 * chooser, calls that have a single outcome (pick(1), chance(0, n), chance(n, n)) consume no
 * value. Running out of script, or a value out of range, throws: a test must script every
 * real choice the node makes.
 */
export class ScriptedChooser implements Chooser {
  private pos = 0;
  readonly calls: ChoiceCall[] = [];

  constructor(private readonly script: readonly number[]) {}

  private next(range: number, what: string): number {
    const v = this.script[this.pos];
    if (v === undefined) throw new Error(`chooser script exhausted at ${what} (script ${JSON.stringify(this.script)})`);
    if (!Number.isInteger(v) || v < 0 || v >= range) throw new Error(`scripted value ${v} is out of range for ${what}`);
    this.pos++;
    return v;
  }

  pick(n: number): number {
    this.calls.push({ kind: 'pick', n });
    return n <= 1 ? 0 : this.next(n, `pick(${n})`);
  }

  chance(k: number, n: number): boolean {
    this.calls.push({ kind: 'chance', k, n });
    if (k <= 0) return false;
    if (k >= n) return true;
    return this.next(2, `chance(${k}, ${n})`) === 1;
  }

  /** Script values not consumed: a test whose script is longer than the node's choices is wrong. */
  get unused(): number {
    return this.script.length - this.pos;
  }
}

export interface StepResult {
  /** The state after the step (the input state is left untouched). */
  readonly state: NodeState;
  readonly effects: readonly Effect[];
  readonly chooser: ScriptedChooser;
}

/**
 * Runs one input on a copy of `state` with a scripted chooser. Throws when the script has
 * values left over, so a test's script always matches the choices the node really made.
 */
export function stepOnce(state: NodeState, input: Input, cfg: HyParViewConfig, script: readonly number[] = []): StepResult {
  const next = cloneNode(state);
  const chooser = new ScriptedChooser(script);
  const out: Effect[] = [];
  step(next, input, { config: cfg, chooser, out });
  if (chooser.unused > 0) throw new Error(`chooser script ${JSON.stringify(script)} has ${chooser.unused} unused value(s)`);
  return { state: next, effects: out, chooser };
}

/** Runs inputs in sequence, each with its own script; returns every step's result. */
export function stepAll(state: NodeState, cfg: HyParViewConfig, steps: ReadonlyArray<readonly [Input, (readonly number[])?]>): StepResult[] {
  const results: StepResult[] = [];
  let s = state;
  for (const [input, script] of steps) {
    const r = stepOnce(s, input, cfg, script ?? []);
    results.push(r);
    s = r.state;
  }
  return results;
}

/** The views of a state, in the shape tests compare against. */
export function views(s: NodeState): Required<NodeInit> {
  return { active: s.active, passive: s.passive, pending: s.pending, tried: s.tried, exchanged: s.exchanged, abandoned: s.abandoned };
}

// ---- inputs ----------------------------------------------------------------------------------

export const recv = (from: NodeId, msg: Message): Input => ({ t: 'message', from, msg });
export const joinVia = (contact: NodeId): Input => ({ t: 'join', contact });
export const linkDown = (peer: NodeId): Input => ({ t: 'linkDown', peer });
export const shuffleTimer = (): Input => ({ t: 'shuffleTimer' });
export const neighborTimeout = (peer: NodeId): Input => ({ t: 'neighborTimeout', peer });

// ---- messages --------------------------------------------------------------------------------

export const JOIN: Message = { t: MsgType.Join };
export const DISCONNECT: Message = { t: MsgType.Disconnect };
export const forwardJoin = (newNode: NodeId, ttl: number): Message => ({ t: MsgType.ForwardJoin, newNode, ttl });
export const neighbor = (high: boolean): Message => ({ t: MsgType.Neighbor, high });
export const HIGH = neighbor(true);
export const LOW = neighbor(false);
export const neighborReply = (accepted: boolean): Message => ({ t: MsgType.NeighborReply, accepted });
export const ACCEPT = neighborReply(true);
export const REJECT = neighborReply(false);
export const shuffle = (origin: NodeId, ids: NodeId[], ttl: number): Message => ({ t: MsgType.Shuffle, origin, ids, ttl });
export const shuffleReply = (ids: NodeId[]): Message => ({ t: MsgType.ShuffleReply, ids });

// ---- effects ---------------------------------------------------------------------------------

export const send = (to: NodeId, msg: Message): Effect => ({ t: 'send', to, msg });
export const up = (peer: NodeId): Effect => ({ t: 'neighborUp', peer });
export const down = (peer: NodeId): Effect => ({ t: 'neighborDown', peer });
export const arm = (peer: NodeId): Effect => ({ t: 'armNeighborTimeout', peer });
export const event = (kind: EventKind, peer: NodeId): Effect => ({ t: 'event', kind, peer });

/** The effects of a full active view evicting `victim` to make room (paper's dropRandomElementFromActiveView). */
export const evictionOf = (victim: NodeId): Effect[] => [down(victim), send(victim, DISCONNECT), event('evicted', victim)];

/** The effects of starting a NEIGHBOR request to `peer`. */
export const request = (peer: NodeId, high: boolean): Effect[] => [send(peer, neighbor(high)), arm(peer)];

/** Only the messages sent, in order. */
export function sentMessages(effects: readonly Effect[]): Array<{ to: NodeId; msg: Message }> {
  return effects.flatMap((e) => (e.t === 'send' ? [{ to: e.to, msg: e.msg }] : []));
}
