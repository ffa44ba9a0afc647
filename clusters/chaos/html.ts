// report.html: one self-contained page drawn from a ChaosReport. It works offline: uPlot's
// JS and CSS are read from node_modules at render time and inlined, and the report itself
// is embedded as JSON. Everything taken from the report is escaped (node ids and messages
// are data, never markup); the page script only ever sets textContent.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChaosReport, FaultKind, HealCheck, PlannedPhase } from './report.ts';

/** Fill colour of each fault kind (timeline bands; plots shade with a lighter alpha). */
export const KIND_COLORS: Readonly<Record<FaultKind, string>> = {
  partition: '#f4a261',
  'one-way': '#e9c46a',
  latency: '#8ecae6',
  bandwidth: '#90be6d',
  reset: '#cdb4db',
  slicer: '#f7a1c4',
  'limit-data': '#c9a27e',
  crash: '#e76f51',
  pause: '#adb5bd',
};

/** One fault phase as drawn: from its fault to its heal, with its heal check if any. */
export interface DrawnPhase {
  readonly index: number;
  readonly kind: FaultKind | string;
  readonly description: string;
  readonly faultAt: number;
  readonly healAt: number;
  readonly color: string;
  readonly shade: string;
  readonly check: HealCheck | null;
}

const requireFromHere = createRequire(import.meta.url);
const assets = new Map<string, string>();

/**
 * A file of an installed package (e.g. 'uplot/dist/uPlot.min.css') to inline in a page's
 * <script> or <style>, read once. No such file contains its closing tag today; an update must
 * not be able to end the element early either.
 */
export function inlineAsset(specifier: string, element: 'script' | 'style'): string {
  let text = assets.get(specifier);
  if (text === undefined) {
    text = readFileSync(requireFromHere.resolve(specifier), 'utf8').replace(new RegExp(`</${element}`, 'gi'), `<\\/${element}`);
    assets.set(specifier, text);
  }
  return text;
}

