// The reference HyParView node as a sans-IO state machine: `step` takes the node's state,
// one input and a context, mutates the state in place and appends effects to `ctx.out`.
// Engines that need the old state (the checker) clone it first with `cloneNode`.
import { type Chooser, pickOne, sample } from '../chooser.ts';
import type { HyParViewConfig } from './config.ts';
import { type Message, MsgType, type NodeId } from './messages.ts';
import type { MutantName } from './mutants.ts';
import { clear, has, insert, insertAgain, remove, without } from './views.ts';

export const NONE = -1;

export interface NodeState {
  readonly id: NodeId;
  /** Sorted; symmetric peers with an open connection. */
  active: NodeId[];
  /** Sorted; backup candidates, no connection. */
  passive: NodeId[];
  /** The passive peer our outstanding NEIGHBOR request went to, or NONE. */
  pending: NodeId;
  /** Sorted subset of `passive`: peers already asked in the current refill round. */
  tried: NodeId[];
  /** Sorted; ids we sent in our latest shuffle exchange, replaced first when its answer is merged. */
  exchanged: NodeId[];
  /**
   * Sorted, one entry per answer due: peers whose NEIGHBOR_REPLY we still expect to an abandoned
   * request or to our walk-end notification. Such an answer is consumed, never taken for the
   * answer to a newer request (decision 4, 'guarded').
   */
  abandoned: NodeId[];
}

export type Input =
  | { readonly t: 'join'; readonly contact: NodeId }
  | { readonly t: 'message'; readonly from: NodeId; readonly msg: Message }
  /** The connection to `peer` broke, or could not be opened. */
  | { readonly t: 'linkDown'; readonly peer: NodeId }
  /** The periodic cycle: one shuffle period. */
  | { readonly t: 'shuffleTimer' }
  /** The NEIGHBOR request to `peer` got no answer in time. */
  | { readonly t: 'neighborTimeout'; readonly peer: NodeId };

export type EventKind =
  | 'evicted'
  | 'neighborAccepted'
  | 'neighborRejected'
  | 'neighborTimedOut'
  | 'promoted'
  | 'shuffleCompleted'
  | 'asymmetryRepaired';

export type Effect =
  | { readonly t: 'send'; readonly to: NodeId; readonly msg: Message }
  /** `peer` entered the active view: open (or keep) a connection to it. */
  | { readonly t: 'neighborUp'; readonly peer: NodeId }
  /** `peer` left the active view: its connection may close once flushed. */
  | { readonly t: 'neighborDown'; readonly peer: NodeId }
  /** Start the timeout of the NEIGHBOR request just sent to `peer`. */
  | { readonly t: 'armNeighborTimeout'; readonly peer: NodeId }
  /** Something worth counting happened (for metrics and `sometimes` properties). */
  | { readonly t: 'event'; readonly kind: EventKind; readonly peer: NodeId };

export interface StepContext {
  readonly config: HyParViewConfig;
  readonly chooser: Chooser;
  readonly out: Effect[];
}

export function initialNode(id: NodeId): NodeState {
  return { id, active: [], passive: [], pending: NONE, tried: [], exchanged: [], abandoned: [] };
}

export function cloneNode(s: NodeState): NodeState {
  return {
    id: s.id,
    active: s.active.slice(),
    passive: s.passive.slice(),
    pending: s.pending,
    tried: s.tried.slice(),
    exchanged: s.exchanged.slice(),
    abandoned: s.abandoned.slice(),
  };
}

export function step(s: NodeState, input: Input, ctx: StepContext): void {
  switch (input.t) {
    case 'join':
      return startJoin(s, input.contact, ctx);
    case 'message':
      return receive(s, input.from, input.msg, ctx);
    case 'linkDown':
      return onLinkDown(s, input.peer, ctx);
    case 'shuffleTimer':
      return onCycle(s, ctx);
    case 'neighborTimeout':
      return onNeighborTimeout(s, input.peer, ctx);
  }
}

function receive(s: NodeState, from: NodeId, msg: Message, ctx: StepContext): void {
  switch (msg.t) {
    case MsgType.Join:
      return onJoin(s, from, ctx);
    case MsgType.ForwardJoin:
      return onForwardJoin(s, from, msg.newNode, msg.ttl, ctx);
    case MsgType.Neighbor:
      return onNeighbor(s, from, msg.high, ctx);
    case MsgType.NeighborReply:
      return onNeighborReply(s, from, msg.accepted, ctx);
    case MsgType.Disconnect:
      return onDisconnect(s, from, ctx);
    case MsgType.Shuffle:
      return onShuffle(s, from, msg.origin, msg.ids, msg.ttl, ctx);
    case MsgType.ShuffleReply:
      return onShuffleReply(s, msg.ids, ctx);
  }
}

