// The control API, plain HTTP + JSON:
//   GET  /state            views, pending request, counters (NodeView)
//   GET  /healthz          {"ok":true,"id":...}
//   GET  /metrics          Prometheus text
//   GET  /broadcasts/:id   {"delivered":bool}: whether this node delivered that message
//   GET  /dial             the dial map
//   POST /join       {"contact":"HOST:PORT"}
//   POST /broadcast  {"payload":"text","count"?:n}   → {"ids":[...]}
//   POST /dial       {"peer":"n2","address":"HOST:PORT"|null}
//   POST /leave      stops the node (peers see its links break, as for a crash)
// Loopback by default; any other bind address requires a bearer token (checked by the caller
// that builds the config), and a token, once set, is required on every route.
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort, isNodeId, parseHostPort } from './address.ts';
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

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startControl(node: HyParViewNode, opts: ControlOptions): Promise<ControlServer> {
  const token = opts.token === undefined ? undefined : Buffer.from(`Bearer ${opts.token}`);
  const authorized = (req: http.IncomingMessage): boolean => {
    if (!token) return true;
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === token.length && timingSafeEqual(got, token);
  };

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown, type = 'application/json'): void => {
      const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : String(body);
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (!authorized(req)) return send(401, { error: 'missing or wrong bearer token' });
    route(node, req, opts)
      .then(([status, body, type]) => send(status, body, type))
      .catch((e: unknown) => {
        if (e instanceof HttpError) return send(e.status, { error: e.message });
        opts.log.error({ err: (e as Error).message, url: req.url }, 'control request failed');
        send(500, { error: (e as Error).message });
      });
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
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

type Reply = [status: number, body: unknown, type?: string];

async function route(node: HyParViewNode, req: http.IncomingMessage, opts: ControlOptions): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://control');
  const key = `${req.method} ${url.pathname}`;
  if (key === 'GET /healthz') return [200, { ok: true, id: node.name }];
  if (key === 'GET /state') return [200, node.view()];
  if (key === 'GET /metrics') return [200, await node.metrics.text(), node.metrics.registry.contentType];
  if (key === 'GET /dial') return [200, node.view().dial];
  if (req.method === 'GET' && url.pathname.startsWith('/broadcasts/')) {
    return [200, { delivered: node.hasDelivered(decodeURIComponent(url.pathname.slice('/broadcasts/'.length))) }];
  }
  if (req.method !== 'POST') throw new HttpError(404, `no route ${key}`);
  const body = await readJson(req);
  switch (url.pathname) {
    case '/join': {
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
    case '/broadcast': {
      const payload = Buffer.from(stringField(body, 'payload'), 'utf8');
      const count = body.count ?? 1;
      if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_BROADCAST_COUNT) {
        throw new HttpError(400, `count must be an integer from 1 to ${MAX_BROADCAST_COUNT}`);
      }
      const ids = Array.from({ length: count as number }, () => node.broadcast(payload));
      return [200, { ids }];
    }
    case '/dial': {
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
      return [200, node.view().dial];
    }
    case '/leave':
      setImmediate(opts.onLeave);
      return [202, { left: true }];
    default:
      throw new HttpError(404, `no route ${key}`);
  }
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
