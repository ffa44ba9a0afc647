#!/usr/bin/env node
// The `hyparview-harness` command. Compiled to dist/harness/main.js for the published package;
// bin/hyparview-harness.js runs this file from source through tsx.
import { main } from './cli.ts';

await main(process.argv);
