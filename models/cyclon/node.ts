// Cyclon with enhanced shuffling, as a sans-IO state machine for the simulator: `stepCyclon`
// mutates the state in place and appends effects to `ctx.out`; every random choice goes through
// `ctx.chooser`. One partial view of (id, age) entries, kept as parallel arrays so a million
// nodes stay cheap.
//
// Where the paper is silent:
// - the oldest entry is the first one found with the highest age (no chooser call);
// - a merge fills empty slots, then overwrites the entries sent in this exchange in the order
//   they were sent, and discards what still does not fit (the paper's rule; never a random one);
// - an entry already in the view is discarded, even when the incoming copy is younger;
// - a SHUFFLE_REPLY from anyone but the peer of our pending exchange (a late one, after the next
//   cycle started) only fills empty slots;
// - a join walk never goes to the joining node, and one that ends at a node already holding it
//   (or at the joining node itself) is lost: it changes nothing;
// - a walk ending at a node whose view is not full adds the joiner there and sends it a copy of a
//   random entry (kept), so joiners get out-links before their first shuffle;
// - a contact with nobody to walk to ends one walk itself.
import { pickOne, sample } from '../chooser.ts';
import type { BaselineContext, BaselineEffect, BaselineInput } from '../baseline.ts';
import type { NodeId } from '../hyparview/messages.ts';
import { NONE } from '../hyparview/node.ts';
import type { CyclonConfig } from './config.ts';

export interface CyclonState {
  readonly id: NodeId;
  /** The partial view, in no particular order; `ages[i]` is the age of `ids[i]`, in cycles. */
  ids: NodeId[];
  ages: number[];
  /** The peer of our outstanding shuffle, or NONE (-1). */
  pending: NodeId;
  /** The entries we sent it (not counting our own): overwritten first when its reply is merged. */
  sent: NodeId[];
}

/** Entry lists travel flat: [id, age, id, age, ...]. */
export type CyclonMessage =
  | { readonly t: 'shuffle'; readonly entries: readonly number[] }
  | { readonly t: 'shuffleReply'; readonly entries: readonly number[] }
  | { readonly t: 'join' }
  | { readonly t: 'joinWalk'; readonly newNode: NodeId; readonly ttl: number }
  /** The entry a walk's end node gave up (or copied) for the joiner. */
  | { readonly t: 'joinReply'; readonly entries: readonly number[] };

export type CyclonInput = BaselineInput<CyclonMessage>;
export type CyclonEffect = BaselineEffect<CyclonMessage>;
export type CyclonContext = BaselineContext<CyclonConfig, CyclonMessage>;

export function initialCyclon(id: NodeId): CyclonState {
  return { id, ids: [], ages: [], pending: NONE, sent: [] };
}

export function cloneCyclon(s: CyclonState): CyclonState {
  return { id: s.id, ids: s.ids.slice(), ages: s.ages.slice(), pending: s.pending, sent: s.sent.slice() };
}

export function neighboursCyclon(s: CyclonState): readonly NodeId[] {
  return s.ids;
}

export function stepCyclon(s: CyclonState, input: CyclonInput, ctx: CyclonContext): void {
  switch (input.t) {
    case 'join':
      return startJoin(s, input.contact, ctx);
    case 'message':
      return receive(s, input.from, input.msg, ctx);
    case 'cycle':
      return onCycle(s, ctx);
    case 'linkDown':
      return onLinkDown(s, input.peer);
  }
}

function receive(s: CyclonState, from: NodeId, msg: CyclonMessage, ctx: CyclonContext): void {
  if (from === s.id) return;
  switch (msg.t) {
    case 'shuffle':
      return onShuffle(s, from, msg.entries, ctx);
    case 'shuffleReply':
      return onShuffleReply(s, from, msg.entries, ctx);
    case 'join':
      return onJoin(s, from, ctx);
    case 'joinWalk':
      return onJoinWalk(s, msg.newNode, msg.ttl, ctx);
    case 'joinReply':
      return merge(s, msg.entries, [], ctx.config.viewSize);
  }
}

const send = (ctx: CyclonContext, to: NodeId, msg: CyclonMessage): void => void ctx.out.push({ t: 'send', to, msg });

// ---- the view --------------------------------------------------------------------------------

function removeAt(s: CyclonState, i: number): void {
  s.ids.splice(i, 1);
  s.ages.splice(i, 1);
}

function add(s: CyclonState, id: NodeId, age: number): void {
  s.ids.push(id);
  s.ages.push(age);
}

/** Positions of the view other than `except`'s. */
function positionsWithout(s: CyclonState, except: NodeId): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.ids.length; i++) if (s.ids[i] !== except) out.push(i);
  return out;
}

