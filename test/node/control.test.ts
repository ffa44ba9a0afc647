// The control API against web pages and floods: a node and its control API in this process on
// 127.0.0.1, called with raw HTTP (node:http, so that Host, Origin and methods are ours to set)
// and raw TCP.
import http from 'node:http';
import type { ExecutionContext } from 'ava';
import test from 'ava';
import pino from 'pino';
import { startControl } from '../../harness/node/control.ts';
import type { NodeConfigInput } from '../../harness/node/config.ts';
import type { HyParViewNode } from '../../harness/node/node.ts';
import { rawConnect, startInProcess, waitFor } from './helpers.ts';

const SEED = 4242;
const CONFIG: NodeConfigInput = { shufflePeriodMs: 3_600_000, logLevel: 'silent' };
const JSON_TYPE = { 'content-type': 'application/json' };

interface Api {
  readonly node: HyParViewNode;
  /** HOST:PORT of the control API. */
  readonly control: string;
  /** How many times POST /leave reached onLeave. */
  readonly left: () => number;
}

async function startApi(t: ExecutionContext, id = 'c1', config: NodeConfigInput = CONFIG): Promise<Api> {
  const node = await startInProcess(t, id, SEED, config);
  let left = 0;
  const api = await startControl(node, { listen: { host: '127.0.0.1', port: 0 }, token: undefined, log: pino({ level: 'silent' }), onLeave: () => left++ });
  t.teardown(() => api.close());
  return { node, control: api.address, left: () => left };
}

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: any;
}

/** One request on a fresh connection; `headers` may set Host, Origin, anything. */
function request(control: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: string | object } = {}): Promise<Answer> {
  const [host, port] = [control.slice(0, control.lastIndexOf(':')), Number(control.slice(control.lastIndexOf(':') + 1))];
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, agent: false, headers: opts.headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const post = (control: string, path: string, body: object, headers: Record<string, string> = {}): Promise<Answer> => request(control, 'POST', path, { headers: { ...JSON_TYPE, ...headers }, body });

test('a POST /leave from a foreign Origin (a web page) is refused 403, and the node stays up', async (t) => {
  const { control, left } = await startApi(t);
  // What a page's fetch(..., {mode: 'no-cors', method: 'POST', body: '{}'}) sends: text/plain and its Origin.
  const page = await request(control, 'POST', '/leave', { headers: { origin: 'http://evil.example', 'content-type': 'text/plain;charset=UTF-8' }, body: '{}' });
  t.is(page.status, 403);
  t.regex(page.body.error, /Origin "http:\/\/evil\.example"/);
  // Even with the right content type, and for an opaque origin or a Sec-Fetch-Site without Origin.
  t.is((await post(control, '/leave', {}, { origin: 'http://evil.example' })).status, 403);
  t.is((await post(control, '/leave', {}, { origin: 'null' })).status, 403);
  t.is((await post(control, '/leave', {}, { origin: `http://localhost:1` })).status, 403);
  t.is((await post(control, '/leave', {}, { 'sec-fetch-site': 'cross-site' })).status, 403);
  t.is(left(), 0, 'onLeave ran');
  t.like((await request(control, 'GET', '/healthz')).body, { ok: true, id: 'c1' });
  // Its own origin (a page served by the API itself) and no Origin at all (curl, Node) pass.
  t.is((await request(control, 'GET', '/healthz', { headers: { origin: `http://${control}`, 'sec-fetch-site': 'same-origin' } })).status, 200);
  t.is((await post(control, '/leave', {})).status, 202);
  await waitFor('onLeave', 1000, () => left() === 1, 10);
});

test('a POST that is not content-type application/json is refused 415', async (t) => {
  const { control, node } = await startApi(t);
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
    const r = await request(control, 'POST', '/broadcast', { headers: { 'content-type': type }, body: '{"payload":"x"}' });
    t.is(r.status, 415, type);
    t.regex(r.body.error, /application\/json/);
  }
  t.is((await request(control, 'POST', '/broadcast', { body: '{"payload":"x"}' })).status, 415, 'no content type');
  t.is(node.view().counters.broadcast.originated, 0);
  const ok = await request(control, 'POST', '/broadcast', { headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: '{"payload":"x"}' });
  t.is(ok.status, 200);
  t.is(ok.body.ids.length, 1);
});

test('a Host that is not loopback is refused (DNS rebinding); loopback names pass', async (t) => {
  const { control, node } = await startApi(t);
  const port = control.slice(control.lastIndexOf(':') + 1);
  for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `[::2]:${port}`, `10.0.0.1:${port}`]) {
    const r = await request(control, 'GET', '/state', { headers: { host } });
    t.is(r.status, 421, host);
    t.regex(r.body.error, /not a loopback host/);
  }
  t.is((await post(control, '/dial', { peer: 'n2', address: '127.0.0.1:9' }, { host: `evil.example:${port}` })).status, 421);
  t.deepEqual(node.view().dial, {});
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `127.1.2.3:${port}`, 'localhost']) {
    t.is((await request(control, 'GET', '/healthz', { headers: { host } })).status, 200, host);
  }
});

test('a wrong method on a known path is 405 with Allow; an unknown path is 404', async (t) => {
  const { control, left } = await startApi(t);
  const put = await request(control, 'PUT', '/leave', { headers: JSON_TYPE, body: '{}' });
  t.is(put.status, 405);
  t.is(put.headers.allow, 'POST');
  t.is((await request(control, 'GET', '/leave')).status, 405);
  const state = await post(control, '/state', {});
  t.is(state.status, 405);
  t.is(state.headers.allow, 'GET, HEAD');
  const dial = await request(control, 'DELETE', '/dial');
  t.is(dial.status, 405);
  t.is(dial.headers.allow, 'GET, HEAD, POST');
  t.is((await request(control, 'PUT', '/broadcasts/x')).headers.allow, 'GET, HEAD');
  t.is((await request(control, 'GET', '/nope')).status, 404);
  t.is((await post(control, '/nope', {})).status, 404);
  t.is((await request(control, 'HEAD', '/healthz')).status, 200);
  t.is(left(), 0);
});

