// Scamp as a sans-IO state machine for the simulator: `stepScamp` mutates the state in place and
// appends effects to `ctx.out`; every random choice goes through `ctx.chooser`.
//
// Where the paper is silent (or this model departs from it):
// - the contact never sends a subscription's copies to the subscriber itself, and a relay never
//   forwards one to it; a contact with nobody else in its partial view keeps the subscriber;
// - a copy that has been relayed `maxForwards` times is kept where it arrives, or dropped when
//   that node is the subscriber or already holds it (likewise a copy at a node with nobody to
//   relay it to);
// - leases (leaseCycles > 0) are counted in cycles: each partial view entry has an age and is
//   dropped once older than leaseCycles, silently (its subscriber is not told). A node
//   resubscribes at the cycles where (its cycle count + its id) is a multiple of leaseCycles,
//   through a random partial view member; if that send fails (linkDown before the next cycle) it
//   resubscribes through another one. The first INVIEW after a resubscription replaces the
//   in-view (the keepers of the old subscription drop it a cycle later), so the in-view tracks the
//   live subscriptions, and a resubscription nobody answers leaves the old in-view for the
//   heartbeat rule;
// - a resubscription (RESUBSCRIBE) goes to the contact's partial view without the c extra copies,
//   and a copy reaching a node that still holds the old entry is forwarded, as any held one: it
//   renews nothing. So a node's expiring entries are replaced one for one in expectation. The
//   literal reading (c extra copies per lease, entries renewed in place by copies passing by) adds
//   entries every lease until views hold everyone (300 nodes, leases of 5: full views in 30 cycles);
// - the heartbeat rule, without heartbeats: a node whose partial view is empty and that has
//   received no message for leaseCycles cycles joins again through a random in-view member (put
//   in its partial view, as a join contact is; another one if that send fails), again every
//   leaseCycles quiet cycles. It is a full SUBSCRIBE, c extra copies included: nobody holds the
//   isolated node any more;
// - a node receiving SUBSCRIBE or RESUBSCRIBE puts the sender in its in-view: the sender holds it;
// - without leases, `cycle` does nothing and `ages` stays empty (memory: a million nodes).
import { pickOne } from '../chooser.ts';
import type { BaselineContext, BaselineEffect, BaselineInput } from '../baseline.ts';
import type { NodeId } from '../hyparview/messages.ts';
import { NONE } from '../hyparview/node.ts';
import type { ScampConfig } from './config.ts';

export interface ScampState {
  readonly id: NodeId;
  /** Out-neighbours: the subscriptions we keep, our gossip targets. */
  partialView: NodeId[];
  /** Nodes that hold us in their partial views: they kept our subscription, or subscribed through us. */
  inView: NodeId[];
  /** With leases only: `ages[i]` is the age of `partialView[i]`'s subscription, in cycles; else empty. */
  ages: number[];
  /** Cycles seen (leases only). */
  cycle: number;
  /** Cycles since the last message received (leases only). */
  quiet: number;
  /** Where this cycle's resubscription went, or NONE (-1): if that send fails, we retry elsewhere. */
  resubTo: NodeId;
  /** We resubscribed and no keeper answered yet: the first INVIEW replaces the in-view. */
  renewing: boolean;
}

export type ScampMessage =
  /** The sender joins through us. */
  | { readonly t: 'subscribe' }
  /** The sender renews its lease through us: a subscription without the c extra copies. */
  | { readonly t: 'resubscribe' }
  /** A copy of `newNode`'s subscription, relayed `hops` times so far. */
  | { readonly t: 'forwardedSubscription'; readonly newNode: NodeId; readonly hops: number }
  /** The sender keeps our subscription: it belongs in our in-view. */
  | { readonly t: 'inView' };

export type ScampInput = BaselineInput<ScampMessage>;
export type ScampEffect = BaselineEffect<ScampMessage>;
export type ScampContext = BaselineContext<ScampConfig, ScampMessage>;

export function initialScamp(id: NodeId): ScampState {
  return { id, partialView: [], inView: [], ages: [], cycle: 0, quiet: 0, resubTo: NONE, renewing: false };
}

export function cloneScamp(s: ScampState): ScampState {
  return {
    id: s.id,
    partialView: s.partialView.slice(),
    inView: s.inView.slice(),
    ages: s.ages.slice(),
    cycle: s.cycle,
    quiet: s.quiet,
    resubTo: s.resubTo,
    renewing: s.renewing,
  };
}

export function neighboursScamp(s: ScampState): readonly NodeId[] {
  return s.partialView;
}

export function stepScamp(s: ScampState, input: ScampInput, ctx: ScampContext): void {
  switch (input.t) {
    case 'join':
      return startJoin(s, input.contact, ctx);
    case 'message':
      return receive(s, input.from, input.msg, ctx);
    case 'cycle':
      return onCycle(s, ctx);
    case 'linkDown':
      return onLinkDown(s, input.peer, ctx);
  }
}

