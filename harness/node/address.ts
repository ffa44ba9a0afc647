// Node ids and HOST:PORT addresses, validated wherever they enter: command line, config,
// control API and the wire.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
const HOST_RE = /^(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}$/;

export function isNodeId(s: string): boolean {
  return ID_RE.test(s);
}

/** The wire carries an address in at most 255 bytes (a u8 length). */
export const MAX_ADDRESS_BYTES = 255;

/** Parses `HOST:PORT` or `[IPv6]:PORT`; `allowZero` accepts port 0 (listen on any free port). */
export function parseHostPort(s: string, allowZero = false): HostPort {
  if (s.length > MAX_ADDRESS_BYTES) throw new Error(`address longer than ${MAX_ADDRESS_BYTES} bytes: ${JSON.stringify(s.slice(0, 40))}...`);
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || host === undefined || (m[2] !== undefined && !HOST_RE.test(host))) throw new Error(`expected HOST:PORT, got ${JSON.stringify(s)}`);
  if (port > 65535 || (port === 0 && !allowZero)) throw new Error(`port must be from ${allowZero ? 0 : 1} to 65535, got ${port}`);
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True when `host` can only be reached from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * A port free on 127.0.0.1 right now, for a listener that must keep its port across restarts
 * (or that another process binds later: Docker, toxiproxy-server). It is drawn from below the
 * kernel's ephemeral range, so the connections and `listen(0)`s of other processes running
 * meanwhile (a test suite next door) cannot take it before its owner binds it; and above the
 * fixed proxy ports of local clusters (20000 and up).
 */
export async function freeLoopbackPort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 50 && low > MIN_PICKED_PORT; attempt++) {
    const port = MIN_PICKED_PORT + Math.floor(Math.random() * (low - MIN_PICKED_PORT));
    if (await bindable(port)) return port;
  }
  return listenAnyPort();
}

const MIN_PICKED_PORT = 22_000;

function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0; // not Linux: fall back to whatever the kernel hands out
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer().once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function listenAnyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
