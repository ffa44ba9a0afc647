// The CLI contract other tools depend on: JSON shapes, exit codes 0/1/2, replay, no stack traces.
import test from 'ava';
import { execa } from 'execa';

const cli = (...args: string[]) => execa('node', ['bin/hyparview-harness.js', ...args], { reject: false, env: { CI: 'true' } });
const token = (json: string): string => Buffer.from(json).toString('base64url');

test('check --json prints one JSON object and exits 0 when every property holds', async (t) => {
  const r = await cli('check', '--nodes', '2', '--json');
  t.is(r.exitCode, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.verdict, 'pass');
  for (const key of ['strategy', 'states', 'unique', 'maxDepth', 'seconds', 'statesPerSecond', 'violations']) t.true(key in out, key);
  t.deepEqual(out.violations, []);
});

test('check exits 1 with a trace, a replay token and the reproducing command; replay reproduces it', async (t) => {
  const r = await cli('check', '--variant', 'paper', '--json');
  t.is(r.exitCode, 1);
  const out = JSON.parse(r.stdout);
  t.is(out.verdict, 'fail');
  const [v] = out.violations;
  t.is(v.property, 'active-symmetric');
  t.is(typeof v.steps, 'number');
  t.regex(out.reproduce, /^npx hyparview-harness check .*--variant paper/);
  const replay = await cli('replay', v.replay);
  t.is(replay.exitCode, 1);
  t.regex(replay.stdout, /VIOLATED active-symmetric/);
  t.regex(replay.stdout, / 5\. deliver 0→1: FORWARD_JOIN\(new=2, ttl=3\)/);
  const json = await cli('replay', v.replay, '--json');
  t.is(JSON.parse(json.stdout).steps.length, v.steps);
});

test('human output names the mode, the seed, and the command that reproduces the run', async (t) => {
  const r = await cli('check', '--nodes', '2', '--choices', 'seeded', '--seed', '5');
  t.is(r.exitCode, 0);
  t.regex(r.stdout, /choices seeded, seed 5/);
  const reproduce = /reproduce: npx hyparview-harness (check .*)/.exec(r.stdout)?.[1];
  t.truthy(reproduce);
  t.regex(reproduce!, /--seed 5 .*--choices seeded/);
  const first = JSON.parse((await cli('check', '--nodes', '2', '--choices', 'seeded', '--seed', '5', '--json')).stdout);
  const again = JSON.parse((await cli(...reproduce!.split(' '), '--json')).stdout);
  t.is(again.unique, first.unique);
  t.is(again.states, first.states);
});

test('check says whether symmetry reduced the search; --no-symmetry turns it off and its reproduce line keeps it off', async (t) => {
  const on = await cli('check', '--nodes', '3', '--crashes', '0', '--cycles', '0');
  t.regex(on.stdout, /symmetry: on: one state per renaming of nodes 1\.\.2/);
  const off = await cli('check', '--nodes', '3', '--crashes', '0', '--cycles', '0', '--no-symmetry');
  t.regex(off.stdout, /symmetry: off: turned off \(--no-symmetry\)/);
  const reproduce = /reproduce: npx hyparview-harness (check .*)/.exec(off.stdout)![1]!;
  t.regex(reproduce, / --no-symmetry /);
  const unique = (out: string) => Number(/(\d+) unique/.exec(out)![1]);
  t.is(unique((await cli(...reproduce.split(' '))).stdout), unique(off.stdout));
  t.true(unique(on.stdout) < unique(off.stdout));
  const unsound = JSON.parse((await cli('check', '--nodes', '4', '--passive', '2', '--depth', '3', '--json')).stdout);
  t.regex(unsound.symmetryOff, /passive view of 2 can overflow with 4 nodes/);
});

test('--symmetry asks for the reduction by name: the same search as the default where it is sound, exit 2 naming why where it is not', async (t) => {
  const asked = await cli('check', '--nodes', '3', '--crashes', '0', '--cycles', '0', '--symmetry', '--json');
  const byDefault = await cli('check', '--nodes', '3', '--crashes', '0', '--cycles', '0', '--json');
  t.is(asked.exitCode, 0, asked.stderr);
  t.is(JSON.parse(asked.stdout).symmetryOff, null);
  t.is(JSON.parse(asked.stdout).unique, JSON.parse(byDefault.stdout).unique);
  for (const [args, why] of [
    [['--nodes', '4', '--passive', '2'], /--symmetry: not sound for this scenario: a passive view of 2 can overflow with 4 nodes/],
    [['--strategy', 'random'], /--symmetry: not sound for this scenario: random walks do not dedup/],
  ] as const) {
    const r = await cli('check', ...args, '--symmetry');
    t.is(r.exitCode, 2, args.join(' '));
    t.regex(r.stderr, why);
    t.notRegex(r.stderr, /\bat .*\.(ts|js):\d+/);
  }
});

