// The checker's world: node states, one FIFO queue per directed link, which nodes are alive
// and joined, and what is left of each fault budget. Transitions copy only what they touch.
import type { Chooser } from '../../models/chooser.ts';
import type { HyParViewConfig } from '../../models/hyparview/config.ts';
import { describeMessage, type Message, type NodeId } from '../../models/hyparview/messages.ts';
import { cloneNode, type Effect, type EventKind, initialNode, type Input, NONE, type NodeState, step } from '../../models/hyparview/node.ts';
import { type ClusterSnapshot, isQuiescent, type NodeSnapshot } from '../../properties/snapshot.ts';

import { digestWorld, updateSum } from './encode.ts';
import { LINK_DOWN, type Packet } from './packets.ts';

export { LINK_DOWN, type Packet };

export interface Budgets {
  /** Node crashes, once the cluster has formed (first reached quiescence after every join). */
  readonly crashes: number;
  /** Connection failures between two live nodes (both sides see the link go down), once the cluster has formed. */
  readonly linkFailures: number;
  /** NEIGHBOR timeouts that fire while messages are still in flight (a slow, not a dead, peer). */
  readonly earlyTimeouts: number;
  /** Shuffle-timer firings per node. */
  readonly cycles: number;
}

export interface Scenario {
  readonly nodes: number;
  /** Node 0 starts alone; every other node joins through it, in any order. */
  readonly config: HyParViewConfig;
  readonly budgets: Budgets;
}

export interface World {
  readonly nodes: readonly NodeState[];
  readonly alive: number;
  readonly joined: number;
  /** The cluster has been quiescent once since every join was issued; faults are enabled from then on. */
  readonly formed: boolean;
  readonly cyclesUsed: readonly number[];
  readonly crashesLeft: number;
  readonly linkFailuresLeft: number;
  readonly earlyTimeoutsLeft: number;
  /** queues[from * n + to] */
  readonly queues: readonly (readonly Packet[])[];
  /** Sums (two 32-bit lanes) of the hashes of every node and queue, updated only where a transition touched. */
  readonly sumHi: number;
  readonly sumLo: number;
}

export type Action =
  | { readonly k: 'deliver'; readonly from: NodeId; readonly to: NodeId }
  | { readonly k: 'join'; readonly node: NodeId }
  | { readonly k: 'cycle'; readonly node: NodeId }
  | { readonly k: 'timeout'; readonly node: NodeId }
  | { readonly k: 'crash'; readonly node: NodeId }
  | { readonly k: 'failLink'; readonly a: NodeId; readonly b: NodeId };

export const MAX_CHECKER_NODES = 8;
const EMPTY: readonly Packet[] = [];
const isAlive = (w: World, i: number): boolean => ((w.alive >> i) & 1) === 1;
const allJoined = (w: World, n: number): boolean => w.joined === (1 << n) - 1;

export function initialWorld(s: Scenario): World {
  const n = s.nodes;
  return digestWorld({
    nodes: Array.from({ length: n }, (_, i) => initialNode(i)),
    alive: (1 << n) - 1,
    joined: 1, // node 0 is the contact and needs no join
    formed: s.nodes === 1,
    cyclesUsed: new Array<number>(n).fill(0),
    crashesLeft: s.budgets.crashes,
    linkFailuresLeft: s.budgets.linkFailures,
    earlyTimeoutsLeft: s.budgets.earlyTimeouts,
    queues: new Array<readonly Packet[]>(n * n).fill(EMPTY),
    sumHi: 0,
    sumLo: 0,
  });
}

export function inFlight(w: World): number {
  let total = 0;
  for (const q of w.queues) total += q.length;
  return total;
}

