// Flooding broadcast over the active view, deduplicated by message id. Pure: the caller
// supplies the message id (the origin makes it unique), the current active view and the time,
// and does the sending and the delivery itself.
import type { NodeId } from './hyparview/messages.ts';

export interface FloodState {
  /** How many recent message ids are remembered for deduplication (a FIFO window). */
  readonly capacity: number;
  /**
   * An id is never forgotten sooner than this after it was first seen: a window that would have
   * to forget a younger one refuses the new message instead. Forgetting an id whose copies still
   * travel would let them loop for ever (a broadcast storm), and a flood of fresh ids is exactly
   * what makes the window turn over fast.
   */
  readonly minHoldMs: number;
  readonly seen: Set<string>;
  /** Ring buffer of the ids in `seen`, oldest at `next` once full, and when each was first seen. */
  readonly ring: string[];
  readonly seenAt: number[];
  next: number;
}

export function initialFlood(capacity: number, minHoldMs = 0): FloodState {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`flood capacity must be a positive integer, got ${capacity}`);
  return { capacity, minHoldMs, seen: new Set(), ring: [], seenAt: [], next: 0 };
}

export interface FloodStep {
  /** False for a duplicate, or for a message refused because the window is full of young ids. */
  readonly deliver: boolean;
  /** True when refused for that reason (dropped here: neither delivered nor relayed). */
  readonly overloaded?: true;
  /** Active members to relay the message to. */
  readonly forward: readonly NodeId[];
}

const DUPLICATE: FloodStep = { deliver: false, forward: [] };
const OVERLOADED: FloodStep = { deliver: false, overloaded: true, forward: [] };

/**
 * A broadcast message `id` arrived from `from` (or was originated here, `from` = null) at time
 * `now` (ms): deliver it once and relay it to every active member except the one it came from.
 */
export function flood(s: FloodState, id: string, from: NodeId | null, active: readonly NodeId[], now = 0): FloodStep {
  if (s.seen.has(id)) return DUPLICATE;
  if (!remember(s, id, now)) return OVERLOADED;
  return { deliver: true, forward: from === null ? active.slice() : active.filter((p) => p !== from) };
}

function remember(s: FloodState, id: string, now: number): boolean {
  if (s.ring.length < s.capacity) {
    s.ring.push(id);
    s.seenAt.push(now);
  } else {
    if (now - s.seenAt[s.next]! < s.minHoldMs) return false;
    s.seen.delete(s.ring[s.next]!);
    s.ring[s.next] = id;
    s.seenAt[s.next] = now;
    s.next = (s.next + 1) % s.capacity;
  }
  s.seen.add(id);
  return true;
}
