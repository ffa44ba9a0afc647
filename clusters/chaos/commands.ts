// `hyparview-harness chaos`: a seeded chaos run against a Docker or local cluster.
// Exit 0 every property held, 1 one was violated, 2 usage, setup or infrastructure error.
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { wholeFlag } from '../../harness/flags.ts';
import { propertyCases, writeJUnit } from '../../harness/junit.ts';
import { ALL_PROPERTIES } from '../../properties/invariants.ts';
import { parseDecision } from '../../models/hyparview/config.ts';
import { MUTANTS, type MutantName } from '../../models/hyparview/mutants.ts';
import { makeNodeConfig, readNodeConfigInput } from '../../harness/node/config.ts';
import { EXIT_PASS, exitWithError, UsageError } from '../../harness/node/errors.ts';
import { FAULT_KINDS, minimumDuration, PARTITION_SHAPES, type PartitionShape } from '../nemesis/schedule.ts';
import type { FaultKind } from './report.ts';
import { type ChaosOptions, chaosCommand, describeSchedule, nodeConfigFor, runChaos, scheduleFor } from './run.ts';

interface ChaosFlags {
  backend: string;
  nodes: string;
  duration: string;
  faults: string;
  seed?: string;
  out?: string;
  hold: string;
  bound?: string;
  sampleMs: string;
  variant: string;
  decide: Record<string, string>;
  mutant?: string;
  shapes?: string;
  config?: string;
  json?: boolean;
  junit?: string;
  failFast?: boolean;
  dryRun?: boolean;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: expected a positive number of seconds, got ${JSON.stringify(value)}`);
  return n;
}

function list<T extends string>(flag: string, value: string, known: readonly T[]): T[] {
  const items = value.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag}: expected a comma-separated list of ${known.join(', ')}`);
  for (const x of items) if (!known.includes(x as T)) throw new UsageError(`${flag}: unknown ${JSON.stringify(x)}; known: ${known.join(', ')}`);
  return items as T[];
}


/** The flags as validated options; every mistake is a UsageError naming its flag. */
export function chaosOptions(f: ChaosFlags): ChaosOptions {
  if (f.backend !== 'docker' && f.backend !== 'local') throw new UsageError(`--backend: expected docker or local, got ${JSON.stringify(f.backend)}`);
  if (f.variant !== 'reference' && f.variant !== 'paper') throw new UsageError(`--variant: expected reference or paper, got ${JSON.stringify(f.variant)}`);
  if (f.mutant !== undefined && !Object.hasOwn(MUTANTS, f.mutant)) throw new UsageError(`--mutant: unknown ${JSON.stringify(f.mutant)}; known: ${Object.keys(MUTANTS).join(', ')}`);
  const hold = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(f.hold);
  if (!hold) throw new UsageError(`--hold: expected SECONDS or MIN-MAX seconds, got ${JSON.stringify(f.hold)}`);
  const [holdMin, holdMax] = [Number(hold[1]), Number(hold[2] ?? hold[1])];
  if (holdMin <= 0 || holdMax < holdMin) throw new UsageError(`--hold: expected 0 < MIN <= MAX, got ${JSON.stringify(f.hold)}`);
  const seed = f.seed === undefined ? randomInt(2 ** 31) : wholeFlag('--seed', f.seed, -(2 ** 31), 2 ** 31 - 1);
  const backend = f.backend;
  const o: ChaosOptions = {
    backend,
    nodes: wholeFlag('--nodes', f.nodes, 2, 64),
    durationSeconds: positive('--duration', f.duration),
    faults: list<FaultKind>('--faults', f.faults, FAULT_KINDS),
    seed,
    out: f.out ?? `reports/chaos-${backend}-${seed}`,
    hold: [holdMin, holdMax],
    boundSeconds: f.bound === undefined ? undefined : positive('--bound', f.bound),
    sampleMs: wholeFlag('--sample-ms', f.sampleMs, 100, 60_000),
    variant: f.variant,
    decisions: f.decide,
    mutant: f.mutant as MutantName | undefined,
    shapes: f.shapes === undefined ? undefined : list<PartitionShape>('--shapes', f.shapes, PARTITION_SHAPES),
    config: f.config === undefined ? undefined : readNodeConfigInput(f.config),
    configFile: f.config,
    json: f.json === true,
    failFast: f.failFast === true,
  };
  const { boundSeconds } = scheduleFor(o);
  const shortest = minimumDuration({ hold: o.hold, boundSeconds });
  if (o.durationSeconds < shortest) throw new UsageError(`--duration: ${o.durationSeconds} s cannot hold one phase (at least ${shortest} s with --hold ${f.hold} and a ${boundSeconds} s recovery bound)`);
  makeNodeConfig(nodeConfigFor(o));
  return o;
}

