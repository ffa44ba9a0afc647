// Needs `npm run setup:docker` first. Real containers, the real Toxiproxy server: one 8-node
// Docker cluster goes through a partition, a one-way cut, crashes, a pause and latency, each
// judged by the shared properties; then the chaos command itself, on the reference node and
// on a mutant, and interrupted half-way. Nothing of the project may be left afterwards.
// Reproduce a failure with HYPARVIEW_TEST_SEED=<printed seed>.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { seededChooser, sample } from '../../models/chooser.ts';
import { ChaosCluster, defaultBoundSeconds } from '../../clusters/chaos/cluster.ts';
import type { ChaosReport } from '../../clusters/chaos/report.ts';
import { describeViews } from '../../clusters/local/run.ts';
import { getContainerRuntimeClient } from 'testcontainers';
import { TOXIPROXY_IMAGE } from '../../clusters/images/images.ts';

const SEED = Number(process.env.HYPARVIEW_TEST_SEED ?? 8_008);
const CLI = ['--import', 'tsx', 'bin/hyparview-harness.js'];
let cluster: ChaosCluster | undefined;
let boundMs = 0;

/** Containers and networks of the project that still exist. */
async function leftovers(): Promise<string[]> {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const containers = await docker.listContainers({ all: true, filters: { label: ['hyparview-harness=chaos'] } });
  const networks = (await docker.listNetworks()).filter((n) => n.Name.startsWith('hyparview-harness-'));
  return [...containers.map((c) => c.Names[0] ?? c.Id), ...networks.map((n) => `network ${n.Name}`)];
}

/** A node's log, one line per record. */
async function logOf(id: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-logs-'));
  await cluster!.backend.saveLogs(dir);
  return readFileSync(join(dir, `${id}.log`), 'utf8').trimEnd().split('\n');
}

/** The records of `id`'s log since `since` (ms since the epoch) where it dropped `peer` from its active view. */
async function dropsOf(id: string, peer: string, since: number): Promise<string[]> {
  return (await logOf(id)).filter((line) => {
    try {
      const r = JSON.parse(line) as { time?: number; peer?: string; msg?: string };
      return r.msg === 'neighbour down' && r.peer === peer && (r.time ?? 0) >= since;
    } catch {
      return false;
    }
  });
}

async function converges(t: ExecutionContext, what: string, withinMs: number): Promise<number> {
  const r = await cluster!.converge(withinMs + 1000);
  t.true(r.converged && r.seconds * 1000 <= withinMs, `seed ${SEED}: ${what}: ${r.converged ? `converged after ${r.seconds.toFixed(2)} s, bound ${withinMs} ms` : 'did not converge'}\n${r.violations.map((v) => `${v.property}: ${v.message}`).join('\n')}\n${describeViews(r.last, r.judgement)}`);
  t.log(`${what}: ${r.seconds.toFixed(2)} s`);
  return r.seconds;
}

/**
 * Under hundreds of milliseconds a message, some refill request or shuffle is almost always in
 * flight (8 of 139 snapshots were quiescent in a 30 s sample), so the quiescent properties rarely
 * get judged: here the overlay's shape must hold on two snapshots in a row instead (one component,
 * no asymmetric pair, so no isolated node), whatever is in flight.
 */
async function settles(t: ExecutionContext, what: string, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs;
  let passes = 0;
  let last = '';
  while (passes < 2 && performance.now() < deadline) {
    const j = await cluster!.judge();
    passes = j.components === 1 && j.asymmetricPairs === 0 && j.always.length === 0 ? passes + 1 : 0;
    last = [describeViews(j.snapshot, j), ...j.always.map((v) => `${v.property}: ${v.message}`)].join('\n');
    if (passes < 2) await new Promise((r) => setTimeout(r, 200));
  }
  t.is(passes, 2, `seed ${SEED}: ${what}: not one symmetric component on two snapshots in a row within ${withinMs} ms\n${last}`);
}

/**
 * A probe broadcast reaches every node up. Flooding is best effort, so a probe that misses while
 * the overlay was disturbed (a link broke under a loaded CI machine) is logged and tried again,
 * at most twice; a miss over an undisturbed overlay fails at once.
 */