/** uPlot's script and stylesheet, to inline in a self-contained page. */
function uplot(): { js: string; css: string } {
  return { js: inlineAsset('uplot/dist/uPlot.iife.min.js', 'script'), css: inlineAsset('uplot/dist/uPlot.min.css', 'style') };
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON for a <script type="application/json">: no '<' at all, so neither </script nor <!-- can appear. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * A self-contained report page: a library (uPlot unless `assets` names another) and the page's
 * own CSS inlined, `data` embedded as JSON scripts (by element id) for `script`, nothing loaded
 * from anywhere (the CSP forbids it).
 */
export function reportPage(p: { title: string; css: string; main: string; data: Record<string, unknown>; script: string; assets?: { js: string; css: string } }): string {
  const assets = p.assets ?? uplot();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(p.title)}</title>
<style>${assets.css}</style>
<style>${p.css}</style>
</head>
<body>
<main>
${p.main}
</main>
${Object.entries(p.data).map(([id, value]) => `<script type="application/json" id="${escapeHtml(id)}">${jsonForScript(value)}</script>`).join('\n')}
<script>${assets.js}</script>
<script>${p.script}</script>
</body>
</html>
`;
}

function secs(t: number | null | undefined, digits = 1): string {
  return t === null || t === undefined || !Number.isFinite(t) ? '–' : `${t.toFixed(digits)} s`;
}

function hexToRgba(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function colorOf(kind: string): string {
  return (KIND_COLORS as Record<string, string>)[kind] ?? '#bbbbbb';
}

/** The phases to draw: the schedule's, with the times the timeline says they really happened. */
export function drawnPhases(report: ChaosReport): DrawnPhase[] {
  const byIndex = new Map<number, PlannedPhase>();
  for (const p of report.schedule) byIndex.set(p.index, p);
  const indexes = new Set<number>(report.schedule.map((p) => p.index));
  for (const e of report.timeline) if (e.event === 'fault') indexes.add(e.phase);
  const out: DrawnPhase[] = [];
  for (const index of [...indexes].sort((a, b) => a - b)) {
    const planned = byIndex.get(index);
    const fault = report.timeline.find((e) => e.phase === index && e.event === 'fault');
    const heal = report.timeline.find((e) => e.phase === index && e.event === 'heal');
    const check = report.checks.find((c) => c.phase === index) ?? null;
    const faultAt = fault?.t ?? planned?.at ?? 0;
    const healAt = heal?.t ?? check?.healedAt ?? (planned ? planned.at + planned.holdSeconds : faultAt);
    const kind = planned?.kind ?? check?.kind ?? 'unknown';
    const color = colorOf(kind);
    out.push({ index, kind, description: planned?.description ?? fault?.description ?? '', faultAt, healAt, color, shade: hexToRgba(color, 0.22), check });
  }
  return out;
}

/** The x range every plot and the timeline share. */
function xMaxOf(report: ChaosReport, phases: readonly DrawnPhase[]): number {
  let max = report.durationSeconds > 0 ? report.durationSeconds : 0;
  for (const s of report.samples) max = Math.max(max, s.t);
  for (const p of report.probes) max = Math.max(max, p.t);
  for (const v of report.violations) max = Math.max(max, v.t);
  for (const p of phases) max = Math.max(max, p.healAt, p.check?.restoredAt ?? 0);
  return max > 0 ? max : 1;
}

function tickStep(span: number): number {
  for (const step of [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600]) if (span / step <= 12) return step;
  return 7200;
}

function pct(t: number, xMax: number): string {
  return `${Math.max(0, Math.min(100, (t / xMax) * 100)).toFixed(3)}%`;
}

function checkResult(c: HealCheck | null): string {
  if (!c) return '<span class="muted">no heal check</span>';
  if (c.restoredAt !== null) return `<span class="ok">restored after ${escapeHtml(secs(c.seconds))}</span>`;
  return `<span class="bad">NOT restored within ${escapeHtml(secs(c.boundSeconds))}</span>`;
}

function renderTimeline(report: ChaosReport, phases: readonly DrawnPhase[], xMax: number): string {
  if (phases.length === 0) return '<p class="muted">No fault phases.</p>';
  const step = tickStep(xMax);
  const ticks: string[] = [];
  for (let t = 0; t <= xMax + 1e-9; t += step) ticks.push(`<span class="tl-tick" style="left:${pct(t, xMax)}">${t}</span>`);
  const vticks = report.violations.map((v, i) => `<a class="tl-vtick" href="#violation-${i}" style="left:${pct(v.t, xMax)}" title="${escapeHtml(`${secs(v.t)} ${v.property}`)}"></a>`);
  const rows = phases.map((p) => {
    const c = p.check;
    let recovery = '';
    if (c && c.restoredAt !== null) recovery = `<div class="tl-recover ok" style="left:${pct(c.healedAt, xMax)};width:calc(${pct(c.restoredAt - c.healedAt, xMax)} + 2px)" title="restored after ${escapeHtml(secs(c.seconds))}"></div>`;
    else if (c) recovery = `<div class="tl-recover bad" style="left:${pct(c.healedAt, xMax)};width:${pct(c.boundSeconds, xMax)}" title="not restored within ${escapeHtml(secs(c.boundSeconds))}"></div>`;
    return `<div class="tl-row" id="phase-${p.index}">
  <div class="tl-label"><b>#${p.index}</b> <span class="kind" style="background:${p.color}">${escapeHtml(p.kind)}</span></div>
  <div class="tl-track"><div class="tl-band" style="left:${pct(p.faultAt, xMax)};width:calc(${pct(p.healAt - p.faultAt, xMax)} + 2px);background:${p.color}" title="${escapeHtml(`${secs(p.faultAt)} – ${secs(p.healAt)}: ${p.description}`)}"></div>${recovery}</div>
  <div class="tl-result">${checkResult(c)}</div>
  <div class="tl-desc">${escapeHtml(secs(p.faultAt))} → ${escapeHtml(secs(p.healAt))} · ${escapeHtml(p.description)}</div>
</div>`;
  });
  return `<div class="tl">
<div class="tl-row tl-axisrow"><div class="tl-label muted">seconds</div><div class="tl-axis">${ticks.join('')}${vticks.join('')}</div><div></div></div>
${rows.join('\n')}
</div>
<p class="legend muted">Bands run from fault to heal; after the heal, a green bar runs to the moment the cluster was restored, a red one over the whole bound when it was not. Red ticks on the axis are violations.</p>`;
}

function renderChecks(report: ChaosReport): string {
  if (report.checks.length === 0) return '<p class="muted">No heal checks.</p>';
  const rows = report.checks.map((c) => {
    const result = c.restoredAt !== null
      ? `<span class="ok">restored after ${escapeHtml(secs(c.seconds))}</span> <span class="muted">(at ${escapeHtml(secs(c.restoredAt))})</span>`
      : `<span class="bad">NOT within ${escapeHtml(secs(c.boundSeconds))}</span>${c.failures.length ? `<ul class="failures">${c.failures.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>` : ''}`;
    return `<tr class="${c.restoredAt !== null ? '' : 'row-bad'}"><td><a href="#phase-${c.phase}">#${c.phase}</a></td><td><span class="kind" style="background:${colorOf(c.kind)}">${escapeHtml(c.kind)}</span></td><td class="num">${escapeHtml(secs(c.healedAt))}</td><td class="num">${escapeHtml(secs(c.boundSeconds))}</td><td>${result}</td></tr>`;
  });
  return `<table><thead><tr><th>Phase</th><th>Kind</th><th>Healed at</th><th>Bound</th><th>Result</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function renderViolations(report: ChaosReport): string {
  if (report.violations.length === 0) return '<p class="ok">No violations.</p>';
  const rows = report.violations.map((v, i) => `<tr id="violation-${i}"><td class="num">${i + 1}</td><td class="num"><a href="#plots" class="vlink" data-violation="${i}">${escapeHtml(secs(v.t))}</a></td><td>${v.phase === null ? '<span class="muted">between phases</span>' : `<a href="#phase-${v.phase}">#${v.phase}</a>`}</td><td><b>${escapeHtml(v.property)}</b></td><td class="msg">${escapeHtml(v.message)}</td></tr>`);
  return `<table><thead><tr><th>#</th><th>Time</th><th>Phase</th><th>Property</th><th>Message</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function renderSchedule(report: ChaosReport): string {
  if (report.schedule.length === 0) return '<p class="muted">Empty schedule.</p>';
  const rows = report.schedule.map((p) => `<tr><td>#${p.index}</td><td><span class="kind" style="background:${colorOf(p.kind)}">${escapeHtml(p.kind)}</span></td><td class="num">${escapeHtml(secs(p.at))}</td><td class="num">${escapeHtml(secs(p.holdSeconds))}</td><td class="num">${escapeHtml(secs(p.at + p.holdSeconds))}</td><td>${escapeHtml(p.description)}</td><td><code class="params">${escapeHtml(JSON.stringify(p.params))}</code></td></tr>`);
  return `<table><thead><tr><th>Phase</th><th>Kind</th><th>At</th><th>Hold</th><th>Heal at</th><th>Description</th><th>Params</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #6b7280; --line: #e3e6ea; --ok: #1a7f37; --bad: #c62828; --err: #8e24aa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #f6f7f9; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0; display: flex; align-items: center; gap: 14px; flex-wrap: wrap; }
h2 { font-size: 16px; margin: 0 0 10px; }
h3 { font-size: 13px; margin: 0 0 2px; font-weight: 600; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-top: 16px; }
a { color: #1f5fbf; text-decoration: none; } a:hover { text-decoration: underline; }
.verdict { font-size: 15px; font-weight: 700; letter-spacing: .06em; padding: 3px 12px; border-radius: 6px; color: #fff; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--bad); } .verdict.error { background: var(--err); }
.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px 18px; margin: 14px 0 0; }
.meta div { min-width: 0; } .meta dt { color: var(--muted); font-size: 12px; } .meta dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.meta .wide { grid-column: 1 / -1; } .meta .two { grid-column: span 2; }
.cmdbox { position: relative; margin-top: 12px; }
pre.cmd { margin: 0; background: #1d2330; color: #e8edf3; padding: 10px 84px 10px 12px; border-radius: 6px; white-space: pre-wrap; word-break: break-all; font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
button.copy { position: absolute; top: 7px; right: 8px; font: inherit; font-size: 12px; padding: 2px 10px; border-radius: 4px; border: 1px solid #5b6472; background: #2c3442; color: #e8edf3; cursor: pointer; }
.error-line { margin-top: 12px; padding: 8px 12px; border-radius: 6px; background: #fdecea; color: #8a1c1c; border: 1px solid #f5c2c0; font-weight: 600; overflow-wrap: anywhere; }
.muted { color: var(--muted); } .ok { color: var(--ok); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
.kind { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; color: #1d2330; white-space: nowrap; }
.summary { display: flex; gap: 18px; flex-wrap: wrap; margin-top: 10px; color: var(--muted); }
.summary b { color: var(--fg); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.msg { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
tr.row-bad td { background: #fff5f5; }
ul.failures { margin: 4px 0 0; padding-left: 18px; color: #8a1c1c; }
code.params { font-size: 11.5px; color: #4b5563; overflow-wrap: anywhere; }
.tl { display: grid; grid-template-columns: 150px 1fr 210px; row-gap: 2px; column-gap: 12px; }
.tl-row { display: contents; }
.tl-label { white-space: nowrap; align-self: center; }
.tl-track { position: relative; overflow: hidden; height: 18px; background: #f1f3f5; border-radius: 3px; align-self: center; }
.tl-band { position: absolute; top: 0; bottom: 0; border-radius: 3px; }
.tl-recover { position: absolute; top: 6px; height: 6px; border-radius: 3px; }
.tl-recover.ok { background: var(--ok); } .tl-recover.bad { background: repeating-linear-gradient(45deg, var(--bad) 0 4px, #f3b5b5 4px 8px); }
.tl-result { align-self: center; font-size: 13px; }
.tl-desc { grid-column: 2 / 4; font-size: 12px; color: var(--muted); margin-bottom: 6px; overflow-wrap: anywhere; }
.tl-axis { position: relative; height: 22px; border-bottom: 1px solid #c9ced6; }
.tl-tick { position: absolute; bottom: 2px; transform: translateX(-50%); font-size: 11px; color: var(--muted); }
.tl-vtick { position: absolute; bottom: -4px; width: 3px; height: 9px; margin-left: -1px; background: var(--bad); }
.legend { font-size: 12px; margin: 8px 0 0; }
.keys { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 12px; color: var(--muted); margin-bottom: 8px; align-items: center; }
.keys .vkey { display: inline-block; width: 2px; height: 12px; background: var(--bad); vertical-align: middle; margin-right: 4px; }
.plot { margin-top: 12px; position: relative; }
.plot .nodata { position: absolute; top: 90px; left: 0; right: 0; text-align: center; color: var(--muted); pointer-events: none; }
.plot .uplot { width: 100%; }
.plot .u-legend { font-size: 12px; }
.vmark { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px solid var(--bad); pointer-events: none; z-index: 5; }
.vmark .vlabel { position: absolute; left: 3px; white-space: nowrap; font-size: 11px; line-height: 15px; padding: 0 4px; background: rgba(255,255,255,.9); color: var(--bad); border: 1px solid #f0b4b4; border-radius: 3px; pointer-events: auto; }
.vmark.flip .vlabel { left: auto; right: 3px; }
.vmark.hi { border-left-width: 4px; } .vmark.hi .vlabel { background: var(--bad); color: #fff; }
`;

