// The nemesis: every fault and its heal, the same for the Docker and the local backend.
// Network faults act on the Toxiproxy proxy of each directed link (i→j carries i's frames to
// j, and j's HELLO and PONG answers back), process faults on the backend's nodes.
import { type Proxy, type Toxiproxy } from 'toxiproxy-node-client';
import { allLinks, proxyName } from '../links.ts';
import type { PlannedPhase } from '../chaos/report.ts';

/** What a backend does to a node process or container. */
export interface ProcessControl {
  crash(id: string): Promise<void>;
  restart(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
}

/** Directed links by proxy name ("n1->n2"), or every link. */
export type Links = 'all' | readonly string[];

/** Every field a scheduled phase's `params` may hold; nemesis/schedule.ts writes, for each kind, the ones that kind reads. */
export interface PhaseParams {
  readonly cuts: readonly string[];
  readonly mode: 'blackhole' | 'disable';
  readonly from: string;
  readonly to: string;
  readonly links: Links;
  readonly ms: number;
  readonly jitter: number;
  readonly rate: number;
  readonly timeout: number;
  readonly averageSize: number;
  readonly sizeVariation: number;
  readonly delay: number;
  readonly bytes: number;
  readonly targets: readonly string[];
}

export const phaseParams = (p: PlannedPhase): PhaseParams => p.params as unknown as PhaseParams;

type ToxicType = 'latency' | 'bandwidth' | 'timeout' | 'slicer' | 'limit_data' | 'reset_peer';

export class Nemesis {
  private toxicSeq = 0;

  constructor(
    private readonly toxiproxy: Toxiproxy,
    private readonly ids: readonly string[],
    private readonly processes: ProcessControl,
  ) {}

  private proxy(name: string): Promise<Proxy> {
    return this.toxiproxy.get(name);
  }

  private names(links: Links): string[] {
    if (links !== 'all') return [...links];
    return allLinks(this.ids).map((l) => proxyName(l.from, l.to));
  }

  private async toxic(links: Links, type: ToxicType, attributes: Record<string, number>, streams: readonly ('upstream' | 'downstream')[] = ['upstream']): Promise<void> {
    await Promise.all(
      this.names(links).map(async (name) => {
        const proxy = await this.proxy(name);
        for (const stream of streams) await proxy.addToxic({ name: `${type}-${stream}-${++this.toxicSeq}`, type, stream, toxicity: 1, attributes });
      }),
    );
  }

  /**
   * Cuts links: "disable" closes the proxy (connections break, dials are refused: loud),
   * "blackhole" drops everything both ways while connections stay open (silent: only the
   * keepalive or the HELLO deadline notices).
   */
  async cut(links: Links, mode: 'blackhole' | 'disable' = 'blackhole'): Promise<void> {
    if (mode === 'blackhole') return this.toxic(links, 'timeout', { timeout: 0 }, ['upstream', 'downstream']);
    await Promise.all(
      this.names(links).map(async (name) => {
        const proxy = await this.proxy(name);
        await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
      }),
    );
  }

  /** Cuts every link between members of different groups; members in no group form one more group. */
  async partition(groups: readonly (readonly string[])[], mode: 'blackhole' | 'disable' = 'blackhole'): Promise<void> {
    const group = new Map<string, number>();
    groups.forEach((g, i) => g.forEach((id) => group.set(id, i)));
    const cuts = this.names('all').filter((name) => {
      const [from, to] = name.split('->') as [string, string];
      return (group.get(from) ?? -1) !== (group.get(to) ?? -1);
    });
    await this.cut(cuts, mode);
  }

  /** `id` can neither reach nor be reached by anyone. */
  isolate(id: string, mode: 'blackhole' | 'disable' = 'blackhole'): Promise<void> {
    return this.partition([[id]], mode);
  }

  /** `from`'s frames no longer reach `to` (and its connection to `to` hears nothing back); `to` → `from` still works. */
  oneWay(from: string, to: string): Promise<void> {
    return this.cut([proxyName(from, to)], 'blackhole');
  }

  /** Each frame on the links is delayed by ms ± jitter. */
  latency(links: Links, ms: number, jitter = 0): Promise<void> {
    return this.toxic(links, 'latency', { latency: ms, jitter });
  }

  /** At most `rate` KB/s on each link. */
  bandwidth(links: Links, rate: number): Promise<void> {
    return this.toxic(links, 'bandwidth', { rate });
  }

  /** Connections on the links are reset (RST) `timeout` ms after they open; new ones too. */
  resetPeer(links: Links, timeout: number): Promise<void> {
    return this.toxic(links, 'reset_peer', { timeout });
  }

  /** Frames are cut into pieces of about averageSize bytes, `delay` µs apart. */
  slicer(links: Links, averageSize: number, sizeVariation: number, delay: number): Promise<void> {
    return this.toxic(links, 'slicer', { average_size: averageSize, size_variation: sizeVariation, delay });
  }

  /** Connections on the links are closed once `bytes` have gone through. */
  limitData(links: Links, bytes: number): Promise<void> {
    return this.toxic(links, 'limit_data', { bytes });
  }

  /** Every proxy enabled, every toxic removed (Toxiproxy's reset). Processes are left as they are. */
  heal(): Promise<void> {
    return this.toxiproxy.reset();
  }

  crash(id: string): Promise<void> {
    return this.processes.crash(id);
  }

  restart(id: string): Promise<void> {
    return this.processes.restart(id);
  }

  pause(id: string): Promise<void> {
    return this.processes.pause(id);
  }

  unpause(id: string): Promise<void> {
    return this.processes.unpause(id);
  }

  /** Applies a scheduled phase's fault. */
  async apply(p: PlannedPhase): Promise<void> {
    const q = phaseParams(p);
    switch (p.kind) {
      case 'partition':
        return this.cut(q.cuts, q.mode);
      case 'one-way':
        return this.oneWay(q.from, q.to);
      case 'latency':
        return this.latency(q.links, q.ms, q.jitter);
      case 'bandwidth':
        return this.bandwidth(q.links, q.rate);
      case 'reset':
        return this.resetPeer(q.links, q.timeout);
      case 'slicer':
        return this.slicer(q.links, q.averageSize, q.sizeVariation, q.delay);
      case 'limit-data':
        return this.limitData(q.links, q.bytes);
      case 'crash':
        for (const id of q.targets) await this.crash(id);
        return;
      case 'pause':
        for (const id of q.targets) await this.pause(id);
        return;
    }
  }

  /** Undoes a scheduled phase's fault: the network is reset; crashed nodes restart, paused ones resume. */
  async undo(p: PlannedPhase): Promise<void> {
    if (p.kind === 'crash') await Promise.all(phaseParams(p).targets.map((id) => this.restart(id)));
    else if (p.kind === 'pause') await Promise.all(phaseParams(p).targets.map((id) => this.unpause(id)));
    else await this.heal();
  }
}
