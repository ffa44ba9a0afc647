// `hyparview-harness simulate` (one experiment) and `hyparview-harness paper` (the paper's whole
// evaluation, with a report). Exit 0 no property broke, 1 one did (HyParView snapshots),
// 2 usage or setup error, with one line naming the problem.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../models/hyparview/config.ts';
import type { MutantName } from '../../models/hyparview/mutants.ts';
import { EXIT_ERROR, EXIT_FAIL, EXIT_PASS, UsageError } from '../node/errors.ts';
import { flagOf, progressBar, wholeFlag } from '../flags.ts';
import { propertyCases, writeJUnit } from '../junit.ts';
import { ALWAYS, QUIESCENT } from '../../properties/invariants.ts';
import { type EngineOptions, Livelock, MAX_SHARDS, SHARDED_FROM } from './engine.ts';
import { renderPaperHtml } from './html.ts';
import { DEFAULT_PAPER, paperJobs, type PaperOptions, runJobs, jobSteps } from './paper.ts';
import { PROTOCOLS, type ProtocolName } from './protocols.ts';
import { formatTable, mean, summarise } from './report.ts';
import { DEFAULT_SIMULATE, simulate, simulateCommand, SimulateError, type SimulateOptions, type SimulateResult } from './simulate.ts';

/** A percentage flag as a share: "50" → 0.5. */
function percent(flag: string, value: string, max = 100): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= max) throw new UsageError(`${flag}: expected a percentage from 0 to below ${max}, got ${JSON.stringify(value)}`);
  return n / 100;
}

function listOf<T>(flag: string, value: string, parse: (item: string) => T): T[] {
  const items = value.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag}: expected a comma-separated list, got ${JSON.stringify(value)}`);
  return items.map(parse);
}

function protocolOf(flag: string, value: string): ProtocolName {
  if (!PROTOCOLS.includes(value as ProtocolName)) throw new UsageError(`${flag}: unknown protocol ${JSON.stringify(value)}; known: ${PROTOCOLS.join(', ')}`);
  return value as ProtocolName;
}

/** Runs a command body: usage and configuration errors become one line on stderr and exit 2. */
async function guarded(prog: string, body: () => Promise<number> | number): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    if (e instanceof UsageError || e instanceof SimulateError || e instanceof ConfigError || e instanceof RangeError) {
      const field = e instanceof SimulateError || e instanceof ConfigError ? flagOf(e.field) : '';
      process.stderr.write(`${prog}: ${field ? `${field}${e.message.slice(e.message.indexOf(':'))}` : e.message}\n`);
    } else {
      process.stderr.write(`${prog}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    }
    process.exitCode = EXIT_ERROR;
  }
}

interface SimulateFlags {
  protocol: string;
  nodes: string;
  fail: string;
  cycles: string;
  seed: string;
  messages: string;
  messagesPerCycle: string;
  healCycles: string;
  churn: string;
  bootstrap: string;
  probes: string;
  judge: boolean;
  latency: string;
  detect: string;
  shards?: string;
  fanout?: string;
  variant: string;
  mutant?: string;
  json?: boolean;
  junit?: string;
}

export function simulateOptions(f: SimulateFlags): SimulateOptions {
  const latency = /^(\d+)-(\d+)$/.exec(f.latency);
  if (!latency) throw new UsageError(`--latency: expected MIN-MAX milliseconds, e.g. 5-50, got ${JSON.stringify(f.latency)}`);
  if (f.detect !== 'reset' && f.detect !== 'on-send') throw new UsageError(`--detect: expected reset or on-send, got ${JSON.stringify(f.detect)}`);
  if (f.bootstrap !== 'sequential' && f.bootstrap !== 'at-once') throw new UsageError(`--bootstrap: expected sequential or at-once, got ${JSON.stringify(f.bootstrap)}`);
  const engine: Omit<EngineOptions, 'nodes' | 'seed'> = {
    ...DEFAULT_SIMULATE.engine,
    latencyMs: { min: Number(latency[1]), max: Number(latency[2]) },
    detect: f.detect,
    ...(f.shards === undefined ? {} : { shards: wholeFlag('--shards', f.shards, 1, MAX_SHARDS) }),
  };
  return {
    protocol: protocolOf('--protocol', f.protocol),
    nodes: wholeFlag('--nodes', f.nodes, 2, 2 ** 24),
    fail: percent('--fail', f.fail),
    cycles: wholeFlag('--cycles', f.cycles, 0, 100_000),
    seed: wholeFlag('--seed', f.seed, -(2 ** 31), 2 ** 31 - 1),
    messages: wholeFlag('--messages', f.messages, 0, 100_000),
    messagesPerCycle: wholeFlag('--messages-per-cycle', f.messagesPerCycle, 1, 10_000),
    healCycles: wholeFlag('--heal-cycles', f.healCycles, 0, 100_000),
    churn: percent('--churn', f.churn),
    bootstrap: f.bootstrap,
    probes: wholeFlag('--probes', f.probes, 0, 100_000),
    judge: f.judge,
    engine,
    protocols: {
      ...(f.fanout === undefined ? {} : { fanout: wholeFlag('--fanout', f.fanout, 1, 1000) }),
      ...(f.variant === 'reference' && f.mutant === undefined ? {} : { hyparview: { variant: f.variant, mutant: f.mutant as MutantName | undefined } }),
    },
  };
}

