// Counterexample traces and replay tokens. A token holds the scenario options and the path
// (successor indices from the initial world), so `replay TOKEN` needs nothing else.
import { ConfigError } from '../../models/hyparview/config.ts';
import { NO_BUSY_LOOP } from '../../properties/progress.ts';
import { type Failure, failuresIn } from './judge.ts';
import { type CheckOptions, resolveOptions, scenarioOf } from './options.ts';
import { successors } from './successors.ts';
import { describeAction, initialWorld, nodeOf, steppedNode, timersOf, type World } from './world.ts';

// Options that shape the explored world; search limits are not part of a trace's identity.
const SCENARIO_FIELDS = ['nodes', 'active', 'passive', 'arwl', 'prwl', 'ka', 'kp', 'shuffleWalk', 'variant', 'decisions', 'mutant', 'crashes', 'linkFailures', 'earlyTimeouts', 'cycles', 'sequential', 'choices', 'seed'] as const;
// Version 2: the world holds each node's armed NEIGHBOR timers, so successor lists (and paths into
// them) differ from version 1's.
const TOKEN_VERSION = 2;

/** The options that shape the explored world (what a token carries), without the search's. */
export function scenarioOptions(o: CheckOptions): Partial<CheckOptions> {
  return Object.fromEntries(SCENARIO_FIELDS.filter((f) => o[f] !== undefined).map((f) => [f, o[f]]));
}

export function encodeToken(o: CheckOptions, path: readonly number[]): string {
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, o: scenarioOptions(o), p: path.join('.') })).toString('base64url');
}

export function decodeToken(token: string): { options: CheckOptions; path: number[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new ConfigError('token', 'is not a replay token (it does not decode); copy it whole from the check output');
  }
  // Anything JSON can hold may arrive here (null, arrays, "__proto__" keys): check the shape
  // before a field is read, so a crafted token gets one line, not a JavaScript error.
  if (isPlainRecord(parsed) && parsed.v === 1) {
    throw new ConfigError('token', 'was made by an older checker (version 1, before NEIGHBOR timers were part of the world): its path means other steps now; run its check again for a new token');
  }
  if (!isPlainRecord(parsed) || parsed.v !== TOKEN_VERSION || !isPlainRecord(parsed.o) || typeof parsed.p !== 'string') {
    throw new ConfigError('token', `is not a version ${TOKEN_VERSION} replay token`);
  }
  const o = parsed.o;
  const unknown = Object.keys(o).filter((k) => !(SCENARIO_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new ConfigError('token', `has unknown option ${JSON.stringify(unknown[0])}; it was not made by this version`);
  if (o.decisions !== undefined && (!isPlainRecord(o.decisions) || Object.values(o.decisions).some((c) => typeof c !== 'string'))) {
    throw new ConfigError('token', 'has malformed decisions (expected an object of strings)');
  }
  const path = parsed.p === '' ? [] : parsed.p.split('.').map(Number);
  if (path.some((i) => !Number.isInteger(i) || i < 0)) throw new ConfigError('token', 'has a malformed path');
  return { options: resolveOptions(o as Partial<CheckOptions>), path };
}

/** A JSON object: not null, not an array. */
function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface TraceStep {
  readonly index: number;
  readonly action: string;
  /** The node the action stepped, or -1 for a fault (crash, link failure). */
  readonly node: number;
  /** Views that changed, one line per node. */
  readonly changes: readonly string[];
}

export interface Trace {
  readonly steps: readonly TraceStep[];
  /** The world before the first step, then after each step (the explorer draws them). */
  readonly worlds: readonly World[];
  readonly final: World;
  readonly failures: readonly Failure[];
}

const views = (w: World, i: number): string => {
  const n = nodeOf(w, i);
  const unarmed = n.pending >= 0 && ((timersOf(w, i) >> n.pending) & 1) === 0;
  return `active [${n.active.join(',')}] passive [${n.passive.join(',')}]${n.pending >= 0 ? ` pending ${n.pending}` : ''}${unarmed ? ' (no timeout armed)' : ''}`;
};

/** Re-executes `path` from the initial world; throws ConfigError when the path does not fit. */
export function replayPath(o: CheckOptions, path: readonly number[]): Trace {
  const s = scenarioOf(o);
  let w = initialWorld(s);
  const steps: TraceStep[] = [];
  const worlds: World[] = [w];
  let busy: Failure[] = [];
  let before: World | undefined;
  path.forEach((choice, k) => {
    const next = successors(s, w, o.choices, o.seed);
    const chosen = next[choice];
    if (!chosen) throw new ConfigError('token', `step ${k + 1} picks successor ${choice}, but only ${next.length} exist: the token does not match this version of the node`);
    const changes: string[] = [];
    for (let i = 0; i < s.nodes; i++) {
      const before = views(w, i);
      const after = views(chosen.world, i);
      if (before !== after) changes.push(`node ${i}: ${after}`);
    }
    const picked = chosen.choices.length > 0 ? ` {choices ${chosen.choices.join(',')}}` : '';
    const action = describeAction(w, s, chosen.action);
    steps.push({ index: k + 1, action: action + picked, node: steppedNode(chosen.action), changes });
    const back = Buffer.compare(w, chosen.world) === 0 ? 1 : before && Buffer.compare(before, chosen.world) === 0 ? 2 : 0;
    busy = [...(chosen.stepFailures ?? []), ...(back > 0 ? [{ property: NO_BUSY_LOOP.name, message: NO_BUSY_LOOP.check(action, back)! }] : [])];
    before = w;
    w = chosen.world;
    worlds.push(w);
  });
  // The last step's own verdicts (messages.ts, progress.ts), then the final state's.
  return { steps, worlds, final: w, failures: busy.length > 0 ? [...busy, ...failuresIn(s, w)] : failuresIn(s, w) };
}

export function formatTrace(t: Trace): string {
  const lines: string[] = [];
  for (const st of t.steps) {
    lines.push(`${String(st.index).padStart(3)}. ${st.action}`);
    for (const c of st.changes) lines.push(`       ${c}`);
  }
  return lines.join('\n');
}
