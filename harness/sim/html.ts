// report.html of the paper sweep: one self-contained page (uPlot inlined, data embedded as
// JSON) with a plot per experiment and the paper's values beside the measured ones.
import { escapeHtml, reportPage } from '../../clusters/chaos/html.ts';
import type { ProtocolName } from './protocols.ts';
import { cyc, PAPER_VALUES, type PaperReport, pct } from './report.ts';

const COLORS: Record<ProtocolName, string> = { hyparview: '#1f77b4', cyclon: '#ff7f0e', scamp: '#2ca02c' };
/** Failure levels whose message-by-message reliability gets its own plot (where swept). */
const DETAIL_LEVELS = [0.5, 0.8, 0.9, 0.95];


function overlayTable(r: PaperReport): string {
  const names = Object.keys(r.protocols) as ProtocolName[];
  const rows: Array<[string, (n: ProtocolName) => string, string]> = [
    ['Clustering coefficient', (n) => r.protocols[n]!.overlay.clustering.toFixed(5), `${PAPER_VALUES.hyparview.clustering} (HyParView); random graph ${PAPER_VALUES.randomGraph.clustering}`],
    ['Average shortest path', (n) => r.protocols[n]!.overlay.averagePath.toFixed(2), `${PAPER_VALUES.hyparview.averagePath} (HyParView); random graph ${PAPER_VALUES.randomGraph.averagePath}`],
    ['Unreachable pairs', (n) => pct(r.protocols[n]!.overlay.unreachable), ''],
    ['Full views after the stabilisation', (n) => pct(r.protocols[n]!.overlay.fullViews), 'almost all (HyParView, 50 cycles)'],
    ['Mean view size', (n) => r.protocols[n]!.overlay.meanView.toFixed(2), ''],
    ['Last delivery hop (no fault)', (n) => r.protocols[n]!.probes.lastHop.toFixed(1), ''],
    ['Relative message redundancy', (n) => r.protocols[n]!.probes.redundancy.toFixed(2), ''],
    ['Reliability, no fault', (n) => pct(r.protocols[n]!.probes.reliability), ''],
    ['All-at-once bootstrap: clustering', (n) => r.protocols[n]!.atOnce?.clustering.toFixed(5) ?? '–', ''],
    ['All-at-once bootstrap: average path', (n) => r.protocols[n]!.atOnce?.averagePath.toFixed(2) ?? '–', ''],
    ['All-at-once bootstrap: reliability at 50% failed', (n) => (r.protocols[n]!.atOnce ? pct(r.protocols[n]!.atOnce!.reliabilityAt50) : '–'), ''],
  ];
  return `<table class="grid"><thead><tr><th></th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}<th>paper</th></tr></thead><tbody>
${rows.map(([label, f, paper]) => `<tr><th>${escapeHtml(label)}</th>${names.map((n) => `<td>${escapeHtml(f(n))}</td>`).join('')}<td class="paper">${escapeHtml(paper)}</td></tr>`).join('\n')}
</tbody></table>`;
}

