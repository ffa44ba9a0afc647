// Needs `npm run setup:docker` first (for toxiproxy-server). The chaos command on the local
// backend: node processes on 127.0.0.1, a local Toxiproxy, SIGKILL/SIGSTOP for crash and pause;
// the same seed gives the same schedule as on Docker, and nothing is left running afterwards.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import type { ChaosReport } from '../../clusters/chaos/report.ts';

const CLI = ['--import', 'tsx', 'bin/hyparview-harness.js', 'chaos'];
const RUN = ['--nodes', '5', '--duration', '40', '--faults', 'crash,pause,one-way,partition', '--shapes', 'isolate', '--hold', '3-4', '--seed', '3'];

/** Running processes whose command line includes `pattern`: pid, parent pid, command line. */
async function running(pattern: string): Promise<Array<{ pid: number; ppid: number; line: string }>> {
  const ps = await execa('ps', ['-eo', 'pid,ppid,args'], { reject: false });
  return ps.stdout
    .split('\n')
    .filter((l) => l.includes(pattern) && !l.includes('ps -eo'))
    .map((line) => {
      const [pid, ppid] = line.trim().split(/\s+/, 2).map(Number);
      return { pid: pid!, ppid: ppid!, line: line.trim() };
    });
}

test('a local chaos run: same schedule as on Docker, faults through a local Toxiproxy and signals, judged, nothing left running', async (t) => {
  const local = await execa(process.execPath, [...CLI, ...RUN, '--backend', 'local', '--dry-run', '--json']);
  const docker = await execa(process.execPath, [...CLI, ...RUN, '--backend', 'docker', '--dry-run', '--json']);
  t.deepEqual(JSON.parse(local.stdout).schedule, JSON.parse(docker.stdout).schedule);

  const out = mkdtempSync(join(tmpdir(), 'chaos-local-'));
  const toxiproxyBefore = (await running('toxiproxy-server')).length;
  const run = execa(process.execPath, [...CLI, ...RUN, '--backend', 'local', '--out', out], { reject: false, all: true, timeout: 180_000 });
  // This run's node processes, by parent: the unit suite may run nodes of its own meanwhile.
  const ours = new Set<number>();
  const watch = setInterval(() => {
    void running('node-config.json').then((ps) => ps.filter((p) => p.ppid === run.pid).forEach((p) => ours.add(p.pid)));
  }, 300);
  const r = await run;
  clearInterval(watch);
  t.is(r.exitCode, 0, r.all);
  t.true(ours.size >= 5, `the run's node processes were seen (${ours.size})`);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ChaosReport;
  t.is(report.backend, 'local');
  t.deepEqual([...new Set(report.schedule.map((p) => p.kind))].sort(), ['crash', 'one-way', 'partition', 'pause']);
  t.true(report.checks.length === report.schedule.length && report.checks.every((c) => c.restoredAt !== null), JSON.stringify(report.checks));
  t.is((await running('toxiproxy-server')).length, toxiproxyBefore, 'the local toxiproxy-server was stopped');
  t.deepEqual((await running('node-config.json')).filter((p) => ours.has(p.pid)).map((p) => p.line), [], 'every node process of the run was stopped');
});
