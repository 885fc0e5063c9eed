/**
 * The gradient inspector's webview. Untrusted-input rules: every string that
 * comes from a dataset (file name, column names) is inserted with textContent
 * or as an <option>'s text, never parsed as HTML; KaTeX only ever sees numbers
 * we format. The host is the source of truth: we post `ready`, take a full
 * snapshot, then apply updates; drawing happens in animation frames.
 */
import katex from 'katex';
import uPlot from 'uplot';
import { type Palette, type Rgb, aggregate, decodeF64, divergingColor, fmt, fmtExact, l2, maxAbs, parseColor } from '../src/panel/format';
import type { FromWebview, PanelCheck, PanelHistory, PanelNorms, PanelPoints, PanelRun, ToWebview } from '../src/protocol';

declare function acquireVsCodeApi(): { postMessage(m: FromWebview): void; getState(): unknown; setState(s: unknown): void };
const vscode = acquireVsCodeApi();
const PARAMS = ['W1', 'b1', 'W2', 'b2'] as const;
type Param = (typeof PARAMS)[number];

interface Ui {
  focus: Param;
  tables: Partial<Record<Param, boolean>>;
  zoom: Partial<Record<Param, number>>;
  logScale: boolean;
  tab: 'curves' | 'boundary';
}
const ui: Ui = { focus: 'W1', tables: {}, zoom: {}, logScale: false, tab: 'curves', ...((vscode.getState() as Partial<Ui>) ?? {}) };
const saveUi = () => vscode.setState(ui);

// ------------------------------------------------------------ state

interface Series { [k: string]: number[] }
let run: PanelRun | null = null;
let restored = false;
const hist: Series = { epoch: [], trainLoss: [], testLoss: [], trainAcc: [], testAcc: [], misclassified: [], gradNorm: [] };
const norms = { step: [] as number[], W: [[], [], [], []] as number[][], dW: [[], [], [], []] as number[][], ratio: [[], [], [], []] as number[][] };
let points: { k: number; n: number; x: Float64Array; y: Float64Array; test: Float64Array } | null = null;
let check: PanelCheck | null = null;
const dirty = new Set<string>();

function resetHistory(h: PanelHistory | null, n: PanelNorms | null) {
  for (const k of Object.keys(hist)) hist[k] = [];
  norms.step = [];
  for (const a of [norms.W, norms.dW, norms.ratio]) for (let i = 0; i < 4; i++) a[i] = [];
  if (h) appendHistory(h);
  if (n) appendNorms(n);
}
function appendHistory(h: PanelHistory) {
  for (const k of Object.keys(hist)) hist[k].push(...decodeF64((h as unknown as Record<string, { $f64: string }>)[k]));
}
function appendNorms(n: PanelNorms) {
  norms.step.push(...decodeF64(n.step));
  for (let i = 0; i < 4; i++) {
    norms.W[i].push(...decodeF64(n.W[i]));
    norms.dW[i].push(...decodeF64(n.dW[i]));
    norms.ratio[i].push(...decodeF64(n.ratio[i]));
  }
}

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  if (m.type === 'snapshot') {
    run = m.run;
    restored = m.restored;
    resetHistory(m.history, m.norms);
    points = decodePoints(m.points);
    check = m.check;
    build();
    markAll();
  } else if (m.type === 'update') {
    if (!run || m.run.id !== run.id || m.historyFrom !== hist.epoch.length) {
      vscode.postMessage({ type: 'ready' }); // out of step (a lost message): ask for a snapshot
      return;
    }
    const structural = m.run.n !== run.n || m.run.hidden !== run.hidden;
    run = m.run;
    appendHistory(m.history);
    appendNorms(m.norms);
    if (structural) build();
    markAll();
  } else if (m.type === 'check') {
    check = m.check;
    dirty.add('check');
  }
});

function decodePoints(p: PanelPoints | null) {
  return p ? { k: p.k, n: p.n, x: decodeF64(p.x), y: decodeF64(p.y), test: decodeF64(p.test) } : null;
}

function markAll() {
  for (const k of ['header', 'graph', 'cards', 'chain', 'curves', 'boundary', 'check']) dirty.add(k);
}

// ------------------------------------------------------------ DOM helpers (textContent only)

type Child = Node | string | null | undefined | false;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string | number | boolean> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else if (typeof v === 'boolean') { if (v) e.setAttribute(k, ''); }
    else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T | null;