const isMutant = (ctx: StepContext, name: MutantName): boolean => ctx.config.mutant === name;
const send = (ctx: StepContext, to: NodeId, msg: Message): void => void ctx.out.push({ t: 'send', to, msg });
const emit = (ctx: StepContext, kind: EventKind, peer: NodeId): void => void ctx.out.push({ t: 'event', kind, peer });

// ---- views ---------------------------------------------------------------------------------

function removePassive(s: NodeState, peer: NodeId): void {
  if (remove(s.passive, peer)) remove(s.tried, peer);
}

function dropFromActive(s: NodeState, peer: NodeId, ctx: StepContext): void {
  remove(s.active, peer);
  ctx.out.push({ t: 'neighborDown', peer });
}

/** Paper's addNodeActiveView: evicts a random member (with DISCONNECT) when full. */
function addActive(s: NodeState, peer: NodeId, ctx: StepContext): boolean {
  if (peer === s.id || has(s.active, peer)) return false;
  if (ctx.config.decisions.races === 'guarded') {
    if (!isMutant(ctx, 'active-keeps-passive')) removePassive(s, peer);
    // Our own request to this peer is moot now; its late answer must not re-add a peer we evict meanwhile.
    if (s.pending === peer) {
      s.pending = NONE;
      expectStaleAnswer(s, peer, ctx);
    }
  }
  if (s.active.length >= ctx.config.activeSize && !isMutant(ctx, 'join-without-evict')) {
    const victim = pickOne(s.active, ctx.chooser);
    dropFromActive(s, victim, ctx);
    if (!isMutant(ctx, 'evict-without-disconnect')) send(ctx, victim, { t: MsgType.Disconnect });
    addPassive(s, victim, ctx);
    emit(ctx, 'evicted', victim);
  }
  insert(s.active, peer);
  ctx.out.push({ t: 'neighborUp', peer });
  return true;
}

/** Paper's addNodePassiveView: skips self and known ids, evicts at random when full. */
function addPassive(s: NodeState, peer: NodeId, ctx: StepContext): void {
  if (peer === s.id || has(s.active, peer) || has(s.passive, peer)) return;
  const capacity = passiveCapacity(ctx);
  if (capacity === 0) return;
  if (s.passive.length >= capacity) removePassive(s, pickOne(s.passive, ctx.chooser));
  insert(s.passive, peer);
}

/**
 * Shuffle merge of `first` (unless NONE) and then `ids`: like addPassive, but a full view evicts
 * one of the ids in `replaceFirst` it holds (drawn in passive order) before a random one. Those
 * ids are found once and kept up to date through the merge, which draws exactly as filtering the
 * view before each eviction would (the simulator's hottest model path).
 */
function mergePassive(s: NodeState, first: NodeId, ids: readonly NodeId[], replaceFirst: readonly NodeId[], ctx: StepContext): void {
  const capacity = passiveCapacity(ctx);
  if (capacity === 0) return;
  // The replace-first ids the view holds, ascending: the view's own order.
  clear(held);
  for (const id of replaceFirst) if (has(s.passive, id)) insert(held, id);
  if (first !== NONE) mergeOne(s, first, replaceFirst, capacity, ctx);
  for (const id of ids) mergeOne(s, id, replaceFirst, capacity, ctx);
}

/** mergePassive's replace-first ids in the view: scratch, as merges do not nest. */
const held: NodeId[] = [];

function mergeOne(s: NodeState, id: NodeId, replaceFirst: readonly NodeId[], capacity: number, ctx: StepContext): void {
  if (id === s.id && !isMutant(ctx, 'merge-self-into-passive')) return;
  if (has(s.active, id) && !isMutant(ctx, 'merge-active-into-passive')) return;
  if (has(s.passive, id)) return;
  if (s.passive.length >= capacity) {
    const victim = held.length > 0 ? held[ctx.chooser.pick(held.length)]! : pickOne(s.passive, ctx.chooser);
    removePassive(s, victim);
    remove(held, victim);
  }
  insert(s.passive, id);
  if (has(replaceFirst, id)) insert(held, id);
}

const passiveCapacity = (ctx: StepContext): number => ctx.config.passiveSize + (isMutant(ctx, 'passive-capacity-off-by-one') ? 1 : 0);

