// One command line over the typed APIs: check, replay, mutants (and the node commands).
// Exit codes: 0 every property holds, 1 a property was violated, 2 usage, configuration or
// infrastructure error, with a one-line message naming the problem.
import { availableParallelism } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, parseDecision } from '../models/hyparview/config.ts';
import { MUTANTS, type MutantName } from '../models/hyparview/mutants.ts';
import { check, type CheckResult, type Progress, RECOVERY_WALKS } from './checker/check.ts';
import { checkParallel } from './checker/parallel.ts';
import { LIVENESS_PROPERTIES } from './checker/liveness.ts';
import { runMutant, mutantNames, type MutantResult } from './checker/mutants.ts';
import { type CheckOptions, DEFAULT_OPTIONS, resolveOptions } from './checker/options.ts';
import { decodeToken, encodeToken, formatTrace, replayPath, scenarioOptions } from './checker/trace.ts';
import { symmetryUnsound } from './checker/symmetry.ts';
import { registerChaosCommand } from '../clusters/chaos/commands.ts';
import { registerNodeCommands } from './node/commands.ts';
import { registerSimCommands } from './sim/commands.ts';
import { registerExploreCommand } from './explore/server.ts';
import { UsageError } from './node/errors.ts';
import { flagOf, progressBar } from './flags.ts';
import { judgedProperties, propertyCases, writeJUnit } from './junit.ts';
import { mergeShards, parseShard, readShard, shardSeed, shardWalks } from './swarm/shard.ts';

const EXIT_PASS = 0;
const EXIT_FAIL = 1;
const EXIT_USAGE = 2;