// ------------------------------------------------------------ theme

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}
function rgb(name: string, fallback: Rgb): Rgb {
  return parseColor(cssVar(name, '')) ?? fallback;
}
let palette: Palette;
function readPalette() {
  palette = {
    negative: rgb('--vscode-charts-blue', [55, 148, 255]),
    positive: rgb('--vscode-charts-red', [241, 76, 76]),
    zero: rgb('--vscode-editor-background', [30, 30, 30]),
    invalid: rgb('--vscode-charts-yellow', [204, 167, 0]),
  };
}
new MutationObserver(() => { readPalette(); chartsNeedRebuild = true; markAll(); }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

// ------------------------------------------------------------ layout

function build() {
  const app = $('app')!;
  app.replaceChildren();
  if (!run) {
    app.append(el('div', { class: 'empty' },
      el('h2', { text: 'No training run yet' }),
      el('p', { text: 'Run “Backprop Lens: Train on Dataset…” or “Train This File” from the command palette; the inspector follows the current run.' })));
    return;
  }
  app.append(
    el('header', { class: 'bar' },
      el('div', { class: 'title' }, el('span', { id: 'file', class: 'file' }), el('span', { id: 'badge', class: 'badge' })),
      el('div', { id: 'stats', class: 'stats' }),
      controls()),
    el('div', { id: 'notice', class: 'notice', role: 'status' }),
    el('section', { class: 'graph-wrap', 'aria-label': 'Computation graph' }, el('div', { id: 'graph' })),
    el('section', { id: 'cards', class: 'cards', 'aria-label': 'Parameters' }, ...PARAMS.map(card)),
    el('section', { class: 'chain', 'aria-label': 'The chain rule with numbers' }, el('h2', { text: 'The chain rule, this step' }), el('div', { id: 'pick', class: 'pick' }), el('div', { id: 'chain' })),
    el('section', { class: 'plots', 'aria-label': 'Training curves and decision boundary' },
      el('div', { class: 'plot-col' }, el('h2', {}, 'Training curves ', logToggle()), el('div', { id: 'curves', class: 'curves' })),
      el('div', { class: 'plot-col' }, el('h2', { text: 'Decision boundary' }), el('div', { id: 'plane' }), el('canvas', { id: 'boundary', width: 320, height: 320, role: 'img', 'aria-label': 'Predicted probability over the feature plane with the data points' }), el('div', { id: 'boundary-legend', class: 'legend-text' }))),
    el('section', { class: 'check', 'aria-label': 'Gradient check' }, el('h2', {}, 'Gradient check ', el('button', { id: 'run-check', type: 'button', text: 'Run check now' })), el('div', { id: 'check' })),
    el('div', { id: 'tooltip', class: 'tooltip', role: 'tooltip', hidden: true }),
  );
  $('run-check')!.addEventListener('click', () => vscode.postMessage({ type: 'runCheck' }));
  charts = null;
}

function controls(): HTMLElement {
  const play = el('button', { id: 'play', type: 'button', 'aria-label': 'Play or pause training' });
  play.addEventListener('click', () => vscode.postMessage({ type: 'control', action: run && !run.paused && run.phase === 'running' ? 'pause' : 'play' }));
  const btn = (id: string, text: string, action: 'step' | 'stepEpoch' | 'reset', title: string) => {
    const b = el('button', { id, type: 'button', text, title, 'aria-label': title });
    b.addEventListener('click', () => vscode.postMessage({ type: 'control', action }));
    return b;
  };
  const lr = el('input', { id: 'lr', type: 'number', step: 'any', min: '0', 'aria-label': 'Learning rate', title: 'Learning rate α (applies from the next step)' });
  lr.addEventListener('change', () => {
    const v = Number(lr.value);
    if (v > 0 && Number.isFinite(v)) vscode.postMessage({ type: 'setLearningRate', lr: v });
  });
  const opt = el('select', { id: 'optimizer', 'aria-label': 'Optimizer (restarts training)', title: 'Optimizer: changing it starts a new run' });
  for (const o of ['misclassified-sgd', 'sgd', 'batch', 'minibatch', 'momentum', 'rmsprop', 'adam']) opt.append(el('option', { value: o, text: o }));
  opt.addEventListener('change', () => vscode.postMessage({ type: 'setOptimizer', optimizer: opt.value }));
  return el('div', { class: 'controls', role: 'toolbar', 'aria-label': 'Training controls' },
    play, btn('step', 'Step', 'step', 'Step once: exactly one optimizer step'), btn('step-epoch', 'Epoch', 'stepEpoch', 'Step one epoch'), btn('reset', 'Reset', 'reset', 'Reset parameters to the seeded initial values'),
    el('label', { class: 'lr' }, 'α ', lr), opt);
}

function logToggle(): HTMLElement {
  const b = el('input', { type: 'checkbox', id: 'logscale', 'aria-label': 'Logarithmic loss axis' });
  b.checked = ui.logScale;
  b.addEventListener('change', () => { ui.logScale = b.checked; saveUi(); chartsNeedRebuild = true; dirty.add('curves'); });
  return el('label', { class: 'small' }, b, ' log scale');
}

const SHAPES: Record<Param, (n: number, h: number) => [number, number]> = { W1: (n, h) => [h, n], b1: (_n, h) => [h, 1], W2: (_n, h) => [1, h], b2: () => [1, 1] };
function offsets(n: number, h: number): Record<Param, number> {
  return { W1: 0, b1: h * n, W2: h * n + h, b2: h * n + 2 * h };
}

function card(p: Param): HTMLElement {
  const tableBtn = el('button', { type: 'button', class: 'small', id: `table-${p}`, 'aria-pressed': String(!!ui.tables[p]), text: 'Numbers' });
  tableBtn.addEventListener('click', () => { ui.tables[p] = !ui.tables[p]; tableBtn.setAttribute('aria-pressed', String(!!ui.tables[p])); saveUi(); dirty.add('cards'); });
  const zoom = (d: number) => { ui.zoom[p] = Math.max(-3, Math.min(3, (ui.zoom[p] ?? 0) + d)); saveUi(); dirty.add('cards'); };
  const zin = el('button', { type: 'button', class: 'small', text: '+', 'aria-label': `Zoom in ${p}` });
  const zout = el('button', { type: 'button', class: 'small', text: '−', 'aria-label': `Zoom out ${p}` });
  zin.addEventListener('click', () => zoom(1));
  zout.addEventListener('click', () => zoom(-1));
  const maps = ['value', 'grad', 'update', 'true'].map((kind) =>
    el('figure', { class: `map map-${kind}`, id: `fig-${p}-${kind}` },
      el('figcaption', { text: kind === 'value' ? p : kind === 'grad' ? `d${p}` : kind === 'update' ? `Δ${p} applied` : `true d${p}` }),
      el('div', { class: 'scroll' }, heatCanvas(p, kind)),
      el('div', { class: 'legend' }, el('span', { class: 'neg' }), el('span', { class: 'lo', id: `lo-${p}-${kind}` }), el('span', { class: 'hi', id: `hi-${p}-${kind}` }), el('span', { class: 'pos' }))));
  return el('article', { class: 'card', id: `card-${p}`, tabindex: -1 },
    el('h3', {}, el('span', { id: `title-${p}` }), el('span', { class: 'tools' }, zout, zin, tableBtn)),
    el('div', { class: 'maps' }, ...maps),
    el('div', { class: 'norms', id: `norms-${p}` }),
    el('div', { class: 'table', id: `tbl-${p}` }));
}

// Heatmap canvases with hover and keyboard (arrow keys move a cursor cell).
const cursor: Record<string, [number, number]> = {};
function heatCanvas(p: Param, kind: string): HTMLCanvasElement {
  const c = el('canvas', { id: `map-${p}-${kind}`, class: 'heat', tabindex: 0, role: 'img', 'aria-label': `${kind} of ${p}; arrow keys move between cells` });
  const show = (i: number, j: number, x: number, y: number) => {
    if (!run) return;
    const [rows, cols] = SHAPES[p](run.n, run.hidden);
    if (i < 0 || j < 0 || i >= rows || j >= cols) return hideTip();
    const k = offsets(run.n, run.hidden)[p] + i * cols + j;
    const theta = decodeF64(run.theta);
    const g = run.last ? decodeF64(run.last.grad) : null;
    const d = run.last ? decodeF64(run.last.delta) : null;
    const t = run.last?.trueGrad ? decodeF64(run.last.trueGrad) : null;
    tip(`${p}[${i},${j}]\nvalue   ${fmtExact(theta[k])}\ngrad    ${g ? fmtExact(g[k]) : '—'}\nupdate  ${d ? fmtExact(d[k]) : '—'}${t ? `\ntrue    ${fmtExact(t[k])}` : ''}`, x, y);
  };
  const cellAt = (ev: MouseEvent): [number, number] => {
    const meta = mapMeta[c.id];
    if (!meta) return [-1, -1];
    const r = c.getBoundingClientRect();
    const I = Math.floor(((ev.clientY - r.top) / r.height) * meta.rows), J = Math.floor(((ev.clientX - r.left) / r.width) * meta.cols);
    return [I * meta.blockRows, J * meta.blockCols];
  };
  c.addEventListener('mousemove', (ev) => { const [i, j] = cellAt(ev); show(i, j, ev.clientX, ev.clientY); });
  c.addEventListener('mouseleave', hideTip);
  c.addEventListener('blur', hideTip);
  c.addEventListener('keydown', (ev) => {
    if (!run) return;
    const [rows, cols] = SHAPES[p](run.n, run.hidden);
    const cur = cursor[c.id] ?? [0, 0];
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const mv = moves[ev.key];
    if (!mv) return;
    ev.preventDefault();
    cursor[c.id] = [Math.max(0, Math.min(rows - 1, cur[0] + mv[0])), Math.max(0, Math.min(cols - 1, cur[1] + mv[1]))];
    const r = c.getBoundingClientRect();
    show(cursor[c.id][0], cursor[c.id][1], r.left + r.width / 2, r.bottom);
  });
  return c;
}

function tip(text: string, x: number, y: number) {
  const t = $('tooltip');
  if (!t) return;
  t.textContent = text;
  t.hidden = false;
  t.style.left = `${Math.min(window.innerWidth - 260, x + 12)}px`;
  t.style.top = `${y + 12 + window.scrollY}px`;
}
function hideTip() {
  const t = $('tooltip');
  if (t) t.hidden = true;
}

// ------------------------------------------------------------ drawing (in animation frames)

const mapMeta: Record<string, { rows: number; cols: number; blockRows: number; blockCols: number }> = {};
let frames = 0, lastFpsAt = performance.now();

function frame() {
  requestAnimationFrame(frame); // first: a failing section never stops the loop
  frames++;
  const now = performance.now();
  if (now - lastFpsAt >= 1000) {
    document.body.dataset.fps = String(Math.round((frames * 1000) / (now - lastFpsAt)));
    frames = 0;
    lastFpsAt = now;
  }
  if (!run) { dirty.clear(); return; }
  if (!dirty.size || (dirty.size === 1 && dirty.has('chain') && now - lastChain <= 200)) return;
  const t0 = performance.now();
  const sections: Array<[string, () => void]> = [['header', drawHeader], ['graph', drawGraph], ['cards', drawCards], ['curves', drawCurves], ['boundary', drawBoundary], ['check', drawCheck]];
  if (dirty.has('chain') && now - lastChain > 200) { sections.splice(3, 0, ['chain', drawChain]); lastChain = now; }
  for (const [name, draw] of sections) {
    if (!dirty.delete(name)) continue;
    try {
      draw();
    } catch (e) {
      console.error(`inspector: drawing ${name} failed`, e); // the other sections still draw
    }
  }
  document.body.dataset.drawMs = (performance.now() - t0).toFixed(1);
}
let lastChain = 0;

function drawHeader() {
  if (!run) return;
  $('file')!.textContent = run.file;
  const badge = $('badge')!;
  const state = run.live ? (run.phase === 'running' ? (run.paused ? 'paused' : 'training') : run.status) : `${run.status} (restored)`;
  badge.textContent = state;
  badge.dataset.state = run.phase;
  $('stats')!.textContent = `step ${run.step} · epoch ${run.epoch}/${run.epochs} · ${run.optimizer}, α ${fmt(run.lr, 4)} · ${run.hidden} ${run.activation} units · ${run.trainRows} train / ${run.testRows} test` + (run.stepsPerSecond > 0 ? ` · ${Math.round(run.stepsPerSecond).toLocaleString()} steps/s` : '');
  const play = $('play')!;
  const running = run.phase === 'running' && !run.paused;
  play.textContent = running ? 'Pause' : 'Play';
  play.setAttribute('aria-pressed', String(running));
  const live = run.live && (run.phase === 'running' || run.phase === 'paused');
  for (const id of ['play', 'step', 'step-epoch']) ($(id) as HTMLButtonElement).disabled = !live;
  ($('reset') as HTMLButtonElement).disabled = !run.live;
  const lr = $('lr') as HTMLInputElement;
  if (document.activeElement !== lr) lr.value = String(run.lr);
  ($('optimizer') as HTMLSelectElement).value = run.optimizer;
  const notes = [restored ? 'Restored from before the window reload: the run is not live.' : '', run.notice ?? '', run.derivation ? `Gradients come from ${run.derivation}; “true” shows the network's own gradient beside them.` : '', run.reason && run.phase === 'finished' ? `${run.status}: ${run.reason}` : ''].filter(Boolean);
  $('notice')!.textContent = notes.join(' ');
}

function vec(name: string): Float64Array {
  if (!run?.last) return new Float64Array(0);
  return decodeF64((run.last as unknown as Record<string, { $f64: string }>)[name]);
}

function drawGraph() {
  if (!run) return;
  const host = $('graph')!;
  const theta = decodeF64(run.theta);
  const o = offsets(run.n, run.hidden);
  const slice = (p: Param) => { const [r, c] = SHAPES[p](run!.n, run!.hidden); return theta.subarray(o[p], o[p] + r * c); };
  const g = run.last ? decodeF64(run.last.grad) : null;
  const gslice = (p: Param) => { if (!g) return null; const [r, c] = SHAPES[p](run!.n, run!.hidden); return g.subarray(o[p], o[p] + r * c); };
  const nodes: Array<{ id: string; label: string; value: string; grad: string | null; param?: Param }> = [
    { id: 'x', label: 'x', value: `ℝ^${run.n}`, grad: null },
    { id: 'W1', label: 'W1, b1', value: `‖W1‖ ${fmt(l2(slice('W1')), 3)}`, grad: g ? `‖dW1‖ ${fmt(l2(gslice('W1')!), 3)}` : null, param: 'W1' },
    { id: 'z1', label: 'z1', value: `‖z1‖ ${fmt(l2(vec('z1')), 3)}`, grad: run.last ? `‖dz1‖ ${fmt(l2(vec('dz1')), 3)}` : null },
    { id: 'a1', label: 'a1', value: `‖a1‖ ${fmt(l2(vec('a1')), 3)}`, grad: null },
    { id: 'W2', label: 'W2, b2', value: `‖W2‖ ${fmt(l2(slice('W2')), 3)}`, grad: g ? `‖dW2‖ ${fmt(l2(gslice('W2')!), 3)}` : null, param: 'W2' },
    { id: 'z2', label: 'z2', value: run.last ? fmt(vec('z2')[0], 3) : '—', grad: run.last ? `dz2 ${fmt(vec('dz2')[0], 3)}` : null },
    { id: 'a2', label: 'a2 = ŷ', value: run.last ? fmt(vec('a2')[0], 3) : '—', grad: null },
    { id: 'L', label: 'L', value: run.last ? fmt(vec('loss')[0], 3) : '—', grad: null },
  ];
  const W = 900, H = 110, step = W / nodes.length;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'graph', role: 'group', 'aria-label': 'x → (W1, b1) → z1 → a1 → (W2, b2) → z2 → a2 → L' });
  nodes.forEach((nd, k) => {
    const cx = step * k + step / 2;
    if (k > 0) {
      s.append(svg('line', { x1: cx - step + 48, y1: 40, x2: cx - 48, y2: 40, class: 'edge' }));
      s.append(svg('polygon', { points: `${cx - 48},40 ${cx - 54},36 ${cx - 54},44`, class: 'arrow' }));
    }
    const gnode = svg('g', { class: `node${nd.param ? ' param' : ''}${nd.param === ui.focus ? ' focus' : ''}`, tabindex: nd.param ? 0 : -1, role: nd.param ? 'button' : 'img', 'aria-label': `${nd.label}: ${nd.value}${nd.grad ? `, ${nd.grad}` : ''}` });
    gnode.append(svg('rect', { x: cx - 46, y: 18, width: 92, height: 44, rx: 6 }));
    const t1 = svg('text', { x: cx, y: 36, class: 'label' }); t1.textContent = nd.label;
    const t2 = svg('text', { x: cx, y: 53, class: 'value' }); t2.textContent = nd.value;
    gnode.append(t1, t2);
    if (nd.grad) { const t3 = svg('text', { x: cx, y: 82, class: 'grad' }); t3.textContent = `← ${nd.grad}`; s.append(t3); }
    if (nd.param) {
      const go = () => focusParam(nd.param!);
      gnode.addEventListener('click', go);
      gnode.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') { e.preventDefault(); go(); } });
    }
    s.append(gnode);
  });
  host.replaceChildren(s);
}

