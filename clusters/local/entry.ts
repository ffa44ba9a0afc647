// How a node process is started: harness/node/process.ts (the `node` subcommand) bundled
// once by esbuild (the compiler tsx itself uses) into one ESM file next to node_modules, so
// each process starts in a third of the CPU time `node --import tsx` takes (16 nodes on 2
// cores: ~3 s instead of ~11 s); dependencies stay external.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { CACHE_DIR, PACKAGE_ROOT } from '../root.ts';

const ENTRY = join(PACKAGE_ROOT, 'harness/node/process.ts');

/** esbuild options for the node entry as one in-memory ESM file (the Docker image's bundle adds to them). */
export const NODE_BUNDLE = {
  entryPoints: [ENTRY],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  write: false,
  logLevel: 'silent',
} as const satisfies BuildOptions;

let bundled: Promise<string> | undefined;

/** Path of the bundled node entry point; built on first use in this process, named by content. */
export function nodeEntry(): Promise<string> {
  bundled ??= (async () => {
    const out = await build({ ...NODE_BUNDLE, packages: 'external' });
    const code = out.outputFiles[0]!.contents;
    const file = join(CACHE_DIR, `node-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(CACHE_DIR, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, file);
      // Bundles of older sources; an hour's grace for clusters still running from one.
      for (const old of readdirSync(CACHE_DIR)) {
        const path = join(CACHE_DIR, old);
        if (path !== file && old.startsWith('node-') && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { force: true });
      }
    }
    return file;
  })();
  return bundled;
}

/** The node arguments that start one node process. */
export async function nodeCommand(args: readonly string[]): Promise<string[]> {
  return ['--enable-source-maps', await nodeEntry(), 'node', ...args];
}
