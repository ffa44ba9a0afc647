// A checker worker thread (parallel.ts): expands the chunks of each BFS level it claims into
// chunks of its own, with the single-thread search code over the shared visited set and ancestry.
import { parentPort, workerData } from 'node:worker_threads';
import { Search } from './check.ts';
import { expandLevel, type LevelRequest, type WorkerReply, type WorkerSetup } from './parallel.ts';
import { SuccessorCursor } from './successors.ts';

const port = parentPort!;
const setup = workerData as WorkerSetup;
const search = new Search(setup.options, { keepGoing: setup.keepGoing }, setup.shared);
const cursor = new SuccessorCursor(search.s);
const claim = new Int32Array(setup.claim);
const reply = (r: WorkerReply) => port.postMessage(r);

port.on('message', (m: LevelRequest | { finish: true }) => {
  try {
    if ('finish' in m) {
      const { states, quiescentStates, maxDepth, depthBounded } = search;
      reply({ done: { states, quiescentStates, maxDepth, depthBounded, reached: [...search.reached], found: [...search.found.values()] } });
      return;
    }
    reply({ level: expandLevel(search, m, claim, cursor) });
  } catch (e) {
    reply({ error: (e as Error).stack ?? String(e) });
  }
});