// Plain ES5-style script (no template literals): it is inlined verbatim, so nothing in it may
// depend on how this module is compiled.
const PAGE_SCRIPT = String.raw`
(function () {
  var root = document.documentElement;
  function fail(e) { root.setAttribute('data-ready', 'error'); throw e; }
  try {
    var report = JSON.parse(document.getElementById('report-data').textContent);
    var view = JSON.parse(document.getElementById('view-data').textContent);
  } catch (e) { fail(e); }
  var xMax = view.xMax;
  var samples = report.samples.slice().sort(function (a, b) { return a.t - b.t; });
  var probes = report.probes.slice().sort(function (a, b) { return a.t - b.t; });
  var violations = report.violations;
  function col(rows, key) { return rows.map(function (r) { return r[key]; }); }
  var st = col(samples, 't');

  function shadePhases(u) {
    var ctx = u.ctx, b = u.bbox;
    ctx.save();
    view.phases.forEach(function (p) {
      var x0 = Math.max(b.left, u.valToPos(p.faultAt, 'x', true));
      var x1 = Math.min(b.left + b.width, u.valToPos(p.healAt, 'x', true));
      if (x1 < x0) return;
      ctx.fillStyle = p.shade;
      ctx.fillRect(x0, b.top, Math.max(1, x1 - x0), b.height);
    });
    ctx.restore();
  }
  function guide(value) {
    return function (u) {
      if (value === null || value === undefined) return;
      var ctx = u.ctx, b = u.bbox, y = Math.round(u.valToPos(value, 'y', true));
      if (y < b.top || y > b.top + b.height) return;
      ctx.save();
      ctx.strokeStyle = 'rgba(60,60,60,0.45)';
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y); ctx.stroke();
      ctx.restore();
    };
  }
  function addMarkers(u) {
    violations.forEach(function (v, i) {
      var m = document.createElement('div');
      m.className = 'vmark';
      m.setAttribute('data-violation', String(i));
      m.setAttribute('data-property', v.property);
      var label = document.createElement('a');
      label.className = 'vlabel';
      label.href = '#violation-' + i;
      label.title = v.t.toFixed(1) + ' s: ' + v.property + ': ' + v.message;
      label.textContent = v.property;
      label.style.top = (2 + (i % 3) * 17) + 'px';
      m.appendChild(label);
      u.over.appendChild(m);
    });
    placeMarkers(u);
  }
  function placeMarkers(u) {
    var w = u.over.clientWidth;
    var marks = u.over.querySelectorAll('.vmark');
    for (var k = 0; k < marks.length; k++) {
      var v = violations[Number(marks[k].getAttribute('data-violation'))];
      var x = u.valToPos(v.t, 'x');
      marks[k].style.left = x + 'px';
      marks[k].style.display = x < -1 || x > w + 1 ? 'none' : '';
      if (x > w * 0.72) marks[k].classList.add('flip'); else marks[k].classList.remove('flip');
    }
  }

  var plots = [];
  var pending = 0;
  function drawn() { pending--; if (pending === 0) root.setAttribute('data-ready', '1'); }
  function makePlot(id, yLabel, series, data, yRange, guideValue, empty) {
    var host = document.getElementById(id);
    var width = Math.max(320, host.clientWidth);
    var first = true;
    pending++;
    var opts = {
      width: width,
      height: 210,
      cursor: { sync: { key: 'chaos' }, drag: { x: false, y: false } },
      legend: { live: false },
      scales: { x: { time: false, range: [0, xMax] }, y: { range: yRange } },
      axes: [
        { label: 'seconds', labelSize: 18, size: 34, grid: { stroke: '#eef0f3' } },
        { label: yLabel, labelSize: 18, size: 46, grid: { stroke: '#eef0f3' } }
      ],
      series: [{ label: 't', value: function (u, v) { return v === null || v === undefined ? '–' : v.toFixed(1) + ' s'; } }].concat(series),
      hooks: {
        drawClear: [shadePhases],
        draw: [guide(guideValue), placeMarkers, function () { if (first) { first = false; drawn(); } }],
        ready: [addMarkers]
      }
    };
    if (series.bands) opts.bands = series.bands;
    var u = new uPlot(opts, data, host);
    u.root.setAttribute('data-series-colors', JSON.stringify(series.map(function (s) { return s.stroke; })));
    if (empty) {
      var note = document.createElement('div');
      note.className = 'nodata';
      note.textContent = empty;
      host.appendChild(note);
    }
    plots.push({ u: u, host: host });
    return u;
  }
  function maxRange(min) {
    return function (u, lo, hi) { return [0, Math.max(min, Math.ceil((hi === null || hi === undefined ? 0 : hi) * 1.15))]; };
  }

  try {
    var noSamples = samples.length === 0 ? 'no samples recorded' : '';
    makePlot('plot-components', 'components', [
      { label: 'components', stroke: '#1f77b4', width: 2, paths: uPlot.paths.stepped({ align: 1 }), value: function (u, v) { return v === null || v === undefined ? '–' : String(v); } }
    ], [st, col(samples, 'components')], maxRange(3), 1, noSamples);
    makePlot('plot-asymmetric', 'pairs', [
      { label: 'asymmetric pairs', stroke: '#d62728', width: 2, paths: uPlot.paths.stepped({ align: 1 }), fill: 'rgba(214,39,40,0.08)', value: function (u, v) { return v === null || v === undefined ? '–' : String(v); } }
    ], [st, col(samples, 'asymmetricPairs')], maxRange(3), null, noSamples);
    var activeSeries = [
      { label: 'active min', stroke: '#9467bd', width: 1.5 },
      { label: 'active mean', stroke: '#2ca02c', width: 2, value: function (u, v) { return v === null || v === undefined ? '–' : v.toFixed(2); } },
      { label: 'active max', stroke: '#ff7f0e', width: 1.5 }
    ];
    activeSeries.bands = [{ series: [3, 1], fill: 'rgba(44,160,44,0.10)' }];
    makePlot('plot-active', 'view size', activeSeries, [st, col(samples, 'activeMin'), col(samples, 'activeMean'), col(samples, 'activeMax')], maxRange((report.config.activeSize || 0) + 1), report.config.activeSize, noSamples);
    makePlot('plot-reach', 'reach', [
      { label: 'probe reach', stroke: '#17becf', width: 1, paths: function () { return null; }, points: { show: true, size: 9, width: 2, fill: 'rgba(23,190,207,0.35)' },
        value: function (u, v) { return v === null || v === undefined ? '–' : (v * 100).toFixed(0) + ' %'; } }
    ], [col(probes, 't'), col(probes, 'reach')], [0, 1.05], 1, probes.length === 0 ? 'no probes recorded' : '');
  } catch (e) { fail(e); }

  window.__chaosPlots = plots.map(function (p) { return p.u; });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      plots.forEach(function (p) { p.u.setSize({ width: Math.max(320, p.host.clientWidth), height: 210 }); });
    }, 100);
  });
  document.querySelectorAll('a.vlink').forEach(function (a) {
    a.addEventListener('click', function () {
      var i = a.getAttribute('data-violation');
      document.querySelectorAll('.vmark').forEach(function (m) { m.classList.toggle('hi', m.getAttribute('data-violation') === i); });
    });
  });
  var copy = document.getElementById('copy-command');
  if (copy) copy.addEventListener('click', function () {
    var text = document.getElementById('command').textContent;
    var done = function () { copy.textContent = 'Copied'; setTimeout(function () { copy.textContent = 'Copy'; }, 1500); };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, function () { selectCommand(); });
    else selectCommand();
  });
  function selectCommand() {
    var range = document.createRange();
    range.selectNodeContents(document.getElementById('command'));
    var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
  }
})();
`;

