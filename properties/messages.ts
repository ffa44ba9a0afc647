// Message properties: rules of the paper (and of the reference decisions) about what one node
// sends on one transition. Each is judged on every step a node takes: the input it stepped on,
// its views before and after, and the messages it sent. Pure functions of that transition.
import type { HyParViewConfig } from '../models/hyparview/config.ts';
import { type Message, MsgType, type NodeId } from '../models/hyparview/messages.ts';
import type { Input } from '../models/hyparview/node.ts';
import type { Verdict } from './invariants.ts';

export interface Views {
  readonly active: readonly NodeId[];
  readonly passive: readonly NodeId[];
}

/** One node's step. */
export interface Transition {
  readonly id: NodeId;
  readonly input: Input;
  readonly before: Views;
  readonly after: Views;
  readonly sent: readonly { readonly to: NodeId; readonly msg: Message }[];
}

/** What the rules need of the node's configuration. */
export type MessageBounds = Pick<HyParViewConfig, 'activeSize' | 'passiveSize' | 'arwl' | 'prwl' | 'shuffleWalk' | 'decisions'>;

export interface MessageProperty {
  readonly name: string;
  readonly description: string;
  readonly check: (t: Transition, b: MessageBounds) => Verdict;
}

const received = (t: Transition): Message | null => (t.input.t === 'message' ? t.input.msg : null);
const sender = (t: Transition): NodeId => (t.input.t === 'message' ? t.input.from : -1);

/**
 * Paper, Algorithm 1 and section 4.3: a JOIN starts its walks with ttl ARWL; each hop of a
 * FORWARD_JOIN decreases it by one. A node's own shuffle starts with ttl shuffleWalk (origin the
 * node itself); each relay keeps the origin and decreases the ttl by one.
 */
export const WALK_TTL: MessageProperty = {
  name: 'walk-ttl',
  description: 'a FORWARD_JOIN a JOIN starts carries ARWL, a relayed one the received ttl - 1; a SHUFFLE a cycle starts carries shuffleWalk and the node as origin, a relayed one the received ttl - 1 and the same origin',
  check: (t, b) => {
    const got = received(t);
    for (const { to, msg } of t.sent) {
      if (msg.t === MsgType.ForwardJoin) {
        const want = got?.t === MsgType.Join ? b.arwl : got?.t === MsgType.ForwardJoin ? got.ttl - 1 : null;
        if (want === null && msg.ttl > b.arwl) return `node ${t.id} sent FORWARD_JOIN(new=${msg.newNode}, ttl=${msg.ttl}) to ${to}: more than ARWL (${b.arwl})`;
        if (want !== null && msg.ttl !== want) {
          const why = got?.t === MsgType.Join ? `a JOIN's walks start at ARWL (${b.arwl})` : `it relays a FORWARD_JOIN that arrived with ttl ${want + 1}`;
          return `node ${t.id} sent FORWARD_JOIN(new=${msg.newNode}, ttl=${msg.ttl}) to ${to}, but ${why}: the ttl must be ${want}`;
        }
      } else if (msg.t === MsgType.Shuffle) {
        if (got?.t === MsgType.Shuffle) {
          if (msg.ttl !== got.ttl - 1 || msg.origin !== got.origin) {
            return `node ${t.id} relayed SHUFFLE(origin=${got.origin}, ttl=${got.ttl}) as SHUFFLE(origin=${msg.origin}, ttl=${msg.ttl}) to ${to}: a relay keeps the origin and decreases the ttl by one`;
          }
        } else if (msg.ttl > b.shuffleWalk || msg.origin !== t.id) {
          return `node ${t.id} started SHUFFLE(origin=${msg.origin}, ttl=${msg.ttl}) to ${to}: a shuffle starts with ttl shuffleWalk (${b.shuffleWalk}) at most, from its own node`;
        }
      }
    }
    return null;
  },
};

/**
 * Paper, Algorithm 1: a node that relays a FORWARD_JOIN adds the new node to its passive view
 * exactly when the ttl it received equals PRWL. Decidable when the new node is neither the node
 * itself nor already in one of its views, the passive view has room for an id at all, and the
 * walk did not end here (the new node did not enter the active view).
 */
