// The model checker's API: `check(options)` explores the scenario's state space with BFS
// (shortest counterexamples), DFS (low memory) or seeded random walks, and returns a verdict,
// counts, and each violated property's trace and replay token.
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { NO_BUSY_LOOP } from '../../properties/progress.ts';
import { guardNamed, SOMETIMES } from '../../properties/sometimes.ts';
import { withFreshCycles, worldFingerprint } from './encode.ts';
import { type Fingerprint, SharedVisitedSet, type SharedVisitedBuffers, VisitedSet } from './fingerprint.ts';
import { Ancestry, Frontier, type FrontierItem, NO_PARENT, type SharedAncestry } from './frontier.ts';
import { type CheckOptions, resolveOptions, scenarioOf } from './options.ts';
import { SuccessorCursor, successors } from './successors.ts';
import { StepCache } from './steps.ts';
import { Canonicalizer, symmetryUnsound } from './symmetry.ts';
import { type Failure, Judge } from './judge.ts';
import { goodBits, isLivenessProperty, type LivenessFailure, StateGraph } from './liveness.ts';
import { encodeToken, formatTrace, replayPath } from './trace.ts';
import { type Action, describeAction, type Draft, type Scenario, type World } from './world.ts';

export interface Violation {
  readonly property: string;
  readonly message: string;
  readonly steps: number;
  readonly replay: string;
  /** The numbered trace, one line per action, with the views each step changed. */
  readonly trace: string;
}

export type StopReason = 'exhausted' | 'max-states' | 'time-limit' | 'violation' | 'walks';

export interface CheckResult {
  readonly verdict: 'pass' | 'fail';
  readonly strategy: CheckOptions['strategy'];
  readonly choices: CheckOptions['choices'];
  readonly seed: number;
  /** Transitions taken (successor states generated, visited or not). */
  readonly states: number;
  /** Distinct states (by 64-bit fingerprint); with symmetry, distinct classes of renamed states. */
  readonly unique: number;
  /** Why BFS and DFS did not reduce by symmetry, or null when they did (symmetry.ts). */
  readonly symmetryOff: string | null;
  readonly maxDepth: number;
  readonly seconds: number;
  /** Unique states per second. */
  readonly statesPerSecond: number;
  /** Why the search stopped; only 'exhausted' (BFS, DFS) means every state within the depth bound was seen. */
  readonly stopReason: StopReason;
  /** True when some state had successors beyond the depth bound. */
  readonly depthBounded: boolean;
  readonly visitedBytes: number;
  /** --liveness: bytes of the explored graph kept for the analysis (0 without it). */
  readonly graphBytes: number;
  /** Distinct states where the quiescent properties applied; zero means they were never checked. */
  readonly quiescentStates: number;
  /** Random walks under --liveness: quiescent states that broke a liveness property and from which a continuation restored it. */
  readonly recovered: number;
  /** Threads that expanded states: 1, or with --workers those that started (parallel.ts starts them at the first large level). */
  readonly threads: number;
  readonly violations: readonly Violation[];
  /** Which `sometimes` guards some explored transition reached. */
  readonly sometimes: Readonly<Record<string, boolean>>;
}

export interface Progress {
  readonly states: number;
  readonly unique: number;
  readonly depth: number;
  readonly seconds: number;
}

export interface CheckHooks {
  /** Called about once a second during the search. */
  onProgress?: (p: Progress) => void;
  /** Keep searching after a violation, to find the first (under BFS, shortest) trace of every property. */
  keepGoing?: boolean;
}

/** DFS shards split the search at the first BFS level with this many worlds per shard. */
const SHARD_SPLIT = 4;

/** Random walks under --liveness: continuations tried from a quiescent state where a liveness property fails. */
export const RECOVERY_WALKS = 100;

/** What the threads of a parallel BFS share (parallel.ts): the visited set, the ancestry, and a stop word. */
export interface SharedSearch {
  readonly visited: SharedVisitedBuffers;
  readonly ancestry: SharedAncestry;
  /** One Int32: 0 while searching, else the StopReason's index in STOP_REASONS. */
  readonly stop: SharedArrayBuffer;
}

export const STOP_REASONS: readonly StopReason[] = ['exhausted', 'max-states', 'time-limit', 'violation', 'walks'];

