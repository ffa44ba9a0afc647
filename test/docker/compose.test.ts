// Needs `npm run setup:docker` first (a Docker engine, docker-compose or `docker compose`, and
// the images). Runs the root docker-compose.yml as its own compose project: waits for the five
// nodes to form one overlay with symmetric active views, cuts one link through Toxiproxy's API,
// and always takes the project down again (nothing labelled hyparview-harness=compose of that
// project may be left). The published ports are fixed (127.0.0.1:8474, 9001-9005): they must
// be free. Run serially, apart from the other tests.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import test from 'ava';
import { execa, execaSync } from 'execa';
import {
  COMPOSE_CONTROL_PORT_BASE,
  COMPOSE_CONTROL_TOKEN,
  COMPOSE_DEFAULT_NODES,
  COMPOSE_FILE,
  COMPOSE_LABEL,
  COMPOSE_TOXIPROXY_API_PORT,
  composeYaml,
  toxiproxyConfig,
} from '../../clusters/images/compose.ts';
import { nodeImage, requireDocker } from '../../clusters/images/images.ts';

const NODES = COMPOSE_DEFAULT_NODES;
const PROJECT = `hvcompose${randomBytes(4).toString('hex')}`;
const TOXIPROXY_API = `http://127.0.0.1:${COMPOSE_TOXIPROXY_API_PORT}`;
const ids = Array.from({ length: NODES }, (_, i) => `n${i + 1}`);
const controlUrl = (i: number): string => `http://127.0.0.1:${COMPOSE_CONTROL_PORT_BASE + i + 1}`;

/** docker-compose (v1) where it exists, else `docker compose` (v2). */
function composeCommand(): [string, string[]] {
  const v1 = execaSync('docker-compose', ['version', '--short'], { reject: false });
  return v1.exitCode === 0 ? ['docker-compose', []] : ['docker', ['compose']];
}
const [COMPOSE_BIN, COMPOSE_PREFIX] = composeCommand();
const composeArgs = (...args: string[]): string[] => [...COMPOSE_PREFIX, '-f', COMPOSE_FILE, '-p', PROJECT, ...args];

let started = false;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve(true)));
  });
}

async function down(): Promise<void> {
  await execa(COMPOSE_BIN, composeArgs('down', '-v', '--remove-orphans', '--timeout', '5'), { reject: false, timeout: 120_000 });
}

async function leftovers(): Promise<string[]> {
  const res = await execa('docker', ['ps', '-a', '--filter', `label=${COMPOSE_LABEL}`, '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}}']);
  return res.stdout.split('\n').filter(Boolean);
}

// Ctrl-C during the run: take the project down before going.
const onSigint = (): void => {
  if (started) execaSync(COMPOSE_BIN, composeArgs('down', '-v', '--remove-orphans', '--timeout', '5'), { reject: false, timeout: 120_000 });
  process.exit(130);
};

test.before(async () => {
  await requireDocker();
  const busy: number[] = [];
  for (const port of [COMPOSE_TOXIPROXY_API_PORT, ...ids.map((_, i) => COMPOSE_CONTROL_PORT_BASE + i + 1)]) {
    if (!(await portFree(port))) busy.push(port);
  }
  if (busy.length > 0) {
    throw new Error(`docker-compose.yml publishes fixed ports and 127.0.0.1:${busy.join(', ')} ${busy.length > 1 ? 'are' : 'is'} in use (another compose cluster up? \`docker-compose down\` it)`);
  }
  // The image of the current sources, tagged :latest as the compose file names it.
  await nodeImage();
  process.once('SIGINT', onSigint);
});

test.after.always(async (t) => {
  process.off('SIGINT', onSigint);
  if (!started) {
    t.pass();
    return;
  }
  await down();
  t.deepEqual(await leftovers(), [], `containers of compose project ${PROJECT} left behind`);
});

