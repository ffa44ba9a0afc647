// One experiment of the paper's evaluation, as a typed API: build an overlay, let it stabilise,
// measure its graph and a broadcast on it, fail a share of the nodes at once, and follow the
// first messages after the failure and the cycles it takes to heal. Same options, same result,
// bit for bit.
import type { NodeId } from '../../models/hyparview/messages.ts';
import { averagePathLength, clusteringCoefficient, inDegrees, outGraph, undirected } from './graph.ts';
import { type BroadcastRecord, DEFAULT_ENGINE, type EngineOptions, Livelock, MAX_SHARDS, shardCount, Simulation, type Violation } from './engine.ts';
import { makeProtocol, PROTOCOLS, type ProtocolName, type ProtocolOptions } from './protocols.ts';

export interface SimulateOptions {
  readonly protocol: ProtocolName;
  readonly nodes: number;
  readonly seed: number;
  /** Share of the nodes that fail at once after stabilisation, from 0 to 1. */
  readonly fail: number;
  /** Cycles the overlay runs before it is measured and the failure strikes (the paper: 50). */
  readonly cycles: number;
  /** Broadcasts followed after the failure (the paper: 100), `messagesPerCycle` each cycle. */
  readonly messages: number;
  readonly messagesPerCycle: number;
  /** Cycles followed after the failure (at least long enough for the messages). */
  readonly healCycles: number;
  /** Share of the live nodes replaced by fresh ones every cycle after the failure (steady churn; 0: none). */
  readonly churn: number;
  readonly bootstrap: 'sequential' | 'at-once';
  /** Probe broadcasts on the stabilised overlay, before the failure (last hop, redundancy). */
  readonly probes: number;
  /** Judge the shared properties (HyParView): the always-ones every cycle, the quiescent ones at the two quiescent points; each property's first break is kept. */
  readonly judge: boolean;
  readonly engine: Omit<EngineOptions, 'nodes' | 'seed'>;
  readonly protocols: ProtocolOptions;
}

export const DEFAULT_SIMULATE: Omit<SimulateOptions, 'protocol' | 'nodes' | 'seed' | 'fail'> = {
  cycles: 50,
  messages: 100,
  messagesPerCycle: 10,
  healCycles: 10,
  churn: 0,
  bootstrap: 'sequential',
  probes: 10,
  judge: true,
  engine: DEFAULT_ENGINE,
  protocols: {},
};

export interface OverlayStats {
  readonly liveNodes: number;
  /** count[d]: live nodes with in-degree d. */
  readonly inDegree: number[];
  readonly clustering: number;
  readonly averagePath: number;
  /** Share of (source, target) pairs with no directed path. */
  readonly unreachable: number;
  /** Share of live nodes whose view holds at least the protocol's target (HyParView: a full active view). */
  readonly fullViews: number;
  readonly meanView: number;
  /** Share of view entries that name a dead node. */
  readonly deadEntries: number;
}

export interface MessageStats {
  /** Share of the nodes live at sending time that delivered it. */
  readonly reliability: number;
  readonly lastHop: number;
  /** Relative message redundancy: copies received / (deliveries − 1) − 1. */
  readonly redundancy: number;
}

export interface CycleStats {
  readonly cycle: number;
  readonly liveNodes: number;
  readonly fullViews: number;
  readonly deadEntries: number;
  /** Mean reliability of the messages sent during this cycle (null when none was). */
  readonly reliability: number | null;
}