export class Search {
  readonly s: Scenario;
  readonly judgement: Judge;
  readonly visited: VisitedSet | SharedVisitedSet;
  /** --liveness: the explored graph, ids shared with the BFS ancestry. */
  readonly graph: StateGraph | undefined;
  /** BFS: each queued state's parent and successor index, by id. */
  readonly ancestry: Ancestry;
  /** Parallel BFS: the stop word every thread watches. */
  private readonly sharedStop: Int32Array | undefined;
  /** The good bits (liveness.ts) of the state last judged. */
  good = 0;
  /** Random walks under --liveness: the liveness properties the state last judged breaks in quiescence. */
  unrestored: readonly Failure[] = [];
  recovered = 0;
  private readonly recoveryRng: ReturnType<typeof xoroshiro128plus>;
  readonly found = new Map<string, { failure: Failure; path: readonly number[] }>();
  readonly reached = new Set<string>();
  readonly started = performance.now();
  states = 0;
  quiescentStates = 0;
  maxDepth = 0;
  depthBounded = false;
  private ownStop: StopReason | null = null;
  private nextProgress = 1000;

  constructor(readonly o: CheckOptions, readonly hooks: CheckHooks, shared?: SharedSearch) {
    this.s = scenarioOf(o);
    this.judgement = new Judge(this.s);
    this.graph = o.liveness !== 'off' && o.strategy === 'bfs' ? new StateGraph() : undefined;
    this.recoveryRng = xoroshiro128plus(o.seed ^ 0x7ec0de);
    this.visited = shared ? new SharedVisitedSet(shared.visited) : new VisitedSet(1 << 16, this.graph !== undefined);
    this.ancestry = new Ancestry(shared?.ancestry);
    this.sharedStop = shared && new Int32Array(shared.stop);
    this.symmetryOff = o.symmetry ? symmetryUnsound(o) : 'turned off (--no-symmetry)';
    this.canon = this.symmetryOff === null ? new Canonicalizer(o.nodes) : undefined;
  }

  /** Why the search does not reduce by symmetry, or null when it does (symmetry.ts). */
  readonly symmetryOff: string | null;
  private readonly canon: Canonicalizer | undefined;
  private readonly classFp: Fingerprint = { hi: 0, lo: 0 };

  /** What the visited set dedups a world on: its class under renaming with symmetry, else its own fingerprint. */
  private keyOf(world: Uint8Array, len: number, fp: Fingerprint): Fingerprint {
    if (!this.canon) return fp;
    if (!this.canon.recall(fp, this.classFp)) this.canon.fingerprint(world, len, fp, this.classFp);
    return this.classFp;
  }

  /** The draft's key (keyOf), writing its bytes out only when symmetry needs them. */
  private draftKey(draft: Draft): Fingerprint {
    if (!this.canon) return draft.fp;
    if (!this.canon.recall(draft.fp, this.classFp)) {
      draft.materialize();
      this.canon.fingerprint(draft.out, draft.length, draft.fp, this.classFp);
    }
    return this.classFp;
  }

  /** Why the search stopped, null while it goes on; a parallel search's threads stop together. */
  get stop(): StopReason | null {
    return this.ownStop;
  }

  set stop(reason: StopReason | null) {
    if (this.ownStop !== null || reason === null) return;
    this.ownStop = reason;
    if (this.sharedStop) Atomics.compareExchange(this.sharedStop, 0, 0, STOP_REASONS.indexOf(reason));
  }

  seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Judges a newly seen state (see Judge for `changedNodes`); null when it holds every property. */
  failures(w: World, changedNodes = -1): readonly Failure[] | null {
    const { failures, quiescent } = this.judgement.judge(w, changedNodes);
    if (quiescent) this.quiescentStates++;
    if (this.o.liveness === 'off') return failures.length === 0 ? null : failures;
    // Under --liveness a quiescent state without P is a step on the way, judged by the analysis
    // (BFS) or by the continuations tried from it (random walks).
    this.good = goodBits(quiescent, failures);
    this.unrestored = failures.filter((f) => isLivenessProperty(f.property));
    const reported = failures.filter((f) => !isLivenessProperty(f.property));
    return reported.length === 0 ? null : reported;
  }

  /** Keeps the first trace of each property broken by a state reached by `path`. */
  record(failures: readonly Failure[], path: readonly number[]): void {
    for (const f of failures) if (!this.found.has(f.property)) this.found.set(f.property, { failure: f, path });
    if (!this.hooks.keepGoing) this.stop = 'violation';
  }

  /** Checks a newly seen state reached by `path`; returns true when it broke a property (and should not be expanded). */
  judge(w: World, path: readonly number[]): boolean {
    const failures = this.failures(w);
    if (failures) this.record(failures, path.slice());
    return failures !== null;
  }