test('a bad percent-escape in /broadcasts/:id is 400, not 500', async (t) => {
  const { control } = await startApi(t);
  const r = await request(control, 'GET', '/broadcasts/%E0%A4%A');
  t.is(r.status, 400);
  t.regex(r.body.error, /percent-escape/);
  t.deepEqual((await request(control, 'GET', '/broadcasts/a%20b')).body, { delivered: false });
});

test('a payload whose broadcast frame would exceed maxFrameBytes is refused 413, naming the max payload', async (t) => {
  const maxFrameBytes = 4096;
  const { control, node } = await startApi(t, 'c1', { ...CONFIG, maxFrameBytes });
  const first = await post(control, '/broadcast', { payload: 'x' });
  t.is(first.status, 200);
  // What the wire would carry after the u32 length: version, type, id length, id, payload.
  const idBytes = Buffer.byteLength(first.body.ids[0]); // the next id (sequence 2) is as long
  const justOver = maxFrameBytes - 3 - idBytes + 1;
  const r = await post(control, '/broadcast', { payload: 'y'.repeat(justOver) });
  t.is(r.status, 413);
  const max = Number(/at most (\d+) bytes/.exec(r.body.error)?.[1]);
  t.true(max > 0 && max < justOver, r.body.error);
  t.is((await post(control, '/broadcast', { payload: 'y'.repeat(max + 1) })).status, 413);
  t.is((await post(control, '/broadcast', { payload: 'y'.repeat(max) })).status, 200);
  // Multi-byte characters count as bytes.
  t.is((await post(control, '/broadcast', { payload: 'é'.repeat(Math.ceil((max + 1) / 2)) })).status, 413);
  t.is(node.view().counters.broadcast.originated, 2);
});

test('a burst beyond what the write buffer can take is refused 429 (not 200), and the link lives on', async (t) => {
  const { control, node: a } = await startApi(t, 'a');
  const b = await startInProcess(t, 'b', SEED + 1, CONFIG);
  await a.join(b.advertised);
  await waitFor('a and b to be neighbours', 2000, () => a.view().active.includes('b') && b.view().active.includes('a'), 10);
  const payload = 'z'.repeat(6 * 1024);
  const burst = await post(control, '/broadcast', { payload, count: 10_000 });
  t.is(burst.status, 429);
  t.is(burst.headers['retry-after'], '1');
  const fits = Number(/send at most (\d+) at once/.exec(burst.body.error)?.[1]);
  t.true(fits > 0 && fits < 10_000, burst.body.error);
  t.is(a.view().counters.broadcast.originated, 0);
  // What it says fits is accepted and delivered, over a link that stays up.
  const ok = await post(control, '/broadcast', { payload, count: fits });
  t.is(ok.status, 200);
  t.is(ok.body.ids.length, fits);
  await waitFor('b to deliver the accepted burst', 5000, () => b.hasDelivered(ok.body.ids[fits - 1]), 10);
  t.true(a.view().active.includes('b'));
  t.deepEqual(a.view().counters.linkDowns, {});
});

test('a client sending its headers byte by byte is cut within ~6 s (5 s header timeout, checked every second)', async (t) => {
  t.timeout(20_000);
  const { control } = await startApi(t);
  const client = await rawConnect(control);
  client.send(Buffer.from('GET /state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
  const drip = setInterval(() => client.socket.writable && client.socket.write('a'), 200);
  t.teardown(() => clearInterval(drip));
  const took = await Promise.race([client.closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 7_500))]);
  client.socket.destroy();
  t.true(took <= 7_500, `still open after ${took} ms`);
  t.true(took >= 4_500, `closed after only ${took} ms`);
  t.log(`closed after ${took.toFixed(0)} ms`);
});

test(`more than 16 requests in progress at once: the next is answered 503`, async (t) => {
  const { control } = await startApi(t);
  // Each holds a request in progress: headers sent, its body never finished.
  const holders = await Promise.all(
    Array.from({ length: 16 }, async () => {
      const c = await rawConnect(control);
      c.send(Buffer.from(`POST /broadcast HTTP/1.1\r\nHost: ${control}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`));
      return c;
    }),
  );
  await new Promise((r) => setTimeout(r, 200));
  const busy = await request(control, 'GET', '/healthz');
  t.is(busy.status, 503);
  t.is(busy.headers['retry-after'], '1');
  for (const c of holders) c.socket.destroy();
  await waitFor('the API to answer again', 2000, async () => (await request(control, 'GET', '/healthz')).status === 200, 20);
  t.pass();
});

test('POST /dial answers with the entry it set; GET /dial returns the map', async (t) => {
  const { control } = await startApi(t);
  t.deepEqual((await post(control, '/dial', { peer: 'n2', address: '127.0.0.1:9' })).body, { peer: 'n2', address: '127.0.0.1:9' });
  t.deepEqual((await post(control, '/dial', { peer: 'n3', address: '127.0.0.1:10' })).body, { peer: 'n3', address: '127.0.0.1:10' });
  t.deepEqual((await request(control, 'GET', '/dial')).body, { n2: '127.0.0.1:9', n3: '127.0.0.1:10' });
  t.deepEqual((await post(control, '/dial', { peer: 'n2', address: null })).body, { peer: 'n2', address: null });
  t.deepEqual((await request(control, 'GET', '/dial')).body, { n3: '127.0.0.1:10' });
});