export function registerChaosCommand(program: Command): void {
  program
    .command('chaos')
    .description('run a seeded schedule of network faults, crashes and pauses against a real cluster, judge it live, write a report')
    .option('--backend <name>', 'docker (containers, Toxiproxy container) or local (processes, local Toxiproxy)', 'docker')
    .option('--nodes <n>', 'cluster size', '8')
    .option('--duration <sec>', 'length of the schedule in seconds (the run adds start-up and the last recovery)', '120')
    .option('--faults <list>', `comma-separated fault kinds: ${FAULT_KINDS.join(',')}`, FAULT_KINDS.join(','))
    .option('--seed <n>', 'seed of the schedule and of the nodes (default: random, printed)')
    .option('--out <dir>', 'where report.json, report.html and schedule.json go (default reports/chaos-BACKEND-SEED)')
    .option('--hold <sec>', 'how long each fault lasts: SECONDS or MIN-MAX', '3-8')
    .option('--bound <sec>', 'recovery bound after each heal (default: 3 shuffle periods + keepalive deadline)')
    .option('--sample-ms <ms>', 'snapshot interval', '500')
    .option('--variant <name>', 'reference or paper', 'reference')
    .option('--decide <key=value...>', 'override single protocol decisions, e.g. failedCandidate=drop', parseDecision, {})
    .option('--mutant <name>', 'run the nodes with one bug of the mutation suite injected')
    .option('--shapes <list>', `partition shapes to draw from: ${PARTITION_SHAPES.join(',')}`)
    .option('--config <file>', 'JSON node settings (default: active 4, passive 8, 1 s cycles, 0.5 s keepalive)')
    .option('--json', 'print the report summary as one JSON object on stdout')
    .option('--junit <file>', 'also write JUnit XML: one test case per property judged live, a failure with its time, phase and the rerun command')
    .option('--fail-fast', 'stop the schedule at the first violation')
    .option('--dry-run', 'print the schedule and exit, without starting anything')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (flags: ChaosFlags) => {
      try {
        const o = chaosOptions(flags);
        if (flags.dryRun) {
          const { schedule, boundSeconds } = scheduleFor(o);
          if (o.json) process.stdout.write(`${JSON.stringify({ seed: o.seed, boundSeconds, schedule })}\n`);
          else process.stdout.write(`seed ${o.seed}, recovery bound ${boundSeconds} s\n${describeSchedule(schedule)}\nrun: ${chaosCommand(o)}\n`);
          process.exitCode = EXIT_PASS;
          return;
        }
        // On a terminal a status line follows every snapshot; event lines clear it first.
        const live = process.stderr.isTTY === true && !process.env.CI;
        const clear = live ? '\r\x1b[K' : '';
        const { report, exitCode } = await runChaos(
          o,
          (line) => process.stderr.write(`${clear}${line}\n`),
          live ? (line) => process.stderr.write(`${clear}${line.slice(0, (process.stderr.columns ?? 120) - 1)}`) : undefined,
        );
        if (live) process.stderr.write(clear);
        if (flags.junit) {
          const judged = [...ALL_PROPERTIES.map((p) => p.name), 'run completed'];
          const broken = report.error === undefined ? report.violations : [...report.violations, { t: 0, phase: null, property: 'run completed', message: report.error }];
          const details = (v: (typeof broken)[number]) => `t=${v.t.toFixed(1)} s${v.phase === null ? '' : `, phase ${v.phase}`}, seed ${report.seed}\nrerun: ${report.command}`;
          writeJUnit(flags.junit, { name: `hyparview-harness chaos (${report.backend}, ${report.nodes} nodes, seed ${report.seed})`, className: `chaos.${report.backend}`, seconds: report.durationSeconds }, propertyCases(judged, broken, details));
        }
        const summary = { verdict: report.verdict, seed: report.seed, phases: report.schedule.length, violations: report.violations, checks: report.checks.length, error: report.error ?? null, report: `${o.out}/report.html`, command: report.command };
        if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else {
          const restored = report.checks.filter((c) => c.restoredAt !== null).length;
          const head = report.verdict === 'pass' ? 'PASS' : report.verdict === 'fail' ? 'FAIL' : 'ERROR';
          process.stdout.write(`${head}: ${report.schedule.length} phases, ${restored}/${report.checks.length} restored within ${report.boundSeconds} s, ${report.violations.length} violation(s)${report.error ? `: ${report.error}` : ''}\n`);
          for (const v of report.violations.slice(0, 20)) process.stdout.write(`  t=${v.t.toFixed(1)} s ${v.property}: ${v.message}\n`);
          process.stdout.write(`report: ${o.out}/report.html\nrerun: ${report.command}\n`);
        }
        process.exitCode = exitCode;
      } catch (e) {
        exitWithError('hyparview-harness chaos', e);
      }
    });
}

/** `cluster down`: removes every container and network of the project left behind. */
export async function clusterDown(): Promise<void> {
  const { requireDocker } = await import('../images/images.ts');
  await requireDocker();
  const { removeProjectResources } = await import('../docker/cluster.ts');
  const removed = await removeProjectResources();
  process.stdout.write(`removed ${removed.containers.length} container(s)${removed.containers.length ? ` (${removed.containers.join(' ')})` : ''} and ${removed.networks.length} network(s)${removed.networks.length ? ` (${removed.networks.join(' ')})` : ''}\n`);
}
