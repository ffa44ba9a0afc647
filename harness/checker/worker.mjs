// From source (tests, bin/) a worker thread starts without tsx's loader: register it, then run
// worker.ts. The compiled package starts dist/harness/checker/worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
