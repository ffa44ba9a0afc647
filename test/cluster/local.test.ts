// A 16-node local cluster of real node processes, judged live by the shared properties:
// convergence after sequential joins, healing after half the nodes are killed, broadcast
// reliability after healing, a restart with the same id, a pause (SIGSTOP/SIGCONT).
import test from 'ava';
import { watchUntilConverged } from '../../clusters/local/check.ts';
import { LOCAL_CLUSTER_CONFIG, type LocalCluster } from '../../clusters/local/cluster.ts';
import { describeViews } from '../../clusters/local/run.ts';
import { seededChooser, sample } from '../../models/chooser.ts';
import { startCluster, waitFor } from '../node/helpers.ts';

const SEED = Number(process.env.HYPARVIEW_TEST_SEED ?? 16_032);
const SHUFFLE_MS = LOCAL_CLUSTER_CONFIG.shufflePeriodMs!;

async function converges(t: import('ava').ExecutionContext, cluster: LocalCluster, what: string, since: number, withinMs: number): Promise<number> {
  const r = await watchUntilConverged(cluster, { since, timeoutMs: withinMs + 1500, pollMs: 100 });
  const detail = `seed ${SEED}: ${what}: ${r.converged ? `converged after ${r.seconds.toFixed(2)} s` : 'did not converge'}\n${r.violations.map((v) => `${v.property}: ${v.message}`).join('\n')}\n${describeViews(r.last, r.judgement)}`;
  t.true(r.converged && r.seconds * 1000 <= withinMs, detail);
  t.log(`${what}: ${r.seconds.toFixed(2)} s`);
  return r.seconds;
}

async function reachesEveryLiveNode(t: import('ava').ExecutionContext, cluster: LocalCluster, from: string): Promise<void> {
  const id = await cluster.broadcast(from, `from ${from}`);
  let missing: string[] = [];
  const done = await waitFor(`broadcast ${id}`, 3000, async () => (missing = await cluster.missing(id)).length === 0).catch(() => false);
  t.true(done, `seed ${SEED}: broadcast ${id} from ${from} missed ${missing.join(', ')}`);
}

test('16 nodes: converge after sequential joins, heal after 50% are killed, broadcast to all, rejoin after a restart, survive a pause', async (t) => {
  t.timeout(80_000);
  const cluster = await startCluster(t, 16, SEED);
  const chooser = seededChooser(SEED);

  let since = performance.now();
  await cluster.joinAll('sequential', (i) => chooser.pick(i));
  t.log(`15 sequential joins issued in ${((performance.now() - since) / 1000).toFixed(2)} s`);
  await converges(t, cluster, '16 nodes after sequential joins', since, 10_000);
  await reachesEveryLiveNode(t, cluster, 'n16');

  const victims = sample(cluster.members.map((m) => m.id), 8, chooser);
  since = performance.now();
  for (const id of victims) cluster.kill(id);
  t.log(`killed ${victims.join(' ')}`);
  await converges(t, cluster, '8 survivors', since, 3 * SHUFFLE_MS);
  await reachesEveryLiveNode(t, cluster, cluster.live[0]!.id);

  const back = victims[0]!;
  await cluster.restart(back);
  since = performance.now();
  await cluster.join(back, cluster.live.find((m) => m.id !== back)!.id);
  await converges(t, cluster, `${back} restarted with the same id`, since, 5000);
  const views = await cluster.views();
  t.true((views.get(back)?.active.length ?? 0) > 0, `seed ${SEED}: ${back} has no neighbours after rejoining`);
  await reachesEveryLiveNode(t, cluster, back);

  const sleeper = cluster.live.find((m) => m.id !== back)!.id;
  cluster.pause(sleeper);
  await new Promise((r) => setTimeout(r, 2 * SHUFFLE_MS));
  cluster.resume(sleeper);
  since = performance.now();
  await converges(t, cluster, `after ${sleeper} was paused for 2 cycles`, since, 5000);
  await reachesEveryLiveNode(t, cluster, sleeper);
});
