// `npm run bench:checker`: the fixed scenario of BENCHMARKS.md, to exhaustion or 5M unique states:
// BFS on one thread, BFS on every core (--workers), and DFS, each in a process of its own (so
// each peak RSS is its own); `-- --part bfs|parallel|dfs` runs one.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

const PARTS = ['bfs', 'parallel', 'dfs'] as const;
const flag = process.argv.indexOf('--part');
const part = flag > 0 ? process.argv[flag + 1] : undefined;
if (part !== undefined && !(PARTS as readonly string[]).includes(part)) {
  console.error(`bench:checker: --part must be one of ${PARTS.join(', ')}, got ${part}`);
  process.exit(2);
}
if (part === undefined) {
  for (const p of PARTS) execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, '--part', p], { stdio: 'inherit' });
  process.exit(0);
}

const { check } = await import('./check.ts');
const { checkParallel } = await import('./parallel.ts');

const maxStates = Number(process.env.BENCH_MAX_STATES ?? 5_000_000);
const scenario = {
  nodes: 4,
  active: 2,
  passive: 3,
  arwl: 3,
  prwl: 1,
  ka: 1,
  kp: 1,
  shuffleWalk: 2,
  crashes: 1,
  cycles: 1,
  strategy: part === 'dfs' ? 'dfs' : 'bfs',
  depth: 10_000,
  maxStates,
  timeLimit: 600,
  // The state space BENCHMARKS.md has measured since the start; symmetry.ts has its own rows.
  symmetry: false,
} as const;
const workers = part === 'parallel' ? os.availableParallelism() : 1;
const result = workers > 1 ? await checkParallel({ ...scenario, workers }) : check(scenario);
const peakRss = process.resourceUsage().maxRSS * 1024;
const row = {
  machine: `${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores), Node ${process.version}`,
  part,
  threads: result.threads,
  verdict: result.verdict,
  stopReason: result.stopReason,
  unique: result.unique,
  transitions: result.states,
  maxDepth: result.maxDepth,
  seconds: Number(result.seconds.toFixed(2)),
  uniquePerSecond: Math.round(result.statesPerSecond),
  peakRssMiB: Number((peakRss / 2 ** 20).toFixed(1)),
  visitedSetBytesPerState: Number((result.visitedBytes / result.unique).toFixed(2)),
  peakRssBytesPerState: Number((peakRss / result.unique).toFixed(1)),
};
console.log(JSON.stringify(row, null, 2));
