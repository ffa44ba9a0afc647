// `npm test`: the unit suite (CPU-bound: the checker, real nodes on loopback) and the Docker
// suite (mostly waiting on containers and timers) run side by side, so that the whole stays
// within five minutes on two cores. Each line is prefixed with its suite; the exit code is the
// first failure's.
import { execa } from 'execa';
import { createInterface } from 'node:readline';

// The Docker suite judges timing (keepalive deadlines of 1.5 s, recovery bounds of 4.5 s) of
// nodes in containers; the unit suite is CPU-bound and judges its own timing only among its own
// processes. So the unit suite runs at a lower priority (nice 10): when both want the two cores,
// the containers get them first. Without `nice` (not POSIX) it runs as is.
const lower = process.platform === 'win32' ? [] : ['nice', '-n', '10'];
const suites = [
  ['unit', [...lower, 'npx', 'ava']],
  ['docker', ['npx', 'ava', '--config', 'ava.docker.config.mjs']],
];

const runs = suites.map(([name, [command, ...args]]) => {
  const child = execa(command, args, { reject: false, env: { FORCE_COLOR: process.stdout.isTTY ? '1' : '0' } });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  return child.then((r) => [name, r.exitCode ?? 1]);
});

const results = await Promise.all(runs);
for (const [name, code] of results) process.stdout.write(`${name} suite: ${code === 0 ? 'passed' : `FAILED (exit ${code})`}\n`);
process.exitCode = results.find(([, code]) => code !== 0)?.[1] ?? 0;
