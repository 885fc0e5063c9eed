/**
 * The inspector's state and its reducer: every message from the host goes
 * through reduce(), an exhaustive switch on the typed protocol, which updates
 * the one state object and says which sections must be drawn again. No DOM.
 */
import { PARAM_NAMES } from '../src/core/network';
import {
  type Boundary,
  type PanelCheck,
  type PanelLandscape,
  type PanelLrFind,
  type PanelHistory,
  type PanelNorms,
  type PanelPoints,
  type PanelSpreads,
  type PanelRun,
  type PlotPoints,
  type StepView,
  type ToWebview,
  decodeF64,
  decodeStep,
} from '../src/protocol';
import { SPREAD_WIDTH } from '../src/panel/history';

export type Section =
  | 'header'
  | 'graph'
  | 'cards'
  | 'chain'
  | 'curves'
  | 'boundary'
  | 'check'
  | 'distributions'
  | 'confusion'
  | 'play';
export const SECTIONS: readonly Section[] = [
  'header',
  'graph',
  'cards',
  'chain',
  'curves',
  'boundary',
  'check',
  'distributions',
  'confusion',
  'play',
];

/** The plotted epochs, one array per curve. */
export interface Curves {
  epoch: number[];
  trainLoss: number[];
  testLoss: number[];
  trainAcc: number[];
  testAcc: number[];
  misclassified: number[];
  gradNorm: number[];
}
const CURVES: readonly (keyof Curves)[] = [
  'epoch',
  'trainLoss',
  'testLoss',
  'trainAcc',
  'testAcc',
  'misclassified',
  'gradNorm',
];

/** Per epoch: the step and, per parameter (PARAM_NAMES order), ‖W‖, ‖dW‖ and ‖ΔW‖/‖W‖. */
export interface Norms {
  step: number[];
  W: number[][];
  dW: number[][];
  ratio: number[][];
}

/** Spread columns: the column's number in the run, its step, its SPREAD_WIDTH percentiles. */
export interface Spreads {
  stride: number;
  n: number[];
  step: number[];
  q: Float64Array[];
}

export interface InspectorState {
  /** The run as the host last described it (its arrays still encoded; the decoded ones are below). */
  run: PanelRun | null;
  theta: Float64Array;
  step: StepView | null;
  boundary: Boundary | null;
  /** Shown from a stored checkpoint, not live. */
  restored: boolean;
  curves: Curves;
  norms: Norms;
  /** The distributions the host recorded over the run (panel/history.ts Spreads). */
  spreads: Spreads;
  points: PlotPoints | null;
  check: PanelCheck | null;
  /** The last learning-rate range test and loss landscape asked for (null: none yet), or what went wrong. */
  lrFind: { result: PanelLrFind | null; error?: string; pending: boolean } | null;
  landscape: { result: PanelLandscape | null; error?: string; pending: boolean } | null;
}

const emptyCurves = (): Curves => ({
  epoch: [],
  trainLoss: [],
  testLoss: [],
  trainAcc: [],
  testAcc: [],
  misclassified: [],
  gradNorm: [],
});
const emptyNorms = (): Norms => ({
  step: [],
  W: PARAM_NAMES.map(() => []),
  dW: PARAM_NAMES.map(() => []),
  ratio: PARAM_NAMES.map(() => []),
});

const emptySpreads = (): Spreads => ({ stride: 1, n: [], step: [], q: [] });

export function initialState(): InspectorState {
  return {
    run: null,
    theta: new Float64Array(0),
    step: null,
    boundary: null,
    restored: false,
    curves: emptyCurves(),
    norms: emptyNorms(),
    spreads: emptySpreads(),
    points: null,
    check: null,
    lrFind: null,
    landscape: null,
  };
}

/** What a message asks of the view: sections to draw, the layout to build again, or a fresh snapshot from the host. */
export interface Effect {
  redraw: readonly Section[];
  rebuild: boolean;
  /** The update does not follow what we have (a message was lost): ask the host for a snapshot. */
  resync: boolean;
}

const NOTHING: Effect = { redraw: [], rebuild: false, resync: false };

