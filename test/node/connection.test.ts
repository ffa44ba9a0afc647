// One connection's input must never reach the process: if handling a frame throws (a bug the
// peer's input found), that connection closes as 'internal-error' and the others carry on.
import net from 'node:net';
import test from 'ava';
import { type CloseInfo, Connection, type ConnectionLimits } from '../../harness/node/connection.ts';
import { rawConnect } from './helpers.ts';

const LIMITS: ConnectionLimits = {
  maxFrameBytes: 65_536,
  helloTimeoutMs: 2000,
  frameTimeoutMs: 2000,
  maxWriteBufferBytes: 1 << 20,
  keepaliveIntervalMs: 0,
  keepaliveTimeoutMs: 0,
};

test('a frame whose handling throws closes only its own connection, as internal-error; the next connection is served', async (t) => {
  const closed: Array<{ peer: string | undefined; info: CloseInfo }> = [];
  const delivered: string[] = [];
  const server = net.createServer((socket) => {
    new Connection(socket, 'in', { id: 'n1', addr: '127.0.0.1:1' }, LIMITS, {
      hello: () => null,
      message: (c, m) => {
        if (m.t === 'disconnect') throw new Error('a handler bug');
        delivered.push(`${c.peer!.id}:${m.t}`);
      },
      closed: (c, info) => void closed.push({ peer: c.peer?.id, info }),
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const addr = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  const bad = await rawConnect(addr);
  bad.send({ t: 'hello', peer: { id: 'bad', addr: '127.0.0.1:9' } });
  bad.send({ t: 'disconnect' });
  bad.send({ t: 'join' });
  await bad.closed;

  const good = await rawConnect(addr);
  t.teardown(() => good.socket.destroy());
  good.send({ t: 'hello', peer: { id: 'good', addr: '127.0.0.1:9' } });
  good.send({ t: 'join' });
  for (let i = 0; i < 50 && !delivered.includes('good:join'); i++) await new Promise((r) => setTimeout(r, 20));

  t.deepEqual(delivered, ['good:join'], 'nothing after the throwing frame was handled; the next connection was');
  t.is(closed.length, 1);
  t.is(closed[0]!.peer, 'bad');
  t.like(closed[0]!.info, { code: 'internal-error', failure: true });
  t.regex(closed[0]!.info.message, /handling disconnect: Error: a handler bug/);
});
