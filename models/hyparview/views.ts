// Views are small sorted arrays of integer ids: cheap to copy, and their encoding does not
// depend on insertion order, which the checker's fingerprints rely on.
import type { NodeId } from './messages.ts';

export function has(view: readonly NodeId[], id: NodeId): boolean {
  for (let i = 0; i < view.length; i++) if (view[i] === id) return true;
  return false;
}

/** The first position in sorted `view` whose id is not below `id`. */
function lowerBound(view: readonly NodeId[], id: NodeId): number {
  let i = 0;
  while (i < view.length && view[i]! < id) i++;
  return i;
}

/** Inserts `id` keeping the array sorted; returns false when it was already there. */
export function insert(view: NodeId[], id: NodeId): boolean {
  const i = lowerBound(view, id);
  if (view[i] === id) return false;
  insertAt(view, i, id);
  return true;
}

/** Inserts `id` keeping the array sorted, once more even when present (a multiset). */
export function insertAgain(view: NodeId[], id: NodeId): void {
  insertAt(view, lowerBound(view, id), id);
}

/** Removes `id`; returns false when it was not there. */
export function remove(view: NodeId[], id: NodeId): boolean {
  const i = view.indexOf(id);
  if (i < 0) return false;
  for (let j = i + 1; j < view.length; j++) view[j - 1] = view[j]!;
  view.pop();
  return true;
}

/** `splice(i, 0, id)` without the array splice returns (views are short; this runs on most steps). */
function insertAt(view: NodeId[], i: number, id: NodeId): void {
  view.push(id);
  for (let j = view.length - 1; j > i; j--) view[j] = view[j - 1]!;
  view[i] = id;
}

/** Empties `view`. By pops, as setting `length` is a runtime call, a cost on the simulator's hottest paths. */
export function clear(view: unknown[]): void {
  while (view.length > 0) view.pop();
}

export function without(view: readonly NodeId[], id: NodeId): NodeId[] {
  return view.filter((x) => x !== id);
}
