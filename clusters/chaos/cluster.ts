// A cluster behind Toxiproxy, on either backend, with the nemesis at hand: the typed API for
// a user's own tests and what the chaos runner drives.
//
//   const c = await ChaosCluster.start({ backend: 'docker', nodes: 8, seed: 1 });
//   try { await c.joinAll(); await c.partition([['n1','n2','n3','n4']]); ... } finally { await c.stop(); }
import type { Toxiproxy } from 'toxiproxy-node-client';
import { type Chooser, pickOne, seededChooser } from '../../models/chooser.ts';
import type { NodeConfig, NodeConfigInput } from '../../harness/node/config.ts';
import type { NodeView } from '../../harness/node/node.ts';
import { type Convergence, type Judgement, judge, type Observable, snapshotOf, watchUntilConverged } from '../local/check.ts';
import type { LiveSnapshot, MemberState } from '../local/snapshot.ts';
import { type Links, Nemesis, type ProcessControl } from '../nemesis/faults.ts';

/** What a backend provides: nodes with control APIs, a Toxiproxy in front of every link, process faults. */
export interface Backend extends ProcessControl, Observable {
  readonly kind: 'docker' | 'local';
  readonly members: readonly MemberState[];
  readonly config: NodeConfig;
  readonly toxiproxy: Toxiproxy;
  /** HOST:PORT that `from` dials to reach `to`: the proxy of link from→to. */
  linkAddress(from: string, to: string): string;
  api<T>(id: string, path: string, body?: unknown, timeoutMs?: number): Promise<T>;
  /** Copies every node's log so far into `dir` (one file per node). */
  saveLogs(dir: string): Promise<void>;
  /** Removes every node and Toxiproxy, and whatever the backend made on disk. */
  stop(): Promise<void>;
}

/** Small-cluster settings for chaos: active 4, passive 8, 1 s cycles, failures seen within 1.5 s. */
export const CHAOS_NODE_CONFIG: NodeConfigInput = {
  protocol: { activeSize: 4, passiveSize: 8 },
  shufflePeriodMs: 1000,
  neighborTimeoutMs: 500,
  helloTimeoutMs: 1000,
  lingerMs: 1000,
  keepaliveIntervalMs: 500,
  keepaliveTimeoutMs: 1000,
  logLevel: 'info',
};

export interface ChaosClusterOptions {
  readonly backend: 'docker' | 'local';
  readonly nodes: number;
  readonly seed: number;
  /** Node settings for every node (default CHAOS_NODE_CONFIG). */
  readonly config?: NodeConfigInput;
  /** Local backend: where node logs go. */
  readonly logDir?: string | undefined;
}

/**
 * The default recovery bound: 3 shuffle periods plus the keepalive deadline (interval +
 * timeout), the time a silent failure takes to be noticed.
 */
export function defaultBoundSeconds(config: NodeConfig): number {
  return (3 * config.shufflePeriodMs + config.keepaliveIntervalMs + config.keepaliveTimeoutMs) / 1000;
}

export class ChaosCluster implements Observable {
  readonly nemesis: Nemesis;
  private readonly chooser: Chooser;

  private constructor(readonly backend: Backend, seed: number) {
    this.chooser = seededChooser(seed ^ 0x4a6f696e);
    this.nemesis = new Nemesis(backend.toxiproxy, backend.members.map((m) => m.id), {
      crash: (id) => backend.crash(id),
      restart: (id) => this.restart(id),
      pause: (id) => backend.pause(id),
      unpause: (id) => backend.unpause(id),
    });
  }

  /** Starts the nodes and Toxiproxy (nobody has joined yet). Tears everything down on failure. */
  static async start(o: ChaosClusterOptions): Promise<ChaosCluster> {
    const options = { ...o, config: o.config ?? CHAOS_NODE_CONFIG };
    const backend = o.backend === 'docker'
      ? await (await import('../docker/cluster.ts')).DockerBackend.start(options)
      : await (await import('../local/proxied.ts')).LocalProxiedBackend.start(options);
    return new ChaosCluster(backend, o.seed);
  }

  get members(): readonly MemberState[] {
    return this.backend.members;
  }

  get config(): NodeConfig {
    return this.backend.config;
  }

  get ids(): string[] {
    return this.backend.members.map((m) => m.id);
  }

  /** Members neither crashed nor paused. */
  get up(): string[] {
    return this.backend.members.filter((m) => m.status === 'up').map((m) => m.id);
  }

  views(): Promise<Map<string, NodeView | null>> {
    return this.backend.views();
  }

  api<T>(id: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    return this.backend.api<T>(id, path, body, timeoutMs);
  }

  /** `id` joins through `contact`, over the proxy of link id→contact. */
  async join(id: string, contact: string): Promise<void> {
    await this.api(id, '/join', { contact: this.backend.linkAddress(id, contact) });
  }

  /** Every node but the first joins, one after another, through a seeded random earlier node. */
  async joinAll(): Promise<void> {
    const ids = this.ids;
    for (let i = 1; i < ids.length; i++) await this.join(ids[i]!, ids[this.chooser.pick(i)]!);
  }

