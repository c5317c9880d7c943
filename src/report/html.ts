/**
 * One self-contained HTML page per report (inline CSS, SVG and JS; no network): a swimlane per
 * CPU with the C statement of each step in its CPU's lane, an SVG strip of the schedule, the
 * steps that conflict (another CPU touches the same object, one of them writing) highlighted,
 * and the state at each step (per-CPU irqs/RCU/locks, every object's value so far) on hover or
 * click. The report itself is embedded as JSON (#racewalk-report), so the page is a replay
 * artifact too.
 */
import type { Report, ReportStep } from './trace.js';
import { ablatedLine, minimizationLine, replayCommand, verdictLine } from './text.js';
import { changeText, readText } from './lanes.js';
import { describeGhostNote, ghostMeaningTable } from './ghosts.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON inside <script>: `<` escaped so no `</script>` can end the element early. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const LANE_COLORS = ['#2563eb', '#c2410c', '#15803d', '#7c3aed', '#0e7490', '#be185d', '#4d7c0f', '#a16207'];

function laneColor(cpu: number): string {
  return LANE_COLORS[cpu % LANE_COLORS.length]!;
}

function scheduleSvg(r: Report): string {
  const n = r.threads.length;
  const steps = r.trace.length;
  const cw = Math.max(4, Math.min(14, Math.floor(900 / Math.max(1, steps))));
  const rh = 16;
  const w = 48 + steps * cw;
  const h = n * rh + 6;
  const out: string[] = [`<svg class="strip" role="img" aria-label="schedule: which CPU runs at each step" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`];
  for (let c = 0; c < n; c++) out.push(`<text x="0" y="${c * rh + 12}" class="sl">cpu${c}</text><line x1="44" x2="${w}" y1="${c * rh + 8}" y2="${c * rh + 8}" class="sg"/>`);
  for (const s of r.trace) {
    const cls = s.step === r.violationStep ? 'sv' : (s.conflicts?.length ?? 0) > 0 ? 'sc' : '';
    out.push(`<rect data-step="${s.step}" class="sr ${cls}" x="${48 + s.step * cw}" y="${s.cpu * rh + 2}" width="${cw - 1}" height="${rh - 4}" fill="${laneColor(s.cpu)}"><title>step ${s.step}: cpu${s.cpu} ${esc(s.fn)}</title></rect>`);
  }
  out.push('</svg>');
  return out.join('');
}

/** Escaped, with a break opportunity after each `|` of a flag set (head|lru|locked). */
function escFlags(t: string): string {
  return esc(t).replace(/\|/g, '|<wbr>');
}

function stepCell(s: ReportStep, newFn: boolean): string {
  // `= v` only for the value of the C expression; a memory read is labelled as one (lanes.ts)
  const res = s.kind === 'world' && s.result !== '' ? ` <span class="res">= ${esc(s.result)}</span>` : '';
  const rd = readText(s);
  const read = rd !== null ? `<div class="rd">${escFlags(rd)}</div>` : '';
  const ret = s.returned !== undefined && s.returned !== null ? `<div class="rd">the call returns ${esc(s.returned)}</div>` : '';
  const fn = newFn ? `<div class="fn">${esc(s.fn)}()</div>` : '';
  const ch = s.changes
    .map((c) => {
      const t = changeText(c.before, c.after);
      return `<div class="ch">${esc(c.what)}: ${t.includes(' -> ') ? `${escFlags(c.before)} → <b>${escFlags(c.after)}</b>` : `<b>${escFlags(t)}</b>`}</div>`;
    })
    .join('');
  const ghosts = s.notes
    .map((n) => {
      const g = describeGhostNote(n);
      if (g === null) return n.endsWith(' FAILED') ? `<div class="bad">${esc(n)}</div>` : '';
      return `<div class="ghost" title="racewalk annotation, not kernel state"><span class="tag">racewalk</span> ${esc(g.type)}${g.fields ? ` <span class="gf">${esc(g.fields)}</span>` : ''}<div class="gm">${esc(g.meaning)}</div></div>`;
    })
    .join('');
  return `${fn}<div class="stmt"><code>${esc(s.stmt)}</code>${res}</div>${read}${ret}${ch}${ghosts}`;
}

