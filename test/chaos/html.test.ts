// report.html in a real headless chromium: a seeded, realistic ChaosReport (8 nodes, 120 s,
// six fault phases, one heal that failed, two violations, one carrying an HTML-injection node
// id) must draw four non-blank uPlot plots with every violation marked, log no errors, and
// show the injected id as text. An "error" report with no samples or probes must still render.
// Needs Debian's chromium at /usr/bin/chromium (or CHROMIUM_PATH): without it the tests fail.
// Set CHAOS_HTML_TEST_OUT=<dir> to keep the fixture's report.html and screenshot there.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { inspectReport, withReportPage } from '../../clusters/chaos/browser.ts';
import { renderReportHtml } from '../../clusters/chaos/html.ts';
import type { ChaosReport, FaultKind, HealCheck, PlannedPhase, Probe, ReportViolation, Sample, TimelineEvent } from '../../clusters/chaos/report.ts';

const SEED = Number(process.env.HYPARVIEW_TEST_SEED ?? 4242);
const EVIL = '<script>alert(1)</script>';

function outDir(name: string): { dir: string; cleanup: () => void } {
  const keep = process.env.CHAOS_HTML_TEST_OUT;
  if (keep) {
    const dir = join(keep, name);
    mkdirSync(dir, { recursive: true });
    return { dir, cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), `chaos-html-${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A run as the chaos harness would record it: 8 nodes, 120 s, one sample a second. */
function fixtureReport(seed: number): ChaosReport {
  const rng = xoroshiro128plus(seed);
  const int = (lo: number, hi: number): number => uniformInt(rng, lo, hi);
  const ids = Array.from({ length: 8 }, (_, i) => `n${i + 1}`);
  const nodes = 8, duration = 120, bound = 10;
  const kinds: FaultKind[] = ['partition', 'one-way', 'latency', 'crash', 'pause', 'slicer'];
  const failedPhase = 3;

  const schedule: PlannedPhase[] = kinds.map((kind, index) => {
    const at = 4 + index * 19 + int(0, 2);
    const holdSeconds = int(5, 8);
    const victim = ids[int(0, nodes - 1)]!;
    const half = ids.slice(0, 4).join(' ') + ' | ' + ids.slice(4).join(' ');
    const description = {
      partition: `halves: ${half} (blackhole)`,
      'one-way': `one-way: ${ids[0]} ${ids[1]} -> ${ids.slice(2).join(' ')} dropped`,
      latency: `latency 400 ms ± 100 ms on every link of ${victim}`,
      crash: `crash ${victim} (SIGKILL), restart at heal`,
      pause: `pause ${victim} (SIGSTOP), SIGCONT at heal`,
      slicer: `slicer: 64-byte slices, 2 ms apart, on ${victim}'s links`,
      bandwidth: '', reset: '', 'limit-data': '',
    }[kind];
    return { index, kind, description, at, holdSeconds, params: { victim, groups: kind === 'partition' ? [ids.slice(0, 4), ids.slice(4)] : undefined } };
  });

  const timeline: TimelineEvent[] = [];
  const checks: HealCheck[] = [];
  const probes: Probe[] = [];
  for (const p of schedule) {
    const healedAt = p.at + p.holdSeconds;
    timeline.push({ t: p.at, phase: p.index, event: 'fault', description: p.description });
    timeline.push({ t: healedAt, phase: p.index, event: 'heal', description: `heal ${p.kind}` });
    if (p.index === failedPhase) {
      timeline.push({ t: healedAt + bound, phase: p.index, event: 'not-restored', description: `not restored within ${bound} s` });
      checks.push({ phase: p.index, kind: p.kind, healedAt, restoredAt: null, seconds: null, boundSeconds: bound, failures: ['2 components: {n3} | {n1 n2 n4 n5 n6 n7 n8}', 'n3 isolated (active view empty)', 'probe reached 7/8'] });
      probes.push({ t: healedAt + 2, phase: p.index, delivered: 6, live: 8, reach: 6 / 8 });
      probes.push({ t: healedAt + bound, phase: p.index, delivered: 7, live: 8, reach: 7 / 8 });
    } else {
      const seconds = int(12, 45) / 10;
      timeline.push({ t: healedAt + seconds, phase: p.index, event: 'restored', description: `restored after ${seconds.toFixed(1)} s` });
      checks.push({ phase: p.index, kind: p.kind, healedAt, restoredAt: healedAt + seconds, seconds, boundSeconds: bound, failures: [] });
      probes.push({ t: healedAt + seconds + 0.5, phase: p.index, delivered: 8, live: 8, reach: 1 });
    }
  }

  const samples: Sample[] = [];
  for (let t = 0; t <= duration; t++) {
    const inForce = schedule.find((p) => t >= p.at && t < p.at + p.holdSeconds);
    const check = checks.find((c) => t >= c.healedAt && (c.restoredAt === null ? t < c.healedAt + bound + 3 : t < c.restoredAt));
    let components = 1, asym = 0, activeMin = int(3, 4), activeMax = 5, live = nodes, unreachable = 0;
    if (inForce) {
      if (inForce.kind === 'partition') components = 2;
      if (inForce.kind === 'crash') { live = nodes - 1; activeMin = int(1, 3); }
      if (inForce.kind === 'pause') unreachable = 1;
      asym = int(inForce.kind === 'latency' ? 0 : 1, 4);
      activeMin = Math.min(activeMin, int(1, 3));
    } else if (check) {
      asym = check.restoredAt === null ? int(1, 2) : int(0, 2);
      if (check.restoredAt === null) { components = 2; activeMin = 0; }
    }
    const activeMean = Math.round(((activeMin + activeMax) / 2 + int(-3, 3) / 10) * 100) / 100;
    samples.push({ t, phase: inForce?.index ?? null, live, unreachable, components, asymmetricPairs: asym, activeMin, activeMean, activeMax, passiveMean: 6 + int(0, 10) / 10, alwaysViolations: 0 });
  }

  const failed = checks.find((c) => c.restoredAt === null)!;
  const violations: ReportViolation[] = [
    { t: failed.healedAt + bound, phase: failed.phase, property: 'healed-within-bound', message: `not restored ${bound} s after the heal of phase ${failed.phase}: 2 components` },
    { t: failed.healedAt + 4, phase: null, property: 'active-view-symmetric', message: `node ${EVIL} has n2 in its active view but n2 does not have it` },
  ];
  const config = { activeSize: 5, passiveSize: 30, shufflePeriodMs: 1000, keepaliveIntervalMs: 500, keepaliveTimeoutMs: 1500, variant: 'reference', decisions: {}, mutant: null };
  return {
    version: 1, verdict: 'fail',
    command: `npx hyparview-harness chaos --backend local --nodes ${nodes} --seed ${seed} --duration ${duration} --faults ${kinds.join(',')} --bound ${bound}`,
    backend: 'local', seed, nodes, durationSeconds: duration, faults: kinds, boundSeconds: bound, config,
    startedAt: '2025-01-01T12:00:00.000Z', finishedAt: '2025-01-01T12:02:03.000Z',
    schedule, timeline, samples, probes, checks, violations,
  };
}