function printSimulation(r: SimulateResult): void {
  const o = r.options;
  const s = r.stable.overlay;
  const a = r.afterFailure;
  const p = (x: number) => `${(x * 100).toFixed(2)}%`;
  console.log(`hyparview-harness simulate: ${o.protocol}, ${o.nodes} nodes, seed ${o.seed}, ${o.cycles} cycles, ${p(o.fail)} failed${o.churn ? `, churn ${p(o.churn)} a cycle` : ''}`);
  console.log(`  stabilised overlay: clustering ${s.clustering.toFixed(5)}, average path ${s.averagePath.toFixed(2)}, full views ${p(s.fullViews)}, mean view ${s.meanView.toFixed(2)}`);
  console.log(`  broadcast, no fault: reliability ${p(mean(r.stable.probes.map((m) => m.reliability)))}, last hop ${mean(r.stable.probes.map((m) => m.lastHop)).toFixed(1)}, redundancy ${mean(r.stable.probes.map((m) => m.redundancy)).toFixed(2)}`);
  console.log(`  after the failure of ${a.failed} nodes: ${a.messages.length} messages, mean reliability ${p(mean(a.messages.map((m) => m.reliability)))}, first ${a.messages[0] ? p(a.messages[0].reliability) : '–'}`);
  console.log(`  per message: ${a.messages.slice(0, 20).map((m) => (m.reliability * 100).toFixed(1)).join(' ')}${a.messages.length > 20 ? ' …' : ''}`);
  console.log(`  healed: reliability after ${a.reliabilityHealedAfter ?? 'never (within the run)'} cycle(s), views after ${a.viewsHealedAfter ?? 'never (within the run)'} cycle(s); full views at the end ${p(a.perCycle.at(-1)?.fullViews ?? 0)}`);
  console.log(`  ${r.run.events} events, ${r.run.messagesSent} protocol messages`);
  for (const v of r.beyondRepair) console.log(`  beyond repair at cycle ${v.cycle} (the survivors' views form ${v.knowledgeComponents} separate groups): ${v.property}: ${v.message}`);
  for (const v of r.violations) console.log(`\nVIOLATED ${v.property} at cycle ${v.cycle}: ${v.message}`);
  console.log(r.violations.length === 0 ? '\nPASS: no property broke on the snapshots' : `\nFAIL: ${r.violations.length} violation(s) (seed ${o.seed})`);
  console.log(`reproduce: ${r.command}`);
}

/** A run that ended in a livelock is one failing case, 'run completed'. */
function writeSimulationJUnit(file: string, o: SimulateOptions, violations: SimulateResult['violations'], seconds: number): void {
  const judged = ['run completed', ...(o.judge && o.protocol === 'hyparview' ? [...ALWAYS, ...QUIESCENT].map((p) => p.name) : [])];
  const cases = propertyCases(judged, violations, (v) => `cycle ${v.cycle}, seed ${o.seed}\nreproduce: ${simulateCommand(o)}`);
  writeJUnit(file, { name: `hyparview-harness simulate (${o.protocol}, ${o.nodes} nodes, seed ${o.seed})`, className: `simulate.${o.protocol}`, seconds }, cases);
}

interface PaperFlags {
  out: string;
  nodes: string;
  seeds: string;
  protocols: string;
  failLevels: string;
  churn: string;
  cycles: string;
  workers: string;
  atOnce: boolean;
  json?: boolean;
  junit?: string;
}

