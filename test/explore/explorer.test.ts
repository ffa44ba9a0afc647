// The counterexample explorer, as a reader uses it: served on 127.0.0.1, opened in headless
// Chromium (offline: any request beyond the page's own origin fails the test), stepped to the
// end, where it must name the violated property and draw the overlay the trace ends in.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { withReportPage } from '../../clusters/chaos/browser.ts';
import { check } from '../../harness/checker/check.ts';
import { explorerData } from '../../harness/explore/frames.ts';
import { startExplorer } from '../../harness/explore/server.ts';

// The paper variant's asymmetric view (docs/protocol-decisions.md): a known counterexample.
const failing = check({ variant: 'paper' }).violations[0]!;

test('frames come from the replay: one per step plus the initial world; the last one is what the checker saw', (t) => {
  const d = explorerData(failing.replay);
  t.is(d.frames.length, failing.steps + 1);
  t.is(d.frames[0]!.action, null);
  t.deepEqual(d.failures.map((f) => f.property), ['active-symmetric']);
  const last = d.frames.at(-1)!;
  t.true(last.asymmetric.length > 0, 'the last frame shows the asymmetric pair');
  t.true(d.frames.slice(1).every((f) => typeof f.action === 'string' && f.action.length > 0));
});

test('in the browser: next until the end names the violated property; the graph shows the components and the asymmetric link', async (t) => {
  const explorer = await startExplorer(failing.replay);
  t.teardown(() => explorer.close());
  t.regex(explorer.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const expected = explorerData(failing.replay).frames.at(-1)!;
  const seen = await withReportPage(explorer.url, async (page, errors) => {
    t.is(await page.locator('#step').textContent(), `0 / ${failing.steps}`);
    t.true(await page.locator('#failures').isHidden());
    for (let i = 0; i < failing.steps; i++) await page.click('#next');
    t.true(await page.locator('#next').isDisabled());
    const out = {
      step: await page.locator('#step').textContent(),
      failures: await page.locator('#failures').textContent(),
      components: await page.locator('#components').textContent(),
      graph: JSON.parse((await page.evaluate(() => document.documentElement.getAttribute('data-graph'))) ?? 'null') as { nodes: number; asymmetric: number },
      back: await page.click('#prev').then(() => page.locator('#failures').isHidden()),
    };
    t.deepEqual(errors, []);
    return out;
  });
  t.is(seen.step, `${failing.steps} / ${failing.steps}`);
  t.regex(seen.failures ?? '', /VIOLATED active-symmetric: /);
  t.is(Number(seen.components), expected.components.length);
  t.is(seen.graph.nodes, expected.nodes.length);
  t.is(seen.graph.asymmetric, expected.asymmetric.length);
  t.true(seen.back, 'one step back, the violation is no longer shown');
});

const cli = (...args: string[]) => execa('node', ['bin/hyparview-harness.js', ...args], { reject: false, env: { CI: 'true' } });

test('check --out writes result.json and a trace per violation; explore takes that folder', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'check-out-')), 'out');
  const r = await cli('check', '--variant', 'paper', '--out', dir);
  t.is(r.exitCode, 1);
  const trace = readFileSync(join(dir, 'trace-1-active-symmetric.txt'), 'utf8');
  t.regex(trace, /^VIOLATED active-symmetric: /);
  t.regex(trace, /\nexplore: npx hyparview-harness explore \S+\n/);
  const page = join(dir, 'explorer.html');
  const ex = await cli('explore', dir, '--out', page);
  t.is(ex.exitCode, 0, ex.stderr);
  t.regex(readFileSync(page, 'utf8'), /<title>Counterexample explorer: \d+ steps, breaks active-symmetric<\/title>/);
});

test('explore: a bad token or a check without a violation exits 2 with one line', async (t) => {
  const bad = await cli('explore', 'not-a-token', '--no-open');
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /^explore: token/);
  const file = join(mkdtempSync(join(tmpdir(), 'explore-')), 'pass.json');
  writeFileSync(file, JSON.stringify(check({ nodes: 2 })));
  const none = await cli('explore', file, '--no-open');
  t.is(none.exitCode, 2);
  t.regex(none.stderr, /found no violation, so there is no counterexample to explore/);
});
