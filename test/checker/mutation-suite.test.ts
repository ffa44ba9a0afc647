// Every injected bug must be caught, on a scenario the reference node passes (check.test.ts).
import test from 'ava';
import { MUTANTS } from '../../models/hyparview/mutants.ts';
import { mutantNames, runMutant } from '../../harness/checker/mutants.ts';

test('the suite has at least ten named mutants', (t) => {
  t.true(mutantNames().length >= 10);
  t.deepEqual(mutantNames().sort(), Object.keys(MUTANTS).sort());
});

for (const mutant of mutantNames()) {
  test(`mutant ${mutant} is caught`, (t) => {
    const r = runMutant(mutant);
    t.true(r.caught, `${mutant} (${r.description}) was not caught on scenario ${r.scenario}`);
    t.truthy(r.property);
    t.true(r.steps > 0);
    t.regex(r.replay ?? '', /^[A-Za-z0-9_-]+$/);
  });
}
