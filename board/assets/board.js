// otgen board: polls /api/runs, keeps each ticked run's metrics (fetched
// again only when metrics.csv changed) and draws the curves as SVG.
'use strict';

const SVGNS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

const state = {
  runs: [],
  deselected: new Set(), // runs the user unticked; new runs come ticked
  metrics: new Map(),    // run id -> {v, columns, rows} or {v, error}
  signatures: {},        // last rendered state of each part of the page
  polls: 0,
};

// el builds an element; text is always set as text, never parsed as HTML.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fileURL(im) {
  return '/files/' + im.path.split('/').map(encodeURIComponent).join('/') + '?v=' + encodeURIComponent(im.v);
}

function colour(id) {
  const i = state.runs.findIndex(r => r.id === id);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

function selectedRuns() {
  return state.runs.filter(r => !state.deselected.has(r.id));
}

function ago(t) {
  const s = Math.max(0, (Date.now() - new Date(t).getTime()) / 1000);
  if (s < 90) return Math.round(s) + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 172800) return Math.round(s / 3600) + ' h ago';
  return new Date(t).toISOString().slice(0, 10);
}

// changed reports whether part's signature differs from the last render.
function changed(part, sig) {
  const s = JSON.stringify(sig);
  if (state.signatures[part] === s) return false;
  state.signatures[part] = s;
  return true;
}

function renderRuns() {
  const tbody = document.querySelector('#runs tbody');
  const rows = state.runs.map(r => {
    const box = el('input', {type: 'checkbox', checked: !state.deselected.has(r.id), 'data-run': r.id, title: 'overlay this run'});
    box.addEventListener('change', () => {
      if (box.checked) state.deselected.delete(r.id); else state.deselected.add(r.id);
      refresh();
    });
    let cfg = '';
    if (r.config) {
      cfg = el('details', {}, el('summary', {text: 'config.json'}), el('pre', {text: JSON.stringify(r.config, null, 2)}));
    }
    const problems = el('td', {class: 'problems'});
    for (const p of r.problems || []) problems.append(el('div', {text: p}));
    const swatch = el('span', {class: 'swatch'});
    swatch.style.background = colour(r.id); // CSSOM: allowed by the page's CSP
    return el('tr', {'data-run': r.id, class: 'status-' + r.status},
      el('td', {}, swatch, box),
      el('td', {class: 'id', text: r.id}),
      el('td', {class: 'status', text: r.status}),
      el('td', {text: r.data || ''}),
      el('td', {text: r.loss || ''}),
      el('td', {class: 'step', text: r.last_step + (r.steps ? ' / ' + r.steps : '')}),
      el('td', {class: 'rows', text: String(r.rows)}),
      el('td', {class: 'updated', title: r.modified, text: ago(r.modified)}),
      el('td', {}, cfg),
      problems);
  });
  if (rows.length === 0) {
    rows.push(el('tr', {class: 'empty'}, el('td', {colspan: 10, text: 'No run folders yet.'})));
  }
  tbody.replaceChildren(...rows);
}

// series returns, per ticked run with metrics, the points of column name.
function seriesOf(name) {
  const out = [];
  for (const r of selectedRuns()) {
    const m = state.metrics.get(r.id);
    if (!m || !m.columns) continue;
    const j = m.columns.indexOf(name);
    if (j < 0) continue;
    const steps = [], values = [];
    for (const row of m.rows) {
      if (row[j] === null || row[0] === null) continue;
      steps.push(row[0]);
      values.push(row[j]);
    }
    if (steps.length > 0) out.push({run: r.id, steps, values});
  }
  return out;
}