/** Every action enabled in `w`, in a fixed order (the order replay tokens index into). */
export function enabledActions(s: Scenario, w: World): Action[] {
  const n = s.nodes;
  const out: Action[] = [];
  for (let from = 0; from < n; from++) {
    for (let to = 0; to < n; to++) if (w.queues[from * n + to]!.length > 0) out.push({ k: 'deliver', from, to });
  }
  for (let i = 1; i < n; i++) if (((w.joined >> i) & 1) === 0) out.push({ k: 'join', node: i });
  const quiet = inFlight(w) === 0;
  for (let i = 0; i < n; i++) {
    if (!isAlive(w, i) || ((w.joined >> i) & 1) === 0) continue;
    if (w.cyclesUsed[i]! < s.budgets.cycles) out.push({ k: 'cycle', node: i });
    if (w.nodes[i]!.pending !== NONE && (quiet || w.earlyTimeoutsLeft > 0)) out.push({ k: 'timeout', node: i });
  }
  if (w.crashesLeft > 0 && w.formed) {
    for (let i = 0; i < n; i++) if (isAlive(w, i)) out.push({ k: 'crash', node: i });
  }
  if (w.linkFailuresLeft > 0 && w.formed) {
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) if (isAlive(w, a) && isAlive(w, b) && linked(w, n, a, b)) out.push({ k: 'failLink', a, b });
    }
  }
  return out;
}

function linked(w: World, n: number, a: number, b: number): boolean {
  return w.nodes[a]!.active.includes(b) || w.nodes[b]!.active.includes(a) || w.queues[a * n + b]!.length > 0 || w.queues[b * n + a]!.length > 0;
}

/** What one transition did, for traces and `sometimes` guards. */
export interface Transition {
  readonly world: World;
  readonly events: readonly EventKind[];
  /** The message or connection event the action delivered, if any. */
  readonly delivered: Packet | undefined;
}

/** A mutable copy of a world for one transition: nodes and queues copied only when touched. */
class Draft {
  readonly nodes: NodeState[];
  readonly queues: (readonly Packet[])[];
  readonly cyclesUsed: number[];
  /** Indexes of the nodes, then (offset by n) the queues, this transition replaced. */
  private readonly touched: number[] = [];
  alive: number;
  joined: number;
  formed: boolean;
  crashesLeft: number;
  linkFailuresLeft: number;
  earlyTimeoutsLeft: number;
  readonly events: EventKind[] = [];

  constructor(readonly n: number, w: World) {
    this.nodes = w.nodes.slice();
    this.queues = w.queues.slice();
    this.cyclesUsed = w.cyclesUsed.slice();
    this.alive = w.alive;
    this.joined = w.joined;
    this.formed = w.formed;
    this.crashesLeft = w.crashesLeft;
    this.linkFailuresLeft = w.linkFailuresLeft;
    this.earlyTimeoutsLeft = w.earlyTimeoutsLeft;
  }

  /** Records that component `slot` changed; returns false when it already had. */
  private touch(slot: number): boolean {
    if (this.touched.includes(slot)) return false;
    this.touched.push(slot);
    return true;
  }

  node(i: number): NodeState {
    if (this.touch(i)) this.nodes[i] = cloneNode(this.nodes[i]!);
    return this.nodes[i]!;
  }

  setQueue(idx: number, q: readonly Packet[]): void {
    this.queues[idx] = q;
    this.touch(this.n + idx);
  }

  resetNode(i: number): void {
    this.nodes[i] = initialNode(i);
    this.touch(i);
  }

  isAlive(i: number): boolean {
    return ((this.alive >> i) & 1) === 1;
  }

  push(from: number, to: number, p: Packet): void {
    const idx = from * this.n + to;
    this.setQueue(idx, [...this.queues[idx]!, p]);
  }

  /** `to` learns that its link to `from` is down, unless that is already the next thing it will learn. */
  pushLinkDown(from: number, to: number): void {
    const q = this.queues[from * this.n + to]!;
    if (q[q.length - 1] !== LINK_DOWN) this.push(from, to, LINK_DOWN);
  }

  run(i: number, input: Input, config: HyParViewConfig, chooser: Chooser): void {
    const out: Effect[] = [];
    step(this.node(i), input, { config, chooser, out });
    for (const e of out) {
      switch (e.t) {
        case 'send':
          if (this.isAlive(e.to)) this.push(i, e.to, e.msg);
          else this.pushLinkDown(e.to, i);
          break;
        case 'neighborUp':
          if (!this.isAlive(e.peer)) this.pushLinkDown(e.peer, i);
          break;
        case 'event':
          this.events.push(e.kind);
          break;
        default:
          break;
      }
    }
  }

