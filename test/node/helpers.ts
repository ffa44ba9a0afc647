// Shared by the real-node and local-cluster tests: clusters that are always torn down, raw
// TCP clients for hostile input, bounded waiting.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import type { ExecutionContext } from 'ava';
import { execa, type ResultPromise } from 'execa';
import pino from 'pino';
import { LOCAL_CLUSTER_CONFIG, LocalCluster } from '../../clusters/local/cluster.ts';
import { nodeCommand } from '../../clusters/local/entry.ts';
import { encodeFrame, type WireMessage } from '../../harness/node/codec.ts';
import { makeNodeConfig, type NodeConfigInput } from '../../harness/node/config.ts';
import { parseHostPort } from '../../harness/node/address.ts';
import { HyParViewNode } from '../../harness/node/node.ts';

export async function startCluster(t: ExecutionContext, nodes: number, seed: number, config: NodeConfigInput = LOCAL_CLUSTER_CONFIG): Promise<LocalCluster> {
  const cluster = await LocalCluster.start({ nodes, seed, config: { ...config, logLevel: 'warn' } });
  t.teardown(async () => {
    await cluster.destroy();
    cluster.removeLogs();
  });
  return cluster;
}

/** Polls `check` every `everyMs` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false> | T | undefined | false, everyMs = 100): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A raw TCP client: whatever it sends, and when the node closed it. */
export interface RawClient {
  readonly socket: net.Socket;
  readonly received: Buffer[];
  /** Resolves when the connection closes, with how long it stayed open. */
  readonly closed: Promise<number>;
  send(bytes: Buffer | WireMessage): void;
}

export async function rawConnect(addr: string): Promise<RawClient> {
  const { host, port } = parseHostPort(addr);
  const socket = net.connect({ host, port });
  socket.on('error', () => {});
  const opened = performance.now();
  const received: Buffer[] = [];
  socket.on('data', (b: Buffer) => received.push(b));
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now() - opened)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error(`connection to ${addr} closed before it opened`)));
  });
  return {
    socket,
    received,
    closed,
    send: (bytes) => void socket.write(Buffer.isBuffer(bytes) ? bytes : encodeFrame(bytes)),
  };
}

/** Resident memory of a process, in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Floods `payload` from `from` and waits until every member that is up delivered it. */
export async function broadcastReachesAll(cluster: LocalCluster, from: string, timeoutMs = 3000): Promise<string> {
  const id = await cluster.broadcast(from, `hello from ${from}`);
  await waitFor(`broadcast ${id} to reach every live node`, timeoutMs, async () => (await cluster.missing(id)).length === 0);
  return id;
}

export interface SpawnedNode {
  readonly proc: ResultPromise;
  readonly listen: string;
  readonly control: string;
  /** Every stdout line so far (JSON log records). */
  readonly lines: string[];
}

/** Starts one node process (the bundled entry, as the local cluster does) and waits for its ready line. */
export async function spawnNode(t: ExecutionContext, args: readonly string[], env: Record<string, string> = {}): Promise<SpawnedNode> {
  const proc = execa(process.execPath, await nodeCommand(args), { env, stdin: 'pipe', buffer: false, reject: false, cleanup: true });
  t.teardown(async () => {
    proc.kill('SIGKILL');
    await proc;
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: proc.stderr }).on('line', (l) => stderr.push(l));
  const ready = await new Promise<{ listen: string; control: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${args.join(' ')} not ready after 15 s`)), 15_000);
    createInterface({ input: proc.stdout }).on('line', (line) => {
      lines.push(line);
      const rec = JSON.parse(line) as { msg: string; listen: string; control: string };
      if (rec.msg === 'ready') {
        clearTimeout(timer);
        resolve(rec);
      }
    });
    void proc.then((r) => reject(new Error(`node exited (${r.exitCode}) before ready: ${stderr.join(' | ')}`)));
  });
  return { proc, listen: ready.listen, control: ready.control, lines };
}

/** GET (or POST `body`) on a control API; returns the status and the parsed body. */
export async function http(control: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://${control}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Prometheus text, say
  }
  return { status: res.status, body: parsed };
}

/** A node inside the test process on 127.0.0.1 (a free port), stopped at teardown. */
export async function startInProcess(t: ExecutionContext, id: string, seed: number, config: NodeConfigInput): Promise<HyParViewNode> {
  const node = await HyParViewNode.start({ id, listen: { host: '127.0.0.1', port: 0 }, config: makeNodeConfig(config), seed, log: pino({ level: 'silent' }) });
  t.teardown(() => node.stop());
  return node;
}
