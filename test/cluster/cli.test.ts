// `hyparview-harness cluster --backend local` as a user runs it (harness/node/main.ts under
// tsx): the verdict JSON and exit codes, and no node process left behind, on a pass, a
// failure, and Ctrl-C.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { execa } from 'execa';
import { waitFor } from '../node/helpers.ts';

const MAIN = fileURLToPath(new URL('../../harness/node/main.ts', import.meta.url));
const cli = (args: string[], opts: { timeout?: number } = {}) =>
  execa(process.execPath, ['--import', 'tsx', MAIN, 'cluster', '--backend', 'local', ...args], { reject: false, timeout: opts.timeout ?? 60_000 });

/** Pids of the node processes of the cluster logging to `dir` (they carry its config file in --config). */
function nodesOf(dir: string): number[] {
  const text = join(dir, 'node-config.json');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function freshDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hv-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test.serial('--check --json: a passing cluster prints one verdict object, exits 0 and leaves no process', async (t) => {
  const dir = freshDir(t);
  const r = await cli(['--nodes', '5', '--check', '--json', '--timeout', '20', '--seed', '5', '--join', 'parallel', '--log-dir', dir]);
  t.is(r.exitCode, 0, r.stderr);
  const verdict = JSON.parse(r.stdout);
  t.like(verdict, { verdict: 'pass', nodes: 5, components: 1, asymmetricPairs: 0, violations: [], seed: 5 });
  t.true(verdict.convergedSeconds >= 0 && verdict.convergedSeconds < 20);
  t.deepEqual(nodesOf(dir), []);
});

test.serial('--check: a property violated live (the paper-literal variant) exits 1 and names it', async (t) => {
  const dir = freshDir(t);
  const config = join(dir, 'paper.json');
  writeFileSync(config, JSON.stringify({ protocol: { variant: 'paper', activeSize: 4, passiveSize: 16 }, shufflePeriodMs: 1000, neighborTimeoutMs: 500 }));
  const r = await cli(['--nodes', '8', '--check', '--json', '--timeout', '5', '--seed', '3', '--config', config, '--log-dir', dir]);
  t.is(r.exitCode, 1, r.stderr);
  const verdict = JSON.parse(r.stdout);
  t.is(verdict.verdict, 'fail');
  t.is(verdict.convergedSeconds, null);
  t.true(verdict.violations.length > 0);
  t.deepEqual(nodesOf(dir), []);
});

test.serial('without --check it shows the live views until Ctrl-C, then stops every node and exits 0', async (t) => {
  const dir = freshDir(t);
  const proc = execa(process.execPath, ['--import', 'tsx', MAIN, 'cluster', '--backend', 'local', '--nodes', '3', '--seed', '7', '--log-dir', dir], { reject: false, timeout: 60_000 });
  t.teardown(() => proc.kill('SIGKILL'));
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  await waitFor('the live views', 30_000, () => /n1 +active/.test(out));
  t.is(nodesOf(dir).length, 3);
  proc.kill('SIGINT');
  const r = await proc;
  t.is(r.exitCode, 0, r.stderr);
  t.regex(out, /component\(s\)/);
  t.deepEqual(nodesOf(dir), []);
});

test.serial('usage errors exit 2 with one line', async (t) => {
  for (const args of [['--nodes', '0'], ['--nodes', '3', '--join', 'sideways']]) {
    const r = await cli(args);
    t.is(r.exitCode, 2, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const docker = await execa(process.execPath, ['--import', 'tsx', MAIN, 'cluster', '--backend', 'docker'], { reject: false });
  t.is(docker.exitCode, 2);
  t.regex(docker.stderr, /--backend: only "local"/);
});
