// Real node processes over real TCP on 127.0.0.1: the command line, the control API, joining,
// the dial map, identity checks, leaving. No mocks.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import test from 'ava';
import { execa } from 'execa';
import { nodeCommand } from '../../clusters/local/entry.ts';
import { broadcastReachesAll, http, startCluster, spawnNode, waitFor } from './helpers.ts';

const SEED = 4242;

async function runCli(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, await nodeCommand(args), { env, reject: false, timeout: 15_000 });
}

test('usage, configuration and port errors exit 2 with one line naming the problem', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--id', 'bad id!', '--listen', '127.0.0.1:0'], /--id/],
    [['--id', 'n1', '--listen', 'nowhere'], /--listen/],
    [['--id', 'n1'], /--listen/],
    [['--id', 'n1', '--listen', '127.0.0.1:0', '--control', '0.0.0.0:0'], /controlToken/],
    [['--id', 'n1', '--listen', '127.0.0.1:0', '--config', '/nonexistent/node.json'], /--config/],
    // Over the 255 bytes the wire holds: one 300-byte label, and host-name labels that once passed
    // validation and then crashed the node at its first inbound HELLO.
    [['--id', 'n1', '--listen', '127.0.0.1:0', '--advertise', `${'a'.repeat(300)}:1`], /--advertise.*longer than 255 bytes/],
    [['--id', 'n1', '--listen', '127.0.0.1:0', '--advertise', `${'host.'.repeat(60)}example:1`], /--advertise.*longer than 255 bytes/],
  ];
  const holder = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => holder.once('listening', r));
  t.teardown(() => holder.close());
  const taken = (holder.address() as net.AddressInfo).port;
  cases.push([['--id', 'n1', '--listen', `127.0.0.1:${taken}`, '--control', '127.0.0.1:0'], new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken}: EADDRINUSE`)]);
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  results.forEach((r, i) => {
    const [args, pattern] = cases[i]!;
    t.is(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, pattern, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, `one line, no stack: ${r.stderr}`);
  });
});

test('--contact joins at startup; the control API serves state, health, metrics and broadcasts', async (t) => {
  const a = await spawnNode(t, ['--id', 'a1', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0', '--seed', String(SEED)]);
  const b = await spawnNode(t, ['--id', 'b1', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0', '--contact', a.listen, '--seed', String(SEED + 1)]);
  const state = await waitFor('a1 and b1 to be neighbours', 5000, async () => {
    const [sa, sb] = await Promise.all([http(a.control, '/state'), http(b.control, '/state')]);
    return sa.body.active.includes('b1') && sb.body.active.includes('a1') ? sa.body : undefined;
  });
  t.like(state, { id: 'a1', address: a.listen, passive: [], pending: [], config: { activeSize: 5, passiveSize: 30, variant: 'reference' } });
  t.is(state.counters.received.JOIN, 1);
  t.deepEqual((await http(a.control, '/healthz')).body, { ok: true, id: 'a1' });

  const metrics = await http(b.control, '/metrics');
  t.is(metrics.status, 200);
  t.regex(metrics.body, /hyparview_active_view_size\{node="b1"\} 1/);
  t.regex(metrics.body, /hyparview_messages_sent_total\{type="JOIN",node="b1"\} 1/);
  t.regex(metrics.body, /process_resident_memory_bytes\{node="b1"\} \d+/);

  const sent = await http(b.control, '/broadcast', { payload: 'hello', count: 3 });
  t.is(sent.body.ids.length, 3);
  await waitFor('a1 to deliver the broadcasts', 3000, async () => (await http(a.control, `/broadcasts/${sent.body.ids[2]}`)).body.delivered);
  const counters = (await http(a.control, '/state')).body.counters.broadcast;
  t.like(counters, { delivered: 3, originated: 0 });

  t.is((await http(a.control, '/join', { contact: 'nowhere' })).status, 400);
  t.is((await http(a.control, '/join', '{oops')).status, 400);
  t.is((await http(a.control, '/broadcast', { payload: 'x', count: 0 })).status, 400);
  t.is((await http(a.control, '/nope')).status, 404);
  const closed = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => closed.once('listening', r));
  const deadPort = (closed.address() as net.AddressInfo).port;
  closed.close();
  const refused = await http(a.control, '/join', { contact: `127.0.0.1:${deadPort}` });
  t.is(refused.status, 502);
  t.regex(refused.body.error, /ECONNREFUSED/);
  t.true(a.lines.every((l) => JSON.parse(l).node === 'a1'), 'every log line names the node');
});

test('a bearer token, once configured, guards every route', async (t) => {
  const node = await spawnNode(t, ['--id', 't1', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0'], { HYPARVIEW_CONTROL_TOKEN: 'sekrit-token' });
  t.is((await http(node.control, '/healthz')).status, 401);
  t.is((await http(node.control, '/state', undefined, { authorization: 'Bearer wrong-token' })).status, 401);
  t.is((await http(node.control, '/healthz', undefined, { authorization: 'Bearer sekrit-token' })).status, 200);
});

test(`the dial map routes an outgoing link through a proxy; when the proxy cuts it, the link is down (seed ${SEED})`, async (t) => {
  const cluster = await startCluster(t, 2, SEED);
  const [n1, n2] = cluster.members;
  const piped: net.Socket[] = [];
  let connections = 0;
  const proxy = net.createServer((client) => {
    connections++;
    const { host, port } = { host: '127.0.0.1', port: Number(n2!.listen.split(':')[1]) };
    const upstream = net.connect({ host, port });
    client.pipe(upstream).pipe(client);
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      piped.push(s);
    }
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => proxy.close());
  const proxyAddr = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  t.deepEqual(await cluster.api(n1!.id, '/dial', { peer: 'n2', address: proxyAddr }), { peer: 'n2', address: proxyAddr });

  await cluster.join('n2', 'n1');
  await waitFor('n1 and n2 to be neighbours', 5000, async () => {
    const v = await cluster.views();
    return v.get('n1')?.active.includes('n2') && v.get('n2')?.active.includes('n1');
  });
  t.true(connections >= 1, 'n1 dialled n2 through the proxy');
  await broadcastReachesAll(cluster, 'n1');

  // Stop forwarding, then cut: n1's connection to n2 breaks, which is the model's linkDown.
  proxy.close();
  for (const s of piped) s.destroy();
  // n2 may ask n1 again once a shuffle period (over its own direct link): n1 accepts, its dial
  // through the dead proxy fails, and it drops n2 again. So n2 is gone from n1's view most of the time.
  let last: unknown;
  const v = await waitFor('n1 to count the link down and drop n2', 10_000, async () => {
    const s = (last = await cluster.api<{ counters: { linkDowns: Record<string, number> }; active: string[] }>('n1', '/state'));
    return (s.counters.linkDowns.established ?? 0) >= 1 && !s.active.includes('n2') ? s : undefined;
  }).catch(() => undefined);
  t.truthy(v, `seed ${SEED}: n1 still lists n2 as active after its link broke: ${JSON.stringify(last)}`);
});

test('a dialled peer whose HELLO names someone else is refused, and the link counts as down', async (t) => {
  const cluster = await startCluster(t, 3, SEED);
  // n1's link to n2 is wrongly routed to n3.
  await cluster.api('n1', '/dial', { peer: 'n2', address: cluster.member('n3').listen });
  await cluster.join('n2', 'n1');
  const s = await waitFor('n1 to refuse the wrong node', 5000, async () => {
    const st = await cluster.api<{ counters: { framesRejected: Record<string, number>; linkDowns: Record<string, number> } }>('n1', '/state');
    return (st.counters.framesRejected.refused ?? 0) >= 1 ? st : undefined;
  });
  t.true((s.counters.linkDowns.connect ?? 0) >= 1, JSON.stringify(s.counters));
});

test('POST /leave ends the process with 0, and its neighbours drop it as if it had crashed', async (t) => {
  const cluster = await startCluster(t, 2, SEED);
  await cluster.join('n2', 'n1');
  await waitFor('n1 to have n2 active', 5000, async () => (await cluster.views()).get('n1')?.active.includes('n2'));
  t.is((await http(cluster.member('n2').control, '/leave', {})).status, 202);
  const exit = await cluster.member('n2').proc!;
  t.is(exit.exitCode, 0);
  cluster.member('n2').status = 'killed';
  await waitFor('n1 to drop n2', 5000, async () => (await cluster.views()).get('n1')?.active.length === 0);
  t.pass();
});

test('a node started by a harness exits when the harness goes (its stdin closes)', async (t) => {
  const node = await spawnNode(t, ['--id', 'orphan', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0'], { HYPARVIEW_EXIT_WITH_PARENT: '1' });
  node.proc.stdin!.end();
  const r = await node.proc;
  t.is(r.exitCode, 0);
});

/** Whether `pid` has ended (gone, or a zombie nobody reaped yet). */
function ended(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Milliseconds until `pid` ends, polling every 20 ms; Infinity after `limitMs`. */
async function msUntilEnded(pid: number, limitMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (ended(pid)) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Infinity;
}

// A harness that starts one node the way the local cluster does (HYPARVIEW_EXIT_WITH_PARENT),
// except that the node's stdin is a FIFO whose writing end the test holds open: the node
// cannot learn of the harness's death from its stdin closing. Prints the node's pid.
const HARNESS = `
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
const { args, ipc, fifo } = JSON.parse(process.argv[1]);
const child = spawn(process.execPath, args, { stdio: [openSync(fifo, 'r'), 'pipe', 'ignore', ...(ipc ? ['ipc'] : [])], env: { ...process.env, HYPARVIEW_EXIT_WITH_PARENT: '1' } });
let seen = '';
child.stdout.on('data', (b) => {
  seen += b;
  if (seen.includes('"ready"')) { process.stdout.write(child.pid + '\\n'); seen = ''; }
});
setInterval(() => {}, 1000);
`;

for (const ipc of [false, true]) {
  test(`a node whose harness is SIGKILLed exits within 2 s even though its stdin stays open (${ipc ? 'IPC channel' : 'no IPC channel: parent pid watch'})`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hv-orphan-'));
    const fifo = join(dir, 'stdin');
    execFileSync('mkfifo', [fifo]);
    const holder = openSync(fifo, 'r+'); // both ends: the node's reads never see end-of-file
    const args = await nodeCommand(['--id', 'orphan', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0', '--seed', String(SEED)]);
    const harness = execa(process.execPath, ['--input-type=module', '-e', HARNESS, JSON.stringify({ args, ipc, fifo })], { buffer: false, reject: false, timeout: 30_000 });
    let nodePid = 0;
    t.teardown(async () => {
      harness.kill('SIGKILL');
      if (nodePid > 0 && !ended(nodePid)) process.kill(nodePid, 'SIGKILL');
      await harness;
      closeSync(holder);
      rmSync(dir, { recursive: true, force: true });
    });
    nodePid = await new Promise<number>((resolve, reject) => {
      createInterface({ input: harness.stdout! }).once('line', (l) => resolve(Number(l)));
      void harness.then((r) => reject(new Error(`the harness exited first: ${r.exitCode}`)));
    });
    t.true(nodePid > 0);
    t.false(ended(nodePid), 'the node is up');
    harness.kill('SIGKILL');
    await harness;
    const ms = await msUntilEnded(nodePid, 5000);
    t.log(`node exited ${ms.toFixed(0)} ms after its harness was killed`);
    t.true(ms < 2000, `the node outlived its harness by ${ms} ms`);
  });
}

test('a node whose stdout reader is gone exits at its next log line instead of logging into a broken pipe', async (t) => {
  // --contact to a closed port: the node logs "join failed" 0.2, 0.6, 1.4 s... after it starts.
  const closed = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => closed.once('listening', r));
  const deadPort = (closed.address() as net.AddressInfo).port;
  closed.close();
  const node = await spawnNode(t, ['--id', 'epipe', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0', '--contact', `127.0.0.1:${deadPort}`, '--seed', String(SEED)]);
  node.proc.stdout!.destroy();
  const ms = await msUntilEnded(node.proc.pid!, 5000);
  t.log(`exited ${ms.toFixed(0)} ms after its stdout reader went`);
  t.true(ms < 4000, 'the node kept running with a broken stdout');
});