  /**
   * Random walks under --liveness, at a quiescent state where some liveness property P fails:
   * true when one of RECOVERY_WALKS seeded continuations restores each such P (reaches a
   * quiescent state where it holds), every node given the scenario's cycle budget afresh and no
   * further fault, so that a scenario's spent budget is not mistaken for a permanent split. Else
   * records recoverable:P, a split no continuation tried could mend.
   */
  recovers(w: World, path: readonly number[]): boolean {
    const broken = new Map(this.unrestored.map((f) => [f.property, f.message]));
    const start = withFreshCycles(w);
    for (let walk = 0; walk < RECOVERY_WALKS && broken.size > 0; walk++) {
      let x: World = start;
      for (let step = 0; step < this.o.depth && broken.size > 0; step++) {
        const next = successors(this.s, x, this.o.choices, this.o.seed);
        if (next.length === 0) break;
        x = next[uniformInt(this.recoveryRng, 0, next.length - 1)]!.world;
        const { failures, quiescent } = this.judgement.judge(x);
        if (quiescent) for (const p of broken.keys()) if (!failures.some((f) => f.property === p)) broken.delete(p);
      }
    }
    if (broken.size === 0) {
      this.recovered++;
      return true;
    }
    const at = this.o.from.length + path.length;
    const cycles = this.s.budgets.cycles;
    this.record(
      [...broken].map(([p, message]) => ({
        property: `recoverable:${p}`,
        message: `from the state after step ${at} (${message}), none of ${RECOVERY_WALKS} random continuations of up to ${this.o.depth} steps, each node given ${cycles} fresh cycle${cycles === 1 ? '' : 's'} and no further fault, reached a quiescent state where ${p} holds: it looks broken for good`,
      })),
      path.slice(),
    );
    return false;
  }

  /**
   * Judges the step by `action` from `from` to `to` (progress.ts): records it and returns true
   * when `to` is `from` itself, or `before`, the world the step to `from` started from.
   */
  busyLoop(from: World, to: World, before: World | undefined, action: Action, path: readonly number[]): boolean {
    const back = sameWorld(from, to) ? 1 : before && sameWorld(before, to) ? 2 : 0;
    if (back === 0) return false;
    this.record([{ property: NO_BUSY_LOOP.name, message: NO_BUSY_LOOP.check(describeAction(from, this.s, action), back)! }], path.slice());
    return true;
  }

  /** Whether the draft is exactly the world that state `id` was reached from (its bytes rebuilt by replay: rare, only where the tags match). */
  isParentOf(id: number, draft: Draft): boolean {
    draft.materialize();
    const parent = replayPath(this.o, [...this.o.from, ...this.ancestry.path(this.ancestry.parent(id))]).final;
    return sameWorld(parent, draft.out.subarray(0, draft.length));
  }

  private isNew(world: World, fp: Fingerprint): boolean {
    const key = this.keyOf(world, world.length, fp);
    return this.visited.add(key.hi, key.lo);
  }

  noteEvents(events: readonly string[]): void {
    for (const e of events) this.reached.add(e);
  }

  /** Checks the limits every so often; sets `stop` when one is hit. */
  tick(depth: number): void {
    if (depth > this.maxDepth) this.maxDepth = depth;
    if (this.visited.size >= this.o.maxStates) this.stop ??= 'max-states';
    if ((this.states & 1023) !== 0) return;
    const shared = this.sharedStop && Atomics.load(this.sharedStop, 0);
    if (shared) this.stop ??= STOP_REASONS[shared]!;
    const t = this.seconds();
    if (t >= this.o.timeLimit) this.stop ??= 'time-limit';
    if (this.hooks.onProgress && t * 1000 >= this.nextProgress) {
      this.nextProgress = t * 1000 + 1000;
      this.hooks.onProgress({ states: this.states, unique: this.visited.size, depth: this.maxDepth, seconds: t });
    }
  }

  /** Visits and judges the world the search starts from (the end of `from`), with its fingerprint; null when it already fails. */
  start(): { world: World; fp: Fingerprint } | null {
    const world = replayPath(this.o, this.o.from).final;
    const fp: Fingerprint = { hi: 0, lo: 0 };
    worldFingerprint(world, fp);
    const key = this.keyOf(world, world.length, fp);
    this.visited.insert(key.hi, key.lo, 0);
    const failed = this.judge(world, []);
    this.graph?.add(this.good);
    return failed ? null : { world, fp };
  }

