/**
 * The gradient inspector's webview: wiring only. Untrusted-input rules: every
 * string that comes from a dataset (file name, column names) is inserted with
 * textContent or as an <option>'s text, never parsed as HTML; KaTeX only ever
 * sees numbers we format. The host is the source of truth: we post `ready`,
 * take a full snapshot, then apply updates through the reducer (state.ts);
 * drawing happens in animation frames, one module per view (views/).
 */
import { PARAM_NAMES, type ParamName } from '../src/core/network';
import type { Palette } from '../src/panel/format';
import type { FromWebview, ToWebview } from '../src/protocol';
import type { Ui, View } from './context';
import { byId, el, onWidthChange, themeRgb } from './dom';
import { SECTIONS, type Section, initialState, reduce } from './state';
import { boundarySection, drawBoundary } from './views/boundary';
import { Cards } from './views/cards';
import { drawChain } from './views/chain';
import { checkSection, drawCheck } from './views/check';
import { Curves } from './views/curves';
import { confusionSection, drawConfusion } from './views/confusion';
import { drawPlay, playSection } from './views/play';
import { Distributions } from './views/distributions';
import { drawGraph } from './views/graph';
import { drawHeader, headerBar, settingsBar } from './views/header';

declare function acquireVsCodeApi(): {
  postMessage(m: FromWebview): void;
  getState(): unknown;
  setState(s: unknown): void;
};
/** Defined by the build: true in development and test builds, false in the packaged extension. */
declare const __TEST_HOOKS__: boolean;

const host = acquireVsCodeApi();
const saved = (host.getState() ?? {}) as Partial<Ui>;
const ui: Ui = {
  focus: PARAM_NAMES.find((p) => p === saved.focus) ?? 'W1',
  tables: saved.tables ?? {},
  zoom: saved.zoom ?? {},
  logScale: saved.logScale === true,
  smoothing:
    typeof saved.smoothing === 'number' && saved.smoothing >= 0 && saved.smoothing < 1 ? saved.smoothing : 0,
};

const dirty = new Set<Section>();
/** The update to acknowledge after the next frame (the host sends the next update only then). */
let drawnDue = -1;
let palette = readPalette();

const view: View = {
  state: initialState(),
  ui,
  saveUi: () => host.setState(ui),
  post: (m) => host.postMessage(m),
  palette: () => palette,
  dirty: (s) => dirty.add(s),
  focusParam,
  hold: () => {
    if (view.state.run?.phase === 'running') heldAt = performance.now();
  },
};
const cards = new Cards(view);
const curves = new Curves(view);
const distributions = new Distributions(view);

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  if (__TEST_HOOKS__) trace(`${m.type}${m.type === 'update' ? ` ${m.run.phase} ${m.run.step}` : ''}`);
  const effect = reduce(view.state, m);
  if (m.type === 'update') drawnDue = m.seq; // acknowledged once the next frame has drawn it
  if (effect.resync) return view.post({ type: 'ready' }); // out of step (a lost message): ask for a snapshot
  if (effect.rebuild) build();
  for (const s of effect.redraw) dirty.add(s);
});

function readPalette(): Palette {
  return {
    negative: themeRgb('--vscode-charts-blue', [55, 148, 255]),
    positive: themeRgb('--vscode-charts-red', [241, 76, 76]),
    zero: themeRgb('--vscode-editor-background', [30, 30, 30]),
    invalid: themeRgb('--vscode-charts-yellow', [204, 167, 0]),
  };
}

function markAll(): void {
  for (const s of SECTIONS) dirty.add(s);
}

