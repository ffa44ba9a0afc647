// Shards on threads of their own (shard.ts): shard 0 runs on the calling thread and every other
// shard on a worker thread, each in the same windows of virtual time. At a window's end each
// thread writes its outboxes into channels of shared memory, waits at a barrier for the others,
// and takes in what was sent to it, source by source in shard order: exactly what `exchange` does
// on one thread, so the run is the same. A shard moves to its thread for one run of the engine and back after it
// (its typed arrays are transferred, not copied); the engine keeps everything else.
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { startWorker } from '../threads.ts';
import { Outbox, RECORD } from './events.ts';
import { makeProtocol, type ProtocolName, type ProtocolOptions, type SimProtocol } from './protocols.ts';
import { type Network, Shard, type ShardState } from './shard.ts';
import type { EngineOptions } from './engine.ts';

/**
 * Records a channel carries per round by default; a longer outbox crosses in several rounds, with
 * the same result. At 10^6 nodes on two shards a window sends about 18,000 each way (14 events a
 * node a cycle, half of them to the other shard).
 */
export const CHANNEL_RECORDS = 1 << 15;

/** Takes every shard's outboxes into the shards they are bound for: each destination takes its sources' in shard order. */
export function exchange(shards: readonly Shard[]): void {
  for (const to of shards) {
    for (const from of shards) {
      const box = from.outboxes[to.index]!;
      if (from !== to && box.count > 0) to.receive(box.words, 0, box.count, box.objects);
    }
  }
  for (const s of shards) for (const box of s.outboxes) box.clear();
}

// ---- shared memory ---------------------------------------------------------------------------

/** Words of the control array: barrier arrivals and generation, the abort flag, then one done flag per shard. */
const enum Ctl {
  Arrived,
  Generation,
  Abort,
  Done,
}
/** A channel's header: records in it this round, and whether its outbox has more after them. */
const HEADER = 2;
/** A thread that hears nothing from the others for this long gives up: one of them has died. */
const SILENCE_MS = 120_000;
/** Barrier polls before sleeping: a window's work is short, and a sleep costs a wake-up. */
const SPINS = 20_000;

interface MeshState {
  readonly shards: number;
  /** Records a channel carries per round. */
  readonly chunk: number;
  /** Virtual ms per window: the shortest latency. */
  readonly window: number;
  readonly ctl: SharedArrayBuffer;
  readonly nexts: SharedArrayBuffer;
  readonly channels: SharedArrayBuffer;
}

class Aborted extends Error {}

class Mesh {
  readonly shards: number;
  readonly chunk: number;
  readonly window: number;
  readonly ctl: Int32Array;
  /** Each shard's earliest pending time after a window's exchange. */
  readonly nexts: Float64Array;
  readonly channels: Int32Array;

  constructor(readonly state: MeshState) {
    this.shards = state.shards;
    this.chunk = state.chunk;
    this.window = state.window;
    this.ctl = new Int32Array(state.ctl);
    this.nexts = new Float64Array(state.nexts);
    this.channels = new Int32Array(state.channels);
  }

  static create(shards: number, window: number, chunk: number): Mesh {
    const bytes = (n: number) => new SharedArrayBuffer(n);
    return new Mesh({ shards, chunk, window, ctl: bytes(4 * (Ctl.Done + shards)), nexts: bytes(8 * shards), channels: bytes(4 * shards * shards * (HEADER + chunk * RECORD)) });
  }

  /** Word offset of the channel from shard `from` to shard `to`. */
  channel(from: number, to: number): number {
    return (from * this.shards + to) * (HEADER + this.chunk * RECORD);
  }

  earliest(): number {
    let t = Infinity;
    for (let k = 0; k < this.shards; k++) t = Math.min(t, this.nexts[k]!);
    return t;
  }

  /** Waits until every shard's thread has arrived; throws Aborted when another thread failed. */
  barrier(): void {
    const ctl = this.ctl;
    const generation = Atomics.load(ctl, Ctl.Generation);
    if (Atomics.add(ctl, Ctl.Arrived, 1) === this.shards - 1) {
      Atomics.store(ctl, Ctl.Arrived, 0);
      Atomics.add(ctl, Ctl.Generation, 1);
      Atomics.notify(ctl, Ctl.Generation);
      return;
    }
    for (let i = 0; i < SPINS; i++) if (Atomics.load(ctl, Ctl.Generation) !== generation) return;
    const deadline = Date.now() + SILENCE_MS;
    while (Atomics.load(ctl, Ctl.Generation) === generation) {
      if (Atomics.load(ctl, Ctl.Abort)) throw new Aborted('another simulation thread failed');
      if (Date.now() > deadline) throw new Error(`a simulation thread has not answered for ${SILENCE_MS / 1000} s`);
      Atomics.wait(ctl, Ctl.Generation, generation, 100);
    }
  }