  freeze(parent: World): World {
    const [sumHi, sumLo] = updateSum(parent, this.nodes, this.queues, this.touched);
    return {
      nodes: this.nodes,
      alive: this.alive,
      joined: this.joined,
      formed: this.formed,
      cyclesUsed: this.cyclesUsed,
      crashesLeft: this.crashesLeft,
      linkFailuresLeft: this.linkFailuresLeft,
      earlyTimeoutsLeft: this.earlyTimeoutsLeft,
      queues: this.queues,
      sumHi,
      sumLo,
    };
  }
}

export function applyAction(s: Scenario, w: World, a: Action, chooser: Chooser): Transition {
  const n = s.nodes;
  const d = new Draft(n, w);
  let delivered: Packet | undefined;
  switch (a.k) {
    case 'deliver': {
      const idx = a.from * n + a.to;
      const q = w.queues[idx]!;
      delivered = q[0]!;
      d.setQueue(idx, q.length === 1 ? EMPTY : q.slice(1));
      const input: Input = delivered === LINK_DOWN ? { t: 'linkDown', peer: a.from } : { t: 'message', from: a.from, msg: delivered as Message };
      d.run(a.to, input, s.config, chooser);
      break;
    }
    case 'join':
      d.joined |= 1 << a.node;
      d.run(a.node, { t: 'join', contact: 0 }, s.config, chooser);
      break;
    case 'cycle':
      d.cyclesUsed[a.node]!++;
      d.run(a.node, { t: 'shuffleTimer' }, s.config, chooser);
      break;
    case 'timeout':
      if (inFlight(w) > 0) d.earlyTimeoutsLeft--;
      d.run(a.node, { t: 'neighborTimeout', peer: w.nodes[a.node]!.pending }, s.config, chooser);
      break;
    case 'crash': {
      const dead = a.node;
      d.crashesLeft--;
      d.alive &= ~(1 << dead);
      for (let j = 0; j < n; j++) {
        if (j === dead || !d.isAlive(j)) continue;
        const peer = w.nodes[j]!;
        const toDead = w.queues[j * n + dead]!;
        if (toDead.length > 0) d.setQueue(j * n + dead, EMPTY);
        if (toDead.length > 0 || peer.active.includes(dead) || peer.pending === dead || peer.abandoned.includes(dead)) d.pushLinkDown(dead, j);
      }
      // A dead node's own state no longer matters: reset it so equivalent worlds coincide.
      d.resetNode(dead);
      break;
    }
    case 'failLink':
      d.linkFailuresLeft--;
      d.setQueue(a.a * n + a.b, [LINK_DOWN]);
      d.setQueue(a.b * n + a.a, [LINK_DOWN]);
      break;
  }
  const next = d.freeze(w);
  // The first quiescent state after every JOIN, by the properties' own definition, forms the
  // cluster; the cheap necessary conditions go first, as this runs on every transition.
  const forms = !next.formed && allJoined(next, n) && inFlight(next) === 0 && isQuiescent(snapshotOf(s, next));
  const world = forms ? { ...next, formed: true } : next;
  return { world, events: d.events, delivered };
}

export function describeAction(w: World, s: Scenario, a: Action): string {
  switch (a.k) {
    case 'deliver': {
      const p = w.queues[a.from * s.nodes + a.to]![0]!;
      return `deliver ${a.from}→${a.to}: ${p === LINK_DOWN ? 'link down' : describeMessage(p as Message)}`;
    }
    case 'join':
      return `node ${a.node} joins through node 0`;
    case 'cycle':
      return `node ${a.node}: shuffle timer fires`;
    case 'timeout':
      return `node ${a.node}: NEIGHBOR request to ${w.nodes[a.node]!.pending} times out${inFlight(w) > 0 ? ' (early)' : ''}`;
    case 'crash':
      return `node ${a.node} crashes`;
    case 'failLink':
      return `link ${a.a}–${a.b} fails`;
  }
}

export function snapshotOf(s: Scenario, w: World): ClusterSnapshot {
  const nodes: NodeSnapshot[] = w.nodes.map((node, i) => ({
    id: i,
    alive: isAlive(w, i),
    active: node.active,
    passive: node.passive,
    pending: node.pending === NONE ? [] : [node.pending],
    awaiting: node.abandoned,
    tracked: node.tried,
  }));
  return {
    nodes,
    activeSize: s.config.activeSize,
    passiveSize: s.config.passiveSize,
    inFlight: inFlight(w),
    settled: allJoined(w, s.nodes),
  };
}