const integer = (flag: string) => (value: string): number => {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}"`);
  return Number(value);
};
const seconds = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} takes a positive number of seconds, got "${value}"`);
  return n;
};

function decisionPair(value: string, previous: Record<string, string>): Record<string, string> {
  try {
    return parseDecision(value, previous);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.slice('--decide: '.length));
  }
}

/** The checker's progress line on stderr (see progressBar for when it shows). */
function progressLine(enabled: boolean): { update: (p: Progress) => void; stop: () => void } {
  const bar = progressBar(enabled, 'states {states} | unique {unique} | {rate} unique/s | depth {depth} | {elapsed}s');
  if (!bar) return { update: () => {}, stop: () => {} };
  bar.start(1, 0, { states: 0, unique: 0, rate: 0, depth: 0, elapsed: 0 });
  return {
    update: (p) => bar.update(0, { states: p.states, unique: p.unique, rate: Math.round(p.unique / p.seconds), depth: p.depth, elapsed: p.seconds.toFixed(0) }),
    stop: () => bar.stop(),
  };
}

/** Numeric `check` flags, in the order they are listed and reproduced. */
const NUMBER_FLAGS: ReadonlyArray<{ field: keyof CheckOptions; flag: string; help: string; parse?: (flag: string) => (v: string) => number }> = [
  { field: 'nodes', flag: 'nodes', help: 'cluster size (node 0 is the contact)' },
  { field: 'active', flag: 'active', help: 'active view size' },
  { field: 'passive', flag: 'passive', help: 'passive view size' },
  { field: 'arwl', flag: 'arwl', help: 'active random walk length' },
  { field: 'prwl', flag: 'prwl', help: 'passive random walk length' },
  { field: 'ka', flag: 'ka', help: 'active ids per shuffle' },
  { field: 'kp', flag: 'kp', help: 'passive ids per shuffle' },
  { field: 'shuffleWalk', flag: 'shuffle-walk', help: 'shuffle walk length' },
  { field: 'crashes', flag: 'crashes', help: 'node crashes, after the cluster has formed' },
  { field: 'linkFailures', flag: 'link-failures', help: 'connection failures, after the cluster has formed' },
  { field: 'earlyTimeouts', flag: 'early-timeouts', help: 'NEIGHBOR timeouts while messages are still in flight' },
  { field: 'cycles', flag: 'cycles', help: 'shuffle-timer firings per node' },
  { field: 'depth', flag: 'depth', help: 'longest trace explored' },
  { field: 'maxStates', flag: 'max-states', help: 'stop after this many unique states' },
  { field: 'timeLimit', flag: 'time-limit', help: 'stop after this many seconds', parse: seconds },
  { field: 'seed', flag: 'seed', help: 'seed for seeded choices and random walks' },
  { field: 'walks', flag: 'walks', help: 'random strategy: number of walks' },
];

/** The command line that reruns exactly this check. */
export function reproduceCommand(o: CheckOptions): string {
  const flags = NUMBER_FLAGS.map(({ field, flag }) => `--${flag} ${o[field]}`);
  if (o.sequential) flags.push('--sequential');
  if (!o.symmetry) flags.push('--no-symmetry');
  flags.push(`--strategy ${o.strategy}`, `--choices ${o.choices}`, `--variant ${o.variant}`);
  for (const [key, choice] of Object.entries(o.decisions ?? {})) flags.push(`--decide ${key}=${choice}`);
  if (o.mutant) flags.push(`--mutant ${o.mutant}`);
  if (o.liveness !== 'off') flags.push(`--liveness ${o.liveness}`);
  if (o.from.length > 0) flags.push(`--from ${encodeToken(o, o.from)}`);
  if (o.shard) flags.push(`--shard ${o.shard.index}/${o.shard.count}`);
  return `npx hyparview-harness check ${flags.join(' ')}`;
}

function printCheck(r: CheckResult, o: CheckOptions): void {
  const overrides = Object.entries(o.decisions ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  const mode = `${o.variant} variant${overrides ? ` (${overrides})` : ''}${o.mutant ? `, mutant ${o.mutant}` : ''}, ${o.nodes} nodes, ${r.strategy}${r.threads > 1 ? ` on ${r.threads} threads` : ''}, choices ${r.choices}, seed ${r.seed}`;
  console.log(`hyparview-harness check: ${mode}`);
  console.log(`  ${r.states} states, ${r.unique} unique, depth ${r.maxDepth}, ${r.seconds.toFixed(2)} s (${Math.round(r.statesPerSecond)} unique/s); stopped: ${r.stopReason}${r.depthBounded ? ` (depth bound ${o.depth} reached)` : ''}`);
  const reached = Object.entries(r.sometimes).map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`).join(', ');
  console.log(`  symmetry: ${r.symmetryOff === null ? `on: one state per renaming of nodes 1..${o.nodes - 1} (unique counts those classes)` : `off: ${r.symmetryOff}`}`);
  console.log(`  sometimes: ${reached}`);
  console.log(`  quiescent states checked: ${r.quiescentStates}`);
  if (o.liveness !== 'off') {
    const how = o.strategy === 'bfs' ? `graph ${(r.graphBytes / 2 ** 20).toFixed(1)} MiB` : `up to ${RECOVERY_WALKS} continuations with fresh cycle budgets tried from each quiescent state that broke one; ${r.recovered} such states recovered`;
    console.log(`  liveness: recoverable (some continuation restores P)${o.liveness === 'restored' ? ' and restored (every continuation does)' : ''}, for P in ${LIVENESS_PROPERTIES.join(', ')}; ${how}`);
  }
  if (o.from.length > 0) console.log(`  started after the ${o.from.length} steps of the --from token`);
  if (r.quiescentStates === 0) console.log('  WARNING: no quiescent state was reached, so symmetry and connectivity were never checked (a livelock, or bounds too tight)');
  for (const v of r.violations) {
    console.log(`\nVIOLATED ${v.property}: ${v.message}`);
    if (v.trace) {
      console.log(`trace (${v.steps} steps):\n${v.trace}`);
      console.log(`replay: npx hyparview-harness replay ${v.replay}`);
    }
  }
  const complete = r.stopReason === 'exhausted' && !r.depthBounded;
  if (r.verdict === 'pass') console.log(`\nPASS: every property holds ${complete ? 'in every reachable state' : `within the bound (${r.stopReason}${r.depthBounded ? `, depth ${o.depth}` : ''})`}.`);
  else console.log(`\nFAIL: ${r.violations.length} propert${r.violations.length === 1 ? 'y' : 'ies'} violated.`);
  console.log(`reproduce: ${reproduceCommand(o)}`);
}