export function paperOptions(f: PaperFlags): PaperOptions {
  return {
    nodes: wholeFlag('--nodes', f.nodes, 2, 2 ** 24),
    seeds: listOf('--seeds', f.seeds, (x) => wholeFlag('--seeds', x, -(2 ** 31), 2 ** 31 - 1)),
    protocols: [...new Set(listOf('--protocols', f.protocols, (x) => protocolOf('--protocols', x)))],
    failLevels: listOf('--fail-levels', f.failLevels, (x) => percent('--fail-levels', x)),
    churnRates: f.churn === 'none' ? [] : listOf('--churn', f.churn, (x) => percent('--churn', x)),
    cycles: wholeFlag('--cycles', f.cycles, 0, 100_000),
    atOnce: f.atOnce,
    workers: wholeFlag('--workers', f.workers, 1, 256),
  };
}

function paperCommand(o: PaperOptions, out: string): string {
  const d = DEFAULT_PAPER;
  const flags = [`--out ${out}`, `--nodes ${o.nodes}`, `--seeds ${o.seeds.join(',')}`];
  if (o.protocols.join() !== d.protocols.join()) flags.push(`--protocols ${o.protocols.join(',')}`);
  if (o.failLevels.join() !== d.failLevels.join()) flags.push(`--fail-levels ${o.failLevels.map((x) => +(x * 100).toFixed(6)).join(',')}`);
  if (o.churnRates.join() !== d.churnRates.join()) flags.push(`--churn ${o.churnRates.length ? o.churnRates.map((x) => +(x * 100).toFixed(6)).join(',') : 'none'}`);
  if (o.cycles !== d.cycles) flags.push(`--cycles ${o.cycles}`);
  if (!o.atOnce) flags.push('--no-at-once');
  return `npx hyparview-harness paper ${flags.join(' ')}`;
}