async function reachesEveryNodeUp(t: ExecutionContext, what: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const p = await cluster!.probe(3000);
    if (p.missing.length === 0) return;
    const why = `seed ${SEED}: ${what}: the probe broadcast missed ${p.missing.join(' ')}`;
    if (p.disturbances.length === 0 || attempt === 3) {
      const j = await cluster!.judge();
      const views = describeViews(j.snapshot, j);
      t.fail(`${why}${p.disturbances.length === 0 ? ' over an undisturbed overlay' : `; meanwhile ${p.disturbances.join(', ')}`}\n${views}`);
      return;
    }
    t.log(`${why} while ${p.disturbances.join(', ')}; trying again`);
    await cluster!.converge(boundMs);
  }
}

/** Polls the views until `ok` holds or `ms` passes; returns whether it held. */
async function within(ms: number, ok: (views: Awaited<ReturnType<ChaosCluster['views']>>) => boolean): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (ok(await cluster!.views())) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test.before(async () => {
  const t0 = performance.now();
  cluster = await ChaosCluster.start({ backend: 'docker', nodes: 8, seed: SEED });
  boundMs = defaultBoundSeconds(cluster.config) * 1000;
  console.log(`8 containers + Toxiproxy up in ${((performance.now() - t0) / 1000).toFixed(1)} s (seed ${SEED}, bound ${boundMs} ms)`);
});

test.after.always(async () => {
  await cluster?.stop();
});

test.serial('an 8-node Docker cluster converges, and a broadcast reaches every node', async (t) => {
  await cluster!.joinAll();
  await converges(t, '8 nodes after sequential joins', 15_000);
  await reachesEveryNodeUp(t, 'after joining');
});

test.serial('a halves partition is seen as two components; after a short one, one symmetric component within the bound', async (t) => {
  const ids = cluster!.ids;
  const half = sample(ids, 4, seededChooser(SEED));
  await cluster!.partition([half]);
  let components = 0;
  const deadline = performance.now() + boundMs;
  while (components !== 2 && performance.now() < deadline) components = (await cluster!.judge()).components;
  t.is(components, 2, `seed ${SEED}: ${half.join(' ')} cut off from the rest should give two components within ${boundMs} ms`);
  await cluster!.heal();
  await converges(t, 'after healing a halves partition', boundMs);
  await reachesEveryNodeUp(t, 'after the partition');
});

test.serial('a one-way partition is detected (the cut-off sender drops its peer) and healed', async (t) => {
  const views = await cluster!.views();
  const [from, to] = (() => {
    for (const [id, v] of views) if (v && v.active.length > 0) return [id, v.active[0]!];
    throw new Error('no active link');
  })();
  const cutAt = Date.now();
  await cluster!.oneWay(from, to);
  // `to` still reaches `from`, so once `to` sees the link close it may ask `from` again at once,
  // and `from` takes it back until the next timeout: a view poll can miss a gap of milliseconds,
  // the log of `from` cannot (seen in CI: gaps of 4 to 100 ms, a second apart).
  const seen = await within(boundMs, (v) => !v.get(from)?.active.includes(to));
  const drops = seen ? [] : await dropsOf(from, to, cutAt);
  t.true(seen || drops.length > 0, `seed ${SEED}: ${from} never dropped ${to} in the ${boundMs} ms after its link to ${to} was blackholed\n${seen ? '' : (await logOf(from)).slice(-40).join('\n')}`);
  if (!seen) t.log(`${from} dropped ${to} ${drops.length} times, each time taken back before a poll saw it`);
  await cluster!.heal();
  await converges(t, `after healing ${from}->${to}`, boundMs);
});

test.serial('3 crashed nodes leave every live active view within the bound, and restart with the same id', async (t) => {
  const victims = sample(cluster!.ids, 3, seededChooser(SEED + 1));
  for (const id of victims) await cluster!.crash(id);
  const gone = await within(boundMs, (v) => cluster!.up.every((id) => !victims.some((x) => v.get(id)?.active.includes(x))));
  t.true(gone, `seed ${SEED}: a crashed node (${victims.join(' ')}) is still in a live active view ${boundMs} ms later`);
  await converges(t, '5 survivors', boundMs);
  for (const id of victims) await cluster!.restart(id);
  await converges(t, `${victims.join(' ')} restarted`, boundMs);
  const views = await cluster!.views();
  for (const id of victims) {
    t.is(views.get(id)?.id, id, `seed ${SEED}: ${id} came back under another id`);
    t.true((views.get(id)?.active.length ?? 0) > 0, `seed ${SEED}: ${id} has no neighbours after its restart`);
  }
  await reachesEveryNodeUp(t, 'after the restarts');
});

