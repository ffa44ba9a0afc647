// The `node` and `cluster` subcommands of hyparview-harness (wired in by harness/cli.ts, and
// by harness/node/main.ts, the entry the local cluster spawns).
import { randomInt } from 'node:crypto';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { formatHostPort, type HostPort, isLoopback, isNodeId, parseHostPort } from './address.ts';
import { ConfigError, LOG_LEVELS, loadNodeConfig } from './config.ts';
import { startControl } from './control.ts';
import { EXIT_ERROR, exitWithError, UsageError } from './errors.ts';
import { HyParViewNode } from './node.ts';

export interface NodeCommandOptions {
  id: string;
  listen: HostPort;
  contact?: HostPort;
  control?: HostPort;
  advertise?: HostPort;
  config?: string;
  seed?: number;
  logLevel?: string;
}

const hostPort = (allowZero: boolean) => (value: string): HostPort => {
  try {
    return parseHostPort(value, allowZero);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

const integer = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  return n;
};

/** Usage errors exit 2, like every other error of ours; help and version exit 0. */
function exitTwoOnUsage(cmd: Command): Command {
  return cmd.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT_ERROR);
  });
}

export function registerNodeCommands(program: Command): void {
  registerNodeCommand(program);
  registerClusterCommand(program);
}

export function registerNodeCommand(program: Command): void {
  exitTwoOnUsage(
    program
      .command('node')
      .description('run one HyParView member over TCP, with an HTTP control API')
      .requiredOption('--id <id>', 'stable node id (1-64 of A-Z a-z 0-9 . _ -)')
      .requiredOption('--listen <host:port>', 'protocol listen address (port 0: any free port)', hostPort(true))
      .option('--contact <host:port>', 'join the overlay through the node at this address', hostPort(false))
      .option('--control <host:port>', 'control API address (default 127.0.0.1 and the listen port + 1000)', hostPort(true))
      .option('--advertise <host:port>', 'address peers should dial (default: the listen address)', hostPort(false))
      .option('--config <file>', 'JSON settings: protocol sizes, timers, limits, dial map')
      .option('--seed <n>', 'seed of the node\'s random choices (default: random, logged)', integer(-(2 ** 31), 2 ** 31 - 1))
      .addOption(new Option('--log-level <level>', 'log level (default: the config\'s, or info)').choices(LOG_LEVELS))
      .action(async (opts: NodeCommandOptions) => {
        try {
          await runNode(opts);
        } catch (e) {
          exitWithError('hyparview-harness node', e);
        }
      }),
  );
}

export function registerClusterCommand(program: Command): void {
  exitTwoOnUsage(
    program
      .command('cluster')
      .description('start a cluster of real node processes, show their views and check the properties live; `cluster down` removes leftover containers')
      .argument('[action]', '"down": remove every container and network of the project (Docker)')
      .option('--backend <name>', 'where the nodes run: local (processes on 127.0.0.1)')
      .option('--nodes <n>', 'number of nodes', integer(1, 256), 16)
      .option('--check', 'wait for the quiescent properties, print the verdict, tear down and exit 0/1/2')
      .option('--timeout <sec>', 'with --check: how long to wait for convergence', integer(1, 3600), 30)
      .option('--json', 'with --check: print the verdict as one JSON object')
      .option('--seed <n>', 'base seed; node i gets seed+i (default: random, printed)', integer(-(2 ** 31), 2 ** 31 - 1))
      .option('--config <file>', 'JSON node settings for every node (default: the local cluster\'s)')
      .option('--join <mode>', 'sequential (one after another) or parallel', 'sequential')
      .option('--log-dir <dir>', 'write node logs here, and keep them (default: a temp directory, removed at the end unless a --check failed or an error names it)')
      .action(async (action: string | undefined, opts: { backend?: string; nodes: number; check?: boolean; timeout: number; json?: boolean; seed?: number; config?: string; join: string; logDir?: string }) => {
        try {
          if (action === 'down') {
            const { clusterDown } = await import('../../clusters/chaos/commands.ts');
            return await clusterDown();
          }
          if (action !== undefined) throw new UsageError(`cluster: unknown action ${JSON.stringify(action)}; the only one is "down"`);
          if (opts.backend === undefined) throw new UsageError('--backend is required: local (for containers, use `chaos --backend docker`)');
          if (opts.backend !== 'local') throw new UsageError(`--backend: only "local" is available here, got ${JSON.stringify(opts.backend)} (containers: \`chaos --backend docker\`)`);
          if (opts.join !== 'sequential' && opts.join !== 'parallel') throw new UsageError(`--join: expected sequential or parallel, got ${JSON.stringify(opts.join)}`);
          const { runLocalCluster } = await import('../../clusters/local/run.ts');
          process.exitCode = await runLocalCluster({
            nodes: opts.nodes,
            check: opts.check === true,
            timeoutSeconds: opts.timeout,
            json: opts.json === true,
            seed: opts.seed ?? randomInt(2 ** 31),
            configFile: opts.config,
            join: opts.join,
            logDir: opts.logDir,
          });
        } catch (e) {
          exitWithError('hyparview-harness cluster', e);
        }
      }),
  );
}