/** The k-th id of `view` other than `skip` (`without(view, skip)[k]`). */
function nthOther(view: readonly NodeId[], skip: NodeId, k: number): NodeId {
  let i = 0;
  while (view[i] === skip || k-- !== 0) i++;
  return view[i]!;
}

// ---- JOIN and FORWARD_JOIN -----------------------------------------------------------------

function startJoin(s: NodeState, contact: NodeId, ctx: StepContext): void {
  if (contact === s.id) return;
  addActive(s, contact, ctx);
  send(ctx, contact, { t: MsgType.Join });
}

function onJoin(s: NodeState, newNode: NodeId, ctx: StepContext): void {
  const d = ctx.config.decisions;
  if (newNode === s.id) return;
  if (has(s.active, newNode)) {
    if (d.joinFromActive === 'ignore') return;
  } else if (d.joinWhenFull === 'redirect' && s.active.length >= ctx.config.activeSize) {
    // Keep our neighbours; the joiner learns it is not one of them and gets its links from the walks.
    send(ctx, newNode, { t: MsgType.Disconnect });
    addPassive(s, newNode, ctx);
  } else {
    addActive(s, newNode, ctx);
  }
  for (const peer of s.active) {
    if (peer !== newNode) send(ctx, peer, { t: MsgType.ForwardJoin, newNode, ttl: ctx.config.arwl });
  }
  if (d.isolation === 'seedAndPromote') {
    // Without this, a joiner whose walks all die knows nobody but its contact, and is lost with it.
    const ids = sample(s.passive, ctx.config.kp, ctx.chooser, newNode, sample(s.active, ctx.config.ka, ctx.chooser, newNode));
    if (ids.length > 0) send(ctx, newNode, { t: MsgType.ShuffleReply, ids });
  }
}

function onForwardJoin(s: NodeState, from: NodeId, newNode: NodeId, ttl: number, ctx: StepContext): void {
  const d = ctx.config.decisions;
  repairAsymmetry(s, from, ctx);
  // The paper forwards to anyone but the sender, so a walk can reach the joining node itself and die there.
  const next = d.forwardJoinLastHop === 'sizeIsOne' ? without(s.active, from) : s.active.filter((id) => id !== from && id !== newNode);
  const lastHop = ttl === 0 || (d.forwardJoinLastHop === 'sizeIsOne' ? s.active.length === 1 : next.length === 0);
  if (lastHop) {
    if (newNode !== s.id && addActive(s, newNode, ctx) && d.forwardJoinEnd === 'notify') {
      send(ctx, newNode, { t: MsgType.Neighbor, high: true });
      expectStaleAnswer(s, newNode, ctx);
    }
    return;
  }
  if (ttl === (isMutant(ctx, 'passive-at-wrong-hop') ? ctx.config.arwl : ctx.config.prwl)) addPassive(s, newNode, ctx);
  const relayed = isMutant(ctx, 'forward-join-ttl-twice') ? Math.max(ttl - 2, 0) : isMutant(ctx, 'forward-join-ttl-never-decremented') ? ttl : ttl - 1;
  if (next.length > 0) send(ctx, pickOne(next, ctx.chooser), { t: MsgType.ForwardJoin, newNode, ttl: relayed });
}

/**
 * Decision 3: a walk arriving over a link we do not hold tells its sender to drop that link. Not
 * while our own NEIGHBOR request to that sender is in flight: it would arrive after the request
 * and undo the link the request is about to make (a race the checker found).
 */
function repairAsymmetry(s: NodeState, from: NodeId, ctx: StepContext): void {
  if (ctx.config.decisions.asymmetricLink === 'disconnect' && !has(s.active, from) && s.pending !== from) {
    send(ctx, from, { t: MsgType.Disconnect });
    emit(ctx, 'asymmetryRepaired', from);
  }
}

// ---- NEIGHBOR: promotion from the passive view ---------------------------------------------

function onNeighbor(s: NodeState, from: NodeId, high: boolean, ctx: StepContext): void {
  const { activeSize } = ctx.config;
  if (from === s.id) return;
  if (has(s.active, from)) return send(ctx, from, { t: MsgType.NeighborReply, accepted: true });
  const treatAsHigh = high && !isMutant(ctx, 'high-priority-read-as-low');
  if (isMutant(ctx, 'accept-low-when-full') && s.active.length === activeSize) {
    insert(s.active, from);
    ctx.out.push({ t: 'neighborUp', peer: from });
  } else if (treatAsHigh || s.active.length < activeSize) {
    addActive(s, from, ctx);
  } else {
    if (ctx.config.decisions.neighborReject === 'reply') send(ctx, from, { t: MsgType.NeighborReply, accepted: false });
    emit(ctx, 'neighborRejected', from);
    return;
  }
  emit(ctx, 'neighborAccepted', from);
  if (!isMutant(ctx, 'accept-without-reply')) send(ctx, from, { t: MsgType.NeighborReply, accepted: true });
}

