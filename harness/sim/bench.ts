// npm run bench:sim [-- --part sweep|100k|1m] [--cycles N] [--shards N]
// The simulator's speed and memory targets (issue: paper-scale simulator):
//   sweep  the paper sweep (3 protocols × 11 failure levels × 3 seeds × 10,000 nodes; `paper` adds churn and
//          the all-at-once bootstrap by default), target ≤ 3 min;
//   100k   a 100,000-node HyParView overlay built, stabilised for 50 cycles, one broadcast flooded, target ≤ 2 min;
//   1m     a 1,000,000-node HyParView run (built, --cycles cycles, one broadcast): time and peak memory, target ≤ 16 GiB.
// The overlays run on the engine's default shards (two threads from 30,000 nodes) unless --shards says otherwise.
// Without --part each part runs in its own process, so each peak RSS is its own.
// --against DIR [--nodes N] [--cycles C]: this checkout's engine against the one in DIR (a git
//   worktree of another commit, node_modules linked), both in this process, one cycle each in turn:
//   this VM's speed drifts 1.5x within an hour, and only versions interleaved see the same machine.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { execa } from 'execa';
import { DEFAULT_ENGINE, MAX_SHARDS, Simulation } from './engine.ts';
import { DEFAULT_PAPER, paperJobs, runJobs } from './paper.ts';
import { makeProtocol } from './protocols.ts';

const PARTS = ['sweep', '100k', '1m'] as const;
type Part = (typeof PARTS)[number];

interface Row {
  readonly part: Part;
  readonly what: string;
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly events: number;
  readonly target: string;
  readonly met: boolean;
}

const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

/** The sweep the target names: the paper's failure levels only (no churn, no all-at-once bootstrap). */
const SWEEP = { ...DEFAULT_PAPER, churnRates: [], atOnce: false };

async function sweep(): Promise<Row> {
  const t0 = performance.now();
  const results = await runJobs(paperJobs(SWEEP), SWEEP.workers);
  const seconds = (performance.now() - t0) / 1000;
  const jobs = results.map((r) => `${r.protocol}/${r.seed}/${r.bootstrap} ${r.seconds.toFixed(0)} s`).join(', ');
  console.error(`jobs: ${jobs}`);
  return {
    part: 'sweep',
    what: `paper sweep: ${SWEEP.protocols.length} protocols × ${SWEEP.failLevels.length} failure levels × ${SWEEP.seeds.length} seeds × ${SWEEP.nodes} nodes, ${SWEEP.workers} workers`,
    seconds,
    peakRssMiB: peakRssMiB(),
    events: results.reduce((s, r) => s + r.events, 0),
    target: '≤ 180 s',
    met: seconds <= 180,
  };
}