export interface SimulateResult {
  readonly options: SimulateOptions;
  /** The command line that reruns exactly this experiment. */
  readonly command: string;
  readonly stable: { readonly overlay: OverlayStats; readonly probes: MessageStats[]; readonly steadyFullViews: number };
  readonly afterFailure: {
    readonly failed: number;
    readonly messages: MessageStats[];
    readonly perCycle: CycleStats[];
    /** Cycles after the failure until every later message reached every live node (null: not within the run). */
    readonly reliabilityHealedAfter: number | null;
    /**
     * Cycles after the failure until no view names a dead node and the share of full views is back
     * in the steady state's range (null: not within the run).
     */
    readonly viewsHealedAfter: number | null;
    /** The overlay's graph at the end of the run; null when the caller did not ask for it (the paper sweep does not use it). */
    readonly overlay: OverlayStats | null;
  };
  readonly violations: ReadonlyArray<Violation & { readonly cycle: number }>;
  /**
   * Splits and isolated nodes at the end of a run whose survivors share no knowledge (the live
   * nodes' views, read as a graph, fall apart): no protocol can repair them, so they are
   * reported, not failed.
   */
  readonly beyondRepair: ReadonlyArray<Violation & { readonly cycle: number; readonly knowledgeComponents: number }>;
  readonly run: { readonly events: number; readonly messagesSent: number };
}

export class SimulateError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'SimulateError';
  }
}

export function resolveSimulateOptions(input: Partial<SimulateOptions> & Pick<SimulateOptions, 'protocol' | 'nodes' | 'seed'>): SimulateOptions {
  const o: SimulateOptions = { ...DEFAULT_SIMULATE, fail: 0, ...input, engine: { ...DEFAULT_ENGINE, ...input.engine } };
  if (!PROTOCOLS.includes(o.protocol)) throw new SimulateError('protocol', `must be one of ${PROTOCOLS.join(', ')}, got ${JSON.stringify(o.protocol)}`);
  const int = (field: keyof SimulateOptions, v: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new SimulateError(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  };
  int('nodes', o.nodes, 2, 2 ** 24);
  int('seed', o.seed, -(2 ** 31), 2 ** 31 - 1);
  int('cycles', o.cycles, 0, 100_000);
  int('messages', o.messages, 0, 100_000);
  int('messagesPerCycle', o.messagesPerCycle, 1, 10_000);
  int('healCycles', o.healCycles, 0, 100_000);
  int('probes', o.probes, 0, 100_000);
  if (!(o.fail >= 0 && o.fail < 1)) throw new SimulateError('fail', `must be a share from 0 to below 1 (at least one node survives), got ${o.fail}`);
  if (!(o.churn >= 0 && o.churn < 1)) throw new SimulateError('churn', `must be a share from 0 to below 1, got ${o.churn}`);
  if (!['sequential', 'at-once'].includes(o.bootstrap)) throw new SimulateError('bootstrap', `must be sequential or at-once, got ${JSON.stringify(o.bootstrap)}`);
  const { min, max } = o.engine.latencyMs;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 0 && max >= min)) throw new SimulateError('latency', `must be whole milliseconds with 0 <= min <= max, got ${min}..${max}`);
  if (!(o.engine.cycleMs > 2 * max)) throw new SimulateError('latency', `a round trip (${2 * max} ms) must be shorter than a cycle (${o.engine.cycleMs} ms)`);
  // Else a NEIGHBOR request times out before its answer comes, the node asks again, and a sequential build never settles.
  if (o.protocol === 'hyparview' && !(o.engine.neighborTimeoutMs > 2 * max)) throw new SimulateError('latency', `a round trip (${2 * max} ms) must be shorter than HyParView's NEIGHBOR timeout (${o.engine.neighborTimeoutMs} ms)`);
  const shards = o.engine.shards;
  if (shards !== undefined) {
    if (!(Number.isInteger(shards) && shards >= 1 && shards <= Math.min(MAX_SHARDS, o.nodes))) throw new SimulateError('shards', `must be an integer from 1 to ${Math.min(MAX_SHARDS, o.nodes)} (at most one per node), got ${JSON.stringify(shards)}`);
    if (shards > 1 && min < 1) throw new SimulateError('shards', `shards exchange messages once per window of the shortest latency, so with ${shards} shards the latency must be at least 1 ms, got ${min}-${max}`);
  }
  makeProtocol(o.protocol, o.protocols); // throws ConfigError naming a bad protocol setting
  const needed = Math.ceil(o.messages / o.messagesPerCycle);
  if (o.healCycles < needed) throw new SimulateError('healCycles', `must cover the ${o.messages} messages at ${o.messagesPerCycle} a cycle (at least ${needed}), got ${o.healCycles}`);
  return o;
}