export const PASSIVE_AT_PRWL: MessageProperty = {
  name: 'passive-at-prwl',
  description: 'a FORWARD_JOIN that goes on puts the new node in the passive view exactly when its ttl equals PRWL',
  check: (t, b) => {
    const got = received(t);
    if (got?.t !== MsgType.ForwardJoin || b.passiveSize === 0) return null;
    const n = got.newNode;
    if (n === t.id || t.before.active.includes(n) || t.before.passive.includes(n) || t.after.active.includes(n)) return null;
    const added = t.after.passive.includes(n);
    if (got.ttl === b.prwl && !added) return `node ${t.id} took FORWARD_JOIN(new=${n}, ttl=${got.ttl}) from ${sender(t)} without adding ${n} to its passive view, though the ttl is PRWL (${b.prwl})`;
    if (got.ttl !== b.prwl && added) return `node ${t.id} added ${n} to its passive view on FORWARD_JOIN(new=${n}, ttl=${got.ttl}) from ${sender(t)}, but only ttl PRWL (${b.prwl}) does that`;
    return null;
  },
};

/** Paper, section 4.4: the node that accepts a shuffle answers the shuffle's origin, not the last hop. */
export const SHUFFLE_REPLY_TO_ORIGIN: MessageProperty = {
  name: 'shuffle-reply-to-origin',
  description: 'a SHUFFLE_REPLY answering a SHUFFLE goes to the shuffle\'s origin',
  check: (t) => {
    const got = received(t);
    if (got?.t !== MsgType.Shuffle) return null;
    const wrong = t.sent.find((s) => s.msg.t === MsgType.ShuffleReply && s.to !== got.origin);
    return wrong ? `node ${t.id} answered SHUFFLE(origin=${got.origin}) from ${sender(t)} with a SHUFFLE_REPLY to ${wrong.to} instead of the origin ${got.origin}` : null;
  },
};

/**
 * Paper, section 4.3: a node asks for a neighbour only to fill its active view; the request is
 * HIGH only when the active view is empty, LOW otherwise. The reference decisions add two HIGH
 * requests on purpose: decision 11 (fullViewSwap 'sometimes': on a cycle, a node whose active
 * view is full asks a passive peer with HIGH) and decision 1 (forwardJoinEnd 'notify': a walk's
 * last node tells the new node, just added to its active view, with NEIGHBOR(HIGH)). Judged on
 * the views after the step (a request is the last thing a step does).
 */
export const NEIGHBOR_PRIORITY: MessageProperty = {
  name: 'neighbor-priority',
  description: 'no LOW NEIGHBOR from a node whose active view is full; HIGH only from a node whose active view is empty (or a decision 11 swap, or a decision 1 walk-end notification)',
  check: (t, b) => {
    const size = t.after.active.length;
    const got = received(t);
    for (const { to, msg } of t.sent) {
      if (msg.t !== MsgType.Neighbor) continue;
      if (!msg.high) {
        if (size >= b.activeSize) return `node ${t.id} sent NEIGHBOR(LOW) to ${to} with a full active view [${t.after.active.join(',')}]`;
        continue;
      }
      if (size === 0) continue;
      if (b.decisions.fullViewSwap === 'sometimes' && t.input.t === 'shuffleTimer' && size >= b.activeSize) continue;
      if (b.decisions.forwardJoinEnd === 'notify' && got?.t === MsgType.ForwardJoin && got.newNode === to && t.after.active.includes(to)) continue;
      return `node ${t.id} sent NEIGHBOR(HIGH) to ${to} with active view [${t.after.active.join(',')}]: HIGH is for a node with no neighbour left`;
    }
    return null;
  },
};

export const MESSAGE_PROPERTIES: readonly MessageProperty[] = [WALK_TTL, PASSIVE_AT_PRWL, SHUFFLE_REPLY_TO_ORIGIN, NEIGHBOR_PRIORITY];

/** The first failure of each message property on `t`, or null when all hold. */
export function messageFailures(t: Transition, b: MessageBounds): { property: string; message: string }[] | null {
  let out: { property: string; message: string }[] | null = null;
  for (const p of MESSAGE_PROPERTIES) {
    const message = p.check(t, b);
    if (message) (out ??= []).push({ property: p.name, message });
  }
  return out;
}
