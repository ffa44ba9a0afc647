#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx's loader: no build step.
import v8 from 'node:v8';
import { register } from 'tsx/esm/api';

// The checker makes many short-lived objects a transition; a larger young generation cuts
// scavenges (about +40% states/s in BENCHMARKS.md). Idle processes never grow into it.
v8.setFlagsFromString('--max-semi-space-size=64');
register();
const { main } = await import('../harness/cli.ts');
await main(process.argv);