/** The `simulate` command line for these options (flags at their defaults left out). */
export function simulateCommand(o: SimulateOptions): string {
  const d = DEFAULT_SIMULATE;
  const flags = [`--protocol ${o.protocol}`, `--nodes ${o.nodes}`, `--fail ${+(o.fail * 100).toFixed(6)}`, `--cycles ${o.cycles}`, `--seed ${o.seed}`];
  if (o.messages !== d.messages) flags.push(`--messages ${o.messages}`);
  if (o.messagesPerCycle !== d.messagesPerCycle) flags.push(`--messages-per-cycle ${o.messagesPerCycle}`);
  if (o.healCycles !== d.healCycles) flags.push(`--heal-cycles ${o.healCycles}`);
  if (o.churn !== 0) flags.push(`--churn ${+(o.churn * 100).toFixed(6)}`);
  if (o.bootstrap !== d.bootstrap) flags.push(`--bootstrap ${o.bootstrap}`);
  if (o.probes !== d.probes) flags.push(`--probes ${o.probes}`);
  if (!o.judge) flags.push('--no-judge');
  const e = o.engine;
  if (e.latencyMs.min !== DEFAULT_ENGINE.latencyMs.min || e.latencyMs.max !== DEFAULT_ENGINE.latencyMs.max) flags.push(`--latency ${e.latencyMs.min}-${e.latencyMs.max}`);
  if (e.detect !== DEFAULT_ENGINE.detect) flags.push(`--detect ${e.detect}`);
  // Stated even at its default, which depends on the size: the line must rerun the same shards.
  const shards = shardCount(makeProtocol(o.protocol, o.protocols), { ...e, nodes: o.nodes, seed: o.seed });
  if (shards !== 1 || e.shards !== undefined) flags.push(`--shards ${shards}`);
  if (o.protocols.fanout !== undefined) flags.push(`--fanout ${o.protocols.fanout}`);
  if (o.protocols.hyparview?.variant && o.protocols.hyparview.variant !== 'reference') flags.push(`--variant ${o.protocols.hyparview.variant}`);
  if (o.protocols.hyparview?.mutant) flags.push(`--mutant ${o.protocols.hyparview.mutant}`);
  return `npx hyparview-harness simulate ${flags.join(' ')}`;
}

/** Share of live nodes with a full view, and of view entries naming a dead node: cheap, for every cycle. */
export function viewHealth(sim: Simulation): { liveNodes: number; fullViews: number; meanView: number; deadEntries: number } {
  const { protocol, alive } = sim;
  let full = 0;
  let entries = 0;
  let dead = 0;
  for (let i = 0; i < sim.size; i++) {
    if (!alive[i]) continue;
    const view = protocol.neighbours(sim.state(i));
    if (view.length >= protocol.viewTarget) full++;
    entries += view.length;
    for (const p of view) dead += 1 - alive[p]!;
  }
  const live = sim.liveCount;
  return { liveNodes: live, fullViews: live === 0 ? 0 : full / live, meanView: live === 0 ? 0 : entries / live, deadEntries: entries === 0 ? 0 : dead / entries };
}

export function overlayStats(sim: Simulation): OverlayStats {
  const { protocol, alive } = sim;
  const g = outGraph(sim.size, alive, (id: NodeId) => protocol.neighbours(sim.state(id)));
  const paths = averagePathLength(g, alive, sim.chooser);
  return { ...viewHealth(sim), inDegree: inDegrees(g, alive), clustering: clusteringCoefficient(undirected(g), alive), averagePath: paths.average, unreachable: paths.unreachable };
}