function levelTable(r: PaperReport): string {
  const names = Object.keys(r.protocols) as ProtocolName[];
  return `<table class="grid"><thead><tr><th>failed</th>${names.map((n) => `<th>${escapeHtml(n)}: reliability / first message / healed after (reliability, views)</th>`).join('')}</tr></thead><tbody>
${r.options.failLevels
  .map((fail, i) => `<tr><th>${pct(fail)}</th>${names.map((n) => { const l = r.protocols[n]!.levels[i]!; return `<td>${pct(l.reliability)} / ${pct(l.firstMessage)} / ${cyc(l.reliabilityHealedAfter)}, ${cyc(l.viewsHealedAfter)}</td>`; }).join('')}</tr>`)
  .join('\n')}
</tbody></table>`;
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #fafbfc; }
main { max-width: 1100px; margin: 0 auto; padding: 20px; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 14px; margin: 14px 0 4px; }
.meta { color: #5b6472; } pre { background: #eef1f5; padding: 8px 10px; overflow-x: auto; border-radius: 4px; }
table.grid { border-collapse: collapse; width: 100%; font-size: 13px; } .grid th, .grid td { border: 1px solid #d9dee5; padding: 4px 8px; text-align: right; }
.grid th:first-child { text-align: left; } .grid td.paper { text-align: left; color: #5b6472; }
.plot .uplot { width: 100%; } .plots { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.bad { color: #b42318; } ul.claims li { margin: 2px 0; }
`;

const PAGE_SCRIPT = String.raw`
(function () {
  var root = document.documentElement;
  var r = JSON.parse(document.getElementById('report-data').textContent);
  var colors = JSON.parse(document.getElementById('colors').textContent);
  var names = Object.keys(r.protocols);
  var pending = 0;
  function plot(id, xLabel, yLabel, xs, series, yRange) {
    var host = document.getElementById(id);
    if (!host) return;
    pending++;
    var first = true;
    var u = new uPlot({
      width: Math.max(320, host.clientWidth), height: 230,
      legend: { live: false },
      scales: { x: { time: false }, y: { range: yRange } },
      axes: [{ label: xLabel, labelSize: 18, size: 34 }, { label: yLabel, labelSize: 18, size: 50 }],
      series: [{ label: xLabel }].concat(series.map(function (s) { return { label: s.label, stroke: s.color, width: 2, dash: s.dash, points: { show: xs.length <= 30 } }; })),
      hooks: { draw: [function () { if (first) { first = false; pending--; if (pending === 0) root.setAttribute('data-ready', '1'); } }] }
    }, [xs].concat(series.map(function (s) { return s.data; })), host);
    u.root.setAttribute('data-series-colors', JSON.stringify(series.map(function (s) { return s.color; })));
  }
  var levels = r.options.failLevels.map(function (f) { return Math.round(f * 1000) / 10; });
  function perProtocol(f) { return names.map(function (n) { return { label: n, color: colors[n], data: f(r.protocols[n]) }; }); }
  plot('plot-reliability', 'failed %', 'reliability', levels, perProtocol(function (p) { return p.levels.map(function (l) { return l.reliability; }); }), [0, 1.02]);
  plot('plot-first', 'failed %', 'reliability', levels, perProtocol(function (p) { return p.levels.map(function (l) { return l.firstMessage; }); }), [0, 1.02]);
  plot('plot-heal-reliability', 'failed %', 'cycles', levels, perProtocol(function (p) { return p.levels.map(function (l) { return l.reliabilityHealedAfter; }); }), [0, null]);
  plot('plot-heal-views', 'failed %', 'cycles', levels, perProtocol(function (p) { return p.levels.map(function (l) { return l.viewsHealedAfter; }); }), [0, null]);
  r.options.failLevels.forEach(function (fail, i) {
    var host = document.getElementById('plot-messages-' + Math.round(fail * 1000));
    if (!host) return;
    var count = r.protocols[names[0]].levels[i].perMessage.length;
    var xs = []; for (var k = 1; k <= count; k++) xs.push(k);
    plot(host.id, 'message after the failure', 'reliability', xs, perProtocol(function (p) { return p.levels[i].perMessage; }), [0, 1.02]);
  });
  var maxDeg = 0;
  names.forEach(function (n) { maxDeg = Math.max(maxDeg, r.protocols[n].overlay.inDegree.length); });
  var degs = []; for (var d = 0; d < maxDeg; d++) degs.push(d);
  plot('plot-indegree', 'in-degree', 'nodes', degs, perProtocol(function (p) { return degs.map(function (d) { return p.overlay.inDegree[d] || 0; }); }), [0, null]);
  if (r.options.churnRates.length > 0) {
    var series = [];
    names.forEach(function (n) { r.protocols[n].churn.forEach(function (c, j) { series.push({ label: n + ' ' + (c.churn * 100) + '%/cycle', color: colors[n], dash: j === 0 ? undefined : [6, 4], data: c.perCycle.map(function (x) { return x.reliability; }) }); }); });
    var cycles = r.protocols[names[0]].churn[0].perCycle.map(function (x) { return x.cycle; });
    plot('plot-churn', 'cycle', 'reliability', cycles, series, [0, 1.02]);
  }
  if (pending === 0) root.setAttribute('data-ready', '1');
})();
`;

export function renderPaperHtml(r: PaperReport): string {
  const o = r.options;
  const detail = DETAIL_LEVELS.filter((l) => o.failLevels.includes(l));
  const title = `HyParView paper evaluation: ${o.nodes} nodes, ${o.seeds.length} seed(s)`;
  const violations = r.violations.length === 0
    ? '<p>No property broke on the simulated HyParView snapshots (always-properties every cycle, quiescent ones at the two quiescent points of each run).</p>'
    : `<ul class="bad">${r.violations.slice(0, 50).map((v) => `<li>${escapeHtml(v.property)} (${escapeHtml(v.protocol)}, seed ${v.seed}, ${pct(v.fail)} failed${v.churn ? `, churn ${pct(v.churn)}` : ''}, cycle ${v.cycle}): ${escapeHtml(v.message)}<br><code>${escapeHtml(v.command)}</code></li>`).join('')}</ul>`;
  return reportPage({
    title,
    css: CSS,
    main: `<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(o.protocols.join(', '))} · failure levels ${escapeHtml(o.failLevels.map(pct).join(', '))} · ${o.cycles} cycles before the failure · ${r.seconds.toFixed(0)} s on ${r.machine.cpus} core(s), Node ${escapeHtml(r.machine.node)}</p>
<pre><code id="command">${escapeHtml(r.command)}</code></pre>
<h2>What the paper reports</h2>
<ul class="claims">${PAPER_VALUES.claims.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>
<h2>a. Reliability after a simultaneous failure</h2>
<div class="plots"><div class="plot"><h3>Mean reliability of the messages after the failure</h3><div id="plot-reliability"></div></div>
<div class="plot"><h3>Reliability of the first message after the failure</h3><div id="plot-first"></div></div>
${detail.map((l) => `<div class="plot"><h3>Message by message, ${pct(l)} failed</h3><div id="plot-messages-${Math.round(l * 1000)}"></div></div>`).join('\n')}</div>
${levelTable(r)}
<h2>b. Healing</h2>
<div class="plots"><div class="plot"><h3>Cycles until every message reaches every live node (worst seed; gaps: never within the run)</h3><div id="plot-heal-reliability"></div></div>
<div class="plot"><h3>Cycles until no view names a dead node and views are as full as before (worst seed)</h3><div id="plot-heal-views"></div></div></div>
<h2>c, d. The stabilised overlay, and a broadcast on it</h2>
${overlayTable(r)}
<div class="plot"><h3>In-degree distribution (first seed)</h3><div id="plot-indegree"></div></div>
${o.churnRates.length > 0 ? `<h2>e. Steady churn (beyond the paper)</h2><div class="plot"><h3>Reliability per cycle while a share of the nodes is replaced every cycle</h3><div id="plot-churn"></div></div>` : ''}
<h2>Properties</h2>
${violations}
${r.beyondRepair.length > 0 ? `<h3>Beyond repair</h3><p>At the end of these runs the survivors' views (active and passive, read as a graph) fall apart into separate groups: no protocol could reconnect them, so these are reported, not failed.</p><ul>${r.beyondRepair.slice(0, 30).map((v) => `<li>${escapeHtml(v.property)} (seed ${v.seed}, ${pct(v.fail)} failed): ${escapeHtml(v.message.length > 200 ? `${v.message.slice(0, 200)}…` : v.message)}</li>`).join('')}</ul>` : ''}`,
    data: { 'report-data': { ...r, jobs: undefined }, colors: COLORS },
    script: PAGE_SCRIPT,
  });
}
