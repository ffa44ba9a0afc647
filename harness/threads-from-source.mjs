// A worker thread started from source (threads.ts): tsx's loader first, then the worker module
// named by the thread's argv.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
