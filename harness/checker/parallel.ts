// BFS on worker threads (`check --workers N`). Level-synchronous, so counterexamples stay
// shortest: each level's queued states sit in chunks of shared memory, the workers claim chunks
// one at a time, expand them with the single-thread code (Search.expand) into chunks of their own,
// and this thread hands every chunk written to the next level. The visited set and the ancestry
// are shared (fingerprint.ts, frontier.ts), so the counts are those of one thread.
import type { Worker } from 'node:worker_threads';
import { type CheckHooks, type CheckResult, Search, type SharedSearch, STOP_REASONS, summarise } from './check.ts';
import { SharedVisitedSet } from './fingerprint.ts';
import { Frontier, ID_BLOCK, NO_PARENT, type SealedChunks, sharedAncestry } from './frontier.ts';
import { type CheckOptions, resolveOptions } from './options.ts';
import { SuccessorCursor } from './successors.ts';
import type { Failure } from './judge.ts';
import { startWorker } from '../threads.ts';

/** A level: the chunks to expand. */
export interface LevelRequest {
  readonly chunks: Uint8Array[];
  readonly counts: number[];
}

/** What a worker sends back after a level (the chunks it wrote), and once more at the end (its tallies). */
export type WorkerReply = { readonly level: SealedChunks } | { readonly done: WorkerTally } | { readonly error: string };

export interface WorkerTally {
  readonly states: number;
  readonly quiescentStates: number;
  readonly maxDepth: number;
  readonly depthBounded: boolean;
  readonly reached: string[];
  readonly found: Array<{ failure: Failure; path: readonly number[] }>;
}

export interface WorkerSetup {
  readonly options: CheckOptions;
  readonly keepGoing: boolean;
  readonly shared: SharedSearch;
  /** One Int32: the next chunk of the level to claim. */
  readonly claim: SharedArrayBuffer;
}

/** Level chunks small enough to share a level between the workers. */
export const SHARED_CHUNK_BYTES = 1 << 18;

/** The threads start at the first level this large; the levels before it are expanded in the calling thread. */
const THREADS_FROM = 20_000;

/** Expands every chunk of `level` still unclaimed, in this thread, with `cursor`; returns the chunks written. */
export function expandLevel(search: Search, level: LevelRequest, claim: Int32Array, cursor: SuccessorCursor): SealedChunks {
  const out = new Frontier(SHARED_CHUNK_BYTES, true);
  for (let k = Atomics.add(claim, 0, 1); k < level.chunks.length && search.stop === null; k = Atomics.add(claim, 0, 1)) {
    const chunk = Frontier.reading(level.chunks[k]!, level.counts[k]!);
    for (let item = chunk.shift(); item && search.stop === null; item = chunk.shift()) search.expand(item, cursor, out);
  }
  (search.visited as SharedVisitedSet).flush();
  return out.seal();
}

/**
 * BFS on `workers` threads; the same counts and verdicts as check() with one. `threadsFrom`: the
 * level size from which the threads start (tests lower it to make them start at once).
 */
