// `hyparview-harness cluster --backend local`: start real node processes on 127.0.0.1, join
// them, judge live snapshots with the shared properties, and always tear everything down
// (on success, failure, error and Ctrl-C).
import { seededChooser } from '../../models/chooser.ts';
import { ConfigError, type NodeConfigInput, readNodeConfigInput } from '../../harness/node/config.ts';
import { EXIT_ERROR, EXIT_FAIL, EXIT_PASS, UsageError } from '../../harness/node/errors.ts';
import { type Judgement, judge, snapshotOf, type Violation, watchUntilConverged } from './check.ts';
import { LOCAL_CLUSTER_CONFIG, LocalCluster } from './cluster.ts';
import type { LiveSnapshot } from './snapshot.ts';

export interface RunOptions {
  readonly nodes: number;
  readonly check: boolean;
  readonly timeoutSeconds: number;
  readonly json: boolean;
  readonly seed: number;
  readonly configFile: string | undefined;
  readonly join: 'sequential' | 'parallel';
  readonly logDir?: string | undefined;
}

export interface ClusterVerdict {
  readonly verdict: 'pass' | 'fail';
  readonly nodes: number;
  readonly convergedSeconds: number | null;
  readonly components: number;
  readonly asymmetricPairs: number;
  readonly violations: Violation[];
  readonly seed: number;
  /** After a failure: where the node logs were kept. */
  readonly logDir?: string;
}

function readConfig(file: string | undefined): NodeConfigInput {
  return file === undefined ? LOCAL_CLUSTER_CONFIG : readNodeConfigInput(file);
}

/** One line per node: its active view and the size of its passive view. */
export function describeViews(live: LiveSnapshot, j: Judgement): string {
  const name = (i: number): string => live.names[i] ?? `#${i}`;
  const rows = live.snapshot.nodes.map((n) => {
    const id = name(n.id).padEnd(5);
    if (!n.alive) return `${id} down`;
    const pending = n.pending.length > 0 ? `  asking ${n.pending.map(name).join(' ')}` : '';
    return `${id} active ${n.active.map(name).join(' ').padEnd(24)} passive ${String(n.passive.length).padStart(2)}${pending}`;
  });
  const verdicts = j.isQuiescent
    ? j.quiescent.length === 0
      ? 'quiescent: symmetric, connected, no dead or isolated node'
      : `quiescent, but: ${j.quiescent.map((v) => v.message).join('; ')}`
    : 'not quiescent (messages or requests in flight)';
  return `${rows.join('\n')}\n${j.components} component(s), ${j.asymmetricPairs} asymmetric pair(s); ${verdicts}${j.always.length > 0 ? `\nALWAYS violated: ${j.always.map((v) => v.message).join('; ')}` : ''}`;
}

/** Signals that stop a live cluster: Ctrl-C, kill, and the terminal closing. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function runLocalCluster(o: RunOptions): Promise<number> {
  const config = readConfig(o.configFile);
  const progress = (line: string): void => {
    if (process.stderr.isTTY && !o.json) process.stderr.write(`${line}\n`);
  };
  let cluster: LocalCluster | undefined;
  let interrupted = false;
  // A temp log directory is removed however this ends (a pass, Ctrl-C, an exit from elsewhere
  // such as EPIPE on stdout), except when a message names it: a failed check or an error.
  let keepLogs = false;
  const onExit = (): void => {
    cluster?.killNow();
    if (!keepLogs) cluster?.removeLogs();
  };
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    progress('stopping every node...');
    void (cluster?.destroy() ?? Promise.resolve()).finally(() => {
      if (!keepLogs) cluster?.removeLogs();
      process.exit(o.check ? EXIT_ERROR : EXIT_PASS);
    });
  };
  process.on('exit', onExit);
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    progress(`seed ${o.seed}: starting ${o.nodes} node processes on 127.0.0.1...`);
    cluster = LocalCluster.create({ nodes: o.nodes, seed: o.seed, config, logDir: o.logDir });
    await cluster.launch();
    progress(`all ${o.nodes} nodes listen; node logs in ${cluster.logDir}; joining (${o.join})...`);
    const chooser = seededChooser(o.seed);
    const since = performance.now();
    await cluster.joinAll(o.join, (i) => chooser.pick(i));
    if (o.check) {
      const code = await checkOnce(cluster, o, since);
      keepLogs = code !== EXIT_PASS;
      return code;
    }
    process.stdout.write(`${o.nodes} nodes up (seed ${o.seed}); logs in ${cluster.logDir}. Ctrl-C stops them all.\n`);
    for (;;) {
      const live = await snapshotOf(cluster);
      process.stdout.write(`\n[${((performance.now() - since) / 1000).toFixed(1)} s]\n${describeViews(live, judge(live))}\n`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  } catch (e) {
    if (interrupted) return new Promise<number>(() => {});
    if (e instanceof ConfigError || e instanceof UsageError) throw e;
    keepLogs = cluster !== undefined; // the message names them
    throw new Error(`local cluster: ${(e as Error).message}${cluster ? `; node logs in ${cluster.logDir}` : ''}`);
  } finally {
    if (!interrupted) {
      await cluster?.destroy();
      if (!keepLogs) cluster?.removeLogs();
      process.off('exit', onExit);
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    }
  }
}

async function checkOnce(cluster: LocalCluster, o: RunOptions, since: number): Promise<number> {
  const result = await watchUntilConverged(cluster, { since, timeoutMs: o.timeoutSeconds * 1000 });
  const verdict: ClusterVerdict = {
    verdict: result.converged ? 'pass' : 'fail',
    nodes: o.nodes,
    convergedSeconds: result.converged ? Math.round(result.seconds * 1000) / 1000 : null,
    components: result.judgement.components,
    asymmetricPairs: result.judgement.asymmetricPairs,
    violations: result.violations,
    seed: o.seed,
    ...(result.converged ? {} : { logDir: cluster.logDir }),
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(verdict)}\n`);
  } else {
    process.stdout.write(`${describeViews(result.last, result.judgement)}\n`);
    process.stdout.write(
      result.converged
        ? `PASS: ${o.nodes} nodes converged ${verdict.convergedSeconds} s after the first join (seed ${o.seed})\n`
        : `FAIL after ${result.seconds.toFixed(1)} s (seed ${o.seed}):\n${result.violations.map((v) => `  ${v.property}: ${v.message}`).join('\n')}\nnode logs kept in ${cluster.logDir}\n`,
    );
    const config = o.configFile === undefined ? '' : ` --config ${o.configFile}`;
    process.stdout.write(`reproduce: hyparview-harness cluster --backend local --nodes ${o.nodes} --check --timeout ${o.timeoutSeconds} --seed ${o.seed} --join ${o.join}${config}\n`);
  }
  return result.converged ? EXIT_PASS : EXIT_FAIL;
}
