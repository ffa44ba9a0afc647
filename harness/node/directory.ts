// The codec boundary's intern table: the model sees small integers, the wire sees string ids
// with addresses. Self is 0; integers are never reused, so a stale timer or reply can never
// be mistaken for a newer peer; entries nobody refers to any more are dropped (`retain`),
// so ids gossiped by a hostile peer cannot grow the table without bound.
import type { NodeId } from '../../models/hyparview/messages.ts';
import type { PeerRef } from './codec.ts';

export const SELF: NodeId = 0;

interface Entry {
  readonly name: string;
  addr: string;
}

export class Directory {
  private readonly byName = new Map<string, NodeId>();
  private readonly entries = new Map<NodeId, Entry>();
  private next = 1;

  constructor(selfName: string, selfAddr: string) {
    this.byName.set(selfName, SELF);
    this.entries.set(SELF, { name: selfName, addr: selfAddr });
  }

  get size(): number {
    return this.entries.size;
  }

  /** The integer for `ref.id`, creating it with `ref.addr` if new; a known address is kept. */
  intern(ref: PeerRef): NodeId {
    const known = this.byName.get(ref.id);
    if (known !== undefined) return known;
    const id = this.next++;
    this.byName.set(ref.id, id);
    this.entries.set(id, { name: ref.id, addr: ref.addr });
    return id;
  }

  lookup(name: string): NodeId | undefined {
    return this.byName.get(name);
  }

  name(id: NodeId): string {
    return this.entry(id).name;
  }

  addr(id: NodeId): string {
    return this.entry(id).addr;
  }

  setAddr(id: NodeId, addr: string): void {
    if (id !== SELF) this.entry(id).addr = addr;
  }

  ref(id: NodeId): PeerRef {
    const e = this.entry(id);
    return { id: e.name, addr: e.addr };
  }

  names(ids: readonly NodeId[]): string[] {
    return ids.map((id) => this.name(id));
  }

  /** Forgets every peer not in `keep`; returns how many were dropped. */
  retain(keep: ReadonlySet<NodeId>): number {
    let dropped = 0;
    for (const [id, e] of this.entries) {
      if (id === SELF || keep.has(id)) continue;
      this.entries.delete(id);
      this.byName.delete(e.name);
      dropped++;
    }
    return dropped;
  }

  private entry(id: NodeId): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Error(`node ${id} is not in the directory`);
    return e;
  }
}