  bfs(): void {
    const frontier = new Frontier();
    const init = this.start();
    if (!init) return;
    const cursor = new SuccessorCursor(this.s);
    frontier.push(init.world, init.world.length, init.fp, init.fp.lo, 0, this.ancestry.add(NO_PARENT, 0));
    while (this.stop === null) {
      const item = frontier.shift();
      if (!item) {
        this.stop = 'exhausted';
        return;
      }
      this.expand(item, cursor, frontier);
    }
  }

  /** BFS: generates, judges and dedups the successors of one queued world; the new ones that pass go on `frontier`. */
  expand(item: FrontierItem, cursor: SuccessorCursor, frontier: Frontier): void {
    const ancestry = this.ancestry;
    const { draft } = cursor;
    cursor.reset(item.state, this.o.choices, this.o.seed, item.fp);
    const depth = item.depth;
    const graph = this.graph;
    if (depth >= this.o.depth) {
      if (cursor.next()) this.depthBounded = true;
      return;
    }
    graph?.expand(item.id);
    while (this.stop === null && cursor.next()) {
      this.states++;
      this.noteEvents(cursor.events);
      // The step's own message properties (properties/messages.ts), whatever world it reaches.
      const broke = cursor.stepFailures;
      if (broke) {
        this.record(broke, [...ancestry.path(item.id), cursor.index]);
        continue;
      }
      if (draft.fp.hi === item.fp.hi && draft.fp.lo === item.fp.lo) {
        draft.materialize();
        if (this.busyLoop(item.state, draft.out.subarray(0, draft.length), undefined, cursor.action!, [...ancestry.path(item.id), cursor.index])) continue;
      } else if (depth > 0 && draft.fp.lo === item.parentTag && this.isParentOf(item.id, draft)) {
        // Back where the step to this world started. Seen only when this world was first reached from there.
        const message = NO_BUSY_LOOP.check(describeAction(item.state, this.s, cursor.action!), 2)!;
        this.record([{ property: NO_BUSY_LOOP.name, message }], [...ancestry.path(item.id), cursor.index]);
        continue;
      }
      const key = this.draftKey(draft);
      const seen = this.visited.insert(key.hi, key.lo, ancestry.size);
      if (seen >= 0) {
        graph?.edge(seen);
        continue;
      }
      const id = ancestry.add(item.id, cursor.index);
      if (id < 0) {
        this.stop = 'max-states'; // a parallel search's shared ancestry is full
        return;
      }
      this.tick(depth + 1);
      // A new successor is written straight into the frontier, and queued there if it passes.
      const at = frontier.reserve(draft.length);
      draft.writeTo(frontier.chunk, at);
      // The parent passed every node-local property (BFS expands no violating world): judge the nodes that changed.
      const failures = this.failures(frontier.chunk.subarray(at, at + draft.length), draft.changedNodes);
      if (graph) {
        graph.add(this.good);
        graph.edge(id);
      }
      if (failures) {
        this.record(failures, ancestry.path(id));
        continue;
      }
      frontier.commit(draft.length, draft.fp, item.fp.lo, depth + 1, id);
    }
  }

  /** Depth-first from the start, or, for a shard (--shard), from each of its roots in turn. */
  dfs(): void {
    const init = this.start();
    if (!init) return;
    const cache = new StepCache(this.s.config);
    const roots = this.o.shard ? this.shardRoots(init) : [{ ...init, path: [] }];
    for (const root of roots) {
      if (this.stop !== null) break;
      this.dfsFrom(root.world, root.fp, root.path, cache);
    }
    this.stop ??= 'exhausted';
  }

  /**
   * A DFS shard's roots: a BFS from `init` down to the first level holding SHARD_SPLIT worlds per
   * shard (every shard makes the same one, judging what it meets); shard K of N keeps the K-th of
   * every N of them, in order. Empty when the space ends above that level (each shard saw it all).
   */
  private shardRoots(init: { world: World; fp: Fingerprint }): Array<{ world: World; fp: Fingerprint; path: readonly number[] }> {
    const { index, count } = this.o.shard!;
    let level: Array<{ world: World; fp: Fingerprint; path: readonly number[] }> = [{ ...init, path: [] }];
    while (level.length < SHARD_SPLIT * count && this.stop === null) {
      const next: typeof level = [];
      for (const { world, path } of level) {
        successors(this.s, world, this.o.choices, this.o.seed).forEach((succ, i) => {
          const to = [...path, i];
          this.states++;
          this.noteEvents(succ.events);
          if (succ.stepFailures) return this.record(succ.stepFailures, to);
          if (this.busyLoop(world, succ.world, undefined, succ.action, to) || !this.isNew(succ.world, succ.fingerprint)) return;
          this.tick(to.length);
          if (!this.judge(succ.world, to) && to.length < this.o.depth) next.push({ world: succ.world, fp: succ.fingerprint, path: to });
        });
      }
      if (next.length === 0) return [];
      level = next;
    }
    return level.filter((_, k) => k % count === index - 1);
  }