function receive(s: ScampState, from: NodeId, msg: ScampMessage, ctx: ScampContext): void {
  if (from === s.id) return;
  s.quiet = 0;
  switch (msg.t) {
    case 'subscribe':
      addInView(s, from);
      return onSubscribe(s, from, ctx.config.c, ctx);
    case 'resubscribe':
      addInView(s, from);
      return onSubscribe(s, from, 0, ctx);
    case 'forwardedSubscription':
      return onForwarded(s, msg.newNode, msg.hops, ctx);
    case 'inView':
      if (s.renewing) {
        s.renewing = false;
        s.inView = [];
      }
      return addInView(s, from);
  }
}

/** `from` holds us in its partial view: it kept our subscription, or it subscribes through us. */
function addInView(s: ScampState, from: NodeId): void {
  if (!s.inView.includes(from)) s.inView.push(from);
}

const send = (ctx: ScampContext, to: NodeId, msg: ScampMessage): void => void ctx.out.push({ t: 'send', to, msg });
const leases = (ctx: ScampContext): boolean => ctx.config.leaseCycles > 0;

// ---- the partial view ------------------------------------------------------------------------

function addPartial(s: ScampState, id: NodeId, ctx: ScampContext): void {
  s.partialView.push(id);
  if (leases(ctx)) s.ages.push(0);
}

function removePartialAt(s: ScampState, i: number, ctx: ScampContext): void {
  s.partialView.splice(i, 1);
  if (leases(ctx)) s.ages.splice(i, 1);
}

/** Keeps `newNode`'s subscription and tells it so. */
function keep(s: ScampState, newNode: NodeId, ctx: ScampContext): void {
  addPartial(s, newNode, ctx);
  send(ctx, newNode, { t: 'inView' });
}

// ---- subscriptions ---------------------------------------------------------------------------

function startJoin(s: ScampState, contact: NodeId, ctx: ScampContext): void {
  if (contact === s.id) return;
  if (!s.partialView.includes(contact)) addPartial(s, contact, ctx);
  send(ctx, contact, { t: 'subscribe' });
}

function onSubscribe(s: ScampState, newNode: NodeId, extra: number, ctx: ScampContext): void {
  const targets = s.partialView.filter((id) => id !== newNode);
  if (targets.length === 0) {
    if (!s.partialView.includes(newNode)) keep(s, newNode, ctx);
    return;
  }
  const copy: ScampMessage = { t: 'forwardedSubscription', newNode, hops: 0 };
  for (const id of targets) send(ctx, id, copy);
  for (let k = 0; k < extra; k++) send(ctx, pickOne(targets, ctx.chooser), copy);
}

function onForwarded(s: ScampState, newNode: NodeId, hops: number, ctx: ScampContext): void {
  const held = s.partialView.includes(newNode);
  const keepable = newNode !== s.id && !held;
  const targets = s.partialView.filter((id) => id !== newNode);
  const last = hops >= ctx.config.maxForwards || targets.length === 0;
  if (keepable && (last || ctx.chooser.chance(1, 1 + s.partialView.length))) return keep(s, newNode, ctx);
  if (!last) send(ctx, pickOne(targets, ctx.chooser), { t: 'forwardedSubscription', newNode, hops: hops + 1 });
}

// ---- leases and failures ---------------------------------------------------------------------

function onCycle(s: ScampState, ctx: ScampContext): void {
  const lease = ctx.config.leaseCycles;
  if (lease === 0) return;
  s.cycle++;
  s.quiet++;
  s.resubTo = NONE;
  for (let i = s.partialView.length - 1; i >= 0; i--) {
    if (++s.ages[i]! > lease) removePartialAt(s, i, ctx);
  }
  if (s.partialView.length > 0) {
    if ((s.cycle + s.id) % lease === 0) resubscribe(s, ctx);
  } else if (s.quiet >= lease) {
    s.quiet = 0;
    resubscribe(s, ctx);
  }
}

/** Renews our subscription through a partial view member or, isolated, joins again through an in-view member. */
function resubscribe(s: ScampState, ctx: ScampContext): void {
  if (s.partialView.length > 0) {
    s.resubTo = pickOne(s.partialView, ctx.chooser);
    send(ctx, s.resubTo, { t: 'resubscribe' });
  } else if (s.inView.length > 0) {
    s.resubTo = pickOne(s.inView, ctx.chooser);
    startJoin(s, s.resubTo, ctx);
  } else {
    return;
  }
  s.renewing = true;
}

function onLinkDown(s: ScampState, peer: NodeId, ctx: ScampContext): void {
  const i = s.partialView.indexOf(peer);
  if (i >= 0) removePartialAt(s, i, ctx);
  const j = s.inView.indexOf(peer);
  if (j >= 0) s.inView.splice(j, 1);
  // A lost resubscription would leave us unheld until the next lease.
  if (peer === s.resubTo) resubscribe(s, ctx);
}
