// A cluster of real node processes on 127.0.0.1: start, join, snapshot over the control
// APIs, crash (kill -9), pause (SIGSTOP/SIGCONT), restart with the same id, tear down.
// Every node is started with HYPARVIEW_EXIT_WITH_PARENT and an IPC channel, so it dies with
// this process even when this process is killed without a chance to clean up (it sees its
// stdin end, the channel close, or its parent pid change; see watchParent).
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { makeNodeConfig, type NodeConfigInput } from '../../harness/node/config.ts';
import { UsageError } from '../../harness/node/errors.ts';
import type { NodeView } from '../../harness/node/node.ts';
import { nodeCommand } from './entry.ts';
import { controlRequest, readViews } from './snapshot.ts';

/** Small-cluster settings (16 to 32 nodes): active log2(n)+c ≈ 4, passive 4 × that, 1 s cycles. */
export const LOCAL_CLUSTER_CONFIG: NodeConfigInput = {
  protocol: { activeSize: 4, passiveSize: 16 },
  shufflePeriodMs: 1000,
  neighborTimeoutMs: 500,
  helloTimeoutMs: 2000,
  lingerMs: 1000,
  logLevel: 'info',
};

export type MemberStatus = 'up' | 'paused' | 'killed';

export interface Member {
  readonly id: string;
  readonly index: number;
  /** Protocol address; kept across restarts, since peers know the node by it. */
  listen: string;
  control: string;
  pid: number;
  status: MemberStatus;
  seed: number;
  incarnation: number;
  proc: ResultPromise | undefined;
}

export interface LocalClusterOptions {
  readonly nodes: number;
  readonly seed: number;
  readonly config?: NodeConfigInput;
  /** Where node logs go (one file per node); a fresh temp directory by default. */
  readonly logDir?: string | undefined;
  /** How long one node may take to start. */
  readonly readyTimeoutMs?: number;
}

export class LocalCluster {
  readonly members: Member[] = [];
  readonly logDir: string;
  readonly config: ReturnType<typeof makeNodeConfig>;
  private readonly configFile: string;
  private readonly logs: WriteStream[] = [];
  private readonly lastViews = new Map<string, NodeView>();
  private readonly ownLogDir: boolean;
  private destroyed = false;

  private constructor(private readonly opts: LocalClusterOptions) {
    const input = opts.config ?? LOCAL_CLUSTER_CONFIG;
    this.config = makeNodeConfig(input); // before any directory is made for it
    this.ownLogDir = opts.logDir === undefined;
    if (opts.logDir === undefined) {
      this.logDir = mkdtempSync(join(tmpdir(), 'hyparview-cluster-'));
    } else {
      makeLogDir(opts.logDir);
      this.logDir = opts.logDir;
    }
    this.configFile = join(this.logDir, 'node-config.json');
    try {
      writeFileSync(this.configFile, JSON.stringify(input, null, 2));
    } catch (e) {
      this.removeLogs();
      throw new UsageError(`--log-dir ${this.logDir}: cannot write there (${reason(e)})`);
    }
  }

  /**
   * The cluster and its log directory, no process yet (so a caller can tear it down from a
   * signal handler while `launch` runs). Throws UsageError when the log directory cannot be
   * made or written.
   */
  static create(opts: LocalClusterOptions): LocalCluster {
    const cluster = new LocalCluster(opts);
    for (let i = 0; i < opts.nodes; i++) {
      cluster.members.push({ id: `n${i + 1}`, index: i, listen: '127.0.0.1:0', control: '', pid: 0, status: 'killed', seed: (opts.seed + i) | 0, incarnation: 0, proc: undefined });
    }
    return cluster;
  }

  /** Starts every node (concurrently) and waits until each listens. Tears down on failure. */
  async launch(): Promise<void> {
    try {
      await Promise.all(this.members.map((m) => this.spawn(m)));
    } catch (e) {
      await this.destroy();
      throw e;
    }
  }