function focusParam(p: Param) {
  ui.focus = p;
  saveUi();
  const c = $(`card-${p}`);
  c?.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  c?.focus({ preventScroll: true });
  dirty.add('graph');
}

function drawCards() {
  if (!run) return;
  const theta = decodeF64(run.theta);
  const g = run.last ? decodeF64(run.last.grad) : null;
  const d = run.last ? decodeF64(run.last.delta) : null;
  const t = run.last?.trueGrad ? decodeF64(run.last.trueGrad) : null;
  const o = offsets(run.n, run.hidden);
  document.body.dataset.normPoints = String(norms.step.length);
  document.body.dataset.historyLength = String(hist.epoch.length);
  const stride = run.historyStride ?? 1;
  document.body.dataset.historyStride = String(stride);
  document.body.dataset.historyGaps = String(hist.epoch.filter((e, i) => e !== (i + 1) * stride).length); // epochs stride, 2·stride, …
  PARAMS.forEach((p, pi) => {
    const [rows, cols] = SHAPES[p](run!.n, run!.hidden);
    const part = (a: Float64Array | null) => (a ? a.subarray(o[p], o[p] + rows * cols) : null);
    $(`title-${p}`)!.textContent = `${p}  (${rows}×${cols})`;
    const mats: Record<string, Float64Array | null> = { value: part(theta), grad: part(g), update: part(d), true: part(t) };
    for (const kind of ['value', 'grad', 'update', 'true']) {
      const fig = $(`fig-${p}-${kind}`)!;
      fig.hidden = kind === 'true' && !t;
      if (fig.hidden) continue;
      paintHeat($(`map-${p}-${kind}`) as HTMLCanvasElement, mats[kind], rows, cols, p, kind);
    }
    const nW = l2(mats.value!), nG = mats.grad ? l2(mats.grad) : NaN, nD = mats.update ? l2(mats.update) : NaN;
    const ratio = nW > 0 ? nD / nW : NaN;
    const box = $(`norms-${p}`)!;
    box.replaceChildren(
      normItem('‖W‖', fmt(nW, 4), norms.W[pi]),
      normItem('‖dW‖', fmt(nG, 4), norms.dW[pi]),
      normItem('‖ΔW‖/‖W‖', fmt(ratio, 3), norms.ratio[pi], 1e-3, ratio > 1e-2 ? 'high' : ratio < 1e-4 ? 'low' : ''));
    const tbl = $(`tbl-${p}`)!;
    tbl.replaceChildren();
    if (ui.tables[p]) tbl.append(numbersTable(p, rows, cols, mats));
  });
}