function messageStats(r: BroadcastRecord): MessageStats {
  return { reliability: r.live === 0 ? 0 : r.delivered / r.live, lastHop: r.lastHop, redundancy: r.delivered <= 1 ? 0 : r.received / (r.delivered - 1) - 1 };
}

export interface SimulateProgress {
  readonly phase: 'bootstrap' | 'stabilise' | 'failure';
  readonly done: number;
  readonly total: number;
}

/** A built and stabilised overlay, ready for experiments (one per failure level in a sweep). */
export interface Stabilised {
  readonly sim: Simulation;
  readonly overlay: OverlayStats;
  readonly probes: MessageStats[];
  readonly violations: Array<Violation & { cycle: number }>;
  /** The lowest share of full views at the end of the last (up to) 10 cycles: the steady state's range, as the healing cycles measure it. */
  readonly steadyFullViews: number;
}

/** Builds the overlay, runs `cycles` cycles, quiesces it and measures it. Depends on everything but `fail`, `churn` and the post-failure counts. */
export function stabilise(o: SimulateOptions, onProgress?: (p: SimulateProgress) => void): Stabilised {
  const protocol = makeProtocol(o.protocol, o.protocols);
  const sim = new Simulation(protocol, { ...o.engine, nodes: o.nodes, seed: o.seed });
  const judging = o.judge && protocol.snapshot !== undefined;
  const violations: Array<Violation & { cycle: number }> = [];
  const note = noter(violations, sim);
  sim.bootstrap(o.bootstrap, (done) => onProgress?.({ phase: 'bootstrap', done, total: o.nodes - 1 }));
  const lastFull: number[] = [];
  sim.runCycles(o.cycles, (c) => {
    if (judging) note(sim.judge('always'));
    if (c > o.cycles - 10) lastFull.push(viewHealth(sim).fullViews);
    onProgress?.({ phase: 'stabilise', done: c, total: o.cycles });
  });
  drainKeeping(sim, violations);
  if (judging) note(sim.judge('quiescent'));
  const overlay = overlayStats(sim);
  const probe = new Simulation(protocol, sim.options, sim, 0x9e0be);
  const records = Array.from({ length: o.probes }, (_, i) => probe.broadcast(probe.now + i * 1000));
  drainKeeping(probe, violations);
  return { sim, overlay, probes: records.map(messageStats), violations, steadyFullViews: lastFull.length ? Math.min(...lastFull) : overlay.fullViews };
}

