// The local backend for chaos: node processes on 127.0.0.1 (LocalCluster), a Toxiproxy
// server as a local process, one proxy per directed link, each node's dial map pointing
// through them. Crash is SIGKILL, pause SIGSTOP/SIGCONT.
import { cp } from 'node:fs/promises';
import { execa, type ResultPromise } from 'execa';
import { Toxiproxy } from 'toxiproxy-node-client';
import { freeLoopbackPort } from '../../harness/node/address.ts';
import type { NodeConfig, NodeConfigInput } from '../../harness/node/config.ts';
import type { NodeView } from '../../harness/node/node.ts';
import type { Backend } from '../chaos/cluster.ts';
import { toxiproxyServerPath } from '../images/images.ts';
import { allLinks, proxyName } from '../links.ts';
import { LocalCluster } from './cluster.ts';

/** A `toxiproxy-server` on a free port of 127.0.0.1, once its API answers; the caller kills `server`. */
export async function startLocalToxiproxy(): Promise<{ server: ResultPromise; toxiproxy: Toxiproxy }> {
  const apiPort = await freeLoopbackPort();
  const server = execa(toxiproxyServerPath(), ['-host', '127.0.0.1', '-port', String(apiPort)], { reject: false, cleanup: true, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
  const toxiproxy = new Toxiproxy(`http://127.0.0.1:${apiPort}`);
  const deadline = performance.now() + 10_000;
  for (;;) {
    try {
      await toxiproxy.getVersion();
      return { server, toxiproxy };
    } catch (e) {
      if (server.exitCode !== null || performance.now() > deadline) {
        server.kill('SIGKILL');
        throw new Error(`toxiproxy-server did not answer on ${toxiproxy.host}: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export class LocalProxiedBackend implements Backend {
  readonly kind = 'local' as const;
  private readonly proxies = new Map<string, string>();

  private constructor(
    private readonly cluster: LocalCluster,
    private readonly server: ResultPromise,
    readonly toxiproxy: Toxiproxy,
  ) {}

  static async start(o: { nodes: number; seed: number; config: NodeConfigInput; logDir?: string | undefined }): Promise<LocalProxiedBackend> {
    toxiproxyServerPath(); // a missing binary fails here, before any node starts
    const cluster = await LocalCluster.start({ nodes: o.nodes, seed: o.seed, config: o.config, logDir: o.logDir });
    let b: LocalProxiedBackend | undefined;
    try {
      const { server, toxiproxy } = await startLocalToxiproxy();
      b = new LocalProxiedBackend(cluster, server, toxiproxy);
      const created = await b.toxiproxy.populate(
        allLinks(cluster.members.map((m) => m.id)).map((l) => ({ name: proxyName(l.from, l.to), listen: '127.0.0.1:0', upstream: cluster.member(l.to).listen, enabled: true })),
      );
      for (const [name, proxy] of Object.entries(created)) b.proxies.set(name, proxy.listen);
      await Promise.all(cluster.members.map((m) => b!.pointDialMap(m.id)));
      return b;
    } catch (e) {
      await (b ? b.stop() : cluster.destroy());
      throw new Error(`local chaos cluster did not start: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** Routes every outgoing link of `id` through its proxy (a restarted node starts with an empty dial map). */
  private async pointDialMap(id: string): Promise<void> {
    for (const m of this.cluster.members) {
      if (m.id !== id) await this.cluster.api(id, '/dial', { peer: m.id, address: this.linkAddress(id, m.id) });
    }
  }

  get members(): LocalCluster['members'] {
    return this.cluster.members;
  }

  get config(): NodeConfig {
    return this.cluster.config;
  }

  async saveLogs(dir: string): Promise<void> {
    await cp(this.cluster.logDir, dir, { recursive: true, filter: (src) => !src.endsWith('.json') });
  }

  linkAddress(from: string, to: string): string {
    const addr = this.proxies.get(proxyName(from, to));
    if (!addr) throw new Error(`no proxy for ${from}->${to}`);
    return addr;
  }

  api<T>(id: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    return this.cluster.api<T>(id, path, body, timeoutMs);
  }

  views(): Promise<Map<string, NodeView | null>> {
    return this.cluster.views();
  }

  async crash(id: string): Promise<void> {
    this.cluster.kill(id);
  }

  async restart(id: string): Promise<void> {
    await this.cluster.restart(id);
    await this.pointDialMap(id);
  }

  async pause(id: string): Promise<void> {
    this.cluster.pause(id);
  }

  async unpause(id: string): Promise<void> {
    this.cluster.resume(id);
  }

  async stop(): Promise<void> {
    await this.cluster.destroy();
    this.cluster.removeLogs();
    this.server.kill('SIGKILL');
    await this.server.catch(() => undefined);
  }
}
