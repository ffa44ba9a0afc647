// `npm run bench:checker`: the fixed scenario of BENCHMARKS.md, to exhaustion or 5M unique states,
// with BFS and then DFS, each in a process of its own (so each peak RSS is its own);
// `-- --strategy bfs|dfs` runs one.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import v8 from 'node:v8';

const flag = process.argv.indexOf('--strategy');
const strategy = flag > 0 ? process.argv[flag + 1] : undefined;
if (strategy !== undefined && strategy !== 'bfs' && strategy !== 'dfs') {
  console.error(`bench:checker: --strategy must be bfs or dfs, got ${strategy}`);
  process.exit(2);
}
if (strategy === undefined) {
  for (const s of ['bfs', 'dfs']) execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, '--strategy', s], { stdio: 'inherit' });
  process.exit(0);
}

// The same young-generation size the CLI sets (harness/main.ts).
v8.setFlagsFromString('--max-semi-space-size=64');
const { check } = await import('./check.ts');

const maxStates = Number(process.env.BENCH_MAX_STATES ?? 5_000_000);
const result = check({
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
  strategy,
  depth: 10_000,
  maxStates,
  timeLimit: 600,
});
const peakRss = process.resourceUsage().maxRSS * 1024;
const row = {
  machine: `${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores), Node ${process.version}`,
  strategy,
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
