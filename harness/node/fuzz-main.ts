// `npm run fuzz:node [-- options]`: the stateful peer fuzzer (peer-fuzz.ts) against n1 of a
// local 4-node cluster. Exit 0: no finding; 1: a finding (seed and replay command printed);
// 2: usage or infrastructure error. The seed: --seed, else FUZZ_SEED, else random (printed).
import { randomInt } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { EXIT_ERROR, EXIT_FAIL, EXIT_PASS, describeError } from './errors.ts';
import { FUZZ_NODE_CONFIG, INVARIANTS, type Invariant, replayCommand, runPeerFuzz } from './peer-fuzz.ts';

const integer = (min: number) => (value: string): number => {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > 2 ** 31 - 1) throw new InvalidArgumentError(`expected an integer from ${min} to ${2 ** 31 - 1}`);
  return n;
};

const invariants = (value: string): Invariant[] => {
  const list = value.split(',').filter(Boolean);
  for (const v of list) if (!INVARIANTS.includes(v as Invariant)) throw new InvalidArgumentError(`unknown invariant ${v}; known: ${INVARIANTS.join(', ')}`);
  return list as Invariant[];
};

const program = new Command('fuzz:node')
  .description('stateful adversarial peer fuzzer against one live node of a local cluster')
  .option('--seed <n>', 'fast-check seed (default: FUZZ_SEED, else random)', integer(-(2 ** 31)))
  .option('--runs <n>', 'cases at most', integer(1), 100_000)
  .option('--seconds <n>', 'time budget: no case starts after it', integer(1), 120)
  .option('--max-commands <n>', 'commands per case at most', integer(1), 12)
  .option('--keep-going', 'after a finding, ignore its invariants and go on with the next seed')
  .option('--ignore <list>', `invariants not to check (comma-separated: ${INVARIANTS.join(', ')})`, invariants, [])
  .option('--path <path>', "replay one case: fast-check's counterexample path")
  .option('--replay-path <path>', "with --path after --shrink: the commands' replayPath")
  .option('--shrink', 'shrink a counterexample (each attempt is a live case: slow)')
  .addOption(new Option('--healthz-ms <n>', 'GET /healthz must answer within this').argParser(integer(1)).default(500))
  .addOption(new Option('--rss-cap <MiB>', 'the target RSS cap').argParser(integer(1)).default(256))
  .addOption(new Option('--broadcast-cache <n>', `the nodes' broadcastCacheSize (fuzz config: ${FUZZ_NODE_CONFIG.broadcastCacheSize})`).argParser(integer(1)))
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT_PASS : EXIT_ERROR));

const o = program.parse().opts<{
  seed?: number;
  runs: number;
  seconds: number;
  maxCommands: number;
  keepGoing?: boolean;
  ignore: Invariant[];
  path?: string;
  replayPath?: string;
  shrink?: boolean;
  healthzMs: number;
  rssCap: number;
  broadcastCache?: number;
}>();
const seed = o.seed ?? (process.env.FUZZ_SEED !== undefined ? integer(-(2 ** 31))(process.env.FUZZ_SEED) : randomInt(2 ** 31));
const say = (line: string): void => void process.stdout.write(`${line}\n`);

try {
  const stats = await runPeerFuzz({
    seed,
    runs: o.path !== undefined ? 1 : o.runs,
    maxCommands: o.maxCommands,
    timeBudgetMs: o.seconds * 1000,
    log: say,
    keepGoing: o.keepGoing === true,
    ignore: o.ignore,
    path: o.path,
    replayPath: o.replayPath,
    shrink: o.shrink === true,
    healthzMs: o.healthzMs,
    rssCapMiB: o.rssCap,
    config: { ...FUZZ_NODE_CONFIG, ...(o.broadcastCache !== undefined && { broadcastCacheSize: o.broadcastCache }) },
  });
  say(
    `\n${stats.cases} cases, ${stats.commands} commands, ${stats.framesSent} frames, ${stats.handshakes} HELLOs answered in ${stats.seconds.toFixed(1)} s ` +
      `(${stats.casesPerSecond.toFixed(2)} cases/s); peak n1 RSS ${stats.peakRssMiB.toFixed(1)} MiB (cap ${stats.rssCapMiB}); seed ${seed}`,
  );
  for (const f of stats.findings) {
    say(`\nFINDING [${f.invariants.join(', ')}] after ${f.afterSeconds.toFixed(1)} s, case ${f.case}: ${f.message}`);
    say(`  counterexample: ${f.counterexample}`);
    say(`  replay: ${replayCommand(f, o.maxCommands, o.healthzMs)}`);
  }
  process.exit(stats.findings.length > 0 ? EXIT_FAIL : EXIT_PASS);
} catch (e) {
  process.stderr.write(`fuzz:node (seed ${seed}): ${describeError(e)}\n`);
  process.exit(EXIT_ERROR);
}
