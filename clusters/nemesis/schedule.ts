// A chaos schedule from a seed: phases of fault, hold, heal and a recovery window, the kinds
// taken in a seeded shuffle of the requested ones so every kind appears once before any
// repeats. Pure: the same inputs give the same schedule on any machine and backend.
import { type Chooser, pickOne, sample, seededChooser } from '../../models/chooser.ts';
import type { FaultKind, PlannedPhase } from '../chaos/report.ts';
import { allLinks, type Link } from '../links.ts';

export const FAULT_KINDS: readonly FaultKind[] = ['partition', 'one-way', 'latency', 'bandwidth', 'reset', 'slicer', 'limit-data', 'crash', 'pause'];

export const PARTITION_SHAPES = ['halves', 'random-split', 'isolate', 'bridge', 'majority-ring'] as const;
export type PartitionShape = (typeof PARTITION_SHAPES)[number];

export interface ScheduleOptions {
  readonly seed: number;
  readonly ids: readonly string[];
  readonly faults: readonly FaultKind[];
  readonly durationSeconds: number;
  /** How long each fault stays before its heal: [min, max] seconds. */
  readonly hold: readonly [number, number];
  /** The recovery window after each heal (the properties must be restored within it). */
  readonly boundSeconds: number;
  /** Partition shapes to draw from (default: all). */
  readonly shapes?: readonly PartitionShape[];
}

/** Seconds between a heal's window closing and the next fault, for the probe and the report to settle. */
const GAP_SECONDS = 1;

/** The phase length in seconds: hold, then the recovery window, then the gap. */
export const phaseSeconds = (p: PlannedPhase, boundSeconds: number): number => p.holdSeconds + boundSeconds + GAP_SECONDS;

export function makeSchedule(o: ScheduleOptions): PlannedPhase[] {
  if (o.ids.length < 2) throw new RangeError('a chaos schedule needs at least 2 nodes');
  if (o.faults.length === 0) throw new RangeError('no fault kinds to schedule');
  const chooser = seededChooser(o.seed ^ 0x6e656d65);
  const phases: PlannedPhase[] = [];
  let order: FaultKind[] = [];
  let t = 0;
  for (;;) {
    if (order.length === 0) order = shuffled(o.faults, chooser);
    const kind = order[0]!;
    // Crashes and pauses must be seen leaving the views before the heal, so they hold a whole window at least.
    const minHold = kind === 'crash' || kind === 'pause' ? Math.max(o.hold[0], o.boundSeconds) : o.hold[0];
    const maxHold = Math.max(minHold, o.hold[1]);
    const holdSeconds = minHold + chooser.pick(Math.round((maxHold - minHold) * 10) + 1) / 10;
    if (t + holdSeconds + o.boundSeconds + GAP_SECONDS > o.durationSeconds && phases.length > 0) break;
    order.shift();
    const { description, params } = faultParams(kind, o, chooser);
    phases.push({ index: phases.length, kind, description, at: round(t), holdSeconds, params });
    t += holdSeconds + o.boundSeconds + GAP_SECONDS;
    if (t >= o.durationSeconds) break;
  }
  return phases;
}

/** The shortest duration that fits one phase of every requested kind with the shortest holds. */
export function minimumDuration(o: Pick<ScheduleOptions, 'hold' | 'boundSeconds'>): number {
  return Math.max(o.hold[0], o.boundSeconds) + o.boundSeconds + GAP_SECONDS;
}

