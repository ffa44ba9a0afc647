#!/usr/bin/env node
// Runs the CLI from source through tsx's loader, no build step (the repository's own tests and
// scripts use it; the published package's bin is the compiled dist/harness/main.js).
import { register } from 'tsx/esm/api';

register();
await import('../harness/main.ts');
