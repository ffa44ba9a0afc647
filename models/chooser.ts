// Every random decision a model makes goes through a Chooser, so an engine can either
// enumerate the alternatives (model checker) or fix them by seed (simulator, real node).
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

export interface Chooser {
  /** An index in [0, n), n >= 1. */
  pick(n: number): number;
  /** True with probability k/n, 0 <= k <= n, n >= 1. */
  chance(k: number, n: number): boolean;
}

/** A seeded chooser whose generator state can be read out and resumed elsewhere (another thread). */
export interface SeededChooser extends Chooser {
  state(): readonly number[];
}

/**
 * A seeded chooser backed by pure-rand's xoroshiro128+ (mutable in place for speed); from
 * `state`, one that resumes where the chooser that gave it stood.
 */
export function seededChooser(seed: number, state?: readonly number[]): SeededChooser {
  const rng = state ? xoroshiro128plusFromState(state) : xoroshiro128plus(seed | 0);
  return {
    pick: (n) => (n <= 1 ? 0 : uniformInt(rng, 0, n - 1)),
    chance: (k, n) => (k <= 0 ? false : k >= n ? true : uniformInt(rng, 0, n - 1) < k),
    state: () => rng.getState(),
  };
}

/** A uniformly random element of a non-empty array. */
export function pickOne<T>(items: readonly T[], chooser: Chooser): T {
  return items[chooser.pick(items.length)]!;
}

/**
 * k distinct elements of `items` other than `skip`, in their original order (Knuth's selection
 * sampling), appended to `out`. Uniform under a seeded chooser; under an enumerating chooser it
 * yields exactly the C(n, k) combinations, one binary choice per element. The draws are those of
 * sampling a copy without `skip`, without making the copy (a hot path of large simulations).
 */
export function sample<T>(items: readonly T[], k: number, chooser: Chooser, skip?: T, out: T[] = []): T[] {
  let n = 0;
  for (let i = 0; i < items.length; i++) if (items[i] !== skip) n++;
  for (let i = 0, left = n, taken = 0; taken < k && left > 0; i++) {
    if (items[i] === skip) continue;
    if (k >= n || chooser.chance(k - taken, left)) {
      out.push(items[i]!);
      taken++;
    }
    left--;
  }
  return out;
}