export function registerSimCommands(program: Command): void {
  const d = DEFAULT_SIMULATE;
  program
    .command('simulate')
    .description('simulate one experiment of the paper: build an overlay, stabilise it, fail a share of the nodes at once, follow the messages and the healing')
    .option('--protocol <name>', `overlay: ${PROTOCOLS.join(', ')}`, 'hyparview')
    .option('--nodes <n>', 'number of nodes', '10000')
    .option('--fail <percent>', 'share of the nodes that fail at once after the stabilisation', '0')
    .option('--cycles <n>', 'cycles before the failure', String(d.cycles))
    .option('--seed <n>', 'seed: the same seed gives the same result, bit for bit', '1')
    .option('--messages <n>', 'broadcasts followed after the failure', String(d.messages))
    .option('--messages-per-cycle <n>', 'broadcasts sent each cycle after the failure', String(d.messagesPerCycle))
    .option('--heal-cycles <n>', 'cycles followed after the failure', String(d.healCycles))
    .option('--churn <percent>', 'share of the live nodes replaced every cycle after the failure', '0')
    .option('--bootstrap <mode>', 'sequential (one join at a time, as in the paper) or at-once', d.bootstrap)
    .option('--probes <n>', 'broadcasts on the stabilised overlay, before the failure', String(d.probes))
    .option('--no-judge', 'do not judge the properties on the snapshots (HyParView)')
    .option('--latency <min-max>', 'one-way latency of each link, drawn once per link, in ms', `${d.engine.latencyMs.min}-${d.engine.latencyMs.max}`)
    .option('--detect <mode>', 'how TCP peers learn of a crash: reset (its connections break at once) or on-send (only a send fails)', d.engine.detect)
    .option('--shards <n>', `split the nodes into n shards, each on a thread of its own where it can (HyParView); the result depends on n (default: 2 from ${SHARDED_FROM} HyParView nodes, else 1)`)
    .option('--fanout <n>', 'gossip fanout of cyclon and scamp (default 4, as in the paper)')
    .option('--variant <name>', 'HyParView decisions: reference or paper', 'reference')
    .option('--mutant <name>', 'HyParView with one bug of the mutation suite injected')
    .option('--json', 'print one JSON object on stdout')
    .option('--junit <file>', 'also write JUnit XML: one test case per property judged, a failure with its message, cycle and the reproducing command')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action((flags: SimulateFlags) =>
      guarded('hyparview-harness simulate', () => {
        const o = simulateOptions(flags);
        const bar = progressBar(!flags.json, '{phase} |{bar}| {value}/{total}');
        let phase = '';
        const t0 = performance.now();
        let r: SimulateResult;
        try {
          r = simulate(o, (p) => {
            if (!bar) return;
            if (p.phase !== phase) {
              if (phase) bar.stop();
              phase = p.phase;
              bar.start(p.total, 0, { phase: p.phase.padEnd(9) });
            }
            bar.update(p.done);
          });
        } catch (e) {
          bar?.stop();
          if (!(e instanceof Livelock)) throw e;
          if (flags.junit) writeSimulationJUnit(flags.junit, o, [...e.violations, { property: 'run completed', message: e.message, cycle: e.cycle, atMs: e.atMs }], (performance.now() - t0) / 1000);
          for (const v of e.violations) process.stderr.write(`VIOLATED ${v.property} at cycle ${v.cycle}: ${v.message}\n`);
          process.stderr.write(`simulate: FAIL: ${e.message} (seed ${o.seed})\nreproduce: ${simulateCommand(o)}\n`);
          return EXIT_FAIL;
        }
        bar?.stop();
        if (flags.junit) writeSimulationJUnit(flags.junit, o, r.violations, (performance.now() - t0) / 1000);
        if (flags.json) console.log(JSON.stringify(r));
        else printSimulation(r);
        return r.violations.length === 0 ? EXIT_PASS : EXIT_FAIL;
      }),
    );

  program
    .command('paper')
    .description("rerun the paper's evaluation (HyParView, Cyclon, Scamp; simultaneous failures of 0-95%; healing; the overlay's graph; churn) and write results.json and report.html")
    .option('--out <dir>', 'where results.json and report.html go', 'report')
    .option('--nodes <n>', 'number of nodes', String(DEFAULT_PAPER.nodes))
    .option('--seeds <list>', 'seeds, one run per protocol each', DEFAULT_PAPER.seeds.join(','))
    .option('--protocols <list>', 'protocols to compare', DEFAULT_PAPER.protocols.join(','))
    .option('--fail-levels <list>', 'failure levels in percent', DEFAULT_PAPER.failLevels.map((x) => x * 100).join(','))
    .option('--churn <list>', "churn rates in percent a cycle, or 'none'", DEFAULT_PAPER.churnRates.map((x) => x * 100).join(','))
    .option('--cycles <n>', 'cycles before the failure', String(DEFAULT_PAPER.cycles))
    .option('--workers <n>', 'worker threads, one job each (by default one per core); the results do not depend on it', String(DEFAULT_PAPER.workers))
    .option('--no-at-once', 'skip the all-at-once bootstrap comparison')
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--junit <file>', 'also write JUnit XML: one test case per property judged on the HyParView runs, a failure naming the first run that broke it')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action((flags: PaperFlags) =>
      guarded('hyparview-harness paper', async () => {
        const o = paperOptions(flags);
        const out = resolve(flags.out);
        try {
          mkdirSync(out, { recursive: true });
        } catch (e) {
          throw new UsageError(`--out: cannot create ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        const jobs = paperJobs(o);
        const total = jobs.reduce((s, j) => s + jobSteps(j), 0);
        const bar = progressBar(!flags.json, 'paper |{bar}| {value}/{total} steps | {duration}s');
        bar?.start(total, 0);
        const done = new Array<number>(jobs.length).fill(0);
        const t0 = performance.now();
        const results = await runJobs(jobs, o.workers, (p) => {
          done[p.job] = p.step;
          bar?.update(done.reduce((a, b) => a + b, 0));
        });
        bar?.stop();
        const report = summarise(results, o, paperCommand(o, flags.out), (performance.now() - t0) / 1000, o.workers);
        writeFileSync(join(out, 'results.json'), `${JSON.stringify(report, null, 1)}\n`);
        writeFileSync(join(out, 'report.html'), renderPaperHtml(report));
        if (flags.junit) {
          const judged = o.protocols.includes('hyparview') ? [...ALWAYS, ...QUIESCENT].map((p) => p.name) : [];
          const details = (v: (typeof report.violations)[number]) => `${v.protocol}, seed ${v.seed}, ${(v.fail * 100).toFixed(0)}% failed${v.churn ? `, churn ${(v.churn * 100).toFixed(0)}%` : ''}, cycle ${v.cycle}\nreproduce: ${v.command}`;
          writeJUnit(flags.junit, { name: `hyparview-harness paper (${o.nodes} nodes)`, className: 'paper', seconds: report.seconds }, propertyCases(judged, report.violations, details));
        }
        if (flags.json) console.log(JSON.stringify({ ...report, jobs: undefined }));
        else {
          console.log(formatTable(report));
          console.log(`\n${report.seconds.toFixed(1)} s on ${o.workers} worker(s); wrote ${join(out, 'results.json')} and ${join(out, 'report.html')}`);
          console.log(`reproduce: ${report.command}`);
        }
        return report.violations.length === 0 ? EXIT_PASS : EXIT_FAIL;
      }),
    );
}
