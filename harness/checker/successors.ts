// Successors of a world: every enabled action, and under `--choices enumerate` every way the
// node's random choices can go. The successor list's order is what replay tokens index into.
import { type Chooser, seededChooser } from '../../models/chooser.ts';
import type { ChoiceMode } from './options.ts';
import { type Action, applyAction, enabledActions, type Scenario, type Transition, type World } from './world.ts';

export interface Successor extends Transition {
  readonly action: Action;
  /** The value each random choice took, in the order the node asked. */
  readonly choices: readonly number[];
}

/** Replays a fixed script of choice values, recording how many alternatives each choice had. */
class ScriptChooser implements Chooser {
  script: number[] = [];
  used: number[] = [];
  ranges: number[] = [];

  reset(script: number[]): void {
    this.script = script;
    this.used = [];
    this.ranges = [];
  }

  private next(range: number): number {
    const pos = this.used.length;
    const v = pos < this.script.length ? this.script[pos]! : 0;
    this.used.push(v);
    this.ranges.push(range);
    return v;
  }

  pick(n: number): number {
    return n <= 1 ? 0 : this.next(n);
  }

  chance(k: number, n: number): boolean {
    if (k <= 0) return false;
    if (k >= n) return true;
    return this.next(2) === 1;
  }
}

const script = new ScriptChooser();

/** Records the choices a seeded chooser makes, so a seeded step can still be described. */
function recording(inner: Chooser, into: number[]): Chooser {
  return {
    pick: (n) => {
      const v = inner.pick(n);
      if (n > 1) into.push(v);
      return v;
    },
    chance: (k, n) => {
      const v = inner.chance(k, n);
      if (k > 0 && k < n) into.push(v ? 1 : 0);
      return v;
    },
  };
}

/**
 * All successors of `w`. `worldKey` identifies `w` (its fingerprint) so that seeded choices are
 * a pure function of (seed, state, action): the same state always has the same successors.
 */
export function successors(s: Scenario, w: World, mode: ChoiceMode, seed: number, worldKey: number): Successor[] {
  const out: Successor[] = [];
  const actions = enabledActions(s, w);
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i]!;
    if (mode === 'seeded') {
      const choices: number[] = [];
      const chooser = recording(seededChooser((seed ^ Math.imul(worldKey, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) | 0), choices);
      const t = applyAction(s, w, action, chooser);
      out.push({ action, choices, world: t.world, events: t.events, delivered: t.delivered });
      continue;
    }
    let next: number[] | null = [];
    while (next) {
      script.reset(next);
      const t = applyAction(s, w, action, script);
      out.push({ action, choices: script.used, world: t.world, events: t.events, delivered: t.delivered });
      next = nextScript(script.used, script.ranges);
    }
  }
  return out;
}

/** The next choice script in odometer order, or null when every combination has been run. */
function nextScript(used: readonly number[], ranges: readonly number[]): number[] | null {
  for (let p = used.length - 1; p >= 0; p--) {
    if (used[p]! + 1 < ranges[p]!) return [...used.slice(0, p), used[p]! + 1];
  }
  return null;
}