  /**
   * Depth-first from `root` (fingerprint `rootFp`, reached by `prefix`) on the same incremental
   * successor path as BFS: one cursor per level (sharing one step cache), each level's world kept
   * in that level's own buffer, so the stack is the current path's worlds and nothing else.
   */
  private dfsFrom(root: World, rootFp: Fingerprint, prefix: readonly number[], cache: StepCache): void {
    const cursors: SuccessorCursor[] = [];
    /** Each level's world, a view of that level's buffer. */
    const worlds: Uint8Array[] = [root];
    const buffers: Uint8Array[] = [];
    /** Each level's world's fingerprint (hi, lo). */
    const fps = new Int32Array(2 * (this.o.depth + 1));
    let probe: SuccessorCursor | undefined;
    const enter = (level: number, w: Uint8Array, fp: Fingerprint): void => {
      fps[2 * level] = fp.hi;
      fps[2 * level + 1] = fp.lo;
      (cursors[level] ??= new SuccessorCursor(this.s, cache)).reset(w, this.o.choices, this.o.seed, fp);
    };
    const path = (level: number, last: number): number[] => [...prefix, ...cursors.slice(0, level).map((c) => c.index), last];
    enter(0, root, rootFp);
    let top = 0;
    while (top >= 0 && this.stop === null) {
      const cursor = cursors[top]!;
      if (!cursor.next()) {
        top--;
        continue;
      }
      const { draft } = cursor;
      const fp = draft.fp;
      this.states++;
      this.noteEvents(cursor.events);
      const broke = cursor.stepFailures;
      if (broke) {
        this.record(broke, path(top, cursor.index));
        continue;
      }
      // Back to this world or to the one before it: the step can repeat for ever (compared byte by byte).
      const self = fps[2 * top] === fp.hi && fps[2 * top + 1] === fp.lo;
      const back = top > 0 && fps[2 * top - 2] === fp.hi && fps[2 * top - 1] === fp.lo;
      if (self || back) {
        draft.materialize();
        if (this.busyLoop(worlds[top]!, draft.out.subarray(0, draft.length), top > 0 ? worlds[top - 1] : undefined, cursor.action!, path(top, cursor.index))) continue;
      }
      const key = this.draftKey(draft);
      if (!this.visited.add(key.hi, key.lo)) continue;
      const depth = prefix.length + top + 1;
      this.tick(depth);
      const level = top + 1;
      let buf = buffers[level];
      if (!buf || buf.length < draft.length) buf = buffers[level] = new Uint8Array(Math.max(256, 2 * draft.length));
      draft.writeTo(buf, 0);
      const w = (worlds[level] = buf.subarray(0, draft.length));
      // The parent passed every node-local property (DFS expands no violating world): judge the nodes that changed.
      const failures = this.failures(w, draft.changedNodes);
      if (failures) {
        this.record(failures, path(top, cursor.index));
        continue;
      }
      if (depth >= this.o.depth) {
        if (!this.depthBounded) {
          (probe ??= new SuccessorCursor(this.s, cache)).reset(w, this.o.choices, this.o.seed, fp);
          this.depthBounded = probe.next();
        }
        continue;
      }
      enter(level, w, fp);
      top = level;
    }
  }

  random(): void {
    const rng = xoroshiro128plus(this.o.seed);
    const init = this.start();
    if (!init) return;
    for (let walk = 0; walk < this.o.walks && this.stop === null; walk++) {
      let w = init.world;
      let before: World | undefined;
      const path: number[] = [];
      while (path.length < this.o.depth && this.stop === null) {
        const next = successors(this.s, w, this.o.choices, this.o.seed);
        if (next.length === 0) break;
        const index = uniformInt(rng, 0, next.length - 1);
        const succ = next[index]!;
        path.push(index);
        this.states++;
        this.noteEvents(succ.events);
        if (succ.stepFailures) {
          this.record(succ.stepFailures, path.slice());
          break;
        }
        if (this.busyLoop(w, succ.world, before, succ.action, path)) break;
        const fresh = this.visited.add(succ.fingerprint.hi, succ.fingerprint.lo);
        this.tick(path.length);
        if (fresh && this.judge(succ.world, path)) break;
        if (fresh && this.unrestored.length > 0 && !this.recovers(succ.world, path)) break;
        before = w;
        w = succ.world;
      }
    }
    this.stop ??= 'walks';
  }
}