function shuffled<T>(items: readonly T[], chooser: Chooser): T[] {
  const out = [...new Set(items)];
  for (let i = out.length - 1; i > 0; i--) {
    const j = chooser.pick(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const round = (x: number): number => Math.round(x * 10) / 10;
const linkNames = (links: readonly Link[]): string[] => links.map((l) => `${l.from}->${l.to}`);

/** A few directed links, or all of them. */
function someLinks(ids: readonly string[], chooser: Chooser): { links: 'all' | string[]; text: string } {
  if (chooser.chance(1, 2)) return { links: 'all', text: 'every link' };
  const all = allLinks(ids);
  const picked = linkNames(sample(all, Math.max(1, Math.ceil(all.length / 4)), chooser));
  return { links: picked, text: `${picked.length} links (${picked.slice(0, 3).join(' ')}${picked.length > 3 ? ' …' : ''})` };
}

function faultParams(kind: FaultKind, o: ScheduleOptions, chooser: Chooser): { description: string; params: Record<string, unknown> } {
  const ids = o.ids;
  switch (kind) {
    case 'partition': {
      const shape = pickOne(o.shapes ?? PARTITION_SHAPES, chooser);
      const mode = chooser.chance(1, 2) ? 'blackhole' : 'disable';
      const cut = partitionShape(shape, ids, chooser);
      return { description: `${shape}: ${cut.text} (${mode})`, params: { shape, mode, groups: cut.groups, cuts: cut.cuts } };
    }
    case 'one-way': {
      const [from, to] = sample(ids, 2, chooser);
      const [a, b] = chooser.chance(1, 2) ? [from!, to!] : [to!, from!];
      return { description: `${a} cannot reach ${b} (link ${a}->${b} blackholed)`, params: { from: a, to: b } };
    }
    case 'latency': {
      const ms = 50 + 25 * chooser.pick(11);
      const jitter = Math.round(ms / 4);
      const { links, text } = someLinks(ids, chooser);
      return { description: `${ms} ± ${jitter} ms on ${text}`, params: { links, ms, jitter } };
    }
    case 'bandwidth': {
      const rate = 1 + chooser.pick(16);
      const { links, text } = someLinks(ids, chooser);
      return { description: `${rate} KB/s on ${text}`, params: { links, rate } };
    }
    case 'reset': {
      const timeout = 100 * chooser.pick(6);
      const { links, text } = someLinks(ids, chooser);
      return { description: `connections reset after ${timeout} ms on ${text}`, params: { links, timeout } };
    }
    case 'slicer': {
      const averageSize = 8 + chooser.pick(57);
      const delay = 100 * (1 + chooser.pick(10));
      const { links, text } = someLinks(ids, chooser);
      return { description: `frames sliced to ~${averageSize} bytes, ${delay} µs apart, on ${text}`, params: { links, averageSize, sizeVariation: Math.floor(averageSize / 2), delay } };
    }
    case 'limit-data': {
      const bytes = 256 * (1 + chooser.pick(16));
      const { links, text } = someLinks(ids, chooser);
      return { description: `connections closed after ${bytes} bytes on ${text}`, params: { links, bytes } };
    }
    case 'crash': {
      const k = 1 + chooser.pick(Math.max(1, Math.floor(ids.length / 3)));
      const targets = sample(ids, k, chooser);
      return { description: `kill ${targets.join(' ')}, then restart with the same id${targets.length > 1 ? 's' : ''}`, params: { targets } };
    }
    case 'pause': {
      const targets = sample(ids, 1, chooser);
      return { description: `pause ${targets.join(' ')}, then unpause`, params: { targets } };
    }
  }
}

/**
 * Which directed links a partition cuts: `groups` for the group-shaped ones, and for every
 * shape the explicit list of cut links (a bridge node and a ring are not group-shaped).
 */
export function partitionShape(shape: PartitionShape, ids: readonly string[], chooser: Chooser): { groups: string[][]; cuts: string[]; text: string } {
  const order = shuffled(ids, chooser);
  const groupCuts = (groups: string[][]): string[] => {
    const group = new Map(groups.flatMap((g, i) => g.map((id) => [id, i] as const)));
    return linkNames(allLinks(ids).filter((l) => group.get(l.from) !== group.get(l.to)));
  };
  const show = (groups: string[][]): string => groups.map((g) => g.join(' ')).join(' | ');
  switch (shape) {
    case 'halves': {
      const half = Math.floor(order.length / 2);
      const groups = [order.slice(0, half), order.slice(half)];
      return { groups, cuts: groupCuts(groups), text: show(groups) };
    }
    case 'random-split': {
      const k = 1 + chooser.pick(order.length - 1);
      const groups = [order.slice(0, k), order.slice(k)];
      return { groups, cuts: groupCuts(groups), text: show(groups) };
    }
    case 'isolate': {
      const groups = [order.slice(0, 1), order.slice(1)];
      return { groups, cuts: groupCuts(groups), text: `${order[0]} alone` };
    }
    case 'bridge': {
      // Two halves that only the bridge node (in both) connects.
      const half = Math.floor((order.length - 1) / 2);
      const bridge = order[0]!;
      const a = new Set(order.slice(1, 1 + half));
      const cuts = linkNames(allLinks(ids).filter((l) => l.from !== bridge && l.to !== bridge && a.has(l.from) !== a.has(l.to)));
      const groups = [[...a, bridge], [bridge, ...order.slice(1 + half)]];
      return { groups, cuts, text: `${show(groups)} (bridged by ${bridge})` };
    }
    case 'majority-ring': {
      // Each node reaches its ring neighbours within distance m: a majority, but a different one for each node.
      const n = order.length;
      const m = Math.max(1, Math.ceil((Math.floor(n / 2) + 1 - 1) / 2));
      const pos = new Map(order.map((id, i) => [id, i] as const));
      const dist = (x: string, y: string): number => {
        const d = Math.abs(pos.get(x)! - pos.get(y)!);
        return Math.min(d, n - d);
      };
      const cuts = linkNames(allLinks(ids).filter((l) => dist(l.from, l.to) > m));
      return { groups: [order], cuts, text: `ring ${order.join(' ')}, each node reaching ${m} on either side` };
    }
  }
}