test.serial('a paused node is dropped by its peers (keepalive) and rejoins after unpause', async (t) => {
  const sleeper = cluster!.ids[SEED % 8]!;
  await cluster!.pause(sleeper);
  const dropped = await within(boundMs, (v) => cluster!.up.every((id) => !v.get(id)?.active.includes(sleeper)));
  t.true(dropped, `seed ${SEED}: paused ${sleeper} still in a live active view ${boundMs} ms later`);
  await cluster!.unpause(sleeper);
  await converges(t, `${sleeper} unpaused`, boundMs);
  t.true(((await cluster!.views()).get(sleeper)?.active.length ?? 0) > 0, `seed ${SEED}: ${sleeper} has no neighbours after unpausing`);
});

test.serial('with 200 ms ± 50 ms on every link the cluster still converges and broadcasts reach every node', async (t) => {
  await cluster!.latency('all', 200, 50);
  // Each swap of the island remedy (a node in four per cycle) leaves a link one-sided for a round
  // trip, over 400 ms here, so two clean snapshots in a row are rarer: twice the usual bound.
  await settles(t, '8 nodes, 200 ± 50 ms', 2 * boundMs + 2000);
  await reachesEveryNodeUp(t, 'under latency');
  // A crash and a restart under latency: the failure is seen and the overlay re-forms through slow links.
  const victim = cluster!.ids[(SEED + 3) % 8]!;
  await cluster!.crash(victim);
  const gone = await within(boundMs + 2000, (v) => cluster!.up.every((id) => !v.get(id)?.active.includes(victim)));
  t.true(gone, `seed ${SEED}: crashed ${victim} still in a live active view under latency`);
  await cluster!.restart(victim);
  // The newcomer's join walks and refill requests each cross several 200 ms links: twice the usual bound.
  await settles(t, `8 nodes, 200 ± 50 ms, ${victim} back`, 2 * boundMs + 2000);
  await reachesEveryNodeUp(t, 'under latency, after the restart');
  await cluster!.heal();
});

test.serial('the cluster is removed: nothing of the project left', async (t) => {
  await cluster!.stop();
  t.deepEqual(await leftovers(), []);
});

async function chaos(args: string[], opts: { signalAfter?: RegExp } = {}) {
  const proc = execa(process.execPath, [...CLI, 'chaos', ...args], { reject: false, timeout: 300_000, all: true });
  if (opts.signalAfter) {
    const re = opts.signalAfter;
    let seen = '';
    // One SIGINT, as a user's Ctrl-C: a signal on every later line of output could land after
    // the CLI has removed its handler and kill it outright (a CI failure).
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (!re.test(seen)) return;
      proc.stderr!.off('data', onData);
      proc.kill('SIGINT');
    };
    proc.stderr!.on('data', onData);
  }
  return proc;
}

const RUN = ['--backend', 'docker', '--nodes', '5', '--duration', '40', '--faults', 'partition,one-way,crash,pause,latency', '--shapes', 'halves,isolate', '--hold', '3-5'];

test.serial('a fixed-seed chaos run passes on the reference node and fails on a mutant, naming the property', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-'));
  const good = await chaos([...RUN, '--seed', '11', '--out', join(out, 'reference')]);
  const report = JSON.parse(readFileSync(join(out, 'reference', 'report.json'), 'utf8')) as ChaosReport;
  t.is(good.exitCode, 0, `reference node, seed 11:\n${good.all}`);
  t.is(report.verdict, 'pass');
  t.true(report.checks.length >= 3 && report.checks.every((c) => c.restoredAt !== null), JSON.stringify(report.checks));
  t.true(report.samples.length > 20 && report.probes.length >= report.checks.length);

  const bad = await chaos([...RUN, '--seed', '11', '--mutant', 'ignore-link-down', '--fail-fast', '--out', join(out, 'mutant'), '--junit', join(out, 'mutant', 'junit.xml')]);
  const failed = JSON.parse(readFileSync(join(out, 'mutant', 'report.json'), 'utf8')) as ChaosReport;
  t.is(bad.exitCode, 1, `mutant ignore-link-down, seed 11:\n${bad.all}`);
  t.is(failed.verdict, 'fail');
  t.true(failed.violations.some((v) => v.property === 'failure-detected' || v.property === 'no-dead-neighbours'), JSON.stringify(failed.violations.slice(0, 5)));
  t.regex(bad.stdout, /FAIL: .*\n(.*\n)*.*(failure-detected|no-dead-neighbours)/);
  t.true(failed.checks.length < report.checks.length, `--fail-fast stopped after ${failed.checks.length} of ${report.checks.length} phases`);
  const { XMLParser } = await import('fast-xml-parser');
  const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(join(out, 'mutant', 'junit.xml'), 'utf8')).testsuites.testsuite;
  const failing = (junit.testcase as Array<{ name: string; failure?: { '#text': string } }>).filter((c) => c.failure).map((c) => c.name);
  t.deepEqual(failing.sort(), [...new Set(failed.violations.map((v) => v.property))].sort(), 'one failing case per property the run broke');
  t.deepEqual(await leftovers(), []);
});