function normItem(label: string, value: string, series: number[], guide?: number, mood = ''): HTMLElement {
  const c = el('canvas', { width: 140, height: 28, class: 'spark', role: 'img', 'aria-label': `${label} over the run` });
  sparkline(c, series, guide);
  return el('div', { class: `norm ${mood}` }, el('span', { class: 'k', text: label }), el('span', { class: 'v', text: value }), c, guide ? el('span', { class: 'guide', text: 'guide 1e-3' }) : null);
}

function sparkline(c: HTMLCanvasElement, s: number[], guide?: number) {
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, c.width, c.height);
  const vals = s.filter((v) => Number.isFinite(v) && (!guide || v > 0));
  if (vals.length < 2) return;
  const tf = guide ? Math.log10 : (v: number) => v;
  let lo = Math.min(...vals.map(tf)), hi = Math.max(...vals.map(tf));
  if (guide) { lo = Math.min(lo, tf(guide) - 0.5); hi = Math.max(hi, tf(guide) + 0.5); }
  if (hi === lo) { hi += 1; lo -= 1; }
  const y = (v: number) => c.height - 2 - ((tf(v) - lo) / (hi - lo)) * (c.height - 4);
  if (guide) {
    ctx.strokeStyle = cssVar('--vscode-charts-yellow', '#cca700');
    ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(0, y(guide)); ctx.lineTo(c.width, y(guide)); ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.strokeStyle = cssVar('--vscode-charts-blue', '#3794ff');
  ctx.beginPath();
  const step = c.width / Math.max(1, s.length - 1);
  let started = false;
  s.forEach((v, i) => {
    if (!Number.isFinite(v) || (guide && v <= 0)) return;
    if (!started) { ctx.moveTo(i * step, y(v)); started = true; } else ctx.lineTo(i * step, y(v));
  });
  ctx.stroke();
}