export function renderHtml(r: Report): string {
  const n = r.threads.length;
  const vs = Object.entries(r.variants).map(([p, v]) => `${p}=${v}`);
  const rows: string[] = [];
  const lastFn: (string | null)[] = new Array<string | null>(n).fill(null);
  for (const s of r.trace) {
    const cls = ['row'];
    if ((s.conflicts?.length ?? 0) > 0) cls.push('conflict');
    if (s.step === r.violationStep) cls.push('violation');
    const cells: string[] = [];
    for (let c = 0; c < n; c++) {
      cells.push(c === s.cpu ? `<div class="cell lane${c} on" style="--lc:${laneColor(c)}">${stepCell(s, lastFn[c] !== s.fn)}</div>` : `<div class="cell lane${c}" style="--lc:${laneColor(c)}"></div>`);
    }
    lastFn[s.cpu] = s.fn;
    rows.push(`<div class="${cls.join(' ')}" data-step="${s.step}" data-cpu="${s.cpu}" tabindex="0"><div class="num">${s.step}${s.step === r.violationStep ? ' !' : ''}</div>${cells.join('')}</div>`);
  }
  // a CPU that takes no step keeps its lane (one per CPU), a narrow one
  const active = new Set(r.trace.map((s) => s.cpu));
  const cols = r.threads.map((_, c) => (active.has(c) || r.trace.length === 0 ? 'minmax(0,1fr)' : 'minmax(110px,.3fr)')).join(' ');
  const heads = r.threads.map((t, c) => `<div class="lh" style="--lc:${laneColor(c)}">${esc(t)}${active.has(c) ? '' : '<div class="idle">takes no step</div>'}</div>`).join('');
  const meta: [string, string][] = [
    ['scenario', `${r.scenario} — ${r.description}`],
    ['kernel', `Linux ${r.kernel} (model)`],
    ['variants', vs.length === 0 ? 'all faithful' : vs.join(', ')],
    ['env', Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(', ')],
    ['search', `strategy ${r.strategy}, ${r.executions} executions, ${r.steps} steps${r.bounds.length > 0 ? `; bounds: ${r.bounds.join('; ')}` : ''}`],
  ];
  if (r.ablated !== undefined) meta.push(['ablated', ablatedLine(r.ablated).replace(/^ablated: /, '')]);
  if (r.minimization) meta.push(['minimization', minimizationLine(r).replace(/^minimized: /, '')]);
  if (r.invariantDescription) meta.push(['invariant', `${r.invariant}: ${r.invariantDescription}`]);
  if (r.schedule !== null) {
    meta.push(['schedule', r.schedule]);
    meta.push(['replay', replayCommand(r)]);
  }
  meta.push(['racewalk', r.racewalk]);
  const verdict = verdictLine(r);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>racewalk: ${esc(r.invariant ?? r.verdict)} — ${esc(r.scenario)}${vs.length > 0 ? ` (${esc(vs.join(', '))})` : ''}</title>
<style>
:root { --bg:#fff; --fg:#1f2328; --mut:#656d76; --line:#d0d7de; --conf:#fff4d6; --confb:#d4a72c; --viol:#ffebe9; --violb:#cf222e; --sel:#ddf4ff; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { padding:14px 20px 10px; border-bottom:1px solid var(--line); }
h1 { font-size:18px; margin:0 0 4px; }
.verdict { font-weight:600; color:${r.verdict === 'violation' || r.verdict === 'model-error' ? 'var(--violb)' : '#1a7f37'}; margin:2px 0 8px; }
.msg { background:var(--viol); border-left:4px solid var(--violb); padding:6px 10px; margin:6px 0; }
dl { display:grid; grid-template-columns:max-content 1fr; gap:2px 12px; margin:6px 0 0; font-size:13px; }
dt { color:var(--mut); } dd { margin:0; overflow-wrap:anywhere; }
dd code, .mono { font-family:ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size:12.5px; }
.strip { display:block; margin:10px 0 2px; }
.strip .sl { font:11px ui-monospace, monospace; fill:var(--mut); }
.strip .sg { stroke:var(--line); }
.strip .sr { cursor:pointer; opacity:.55; }
.strip .sr.sc { opacity:.9; stroke:var(--confb); stroke-width:1.5; }
.strip .sr.sv { opacity:1; stroke:var(--violb); stroke-width:2; }
.strip .sr.cur { opacity:1; stroke:#000; stroke-width:2; }
.legend { font-size:12px; color:var(--mut); }
.legend span { display:inline-block; width:12px; height:12px; vertical-align:-2px; margin:0 4px 0 10px; border:1px solid; }
main { display:grid; grid-template-columns:minmax(0,1fr) 380px; gap:0; align-items:start; }
#lanes { padding:0 0 40px; }
.heads, .row { display:grid; grid-template-columns:52px ${cols}; }
.heads { position:sticky; top:0; background:var(--bg); z-index:2; border-bottom:2px solid var(--line); }
.lh { padding:6px 10px; font-weight:600; font-size:13px; border-top:4px solid var(--lc); min-width:0; overflow-wrap:anywhere; }
.lh .idle { font-weight:400; color:var(--mut); font-size:12px; }
.row { border-bottom:1px solid #f0f2f4; cursor:pointer; }
.row:hover { background:#f6f8fa; }
.row.conflict .num { background:var(--conf); box-shadow:inset 3px 0 0 var(--confb); }
.row.conflict .cell.on { background:var(--conf); }
.row.violation .num, .row.violation .cell.on { background:var(--viol); }
.row.violation .num { box-shadow:inset 3px 0 0 var(--violb); font-weight:700; color:var(--violb); }
.row.sel .cell.on { background:var(--sel); outline:2px solid #0969da; outline-offset:-2px; }
.row.partner .cell.on { outline:2px dashed var(--confb); outline-offset:-2px; }
.num { padding:4px 8px; text-align:right; color:var(--mut); font:12px ui-monospace, monospace; }
.cell { padding:3px 10px; border-left:1px solid var(--line); min-height:24px; min-width:0; }
.cell.on { border-left:3px solid var(--lc); }
.fn { font:600 12.5px ui-monospace, monospace; color:var(--lc); overflow-wrap:anywhere; }
.stmt code { font:12.5px ui-monospace, monospace; white-space:pre-wrap; overflow-wrap:anywhere; }
.res { font:12.5px ui-monospace, monospace; color:#0550ae; }
.ch { font:12px ui-monospace, monospace; color:#9a6700; padding-left:14px; overflow-wrap:break-word; }
.rd { font:12px ui-monospace, monospace; color:var(--mut); padding-left:14px; overflow-wrap:break-word; }
.bad { font:12px ui-monospace, monospace; color:var(--violb); padding-left:14px; }
/* racewalk's own annotations (ghost events): apart from kernel state, with what they mean */
.ghost { margin:2px 0 2px 14px; padding:1px 6px; border:1px dashed #8250df; border-radius:4px; background:#fbefff; color:#6639ba; font:italic 12px system-ui, sans-serif; overflow-wrap:anywhere; }
.ghost .tag { font:600 10px system-ui, sans-serif; text-transform:uppercase; letter-spacing:.05em; font-style:normal; }
.ghost .gf { font:12px ui-monospace, monospace; font-style:normal; }
.ghost .gm { color:#8250df; }
aside { position:sticky; top:0; max-height:100vh; overflow:auto; border-left:1px solid var(--line); padding:12px 14px; background:#fbfcfd; font-size:13px; }
aside h2 { font-size:14px; margin:0 0 6px; }
aside h3 { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--mut); margin:12px 0 4px; }
aside table { border-collapse:collapse; width:100%; }
aside td { padding:1px 6px 1px 0; vertical-align:top; font:12px ui-monospace, monospace; word-break:break-word; }
aside td:first-child { color:var(--mut); white-space:nowrap; }
aside tr.changed td { background:#fff8c5; font-weight:600; }
aside a { color:#0969da; cursor:pointer; text-decoration:underline; }
.hint { color:var(--mut); font-size:12px; }
/* narrow windows (from 800 px): the state panel leaves the side and docks at the bottom, so the
   lanes get the full width */
@media (max-width: 1199px) {
  main { grid-template-columns:minmax(0,1fr); }
  #lanes { padding-bottom:36vh; }
  aside { position:fixed; left:0; right:0; bottom:0; top:auto; max-height:34vh; border-left:0; border-top:2px solid var(--line); box-shadow:0 -2px 8px rgba(0,0,0,.08); z-index:3; }
}
</style>
</head>
<body>
<header>
<h1>racewalk: ${esc(r.scenario)}${vs.length > 0 ? ` <span class="mono">${esc(vs.join(', '))}</span>` : ''}</h1>
<div class="verdict" id="verdict">${esc(verdict)}</div>
${r.message !== null ? `<div class="msg">after step ${r.violationStep}: <b>${esc(r.invariant ?? '')}</b>: ${esc(r.message)}</div>` : ''}
<dl>${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${k === 'schedule' || k === 'replay' ? `<code>${esc(v)}</code>` : esc(v)}</dd>`).join('')}</dl>
${r.trace.length > 0 ? scheduleSvg(r) : ''}
<div class="legend">${r.threads.map((_, c) => `<span style="background:${laneColor(c)};border-color:${laneColor(c)}"></span>cpu${c}`).join('')}<span style="background:var(--conf);border-color:var(--confb)"></span>conflicting step (another CPU touches the same object, one writes)<span style="background:var(--viol);border-color:var(--violb)"></span>violation detected</div>
</header>
<main>
<section id="lanes">
<div class="heads"><div class="num">step</div>${heads}</div>
${rows.join('\n')}
</section>
<aside id="state"><h2>State</h2><p class="hint">Hover over a step to see the state after it; click to pin it and to mark the steps it conflicts with.</p></aside>
</main>
<script type="application/json" id="racewalk-report">${scriptJson(r)}</script>
<script>
var GHOSTS = ${scriptJson(ghostMeaningTable())};
${CLIENT_JS}
</script>
</body>
</html>
`;
}

/** The page's behaviour: the state panel and the conflict marks. Plain ES2017, no libraries. */
const CLIENT_JS = String.raw`(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('racewalk-report').textContent);
  var trace = report.trace;
  var panel = document.getElementById('state');
  var rows = {};
  Array.prototype.forEach.call(document.querySelectorAll('.row'), function (el) { rows[el.getAttribute('data-step')] = el; });
  var rects = {};
  Array.prototype.forEach.call(document.querySelectorAll('.strip .sr'), function (el) { rects[el.getAttribute('data-step')] = el; });
  // the value of every object as known after each step: what the step wrote or read
  var known = [];
  var cur = {};
  trace.forEach(function (s) {
    cur = Object.assign({}, cur);
    if (s.object && s.read !== null && s.read !== undefined && !(s.object in cur)) cur[s.object] = s.read;
    s.changes.forEach(function (c) { if (!/^cpu\d+\./.test(c.what)) cur[c.what] = c.after; });
    if (s.object && s.written !== null && s.written !== undefined) cur[s.object] = s.written;
    known.push(cur);
  });
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function table(pairs, changed) {
    var t = el('table');
    pairs.forEach(function (p) {
      var tr = el('tr'); if (changed && changed[p[0]]) tr.className = 'changed';
      tr.appendChild(el('td', p[0])); tr.appendChild(el('td', p[1])); t.appendChild(tr);
    });
    return t;
  }
  var pinned = null;
  function show(i) {
    var s = trace[i]; if (!s) return;
    panel.textContent = '';
    panel.appendChild(el('h2', 'step ' + s.step + ' · cpu' + s.cpu + (s.step === report.violationStep ? ' · violation detected' : '')));
    panel.appendChild(table([['function', s.fn + '()'], ['statement', s.stmt], ['operation', s.op], ['ordering', s.order], ['object', s.object || '-'], ['read from memory', s.read == null ? '-' : s.read], ['written', s.written == null ? '-' : s.written], ['the call returns', s.returned == null ? '-' : s.returned]].concat(s.kind === 'world' && s.result ? [['returns', s.result]] : [])));
    if (s.changes.length) { panel.appendChild(el('h3', 'changed')); panel.appendChild(table(s.changes.map(function (c) { return [c.what, c.before + ' → ' + c.after]; }))); }
    var ghosts = s.notes.filter(function (n) { return /^\[/.test(n); });
    var other = s.notes.filter(function (n) { return !/^\[/.test(n); });
    if (ghosts.length) { panel.appendChild(el('h3', 'racewalk annotations (not kernel state)')); ghosts.forEach(function (n) { var m = /^\[([A-Za-z0-9_]+)(?: (.*))?\]$/.exec(n); var t = m ? m[1] : n; panel.appendChild(el('div', t + (m && m[2] ? ' ' + m[2] : '') + ' — ' + (GHOSTS[t] || 'a racewalk annotation (instrumentation for the invariants)'), 'ghost')); }); }
    if (other.length) { panel.appendChild(el('h3', 'notes')); other.forEach(function (n) { panel.appendChild(el('div', n, 'mono')); }); }
    if (s.conflicts && s.conflicts.length) {
      panel.appendChild(el('h3', 'conflicts with'));
      var d = el('div');
      s.conflicts.forEach(function (j, k) {
        var a = el('a', 'step ' + j + ' (cpu' + trace[j].cpu + ' ' + trace[j].fn + ')'); a.addEventListener('click', function (ev) { ev.stopPropagation(); select(j, true); });
        if (k) d.appendChild(document.createTextNode(', ')); d.appendChild(a);
      });
      panel.appendChild(d);
    }
    if (s.cpus) {
      panel.appendChild(el('h3', 'CPUs after this step'));
      panel.appendChild(table(s.cpus.map(function (c, k) { return ['cpu' + k, 'irqs ' + c.irqs + ', rcu ' + (c.rcu ? 'read-side (' + c.rcu + ')' : '-') + ', locks ' + (c.locks.length ? c.locks.join(' ') : '-')]; })));
    }
    var changed = {}; s.changes.forEach(function (c) { changed[c.what] = true; });
    var k = known[i]; var names = Object.keys(k).sort();
    panel.appendChild(el('h3', 'objects after this step'));
    panel.appendChild(table(names.map(function (nm) { return [nm, k[nm]]; }), changed));
    if (i === report.violationStep && report.message) { panel.appendChild(el('h3', 'violation')); panel.appendChild(el('div', report.invariant + ': ' + report.message)); }
  }
  function mark(i) {
    Array.prototype.forEach.call(document.querySelectorAll('.row.sel, .row.partner'), function (e) { e.classList.remove('sel', 'partner'); });
    Array.prototype.forEach.call(document.querySelectorAll('.strip .cur'), function (e) { e.classList.remove('cur'); });
    if (i === null) return;
    rows[i].classList.add('sel'); if (rects[i]) rects[i].classList.add('cur');
    (trace[i].conflicts || []).forEach(function (j) { rows[j].classList.add('partner'); });
  }
  function select(i, scroll) {
    pinned = pinned === i && !scroll ? null : i;
    mark(pinned); show(pinned === null ? i : pinned);
    if (scroll && pinned !== null) rows[i].scrollIntoView({ block: 'center' });
  }
  Object.keys(rows).forEach(function (k) {
    var i = Number(k); var row = rows[k];
    row.addEventListener('mouseenter', function () { if (pinned === null) show(i); });
    row.addEventListener('click', function () { select(i, false); });
    row.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') select(i, false); });
  });
  Object.keys(rects).forEach(function (k) { rects[k].addEventListener('click', function () { select(Number(k), true); }); });
  if (report.violationStep !== null && trace[report.violationStep]) { pinned = report.violationStep; mark(pinned); show(pinned); }
})();`;