function fmt(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return (a >= 1e4 || a < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

// stepRange is the steps spanned by the ticked runs' rows: every chart
// shares it, so charts line up and a metric evaluated once sits where its
// step is.
function stepRange() {
  let lo = Infinity, hi = -Infinity;
  for (const r of selectedRuns()) {
    const m = state.metrics.get(r.id);
    if (!m || !m.rows || m.rows.length === 0) continue;
    lo = Math.min(lo, m.rows[0][0]);
    hi = Math.max(hi, m.rows[m.rows.length - 1][0]);
  }
  return [lo, hi];
}

function chart(name, range) {
  const series = seriesOf(name);
  if (series.length === 0) return null;
  const W = 460, H = 260, x0 = 64, y0 = 24, w = W - x0 - 12, h = H - y0 - 36;
  let [xmin, xmax] = range, ymin = Infinity, ymax = -Infinity;
  for (const s of series) {
    for (const x of s.steps) { xmin = Math.min(xmin, x); xmax = Math.max(xmax, x); }
    for (const y of s.values) { ymin = Math.min(ymin, y); ymax = Math.max(ymax, y); }
  }
  if (xmax === xmin) { xmax = xmin + 1; }
  if (ymax === ymin) { const d = Math.abs(ymin) * 0.1 || 1; ymin -= d; ymax += d; }
  const X = x => x0 + (x - xmin) / (xmax - xmin) * w;
  const Y = y => y0 + h - (y - ymin) / (ymax - ymin) * h;
  const root = svg('svg', {class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'data-metric': name,
    'data-xmin': xmin, 'data-xmax': xmax, 'data-ymin': ymin, 'data-ymax': ymax, 'data-box': `${x0} ${y0} ${w} ${h}`});
  root.append(svg('text', {class: 'title', x: x0, y: 15}, name));
  root.append(svg('line', {class: 'axis', x1: x0, y1: y0 + h, x2: x0 + w, y2: y0 + h}));
  root.append(svg('line', {class: 'axis', x1: x0, y1: y0, x2: x0, y2: y0 + h}));
  root.append(svg('text', {x: x0, y: y0 + h + 16, 'text-anchor': 'start'}, fmt(xmin)));
  root.append(svg('text', {x: x0 + w, y: y0 + h + 16, 'text-anchor': 'end'}, fmt(xmax)));
  root.append(svg('text', {x: x0 + w / 2, y: y0 + h + 30, 'text-anchor': 'middle'}, 'step'));
  root.append(svg('text', {x: x0 - 6, y: y0 + 4, 'text-anchor': 'end'}, fmt(ymax)));
  root.append(svg('text', {x: x0 - 6, y: y0 + h, 'text-anchor': 'end'}, fmt(ymin)));
  for (const s of series) {
    const pts = s.steps.map((x, i) => X(x).toFixed(2) + ',' + Y(s.values[i]).toFixed(2)).join(' ');
    const c = colour(s.run);
    const line = svg('polyline', {class: 'series', points: pts, stroke: c, 'data-run': s.run, 'data-metric': name,
      'data-steps': s.steps.join(' '), 'data-values': s.values.join(' ')});
    line.append(svg('title', {}, s.run));
    root.append(line);
    const n = s.steps.length - 1;
    root.append(svg('circle', {cx: X(s.steps[n]).toFixed(2), cy: Y(s.values[n]).toFixed(2), r: 2.5, fill: c}));
  }
  return root;
}

function renderCharts() {
  const names = [];
  for (const r of selectedRuns()) {
    const m = state.metrics.get(r.id);
    for (const c of (m && m.columns) || []) if (c !== 'step' && !names.includes(c)) names.push(c);
  }
  const range = stepRange();
  const charts = names.map(n => chart(n, range)).filter(c => c !== null);
  const box = document.getElementById('charts');
  if (charts.length === 0) {
    box.replaceChildren(el('p', {class: 'muted', text: 'No metrics yet.'}));
  } else {
    box.replaceChildren(...charts);
  }
}

function renderSamples() {
  const figs = [];
  for (const r of selectedRuns()) {
    if (!r.latest && !(r.samples && r.samples.length)) continue;
    const fig = el('figure', {'data-run': r.id});
    if (r.latest) {
      fig.append(el('img', {class: 'sample latest', 'data-run': r.id, src: fileURL(r.latest), alt: r.id + ' samples'}));
    }
    const strip = el('div', {class: 'strip'});
    for (const im of r.samples || []) {
      strip.append(el('img', {class: 'sample step', 'data-run': r.id, 'data-step': im.step, src: fileURL(im), title: 'step ' + im.step, alt: 'step ' + im.step}));
    }
    fig.append(strip, el('figcaption', {text: r.id + ' — step ' + r.last_step}));
    figs.push(fig);
  }
  const box = document.getElementById('samples');
  box.replaceChildren(...(figs.length ? figs : [el('p', {class: 'muted', text: 'No sample figures yet.'})]));
}

function renderComparisons(comps) {
  const box = document.getElementById('comparisons');
  if (comps.length === 0) {
    box.replaceChildren(el('p', {class: 'muted', text: 'No cmd/compare folder.'}));
    return;
  }
  box.replaceChildren(...comps.map(c => {
    const head = el('tr', {}, ...c.columns.map(n => el('th', {text: n})));
    const body = c.rows.map(row => el('tr', {}, ...row.map(v => el('td', {text: v}))));
    const div = el('div', {class: 'comparison', 'data-comparison': c.id}, el('h3', {text: c.id}),
      el('table', {class: 'results'}, el('thead', {}, head), el('tbody', {}, ...body)));
    for (const p of c.problems || []) div.append(el('div', {class: 'problem', text: p}));
    for (const f of c.figures || []) div.append(el('img', {src: fileURL(f), alt: f.path}));
    return div;
  }));
}

async function getJSON(url) {
  const r = await fetch(url, {cache: 'no-store'});
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

// loadMetrics fetches the metrics of the ticked runs whose metrics.csv
// changed since they were fetched.
async function loadMetrics() {
  const jobs = selectedRuns().filter(r => r.metrics_v && r.columns &&
    (!state.metrics.has(r.id) || state.metrics.get(r.id).v !== r.metrics_v));
  await Promise.all(jobs.map(async r => {
    try {
      const m = await getJSON('/api/metrics?run=' + encodeURIComponent(r.id));
      state.metrics.set(r.id, {v: r.metrics_v, columns: m.columns, rows: m.rows});
    } catch (e) {
      state.metrics.set(r.id, {v: r.metrics_v, error: String(e)});
    }
  }));
}

// refresh redraws what changed.
function refresh(comps) {
  const sel = selectedRuns().map(r => r.id);
  if (changed('runs', [state.runs, [...state.deselected]])) renderRuns();
  const mv = sel.map(id => [id, (state.metrics.get(id) || {}).v]);
  if (changed('charts', [sel, mv])) renderCharts();
  if (changed('samples', selectedRuns().map(r => [r.id, r.latest, r.samples, r.last_step]))) renderSamples();
  if (comps && changed('comparisons', comps)) renderComparisons(comps);
}

async function poll() {
  let wait = Number(document.body.dataset.pollMs) || 2000;
  try {
    const list = await getJSON('/api/runs');
    wait = list.poll_ms || wait;
    state.runs = list.runs;
    await loadMetrics();
    refresh(list.comparisons);
    document.getElementById('offline').hidden = true;
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById('offline').hidden = false;
  }
  state.polls++;
  document.body.dataset.polls = state.polls;
  setTimeout(poll, wait);
}

poll();
