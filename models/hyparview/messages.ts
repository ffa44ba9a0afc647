// The HyParView wire vocabulary. The sender of a message is the other end of the link it
// arrives on, so it is never repeated inside the message.

/** Nodes are small integers inside the models; engines map them to names and addresses. */
export type NodeId = number;

export const MsgType = {
  Join: 0,
  ForwardJoin: 1,
  Neighbor: 2,
  NeighborReply: 3,
  Disconnect: 4,
  Shuffle: 5,
  ShuffleReply: 6,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

export type Message =
  | { readonly t: typeof MsgType.Join }
  | { readonly t: typeof MsgType.ForwardJoin; readonly newNode: NodeId; readonly ttl: number }
  | { readonly t: typeof MsgType.Neighbor; readonly high: boolean }
  | { readonly t: typeof MsgType.NeighborReply; readonly accepted: boolean }
  | { readonly t: typeof MsgType.Disconnect }
  | { readonly t: typeof MsgType.Shuffle; readonly origin: NodeId; readonly ids: readonly NodeId[]; readonly ttl: number }
  | { readonly t: typeof MsgType.ShuffleReply; readonly ids: readonly NodeId[] };

export const MSG_NAMES: Record<MsgType, string> = {
  0: 'JOIN',
  1: 'FORWARD_JOIN',
  2: 'NEIGHBOR',
  3: 'NEIGHBOR_REPLY',
  4: 'DISCONNECT',
  5: 'SHUFFLE',
  6: 'SHUFFLE_REPLY',
};

export function describeMessage(m: Message): string {
  switch (m.t) {
    case MsgType.ForwardJoin:
      return `FORWARD_JOIN(new=${m.newNode}, ttl=${m.ttl})`;
    case MsgType.Neighbor:
      return `NEIGHBOR(${m.high ? 'HIGH' : 'LOW'})`;
    case MsgType.NeighborReply:
      return `NEIGHBOR_REPLY(${m.accepted ? 'accept' : 'reject'})`;
    case MsgType.Shuffle:
      return `SHUFFLE(origin=${m.origin}, [${m.ids.join(',')}], ttl=${m.ttl})`;
    case MsgType.ShuffleReply:
      return `SHUFFLE_REPLY([${m.ids.join(',')}])`;
    default:
      return MSG_NAMES[m.t];
  }
}
