// A simulation worker thread: runs one job of the paper sweep and posts its progress and result.
import { parentPort, workerData } from 'node:worker_threads';
import { type Job, runJob } from './paper.ts';

const port = parentPort!;
const result = runJob(workerData as Job, (step) => port.postMessage({ step }));
port.postMessage({ result });
