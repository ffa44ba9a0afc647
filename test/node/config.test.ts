// Node settings and addresses are validated where they enter, naming the bad field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { isLoopback, parseHostPort } from '../../harness/node/address.ts';
import { ConfigError, loadNodeConfig, makeNodeConfig, NODE_DEFAULTS, parseDialList } from '../../harness/node/config.ts';

const field = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.field;
    throw e;
  }
  return undefined;
};

test('defaults: paper view sizes, the reference decisions, LAN timers', (t) => {
  const c = makeNodeConfig();
  t.is(c.protocol.activeSize, 5);
  t.is(c.protocol.passiveSize, 30);
  t.is(c.shufflePeriodMs, NODE_DEFAULTS.shufflePeriodMs);
  t.deepEqual(c.dial, {});
  t.is(c.controlToken, undefined);
});

test('bad settings are rejected with the field named', (t) => {
  t.is(field(() => makeNodeConfig({ shufflePeriodMs: 0 })), 'shufflePeriodMs');
  t.is(field(() => makeNodeConfig({ maxFrameBytes: 1.5 })), 'maxFrameBytes');
  t.is(field(() => makeNodeConfig({ protocol: { activeSize: 0 } })), 'protocol.activeSize');
  t.is(field(() => makeNodeConfig({ protocol: { variant: 'nope' } })), 'protocol.variant');
  t.is(field(() => makeNodeConfig({ dial: { n2: 'nowhere' } })), 'dial.n2');
  t.is(field(() => makeNodeConfig({ controlToken: 'short' })), 'controlToken');
  t.is(field(() => makeNodeConfig({ logLevel: 'loud' })), 'logLevel');
  t.is(field(() => makeNodeConfig({ shuflePeriodMs: 5 } as never)), 'shuflePeriodMs');
});

test('keepalive: defaults of 1 s and 3 s, the timeout must exceed the interval, 0 turns it off', (t) => {
  const c = makeNodeConfig();
  t.is(c.keepaliveIntervalMs, 1000);
  t.is(c.keepaliveTimeoutMs, 3000);
  t.is(field(() => makeNodeConfig({ keepaliveIntervalMs: -1 })), 'keepaliveIntervalMs');
  t.is(field(() => makeNodeConfig({ keepaliveIntervalMs: 2.5 })), 'keepaliveIntervalMs');
  t.is(field(() => makeNodeConfig({ keepaliveTimeoutMs: 5 })), 'keepaliveTimeoutMs');
  t.is(field(() => makeNodeConfig({ keepaliveIntervalMs: 3000 })), 'keepaliveTimeoutMs');
  t.is(field(() => makeNodeConfig({ keepaliveIntervalMs: 500, keepaliveTimeoutMs: 400 })), 'keepaliveTimeoutMs');
  t.throws(() => makeNodeConfig({ keepaliveIntervalMs: 500, keepaliveTimeoutMs: 500 }), { message: /keepaliveTimeoutMs: must be greater than keepaliveIntervalMs \(500\), got 500/ });
  t.like(makeNodeConfig({ keepaliveIntervalMs: 100, keepaliveTimeoutMs: 101 }), { keepaliveIntervalMs: 100, keepaliveTimeoutMs: 101 });
  t.like(makeNodeConfig({ keepaliveIntervalMs: 0, keepaliveTimeoutMs: 10 }), { keepaliveIntervalMs: 0, keepaliveTimeoutMs: 10 });
});

test('the file, then the environment: dial entries merge, the token and log level override', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hv-config-'));
  const file = join(dir, 'node.json');
  writeFileSync(file, JSON.stringify({ protocol: { activeSize: 4 }, dial: { n2: '127.0.0.1:9002' } }));
  const c = loadNodeConfig(file, { HYPARVIEW_DIAL: 'n3=127.0.0.1:9003', HYPARVIEW_CONTROL_TOKEN: 'sekrit-token', HYPARVIEW_LOG_LEVEL: 'warn' });
  t.is(c.protocol.activeSize, 4);
  t.deepEqual(c.dial, { n2: '127.0.0.1:9002', n3: '127.0.0.1:9003' });
  t.is(c.controlToken, 'sekrit-token');
  t.is(c.logLevel, 'warn');
  t.is(field(() => loadNodeConfig(join(dir, 'missing.json'), {})), '--config');
  writeFileSync(file, '{ not json');
  t.is(field(() => loadNodeConfig(file, {})), '--config');
  t.is(field(() => parseDialList('n2', 'HYPARVIEW_DIAL')), 'HYPARVIEW_DIAL');
});

test('addresses: HOST:PORT and [IPv6]:PORT; loopback detection', (t) => {
  t.deepEqual(parseHostPort('127.0.0.1:7001'), { host: '127.0.0.1', port: 7001 });
  t.deepEqual(parseHostPort('[::1]:7001'), { host: '::1', port: 7001 });
  t.deepEqual(parseHostPort('node-3.local:80'), { host: 'node-3.local', port: 80 });
  t.deepEqual(parseHostPort('127.0.0.1:0', true), { host: '127.0.0.1', port: 0 });
  for (const bad of ['127.0.0.1', ':7001', '127.0.0.1:0', '127.0.0.1:65536', 'a b:1', '::1:7001']) t.throws(() => parseHostPort(bad), undefined, bad);
  t.true(isLoopback('127.0.0.1') && isLoopback('127.8.0.3') && isLoopback('::1') && isLoopback('localhost'));
  t.false(isLoopback('0.0.0.0') || isLoopback('10.0.0.1'));
});

test('no valid configuration can build a frame the codec cannot encode: ka + kp + 1 ids of the longest size fit a list and a frame', (t) => {
  const big = { activeSize: 255, passiveSize: 255, ka: 200, kp: 100 };
  t.throws(() => makeNodeConfig({ protocol: big }), { instanceOf: ConfigError, message: /^protocol\.kp: ka \+ kp must be at most 254/ });
  t.throws(() => makeNodeConfig({ maxFrameBytes: 1024 }), { instanceOf: ConfigError, message: /^maxFrameBytes: must be at least \d+ to carry ka \+ kp \+ 1 = 8 ids/ });
  t.notThrows(() => makeNodeConfig({ protocol: { ...big, ka: 100, kp: 100 }, maxFrameBytes: 128 * 1024 }));
});

test('addresses longer than the wire carries (255 bytes) are rejected where they enter', (t) => {
  const long = `${'a'.repeat(60)}.`.repeat(5) + 'example:1';
  t.throws(() => parseHostPort(long), { message: /longer than 255 bytes/ });
  t.throws(() => makeNodeConfig({ dial: { n2: long } }), { instanceOf: ConfigError, message: /^dial\.n2: address longer than 255 bytes/ });
});
