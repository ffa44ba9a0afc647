// `hyparview-harness cluster --backend local` as a user runs it (harness/node/main.ts under
// tsx): the verdict JSON and exit codes, and no node process or temp directory left behind,
// on a pass, a failure, Ctrl-C, SIGTERM, SIGHUP; and no node outliving a SIGKILLed CLI.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { execa } from 'execa';
import { waitFor } from '../node/helpers.ts';

const MAIN = fileURLToPath(new URL('../../harness/node/main.ts', import.meta.url));
const cli = (args: string[], opts: { timeout?: number; env?: Record<string, string> } = {}) =>
  execa(process.execPath, ['--import', 'tsx', MAIN, 'cluster', '--backend', 'local', ...args], { reject: false, timeout: opts.timeout ?? 60_000, env: opts.env ?? {} });

/** Pids of the node processes of the cluster logging to `dir` (they carry its config file in --config). */
function nodesOf(dir: string): number[] {
  return processesWith(join(dir, 'node-config.json'));
}

/** Pids of the live processes whose command line contains `text` (zombies have none). */
function processesWith(text: string): number[] {
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

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
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
  t.true(existsSync(join(dir, 'n1.log')), 'a --log-dir the user named is kept');
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

/** The cluster temp directories (hyparview-cluster-*) under `tmp`. */
const clusterDirs = (tmp: string): string[] => readdirSync(tmp).filter((e) => e.startsWith('hyparview-cluster-'));

test.serial('the temp log directory is removed after a pass, and kept and named after a failure', async (t) => {
  const tmp = freshDir(t);
  const env = { TMPDIR: tmp };
  const pass = await cli(['--nodes', '3', '--check', '--json', '--timeout', '20', '--seed', '5', '--join', 'parallel'], { env });
  t.is(pass.exitCode, 0, pass.stderr);
  t.deepEqual(clusterDirs(tmp), [], 'a passing check removes its temp directory');

  const config = join(tmp, 'paper.json');
  writeFileSync(config, JSON.stringify({ protocol: { variant: 'paper', activeSize: 4, passiveSize: 16 }, shufflePeriodMs: 1000, neighborTimeoutMs: 500 }));
  const fail = await cli(['--nodes', '8', '--check', '--json', '--timeout', '5', '--seed', '3', '--config', config], { env });
  t.is(fail.exitCode, 1, fail.stderr);
  const kept = clusterDirs(tmp);
  t.is(kept.length, 1, 'a failing check keeps its logs');
  t.is(JSON.parse(fail.stdout).logDir, join(tmp, kept[0]!), 'and names them in the verdict');
  t.deepEqual(processesWith(tmp), []);
});

for (const [signal, when] of [['SIGINT', 'running'], ['SIGTERM', 'running'], ['SIGHUP', 'running'], ['SIGINT', 'starting']] as const) {
  test.serial(`${signal} while the nodes are ${when}: every node stops, the temp log directory is removed, exit 0`, async (t) => {
    const tmp = freshDir(t);
    const proc = execa(process.execPath, ['--import', 'tsx', MAIN, 'cluster', '--backend', 'local', '--nodes', '3', '--seed', '7'], { reject: false, timeout: 60_000, env: { TMPDIR: tmp } });
    t.teardown(() => {
      proc.kill('SIGKILL');
      for (const pid of processesWith(tmp)) killQuietly(pid);
    });
    let out = '';
    proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    if (when === 'running') {
      await waitFor('the live views', 30_000, () => /n1 +active/.test(out));
      t.is(processesWith(tmp).length, 3);
    } else {
      await waitFor('the first node process', 30_000, () => processesWith(tmp).length > 0, 10);
    }
    t.is(clusterDirs(tmp).length, 1);
    proc.kill(signal);
    const r = await proc;
    t.is(r.exitCode, 0, `${r.signal ?? ''} ${r.stderr}`);
    t.deepEqual(clusterDirs(tmp), [], `${signal} left the temp log directory`);
    await waitFor('every node to exit', 2000, () => processesWith(tmp).length === 0, 20);
    t.pass();
  });
}

test.serial('SIGKILL of the cluster command: every node exits within 2 s', async (t) => {
  const dir = freshDir(t);
  const proc = execa(process.execPath, ['--import', 'tsx', MAIN, 'cluster', '--backend', 'local', '--nodes', '3', '--seed', '9', '--log-dir', dir], { reject: false, timeout: 60_000 });
  t.teardown(() => {
    proc.kill('SIGKILL');
    for (const pid of nodesOf(dir)) killQuietly(pid);
  });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  await waitFor('the live views', 30_000, () => /n1 +active/.test(out));
  t.is(nodesOf(dir).length, 3);
  proc.kill('SIGKILL');
  await proc;
  const start = performance.now();
  const left = await waitFor('every node to exit', 2000, () => nodesOf(dir).length === 0, 20).catch(() => nodesOf(dir));
  t.log(`every node gone ${(performance.now() - start).toFixed(0)} ms after the SIGKILL`);
  t.is(left, true, `still running: ${JSON.stringify(left)}`);
});

test.serial('a --log-dir that cannot be created exits 2 at once with one line naming it', async (t) => {
  const tmp = freshDir(t);
  const file = join(tmp, 'a-file');
  writeFileSync(file, '');
  for (const [dir, reason] of [['/proc/forbidden', /ENOENT|EACCES|no such|permission/i], [join(file, 'logs'), /not a directory/i], [file, /not a directory/i]] as const) {
    const started = performance.now();
    const r = await cli(['--nodes', '2', '--log-dir', dir], { timeout: 20_000 });
    const ms = performance.now() - started;
    t.is(r.exitCode, 2, `${dir}: ${r.signal ?? ''} after ${ms.toFixed(0)} ms: ${r.stderr}`);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.true(r.stderr.includes(dir), r.stderr);
    t.regex(r.stderr, reason);
    t.notRegex(r.stderr, /\n\s+at /);
  }
});