/** Decision 4: remember that `peer` still owes us an answer we will not act on (needs explicit rejections). */
function expectStaleAnswer(s: NodeState, peer: NodeId, ctx: StepContext): void {
  const d = ctx.config.decisions;
  if (d.races !== 'guarded' || d.neighborReject !== 'reply') return;
  insertAgain(s.abandoned, peer);
}

function onNeighborReply(s: NodeState, from: NodeId, accepted: boolean, ctx: StepContext): void {
  const accept = accepted || isMutant(ctx, 'reject-read-as-accept');
  const stale = remove(s.abandoned, from);
  if (stale || s.pending !== from) {
    // The answer to a request we gave up on, or to a notification we sent.
    if (accept && !has(s.active, from)) {
      if (ctx.config.decisions.races === 'guarded') {
        send(ctx, from, { t: MsgType.Disconnect });
      } else {
        removePassive(s, from);
        addActive(s, from, ctx);
      }
    }
    // The peer may be asked again now that nothing of ours to it is outstanding.
    if (stale) tryPromote(s, ctx);
    return;
  }
  s.pending = NONE;
  if (accept) {
    if (!isMutant(ctx, 'active-keeps-passive')) removePassive(s, from);
    addActive(s, from, ctx);
    emit(ctx, 'promoted', from);
  } else if (!isMutant(ctx, 'retry-rejecting-peer')) {
    markTried(s, from);
  }
  tryPromote(s, ctx);
}

function onNeighborTimeout(s: NodeState, peer: NodeId, ctx: StepContext): void {
  if (s.pending !== peer) return;
  s.pending = NONE;
  expectStaleAnswer(s, peer, ctx);
  markTried(s, peer);
  emit(ctx, 'neighborTimedOut', peer);
  tryPromote(s, ctx);
}

/** A refill candidate that said no (or nothing); a shuffle may have replaced it in the passive view meanwhile. */
function markTried(s: NodeState, peer: NodeId): void {
  if (has(s.passive, peer)) insert(s.tried, peer);
}

/** Refill: ask one untried passive peer at a time until the active view is full or nobody is left. */
function tryPromote(s: NodeState, ctx: StepContext): void {
  if (s.pending !== NONE) return;
  if (s.active.length >= ctx.config.activeSize + (isMutant(ctx, 'refill-low-when-full') ? 1 : 0)) {
    clear(s.tried);
    return;
  }
  // A refill candidate is a passive peer not yet tried in this round and owing us no answer.
  const count = candidate(s, s.tried, ANY);
  if (count === 0) {
    clear(s.tried);
    return;
  }
  ask(s, candidate(s, s.tried, ctx.chooser.pick(count)), s.active.length <= (isMutant(ctx, 'high-priority-too-early') ? 1 : 0), ctx);
}

/** `candidate`'s k for counting. */
const ANY = -1;
const NO_IDS: readonly NodeId[] = [];

/**
 * Passive peers in neither sorted `skip` nor the sorted `abandoned`: with k = ANY, how many;
 * else the k-th of them. So a pick among them is a count, a draw, then the pick: the draws of
 * filtering them into an array, without the array: one merge pass over the three sorted arrays.
 */
function candidate(s: NodeState, skip: readonly NodeId[], k: number): number {
  const { passive, abandoned } = s;
  let a = 0;
  let b = 0;
  let seen = 0;
  for (let i = 0; i < passive.length; i++) {
    const id = passive[i]!;
    while (a < skip.length && skip[a]! < id) a++;
    while (b < abandoned.length && abandoned[b]! < id) b++;
    if (skip[a] === id || abandoned[b] === id) continue;
    if (seen === k) return id;
    seen++;
  }
  return seen;
}

/** The one outstanding NEIGHBOR request, with its timeout armed. */
function ask(s: NodeState, peer: NodeId, high: boolean, ctx: StepContext): void {
  s.pending = peer;
  send(ctx, peer, { t: MsgType.Neighbor, high });
  if (!isMutant(ctx, 'neighbor-without-timeout')) ctx.out.push({ t: 'armNeighborTimeout', peer });
}

