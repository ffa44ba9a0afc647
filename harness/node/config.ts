// The real node's configuration: the protocol parameters (validated by the model's own
// makeConfig), the timers and the limits that keep a node alive under hostile input, and the
// dial map. Sources, later ones winning: defaults, the JSON config file, the environment.
import { readFileSync } from 'node:fs';
import { ConfigError, type HyParViewConfig, makeConfig } from '../../models/hyparview/config.ts';
import { isNodeId, parseHostPort } from './address.ts';
import { MAX_LIST, maxListFrameBytes } from './codec.ts';

export { ConfigError };

export interface NodeConfig {
  readonly protocol: HyParViewConfig;
  /** One shuffle period (the model's `shuffleTimer` input); also when promotion is retried. */
  readonly shufflePeriodMs: number;
  /** How long a NEIGHBOR request may wait for its answer (`neighborTimeout`). */
  readonly neighborTimeoutMs: number;
  /** A connection must finish its HELLO exchange (TCP connect included) within this. */
  readonly helloTimeoutMs: number;
  /** Once a frame has started, its next bytes must arrive within this (slow senders are cut). */
  readonly frameTimeoutMs: number;
  /** Every outbound connection pings its peer this often; 0 turns the keepalive off. */
  readonly keepaliveIntervalMs: number;
  /** An outbound connection whose oldest unanswered PING is this old fails (the peer is paused or blackholed). */
  readonly keepaliveTimeoutMs: number;
  /** A connection to a peer outside the active view stays open this long for reuse. */
  readonly lingerMs: number;
  readonly maxFrameBytes: number;
  /** Inbound connections held at once; more are closed on arrival. */
  readonly maxConnections: number;
  /** Inbound connections still waiting for their HELLO; a new one beyond this evicts the oldest. */
  readonly maxHandshaking: number;
  /** Outbound connections held at once (dialling or open); a send beyond this fails as a link down. */
  readonly maxOutbound: number;
  /** Outbound connections still dialling or waiting for the peer's HELLO. */
  readonly maxDialing: number;
  /** New outbound dials per second (a token bucket with one second of burst). */
  readonly maxDialsPerSecond: number;
  /** Peers (id, address) the node remembers; bounded when an id is learnt, not later. */
  readonly maxKnownPeers: number;
  /** Answers owed to us (NEIGHBOR_REPLYs to abandoned requests); past this, the oldest debtor's link is cut. */
  readonly maxAnswersOwed: number;
  /** Membership frames (JOIN .. SHUFFLE_REPLY) one connection may deliver per second, with one second of burst; past it the connection is cut. */
  readonly maxMembershipFramesPerSecond: number;
  /** Shared secret: HELLO then proves it (HMAC over the other side's fresh nonce); nodes without it cannot join. */
  readonly clusterSecret: string | undefined;
  /** Unsent bytes queued to one peer before its link is declared broken. */
  readonly maxWriteBufferBytes: number;
  /** Broadcast message ids remembered for deduplication. */
  readonly broadcastCacheSize: number;
  /** An id is remembered at least this long; a full cache of younger ids drops new messages (no storm). */
  readonly broadcastMinHoldMs: number;
  /** Outgoing link to peer id → address to dial instead of the peer's advertised one. */
  readonly dial: Readonly<Record<string, string>>;
  /** Bearer token for the control API; required when it listens beyond loopback. */
  readonly controlToken: string | undefined;
  readonly logLevel: string;
}

/** Paper parameters; timers suited to a LAN. */
export const NODE_DEFAULTS = {
  shufflePeriodMs: 5000,
  neighborTimeoutMs: 2000,
  helloTimeoutMs: 3000,
  frameTimeoutMs: 5000,
  // A paused peer or a blackholed link breaks no TCP connection; found within about 4 s.
  keepaliveIntervalMs: 1000,
  keepaliveTimeoutMs: 3000,
  lingerMs: 1000,
  maxFrameBytes: 64 * 1024,
  maxConnections: 256,
  maxHandshaking: 32,
  maxOutbound: 256,
  maxDialing: 32,
  maxDialsPerSecond: 200,
  maxKnownPeers: 4096,
  maxAnswersOwed: 64,
  maxMembershipFramesPerSecond: 200,
  maxWriteBufferBytes: 4 * 1024 * 1024,
  broadcastCacheSize: 10_000,
  broadcastMinHoldMs: 2000,
  logLevel: 'info',
} as const;

const NUMBERS = [
  ['shufflePeriodMs', 10, 3_600_000],
  ['neighborTimeoutMs', 10, 600_000],
  ['helloTimeoutMs', 10, 600_000],
  ['frameTimeoutMs', 10, 600_000],
  ['keepaliveIntervalMs', 0, 600_000],
  ['keepaliveTimeoutMs', 10, 600_000],
  ['lingerMs', 0, 600_000],
  ['maxFrameBytes', 1024, 16 * 1024 * 1024],
  ['maxConnections', 1, 65_536],
  ['maxHandshaking', 1, 65_536],
  ['maxOutbound', 1, 65_536],
  ['maxDialing', 1, 65_536],
  ['maxDialsPerSecond', 1, 1_000_000],
  ['maxKnownPeers', 64, 10_000_000],
  ['maxAnswersOwed', 1, 65_536],
  ['maxMembershipFramesPerSecond', 1, 1_000_000],
  ['maxWriteBufferBytes', 1024, 1024 * 1024 * 1024],
  ['broadcastCacheSize', 1, 10_000_000],
  ['broadcastMinHoldMs', 0, 600_000],
] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const KNOWN_KEYS = new Set<string>(['protocol', 'dial', 'controlToken', 'clusterSecret', 'logLevel', ...NUMBERS.map(([k]) => k)]);

