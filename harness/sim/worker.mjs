// A simulation worker thread: runs one job of the paper sweep and posts its progress and result.
// Plain JavaScript, so that it starts in a thread that has no TypeScript loader yet.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runJob } = await import('./paper.ts');
const result = runJob(workerData, (step) => parentPort.postMessage({ step }));
parentPort.postMessage({ result });
