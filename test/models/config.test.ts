// makeConfig validates at the boundary: every bad input throws ConfigError naming the field.
import test from 'ava';
import {
  ConfigError,
  DECISION_CHOICES,
  type Decisions,
  makeConfig,
  PAPER_DECISIONS,
  PAPER_PARAMETERS,
  REFERENCE_DECISIONS,
} from '../../models/hyparview/config.ts';

type Input = Parameters<typeof makeConfig>[0];

/** Asserts that `input` is rejected with a ConfigError whose field is `field`. */
function rejects(t: import('ava').ExecutionContext, input: Input, field: string): void {
  const err = t.throws(() => makeConfig(input), { instanceOf: ConfigError }, JSON.stringify(input));
  t.is(err?.field, field);
  t.true(err?.message.startsWith(`${field}: `), err?.message);
}

test('defaults: the paper parameters with the reference decisions and no mutant', (t) => {
  const cfg = makeConfig();
  t.like(cfg, PAPER_PARAMETERS);
  t.deepEqual(cfg.decisions, REFERENCE_DECISIONS);
  t.is(cfg.mutant, undefined);
});

test("variant 'paper' selects the paper-literal decisions, and single decisions override it", (t) => {
  t.deepEqual(makeConfig({ variant: 'paper' }).decisions, PAPER_DECISIONS);
  t.deepEqual(makeConfig({ variant: 'paper', decisions: { races: 'guarded' } }).decisions, { ...PAPER_DECISIONS, races: 'guarded' });
});

test('every decision has a paper-literal and a reference choice, and they differ in each of the eleven except joinWhenFull', (t) => {
  const keys = Object.keys(DECISION_CHOICES) as Array<keyof Decisions>;
  t.is(keys.length, 11);
  for (const key of keys) {
    t.is(DECISION_CHOICES[key][0], PAPER_DECISIONS[key], key);
    t.true((DECISION_CHOICES[key] as readonly string[]).includes(REFERENCE_DECISIONS[key]), key);
  }
  t.deepEqual(
    keys.filter((k) => PAPER_DECISIONS[k] === REFERENCE_DECISIONS[k]),
    ['joinWhenFull'],
  );
});

const NUMERIC = ['activeSize', 'passiveSize', 'arwl', 'prwl', 'ka', 'kp', 'shuffleWalk'] as const;

for (const field of NUMERIC) {
  test(`${field}: non-integers, negatives, NaN and values above 255 are rejected naming the field`, (t) => {
    for (const bad of [-1, 1.5, Number.NaN, 256, '3' as unknown as number]) rejects(t, { [field]: bad }, field);
  });
}

test('activeSize 0 is rejected; 1 is the smallest active view', (t) => {
  rejects(t, { activeSize: 0 }, 'activeSize');
  t.is(makeConfig({ activeSize: 1 }).activeSize, 1);
});

test('prwl greater than arwl is rejected naming prwl; prwl == arwl is allowed', (t) => {
  rejects(t, { arwl: 2, prwl: 3 }, 'prwl');
  t.is(makeConfig({ arwl: 2, prwl: 2 }).prwl, 2);
});

test('an unknown decision value is rejected naming decisions.<key>', (t) => {
  rejects(t, { decisions: { races: 'maybe' as Decisions['races'] } }, 'decisions.races');
  rejects(t, { decisions: { shuffleReply: undefined as unknown as Decisions['shuffleReply'] } }, 'decisions.shuffleReply');
});

test('an unknown decision key is rejected naming it', (t) => {
  rejects(t, { decisions: { bogus: 'x' } as unknown as Partial<Decisions> }, 'decisions.bogus');
  // Keys every object inherits are not decisions either (a `--decide __proto__=x` once threw a TypeError).
  for (const key of ['__proto__', 'constructor', 'toString']) rejects(t, { decisions: { [key]: 'x' } as unknown as Partial<Decisions> }, `decisions.${key}`);
});

test('an unknown mutant is rejected naming mutant; a known one is kept', (t) => {
  rejects(t, { mutant: 'no-such-mutant' as never }, 'mutant');
  t.is(makeConfig({ mutant: 'ignore-link-down' }).mutant, 'ignore-link-down');
});

test('an unknown variant is rejected naming variant', (t) => {
  rejects(t, { variant: 'literal' }, 'variant');
});

test('variant and mutant names are own keys only: toString, __proto__ and constructor are not names', (t) => {
  for (const name of ['toString', '__proto__', 'constructor']) {
    t.throws(() => makeConfig({ variant: name }), { instanceOf: ConfigError, message: /^variant: must be one of/ });
    t.throws(() => makeConfig({ mutant: name as never }), { instanceOf: ConfigError, message: /^mutant: unknown mutant/ });
  }
});