/** The JSON a config file holds (every field optional); also what the cluster harness writes. */
export type NodeConfigInput = Partial<Omit<NodeConfig, 'protocol'>> & { protocol?: Parameters<typeof makeConfig>[0] };

export function makeNodeConfig(input: NodeConfigInput = {}): NodeConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError('config', 'must be a JSON object');
  for (const key of Object.keys(input)) if (!KNOWN_KEYS.has(key)) throw new ConfigError(key, `unknown setting; known: ${[...KNOWN_KEYS].join(', ')}`);
  const numbers = {} as Record<(typeof NUMBERS)[number][0], number>;
  for (const [key, min, max] of NUMBERS) {
    const value = input[key] ?? NODE_DEFAULTS[key];
    if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    numbers[key] = value;
  }
  if (numbers.keepaliveIntervalMs > 0 && numbers.keepaliveTimeoutMs <= numbers.keepaliveIntervalMs) {
    throw new ConfigError('keepaliveTimeoutMs', `must be greater than keepaliveIntervalMs (${numbers.keepaliveIntervalMs}), got ${numbers.keepaliveTimeoutMs}`);
  }
  const logLevel = input.logLevel ?? NODE_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('logLevel', `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const token = input.controlToken;
  if (token !== undefined && (typeof token !== 'string' || token.length < 8)) throw new ConfigError('controlToken', 'must be a string of at least 8 characters');
  const secret = input.clusterSecret;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 16)) throw new ConfigError('clusterSecret', 'must be a string of at least 16 characters');
  const protocol = makeProtocol(input.protocol);
  // The longest list we send: a SHUFFLE_REPLY answers ka + kp ids (we cap what we accept at that) with one more.
  const longestList = protocol.ka + protocol.kp + 1;
  if (longestList > MAX_LIST) throw new ConfigError('protocol.kp', `ka + kp must be at most ${MAX_LIST - 1} (a list on the wire holds ${MAX_LIST} ids), got ${longestList - 1}`);
  if (maxListFrameBytes(longestList) > numbers.maxFrameBytes) {
    throw new ConfigError('maxFrameBytes', `must be at least ${maxListFrameBytes(longestList)} to carry ka + kp + 1 = ${longestList} ids of the longest size, got ${numbers.maxFrameBytes}`);
  }
  return {
    protocol,
    ...numbers,
    dial: validateDialMap(input.dial ?? {}, 'dial'),
    controlToken: token,
    clusterSecret: secret,
    logLevel,
  };
}

function makeProtocol(input: NodeConfigInput['protocol']): HyParViewConfig {
  try {
    return makeConfig(input ?? {});
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`protocol.${e.field}`, e.message.slice(e.field.length + 2));
    throw e;
  }
}

export function validateDialMap(map: unknown, field: string): Record<string, string> {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new ConfigError(field, 'must map node ids to HOST:PORT');
  const out: Record<string, string> = {};
  for (const [id, addr] of Object.entries(map)) {
    if (!isNodeId(id)) throw new ConfigError(`${field}.${id}`, 'is not a node id (1-64 of A-Z a-z 0-9 . _ -)');
    if (typeof addr !== 'string') throw new ConfigError(`${field}.${id}`, 'must be HOST:PORT');
    try {
      parseHostPort(addr);
    } catch (e) {
      throw new ConfigError(`${field}.${id}`, (e as Error).message);
    }
    out[id] = addr;
  }
  return out;
}

/** `n2=127.0.0.1:9002,n3=127.0.0.1:9003`, the HYPARVIEW_DIAL format. */
export function parseDialList(s: string, field: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const item of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(field, `expected ID=HOST:PORT, got ${JSON.stringify(item)}`);
    map[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return validateDialMap(map, field);
}

/**
 * The file (if any), then the environment: HYPARVIEW_DIAL adds dial entries,
 * HYPARVIEW_CONTROL_TOKEN sets the token, HYPARVIEW_CLUSTER_SECRET the cluster secret,
 * HYPARVIEW_LOG_LEVEL the log level.
 */
export function loadNodeConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  let input: NodeConfigInput = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError('--config', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      input = JSON.parse(text) as NodeConfigInput;
    } catch (e) {
      throw new ConfigError('--config', `${file} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const base = makeNodeConfig(input);
  return makeNodeConfig({
    ...input,
    dial: { ...base.dial, ...(env.HYPARVIEW_DIAL ? parseDialList(env.HYPARVIEW_DIAL, 'HYPARVIEW_DIAL') : {}) },
    controlToken: env.HYPARVIEW_CONTROL_TOKEN ?? base.controlToken,
    clusterSecret: env.HYPARVIEW_CLUSTER_SECRET ?? base.clusterSecret,
    logLevel: env.HYPARVIEW_LOG_LEVEL ?? base.logLevel,
  });
}

/** A JSON settings file as written (for a harness to hand on to its nodes), validated. */
export function readNodeConfigInput(file: string): NodeConfigInput {
  let input: NodeConfigInput;
  try {
    input = JSON.parse(readFileSync(file, 'utf8')) as NodeConfigInput;
  } catch (e) {
    throw new ConfigError('--config', `cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  makeNodeConfig(input);
  return input;
}
