// `hyparview-harness explore TOKEN`: serves the counterexample explorer on 127.0.0.1 (a random
// free port unless --port), prints the URL and opens it in a browser unless --no-open.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { execa } from 'execa';
import { EXIT_ERROR, UsageError } from '../node/errors.ts';
import { explorerData } from './frames.ts';
import { renderExplorer } from './page.ts';

export interface Explorer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the explorer page of `token` on 127.0.0.1:`port` (0: any free port). */
export async function startExplorer(token: string, port = 0): Promise<Explorer> {
  const html = renderExplorer(explorerData(token));
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/' && req.url !== '/index.html')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`--port: cannot listen on 127.0.0.1:${port}: ${e.code ?? e.message}`)));
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${bound}/`, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * A replay token as given, or the first violation's token from `check --json` output saved to a
 * file, or from the folder `check --out DIR` wrote (its result.json).
 */
export function tokenOf(arg: string): string {
  if (!existsSync(arg)) return arg;
  const file = statSync(arg).isDirectory() ? join(arg, 'result.json') : arg;
  let parsed: { violations?: Array<{ replay?: string }> };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`${file}: not the JSON output of \`check --json\` (or check --out's result.json)`);
  }
  const token = parsed.violations?.find((v) => v.replay)?.replay;
  if (!token) throw new UsageError(`${file}: the check it holds found no violation, so there is no counterexample to explore`);
  return token;
}

export function registerExploreCommand(program: Command): void {
  program
    .command('explore')
    .description('step through a counterexample in the browser: the overlay as a graph, messages in flight, views, the property that breaks')
    .argument('<token>', 'a replay token, a file with the output of `check --json`, or a folder written by `check --out`')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', '0')
    .option('--no-open', 'only print the URL')
    .option('--out <file>', 'write the page to a file instead of serving it')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (arg: string, flags: { port: string; open: boolean; out?: string }) => {
      try {
        const port = Number(flags.port);
        if (!/^\d+$/.test(flags.port) || port > 65535) throw new UsageError(`--port: expected a port number, got ${JSON.stringify(flags.port)}`);
        const token = tokenOf(arg);
        if (flags.out) {
          writeFileSync(flags.out, renderExplorer(explorerData(token)));
          console.log(`wrote ${flags.out}`);
          return;
        }
        const explorer = await startExplorer(token, port);
        console.log(`explorer: ${explorer.url}  (Ctrl-C stops it)`);
        if (flags.open) {
          const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
          execa(opener, [explorer.url], { detached: true, stdio: 'ignore' }).catch(() => console.log(`(could not start ${opener}; open the URL yourself)`));
        }
        const stop = () => void explorer.close().then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (e) {
        process.stderr.write(`explore: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
        process.exitCode = EXIT_ERROR;
      }
    });
}