function overlay(part: Part, nodes: number, cycles: number, shards: number | undefined, target: string, within: (seconds: number, mib: number) => boolean): Row {
  const t0 = performance.now();
  const sim = new Simulation(makeProtocol('hyparview'), { ...DEFAULT_ENGINE, nodes, seed: 1, shards });
  sim.bootstrap('sequential', (joined) => {
    if (joined % 102_400 === 0) console.error(`  ${joined} joined, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  });
  const built = (performance.now() - t0) / 1000;
  sim.runCycles(cycles, (c) => {
    if (c % 5 === 0) console.error(`  cycle ${c}/${cycles}, ${((performance.now() - t0) / 1000).toFixed(0)} s, ${sim.eventsProcessed} events`);
  });
  const rec = sim.broadcast();
  sim.drain();
  const seconds = (performance.now() - t0) / 1000;
  const mib = peakRssMiB();
  return {
    part,
    what: `${nodes} HyParView nodes on ${sim.shardCount} shard(s): built in ${built.toFixed(1)} s, ${cycles} cycles, one broadcast reached ${rec.delivered}/${rec.live}`,
    seconds,
    peakRssMiB: mib,
    events: sim.eventsProcessed,
    target,
    met: within(seconds, mib),
  };
}

async function runPart(part: Part, cycles: number | undefined, shards: number | undefined): Promise<Row> {
  switch (part) {
    case 'sweep':
      return sweep();
    case '100k':
      return overlay(part, 100_000, cycles ?? 50, shards, '≤ 120 s', (s) => s <= 120);
    case '1m':
      return overlay(part, 1_000_000, cycles ?? 5, shards, 'completes within 16 GiB', (_, mib) => mib <= 16 * 1024);
  }
}

/** Builds a HyParView overlay of `nodes` with each engine, then runs `cycles` cycles on each in turn; prints the times and their ratio. */
async function against(dir: string, nodes: number, cycles: number, shards: number | undefined): Promise<void> {
  const dirs = [new URL('../..', import.meta.url).pathname, dir];
  const sims = [];
  for (const d of dirs) {
    const engine = await import(join(d, 'harness/sim/engine.ts'));
    const { makeProtocol } = await import(join(d, 'harness/sim/protocols.ts'));
    // An engine from before shards ignores the option.
    const sim = new engine.Simulation(makeProtocol('hyparview'), { ...engine.DEFAULT_ENGINE, nodes, seed: 1, shards });
    const t0 = performance.now();
    sim.bootstrap('sequential');
    console.log(`${d}: built ${nodes} nodes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    sims.push(sim);
  }
  const seconds = [0, 0];
  for (let c = 0; c < cycles; c++) {
    // Alternate who goes first, so neither always runs on the caches the other left.
    for (const i of c % 2 === 0 ? [0, 1] : [1, 0]) {
      const t0 = performance.now();
      sims[i]!.runCycles(1);
      seconds[i]! += (performance.now() - t0) / 1000;
    }
  }
  for (const [i, d] of dirs.entries()) console.log(`${d}: ${cycles} cycles in ${seconds[i]!.toFixed(1)} s, ${sims[i]!.eventsProcessed} events in all`);
  if (sims[0]!.eventsProcessed !== sims[1]!.eventsProcessed) console.log('the two runs differ: their draws are not the same');
  console.log(`this checkout's cycles take ${(seconds[0]! / seconds[1]!).toFixed(3)} of the other's time`);
}

async function main(argv: string[]): Promise<number> {
  const at = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const part = at('--part');
  const cycles = at('--cycles') === undefined ? undefined : Number(at('--cycles'));
  if (part !== undefined && !PARTS.includes(part as Part)) {
    console.error(`bench:sim: --part: expected one of ${PARTS.join(', ')}, got ${JSON.stringify(part)}`);
    return 2;
  }
  if (cycles !== undefined && !(Number.isInteger(cycles) && cycles >= 0)) {
    console.error(`bench:sim: --cycles: expected a whole number, got ${JSON.stringify(at('--cycles'))}`);
    return 2;
  }
  const shards = at('--shards') === undefined ? undefined : Number(at('--shards'));
  if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1 && shards <= MAX_SHARDS)) {
    console.error(`bench:sim: --shards: expected a whole number from 1 to ${MAX_SHARDS}, got ${JSON.stringify(at('--shards'))}`);
    return 2;
  }
  const other = at('--against');
  if (other !== undefined) {
    const nodes = Number(at('--nodes') ?? 100_000);
    if (!existsSync(join(other, 'harness/sim/engine.ts'))) {
      console.error(`bench:sim: --against: ${JSON.stringify(other)} is not a checkout of this project (no harness/sim/engine.ts)`);
      return 2;
    }
    if (!(Number.isInteger(nodes) && nodes >= 2)) {
      console.error(`bench:sim: --nodes: expected a whole number from 2, got ${JSON.stringify(at('--nodes'))}`);
      return 2;
    }
    await against(other, nodes, cycles ?? 12, shards);
    return 0;
  }
  if (part) {
    const row = await runPart(part as Part, cycles, shards);
    console.log(JSON.stringify(row));
    return 0;
  }
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  const rows: Row[] = [];
  for (const p of PARTS) {
    const child = await execa(process.execPath, ['--import', 'tsx', '--max-old-space-size=16384', new URL(import.meta.url).pathname, '--part', p, ...(cycles !== undefined && p !== 'sweep' ? ['--cycles', String(cycles)] : []), ...(shards === undefined ? [] : ['--shards', String(shards)])], { stderr: 'inherit', reject: false });
    if (child.exitCode !== 0) {
      console.error(`bench:sim: part ${p} failed with exit code ${child.exitCode}`);
      return 1;
    }
    rows.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Row);
    const r = rows.at(-1)!;
    console.log(`| ${r.what} | ${r.seconds.toFixed(1)} s | ${r.peakRssMiB.toFixed(0)} MiB | ${(r.events / r.seconds / 1000).toFixed(0)}k events/s | ${r.target}: ${r.met ? 'met' : 'missed'} |`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:sim: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
