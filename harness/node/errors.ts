// Exit codes shared by every command that judges: 0 pass, 1 a property was violated,
// 2 usage, configuration or infrastructure error (one line naming the problem, no stack).
import { ConfigError } from '../../models/hyparview/config.ts';

export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_ERROR = 2;

/** A problem with how the command was invoked or with its surroundings (ports, files). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The one line to print for an error that ends a command. */
export function describeError(e: unknown): string {
  if (e instanceof ConfigError || e instanceof UsageError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EADDRINUSE' || err?.code === 'EACCES' || err?.code === 'EADDRNOTAVAIL') {
    const where = (err as { address?: string; port?: number }).address;
    return `cannot listen on ${where ?? '?'}:${(err as { port?: number }).port ?? '?'}: ${err.code}`;
  }
  return err instanceof Error ? err.message.split('\n')[0]! : String(e);
}

/** Prints `prog: message` on stderr and exits 2. */
export function exitWithError(prog: string, e: unknown): never {
  process.stderr.write(`${prog}: ${describeError(e)}\n`);
  process.exit(EXIT_ERROR);
}
