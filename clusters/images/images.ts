// The container images and the Toxiproxy binary the Docker backend, docker-compose.yml and
// the local backend's link faults use. `npm run setup:docker` (clusters/images/setup.sh)
// installs and seeds what these functions expect; nothing here runs on import.
//
//   NODE_BASE_IMAGE   the official Node 20 image node.Dockerfile builds FROM (pulled on a
//                     stock Docker host; imported offline by setup.sh where no registry is)
//   TOXIPROXY_IMAGE   the official Toxiproxy image (same: pulled, or imported from the
//                     static server setup.sh builds from the Go module proxy)
//   nodeImage()       hyparview-harness-node:<hash of bundle + Dockerfile>, also tagged :latest
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { execa } from 'execa';
import { NODE_BUNDLE } from '../local/entry.ts';
import { CACHE_DIR, PACKAGE_ROOT } from '../root.ts';

export const NODE_BASE_IMAGE = 'node:20-bookworm-slim';
export const TOXIPROXY_VERSION = '2.12.0';
export const TOXIPROXY_IMAGE = `ghcr.io/shopify/toxiproxy:${TOXIPROXY_VERSION}`;
/** Repository of the node image; `:latest` is what docker-compose.yml names. */
export const NODE_IMAGE_REPO = 'hyparview-harness-node';
export const NODE_IMAGE_LATEST = `${NODE_IMAGE_REPO}:latest`;

const DOCKERFILE = join(PACKAGE_ROOT, 'clusters/images/node.Dockerfile');
/** Where setup.sh puts the Toxiproxy binaries it builds. */
export const TOXIPROXY_CACHE_DIR = join(CACHE_DIR, 'toxiproxy');

const SETUP_HINT = 'run `npm run setup:docker`';

/**
 * The node entry as one ESM file with every npm dependency inside, so the image needs no
 * node_modules. What the cluster subcommands import lazily from clusters/ (execa, esbuild,
 * testcontainers) is left out: process.ts registers only the `node` subcommand.
 */
export async function bundleNode(): Promise<Uint8Array> {
  const leaveOutClusterSide: Plugin = {
    name: 'leave-out-cluster-side',
    setup(b) {
      b.onResolve({ filter: /(^|\/)clusters\// }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
    },
  };
  const out = await build({
    ...NODE_BUNDLE,
    sourcesContent: false,
    plugins: [leaveOutClusterSide],
    // Bundled CommonJS packages (pino, prom-client) call require() for Node's built-ins.
    banner: { js: "import { createRequire as __hvCreateRequire } from 'node:module'; const require = __hvCreateRequire(import.meta.url);" },
  });
  return out.outputFiles[0]!.contents;
}

let built: Promise<string> | undefined;

/**
 * Bundles the node and builds its image unless the image for this content is already there.
 * Returns the content tag (`hyparview-harness-node:<16 hex>`); also points `:latest` at it.
 * Once per process.
 */
export function nodeImage(opts: { log?: (line: string) => void } = {}): Promise<string> {
  built ??= buildNodeImage(opts.log ?? (() => {})).catch((e: unknown) => {
    built = undefined;
    throw e;
  });
  return built;
}

async function buildNodeImage(log: (line: string) => void): Promise<string> {
  await requireDocker();
  const code = await bundleNode();
  const dockerfile = readFileSync(DOCKERFILE);
  const hash = createHash('sha256').update(code).update('\0').update(dockerfile).digest('hex').slice(0, 16);
  const tag = `${NODE_IMAGE_REPO}:${hash}`;
  if (await imageExists(tag)) {
    log(`image ${tag} (and :latest): present (skip)`);
  } else {
    if (!(await imageExists(NODE_BASE_IMAGE))) {
      const pulled = await execa('docker', ['pull', NODE_BASE_IMAGE], { reject: false, timeout: 300_000 });
      if (pulled.exitCode !== 0) throw new Error(`base image ${NODE_BASE_IMAGE} is missing and cannot be pulled: ${SETUP_HINT}`);
    }
    const context = join(CACHE_DIR, `image-context-${process.pid}`);
    rmSync(context, { recursive: true, force: true });
    mkdirSync(context, { recursive: true });
    try {
      writeFileSync(join(context, 'node.mjs'), code);
      writeFileSync(join(context, 'Dockerfile'), dockerfile);
      const started = Date.now();
      const res = await execa('docker', ['build', '--quiet', '-t', tag, context], { reject: false, all: true, timeout: 600_000 });
      if (res.exitCode !== 0) {
        const lines = (res.all ?? '').trim().split('\n');
        throw new Error(`docker build of ${tag} failed: ${lines[lines.length - 1] ?? `exit ${res.exitCode}`}`);
      }
      log(`image ${tag} (and :latest): built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }
  await docker(['tag', tag, NODE_IMAGE_LATEST], `tagging ${tag} as ${NODE_IMAGE_LATEST}`);
  return tag;
}

export async function imageExists(ref: string): Promise<boolean> {
  const res = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { reject: false, timeout: 30_000 });
  return res.exitCode === 0;
}

async function docker(args: string[], what: string): Promise<string> {
  const res = await execa('docker', args, { reject: false, all: true, timeout: 120_000 });
  if (res.exitCode !== 0) throw new Error(`${what} failed: ${(res.all ?? '').trim().split('\n').pop() || `exit ${res.exitCode}`}`);
  return res.stdout;
}

/** Resolves when a Docker engine answers; otherwise throws one line saying what to do. */
export async function requireDocker(): Promise<void> {
  const res = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false, all: true, timeout: 30_000 });
  if (res.failed || res.exitCode !== 0 || res.stdout.trim() === '') {
    const why = (res as { code?: string }).code === 'ENOENT' ? 'no docker command' : (res.all ?? '').trim().split('\n').pop() || (res.timedOut ? 'docker info timed out' : `docker info exited ${res.exitCode}`);
    throw new Error(`Docker is not available (${why}): ${SETUP_HINT} or start Docker`);
  }
}

/** The Toxiproxy server for the local backend: $TOXIPROXY_SERVER, then setup's build, then PATH. */
export function toxiproxyServerPath(): string {
  const fromEnv = process.env.TOXIPROXY_SERVER;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TOXIPROXY_SERVER=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const cached = join(TOXIPROXY_CACHE_DIR, 'toxiproxy-server');
  if (isExecutable(cached)) return cached;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'toxiproxy-server'))) return join(dir, 'toxiproxy-server');
  }
  throw new Error(`no Toxiproxy server (TOXIPROXY_SERVER unset, ${cached} missing, none on PATH): ${SETUP_HINT}`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