// The theme changes the body's class: read the colours again and redraw everything.
new MutationObserver(() => {
  palette = readPalette();
  curves.stale = true;
  markAll();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

function build(): void {
  const app = byId('app')!;
  app.replaceChildren();
  curves.detach();
  if (!view.state.run) {
    const example = el('button', { type: 'button', id: 'start-example', text: 'Train an Example' });
    example.addEventListener('click', () => view.post({ type: 'startTraining', what: 'example' }));
    const pick = el('button', {
      type: 'button',
      id: 'start-pick',
      class: 'secondary',
      text: 'Train on Dataset…',
    });
    pick.addEventListener('click', () => view.post({ type: 'startTraining', what: 'pick' }));
    app.append(
      el(
        'div',
        { class: 'empty' },
        el('h2', { text: 'No training run yet' }),
        el('p', {
          text: 'Train the classic two-layer network and watch backpropagation work: every weight, gradient and update, the chain rule with real numbers, the curves and the decision boundary.',
        }),
        el('p', {}, example, ' ', pick),
        el('p', {
          class: 'small',
          text: 'Train an Example trains the flower data slowly enough to watch. Train on Dataset… takes any .csv, .tsv or .json file of the workspace (the last column is the 0/1 label). The inspector follows the current run.',
        }),
      ),
    );
    return;
  }
  const log = el('input', { type: 'checkbox', id: 'logscale', 'aria-label': 'Logarithmic loss axis' });
  log.checked = ui.logScale;
  log.addEventListener('change', () => {
    ui.logScale = log.checked;
    view.saveUi();
    curves.stale = true;
    dirty.add('curves');
  });
  app.append(
    headerBar(view),
    settingsBar(view),
    el('div', { id: 'notice', class: 'notice', role: 'status' }),
    el('section', { class: 'graph-wrap', 'aria-label': 'Computation graph' }, el('div', { id: 'graph' })),
    cards.build(),
    el(
      'section',
      { class: 'chain', 'aria-label': 'The chain rule with numbers' },
      el('h2', { text: 'The chain rule, this step' }),
      el('div', { id: 'pick', class: 'pick' }),
      el('div', { id: 'chain' }),
    ),
    el(
      'section',
      { class: 'plots', 'aria-label': 'Training curves and decision boundary' },
      el(
        'div',
        { class: 'plot-col' },
        el('h2', {}, 'Training curves ', el('label', { class: 'small' }, log, ' log loss'), smoothing()),
        el('p', { id: 'curves-note', class: 'small' }),
        el('div', { id: 'curves', class: 'curves' }),
      ),
      boundarySection(),
    ),
    confusionSection(),
    playSection(view),
    distributions.section(),
    checkSection(view),
    el('div', { id: 'tooltip', class: 'tooltip', role: 'tooltip', hidden: true }),
  );
}

/** The curves' smoothing: a slider from off to 0.99 (TensorBoard's exponential moving average). */
function smoothing(): HTMLElement {
  const input = el('input', {
    type: 'range',
    id: 'smoothing',
    min: 0,
    max: 0.99,
    step: 0.01,
    'aria-label': 'Curve smoothing',
  });
  const out = el('span', {
    class: 'small',
    id: 'smoothing-value',
    text: ui.smoothing ? ui.smoothing.toFixed(2) : 'off',
  });
  input.value = String(ui.smoothing);
  input.addEventListener('input', () => {
    ui.smoothing = Number(input.value);
    out.textContent = ui.smoothing ? ui.smoothing.toFixed(2) : 'off';
    view.saveUi();
    curves.stale = true;
    dirty.add('curves');
  });
  return el('label', { class: 'small' }, 'smoothing ', input, ' ', out);
}

function focusParam(p: ParamName): void {
  ui.focus = p;
  view.saveUi();
  const c = byId(`card-${p}`);
  c?.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  c?.focus({ preventScroll: true });
  dirty.add('graph');
  dirty.add('distributions');
}

// ------------------------------------------------------------ drawing, in animation frames

const DRAW: Record<Section, () => void> = {
  header: () => drawHeader(view),
  graph: () => drawGraph(view),
  cards: () => cards.draw(),
  chain: () => drawChain(view),
  curves: () => curves.draw(),
  boundary: () => drawBoundary(view),
  check: () => drawCheck(view),
  distributions: () => distributions.draw(),
  confusion: () => drawConfusion(view),
  play: () => drawPlay(view),
};
/** How long a held page (View.hold) waits for the host's answer before it draws again anyway. */
const HOLD_MS = 1000;
let heldAt = 0;
/** KaTeX is the costliest section: while training runs, at most twice a second (nobody reads faster); paused, at once. */
const CHAIN_EVERY_MS = 500;
let lastChain = 0;
let lastState = '';
let lastStep = -1;
const meter = { frames: 0, since: performance.now() };

function frame(): void {
  requestAnimationFrame(frame); // first: a failing section never stops the loop
  try {
    draw();
  } finally {
    if (drawnDue >= 0) {
      view.post({ type: 'drawn', seq: drawnDue });
      drawnDue = -1;
    }
  }
}

function draw(): void {
  const now = performance.now();
  meter.frames++;
  if (now - meter.since >= 1000) {
    if (__TEST_HOOKS__)
      document.body.dataset.fps = String(Math.round((meter.frames * 1000) / (now - meter.since)));
    meter.frames = 0;
    meter.since = now;
  }
  if (!view.state.run) return dirty.clear();
  const run = view.state.run;
  if (heldAt && run.phase === 'running' && now - heldAt < HOLD_MS) return; // what is dirty stays dirty
  heldAt = 0;
  const watching = run.paused || run.phase !== 'running';
  const chainDue = dirty.has('chain') && (watching || now - lastChain > CHAIN_EVERY_MS);
  if (!dirty.size || (dirty.size === 1 && dirty.has('chain') && !chainDue)) return;
  const t0 = performance.now();
  // A change of state (paused, stopped, finished), and a new step while paused (the step the worker stopped at, a
  // Step), shows first, in a frame of its own: the header (state and step) and the graph now, the heavier sections at
  // the next frame.
  const state = `${run.id}:${run.phase}:${run.status}`;
  const quick = lastState !== '' && (state !== lastState || (watching && run.step !== lastStep));
  lastState = state;
  lastStep = run.step;
  for (const name of Object.keys(DRAW) as Section[]) {
    if (quick && name !== 'header' && name !== 'graph') continue;
    if (name === 'chain' && !chainDue) continue;
    if (!dirty.delete(name)) continue;
    if (name === 'chain') lastChain = now;
    const ts = performance.now();
    try {
      DRAW[name]();
    } catch (e) {
      console.error(`inspector: drawing ${name} failed`, e); // the other sections still draw
    }
    if (__TEST_HOOKS__) sectionMs[name] = (sectionMs[name] ?? 0) + performance.now() - ts;
  }
  if (__TEST_HOOKS__) {
    trace(
      `drew ${quick ? 'header and graph' : 'all'} of step ${run.step} in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    testHooks(performance.now() - t0);
  }
}

/** Test builds: the last events (messages in, frames drawn) with their times, for the browser tests' latency reports. */
const traced: [number, string][] = [];
function trace(what: string): void {
  traced.push([performance.now(), what]);
  if (traced.length > 50) traced.shift();
  (window as unknown as { bplTrace: typeof traced }).bplTrace = traced;
}

/** Test builds: the last 120 draw times (frames with changes) and the time per section since the page loaded. */
const drawTimes: number[] = [];
const sectionMs: Partial<Record<Section, number>> = {};

/** What the browser tests read (test builds only): draw times and the plotted history's shape. */
function testHooks(drawMs: number): void {
  const b = document.body.dataset;
  const { curves: c, run } = view.state;
  const stride = run?.historyStride ?? 1;
  drawTimes.push(drawMs);
  if (drawTimes.length > 120) drawTimes.shift();
  const sorted = [...drawTimes].sort((x, y) => x - y);
  b.drawMs = drawMs.toFixed(1);
  b.drawMedianMs = sorted[Math.floor(sorted.length / 2)].toFixed(1);
  b.drawP95Ms = sorted[Math.floor(sorted.length * 0.95)].toFixed(1);
  b.sectionMs = Object.entries(sectionMs)
    .map(([k, x]) => `${k} ${x.toFixed(0)}`)
    .join(', ');
  b.historyLength = String(c.epoch.length);
  b.historyStride = String(stride);
  b.historyGaps = String(c.epoch.filter((e, i) => e !== (i + 1) * stride).length); // epochs stride, 2·stride, …
}

/** The panel or a section changed width: the charts are rebuilt to fit, the graph reflows (one row or two), heatmaps resize. */
function relayout(): void {
  curves.stale = true;
  dirty.add('curves');
  dirty.add('graph');
  dirty.add('cards');
}
window.addEventListener('resize', relayout);
onWidthChange(relayout);
requestAnimationFrame(frame);
view.post({ type: 'ready' });