test.serial('docker-compose.yml and its Toxiproxy config are what compose:generate writes', (t) => {
  t.is(readFileSync(COMPOSE_FILE, 'utf8'), composeYaml(NODES), 'docker-compose.yml is stale: run `npm run compose:generate`');
  const proxies = JSON.parse(readFileSync(new URL('../../clusters/images/compose/toxiproxy.json', import.meta.url), 'utf8')) as unknown;
  t.deepEqual(proxies, toxiproxyConfig(NODES), 'toxiproxy.json is stale: run `npm run compose:generate`');
});

interface StateView {
  id: string;
  active: string[];
}

async function readState(i: number): Promise<StateView | undefined> {
  try {
    const res = await fetch(`${controlUrl(i)}/state`, { headers: { authorization: `Bearer ${COMPOSE_CONTROL_TOKEN}` }, signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as StateView) : undefined;
  } catch {
    return undefined;
  }
}

/** Why these views are not one connected overlay with symmetric active views; null if they are. */
function overlayProblem(views: (StateView | undefined)[]): string | null {
  const byId = new Map<string, StateView>();
  for (const [i, v] of views.entries()) {
    if (!v) return `${ids[i]} does not answer`;
    byId.set(v.id, v);
  }
  for (const v of byId.values()) {
    if (v.active.length === 0) return `${v.id} has an empty active view`;
    for (const peer of v.active) {
      if (!byId.get(peer)?.active.includes(v.id)) return `${v.id} has ${peer} active but not the other way round`;
    }
  }
  const seen = new Set<string>([ids[0]!]);
  const queue = [ids[0]!];
  while (queue.length > 0) for (const peer of byId.get(queue.shift()!)!.active) if (!seen.has(peer) && seen.add(peer)) queue.push(peer);
  return seen.size === NODES ? null : `only ${[...seen].join(', ')} reachable from ${ids[0]}`;
}

test.serial('five nodes form one symmetric overlay, and a link is cut through Toxiproxy', async (t) => {
  t.timeout(180_000);
  const t0 = performance.now();
  started = true;
  const up = await execa(COMPOSE_BIN, composeArgs('up', '-d'), { reject: false, all: true, timeout: 120_000 });
  if (up.exitCode !== 0) t.fail(`${COMPOSE_BIN} up -d failed: ${(up.all ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  t.is(up.exitCode, 0);
  const upSeconds = (performance.now() - t0) / 1000;

  // Views are read node by node, not at once: two passing reads in a row.
  let problem: string | null = 'not read yet';
  let passes = 0;
  const deadline = performance.now() + 60_000;
  while (passes < 2 && performance.now() < deadline) {
    problem = overlayProblem(await Promise.all(ids.map((_, i) => readState(i))));
    passes = problem === null ? passes + 1 : 0;
    if (passes < 2) await new Promise((r) => setTimeout(r, 500));
  }
  if (passes < 2) {
    const logs = await execa(COMPOSE_BIN, composeArgs('logs', '--no-color', '--tail', '5'), { reject: false, all: true });
    t.log(logs.all);
  }
  t.is(problem, null, 'no single symmetric overlay within 60 s');
  t.log(`compose up ${upSeconds.toFixed(1)} s, converged ${((performance.now() - t0) / 1000).toFixed(1)} s after up began`);

  const cut = await fetch(`${TOXIPROXY_API}/proxies/n1-%3En2`, { method: 'POST', body: JSON.stringify({ enabled: false }) });
  t.is(cut.status, 200);
  const proxy = (await (await fetch(`${TOXIPROXY_API}/proxies/n1-%3En2`)).json()) as { name: string; enabled: boolean };
  t.like(proxy, { name: 'n1->n2', enabled: false });
  const all = (await (await fetch(`${TOXIPROXY_API}/proxies`)).json()) as Record<string, { enabled: boolean }>;
  t.is(Object.keys(all).length, NODES * (NODES - 1));
  t.deepEqual(Object.entries(all).filter(([, p]) => !p.enabled).map(([name]) => name), ['n1->n2']);
});
