// Swarm runs: shard seeds disjoint and reproducible, walks split exactly, and merge combining
// shard results into one verdict with every distinct violation (the CLI end to end).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { check, type CheckResult } from '../../harness/checker/check.ts';
import { decodeToken, replayPath } from '../../harness/checker/trace.ts';
import { parseShard, shardSeed, shardWalks } from '../../harness/swarm/shard.ts';

const cli = (...args: string[]) => execa('node', ['bin/hyparview-harness.js', ...args], { reject: false, env: { CI: 'true' } });

test('shard seeds: the N shards of a base seed are distinct, the same every time, and differ across base seeds', (t) => {
  for (const base of [1, 42, -7, 2 ** 31 - 1]) {
    const seeds = Array.from({ length: 10_000 }, (_, k) => shardSeed(base, k + 1));
    t.is(new Set(seeds).size, seeds.length, `base ${base}`);
    t.deepEqual(seeds.slice(0, 5), Array.from({ length: 5 }, (_, k) => shardSeed(base, k + 1)));
    t.true(seeds.every((s) => Number.isInteger(s) && s >= -(2 ** 31) && s < 2 ** 31));
  }
  t.not(shardSeed(1, 1), shardSeed(2, 1));
});

test('shard walks add up to the total, as even as can be', (t) => {
  for (const [walks, n] of [[100, 7], [5, 8], [3000, 3]] as const) {
    const parts = Array.from({ length: n }, (_, k) => shardWalks(walks, { index: k + 1, count: n }));
    t.is(parts.reduce((a, b) => a + b, 0), walks);
    t.true(Math.max(...parts) - Math.min(...parts) <= 1);
  }
  t.deepEqual(parseShard('3/8'), { index: 3, count: 8 });
  for (const bad of ['0/8', '9/8', '3', '3/0', 'a/b']) t.throws(() => parseShard(bad), { message: /--shard: expected K\/N/ });
});

test('three shards of a failing random search merge into one failing verdict with each distinct violation once; a missing shard is named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shards-'));
  const run = ['check', '--variant', 'paper', '--strategy', 'random', '--walks', '30', '--depth', '40', '--seed', '5', '--json'];
  const files: string[] = [];
  for (const k of [1, 2, 3]) {
    const r = await cli(...run, '--shard', `${k}/3`);
    t.is(r.exitCode, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    t.deepEqual(out.shard, { index: k, count: 3, baseSeed: 5 });
    t.is(out.seed, shardSeed(5, k));
    files.push(join(dir, `shard-${k}.json`));
    writeFileSync(files.at(-1)!, r.stdout);
    // The shard reruns exactly from the command it printed.
    if (k === 1) {
      const again = await cli(...(out.reproduce as string).replace(/^npx hyparview-harness /, '').split(' '), '--json');
      t.deepEqual(JSON.parse(again.stdout).violations, out.violations);
    }
  }
  const merged = await cli('merge', ...files, '--json');
  t.is(merged.exitCode, 1);
  const m = JSON.parse(merged.stdout);
  t.is(m.verdict, 'fail');
  t.is(m.shards, 3);
  const keys = m.violations.map((v: { property: string; message: string }) => `${v.property}: ${v.message}`);
  t.is(new Set(keys).size, keys.length, 'each distinct violation once');
  t.true(m.violations.every((v: { shard: string }) => /^[123]\/3$/.test(v.shard)));
  const partial = await cli('merge', files[0]!, files[2]!);
  t.is(partial.exitCode, 1); // violations win over incompleteness
  t.regex(partial.stdout, /INCOMPLETE: shard\(s\) 2 missing/);
});

test('merge: passing shards pass; a missing shard of a passing run exits 2; another run\'s shard or a non-result is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shards-'));
  const run = ['check', '--nodes', '3', '--strategy', 'random', '--walks', '20', '--depth', '30', '--seed', '9', '--json'];
  const files = await Promise.all([1, 2].map(async (k) => {
    const r = await cli(...run, '--shard', `${k}/2`);
    t.is(r.exitCode, 0, r.stderr);
    const file = join(dir, `s${k}.json`);
    writeFileSync(file, r.stdout);
    return file;
  }));
  const ok = await cli('merge', ...files);
  t.is(ok.exitCode, 0, ok.stdout);
  t.regex(ok.stdout, /PASS: no shard found a violation/);
  t.is((await cli('merge', files[0]!)).exitCode, 2);
  const other = await cli(...run.map((a) => (a === '9' ? '10' : a)), '--shard', '2/2');
  writeFileSync(join(dir, 'other.json'), other.stdout);
  const mixed = await cli('merge', files[0]!, join(dir, 'other.json'));
  t.is(mixed.exitCode, 2);
  t.regex(mixed.stderr, /a shard of another run \(shard 2\/2 of seed 10/);
  writeFileSync(join(dir, 'junk.json'), '{"hello": 1}');
  const junk = await cli('merge', join(dir, 'junk.json'));
  t.is(junk.exitCode, 2);
  t.regex(junk.stderr, /junk\.json: not the output of `check --json`/);
  const bfs = await cli('check', '--nodes', '2', '--shard', '1/2');
  t.is(bfs.exitCode, 2);
  t.regex(bfs.stderr, /--shard: splits random walks or DFS; use it with --strategy random or dfs/);
});

test('DFS shards split the search below a BFS level: each explores part, together they find what one DFS finds; a shard reruns exactly; merge combines them', async (t) => {
  const scenario = { nodes: 3, variant: 'paper', strategy: 'dfs' } as const;
  const whole = check(scenario, { keepGoing: true });
  const shards = [1, 2, 3].map((index) => check({ ...scenario, shard: { index, count: 3 } }, { keepGoing: true }));
  const properties = (r: CheckResult) => r.violations.map((v) => v.property);
  t.deepEqual([...new Set(shards.flatMap(properties))].sort(), [...new Set(properties(whole))].sort());
  for (const r of shards) t.true(r.unique < whole.unique, `a shard explores part of the ${whole.unique} states, not ${r.unique}`);
  t.true(shards.reduce((a, r) => a + r.unique, 0) >= whole.unique, 'together they cover the space');
  t.is(check({ ...scenario, shard: { index: 2, count: 3 } }, { keepGoing: true }).unique, shards[1]!.unique);
  for (const v of shards.flatMap((r) => r.violations)) {
    const { options, path } = decodeToken(v.replay);
    t.true(replayPath(options, path).failures.some((f) => f.property === v.property) || v.property === 'no-busy-loop', v.property);
  }
  const dir = mkdtempSync(join(tmpdir(), 'dfs-shards-'));
  const files: string[] = [];
  for (const k of [1, 2]) {
    const r = await cli('check', '--variant', 'paper', '--strategy', 'dfs', '--keep-going', '--json', '--shard', `${k}/2`);
    t.is(r.exitCode, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    t.regex(out.reproduce, new RegExp(`--strategy dfs .*--shard ${k}/2`));
    files.push(join(dir, `s${k}.json`));
    writeFileSync(files.at(-1)!, r.stdout);
  }
  const merged = await cli('merge', ...files, '--json');
  t.is(merged.exitCode, 1, merged.stderr);
  t.deepEqual([...new Set(JSON.parse(merged.stdout).violations.map((v: { property: string }) => v.property))].sort(), [...new Set(properties(whole))].sort());
});
