// The optional cluster secret: nodes that hold it form an overlay; a node without it, or with
// another, cannot join or pass for a member, whichever side of the connection it is on.
import test from 'ava';
import { encodeFrame } from '../../harness/node/codec.ts';
import type { NodeConfigInput } from '../../harness/node/config.ts';
import type { HyParViewNode } from '../../harness/node/node.ts';
import { rawConnect, startInProcess, waitFor } from './helpers.ts';

const SECRET = 'correct horse battery staple';
const BASE: NodeConfigInput = { protocol: { activeSize: 3, passiveSize: 6 }, shufflePeriodMs: 300, neighborTimeoutMs: 300, helloTimeoutMs: 1000, keepaliveIntervalMs: 200, keepaliveTimeoutMs: 600 };
const WITH_SECRET: NodeConfigInput = { ...BASE, clusterSecret: SECRET };

const rejected = (n: HyParViewNode, reason: string): number => n.view().counters.framesRejected[reason] ?? 0;

test('nodes holding the secret form an overlay and a broadcast reaches them all', async (t) => {
  const [a, b, c] = await Promise.all(['s1', 's2', 's3'].map((id, i) => startInProcess(t, id, 700 + i, WITH_SECRET)));
  t.is(await b!.join(a!.advertised), 's1');
  t.is(await c!.join(a!.advertised), 's1');
  await waitFor('every node to have an active neighbour', 3000, () => [a, b, c].every((n) => n!.view().active.length > 0));
  const id = c!.broadcast(Buffer.from('members only'))!;
  await waitFor('the broadcast to reach everyone', 3000, () => [a, b].every((n) => n!.hasDelivered(id)));
  t.is(rejected(a!, 'auth'), 0);
});

for (const [what, config] of [
  ['no secret', BASE],
  ['another secret', { ...BASE, clusterSecret: 'a different secret, 16+ chars' }],
] as const) {
  test(`a node with ${what} cannot join a node that has one, nor be joined by it`, async (t) => {
    const member = await startInProcess(t, 'm1', 710, WITH_SECRET);
    const outsider = await startInProcess(t, 'x1', 711, config);
    // Outsider dials the member: the member waits for a proof that never comes, or the outsider finds the member's wrong.
    await outsider.join(member.advertised).catch(() => undefined);
    await waitFor('one side to refuse the other', 2000, () => rejected(member, 'auth') + rejected(outsider, 'auth') > 0);
    await waitFor('the outsider to lose its link', 2000, () => outsider.view().active.length === 0);
    t.deepEqual(member.view().active, []);
    // The member dials the outsider: the outsider's HELLO carries no proof (or a wrong one).
    const refusedBefore = rejected(member, 'auth');
    await t.throwsAsync(member.join(outsider.advertised));
    t.is(rejected(member, 'auth'), refusedBefore + 1);
    t.deepEqual(member.view().active, []);
  });
}

test("a raw client claiming a member's id without the secret is cut before any frame it sends reaches the protocol", async (t) => {
  const member = await startInProcess(t, 'm2', 720, WITH_SECRET);
  const before = member.view().counters.received;
  const impostor = await rawConnect(member.advertised);
  impostor.send({ t: 'hello', peer: { id: 's1', addr: '127.0.0.1:9' }, nonce: Buffer.alloc(16, 1) });
  impostor.send({ t: 'auth', proof: Buffer.alloc(32, 2) });
  impostor.send(encodeFrame({ t: 'join' }));
  await impostor.closed;
  t.true(rejected(member, 'auth') >= 1);
  t.deepEqual(member.view().counters.received, before);
  t.deepEqual(member.view().active, []);
  // Skipping AUTH altogether fares no better.
  const rude = await rawConnect(member.advertised);
  rude.send({ t: 'hello', peer: { id: 's3', addr: '127.0.0.1:9' }, nonce: Buffer.alloc(16, 3) });
  rude.send(encodeFrame({ t: 'join' }));
  await rude.closed;
  t.deepEqual(member.view().active, []);
});
