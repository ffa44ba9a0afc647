import type { Message } from '../../models/hyparview/messages.ts';

/** A connection event travelling with the messages: the link from the queue's sender broke. */
export const LINK_DOWN = { t: 7 } as const;
export type Packet = Message | typeof LINK_DOWN;
