#!/usr/bin/env node
// The `hyparview-harness` command. Compiled to dist/harness/main.js for the published package;
// bin/hyparview-harness.js runs this file from source through tsx.
import v8 from 'node:v8';

// The checker makes many short-lived objects a transition; a larger young generation cuts
// scavenges (about +40% states/s in BENCHMARKS.md). Idle processes never grow into it.
v8.setFlagsFromString('--max-semi-space-size=64');
const { main } = await import('./cli.ts');
await main(process.argv);
