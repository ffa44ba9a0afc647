// The Docker backend (testcontainers 11): one network, a Toxiproxy container, N node
// containers labelled with the run id, one proxy per directed link, each node's dial map
// pointing through them. Ryuk cannot run without a registry, so this file removes what it
// made: on stop, on a failed start, on SIGINT/SIGTERM, and `cluster down` removes leftovers.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { GenericContainer, getContainerRuntimeClient, Network, type StartedTestContainer, Wait } from 'testcontainers';
import { Toxiproxy } from 'toxiproxy-node-client';
import { freeLoopbackPort } from '../../harness/node/address.ts';
import { makeNodeConfig, type NodeConfig, type NodeConfigInput } from '../../harness/node/config.ts';
import type { NodeView } from '../../harness/node/node.ts';
import { nodeImage, requireDocker, TOXIPROXY_IMAGE } from '../images/images.ts';
import { allLinks, nodeId, proxyName, proxyPort } from '../links.ts';
import type { Backend } from '../chaos/cluster.ts';
import { controlRequest, type MemberState, readViews } from '../local/snapshot.ts';

/** Every container and network of the project carries this label (value: "chaos" or "compose"). */
export const PROJECT_LABEL = 'hyparview-harness';
export const RUN_LABEL = 'hyparview-harness.run';
const NETWORK_PREFIX = 'hyparview-harness-';
const NODE_PORT = 7000;
const CONTROL_PORT = 8000;
const TOXIPROXY_API_PORT = 8474;

/** A container whose published ports bind 127.0.0.1 only (testcontainers binds every interface). */
class LoopbackContainer extends GenericContainer {
  override withExposedPorts(...ports: Parameters<GenericContainer['withExposedPorts']>): this {
    super.withExposedPorts(...ports);
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as Array<Array<{ HostIp?: string }>>) {
      for (const b of bindings) b.HostIp = '127.0.0.1';
    }
    return this;
  }
}

interface DockerMember extends MemberState {
  status: MemberState['status'];
  container: StartedTestContainer;
  control: string;
}


export class DockerBackend implements Backend {
  readonly kind = 'docker' as const;
  readonly members: DockerMember[] = [];
  readonly config: NodeConfig;
  toxiproxy!: Toxiproxy;
  private readonly lastViews = new Map<string, NodeView>();
  private readonly token = randomBytes(16).toString('hex');
  private stopping: Promise<void> | undefined;
  // Removes the containers; re-raises the signal only if nobody else handles it (the chaos runner does).
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    void this.stop().finally(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };

  private constructor(readonly runId: string, private readonly nodes: number, private readonly input: NodeConfigInput) {
    this.config = makeNodeConfig(input);
  }