for (const [args, pattern] of [
  [['check', '--nodes', 'many'], /--nodes takes a whole number/],
  [['check', '--nodes', '40'], /--nodes: must be an integer from 1 to 8/],
  [['check', '--strategy', 'astar'], /--strategy/],
  [['check', '--mutant', 'no-such-bug'], /--mutant/],
  [['check', '--active', '0'], /--active: must be at least 1/],
  [['check', '--frobnicate'], /unknown option/],
  [['check', '--workers', '2', '--strategy', 'dfs'], /--workers: more than one needs --strategy bfs/],
  [['check', '--workers', 'lots'], /--workers takes a whole number/],
  [['replay', 'not-a-token'], /not a replay token/],
  [['replay', Buffer.from('{"v":2,"o":{"nodes":2},"p":"99"}').toString('base64url')], /picks successor 99/],
  [['replay', Buffer.from('{"v":1,"o":{"nodes":2},"p":"0"}').toString('base64url')], /older checker \(version 1/],
  [['explode'], /unknown command/],
] as const) {
  test(`exit 2 and a one-line message for: ${args.join(' ')}`, async (t) => {
    const r = await cli(...args);
    t.is(r.exitCode, 2);
    t.regex(r.stderr, pattern);
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

// Found by an audit: inherited property names given as decisions, and crafted replay tokens,
// once reached JavaScript internals ("Cannot convert undefined or null to object").
for (const [args, pattern] of [
  [['check', '--decide', '__proto__=x'], /--decide __proto__: is not a known decision/],
  [['check', '--decide', 'constructor=x'], /--decide constructor: is not a known decision/],
  [['chaos', '--dry-run', '--decide', '__proto__=x'], /decisions\.__proto__: is not a known decision/],
  [['chaos', '--dry-run', '--decide', 'toString=x'], /decisions\.toString: is not a known decision/],
  // Crafted replay tokens: one line naming the token, never a JavaScript error.
  [['replay', token('null')], /token: is not a version 2 replay token/],
  [['replay', token('{"v":2,"o":null,"p":""}')], /token: is not a version 2 replay token/],
  [['replay', token('{"v":2,"o":[],"p":""}')], /token: is not a version 2 replay token/],
  [['replay', token('{"v":2,"o":{"nodes":2,"frobs":1},"p":""}')], /token: .*frobs/],
  [['replay', token('{"v":2,"o":{"__proto__":{"nodes":3}},"p":""}')], /token: .*__proto__/],
  [['replay', token('{"v":2,"o":{"nodes":2,"decisions":null},"p":""}')], /token: .*decisions/],
  [['replay', token('{"v":2,"o":{"nodes":2,"decisions":{"__proto__":"x"}},"p":""}')], /--decide __proto__: is not a known decision/],
  [['replay', token('{"v":2,"o":{"mutant":"toString"},"p":""}')], /--mutant: unknown mutant "toString"/],
  [['replay', token('{"v":2,"o":{"variant":"__proto__"},"p":""}')], /--variant: must be reference or paper/],
] as const) {
  const shown = args[0] === 'replay' ? `replay <token ${Buffer.from(args[1]!, 'base64url').toString('utf8')}>` : args.join(' ');
  test(`exit 2 with one line, not a JavaScript error, for: ${shown}`, async (t) => {
    const r = await cli(...args);
    t.is(r.exitCode, 2, r.stderr);
    t.regex(r.stderr, pattern);
    t.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    t.notRegex(r.stderr, /Cannot (read|convert)|TypeError|of null|of undefined/, 'no JavaScript internals');
  });
}

test('mutants --json reports caught mutants with property, steps and time', async (t) => {
  const r = await cli('mutants', '--only', 'evict-without-disconnect', 'merge-self-into-passive', '--json');
  t.is(r.exitCode, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.total, 2);
  t.is(out.caught, 2);
  for (const m of out.results) {
    t.true(m.caught);
    t.is(typeof m.property, 'string');
    t.true(m.steps > 0);
    t.is(typeof m.seconds, 'number');
  }
});

test('check --liveness names the notion, prints the point of no return and a --from command that reproduces it; bad combinations exit 2', async (t) => {
  const r = await cli('check', '--nodes', '3', '--variant', 'paper', '--liveness', '--keep-going');
  t.is(r.exitCode, 1, r.stderr);
  t.regex(r.stdout, /liveness: recoverable \(some continuation restores P\), for P in connected/);
  t.regex(r.stdout, /VIOLATED recoverable:no-isolated-node: from the state after step 7, no continuation .*the point of no return/);
  t.regex(r.stdout, /reproduce: .* --liveness recoverable/);
  // The token of that trace, as --from: the search starts there and fails at once, in 0 more steps.
  const replay = /replay: npx hyparview-harness replay (\S+)/.exec(r.stdout.slice(r.stdout.indexOf('VIOLATED recoverable:no-isolated-node')))![1]!;
  const again = await cli('check', '--liveness', '--keep-going', '--from', replay, '--json');
  t.is(again.exitCode, 1, again.stderr);
  const out = JSON.parse(again.stdout);
  t.true(out.violations.some((v: { property: string; steps: number }) => v.property === 'recoverable:no-isolated-node' && v.steps === 7));
  t.regex(out.reproduce, /--from \S+/);
  const dfs = await cli('check', '--liveness', '--strategy', 'dfs');
  t.is(dfs.exitCode, 2);
  t.regex(dfs.stderr, /liveness.*needs --strategy bfs/);
  t.notRegex(dfs.stderr, /at .*\.ts:\d+/);
  const notion = await cli('check', '--liveness', 'sometimes');
  t.is(notion.exitCode, 2);
});

test('--junit writes JUnit XML a CI system reads: one case per property, the violated one failing with its trace and replay', async (t) => {
  const { XMLParser } = await import('fast-xml-parser');
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'junit-'));
  const parse = (file: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(join(dir, file), 'utf8'));
  const fail = await cli('check', '--variant', 'paper', '--junit', join(dir, 'check.xml'));
  t.is(fail.exitCode, 1);
  const suite = parse('check.xml').testsuites.testsuite;
  const cases = suite.testcase as Array<{ name: string; failure?: { message: string; '#text': string } }>;
  t.is(Number(suite.tests), cases.length);
  t.true(cases.length >= 10, `${cases.length} cases`);
  t.is(Number(suite.failures), 1);
  const failed = cases.find((c) => c.failure)!;
  t.is(failed.name, 'active-symmetric');
  t.regex(failed.failure!['#text'], /replay: npx hyparview-harness replay \S+/);
  t.regex(failed.failure!['#text'], /reproduce: npx hyparview-harness check .*--variant paper/);
  t.true(cases.some((c) => c.name === 'connected' && !c.failure));

  const pass = await cli('check', '--nodes', '2', '--junit', join(dir, 'pass.xml'));
  t.is(pass.exitCode, 0);
  t.is(Number(parse('pass.xml').testsuites.failures), 0);

  const mutants = await cli('mutants', '--only', 'ignore-link-down', 'join-without-evict', '--junit', join(dir, 'mutants.xml'));
  t.is(mutants.exitCode, 0, mutants.stdout);
  const m = parse('mutants.xml').testsuites.testsuite;
  t.deepEqual([m.testcase].flat().map((c: { name: string }) => c.name), ['ignore-link-down', 'join-without-evict']);
  t.is(Number(m.failures), 0);

  // A missing folder is made (reports/check.xml in a fresh CI workspace); a path through a file cannot be.
  const nested = await cli('check', '--nodes', '2', '--junit', join(dir, 'reports', 'x.xml'));
  t.is(nested.exitCode, 0);
  t.is(Number(parse('reports/x.xml').testsuites.failures), 0);
  const unwritable = await cli('check', '--nodes', '2', '--junit', join(dir, 'pass.xml', 'x.xml'));
  t.is(unwritable.exitCode, 2);
  t.regex(unwritable.stderr, /--junit: cannot write .*x\.xml: a file stands where its folder should be/);
});
