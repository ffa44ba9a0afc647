// The vocabulary the baseline overlays (Cyclon, Scamp) share with each other: what a node is
// told, what it may do, and what it gets to decide with. HyParView has richer effects (timers,
// neighbour up/down) in models/hyparview/node.ts.
import type { Chooser } from './chooser.ts';
import type { NodeId } from './hyparview/messages.ts';

export type BaselineInput<M> =
  | { readonly t: 'join'; readonly contact: NodeId }
  | { readonly t: 'message'; readonly from: NodeId; readonly msg: M }
  | { readonly t: 'cycle' }
  /** A send to `peer` failed: it is dead. */
  | { readonly t: 'linkDown'; readonly peer: NodeId };

export type BaselineEffect<M> = { readonly t: 'send'; readonly to: NodeId; readonly msg: M };

export interface BaselineContext<C, M> {
  readonly config: C;
  readonly chooser: Chooser;
  readonly out: BaselineEffect<M>[];
}