/** `check --out DIR`: result.json, and trace-N-PROPERTY.txt per violation; an unwritable DIR is a UsageError naming it. */
function writeCheckOut(dir: string, result: CheckResult & { reproduce: string }): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'result.json'), `${JSON.stringify(result, null, 1)}\n`);
    result.violations.forEach((v, i) => {
      const replay = v.replay ? `replay: npx hyparview-harness replay ${v.replay}\nexplore: npx hyparview-harness explore ${v.replay}\n` : '';
      writeFileSync(join(dir, `trace-${i + 1}-${v.property.replace(/[^\w-]/g, '_')}.txt`), `VIOLATED ${v.property}: ${v.message}\n\n${v.trace}\n\n${replay}reproduce: ${result.reproduce}\n`);
    });
  } catch (e) {
    throw new UsageError(`--out: cannot write to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function printMutants(results: readonly MutantResult[]): void {
  for (const r of results) {
    const what = r.caught ? `caught by ${r.property} in ${r.steps} steps` : 'MISSED';
    console.log(`${r.caught ? 'ok  ' : 'MISS'} ${r.mutant.padEnd(28)} ${what} (${r.unique} states, ${r.seconds.toFixed(2)} s)`);
  }
  const caught = results.filter((r) => r.caught).length;
  console.log(`\n${caught} of ${results.length} mutants caught`);
}

export function buildProgram(): Command {
  const program = new Command('hyparview-harness')
    .description('Model checker, simulator and cluster harness for the HyParView membership protocol')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const checkCommand = program.command('check').description('explore every interleaving of a small cluster and check the properties');
  for (const { field, flag, help, parse = integer } of NUMBER_FLAGS) {
    checkCommand.option(`--${flag} <n>`, help, parse(`--${flag}`), DEFAULT_OPTIONS[field] as number);
  }
  checkCommand
    .option('--sequential', "joins and shuffle timers only while nothing is in flight (the paper's sequential joins; a shuffle period far longer than any latency): a smaller space to exhaust")
    .option('--symmetry', 'keep one state per renaming of nodes 1..n-1 (the default where it is sound; an error where it is not: see the README)')
    .option('--no-symmetry', 'keep every renaming of nodes 1..n-1 apart (by default BFS and DFS keep one of each, where that is sound: see the README)')
    .addOption(new Option('--strategy <s>', 'search strategy').choices(['bfs', 'dfs', 'random']).default(DEFAULT_OPTIONS.strategy))
    .addOption(new Option('--choices <mode>', 'random choices: branch on each alternative, or fix them by seed').choices(['enumerate', 'seeded']).default(DEFAULT_OPTIONS.choices))
    .addOption(new Option('--variant <v>', 'protocol decisions').choices(['reference', 'paper']).default(DEFAULT_OPTIONS.variant))
    .option('--decide <key=value...>', 'override single protocol decisions, e.g. forwardJoinEnd=silent', decisionPair, {})
    .addOption(new Option('--mutant <name>', 'inject a known bug').choices(Object.keys(MUTANTS)))
    .option('--expect <guards...>', 'sometimes guards that must be reached (e.g. eviction neighbor-rejected)')
    .option('--keep-going', 'after a violation, keep searching for the first trace of every other property')
    .addOption(new Option('--liveness [notion]', 'judge connected, no-isolated-node, active-symmetric and no-dead-neighbours as liveness, not in every quiescent state: recoverable (some continuation restores each; BFS over the explored graph, random walks by continuations tried from each broken state), or restored (BFS: that, and every continuation does)').choices(['recoverable', 'restored']).preset('recoverable'))
    .option('--from <token>', "start where a replay token's trace ends, in the token's scenario (its options replace the scenario flags)")
    .option('--json', 'print one JSON object on stdout')
    .option('--junit <file>', 'also write JUnit XML: one test case per property, a failure with its message, trace and replay command')
    .option('--out <dir>', 'also write result.json (the --json object) and, for each violation, its trace to DIR (explore DIR opens the first)')
    .option('--shard <K/N>', 'run shard K of N: random walks get their own seed (derived from --seed) and share of --walks; DFS searches every N-th subtree below the first level wide enough; merge combines the shards')
    .option('--workers <n>', 'BFS threads (default: one per core for BFS without --liveness, else 1); the counts and verdicts do not depend on it', integer('--workers'))
    .action(async (flags) => {
      const { json, keepGoing, expect, decide, from, liveness, junit, out, shard: shardFlag, workers, ...rest } = flags;
      const shard = shardFlag === undefined ? undefined : parseShard(shardFlag);
      if (shard && (rest.strategy === 'bfs' || from !== undefined)) throw new UsageError('--shard: splits random walks or DFS; use it with --strategy random or dfs (and without --from)');
      // Random walks split by seed and count; DFS splits the search itself (check.ts).
      if (shard && rest.strategy === 'random') Object.assign(rest, { seed: shardSeed(rest.seed, shard.index), walks: shardWalks(rest.walks, shard) });
      if (shard && rest.strategy === 'dfs') Object.assign(rest, { shard });
      const start = from === undefined ? undefined : decodeToken(from);
      const o = resolveOptions({
        ...rest,
        expect: expect ?? [],
        decisions: Object.keys(decide).length > 0 ? decide : undefined,
        liveness: liveness ?? 'off',
        workers: workers ?? (rest.strategy === 'bfs' && liveness === undefined ? availableParallelism() : 1),
        ...(start ? { ...scenarioOptions(start.options), from: start.path } : {}),
      });
      // Asked for by name, symmetry must apply: a run that quietly searched the plain space instead would mislead.
      const unsound = flags.symmetry === true ? symmetryUnsound(o) : null;
      if (unsound) throw new UsageError(`--symmetry: not sound for this scenario: ${unsound}`);
      const progress = progressLine(!json);
      const hooks = { onProgress: progress.update, keepGoing: Boolean(keepGoing) };
      const result = o.workers > 1 ? await checkParallel(o, hooks) : check(o, hooks);
      progress.stop();
      if (junit) {
        const details = (v: (typeof result.violations)[number]) => `${v.trace}${v.replay ? `\nreplay: npx hyparview-harness replay ${v.replay}` : ''}\nreproduce: ${reproduceCommand(o)}`;
        writeJUnit(junit, { name: `hyparview-harness check (${o.variant}, ${o.nodes} nodes, ${result.strategy})`, className: `check.${o.variant}.nodes${o.nodes}`, seconds: result.seconds }, propertyCases(judgedProperties(), result.violations, details));
      }
      const shardInfo = shard ? { shard: { ...shard, baseSeed: flags.seed as number } } : {};
      if (out) writeCheckOut(out, { ...result, ...shardInfo, reproduce: reproduceCommand(o) });
      if (json) console.log(JSON.stringify({ ...result, ...shardInfo, reproduce: reproduceCommand(o) }));
      else printCheck(result, o);
      process.exitCode = result.verdict === 'pass' ? EXIT_PASS : EXIT_FAIL;
    });

  program
    .command('replay')
    .description('re-run the exact trace of a replay token, step by step')
    .argument('<token>', 'the token printed after a violation')
    .option('--json', 'print one JSON object on stdout')
    .action((token: string, flags) => {
      const { options, path } = decodeToken(token);
      const trace = replayPath(options, path);
      const violated = trace.failures.length > 0;
      if (flags.json) {
        console.log(JSON.stringify({ verdict: violated ? 'fail' : 'pass', steps: trace.steps, violations: trace.failures, replay: encodeToken(options, path) }));
      } else {
        console.log(`replaying ${path.length} steps (${options.variant} variant${options.mutant ? `, mutant ${options.mutant}` : ''}, ${options.nodes} nodes, choices ${options.choices}, seed ${options.seed})`);
        console.log(formatTrace(trace));
        for (const f of trace.failures) console.log(`\nVIOLATED ${f.property}: ${f.message}`);
        if (!violated) console.log('\nno property is violated at the end of this trace');
      }
      process.exitCode = violated ? EXIT_FAIL : EXIT_PASS;
    });

  program
    .command('mutants')
    .description('run the checker against each injected bug and report which are caught')
    .addOption(new Option('--only <names...>', 'run only these mutants').choices(Object.keys(MUTANTS)))
    .option('--json', 'print one JSON object on stdout')
    .option('--junit <file>', 'also write JUnit XML: one test case per mutant, a failure for each one missed')
    .action((flags) => {
      const names: MutantName[] = flags.only ?? mutantNames();
      const results = names.map((m) => runMutant(m));
      const caught = results.filter((r) => r.caught).length;
      if (flags.junit) {
        writeJUnit(flags.junit, { name: 'hyparview-harness mutants', className: 'mutants', seconds: results.reduce((t, r) => t + r.seconds, 0) }, results.map((r) => (r.caught ? { name: r.mutant } : { name: r.mutant, failure: { message: `not caught: ${r.description}`, details: `scenario ${r.scenario}, ${r.unique} states explored, no property broke` } })));
      }
      if (flags.json) console.log(JSON.stringify({ total: results.length, caught, results }));
      else printMutants(results);
      process.exitCode = caught === results.length ? EXIT_PASS : EXIT_FAIL;
    });

  program
    .command('merge')
    .description('combine the JSON results of check shards (--shard K/N) into one verdict with every distinct violation')
    .argument('<files...>', 'outputs of `check --json`, one per shard')
    .option('--json', 'print one JSON object on stdout')
    .option('--junit <file>', 'also write JUnit XML: one test case per property, a failure for each one any shard broke')
    .action((files: string[], flags) => {
      const merged = mergeShards(files.map((file) => ({ file, result: readShard(file) })));
      if (flags.junit) writeJUnit(flags.junit, { name: `hyparview-harness merge (${merged.shards} shards)`, className: 'merge', seconds: 0 }, propertyCases(judgedProperties(), merged.violations, (v) => `found by shard ${v.shard}\n${v.trace}\nreplay: npx hyparview-harness replay ${v.replay}\nreproduce: ${v.reproduce}`));
      if (flags.json) console.log(JSON.stringify(merged));
      else {
        console.log(`hyparview-harness merge: ${merged.shards} shard(s), ${merged.unique} unique states in all`);
        for (const v of merged.violations) console.log(`\nVIOLATED ${v.property} (shard ${v.shard}): ${v.message}\nreplay: npx hyparview-harness replay ${v.replay}`);
        if (merged.missing.length > 0) console.log(`\nINCOMPLETE: shard(s) ${merged.missing.join(', ')} missing`);
        console.log(merged.verdict === 'pass' ? '\nPASS: no shard found a violation.' : `\nFAIL: ${merged.violations.length} distinct violation(s).`);
      }
      process.exitCode = merged.violations.length > 0 ? EXIT_FAIL : merged.missing.length > 0 ? EXIT_USAGE : EXIT_PASS;
    });

  registerNodeCommands(program);
  registerChaosCommand(program);
  registerSimCommands(program);
  registerExploreCommand(program);
  return program;
}

/** Runs the CLI; usage and configuration errors become one line on stderr and exit code 2. */
export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`| head`) ends the output quietly instead of with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const program = buildProgram();
  // Errors name the command they came from, as `node`, `cluster`, `chaos`, `simulate` and `paper` do.
  let prog = program.name();
  program.hook('preAction', (_, command) => {
    prog = `${program.name()} ${command.name()}`;
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message; help and version are not errors.
      process.exitCode = err.exitCode === 0 ? EXIT_PASS : EXIT_USAGE;
      return;
    }
    if (err instanceof ConfigError) {
      console.error(`${prog}: ${flagOf(err.field)}${err.message.slice(err.field.length)}`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    console.error(`${prog}: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = EXIT_USAGE;
  }
}