  abort(): void {
    Atomics.store(this.ctl, Ctl.Abort, 1);
    Atomics.notify(this.ctl, Ctl.Generation);
  }

  /** Readies the mesh for a run: no arrivals, no abort, no shard done. */
  reset(): void {
    this.ctl.fill(0);
  }
}

/**
 * One thread's part of a run: its shard's windows up to `end`, exchanging with the other threads
 * after each; returns the events it ran. The windows are those the engine runs on one thread.
 */
function runMesh(mesh: Mesh, shard: Shard, end: number): number {
  const k = shard.index;
  const ch = mesh.channels;
  const { chunk } = mesh;
  // What a source sends in several rounds waits here, so that each source's records go in whole, in shard order.
  const held = Array.from({ length: mesh.shards }, () => new Outbox());
  let n = 0;
  mesh.nexts[k] = shard.nextTime();
  mesh.barrier();
  for (let w = mesh.earliest(); w <= end; w = mesh.earliest()) {
    n += shard.runWindow(Math.min(w + mesh.window, end + 1), Infinity);
    let holding = false;
    for (let round = 0; ; round++) {
      for (let to = 0; to < mesh.shards; to++) {
        if (to === k) continue;
        const box = shard.outboxes[to]!;
        const first = round * chunk;
        const count = Math.max(0, Math.min(chunk, box.count - first));
        const at = mesh.channel(k, to);
        ch[at] = count;
        ch[at + 1] = first + count < box.count ? 1 : 0;
        if (count > 0) {
          if (box.objects.length > first) throw new Error('a message the codec did not pack cannot cross threads');
          ch.set(box.words.subarray(first * RECORD, (first + count) * RECORD), at + HEADER);
        }
      }
      mesh.barrier();
      let more = false;
      for (let from = 0; from < mesh.shards; from++) for (let to = 0; to < mesh.shards; to++) if (from !== to && ch[mesh.channel(from, to) + 1]) more = true;
      holding ||= more;
      for (let from = 0; from < mesh.shards; from++) {
        if (from === k) continue;
        const at = mesh.channel(from, k);
        if (holding) held[from]!.append(ch, at + HEADER, ch[at]!);
        else shard.receive(ch, at + HEADER, ch[at]!);
      }
      if (!more) {
        for (const box of held) {
          if (box.count > 0) shard.receive(box.words, 0, box.count);
          box.clear();
        }
        mesh.nexts[k] = shard.nextTime();
      }
      // Past this barrier the channels may be written again, and every next time is in.
      mesh.barrier();
      if (!more) break;
    }
    for (const box of shard.outboxes) box.clear();
  }
  return n;
}

// ---- the engine's side -----------------------------------------------------------------------

/** How a thread rebuilds the protocol: makeProtocol's arguments (a protocol built otherwise has none, and stays on one thread). */
export interface Recipe {
  readonly name: ProtocolName;
  readonly options: ProtocolOptions;
}

/** The network as a thread sees it: the shared memory, and what rebuilds the rest. */
interface NetState {
  readonly recipe: Recipe;
  readonly options: EngineOptions;
  readonly alive: SharedArrayBuffer;
  readonly per: number;
  readonly latencySalt: number;
  readonly hops: ReadonlyArray<SharedArrayBuffer | null>;
}

interface Job {
  readonly shard: ShardState;
  readonly net: NetState;
  readonly mesh: MeshState;
  readonly end: number;
}

type Reply = { readonly shard: ShardState; readonly events: number } | { readonly error: string };

interface ShardThread {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Why the thread died, when it has. */
  failed?: string;
}

/** Threads kept for later runs (one per shard beyond the first), and a mesh per shard count. */
const threads: ShardThread[] = [];
const meshes = new Map<string, Mesh>();

function threadsFor(n: number): ShardThread[] {
  while (threads.length < n) {
    const { port1, port2 } = new MessageChannel();
    const worker = startWorker(import.meta.url, { shardPort: port2 }, [port2]);
    const thread: ShardThread = { worker, port: port1 };
    worker.on('error', (e) => (thread.failed = e.message));
    worker.on('exit', () => {
      thread.failed ??= 'it exited';
      threads.splice(threads.indexOf(thread), 1);
    });
    // Idle threads must not keep the process alive.
    worker.unref();
    port1.unref();
    threads.push(thread);
  }
  return threads.slice(0, n);
}