  /** create + launch. */
  static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
    const cluster = LocalCluster.create(opts);
    await cluster.launch();
    return cluster;
  }

  member(id: string): Member {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  get live(): Member[] {
    return this.members.filter((m) => m.status !== 'killed');
  }

  private async spawn(m: Member): Promise<void> {
    if (this.destroyed) throw new Error('the cluster was torn down');
    m.incarnation++;
    const args = ['--id', m.id, '--listen', m.listen, '--control', '127.0.0.1:0', '--config', this.configFile, '--seed', String(m.seed + 1000 * (m.incarnation - 1))];
    const command = await nodeCommand(args);
    // Torn down while the entry was being bundled: start nothing destroy() would not see.
    if (this.destroyed) throw new Error('the cluster was torn down');
    const log = createWriteStream(join(this.logDir, `${m.id}.log`), { flags: 'a' });
    this.logs.push(log);
    const proc = execa(process.execPath, command, {
      env: { HYPARVIEW_EXIT_WITH_PARENT: '1' }, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', ipc: true, buffer: false, reject: false, cleanup: true },
    );
    m.proc = proc;
    m.pid = proc.pid ?? 0;
    proc.stderr.pipe(log, { end: false });
    const timeoutMs = this.opts.readyTimeoutMs ?? 30_000;
    const ready = await new Promise<{ listen: string; control: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${m.id} did not start within ${timeoutMs} ms; see ${log.path}`)), timeoutMs);
      const lines = createInterface({ input: proc.stdout });
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        if (!line.includes('"ready"')) return;
        try {
          const rec = JSON.parse(line) as { msg?: string; listen?: string; control?: string };
          if (rec.msg === 'ready' && rec.listen && rec.control) {
            clearTimeout(timer);
            resolve({ listen: rec.listen, control: rec.control });
          }
        } catch {
          // not a log record of ours
        }
      });
      void proc.then((r) => {
        clearTimeout(timer);
        reject(new Error(`${m.id} exited before it was ready (${r.signal ?? `code ${r.exitCode}`}); see ${log.path}`));
      });
    });
    m.listen = ready.listen;
    m.control = ready.control;
    m.status = 'up';
    void proc.then(() => {
      if (m.proc === proc) m.status = 'killed';
    });
  }

  /** GET or POST on a member's control API. */
  api<T>(id: string, path: string, body?: unknown, timeoutMs = 3000): Promise<T> {
    const m = this.member(id);
    return controlRequest<T>(m.id, m.control, path, body, undefined, timeoutMs);
  }

  /** `id` joins through `contact`; resolves once the contact's HELLO arrived and JOIN was sent. */
  async join(id: string, contact: string): Promise<void> {
    await this.api(id, '/join', { contact: this.member(contact).listen });
  }

  /**
   * Every node but the first joins: one after another (each through a random earlier node,
   * chosen by `pick`), or all at once through the first.
   */
  async joinAll(mode: 'sequential' | 'parallel', pick: (n: number) => number): Promise<void> {
    const [first, ...rest] = this.members;
    if (!first) return;
    if (mode === 'parallel') {
      await Promise.all(rest.map((m) => this.join(m.id, first.id)));
      return;
    }
    for (const m of rest) await this.join(m.id, this.members[pick(m.index)]!.id);
  }

  /** Every node's /state (see readViews). */
  views(): Promise<Map<string, NodeView | null>> {
    return readViews(this.members, (id) => this.api<NodeView>(id, '/state'), this.lastViews);
  }

  kill(id: string): void {
    const m = this.member(id);
    m.proc?.kill('SIGKILL');
    m.status = 'killed';
  }

  pause(id: string): void {
    const m = this.member(id);
    if (m.status !== 'up') throw new Error(`${id} is ${m.status}`);
    process.kill(m.pid, 'SIGSTOP');
    m.status = 'paused';
  }

  resume(id: string): void {
    const m = this.member(id);
    if (m.status !== 'paused') throw new Error(`${id} is ${m.status}`);
    process.kill(m.pid, 'SIGCONT');
    m.status = 'up';
  }

  /** Starts a killed member again: same id, same protocol address, empty views. */
  async restart(id: string): Promise<void> {
    const m = this.member(id);
    if (m.status !== 'killed') throw new Error(`${id} is ${m.status}; kill it first`);
    await m.proc?.catch(() => undefined);
    await this.spawn(m);
  }

  /** Floods `payload` from `id`; returns the message id. */
  async broadcast(id: string, payload: string): Promise<string> {
    const r = await this.api<{ ids: string[] }>(id, '/broadcast', { payload });
    return r.ids[0]!;
  }

  /** Live members that have not (yet) delivered message `msgId`. */
  async missing(msgId: string): Promise<string[]> {
    const up = this.members.filter((m) => m.status === 'up');
    const got = await Promise.all(up.map((m) => this.api<{ delivered: boolean }>(m.id, `/broadcasts/${encodeURIComponent(msgId)}`).then((r) => r.delivered, () => false)));
    return up.filter((_, i) => !got[i]).map((m) => m.id);
  }

  /** Kills every node (resuming paused ones first is unnecessary: SIGKILL ends them too). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const procs = this.members.map((m) => m.proc).filter((p): p is ResultPromise => p !== undefined);
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.catch(() => undefined)));
    await Promise.all(this.logs.map((l) => new Promise((r) => l.end(r))));
    for (const m of this.members) m.status = 'killed';
  }

  /** SIGKILLs every node at once, synchronously: for a process 'exit' handler, where nothing can be awaited. */
  killNow(): void {
    this.destroyed = true;
    for (const m of this.members) {
      m.proc?.kill('SIGKILL');
      m.status = 'killed';
    }
  }

  /** Deletes the log directory, if this cluster created it (a temp directory). */
  removeLogs(): void {
    if (this.ownLogDir) rmSync(this.logDir, { recursive: true, force: true });
  }
}

/** The first line of an fs error, as `CODE: what` (e.g. "ENOTDIR: not a directory"). */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text = err?.message?.split('\n')[0] ?? String(e);
  return text.replace(/, (mkdir|open|stat|scandir) '.*'$/, '');
}

/**
 * mkdir -p, one level at a time. Node's own recursive mkdirSync loops forever on some paths
 * (under /proc, say), so a --log-dir that cannot be made spun at 100% CPU; here every failure
 * is a UsageError naming the directory and the reason.
 */
function makeLogDir(dir: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`--log-dir ${dir}: cannot create it (${why})`);
  };
  const make = (path: string): void => {
    try {
      if (statSync(path).isDirectory()) return;
      fail(`${path} is not a directory`);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      // Missing, or under something that is not a directory: the parent will say which.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') fail(reason(e));
    }
    const parent = dirname(path);
    if (parent !== path) make(parent);
    try {
      mkdirSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(path, { throwIfNoEntry: false })?.isDirectory()) return;
      fail(code === 'ENOTDIR' ? `${parent} is not a directory` : reason(e));
    }
  };
  make(resolve(dir));
}
