// A simulation worker thread: either runs one job of the paper sweep and posts its progress and
// result, or serves a large run's shards (parallel.ts) on the port it was given.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type Job, runJob } from './paper.ts';
import { serveShards } from './parallel.ts';

const data = workerData as Job | { shardPort: MessagePort };
if ('shardPort' in data) {
  serveShards(data.shardPort);
} else {
  const port = parentPort!;
  const result = runJob(data, (step) => port.postMessage({ step }), false);
  port.postMessage({ result });
}
