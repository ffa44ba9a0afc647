// The simulate and paper commands: exit codes, the reproducing command, the files written, and
// the report as a browser shows it (headless Chromium, offline).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { inspectReport } from '../../clusters/chaos/browser.ts';
import type { PaperReport } from '../../harness/sim/report.ts';

const cli = (...args: string[]) => execa('node', ['bin/hyparview-harness.js', ...args], { reject: false, env: { CI: 'true' } });

test('simulate prints its result and the command that reproduces it; that command gives the same output', async (t) => {
  const r = await cli('simulate', '--nodes', '300', '--cycles', '5', '--fail', '40', '--seed', '9');
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /hyparview, 300 nodes, seed 9, 5 cycles, 40\.00% failed/);
  t.regex(r.stdout, /after the failure of 120 nodes: 100 messages/);
  const reproduce = /reproduce: npx hyparview-harness (simulate .*)/.exec(r.stdout)?.[1];
  t.is(reproduce, 'simulate --protocol hyparview --nodes 300 --fail 40 --cycles 5 --seed 9');
  const again = await cli(...reproduce!.split(' '));
  t.is(again.stdout, r.stdout);
});

test('simulate --json is one object; a bug in the node fails with exit 1, naming the property and the cycle', async (t) => {
  const r = await cli('simulate', '--protocol', 'cyclon', '--nodes', '200', '--cycles', '3', '--fail', '50', '--json');
  t.is(r.exitCode, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.options.protocol, 'cyclon');
  t.is(out.afterFailure.failed, 100);
  t.is(out.afterFailure.messages.length, 100);
  const bug = await cli('simulate', '--nodes', '200', '--cycles', '3', '--mutant', 'join-without-evict', '--seed', '5');
  t.is(bug.exitCode, 1, bug.stderr);
  t.regex(bug.stdout, /VIOLATED view-bounds at cycle \d+: node \d+ has \d+ active peers \[[\d,]+\], more than 5/);
  t.is(bug.stdout.match(/VIOLATED view-bounds/g)?.length, 1, 'a property is reported once, at its first break');
  t.regex(bug.stdout, /FAIL: \d+ violation\(s\) \(seed 5\)/);
  t.regex(bug.stdout, /reproduce: npx hyparview-harness simulate .* --seed 5 --mutant join-without-evict/);
});

test('simulate: bad flags exit 2 with one line naming the flag', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--protocol', 'gossipsub'], /--protocol: unknown protocol "gossipsub"; known: hyparview, cyclon, scamp/],
    [['--fail', '100'], /--fail: expected a percentage from 0 to below 100, got "100"/],
    [['--nodes', '1'], /--nodes: expected a whole number from 2 to/],
    [['--latency', '5'], /--latency: expected MIN-MAX milliseconds/],
    [['--latency', '5-900'], /--latency: a round trip \(1800 ms\) must be shorter than a cycle \(1000 ms\)/],
    [['--latency', '300-400'], /--latency: a round trip \(800 ms\) must be shorter than HyParView's NEIGHBOR timeout \(500 ms\)/],
    [['--messages', '200', '--heal-cycles', '5'], /--heal-cycles: must cover the 200 messages at 10 a cycle \(at least 20\), got 5/],
    [['--bootstrap', 'later'], /--bootstrap: expected sequential or at-once/],
    [['--mutant', 'nope'], /--mutant: unknown mutant "nope"/],
    [['--shards', '0'], /--shards: expected a whole number from 1 to 16, got "0"/],
    [['--shards', '2', '--latency', '0-50'], /--shards: .* with 2 shards the latency must be at least 1 ms, got 0-50/],
  ];
  for (const [args, message] of cases) {
    const r = await cli('simulate', '--nodes', '50', '--cycles', '1', ...args);
    t.is(r.exitCode, 2, args.join(' '));
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.notRegex(r.stderr, /\n\s+at /);
  }
});