/** Two worlds are the same bytes (worlds are canonical). */
function sameWorld(a: World, b: World): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Runs the search in this thread (`checkParallel` in parallel.ts runs BFS on worker threads). */
export function check(input: Partial<CheckOptions> = {}, hooks: CheckHooks = {}): CheckResult {
  const o = resolveOptions({ ...input, workers: 1 });
  const search = new Search(o, hooks);
  if (o.strategy === 'bfs') search.bfs();
  else if (o.strategy === 'dfs') search.dfs();
  else search.random();
  return summarise(o, search);
}

/** The result of a finished search: verdict, counts, and each violation with its trace and replay token. */
export function summarise(o: CheckOptions, search: Search): CheckResult {
  const seconds = search.seconds();
  const violations: Violation[] = [];
  const violation = (property: string, message: string, path: readonly number[]): Violation => {
    const full = [...o.from, ...path];
    return { property, message, steps: full.length, replay: encodeToken(o, full), trace: formatTrace(replayPath(o, full)) };
  };
  for (const { failure, path } of search.found.values()) violations.push(violation(failure.property, failure.message, path));
  for (const f of search.graph?.analyse(o.liveness === 'restored') ?? []) {
    const { path, message } = livenessTrace(search, f);
    violations.push(violation(`${f.notion}:${f.property}`, message, path));
  }
  const expectedMissing = o.expect.filter((name) => !search.reached.has(guardNamed(name)!.event));
  for (const name of expectedMissing) {
    violations.push({ property: `sometimes:${name}`, message: `no explored transition reached "${name}"`, steps: 0, replay: '', trace: '' });
  }
  return {
    verdict: violations.length === 0 ? 'pass' : 'fail',
    strategy: o.strategy,
    choices: o.choices,
    seed: o.seed,
    states: search.states,
    unique: search.visited.size,
    symmetryOff: search.symmetryOff,
    maxDepth: search.maxDepth,
    seconds,
    statesPerSecond: seconds > 0 ? search.visited.size / seconds : 0,
    stopReason: search.stop ?? 'exhausted',
    depthBounded: search.depthBounded,
    visitedBytes: search.visited.bytes,
    graphBytes: search.graph?.bytes ?? 0,
    quiescentStates: search.quiescentStates,
    recovered: search.recovered,
    threads: 1,
    violations,
    sometimes: Object.fromEntries(SOMETIMES.map((g) => [g.name, search.reached.has(g.event)])),
  };
}

/** A liveness failure's path from the start (with, for `restored`, the continuation that avoids P) and its message. */
function livenessTrace(search: Search, f: LivenessFailure): { path: number[]; message: string } {
  const path = search.ancestry.path(f.state);
  const at = search.o.from.length + path.length;
  const where = at === 0 ? 'from the initial state' : `from the state after step ${at}`;
  if (f.notion === 'recoverable') {
    return { path, message: `${where}, no continuation within the remaining budgets reaches a quiescent state where ${f.property} holds (its whole future, ${f.future} states, was explored): the point of no return` };
  }
  // The continuation's edges are state ids: find each one's successor index by fingerprint.
  let w = replayPath(search.o, [...search.o.from, ...path]).final;
  const fp: Fingerprint = { hi: 0, lo: 0 };
  for (const id of f.continuation) {
    const target = replayPath(search.o, [...search.o.from, ...search.ancestry.path(id)]).final;
    worldFingerprint(target, fp);
    const next = successors(search.s, w, search.o.choices, search.o.seed);
    const index = next.findIndex((n) => n.fingerprint.hi === fp.hi && n.fingerprint.lo === fp.lo);
    path.push(index);
    w = next[index]!.world;
  }
  const end = f.loops ? 'comes back to a state it passed, a loop it may go round for ever' : 'ends with nothing left to happen';
  return { path, message: `${where}, some continuation never restores ${f.property}: the ${f.continuation.length} steps after it (${at + 1}-${at + f.continuation.length}) avoid a quiescent state where it holds and the run ${end}` };
}