function paintHeat(c: HTMLCanvasElement, m: Float64Array | null, rows: number, cols: number, p: Param, kind: string) {
  const lo = $(`lo-${p}-${kind}`)!, hi = $(`hi-${p}-${kind}`)!;
  const ctx = c.getContext('2d');
  if (!ctx) return;
  if (!m || rows === 0 || cols === 0) {
    // No step yet, or a new run whose data is not loaded (n = 0): nothing to paint.
    c.width = 60; c.height = 16;
    ctx.clearRect(0, 0, c.width, c.height);
    lo.textContent = rows === 0 || cols === 0 ? 'loading the data…' : 'no step yet'; hi.textContent = '';
    delete mapMeta[c.id];
    return;
  }
  // About 160 px on the long side at zoom 0 (cells of 2–40 px); bigger matrices aggregate into blocks of 2 px cells.
  const zoom = ui.zoom[p] ?? 0;
  const target = 160 * Math.pow(1.5, zoom);
  const agg = aggregate(m, rows, cols, Math.max(1, Math.floor((target * 2) / 2)), Math.max(1, Math.floor((target * 2) / 2)));
  const cell = Math.max(2, Math.min(40 * Math.pow(1.5, Math.max(0, zoom)), Math.floor(target / Math.max(agg.rows, agg.cols))));
  c.width = agg.cols * cell;
  c.height = agg.rows * cell;
  mapMeta[c.id] = { rows: agg.rows, cols: agg.cols, blockRows: agg.blockRows, blockCols: agg.blockCols };
  const scale = maxAbs(m);
  const img = ctx.createImageData(c.width, c.height);
  for (let I = 0; I < agg.rows; I++) {
    for (let J = 0; J < agg.cols; J++) {
      const [r, g, b] = divergingColor(agg.data[I * agg.cols + J], scale, palette);
      for (let y = I * cell; y < (I + 1) * cell; y++) {
        for (let x = J * cell; x < (J + 1) * cell; x++) {
          const q = (y * c.width + x) * 4;
          img.data[q] = r; img.data[q + 1] = g; img.data[q + 2] = b; img.data[q + 3] = 255;
        }
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  const bad = m.some((v) => !Number.isFinite(v));
  lo.textContent = `−${fmt(scale, 3)}`;
  hi.textContent = `+${fmt(scale, 3)}${bad ? ' · NaN/∞ in yellow' : ''}${agg.blockRows > 1 || agg.blockCols > 1 ? ` · ${agg.blockRows}×${agg.blockCols} blocks (largest |v|)` : ''}`;
}

function numbersTable(p: Param, rows: number, cols: number, mats: Record<string, Float64Array | null>): HTMLElement {
  const R = Math.min(rows, 32), C = Math.min(cols, 32);
  const table = el('table', { class: 'numbers', 'aria-label': `${p}: value / gradient / update per entry` });
  const head = el('tr', {}, el('th', { text: '' }), ...Array.from({ length: C }, (_, j) => el('th', { text: String(j) })));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  for (let i = 0; i < R; i++) {
    const tr = el('tr', {}, el('th', { text: String(i) }));
    for (let j = 0; j < C; j++) {
      const k = i * cols + j;
      tr.append(el('td', { 'data-row': i, 'data-col': j, title: `${p}[${i},${j}]` },
        el('div', { class: 'v', text: fmt(mats.value![k], 4) }),
        el('div', { class: 'g', text: mats.grad ? fmt(mats.grad[k], 4) : '—' }),
        el('div', { class: 'u', text: mats.update ? fmt(mats.update[k], 4) : '—' })));
    }
    body.append(tr);
  }
  table.append(body);
  const note = rows > R || cols > C ? el('p', { class: 'small', text: `Showing ${R}×${C} of ${rows}×${cols}; the heatmap shows all.` }) : null;
  return el('div', {}, el('p', { class: 'small', text: 'Each cell: value, gradient, update.' }), table, note);
}

// ------------------------------------------------------------ chain rule (KaTeX through its DOM API)

function tex(x: number): string {
  if (Number.isNaN(x)) return '\\text{NaN}';
  if (x === Infinity) return '+\\infty';
  if (x === -Infinity) return '-\\infty';
  const s = fmt(x, 4);
  const m = /^(-?[\d.]+)e([+-]\d+)$/.exec(s);
  return m ? `${m[1]}\\times10^{${Number(m[2])}}` : s;
}
function texVec(a: Float64Array, name: string): string {
  if (a.length <= 8) return `\\begin{bmatrix}${Array.from(a, tex).join('\\\\')}\\end{bmatrix}`;
  return `${name} \\in \\mathbb{R}^{${a.length}},\\ \\lVert ${name} \\rVert = ${tex(l2(a))}`;
}
function texRow(a: Float64Array, name: string): string {
  if (a.length <= 8) return `\\begin{bmatrix}${Array.from(a, tex).join(' & ')}\\end{bmatrix}`;
  return `${name} \\in \\mathbb{R}^{1\\times${a.length}},\\ \\lVert ${name} \\rVert = ${tex(l2(a))}`;
}

function drawChain() {
  if (!run) return;
  const host = $('chain')!;
  const pick = $('pick')!;
  const last = run.last;
  if (!last) {
    host.replaceChildren(el('p', { class: 'small', text: 'No optimizer step yet: press Step to see one.' }));
    pick.textContent = '';
    return;
  }
  const x = vec('x'), z1 = vec('z1'), a1 = vec('a1'), dz1 = vec('dz1');
  const z2 = vec('z2')[0], a2 = vec('a2')[0], dz2 = vec('dz2')[0], L = vec('loss')[0];
  const o = offsets(run.n, run.hidden);
  const g = decodeF64(last.grad), d = decodeF64(last.delta);
  const h = run.hidden, n = run.n;
  const sig = run.activation === 'sigmoid' ? '\\sigma' : run.activation === 'tanh' ? '\\tanh' : '\\operatorname{relu}';
  const gp = run.activation === 'sigmoid' ? "\\sigma'(z_1) = a_1 \\ast (1 - a_1)" : run.activation === 'tanh' ? "\\tanh'(z_1) = 1 - a_1^2" : "\\operatorname{relu}'(z_1) = [z_1 > 0]";
  const gprime = a1.map((a, k) => (run!.activation === 'sigmoid' ? a * (1 - a) : run!.activation === 'tanh' ? 1 - a * a : z1[k] > 0 ? 1 : 0));
  const dW1 = g.subarray(o.W1, o.W1 + h * n), dW2 = g.subarray(o.W2, o.W2 + h);
  const big = (name: string, a: Float64Array, rows: number, cols: number) => rows * cols <= 12 && cols > 1
    ? `\\begin{bmatrix}${Array.from({ length: rows }, (_, i) => Array.from(a.subarray(i * cols, i * cols + cols), tex).join(' & ')).join('\\\\')}\\end{bmatrix}`
    : `${name} \\in \\mathbb{R}^{${rows}\\times${cols}},\\ \\lVert ${name} \\rVert = ${tex(l2(a))}`;
  const batch = last.sampleCount > 1 ? `\\quad\\text{(first of the step's ${last.sampleCount} examples; the update uses their mean gradient)}` : '';
  const alpha = tex(run.lr);
  const rule = run.optimizer === 'momentum' || run.optimizer === 'rmsprop' || run.optimizer === 'adam' ? `\\Delta W \\text{ from ${run.optimizer}}` : `-\\alpha\\, dW,\\ \\alpha = ${alpha}`;
  const lines: Array<[string, string | null]> = [
    [`x = ${texVec(x, 'x')},\\quad y = ${tex(last.y)}${batch}`, null],
    [`z_1 = W_1 x + b_1 = ${texVec(z1, 'z_1')}`, 'W1'],
    [`a_1 = ${sig}(z_1) = ${texVec(a1, 'a_1')}`, null],
    [`z_2 = W_2 a_1 + b_2 = ${tex(z2)}`, 'W2'],
    [`\\hat y = a_2 = \\sigma(z_2) = ${tex(a2)},\\quad L = -(y \\log \\hat y + (1-y)\\log(1-\\hat y)) = ${tex(L)}`, null],
    [`dz_2 = a_2 - y = ${tex(a2)} - ${tex(last.y)} = ${tex(dz2)}`, null],
    [`dW_2 = dz_2\\, a_1^{\\top} = ${texRow(dW2, 'dW_2')}`, 'W2'],
    [`db_2 = dz_2 = ${tex(g[o.b2])}`, 'b2'],
    [`dz_1 = W_2^{\\top} dz_2 \\ast ${gp.split(' = ')[0]} = ${texVec(dz1, 'dz_1')},\\quad ${gp} = ${texVec(gprime, "g'")}`, null],
    [`dW_1 = dz_1\\, x^{\\top} = ${big('dW_1', dW1, h, n)}`, 'W1'],
    [`db_1 = dz_1 = ${texVec(g.subarray(o.b1, o.b1 + h), 'db_1')}`, 'b1'],
    [`W := W + \\Delta W,\\quad \\Delta W = ${rule}:\\ \\lVert \\Delta W_1 \\rVert = ${tex(l2(d.subarray(o.W1, o.W1 + h * n)))},\\ \\Delta b_2 = ${tex(d[o.b2])}`, null],
  ];
  if (last.sampleCount > 1) lines.splice(10, 0, [`\\text{(the step's gradient is the mean over its ${last.sampleCount} examples; the lines above are the first example's)}`, null]);
  const rows: HTMLElement[] = lines.map(([src, link]) => {
    const box = el('div', { class: 'eq' });
    const m = el('span', { class: 'math' });
    try {
      katex.render(src, m, { throwOnError: false, displayMode: false, output: 'html', strict: 'ignore', trust: false });
    } catch {
      m.textContent = src;
    }
    box.append(m);
    if (link) {
      const b = el('button', { type: 'button', class: 'link small', text: `${link} heatmap`, 'aria-label': `Show the ${link} heatmap` });
      b.addEventListener('click', () => focusParam(link as Param));
      box.append(b);
    }
    return box;
  });
  host.replaceChildren(...rows);
  const samples = last.samples.slice(0, 6).join(', ') + (last.sampleCount > 6 ? ', …' : '');
  pick.textContent = run.optimizer === 'misclassified-sgd'
    ? `Step ${last.step}: picked training row ${last.samples[0]} among ${last.misclassified} misclassified point${last.misclassified === 1 ? '' : 's'} (ŷ = ${fmt(a2, 4)}, y = ${last.y}).`
    : `Step ${last.step}: training rows ${samples} (${last.sampleCount} example${last.sampleCount === 1 ? '' : 's'}); the first has ŷ = ${fmt(a2, 4)}, y = ${last.y}.`;
  pick.dataset.step = String(last.step);
}

// ------------------------------------------------------------ curves (uPlot)

let charts: uPlot[] | null = null;
let chartsNeedRebuild = false;
function drawCurves() {
  const host = $('curves');
  if (!host || !run) return;
  const x = hist.epoch;
  const data: Array<[string, Array<[string, number[], string]>, boolean]> = [
    ['loss', [['train', hist.trainLoss, '--vscode-charts-blue'], ['test', hist.testLoss, '--vscode-charts-orange']], ui.logScale],
    ['accuracy', [['train', hist.trainAcc, '--vscode-charts-blue'], ['test', hist.testAcc, '--vscode-charts-orange']], false],
    ['misclassified', [['train', hist.misclassified, '--vscode-charts-red']], false],
    ['‖gradient‖', [['last step', hist.gradNorm, '--vscode-charts-purple']], true],
  ];
  const width = Math.max(260, Math.floor(host.clientWidth / 2) - 12);
  if (!charts || chartsNeedRebuild || charts.length !== data.length) {
    charts?.forEach((c) => c.destroy());
    host.replaceChildren();
    const fg = cssVar('--vscode-foreground', '#ccc');
    const grid = cssVar('--vscode-editorWidget-border', '#444');
    charts = data.map(([title, series, log]) => {
      const box = el('div', { class: 'chart' });
      host.append(box);
      return new uPlot({
        title, width, height: 150, legend: { show: true }, cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
        axes: [{ stroke: fg, grid: { stroke: grid, width: 1 }, label: 'epoch' }, { stroke: fg, grid: { stroke: grid, width: 1 }, size: 56 }],
        series: [{ label: 'epoch' }, ...series.map(([label, , color]) => ({ label, stroke: cssVar(color, '#3794ff'), width: 1.5, spanGaps: false }))],
      }, [x, ...series.map(([, s]) => s.map((v) => (Number.isFinite(v) && (!log || v > 0) ? v : null)))] as uPlot.AlignedData, box);
    });
    chartsNeedRebuild = false;
    return;
  }
  charts.forEach((c, k) => c.setData([x, ...data[k][1].map(([, s]) => s.map((v) => (Number.isFinite(v) && (!data[k][2] || v > 0) ? v : null)))] as uPlot.AlignedData));
}

// ------------------------------------------------------------ decision boundary

function drawBoundary() {
  const c = $('boundary') as HTMLCanvasElement | null;
  const plane = $('plane');
  if (!c || !plane || !run) return;
  const ctx = c.getContext('2d')!;
  const b = run.boundary;
  if (plane.childElementCount === 0 && run.n > 2) {
    const sel = (id: string, v: number) => {
      const s = el('select', { id, 'aria-label': id === 'plane-i' ? 'Horizontal feature' : 'Vertical feature' });
      run!.features.forEach((f, k) => s.append(el('option', { value: k, text: f })));
      s.value = String(v);
      s.addEventListener('change', () => {
        const i = Number(($('plane-i') as HTMLSelectElement).value), j = Number(($('plane-j') as HTMLSelectElement).value);
        if (i !== j) vscode.postMessage({ type: 'setBoundary', i, j });
      });
      return s;
    };
    plane.append(el('span', { class: 'small', text: 'plane: ' }), sel('plane-i', b?.i ?? 0), ' × ', sel('plane-j', b?.j ?? 1), el('span', { class: 'small', text: ' (other features at their mean)' }));
  }
  const legend = $('boundary-legend')!;
  if (!b) {
    ctx.clearRect(0, 0, c.width, c.height);
    legend.textContent = run.n < 2 ? 'A decision boundary needs at least two features.' : 'Waiting for the first report…';
    return;
  }
  const p = decodeF64(b.p);
  const cell = c.width / b.G;
  const img = ctx.createImageData(c.width, c.height);
  const pal: Palette = { ...palette, negative: palette.negative, positive: palette.positive };
  for (let y = 0; y < c.height; y++) {
    const r = Math.min(b.G - 1, Math.floor(y / cell));
    for (let x = 0; x < c.width; x++) {
      const col = Math.min(b.G - 1, Math.floor(x / cell));
      const [R, G, B] = divergingColor(p[r * b.G + col] - 0.5, 0.5, pal);
      const q = (y * c.width + x) * 4;
      img.data[q] = R; img.data[q + 1] = G; img.data[q + 2] = B; img.data[q + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  if (points) {
    const X = (v: number) => ((v - b.x0) / (b.x1 - b.x0)) * c.width;
    const Y = (v: number) => ((b.y1 - v) / (b.y1 - b.y0)) * c.height;
    const edge = cssVar('--vscode-editor-foreground', '#ddd');
    for (let q = 0; q < points.k; q++) {
      const px = X(points.x[q * points.n + b.i]), py = Y(points.x[q * points.n + b.j]);
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      const [R, G, B] = points.y[q] ? palette.positive : palette.negative;
      ctx.beginPath();
      ctx.arc(px, py, points.test[q] ? 4 : 3, 0, 2 * Math.PI);
      ctx.fillStyle = points.test[q] ? 'rgba(0,0,0,0)' : `rgb(${R},${G},${B})`;
      ctx.strokeStyle = points.test[q] ? `rgb(${R},${G},${B})` : edge;
      ctx.lineWidth = points.test[q] ? 2 : 0.7;
      if (!points.test[q]) ctx.fill();
      ctx.stroke();
    }
  }
  c.dataset.drawn = String(Number(c.dataset.drawn ?? 0) + 1);
  legend.textContent = `ŷ over ${run.features[b.i] ?? `feature ${b.i}`} (→) × ${run.features[b.j] ?? `feature ${b.j}`} (↑); filled dots: training points, rings: test points; colour: class 1 (${'red'}) vs 0 (blue) in the theme's chart colours.`;
}

// ------------------------------------------------------------ gradient check table

function drawCheck() {
  const host = $('check');
  if (!host) return;
  if (!check) {
    host.replaceChildren(el('p', { class: 'small', text: 'Compares the backward pass with central differences at the current parameters, on the first batch of the training data.' }));
    return;
  }
  const t = check.thresholds;
  const table = el('table', { class: 'checktable' },
    el('thead', {}, el('tr', {}, ...['parameter', 'shape', 'worst entry', 'analytic', 'numeric', 'rel. error', 'verdict', 'allclose'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...check.rows.map((r) => el('tr', { 'data-verdict': r.verdict },
      el('td', { text: r.name }), el('td', { text: `${r.shape[0]}×${r.shape[1]}` }), el('td', { text: `[${r.row},${r.col}]` }),
      el('td', { text: fmtExact(decodeF64(r.analytic)[0]) }), el('td', { text: fmtExact(decodeF64(r.numeric)[0]) }),
      el('td', { text: fmt(decodeF64(r.relError)[0], 3) }), el('td', { class: `verdict ${r.verdict}`, text: r.verdict }), el('td', { text: r.allclose ? 'yes' : 'no' })))));
  host.replaceChildren(table, el('p', { class: 'small', text: `At step ${check.step}; verdict ${check.verdict}; central differences h = ${check.h}; pass ≤ ${t.pass}, warning ≤ ${t.warn}, fail > ${t.fail}; global ‖a − n‖/(‖a‖ + ‖n‖) = ${fmt(decodeF64(check.globalDiff)[0], 3)}.` }));
}

// ------------------------------------------------------------ start

readPalette();
window.addEventListener('resize', () => { chartsNeedRebuild = true; dirty.add('curves'); });
requestAnimationFrame(frame);
vscode.postMessage({ type: 'ready' });
