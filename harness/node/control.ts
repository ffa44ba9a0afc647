// The control API, plain HTTP + JSON:
//   GET  /state            views, pending request, counters (NodeView)
//   GET  /healthz          {"ok":true,"id":...}
//   GET  /metrics          Prometheus text
//   GET  /broadcasts/:id   {"delivered":bool}: whether this node delivered that message
//   GET  /dial             the dial map
//   POST /join       {"contact":"HOST:PORT"}
//   POST /broadcast  {"payload":"text","count"?:n}   → {"ids":[...]}
//   POST /dial       {"peer":"n2","address":"HOST:PORT"|null} → {"peer":"n2","address":...}
//   POST /leave      stops the node (peers see its links break, as for a crash)
// Loopback by default; any other bind address requires a bearer token (checked by the caller
// that builds the config), and a token, once set, is required on every route.
//
// Safe from web pages in a local browser (CSRF, DNS rebinding): on a loopback listener the Host
// header must name a loopback host (else 421); a request with an Origin other than
// http://<Host>, or with Sec-Fetch-Site other than same-origin/none, is refused (403); a POST
// must say `content-type: application/json` (415), which a page cannot send cross-origin
// without a CORS preflight, and no CORS header is ever sent. Wrong method 405 (with Allow),
// unknown path 404, bad escapes 400, more than MAX_IN_PROGRESS requests at once 503.
// POST /broadcast refuses what it cannot deliver: a frame over maxFrameBytes (413) or a burst
// over BROADCAST_BUDGET_SHARE of the write buffer a peer link may hold (429).
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort, isLoopback, isNodeId, parseHostPort } from './address.ts';
import { BROADCAST_OVERHEAD, HEADER_BYTES } from './codec.ts';
import type { HyParViewNode } from './node.ts';

export interface ControlOptions {
  readonly listen: HostPort;
  readonly token: string | undefined;
  readonly log: Logger;
  /** Called after POST /leave has been answered. */
  readonly onLeave: () => void;
}