// ---- DISCONNECT and failures ---------------------------------------------------------------

function onDisconnect(s: NodeState, from: NodeId, ctx: StepContext): void {
  if (has(s.active, from)) {
    if (isMutant(ctx, 'disconnect-keeps-active')) {
      insert(s.passive, from);
      return;
    }
    dropFromActive(s, from, ctx);
    addPassive(s, from, ctx);
    tryPromote(s, ctx);
  } else if (ctx.config.decisions.races === 'unguarded') {
    addPassive(s, from, ctx);
  }
}

function onLinkDown(s: NodeState, peer: NodeId, ctx: StepContext): void {
  if (has(s.active, peer) && !isMutant(ctx, 'ignore-link-down')) {
    dropFromActive(s, peer, ctx);
    // A broken link is not always a dead peer: keep it as a candidate; if it is dead, the connect fails.
    if (ctx.config.decisions.isolation === 'seedAndPromote') addPassive(s, peer, ctx);
  }
  if (s.pending === peer) {
    s.pending = NONE;
    // The mutant neither drops the candidate nor marks it tried: the refill below may pick it again.
    if (isMutant(ctx, 'retry-dead-candidate')) {
      // nothing
    } else if (ctx.config.decisions.failedCandidate === 'keep') {
      markTried(s, peer);
    } else {
      removePassive(s, peer);
    }
  }
  // No answer comes over a broken link.
  while (remove(s.abandoned, peer));
  tryPromote(s, ctx);
}

// ---- SHUFFLE -------------------------------------------------------------------------------

/** Decision 11: the odds (one in SWAP_ODDS cycles) that a node with a full active view swaps in a passive peer. */
export const SWAP_ODDS = 4;

function onCycle(s: NodeState, ctx: StepContext): void {
  const { ka, kp, shuffleWalk, decisions } = ctx.config;
  if (decisions.isolation === 'seedAndPromote') tryPromote(s, ctx);
  if (decisions.fullViewSwap === 'sometimes') swapIn(s, ctx);
  if (s.active.length === 0) return;
  const ids = sample(s.passive, kp, ctx.chooser, undefined, sample(s.active, ka, ctx.chooser));
  s.exchanged = ids.slice().sort((a, b) => a - b);
  send(ctx, pickOne(s.active, ctx.chooser), { t: MsgType.Shuffle, origin: s.id, ids, ttl: shuffleWalk });
}

/** A full node asks a random passive peer with HIGH priority; on acceptance addActive evicts one of ours. */
function swapIn(s: NodeState, ctx: StepContext): void {
  if (s.pending !== NONE || s.active.length < ctx.config.activeSize) return;
  const count = candidate(s, NO_IDS, ANY);
  if (count === 0 || !ctx.chooser.chance(1, SWAP_ODDS)) return;
  ask(s, candidate(s, NO_IDS, ctx.chooser.pick(count)), true, ctx);
}

function onShuffle(s: NodeState, from: NodeId, origin: NodeId, ids: readonly NodeId[], ttl: number, ctx: StepContext): void {
  repairAsymmetry(s, from, ctx);
  const left = ttl - 1;
  // The next hop: pickOne over the active view without the sender, found by its rank (no array per hop).
  const others = s.active.length - (has(s.active, from) ? 1 : 0);
  if (left > 0 && s.active.length > 1 && others > 0) {
    send(ctx, nthOther(s.active, from, ctx.chooser.pick(others)), { t: MsgType.Shuffle, origin, ids, ttl: isMutant(ctx, 'shuffle-ttl-never-decremented') ? ttl : left });
    return;
  }
  if (origin === s.id) return;
  const wanted = ids.length + 1;
  const reply = sample(s.passive, wanted, ctx.chooser, origin);
  if (reply.length < wanted && ctx.config.decisions.shuffleReply === 'fillFromActive') sample(s.active, wanted - reply.length, ctx.chooser, origin, reply);
  send(ctx, isMutant(ctx, 'shuffle-reply-to-sender') ? from : origin, { t: MsgType.ShuffleReply, ids: reply });
  mergePassive(s, origin, ids, reply, ctx);
}

function onShuffleReply(s: NodeState, ids: readonly NodeId[], ctx: StepContext): void {
  mergePassive(s, NONE, ids, s.exchanged, ctx);
  // A reply with nothing of ours outstanding is a contact's seed after JOIN, not a finished shuffle.
  if (s.exchanged.length > 0) emit(ctx, 'shuffleCompleted', NONE);
  s.exchanged = [];
}