export function reduce(s: InspectorState, m: ToWebview): Effect {
  switch (m.type) {
    case 'snapshot':
      if (m.run?.id !== s.run?.id) {
        s.lrFind = null;
        s.landscape = null;
      }
      s.restored = m.restored;
      s.curves = emptyCurves();
      s.norms = emptyNorms();
      if (m.history) appendCurves(s.curves, m.history);
      if (m.norms) appendNorms(s.norms, m.norms);
      s.spreads = emptySpreads();
      if (m.spreads) appendSpreads(s.spreads, m.spreads);
      s.points = decodePoints(m.points);
      s.check = m.check;
      setRun(s, m.run);
      return { redraw: SECTIONS, rebuild: true, resync: false };
    case 'update': {
      if (!s.run || m.run.id !== s.run.id) return { ...NOTHING, resync: true };
      // The host keeps at most 2,000 plotted epochs: when its stride doubles, thin ours the same way (no snapshot).
      const thinned = m.run.historyStride !== s.run.historyStride;
      const spreadsStride = s.spreads.stride;
      if (thinned) thinHistory(s, m.run.historyStride);
      if (m.spreads.stride !== s.spreads.stride) thinSpreads(s.spreads, m.spreads.stride);
      if (m.historyFrom !== s.curves.epoch.length || m.spreadsFrom !== s.spreads.n.length)
        return { ...NOTHING, resync: true };
      const structural = m.run.n !== s.run.n || m.run.hidden !== s.run.hidden;
      const shownBefore = chainKey(s.run);
      appendCurves(s.curves, m.history);
      appendNorms(s.norms, m.norms);
      const spreadsBefore = s.spreads.n.length;
      appendSpreads(s.spreads, m.spreads);
      setRun(s, m.run);
      if (structural) return { redraw: SECTIONS, rebuild: true, resync: false };
      // Only what changed: the step's equations when the shown step does, curves when epochs arrived.
      const redraw: Section[] = ['header', 'graph', 'cards'];
      if (chainKey(m.run) !== shownBefore) redraw.push('chain');
      if (thinned || decodedLength(m.history.epoch) > 0) redraw.push('curves', 'confusion');
      if (m.run.boundary) redraw.push('boundary');
      if (s.spreads.n.length !== spreadsBefore || m.spreads.stride !== spreadsStride)
        redraw.push('distributions');
      return { redraw, rebuild: false, resync: false };
    }
    case 'check':
      s.check = m.check;
      return { ...NOTHING, redraw: ['check'] };
    case 'lrFind':
      s.lrFind = { result: m.result, error: m.error, pending: false };
      return { ...NOTHING, redraw: ['play'] };
    case 'landscape':
      s.landscape = { result: m.result, error: m.error, pending: false };
      return { ...NOTHING, redraw: ['play'] };
    default: {
      const never: never = m;
      console.warn('inspector: unknown message', never);
      return NOTHING;
    }
  }
}

/** What the chain rule shows depends on: the step shown, and the settings its text names. */
export function chainKey(run: PanelRun | null): string {
  return run
    ? `${run.id}:${run.last?.step ?? -1}:${run.lr}:${run.optimizer}:${run.activation}:${run.edited.join(',')}:${run.last?.loss.$f64 ?? ''}`
    : '';
}

/** Entries in an encoded Float64Array, without decoding it. */
function decodedLength(f: { $f64: string }): number {
  return Math.floor((f.$f64.length * 3) / 4 / 8);
}

function setRun(s: InspectorState, run: PanelRun | null): void {
  s.run = run;
  s.theta = run ? decodeF64(run.theta) : new Float64Array(0);
  s.step = run?.last ? decodeStep(run.last) : null;
  const b = run?.boundary;
  s.boundary = b
    ? {
        ...b,
        p: decodeF64(b.p),
        pk: b.pk ? decodeF64(b.pk) : null,
        units: b.units ? decodeF64(b.units) : null,
        correct:
          b.correct === 'unchanged' ? (s.boundary?.correct ?? new Float64Array(0)) : decodeF64(b.correct),
        px: b.px === 'unchanged' ? (s.boundary?.px ?? null) : b.px ? decodeF64(b.px) : null,
      }
    : null;
}

function appendCurves(c: Curves, h: PanelHistory): void {
  for (const k of CURVES) c[k].push(...decodeF64(h[k]));
}

/** Keep the plotted epochs that are multiples of `stride` (as the host's PlotHistory does), curves and norms alike. */
export function thinHistory(s: InspectorState, stride: number): void {
  const keep = s.curves.epoch.map((e) => e % stride === 0);
  const thin = (xs: number[]) => xs.filter((_, i) => keep[i]);
  for (const k of CURVES) s.curves[k] = thin(s.curves[k]);
  const n = s.norms;
  if (n.step.length !== keep.length) return; // norms not plotted for this run
  n.step = thin(n.step);
  n.W = n.W.map(thin);
  n.dW = n.dW.map(thin);
  n.ratio = n.ratio.map(thin);
}

/** Keep the spread columns whose number is a multiple of `stride` (as the host's Spreads does). */
function thinSpreads(d: Spreads, stride: number): void {
  const keep = d.n.map((c) => c % stride === 0);
  d.n = d.n.filter((_, i) => keep[i]);
  d.step = d.step.filter((_, i) => keep[i]);
  d.q = d.q.filter((_, i) => keep[i]);
  d.stride = stride;
}

function appendSpreads(d: Spreads, p: PanelSpreads): void {
  d.stride = p.stride;
  d.n.push(...decodeF64(p.n));
  d.step.push(...decodeF64(p.step));
  const q = decodeF64(p.q);
  for (let i = 0; i < q.length; i += SPREAD_WIDTH) d.q.push(q.subarray(i, i + SPREAD_WIDTH));
}

function appendNorms(n: Norms, p: PanelNorms): void {
  n.step.push(...decodeF64(p.step));
  PARAM_NAMES.forEach((_, i) => {
    n.W[i].push(...decodeF64(p.W[i]));
    n.dW[i].push(...decodeF64(p.dW[i]));
    n.ratio[i].push(...decodeF64(p.ratio[i]));
  });
}

function decodePoints(p: PanelPoints | null): PlotPoints | null {
  return p ? { k: p.k, n: p.n, x: decodeF64(p.x), y: decodeF64(p.y), test: decodeF64(p.test) } : null;
}
