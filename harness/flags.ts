// Pieces every command line shares: whole-number flags, the flag a config field comes from, and
// the progress bar long runs show on a terminal.
import cliProgress from 'cli-progress';
import { UsageError } from './node/errors.ts';

/** A whole-number flag within [min, max]; anything else is a UsageError naming the flag. */
export function wholeFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

const MODEL_FIELD_FLAGS: Record<string, string> = { activeSize: 'active', passiveSize: 'passive' };

/** The command-line flag for a config field, e.g. maxStates → --max-states, decisions.races → --decide races. */
export function flagOf(field: string): string {
  if (field === 'token') return 'token';
  if (field.startsWith('decisions.')) return `--decide ${field.slice('decisions.'.length)}`;
  const name = MODEL_FIELD_FLAGS[field] ?? field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return `--${name}`;
}

/** A progress bar on stderr; none under CI, with --json (`enabled` false), or when stderr is not a terminal. */
export function progressBar(enabled: boolean, format: string): cliProgress.SingleBar | null {
  if (!enabled || !process.stderr.isTTY || process.env.CI) return null;
  return new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
}
