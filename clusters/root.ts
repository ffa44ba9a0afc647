// The package's root directory (the one holding package.json), found the same from source and
// from the compiled dist/: the node's sources, the Dockerfile and the bundle cache live there.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));
/** Where bundles and built tools are cached (node_modules/.cache/hyparview-harness under the root). */
export const CACHE_DIR = join(PACKAGE_ROOT, 'node_modules/.cache/hyparview-harness');