test('fixture report: 4 non-blank uPlot plots, both violations marked, no console errors, injected node id shown as text', async (t) => {
  t.timeout(90_000);
  const report = fixtureReport(SEED);
  const { dir, cleanup } = outDir('fixture');
  t.teardown(cleanup);
  const htmlPath = join(dir, 'report.html');
  const pngPath = join(dir, 'report.png');

  let since = performance.now();
  const html = renderReportHtml(report);
  writeFileSync(htmlPath, html);
  t.log(`rendered ${(html.length / 1024).toFixed(0)} KiB in ${(performance.now() - since).toFixed(0)} ms: ${htmlPath}`);

  // Self-contained and escaped: no external reference, and the injected id never appears raw.
  t.false(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html), 'the page references nothing outside itself');
  t.false(html.includes(EVIL), 'the injected node id never appears unescaped');
  t.true(html.includes('node &lt;script&gt;alert(1)&lt;/script&gt; has n2'), 'the injected node id is HTML-escaped in the violations table');
  t.is(readFileSync(htmlPath, 'utf8').match(/<script\b/g)?.length, 4, 'only the page\'s own four script elements');

  since = performance.now();
  const r = await inspectReport(htmlPath, pngPath);
  t.log(`inspected in ${(performance.now() - since).toFixed(0)} ms: ${JSON.stringify(r)}; screenshot ${pngPath}`);
  t.deepEqual(r.consoleErrors, []);
  t.is(r.plots, 4);
  t.is(r.nonBlankPlots, 4);
  t.is(r.violationMarkers, report.violations.length);
  t.regex(r.title, /FAIL/);
  t.regex(r.title, new RegExp(`seed ${SEED}`));
  t.true(readFileSync(pngPath).subarray(1, 4).toString() === 'PNG', 'a PNG screenshot was written');

  const dom = await withReportPage(htmlPath, async (page, errors) => {
    return {
      errors,
      verdict: await page.locator('#verdict').textContent(),
      command: await page.locator('#command').textContent(),
      message: await page.locator('#violation-1 td.msg').textContent(),
      scripts: await page.locator('script').count(),
      markerLabels: await page.locator('#plot-components .vmark .vlabel').allTextContents(),
      checkRows: await page.locator('#checks tbody tr').count(),
      notRestored: await page.locator('#checks tr.row-bad').textContent(),
      scheduleRows: await page.locator('#schedule tbody tr').count(),
      timelineRows: await page.locator('#timeline .tl-band').count(),
    };
  });
  t.deepEqual(dom.errors, [], 'no dialog, console or page error (an executed injection would open an alert)');
  t.is(dom.verdict, 'FAIL');
  t.is(dom.command, report.command);
  t.is(dom.message, report.violations[1]!.message, 'the injected node id is text in the DOM');
  t.is(dom.scripts, 4, 'no script element was injected');
  t.deepEqual(dom.markerLabels, report.violations.map((v) => v.property), 'each marker is labelled with its property');
  t.is(dom.checkRows, 6);
  t.regex(dom.notRestored ?? '', /NOT within 10\.0 s/);
  t.regex(dom.notRestored ?? '', /n3 isolated/);
  t.is(dom.scheduleRows, 6);
  t.is(dom.timelineRows, 6);
});