export async function checkParallel(input: Partial<CheckOptions>, hooks: CheckHooks = {}, threadsFrom = THREADS_FROM): Promise<CheckResult> {
  const o = resolveOptions(input);
  if (o.workers <= 1) throw new RangeError('checkParallel needs workers > 1; check() runs one thread');
  let shared: SharedSearch;
  try {
    // Room for the state cap and a little more: each thread may add up to a batch past it before
    // it sees the cap, and holds a block of ids it may not use.
    const room = o.maxStates + (256 + ID_BLOCK) * (o.workers + 1);
    shared = { visited: SharedVisitedSet.buffers(room), ancestry: sharedAncestry(room), stop: new SharedArrayBuffer(4) };
  } catch {
    throw new RangeError(`--workers ${o.workers}: cannot allocate shared memory for --max-states ${o.maxStates}; lower --max-states or use --workers 1`);
  }
  const search = new Search(o, hooks, shared);
  const init = search.start();
  const claim = new SharedArrayBuffer(4);
  let level: SealedChunks = { chunks: [], counts: [] };
  if (init) {
    const first = new Frontier(SHARED_CHUNK_BYTES, true);
    first.push(init.world, init.world.length, init.fp, init.fp.lo, 0, search.ancestry.add(NO_PARENT, 0));
    level = first.seal();
  }
  (search.visited as SharedVisitedSet).flush();
  const setup: WorkerSetup = { options: o, keepGoing: hooks.keepGoing ?? false, shared, claim };
  const workers: Worker[] = [];
  let replies: Array<ReturnType<typeof replyQueue>> = [];
  let depth = 0;
  const progress = hooks.onProgress ? setInterval(() => hooks.onProgress!({ states: search.states, unique: search.visited.size, depth, seconds: search.seconds() }), 1000) : undefined;
  const stopWord = new Int32Array(shared.stop);
  const claimWord = new Int32Array(claim);
  const cursor = new SuccessorCursor(search.s);
  try {
    while (level.chunks.length > 0 && Atomics.load(stopWord, 0) === 0) {
      if (search.seconds() >= o.timeLimit) {
        Atomics.compareExchange(stopWord, 0, 0, STOP_REASONS.indexOf('time-limit'));
        break;
      }
      Atomics.store(claimWord, 0, 0);
      if (workers.length === 0 && level.counts.reduce((a, b) => a + b, 0) < threadsFrom) {
        // Small levels are expanded here: starting threads costs more than they would save.
        level = expandLevel(search, level, claimWord, cursor);
      } else {
        if (workers.length === 0) {
          for (let k = 1; k < o.workers; k++) workers.push(startWorker(import.meta.url, setup));
          replies = workers.map((w) => replyQueue(w));
        }
        for (const w of workers) w.postMessage(level satisfies LevelRequest);
        // This thread is one of the workers: it claims chunks beside them.
        const mine = expandLevel(search, level, claimWord, cursor);
        const written = [mine, ...(await Promise.all(replies.map((r) => r.next('level'))))];
        level = { chunks: written.flatMap((x) => x.chunks), counts: written.flatMap((x) => x.counts) };
      }
      depth++;
    }
    for (const w of workers) w.postMessage({ finish: true });
    const tallies = await Promise.all(replies.map((r) => r.next('done')));
    // This thread's own finds (the small levels) count with the workers'.
    tallies.push({ states: 0, quiescentStates: 0, maxDepth: 0, depthBounded: false, reached: [], found: [...search.found.values()] });
    search.found.clear();
    for (const t of tallies) {
      search.states += t.states;
      search.quiescentStates += t.quiescentStates;
      search.maxDepth = Math.max(search.maxDepth, t.maxDepth);
      search.depthBounded ||= t.depthBounded;
      for (const e of t.reached) search.reached.add(e);
    }
    // Each property's shortest trace, the first in successor order among those recorded (which of
    // several equally short ones a thread records first may vary with timing; their length does not).
    for (const { failure, path } of tallies.flatMap((t) => t.found).sort((a, b) => comparePaths(a.path, b.path))) {
      if (!search.found.has(failure.property) && (hooks.keepGoing || search.found.size === 0)) search.found.set(failure.property, { failure, path });
    }
    const word = Atomics.load(stopWord, 0);
    search.stop = word === 0 ? 'exhausted' : STOP_REASONS[word]!;
    return { ...summarise(o, search), threads: workers.length + 1 };
  } finally {
    clearInterval(progress);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function comparePaths(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
  return 0;
}

/** A worker's replies, taken in order; an error or an early exit rejects. */
function replyQueue(w: Worker) {
  const waiting: Array<{ resolve: (r: WorkerReply) => void; reject: (e: Error) => void }> = [];
  const fail = (e: Error) => {
    for (const x of waiting.splice(0)) x.reject(e);
  };
  w.on('message', (m: WorkerReply) => {
    if ('error' in m) fail(new Error(`a checker worker failed: ${m.error}`));
    else waiting.shift()?.resolve(m);
  });
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`a checker worker exited with code ${code}`)));
  return {
    next<K extends 'level' | 'done'>(kind: K): Promise<K extends 'level' ? SealedChunks : WorkerTally> {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve: (r) => resolve((r as Record<string, unknown>)[kind] as never), reject });
      });
    },
  };
}