/** Starts a node and its control API; returns once they listen (the process then lives on its own). */
export async function runNode(opts: NodeCommandOptions): Promise<void> {
  if (!isNodeId(opts.id)) throw new UsageError(`--id: expected 1-64 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(opts.id)}`);
  const config = loadNodeConfig(opts.config);
  const control = opts.control ?? { host: '127.0.0.1', port: opts.listen.port === 0 || opts.listen.port > 64535 ? 0 : opts.listen.port + 1000 };
  if (!isLoopback(control.host) && config.controlToken === undefined) {
    throw new ConfigError('controlToken', `required (config file or HYPARVIEW_CONTROL_TOKEN) when --control binds to ${control.host}, which is not loopback`);
  }
  const seed = opts.seed ?? randomInt(2 ** 31);
  const log = nodeLogger(opts.id, opts.logLevel ?? config.logLevel);
  const node = await HyParViewNode.start({
    id: opts.id,
    listen: opts.listen,
    advertise: opts.advertise && formatHostPort(opts.advertise.host, opts.advertise.port),
    config,
    seed,
    log,
  });
  let api: Awaited<ReturnType<typeof startControl>> | undefined;
  let shuttingDown = false;
  /** Stops the node and its API, then exits 0; after `graceMs` it exits whatever is left. */
  const shutdown = (why: string, graceMs = 2000): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    const forced = setTimeout(() => process.exit(0), graceMs);
    forced.unref();
    log.info({ why }, 'stopping');
    void Promise.all([node.stop(), api?.close()]).finally(() => process.exit(0));
  };
  try {
    api = await startControl(node, { listen: control, token: config.controlToken, log, onLeave: () => shutdown('POST /leave') });
  } catch (e) {
    await node.stop();
    throw e;
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
  // Spawned by a harness: die with it, however it dies.
  if (process.env.HYPARVIEW_EXIT_WITH_PARENT === '1') watchParent((how) => shutdown(`parent gone (${how})`, PARENT_GONE_GRACE_MS));
  // Whatever the level, harnesses read this line to learn the bound ports.
  log.child({}, { level: 'info' }).info({ listen: node.advertised, control: api.address, seed, activeSize: config.protocol.activeSize, passiveSize: config.protocol.passiveSize }, 'ready');
  if (opts.contact) void joinWithRetry(node, formatHostPort(opts.contact.host, opts.contact.port), log);
}

/** How long a node whose harness died may take to stop before it exits regardless. */
const PARENT_GONE_GRACE_MS = 500;
/** How often the parent's pid is compared with the one the node started under. */
const PARENT_POLL_MS = 250;

/**
 * The node's logger: JSON lines on stdout, written synchronously. pino's default stdout
 * writer is asynchronous and, at exit, flushes what is queued in a loop that retries EPIPE
 * forever: a node whose harness had died (its stdout a pipe no one reads) could hang in that
 * loop, holding its ports, out of reach of any timer. Written synchronously, nothing is queued
 * at exit; and a stdout that breaks means whoever read it is gone, so the node exits.
 */
export function nodeLogger(id: string, level: string): pino.Logger {
  const out = pino.destination({ dest: 1, sync: true });
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`hyparview-harness node: stdout: ${err.message}\n`);
    process.exit(err.code === 'EPIPE' ? 0 : EXIT_ERROR);
  });
  return pino({ level, base: { node: id, pid: process.pid } }, out);
}

/**
 * Calls `gone` once the process that started this one has died, by whichever of three signs
 * comes first: the end of stdin (the harness holds its writing end), the IPC channel closing
 * (when started with one), or the parent pid changing (re-parented: the only sign left when
 * some other process also holds our stdin open and there is no IPC channel).
 */
export function watchParent(gone: (how: string) => void): void {
  const parent = process.ppid;
  let fired = false;
  const poll = setInterval(() => {
    if (process.ppid !== parent) once('re-parented')();
  }, PARENT_POLL_MS);
  poll.unref();
  function once(how: string): () => void {
    return () => {
      if (fired) return;
      fired = true;
      clearInterval(poll);
      gone(how);
    };
  }
  process.stdin.on('end', once('stdin closed')).on('error', once('stdin error'));
  process.stdin.resume();
  if (process.channel) {
    process.on('disconnect', once('IPC channel closed'));
    process.channel.unref(); // the channel alone does not keep the node alive
  }
}

/** The contact may still be starting: retry a bounded number of times, then stay up alone. */
async function joinWithRetry(node: HyParViewNode, contact: string, log: pino.Logger): Promise<void> {
  for (let attempt = 1, delay = 200; attempt <= 10; attempt++, delay = Math.min(delay * 2, 3000)) {
    try {
      const id = await node.join(contact);
      log.info({ contact: id, attempt }, 'joined');
      return;
    } catch (e) {
      log.warn({ contact, attempt, err: (e as Error).message }, 'join failed');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  log.error({ contact }, 'giving up joining; waiting for others to join through us');
}
