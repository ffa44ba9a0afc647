// Swarm runs: the random walks of one check split into N independent shards (one per CI-matrix
// job or Kubernetes pod), each with its own seed derived from the base seed, and `merge`, which
// combines their JSON results into one verdict with every distinct violation.
import { readFileSync } from 'node:fs';
import { UsageError } from '../node/errors.ts';
import type { CheckResult, Violation } from '../checker/check.ts';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

/** `K/N` with 1 <= K <= N. */
export function parseShard(value: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || count < 1 || count > 100_000 || index < 1 || index > count) throw new UsageError(`--shard: expected K/N with 1 <= K <= N <= 100000, got ${JSON.stringify(value)}`);
  return { index, count };
}

/**
 * Shard K's seed: an odd-constant multiple of K added to a mix of the base seed, a bijection of K
 * modulo 2^32, so the N shards of one base seed never share a seed, and each is fixed by (base, K).
 */
export function shardSeed(base: number, index: number): number {
  let h = Math.imul(base ^ 0x5bd1e995, 0x9e3779b1);
  h ^= h >>> 15;
  return (h + Math.imul(index, 0x85ebca6b)) | 0;
}

/** Shard K's share of `walks`: as even as can be, the first `walks % N` shards one more. */
export function shardWalks(walks: number, s: Shard): number {
  return Math.floor(walks / s.count) + (s.index <= walks % s.count ? 1 : 0);
}

/** What `check --json --shard K/N` prints, as merge reads it. */
export type ShardResult = CheckResult & { readonly reproduce: string; readonly shard?: Shard & { readonly baseSeed: number } };

export interface Merged {
  readonly verdict: 'pass' | 'fail';
  readonly shards: number;
  /** Unique states summed over the shards (states two shards both saw count twice). */
  readonly unique: number;
  /** Every distinct violation (by property and message), with the shard that found it first. */
  readonly violations: ReadonlyArray<Violation & { readonly shard: string; readonly reproduce: string }>;
  /** Shards missing from 1..N of the base seed, when the files carry shard numbers. */
  readonly missing: number[];
}

export function readShard(file: string): ShardResult {
  let r: ShardResult;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as ShardResult;
  } catch (e) {
    throw new UsageError(`${file}: ${(e as NodeJS.ErrnoException).code ?? 'not JSON'}: expected the output of \`check --json\``);
  }
  if (!r || (r.verdict !== 'pass' && r.verdict !== 'fail') || !Array.isArray(r.violations)) throw new UsageError(`${file}: not the output of \`check --json\``);
  return r;
}

/** Combines shard results; shards of different base seeds or shard counts are refused. */
export function mergeShards(results: ReadonlyArray<{ readonly file: string; readonly result: ShardResult }>): Merged {
  if (results.length === 0) throw new UsageError('merge: no result files given');
  const [first] = results;
  const plan = first!.result.shard;
  for (const { file, result } of results) {
    const s = result.shard;
    if ((s === undefined) !== (plan === undefined) || (s && plan && (s.baseSeed !== plan.baseSeed || s.count !== plan.count))) {
      throw new UsageError(`${file}: a shard of another run (${s ? `shard ${s.index}/${s.count} of seed ${s.baseSeed}` : 'not a shard'}; ${first!.file}: ${plan ? `shard ${plan.index}/${plan.count} of seed ${plan.baseSeed}` : 'not a shard'})`);
    }
  }
  const violations: Array<Violation & { shard: string; reproduce: string }> = [];
  for (const { file, result } of results) {
    for (const v of result.violations) {
      if (!violations.some((x) => x.property === v.property && x.message === v.message)) violations.push({ ...v, shard: result.shard ? `${result.shard.index}/${result.shard.count}` : file, reproduce: result.reproduce });
    }
  }
  const seen = new Set(results.map((r) => r.result.shard?.index));
  const missing = plan ? Array.from({ length: plan.count }, (_, i) => i + 1).filter((k) => !seen.has(k)) : [];
  return {
    verdict: violations.length === 0 ? 'pass' : 'fail',
    shards: results.length,
    unique: results.reduce((sum, r) => sum + r.result.unique, 0),
    violations,
    missing,
  };
}