export function renderReportHtml(report: ChaosReport): string {
  const phases = drawnPhases(report);
  const xMax = xMaxOf(report, phases);
  const verdict = report.verdict === 'pass' ? 'PASS' : report.verdict === 'fail' ? 'FAIL' : 'ERROR';
  const c = report.config;
  const restored = report.checks.filter((x) => x.restoredAt !== null).length;
  // Third field: the cell spans two columns.
  const meta: [string, string, boolean?][] = [
    ['Backend', report.backend],
    ['Nodes', String(report.nodes)],
    ['Seed', String(report.seed)],
    ['Duration', secs(report.durationSeconds, 0)],
    ['Heal bound', secs(report.boundSeconds)],
    ['Faults', report.faults.length ? report.faults.join(', ') : 'none', true],
    ['Started', report.startedAt, true],
    ['Finished', report.finishedAt, true],
  ];
  const nodeConfig = `active ${c.activeSize} · passive ${c.passiveSize} · shuffle every ${c.shufflePeriodMs} ms · keepalive ${c.keepaliveIntervalMs} ms, timeout ${c.keepaliveTimeoutMs} ms · variant ${c.variant}${Object.entries(c.decisions).map(([k, v]) => ` · ${k}=${v}`).join('')} · mutant ${c.mutant ?? 'none'}`;
  const kinds = [...new Set(phases.map((p) => p.kind))];
  const view = { xMax, phases: phases.map((p) => ({ index: p.index, kind: p.kind, faultAt: p.faultAt, healAt: p.healAt, shade: p.shade })) };
  const title = `Chaos ${verdict}: ${report.nodes} nodes, seed ${report.seed} (${report.backend})`;

  return reportPage({
    title,
    css: CSS,
    main: `<section id="summary">
  <h1><span>HyParView chaos run</span> <span class="verdict ${escapeHtml(report.verdict)}" id="verdict">${verdict}</span></h1>
  <dl class="meta">
    ${meta.map(([k, v, wide]) => `<div${wide ? ' class="two"' : ''}><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('\n    ')}
    <div class="wide"><dt>Node config</dt><dd>${escapeHtml(nodeConfig)}</dd></div>
  </dl>
  <div class="summary">
    <span><b>${report.schedule.length}</b> phases</span>
    <span><b>${restored}/${report.checks.length}</b> heals restored within the bound</span>
    <span><b>${report.violations.length}</b> violations</span>
    <span><b>${report.samples.length}</b> samples</span>
    <span><b>${report.probes.length}</b> probes</span>
  </div>
  ${report.error !== undefined ? `<div class="error-line" id="error">Error: ${escapeHtml(report.error)}</div>` : ''}
  <div class="cmdbox"><pre class="cmd"><code id="command">${escapeHtml(report.command)}</code></pre><button type="button" class="copy" id="copy-command" title="Copy the rerun command">Copy</button></div>
</section>

<section id="timeline">
  <h2>Fault timeline</h2>
  ${renderTimeline(report, phases, xMax)}
</section>

<section id="plots">
  <h2>Over time</h2>
  <div class="keys">${kinds.map((k) => `<span><span class="kind" style="background:${colorOf(k)}">${escapeHtml(k)}</span></span>`).join('')}<span>shaded: fault in force</span>${report.violations.length ? '<span><span class="vkey"></span>violation (labelled with its property)</span>' : ''}<span>dashed: target value</span></div>
  <div class="plot"><h3>Connected components</h3><div id="plot-components"></div></div>
  <div class="plot"><h3>Asymmetric active-view pairs</h3><div id="plot-asymmetric"></div></div>
  <div class="plot"><h3>Active-view size (min / mean / max over live nodes; dashed: configured size)</h3><div id="plot-active"></div></div>
  <div class="plot"><h3>Probe broadcast reach (delivered / live)</h3><div id="plot-reach"></div></div>
</section>

<section id="checks">
  <h2>Heal checks</h2>
  ${renderChecks(report)}
</section>

<section id="violations">
  <h2>Violations</h2>
  ${renderViolations(report)}
</section>

<section id="schedule">
  <h2>Schedule</h2>
  ${renderSchedule(report)}
</section>`,
    data: { 'report-data': report, 'view-data': view },
    script: PAGE_SCRIPT,
  });
}