test('an error report with no samples, probes or phases still renders without page errors', async (t) => {
  t.timeout(60_000);
  const report: ChaosReport = {
    version: 1, verdict: 'error',
    command: 'npx hyparview-harness chaos --backend docker --nodes 8 --seed 7 --duration 120',
    backend: 'docker', seed: 7, nodes: 8, durationSeconds: 120, faults: ['partition', 'crash'], boundSeconds: 30,
    config: { activeSize: 5, passiveSize: 30, shufflePeriodMs: 1000, keepaliveIntervalMs: 500, keepaliveTimeoutMs: 1500, variant: 'reference', decisions: { fullViewSwap: 'never' }, mutant: 'no-shuffle-reply' },
    startedAt: '2025-01-01T12:00:00.000Z', finishedAt: '2025-01-01T12:00:04.000Z',
    schedule: [], timeline: [], samples: [], probes: [], checks: [], violations: [],
    error: 'docker daemon not reachable at /var/run/docker.sock: connect ENOENT </script><b>x</b>',
  };
  const { dir, cleanup } = outDir('error');
  t.teardown(cleanup);
  const htmlPath = join(dir, 'report.html');
  const html = renderReportHtml(report);
  writeFileSync(htmlPath, html);
  t.false(html.includes('</script><b>'), 'the error message is escaped');
  t.regex(html, /variant reference · fullViewSwap=never · mutant no-shuffle-reply/, 'decision overrides are shown with the node config');

  const since = performance.now();
  const r = await inspectReport(htmlPath, join(dir, 'report.png'));
  t.log(`inspected in ${(performance.now() - since).toFixed(0)} ms: ${JSON.stringify(r)}`);
  t.deepEqual(r.consoleErrors, []);
  t.is(r.plots, 4);
  t.is(r.violationMarkers, 0);
  t.regex(r.title, /ERROR/);
  const errorLine = await withReportPage(htmlPath, (page) => page.locator('#error').textContent());
  t.is(errorLine, `Error: ${report.error}`);
});