function entriesAt(s: CyclonState, positions: readonly number[]): number[] {
  const out: number[] = [];
  for (const i of positions) out.push(s.ids[i]!, s.ages[i]!);
  return out;
}

/**
 * Cyclon's merge: skip ourselves and ids we hold; fill empty slots; then overwrite the entries
 * in `replace` (those we just sent away), in order; discard the rest.
 */
function merge(s: CyclonState, entries: readonly number[], replace: readonly NodeId[], viewSize: number): void {
  let r = 0;
  for (let e = 0; e + 1 < entries.length; e += 2) {
    const id = entries[e]!;
    const age = entries[e + 1]!;
    if (id === s.id || s.ids.includes(id)) continue;
    if (s.ids.length < viewSize) {
      add(s, id, age);
      continue;
    }
    while (r < replace.length) {
      const j = s.ids.indexOf(replace[r++]!);
      if (j >= 0) {
        s.ids[j] = id;
        s.ages[j] = age;
        break;
      }
    }
  }
}

// ---- shuffling -------------------------------------------------------------------------------

function onCycle(s: CyclonState, ctx: CyclonContext): void {
  const n = s.ids.length;
  if (n === 0) return;
  let oldest = 0;
  for (let i = 0; i < n; i++) {
    s.ages[i]!++;
    if (s.ages[i]! > s.ages[oldest]!) oldest = i;
  }
  const q = s.ids[oldest]!;
  // Q leaves the view: if it is dead, no reply refills the slot and it is forgotten.
  removeAt(s, oldest);
  const picked = sample(positionsWithout(s, q), ctx.config.shuffleLength - 1, ctx.chooser);
  s.pending = q;
  s.sent = picked.map((i) => s.ids[i]!);
  send(ctx, q, { t: 'shuffle', entries: [s.id, 0, ...entriesAt(s, picked)] });
}

function onShuffle(s: CyclonState, from: NodeId, entries: readonly number[], ctx: CyclonContext): void {
  const picked = sample(positionsWithout(s, from), ctx.config.shuffleLength, ctx.chooser);
  const replace = picked.map((i) => s.ids[i]!);
  send(ctx, from, { t: 'shuffleReply', entries: entriesAt(s, picked) });
  merge(s, entries, replace, ctx.config.viewSize);
}

function onShuffleReply(s: CyclonState, from: NodeId, entries: readonly number[], ctx: CyclonContext): void {
  const ours = from === s.pending;
  merge(s, entries, ours ? s.sent : [], ctx.config.viewSize);
  if (ours) clearPending(s);
}

function clearPending(s: CyclonState): void {
  s.pending = NONE;
  s.sent = [];
}

function onLinkDown(s: CyclonState, peer: NodeId): void {
  const i = s.ids.indexOf(peer);
  if (i >= 0) removeAt(s, i);
  if (s.pending === peer) clearPending(s);
}

// ---- joining by random walks -----------------------------------------------------------------

function startJoin(s: CyclonState, contact: NodeId, ctx: CyclonContext): void {
  if (contact === s.id) return;
  if (!s.ids.includes(contact) && s.ids.length < ctx.config.viewSize) add(s, contact, 0);
  send(ctx, contact, { t: 'join' });
}

function onJoin(s: CyclonState, newNode: NodeId, ctx: CyclonContext): void {
  const targets = s.ids.filter((id) => id !== newNode);
  if (targets.length === 0) return endWalk(s, newNode, ctx);
  // viewSize walks, each from the contact to a random member (repetition allowed).
  for (let k = 0; k < ctx.config.viewSize; k++) {
    send(ctx, pickOne(targets, ctx.chooser), { t: 'joinWalk', newNode, ttl: ctx.config.joinWalkLength });
  }
}

function onJoinWalk(s: CyclonState, newNode: NodeId, ttl: number, ctx: CyclonContext): void {
  const targets = ttl > 1 ? s.ids.filter((id) => id !== newNode) : [];
  if (targets.length === 0) return endWalk(s, newNode, ctx);
  send(ctx, pickOne(targets, ctx.chooser), { t: 'joinWalk', newNode, ttl: ttl - 1 });
}

/** The swap: the joiner takes a random entry's slot (age 0) and gets that entry. */
function endWalk(s: CyclonState, newNode: NodeId, ctx: CyclonContext): void {
  if (newNode === s.id || s.ids.includes(newNode)) return;
  const n = s.ids.length;
  if (n === 0) return add(s, newNode, 0);
  const i = ctx.chooser.pick(n);
  const given = [s.ids[i]!, s.ages[i]!];
  if (n >= ctx.config.viewSize) {
    s.ids[i] = newNode;
    s.ages[i] = 0;
  } else {
    add(s, newNode, 0);
  }
  send(ctx, newNode, { t: 'joinReply', entries: given });
}
