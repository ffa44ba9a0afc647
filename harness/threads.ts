// Worker threads for the simulator's sweep and the checker's parallel BFS: each runs the
// `worker` module beside the code that starts it.
import { type Transferable, Worker } from 'node:worker_threads';

/**
 * Starts the `worker` module beside `moduleUrl` (its import.meta.url) on a thread. Compiled, that
 * is worker.js; from source (tests, bin/) the thread first needs tsx's loader, which
 * from-source.mjs registers before importing worker.ts.
 */
export function startWorker(moduleUrl: string, workerData: unknown, transferList: Transferable[] = []): Worker {
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL('./worker.js', moduleUrl), { workerData, transferList });
  return new Worker(new URL('./threads-from-source.mjs', import.meta.url), { workerData, transferList, argv: [new URL('./worker.ts', moduleUrl).href] });
}