/** The failure, the messages after it and the healing, on a copy of a stabilised overlay. */
export function afterFailure(o: SimulateOptions, base: Stabilised, onProgress?: (p: SimulateProgress) => void, measure = { overlay: true }): SimulateResult {
  // Each failure level continues the same stabilised run with choices of its own, so a sweep and a single run agree.
  const sim = new Simulation(base.sim.protocol, base.sim.options, base.sim, Math.round(o.fail * 1e6));
  const judging = o.judge && sim.protocol.snapshot !== undefined;
  const violations = base.violations.slice();
  const note = noter(violations, sim);
  const failed = pickVictims(sim, Math.round(o.fail * o.nodes));
  sim.crash(failed);
  const T = sim.options.cycleMs;
  const start = Math.ceil(sim.now / T) * T;
  const records = Array.from({ length: o.messages }, (_, i) => sim.broadcast(start + Math.floor((i * T) / o.messagesPerCycle)));
  const perCycle: CycleStats[] = [];
  let viewsHealedAfter: number | null = null;
  for (let c = 1; c <= o.healCycles; c++) {
    sim.runCycles(1);
    if (o.churn > 0) churn(sim, o.churn);
    if (judging) note(sim.judge('always'));
    const stats = viewHealth(sim);
    const sent = records.slice((c - 1) * o.messagesPerCycle, c * o.messagesPerCycle).filter((r) => r.pending === 0 && r.live > 0);
    perCycle.push({ cycle: c, liveNodes: stats.liveNodes, fullViews: stats.fullViews, deadEntries: stats.deadEntries, reliability: sent.length === 0 ? null : sent.reduce((s, r) => s + messageStats(r).reliability, 0) / sent.length });
    if (viewsHealedAfter === null && stats.deadEntries === 0 && stats.fullViews >= base.steadyFullViews) viewsHealedAfter = c;
    onProgress?.({ phase: 'failure', done: c, total: o.healCycles });
  }
  drainKeeping(sim, violations);
  const beyondRepair: Array<Violation & { cycle: number; knowledgeComponents: number }> = [];
  if (judging && o.churn === 0) {
    const found = sim.judge('quiescent');
    const knowledge = found.some((v) => SPLITS.has(v.property)) ? sim.knowledgeComponents() : 1;
    note(found.filter((v) => knowledge === 1 || !SPLITS.has(v.property)));
    for (const v of found) if (knowledge > 1 && SPLITS.has(v.property)) beyondRepair.push({ ...v, cycle: sim.cycle, knowledgeComponents: knowledge });
  }
  const messages = records.map(messageStats);
  let healedFrom = messages.length;
  while (healedFrom > 0 && messages[healedFrom - 1]!.reliability === 1) healedFrom--;
  return {
    options: o,
    command: simulateCommand(o),
    stable: { overlay: base.overlay, probes: base.probes, steadyFullViews: base.steadyFullViews },
    afterFailure: {
      failed: failed.length,
      messages,
      perCycle,
      reliabilityHealedAfter: healedFrom === messages.length && messages.length > 0 ? null : Math.floor(healedFrom / o.messagesPerCycle),
      viewsHealedAfter,
      // Last: its sampled paths draw from the engine's chooser after the run is over.
      overlay: measure.overlay ? overlayStats(sim) : null,
    },
    violations,
    beyondRepair,
    run: { events: base.sim.eventsProcessed + sim.eventsProcessed, messagesSent: base.sim.messagesSent + sim.messagesSent },
  };
}

/** Drains; a livelock carries the properties already broken, so a failing run names them too. */
function drainKeeping(sim: Simulation, violations: ReadonlyArray<Violation & { cycle: number }>): void {
  try {
    sim.drain();
  } catch (e) {
    if (e instanceof Livelock && violations.length > 0) throw new Livelock(e.events, e.atMs, e.cycle, violations);
    throw e;
  }
}

/** Records each property's first violation (a broken bound tends to stay broken for every later cycle). */
function noter(into: Array<Violation & { cycle: number }>, sim: Simulation): (found: Violation[]) => void {
  return (found) => {
    for (const v of found) if (!into.some((x) => x.property === v.property)) into.push({ ...v, cycle: sim.cycle });
  };
}

/** Properties a failure can break for good when the survivors no longer know each other. */
const SPLITS = new Set(['connected', 'no-isolated-node']);

/** `count` distinct nodes, seeded: a partial Fisher-Yates shuffle. */
function pickVictims(sim: Simulation, count: number): NodeId[] {
  const ids = Int32Array.from({ length: sim.size }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + sim.chooser.pick(sim.size - i);
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
  return Array.from(ids.subarray(0, count));
}

/** Steady churn: a share of the live nodes crash, and as many fresh nodes join through random live ones. */
function churn(sim: Simulation, share: number): void {
  const count = Math.round(share * sim.liveCount);
  const leaving = new Set<NodeId>();
  while (leaving.size < count) leaving.add(sim.randomLive());
  sim.crash(leaving);
  const contacts = [...leaving].map(() => sim.randomLive());
  let i = 0;
  for (const id of leaving) sim.replace(id, contacts[i++]!);
}

export function simulate(input: Partial<SimulateOptions> & Pick<SimulateOptions, 'protocol' | 'nodes' | 'seed'>, onProgress?: (p: SimulateProgress) => void): SimulateResult {
  const o = resolveSimulateOptions(input);
  return afterFailure(o, stabilise(o, onProgress), onProgress);
}
