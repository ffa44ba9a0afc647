// JUnit XML for CI systems (GitHub Actions, GitLab, Jenkins show it as test results), written by
// junit-report-builder: one test case per property judged (or per mutant), a failure carrying the
// property's message, the trace and the command that reproduces it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import junitModule, { type Builder } from 'junit-report-builder';
import { UsageError } from './node/errors.ts';
import { ALL_PROPERTIES, MESSAGE_PROPERTIES, STEP_PROPERTIES } from '../properties/index.ts';

// The package's CommonJS export is the builder itself; its types describe an ES default export.
const junit = junitModule as unknown as Builder;

export interface JUnitCase {
  readonly name: string;
  readonly failure?: { readonly message: string; readonly details: string };
}

/** Names of every property a check judges, in a stable order. */
export function judgedProperties(): string[] {
  return [...ALL_PROPERTIES.map((p) => p.name), ...MESSAGE_PROPERTIES.map((p) => p.name), ...STEP_PROPERTIES.map((p) => p.name)];
}

/**
 * One case per property in `judged` (and per other property that broke): failing where `broken`
 * holds a violation of it, with its message and `details` (trace, replay, reproducing command).
 */
export function propertyCases<V extends { readonly property: string; readonly message: string }>(judged: readonly string[], broken: readonly V[], details: (v: V) => string): JUnitCase[] {
  const names = [...new Set([...judged, ...broken.map((v) => v.property)])];
  return names.map((name) => {
    const v = broken.find((x) => x.property === name);
    return v ? { name, failure: { message: v.message, details: details(v) } } : { name };
  });
}

/** Writes one test suite to `file` (its folder made if missing); an unwritable file is a UsageError naming it. */
export function writeJUnit(file: string, suite: { name: string; className: string; seconds: number }, cases: readonly JUnitCase[]): void {
  const builder = junit.newBuilder();
  const s = builder.testSuite().name(suite.name).time(suite.seconds);
  for (const c of cases) {
    const tc = s.testCase().className(suite.className).name(c.name);
    if (c.failure) tc.failure(c.failure.message, 'PropertyViolated').stacktrace(c.failure.details);
  }
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, builder.build());
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--junit: cannot write ${file}: ${code === 'EEXIST' || code === 'ENOTDIR' ? 'a file stands where its folder should be' : (code ?? (e as Error).message)}`);
  }
}
