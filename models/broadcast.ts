// Flooding broadcast over the active view, deduplicated by message id. Pure: the caller
// supplies the message id (the origin makes it unique) and the current active view, and
// does the sending and the delivery itself.
import type { NodeId } from './hyparview/messages.ts';

export interface FloodState {
  /** How many recent message ids are remembered for deduplication (a FIFO window). */
  readonly capacity: number;
  readonly seen: Set<string>;
  /** Ring buffer of the ids in `seen`, oldest at `next` once full. */
  readonly ring: string[];
  next: number;
}

export function initialFlood(capacity: number): FloodState {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`flood capacity must be a positive integer, got ${capacity}`);
  return { capacity, seen: new Set(), ring: [], next: 0 };
}

export interface FloodStep {
  /** False for a duplicate: nothing to deliver, nothing to send. */
  readonly deliver: boolean;
  /** Active members to relay the message to. */
  readonly forward: readonly NodeId[];
}

const DUPLICATE: FloodStep = { deliver: false, forward: [] };

/**
 * A broadcast message `id` arrived from `from` (or was originated here, `from` = null):
 * deliver it once and relay it to every active member except the one it came from.
 */
export function flood(s: FloodState, id: string, from: NodeId | null, active: readonly NodeId[]): FloodStep {
  if (s.seen.has(id)) return DUPLICATE;
  remember(s, id);
  return { deliver: true, forward: from === null ? active.slice() : active.filter((p) => p !== from) };
}

function remember(s: FloodState, id: string): void {
  if (s.ring.length < s.capacity) {
    s.ring.push(id);
  } else {
    s.seen.delete(s.ring[s.next]!);
    s.ring[s.next] = id;
    s.next = (s.next + 1) % s.capacity;
  }
  s.seen.add(id);
}