test.serial("a loud halves partition of 20 s splits the paper's choices for decisions 10 and 11 for good; the reference heals", async (t) => {
  // Seed 1 draws a halves partition by disabling the proxies: every dial across is refused at once.
  // Every node must ask, and drop, each candidate across before the heal. 10 s was not always
  // enough in CI, with the unit suite loading the machine: two ids (passive mean 0.25) outlived it.
  const run = ['--backend', 'docker', '--nodes', '8', '--faults', 'partition', '--shapes', 'halves', '--hold', '20', '--duration', '27', '--seed', '1'];
  const out = mkdtempSync(join(tmpdir(), 'chaos-split-'));
  const drop = await chaos([...run, '--decide', 'failedCandidate=drop', '--decide', 'fullViewSwap=never', '--out', join(out, 'drop')]);
  t.is(drop.exitCode, 1, drop.all);
  const split = JSON.parse(readFileSync(join(out, 'drop', 'report.json'), 'utf8')) as ChaosReport;
  t.regex(split.schedule[0]!.description, /^halves: .*\(disable\)$/);
  t.true(split.violations.some((v) => v.property === 'connected' && /2 components/.test(v.message)), JSON.stringify(split.violations));
  const keep = await chaos([...run, '--out', join(out, 'keep')]);
  t.is(keep.exitCode, 0, keep.all);
  t.deepEqual(await leftovers(), []);
});

test.serial('the same seed prints the same schedule twice', async (t) => {
  const a = await execa(process.execPath, [...CLI, 'chaos', ...RUN, '--seed', '99', '--dry-run', '--json']);
  const b = await execa(process.execPath, [...CLI, 'chaos', ...RUN, '--seed', '99', '--dry-run', '--json']);
  const c = await execa(process.execPath, [...CLI, 'chaos', ...RUN, '--seed', '100', '--dry-run', '--json']);
  t.is(a.stdout, b.stdout);
  t.not(a.stdout, c.stdout);
  t.true((JSON.parse(a.stdout) as { schedule: unknown[] }).schedule.length >= 3);
});

test.serial('SIGINT in the middle of a chaos run removes every container and network', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-int-'));
  const r = await chaos([...RUN, '--seed', '12', '--out', out], { signalAfter: /phase 1\/\d+/ });
  t.is(r.exitCode, 2, r.all);
  t.regex(r.all ?? '', /interrupted/);
  t.is((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ChaosReport).error, 'interrupted');
  t.deepEqual(await leftovers(), []);
});

test.serial('`cluster down` removes leftover containers and networks of the project, and only those', async (t) => {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const network = await docker.createNetwork({ Name: 'hyparview-harness-leftover-test', Labels: { 'hyparview-harness': 'chaos' } });
  const mine = await docker.createContainer({ Image: TOXIPROXY_IMAGE, name: 'hyparview-harness-leftover-test', Labels: { 'hyparview-harness': 'chaos' } });
  const other = await docker.createContainer({ Image: TOXIPROXY_IMAGE, name: `not-ours-${SEED}` });
  t.teardown(() => other.remove({ force: true }).catch(() => undefined));
  const r = await execa(process.execPath, [...CLI, 'cluster', 'down'], { reject: false });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /removed 1 container\(s\) \(hyparview-harness-leftover-test\) and 1 network\(s\)/);
  t.deepEqual(await leftovers(), []);
  await t.notThrowsAsync(other.inspect(), 'a container without the label is left alone');
  await t.throwsAsync(mine.inspect());
  await t.throwsAsync(network.inspect());
});