test('paper writes results.json and a report.html whose plots all draw, offline and without page errors', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'paper-'));
  const r = await cli('paper', '--out', out, '--nodes', '200', '--seeds', '4', '--cycles', '5', '--fail-levels', '0,50,90', '--churn', '5', '--workers', '2', '--junit', join(out, 'junit.xml'));
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^failed\s+hyparview rel\s+healed\s+cyclon rel/m);
  t.regex(r.stdout, /average shortest path .* 6\.39$/m);
  t.regex(r.stdout, /reproduce: npx hyparview-harness paper --out .* --nodes 200 --seeds 4 --fail-levels 0,50,90 --churn 5 --cycles 5/);
  const report = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as PaperReport;
  t.deepEqual(Object.keys(report.protocols), ['hyparview', 'cyclon', 'scamp']);
  t.is(report.protocols.hyparview!.levels.length, 3);
  t.is(report.jobs.length, 6); // three protocols × one seed, and each one's all-at-once bootstrap
  const { XMLParser } = await import('fast-xml-parser');
  const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(join(out, 'junit.xml'), 'utf8')).testsuites;
  t.is(Number(junit.failures), 0);
  t.true(Number(junit.tests) >= 10);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  t.false(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html), 'the page references nothing outside itself');
  const page = await inspectReport(join(out, 'report.html'));
  t.deepEqual(page.consoleErrors, []);
  // reliability, first message, two healing plots, 50% and 90% message by message, in-degree, churn
  t.is(page.plots, 8);
  t.is(page.nonBlankPlots, page.plots);
});

test('paper: a bad flag exits 2, and an --out that cannot be created is named', async (t) => {
  const bad = await cli('paper', '--protocols', 'hyparview,plumtree');
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /--protocols: unknown protocol "plumtree"/);
  const file = join(mkdtempSync(join(tmpdir(), 'paper-')), 'file');
  await execa('touch', [file]);
  const r = await cli('paper', '--out', join(file, 'sub'), '--nodes', '50');
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /--out: cannot create .*sub: ENOTDIR/);
});

test('simulate --junit: one case per property judged, the broken one failing with its cycle and the command', async (t) => {
  const { XMLParser } = await import('fast-xml-parser');
  const file = join(mkdtempSync(join(tmpdir(), 'junit-')), 'sim.xml');
  const r = await cli('simulate', '--nodes', '200', '--cycles', '3', '--mutant', 'join-without-evict', '--seed', '5', '--junit', file);
  t.is(r.exitCode, 1);
  const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(file, 'utf8')).testsuites.testsuite;
  const failed = (suite.testcase as Array<{ name: string; failure?: { '#text': string } }>).filter((c) => c.failure);
  t.true(failed.some((c) => c.name === 'view-bounds'));
  t.regex(failed[0]!.failure!['#text'], /cycle \d+, seed 5\nreproduce: npx hyparview-harness simulate .*--mutant join-without-evict/);
});

test('simulate: nodes that never stop answering each other fail with exit 1 in seconds, not a hang: a livelock, with the command', async (t) => {
  const { XMLParser } = await import('fast-xml-parser');
  const file = join(mkdtempSync(join(tmpdir(), 'junit-')), 'sim.xml');
  for (const bootstrap of ['sequential', 'at-once']) {
    const r = await cli('simulate', '--nodes', '200', '--cycles', '3', '--bootstrap', bootstrap, '--mutant', 'retry-rejecting-peer', '--seed', '4', '--junit', file);
    t.is(r.exitCode, 1, r.stderr);
    t.regex(r.stderr, /^simulate: FAIL: the overlay never settles: \d+ events at \d+ ms \(cycle 0\) .*\(a livelock\) \(seed 4\)\nreproduce: npx hyparview-harness simulate .*--seed 4 .*--mutant retry-rejecting-peer$/);
    const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(file, 'utf8')).testsuites.testsuite;
    const cases = suite.testcase as Array<{ name: string; failure?: { message: string } }>;
    t.deepEqual(cases.filter((c) => c.failure).map((c) => c.name), ['run completed']);
    t.regex(cases[0]!.failure!.message, /never settles/);
  }
});

test('simulate: a run that breaks a property and then never settles names both', async (t) => {
  const { XMLParser } = await import('fast-xml-parser');
  const file = join(mkdtempSync(join(tmpdir(), 'junit-')), 'sim.xml');
  const r = await cli('simulate', '--nodes', '1000', '--mutant', 'join-without-evict', '--seed', '1', '--junit', file);
  t.is(r.exitCode, 1, r.stderr);
  t.regex(r.stderr, /^VIOLATED view-bounds at cycle 1: node \d+ has \d+ active peers .*, more than 5\nsimulate: FAIL: the overlay never settles: .*\(seed 1\)\nreproduce: /);
  const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(file, 'utf8')).testsuites.testsuite;
  const cases = suite.testcase as Array<{ name: string; failure?: unknown }>;
  t.deepEqual(cases.filter((c) => c.failure).map((c) => c.name).sort(), ['run completed', 'view-bounds']);
});