/** The typed arrays of a shard in transit that move rather than copy (its phases stay shared with its copies). */
function moving(s: ShardState): ArrayBuffer[] {
  return [s.store.slots.buffer, s.pool.slots.buffer, s.timerGens.buffer, s.timerPeers.buffer, s.tallies.buffer, s.q.heads.buffer, s.q.waiting.buffer] as ArrayBuffer[];
}

/**
 * Runs the shards' events (and armed shuffle timers) due by `end`, shard 0 here and each other on
 * a thread of its own; returns the events run. The shards move back into `shards` when done.
 */
export function runThreaded(shards: Shard[], net: Network, end: number): number {
  const count = shards.length;
  const chunk = net.options.channelRecords ?? CHANNEL_RECORDS;
  const key = `${count}/${net.options.latencyMs.min}/${chunk}`;
  const mesh = meshes.get(key) ?? Mesh.create(count, net.options.latencyMs.min, chunk);
  meshes.set(key, mesh);
  mesh.reset();
  const helpers = threadsFor(count - 1);
  const recipe = net.protocol.recipe!;
  const netState: NetState = {
    recipe,
    options: net.options,
    alive: net.alive.buffer as SharedArrayBuffer,
    per: net.per,
    latencySalt: net.latencySalt,
    hops: net.hops.map((h) => (h ? (h.buffer as SharedArrayBuffer) : null)),
  };
  for (let k = 1; k < count; k++) {
    const shard = shards[k]!.detach();
    const job: Job = { shard, net: netState, mesh: mesh.state, end };
    helpers[k - 1]!.port.postMessage(job, moving(shard));
  }
  let events = 0;
  let failure: unknown;
  try {
    events = runMesh(mesh, shards[0]!, end);
  } catch (e) {
    mesh.abort();
    failure = e;
  }
  for (let k = 1; k < count; k++) {
    const reply = awaitReply(mesh, k, helpers[k - 1]!);
    if ('shard' in reply) {
      shards[k] = Shard.attach(reply.shard, count, net);
      events += reply.events;
    } else if (failure === undefined || failure instanceof Aborted) {
      failure = new Error(`simulation thread of shard ${k}: ${reply.error}`);
    }
  }
  if (failure !== undefined) throw failure;
  return events;
}

function awaitReply(mesh: Mesh, k: number, thread: ShardThread): Reply {
  const deadline = Date.now() + SILENCE_MS;
  for (;;) {
    const got = receiveMessageOnPort(thread.port);
    if (got) return got.message as Reply;
    if (thread.failed) return { error: thread.failed };
    if (Date.now() > deadline) return { error: `no answer for ${SILENCE_MS / 1000} s` };
    Atomics.wait(mesh.ctl, Ctl.Done + k, 0, 100);
  }
}

// ---- the thread's side -----------------------------------------------------------------------

/** A shard thread's loop: takes a shard for a run, runs it, gives it back. */
export function serveShards(port: MessagePort): void {
  const protocols = new Map<string, SimProtocol>();
  port.on('message', (job: Job) => {
    const mesh = new Mesh(job.mesh);
    const k = job.shard.index;
    try {
      const key = JSON.stringify(job.net.recipe);
      const protocol = protocols.get(key) ?? makeProtocol(job.net.recipe.name, job.net.recipe.options);
      protocols.set(key, protocol);
      const net: Network = {
        protocol,
        options: job.net.options,
        alive: new Uint8Array(job.net.alive),
        per: job.net.per,
        latencySalt: job.net.latencySalt,
        hops: job.net.hops.map((b) => (b ? new Uint8Array(b) : null)),
        originate: () => {
          throw new Error('a broadcast reached a thread with its origin unsettled');
        },
      };
      const shard = Shard.attach(job.shard, mesh.shards, net);
      const events = runMesh(mesh, shard, job.end);
      const state = shard.detach();
      port.postMessage({ shard: state, events } satisfies Reply, moving(state));
    } catch (e) {
      mesh.abort();
      port.postMessage({ error: e instanceof Error ? e.message : String(e) } satisfies Reply);
    }
    Atomics.store(mesh.ctl, Ctl.Done + k, 1);
    Atomics.notify(mesh.ctl, Ctl.Done + k);
  });
}