export interface ControlServer {
  readonly address: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const MAX_BROADCAST_COUNT = 10_000;
/** Requests being handled at once; more are answered 503. */
export const MAX_IN_PROGRESS = 16;
/** Share of limits.maxWriteBufferBytes one POST /broadcast may fill on each peer link. */
export const BROADCAST_BUDGET_SHARE = 1 / 2;
/** The share when some link already has unsent bytes (the node does not say how many). */
export const BACKLOGGED_BUDGET_SHARE = 1 / 4;
/** Ids are `${name}-${base36 ms}-${seq}`: the name, 1 + 10 + 1 + 16 bytes at most. */
const idBytesBound = (name: string): number => Buffer.byteLength(name) + 28;

const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** How often Node checks those two timeouts (its default, 30 s, would hold a slow client ~30 s). */
const TIMEOUT_CHECK_MS = 1_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Reply = [status: number, body: unknown, type?: string];
type Handler = (node: HyParViewNode, req: http.IncomingMessage, url: URL, opts: ControlOptions) => Promise<Reply> | Reply;

export async function startControl(node: HyParViewNode, opts: ControlOptions): Promise<ControlServer> {
  const token = opts.token === undefined ? undefined : Buffer.from(`Bearer ${opts.token}`);
  const authorized = (req: http.IncomingMessage): boolean => {
    if (!token) return true;
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === token.length && timingSafeEqual(got, token);
  };
  const loopbackOnly = isLoopback(opts.listen.host);
  let inProgress = 0;

  const server = http.createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_MS, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    const send = (status: number, body: unknown, type = 'application/json', headers: Record<string, string> = {}): void => {
      const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : String(body);
      res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const fail = (e: HttpError): void => {
      // An unread body would be parsed as the next request: close such a connection instead.
      if (!req.complete) res.setHeader('connection', 'close');
      send(e.status, { error: e.message }, 'application/json', e.headers);
    };
    if (inProgress >= MAX_IN_PROGRESS) {
      return fail(new HttpError(503, `more than ${MAX_IN_PROGRESS} control requests in progress`, { 'retry-after': '1' }));
    }
    inProgress++;
    res.once('close', () => inProgress--);
    try {
      checkCaller(req, loopbackOnly);
    } catch (e) {
      return fail(e as HttpError);
    }
    if (!authorized(req)) return fail(new HttpError(401, 'missing or wrong bearer token'));
    Promise.resolve()
      .then(() => route(node, req, opts))
      .then(([status, body, type]) => send(status, body, type))
      .catch((e: unknown) => {
        if (e instanceof HttpError) return fail(e);
        opts.log.error({ err: (e as Error).message, url: req.url }, 'control request failed');
        send(500, { error: (e as Error).message });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.listen.host, port: opts.listen.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: formatHostPort(opts.listen.host, bound.port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The host of a Host header (`h`, `h:port`, `[v6]`, `[v6]:port`), lower case, or undefined. */
function hostOf(header: string): string | undefined {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/i.exec(header);
  return (m?.[1] ?? m?.[2])?.toLowerCase();
}

/** Throws unless the request can come from this machine's tools rather than a web page. */
function checkCaller(req: http.IncomingMessage, loopbackOnly: boolean): void {
  const host = req.headers.host ?? '';
  if (loopbackOnly) {
    const name = hostOf(host);
    if (name === undefined || !isLoopback(name)) {
      throw new HttpError(421, `Host ${JSON.stringify(host)} is not a loopback host (127.x.x.x, localhost, [::1]): refused, as DNS rebinding would send it`);
    }
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let same = false;
    try {
      same = new URL(origin).origin === new URL(`http://${host}`).origin;
    } catch {
      // "null" or garbage: not the same origin
    }
    if (!same) throw new HttpError(403, `cross-origin request refused: Origin ${JSON.stringify(origin)} is not http://${host}`);
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, `cross-origin request refused: Sec-Fetch-Site ${site}`);
  }
}

const GET_ROUTES = new Map<string, Handler>([
  ['/healthz', (node) => [200, { ok: true, id: node.name }]],
  ['/state', (node) => [200, node.view()]],
  ['/metrics', async (node) => [200, await node.metrics.text(), node.metrics.registry.contentType]],
  ['/dial', (node) => [200, node.view().dial]],
]);
const POST_ROUTES = new Map<string, Handler>([
  ['/join', postJoin],
  ['/broadcast', postBroadcast],
  ['/dial', postDial],
  [
    '/leave',
    (_node, _req, _url, opts) => {
      setImmediate(opts.onLeave);
      return [202, { left: true }];
    },
  ],
]);
const BROADCASTS = '/broadcasts/';

function parseUrl(raw: string): URL {
  try {
    // "//x" is a path here, not a host.
    return raw.startsWith('/') ? new URL(`http://control${raw}`) : new URL(raw);
  } catch {
    throw new HttpError(400, 'malformed request target');
  }
}

async function route(node: HyParViewNode, req: http.IncomingMessage, opts: ControlOptions): Promise<Reply> {
  const url = parseUrl(req.url ?? '/');
  const path = url.pathname;
  const get: Handler | undefined = path.startsWith(BROADCASTS) && path.length > BROADCASTS.length ? getBroadcast : GET_ROUTES.get(path);
  const post = POST_ROUTES.get(path);
  if (!get && !post) throw new HttpError(404, `no route ${path}`);
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const handler = method === 'GET' ? get : method === 'POST' ? post : undefined;
  if (!handler) {
    const allow = [...(get ? ['GET', 'HEAD'] : []), ...(post ? ['POST'] : [])].join(', ');
    throw new HttpError(405, `${req.method} not allowed on ${path} (allowed: ${allow})`, { allow });
  }
  if (method === 'POST') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(415, `POST needs "content-type: application/json", got ${JSON.stringify(req.headers['content-type'] ?? '')}`);
  }
  return handler(node, req, url, opts);
}

function getBroadcast(node: HyParViewNode, _req: http.IncomingMessage, url: URL): Reply {
  let id: string;
  try {
    id = decodeURIComponent(url.pathname.slice(BROADCASTS.length));
  } catch {
    throw new HttpError(400, 'message id: bad percent-escape');
  }
  return [200, { delivered: node.hasDelivered(id) }];
}

async function postJoin(node: HyParViewNode, req: http.IncomingMessage): Promise<Reply> {
  const body = await readJson(req);
  const contact = stringField(body, 'contact');
  try {
    parseHostPort(contact);
  } catch (e) {
    throw new HttpError(400, `contact: ${(e as Error).message}`);
  }
  try {
    return [200, { contact: await node.join(contact) }];
  } catch (e) {
    throw new HttpError(502, (e as Error).message);
  }
}

async function postBroadcast(node: HyParViewNode, req: http.IncomingMessage): Promise<Reply> {
  const body = await readJson(req);
  const payload = Buffer.from(stringField(body, 'payload'), 'utf8');
  const count = body.count ?? 1;
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_BROADCAST_COUNT) {
    throw new HttpError(400, `count must be an integer from 1 to ${MAX_BROADCAST_COUNT}`);
  }
  const n = count as number;
  const { limits, inFlight } = node.view();
  const idBytes = idBytesBound(node.name);
  // maxFrameBytes bounds what follows the u32 length.
  const framePayloadMax = limits.maxFrameBytes - (BROADCAST_OVERHEAD - HEADER_BYTES) - idBytes;
  const budget = Math.floor(limits.maxWriteBufferBytes * (inFlight > 0 ? BACKLOGGED_BUDGET_SHARE : BROADCAST_BUDGET_SHARE));
  const maxPayload = Math.min(framePayloadMax, budget - BROADCAST_OVERHEAD - idBytes);
  if (payload.length > maxPayload) {
    const why = maxPayload === framePayloadMax ? `maxFrameBytes ${limits.maxFrameBytes}` : `${budget} bytes of write buffer per request`;
    throw new HttpError(413, `payload of ${payload.length} bytes: at most ${Math.max(0, maxPayload)} bytes fit (${why})`);
  }
  const frameBytes = BROADCAST_OVERHEAD + idBytes + payload.length;
  if (n * frameBytes > budget) {
    const fits = Math.floor(budget / frameBytes);
    const backlog = inFlight > 0 ? `, ${inFlight} link(s) still have unsent bytes` : '';
    throw new HttpError(
      429,
      `${n} messages of ${frameBytes} frame bytes would not fit the write buffer (${budget} bytes per request${backlog}): send at most ${fits} at once, then wait for them to drain`,
      { 'retry-after': '1' },
    );
  }
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = node.broadcast(payload);
    if (id === null) {
      if (ids.length === 0) throw new HttpError(429, 'the broadcast dedup window is full of messages too young to forget (broadcastCacheSize, broadcastMinHoldMs): retry later', { 'retry-after': '1' });
      break;
    }
    ids.push(id);
  }
  return [200, { ids }];
}

async function postDial(node: HyParViewNode, req: http.IncomingMessage): Promise<Reply> {
  const body = await readJson(req);
  const peer = stringField(body, 'peer');
  if (!isNodeId(peer)) throw new HttpError(400, 'peer: not a node id');
  const address = body.address;
  if (address !== null) {
    try {
      parseHostPort(stringField(body, 'address'));
    } catch (e) {
      throw new HttpError(400, `address: ${(e as Error).message}`);
    }
  }
  node.setDial(peer, address as string | null);
  return [200, { peer, address }];
}

function stringField(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string') throw new HttpError(400, `${name}: expected a string`);
  return v;
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'body must be a JSON object');
  return parsed as Record<string, unknown>;
}