  snapshot(): Promise<LiveSnapshot> {
    return snapshotOf(this);
  }

  /** The shared properties on a fresh snapshot. */
  async judge(): Promise<Judgement & { readonly snapshot: LiveSnapshot }> {
    const live = await this.snapshot();
    return { ...judge(live), snapshot: live };
  }

  /** Until the quiescent properties hold on two snapshots in a row (or `timeoutMs` passes). */
  converge(timeoutMs: number, since = performance.now()): Promise<Convergence> {
    return watchUntilConverged(this, { since, timeoutMs, pollMs: 200 });
  }

  /** Floods a probe from `from`; returns its message id. */
  async broadcast(from: string, payload: string): Promise<string> {
    const r = await this.api<{ ids: string[] }>(from, '/broadcast', { payload });
    return r.ids[0]!;
  }

  /** Members up that have not (yet) delivered message `msgId`. */
  async missing(msgId: string): Promise<string[]> {
    const up = this.up;
    const got = await Promise.all(up.map((id) => this.api<{ delivered: boolean }>(id, `/broadcasts/${encodeURIComponent(msgId)}`, undefined, 1500).then((r) => r.delivered, () => false)));
    return up.filter((_, i) => !got[i]);
  }

  /**
   * Broadcasts from a seeded random member that is up and waits up to `withinMs` for every member
   * up to deliver it. A flood is best effort: a link that breaks while it travels may lose it, so
   * `disturbances` lists what changed meanwhile (links down, broadcasts dropped, views), and a
   * miss with none is the overlay's fault.
   */
  async probe(withinMs: number): Promise<{ readonly delivered: number; readonly live: number; readonly missing: string[]; readonly disturbances: string[] }> {
    const up = this.up;
    if (up.length === 0) return { delivered: 0, live: 0, missing: [], disturbances: [] };
    const before = await this.views();
    const id = await this.broadcast(pickOne(up, this.chooser), `probe ${Date.now()}`);
    const deadline = performance.now() + withinMs;
    let missing = await this.missing(id);
    while (missing.length > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      missing = await this.missing(id);
    }
    const disturbances = missing.length === 0 ? [] : disturbed(before, await this.views());
    return { delivered: up.length - missing.length, live: up.length, missing, disturbances };
  }

  // ---- the nemesis, for tests ----------------------------------------------------------------

  partition(groups: readonly (readonly string[])[], mode: 'blackhole' | 'disable' = 'blackhole'): Promise<void> {
    return this.nemesis.partition(groups, mode);
  }

  isolate(id: string, mode: 'blackhole' | 'disable' = 'blackhole'): Promise<void> {
    return this.nemesis.isolate(id, mode);
  }

  oneWay(from: string, to: string): Promise<void> {
    return this.nemesis.oneWay(from, to);
  }

  latency(links: Links, ms: number, jitter = 0): Promise<void> {
    return this.nemesis.latency(links, ms, jitter);
  }

  bandwidth(links: Links, rate: number): Promise<void> {
    return this.nemesis.bandwidth(links, rate);
  }

  heal(): Promise<void> {
    return this.nemesis.heal();
  }

  crash(id: string): Promise<void> {
    return this.backend.crash(id);
  }

  /** Starts a crashed member again with the same id and joins it through a seeded random member that is up. */
  async restart(id: string): Promise<void> {
    await this.backend.restart(id);
    // A contact may still hold our previous incarnation's connection, or be restarting itself:
    // a few tries, each through a freshly drawn contact.
    for (let attempt = 1; ; attempt++) {
      const contacts = this.up.filter((x) => x !== id);
      if (contacts.length === 0) return;
      try {
        return await this.join(id, pickOne(contacts, this.chooser));
      } catch (e) {
        if (attempt === 5) throw new Error(`${id} restarted but could not rejoin: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  pause(id: string): Promise<void> {
    return this.backend.pause(id);
  }

  unpause(id: string): Promise<void> {
    return this.backend.unpause(id);
  }

  /** Removes every node, Toxiproxy and (Docker) the network. Safe to call twice. */
  stop(): Promise<void> {
    return this.backend.stop();
  }
}

/** What changed between two reads of the views that can lose a flood on its way. */
function disturbed(before: Map<string, NodeView | null>, after: Map<string, NodeView | null>): string[] {
  const out: string[] = [];
  const sum = (o: Record<string, number> | undefined): number => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
  for (const [id, b] of before) {
    const a = after.get(id);
    if (!a || !b) {
      if (a !== b) out.push(`${id}: ${a ? 'answered again' : 'stopped answering'}`);
      continue;
    }
    const downs = sum(a.counters.linkDowns) - sum(b.counters.linkDowns);
    const dropped = a.counters.broadcast.dropped - b.counters.broadcast.dropped;
    if (downs > 0) out.push(`${id}: ${downs} link(s) down`);
    if (dropped > 0) out.push(`${id}: ${dropped} broadcast(s) dropped`);
    if ([...a.active].sort().join() !== [...b.active].sort().join()) out.push(`${id}: active [${b.active.join(' ')}] -> [${a.active.join(' ')}]`);
  }
  return out;
}