  static async start(o: { nodes: number; seed: number; config: NodeConfigInput }): Promise<DockerBackend> {
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    // Ports are published on 127.0.0.1 only; inside a container (a CI sandbox) testcontainers
    // would otherwise look for them at the bridge's gateway.
    process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
    await requireDocker();
    const image = await nodeImage();
    const b = new DockerBackend(`${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, o.nodes, o.config);
    // Until stop() runs, an interrupt must not leave containers behind.
    process.once('SIGINT', b.onSignal);
    process.once('SIGTERM', b.onSignal);
    try {
      await b.up(image, o.nodes, o.seed);
      return b;
    } catch (e) {
      await b.stop();
      throw new Error(`docker cluster did not start: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  private labels(): Record<string, string> {
    return { [PROJECT_LABEL]: 'chaos', [RUN_LABEL]: this.runId };
  }

  private async up(image: string, nodes: number, seed: number): Promise<void> {
    const name = `${NETWORK_PREFIX}${this.runId}`;
    const network = await new Network({ nextUuid: () => name }).start();
    const ids = Array.from({ length: nodes }, (_, i) => nodeId(i));
    const toxiproxy = await new LoopbackContainer(TOXIPROXY_IMAGE)
      .withName(`${name}-toxiproxy`)
      .withLabels(this.labels())
      .withNetwork(network)
      .withNetworkAliases('toxiproxy')
      .withExposedPorts(TOXIPROXY_API_PORT)
      .withWaitStrategy(Wait.forHttp('/version', TOXIPROXY_API_PORT))
      .withStartupTimeout(30_000)
      .start();
    this.toxiproxy = new Toxiproxy(`http://127.0.0.1:${toxiproxy.getMappedPort(TOXIPROXY_API_PORT)}`);
    await this.toxiproxy.populate(
      allLinks(ids).map((l) => ({ name: proxyName(l.from, l.to), listen: `0.0.0.0:${this.port(l.from, l.to)}`, upstream: `${l.to}:${NODE_PORT}`, enabled: true })),
    );
    const config = JSON.stringify(this.input);
    const started = await Promise.allSettled(
      ids.map(async (id, i) => {
        const control = await freeLoopbackPort();
        const dial = ids.filter((p) => p !== id).map((p) => `${p}=${this.linkAddress(id, p)}`).join(',');
        const container = await new LoopbackContainer(image)
          .withName(`${name}-${id}`)
          .withLabels(this.labels())
          .withNetwork(network)
          .withNetworkAliases(id)
          .withEnvironment({ HYPARVIEW_DIAL: dial, HYPARVIEW_CONTROL_TOKEN: this.token })
          .withCopyContentToContainer([{ content: config, target: '/etc/hyparview/config.json' }])
          .withCommand(['--id', id, '--listen', `0.0.0.0:${NODE_PORT}`, '--advertise', `${id}:${NODE_PORT}`, '--control', `0.0.0.0:${CONTROL_PORT}`, '--config', '/etc/hyparview/config.json', '--seed', String((seed + i) | 0)])
          .withExposedPorts({ container: CONTROL_PORT, host: control })
          .withWaitStrategy(Wait.forLogMessage('"msg":"ready"'))
          .withStartupTimeout(30_000)
          .start();
        return { id, index: i, status: 'up' as const, container, control: `127.0.0.1:${control}` };
      }),
    );
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    for (const r of started) if (r.status === 'fulfilled') this.members.push(r.value);
  }

  private port(from: string, to: string): number {
    const index = (id: string): number => Number(id.slice(1)) - 1;
    return proxyPort(index(from), index(to), this.nodes);
  }

  linkAddress(from: string, to: string): string {
    return `toxiproxy:${this.port(from, to)}`;
  }

  private member(id: string): DockerMember {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  api<T>(id: string, path: string, body?: unknown, timeoutMs = 3000): Promise<T> {
    return controlRequest<T>(id, this.member(id).control, path, body, this.token, timeoutMs);
  }

  views(): Promise<Map<string, NodeView | null>> {
    return readViews(this.members, (id) => this.api<NodeView>(id, '/state', undefined, 1500), this.lastViews);
  }

  private async dockerode(id: string) {
    const client = await getContainerRuntimeClient();
    return client.container.getById(this.member(id).container.getId());
  }

  /** `docker kill`: the process dies at once; its peers see their connections break. */
  async crash(id: string): Promise<void> {
    const m = this.member(id);
    if (m.status === 'paused') await (await this.dockerode(id)).unpause();
    await (await this.dockerode(id)).kill();
    m.status = 'killed';
  }

  /** `docker start` of the killed container: same id, same address, empty views; resolves once its control API answers. */
  async restart(id: string): Promise<void> {
    const m = this.member(id);
    if (m.status !== 'killed') throw new Error(`${id} is ${m.status}; crash it first`);
    await (await this.dockerode(id)).start();
    const deadline = performance.now() + 15_000;
    for (;;) {
      try {
        await this.api(id, '/healthz', undefined, 500);
        break;
      } catch (e) {
        if (performance.now() > deadline) throw new Error(`${id} did not answer within 15 s of its restart: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    m.status = 'up';
  }

  /** `docker pause` (the cgroup freezer): no process runs, no connection breaks. */
  async pause(id: string): Promise<void> {
    const m = this.member(id);
    if (m.status !== 'up') throw new Error(`${id} is ${m.status}`);
    await (await this.dockerode(id)).pause();
    m.status = 'paused';
  }

  async unpause(id: string): Promise<void> {
    const m = this.member(id);
    if (m.status !== 'paused') throw new Error(`${id} is ${m.status}`);
    await (await this.dockerode(id)).unpause();
    m.status = 'up';
  }

  async saveLogs(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    await Promise.all(
      this.members.map(async (m) => {
        const r = await execa('docker', ['logs', m.container.getId()], { reject: false, all: true });
        writeFileSync(join(dir, `${m.id}.log`), r.all ?? '');
      }),
    );
  }

  /** Removes this run's containers and network. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      await removeProjectResources({ [RUN_LABEL]: this.runId });
      for (const m of this.members) m.status = 'killed';
    })();
    return this.stopping;
  }
}

/**
 * Removes containers (forced, volumes too) and networks carrying the given labels (default:
 * everything of the project). Returns what it removed.
 */
export async function removeProjectResources(labels: Record<string, string> = {}): Promise<{ containers: string[]; networks: string[] }> {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const filters = Object.keys(labels).length > 0 ? Object.entries(labels).map(([k, v]) => `${k}=${v}`) : [PROJECT_LABEL];
  const found = await docker.listContainers({ all: true, filters: { label: filters } });
  await Promise.all(found.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const runId = labels[RUN_LABEL];
  const networks = (await docker.listNetworks()).filter((n) => (runId ? n.Name === `${NETWORK_PREFIX}${runId}` : n.Name.startsWith(NETWORK_PREFIX) || n.Labels?.[PROJECT_LABEL] !== undefined));
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  return { containers: found.map((c) => c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12)), networks: networks.map((n) => n.Name) };
}
