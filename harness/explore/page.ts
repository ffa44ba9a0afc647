// The explorer's page: one self-contained HTML file (Cytoscape.js inlined from node_modules, the
// frames embedded as JSON), so it works offline. Step forward and back through a counterexample:
// the overlay as a graph, the messages in flight on each link, each node's views, and at the end
// the property that breaks.
import { escapeHtml, inlineAsset, reportPage } from '../../clusters/chaos/html.ts';
import type { ExplorerData } from './frames.ts';

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #fafbfc; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 20px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 14px 0 6px; }
.meta { color: #5b6472; margin: 0 0 8px; } code { font-size: 12px; overflow-wrap: anywhere; }
.controls { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
.controls button { font: inherit; padding: 4px 12px; border: 1px solid #c9ced6; border-radius: 4px; background: #fff; cursor: pointer; }
.controls button:disabled { opacity: .4; cursor: default; }
.layout { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 16px; }
#graph { height: 460px; background: #fff; border: 1px solid #d9dee5; border-radius: 6px; }
.action { font-family: ui-monospace, monospace; background: #eef1f5; padding: 6px 8px; border-radius: 4px; min-height: 1.4em; }
.failure { background: #fdecea; color: #b42318; border: 1px solid #f0b4b4; padding: 6px 8px; border-radius: 4px; margin-top: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { border: 1px solid #d9dee5; padding: 3px 6px; text-align: left; }
tr.crashed td { color: #8a919c; text-decoration: line-through; } tr.stepped td { background: #fff6d6; }
ul.links { margin: 0; padding-left: 18px; font-family: ui-monospace, monospace; font-size: 12px; }
.legend { font-size: 12px; color: #5b6472; margin-top: 4px; }
`;

// Plain ES5-style script, inlined verbatim: it only ever sets textContent.
const PAGE_SCRIPT = String.raw`
(function () {
  var root = document.documentElement;
  var data = JSON.parse(document.getElementById('explorer-data').textContent);
  var frames = data.frames, n = frames[0].nodes.length, at = 0;
  var positions = {};
  for (var i = 0; i < n; i++) {
    var a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    positions['n' + i] = { x: 200 + 160 * Math.cos(a), y: 200 + 160 * Math.sin(a) };
  }
  var cy = cytoscape({
    container: document.getElementById('graph'),
    userZoomingEnabled: false, userPanningEnabled: false, boxSelectionEnabled: false, autoungrabify: true,
    style: [
      { selector: 'node', style: { label: 'data(label)', 'text-valign': 'center', 'text-halign': 'center', color: '#fff', 'background-color': '#1f77b4', width: 38, height: 38, 'font-size': 13 } },
      { selector: 'node.waiting', style: { 'background-color': '#9db7d1' } },
      { selector: 'node.crashed', style: { 'background-color': '#adb5bd', shape: 'octagon', label: 'data(crashLabel)' } },
      { selector: 'node.stepped', style: { 'border-width': 5, 'border-color': '#f4a261' } },
      { selector: 'edge', style: { width: 2, 'curve-style': 'bezier' } },
      { selector: 'edge.active', style: { 'line-color': '#1d2430', width: 3 } },
      { selector: 'edge.asymmetric', style: { 'line-color': '#d62728', 'target-arrow-color': '#d62728', 'target-arrow-shape': 'triangle', width: 3 } },
      { selector: 'edge.passive', style: { 'line-color': '#b8c0cc', 'line-style': 'dashed', 'target-arrow-color': '#b8c0cc', 'target-arrow-shape': 'vee', width: 1.5 } },
      { selector: 'edge.flight', style: { 'line-color': '#2ca02c', 'line-style': 'dotted', 'target-arrow-color': '#2ca02c', 'target-arrow-shape': 'triangle', label: 'data(label)', 'font-size': 11, color: '#2ca02c', 'text-background-color': '#fff', 'text-background-opacity': 0.9 } }
    ]
  });
  function elements(f) {
    var els = [];
    f.nodes.forEach(function (node) {
      var cls = [node.alive ? '' : 'crashed', node.joined ? '' : 'waiting', f.stepped === node.id ? 'stepped' : ''].join(' ');
      els.push({ group: 'nodes', data: { id: 'n' + node.id, label: String(node.id), crashLabel: node.id + '✕' }, position: positions['n' + node.id], classes: cls });
    });
    f.nodes.forEach(function (node) {
      node.active.forEach(function (p) {
        var mutual = f.nodes[p].active.indexOf(node.id) >= 0;
        if (mutual && p < node.id) return;
        els.push({ group: 'edges', data: { id: 'a' + node.id + '-' + p, source: 'n' + node.id, target: 'n' + p }, classes: mutual ? 'active' : 'asymmetric' });
      });
      node.passive.forEach(function (p) {
        els.push({ group: 'edges', data: { id: 'p' + node.id + '-' + p, source: 'n' + node.id, target: 'n' + p }, classes: 'passive' });
      });
    });
    f.links.forEach(function (l) {
      els.push({ group: 'edges', data: { id: 'f' + l.from + '-' + l.to, source: 'n' + l.from, target: 'n' + l.to, label: String(l.packets.length) }, classes: 'flight' });
    });
    return els;
  }
  function text(id, value) { document.getElementById(id).textContent = value; }
  function ids(xs) { return '[' + xs.join(',') + ']'; }
  function show(k) {
    at = Math.max(0, Math.min(frames.length - 1, k));
    var f = frames[at];
    cy.elements().remove();
    cy.add(elements(f));
    text('step', at + ' / ' + (frames.length - 1));
    text('action', f.action === null ? '(initial world: node 0 up, the others about to join)' : at + '. ' + f.action);
    text('components', String(f.components.length));
    text('component-list', f.components.map(ids).join(' '));
    text('asymmetric', f.asymmetric.length === 0 ? 'none' : f.asymmetric.map(function (p) { return p[0] + '→' + p[1]; }).join(', '));
    var body = document.getElementById('views');
    body.textContent = '';
    f.nodes.forEach(function (node) {
      var tr = document.createElement('tr');
      tr.className = (node.alive ? '' : 'crashed ') + (f.stepped === node.id ? 'stepped' : '');
      [String(node.id) + (node.alive ? '' : ' (crashed)'), ids(node.active), ids(node.passive), node.pending < 0 ? '–' : String(node.pending) + (node.timers.indexOf(node.pending) >= 0 ? '' : ' (no timer)')].forEach(function (c) {
        var td = document.createElement('td');
        td.textContent = c;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    var links = document.getElementById('links');
    links.textContent = '';
    if (f.links.length === 0) { var none = document.createElement('li'); none.textContent = 'nothing in flight'; links.appendChild(none); }
    f.links.forEach(function (l) {
      var li = document.createElement('li');
      li.textContent = l.from + '→' + l.to + ': ' + l.packets.join(', ');
      links.appendChild(li);
    });
    var box = document.getElementById('failures');
    box.textContent = '';
    box.hidden = true;
    if (at === frames.length - 1 && data.failures.length > 0) {
      box.hidden = false;
      data.failures.forEach(function (x) {
        var div = document.createElement('div');
        div.textContent = 'VIOLATED ' + x.property + ': ' + x.message;
        box.appendChild(div);
      });
    }
    document.getElementById('prev').disabled = at === 0;
    document.getElementById('first').disabled = at === 0;
    document.getElementById('next').disabled = at === frames.length - 1;
    document.getElementById('last').disabled = at === frames.length - 1;
    root.setAttribute('data-step', String(at));
    // What the graph shows, for tests and scripts: the page keeps its Cytoscape instance to itself.
    root.setAttribute('data-graph', JSON.stringify({ nodes: cy.nodes().length, crashed: cy.nodes('.crashed').length, active: cy.edges('.active').length, asymmetric: cy.edges('.asymmetric').length, passive: cy.edges('.passive').length, inFlight: cy.edges('.flight').length }));
  }
  document.getElementById('first').onclick = function () { show(0); };
  document.getElementById('prev').onclick = function () { show(at - 1); };
  document.getElementById('next').onclick = function () { show(at + 1); };
  document.getElementById('last').onclick = function () { show(frames.length - 1); };
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') show(at + 1);
    else if (e.key === 'ArrowLeft') show(at - 1);
  });
  show(0);
  root.setAttribute('data-ready', '1');
})();
`;

export function renderExplorer(d: ExplorerData): string {
  const steps = d.frames.length - 1;
  const verdict = d.failures.length > 0 ? `breaks ${d.failures.map((f) => f.property).join(', ')}` : 'no property breaks';
  return reportPage({
    title: `Counterexample explorer: ${steps} steps, ${verdict}`,
    css: CSS,
    assets: { js: inlineAsset('cytoscape/dist/cytoscape.min.js', 'script'), css: '' },
    main: `<h1>Counterexample explorer</h1>
<p class="meta">${escapeHtml(d.scenario)} · ${steps} steps · ${escapeHtml(verdict)}</p>
<p class="meta">replay: <code>npx hyparview-harness replay ${escapeHtml(d.token)}</code></p>
<div class="controls"><button id="first" type="button">« first</button><button id="prev" type="button">◀ back</button><button id="next" type="button">next ▶</button><button id="last" type="button">last »</button><span>step <b id="step"></b></span></div>
<div class="action" id="action"></div>
<div class="failure" id="failures" hidden></div>
<div class="layout">
  <div><div id="graph"></div>
  <div class="legend">solid: active link (red arrow: only one side holds it) · dashed: passive entry · dotted green: messages in flight (count) · octagon ✕: crashed · pale: not joined yet · orange ring: the node that just stepped</div></div>
  <div>
    <h2>Overlay</h2>
    <p>components: <b id="components"></b> <span id="component-list"></span><br>asymmetric pairs: <span id="asymmetric"></span></p>
    <h2>Views</h2>
    <table><thead><tr><th>node</th><th>active</th><th>passive</th><th>asking</th></tr></thead><tbody id="views"></tbody></table>
    <h2>In flight</h2>
    <ul class="links" id="links"></ul>
  </div>
</div>`,
    data: { 'explorer-data': d },
    script: PAGE_SCRIPT,
  });
}
