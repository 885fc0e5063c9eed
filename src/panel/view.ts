/**
 * The inspector's view model: pure functions from domain types (the run's
 * config, progress, dataset, step record, epoch summaries, a stored trainer
 * state) to the webview's payload. No VS Code, no DOM: plain mocha tests it.
 */
import type { GradcheckReport } from '../core/gradcheck';
import { PARAM_NAMES } from '../core/network';
import type { EpochSummary, StepRecord, TrainConfig, TrainResult, TrainerState } from '../core/trainer';
import {
  type Boundary,
  type DatasetInfo,
  type LandscapeResult,
  type PanelCheck,
  type PanelLandscape,
  type PanelHistory,
  type PanelNorms,
  type PanelPoints,
  type PanelRun,
  type PanelSpreads,
  type F64,
  type Progress,
  type RunPhase,
  type ToWebview,
  encodeF64,
  encodeStep,
} from '../protocol';
import type { RunRecord } from '../training/store';
import { PlotHistory, type RunSeries, type SpreadColumn, SPREAD_WIDTH } from './history';

/** What the inspector needs to know of a live run (the extension's Run has these). */
export interface InspectedRun {
  readonly id: string;
  readonly fileName: string;
  readonly phase: RunPhase;
  readonly config: TrainConfig;
  readonly progress: Progress | null;
  /** The phase and report the header shows: the status bar's and the notification's (see Run.shown). */
  readonly shown: { readonly phase: RunPhase; readonly progress: Progress | null };
  readonly result: TrainResult | null;
  readonly dataset: DatasetInfo | null;
  readonly theta: Float64Array;
  readonly last: StepRecord | null;
  readonly boundary: Boundary | null;
  readonly notice: string | null;
  readonly derivationFile: string | null;
  /** Why the run failed, when it did. */
  readonly failure: string | null;
  /** What the user should know about the data and the outcome. */
  readonly warnings: readonly string[];
  /** A control request (pause, resume) waits for the worker's answer: what is shown is about to change. */
  readonly awaiting?: boolean;
}

/**
 * What the webview was last sent of the arrays that seldom change (the boundary's per-point ones): an update says
 * 'unchanged' instead of sending them again (a projection of 569 points is 12 KB of every update otherwise).
 */
export class SentArrays {
  private last = new Map<string, Float64Array>();

  /** `a` for the wire: 'unchanged' when it equals what was last sent under `key`; else encoded (or null), and remembered. */
  encode(key: string, a: Float64Array | null): F64 | null | 'unchanged' {
    const l = this.last.get(key);
    if (!a) {
      this.last.delete(key);
      return null;
    }
    if (l && l.length === a.length && l.every((x, i) => Object.is(x, a[i]))) return 'unchanged';
    this.last.set(key, a.slice());
    return encodeF64(a);
  }

  /** A snapshot sends everything: forget what was sent. */
  clear(): void {
    this.last.clear();
  }
}

export function panelRun(run: InspectedRun, stride: number, sent?: SentArrays): PanelRun {
  const p = run.progress;
  // The header (state, step, epoch, rate) shows what the status bar and the notification show; the rest is the newest.
  const { phase, progress: s } = run.shown;
  const r = run.result;
  const c = run.config;
  const d = run.dataset;
  const b = run.boundary;
  if (!b) sent?.clear(); // the webview's boundary goes: nothing of it is there to keep
  return {
    id: run.id,
    file: run.fileName,
    phase,
    status: phase === 'failed' ? 'failed' : (r?.status ?? s?.status ?? 'starting'),
    reason: run.failure ?? r?.reason ?? '',
    paused: phase === 'paused',
    live: true,
    step: s?.step ?? 0,
    epoch: s?.epoch ?? 0,
    epochs: c.epochs,
    lr: p?.lr ?? c.lr,
    optimizer: c.optimizer,
    activation: c.activation,
    hidden: c.hidden,
    batchSize: c.batchSize,
    n: d?.features.length ?? 0,
    features: d?.features ?? [],
    label: d?.label ?? '',
    trainRows: d?.trainRows ?? 0,
    testRows: d?.testRows ?? 0,
    stepsPerSecond: s?.stepsPerSecond ?? 0,
    speed: p?.speed ?? 0,
    edited: p?.edited ?? [],
    classes: d?.classes ?? ['0', '1'],
    K: d?.K ?? 1,
    confusion: p?.confusion ?? null,
    theta: encodeF64(run.theta),
    last: run.last && encodeStep(run.last),
    boundary: b && {
      ...b,
      p: encodeF64(b.p),
      pk: b.pk ? encodeF64(b.pk) : null,
      units: b.units && encodeF64(b.units),
      correct: sent ? (sent.encode('correct', b.correct) ?? encodeF64(b.correct)) : encodeF64(b.correct),
      px: sent ? sent.encode('px', b.px) : b.px && encodeF64(b.px),
    },
    derivation: run.derivationFile,
    notice: [run.notice, ...run.warnings].filter(Boolean).join(' ') || null,
    historyStride: stride,
  };
}

/** The curves' columns of some epoch summaries. */
export function panelHistory(h: readonly EpochSummary[]): PanelHistory {
  const col = (f: (e: EpochSummary) => number) => encodeF64(h.map(f));
  return {
    epoch: col((e) => e.epoch),
    trainLoss: col((e) => e.train.loss),
    testLoss: col((e) => e.test?.loss ?? NaN),
    trainAcc: col((e) => e.train.accuracy),
    testAcc: col((e) => e.test?.accuracy ?? NaN),
    misclassified: col((e) => e.train.misclassified),
    gradNorm: col((e) => e.gradNorm),
  };
}

/** ‖W‖, ‖dW‖, ‖ΔW‖/‖W‖ of each parameter per epoch (sparklines). */
export function panelNorms(h: readonly EpochSummary[]): PanelNorms {
  const per = (k: 'W' | 'dW' | 'ratio') => PARAM_NAMES.map((_, i) => encodeF64(h.map((e) => e.params[k][i])));
  return { step: encodeF64(h.map((e) => e.step)), W: per('W'), dW: per('dW'), ratio: per('ratio') };
}

export function panelPoints(d: DatasetInfo | null): PanelPoints | null {
  const p = d?.points;
  return p ? { k: p.k, n: p.n, x: encodeF64(p.x), y: encodeF64(p.y), test: encodeF64(p.test) } : null;
}

export type Snapshot = Extract<ToWebview, { type: 'snapshot' }>;

export const EMPTY_SNAPSHOT: Snapshot = {
  type: 'snapshot',
  run: null,
  history: null,
  norms: null,
  spreads: null,
  points: null,
  check: null,
  restored: false,
};

export function liveSnapshot(run: InspectedRun, series: RunSeries, check: PanelCheck | null): Snapshot {
  const { plot, spreads } = series;
  return {
    type: 'snapshot',
    run: panelRun(run, plot.stride),
    history: panelHistory(plot.entries),
    norms: panelNorms(plot.entries),
    spreads: panelSpreads(spreads.entries, spreads.stride),
    points: panelPoints(run.dataset),
    check,
    restored: false,
  };
}

export type Update = Extract<ToWebview, { type: 'update' }>;

/** The next update of a live run: what the webview lacks of the series (now held), and the run as it is now. */
export function liveUpdate(seq: number, run: InspectedRun, series: RunSeries, sent: SentArrays): Update {
  const { history, spreads } = series.unsent();
  return {
    type: 'update',
    seq,
    run: panelRun(run, series.plot.stride, sent),
    historyFrom: history.from,
    history: panelHistory(history.entries),
    norms: panelNorms(history.entries),
    spreadsFrom: spreads.from,
    spreads: panelSpreads(spreads.entries, series.spreads.stride),
  };
}

export function panelSpreads(columns: readonly SpreadColumn[], stride: number): PanelSpreads {
  const q = new Float64Array(columns.length * SPREAD_WIDTH);
  columns.forEach((c, i) => q.set(c.q, i * SPREAD_WIDTH));
  return {
    stride,
    n: encodeF64(columns.map((c) => c.n)),
    step: encodeF64(columns.map((c) => c.step)),
    q: encodeF64(q),
  };
}

/**
 * A run that is not live (e.g. after a window reload), rebuilt from its record,
 * the trainer state of its newest checkpoint and its epoch history: parameters,
 * curves and settings; no step record, no boundary (the data is not loaded).
 */
export function storedSnapshot(
  record: RunRecord,
  state: TrainerState,
  epochs: readonly EpochSummary[],
): Snapshot {
  const plot = new PlotHistory();
  plot.add(epochs);
  const c = state.config;
  const cols = record.columns;
  const last = epochs[epochs.length - 1];
  const run: PanelRun = {
    id: record.id,
    file: record.dataset.name,
    phase: 'finished',
    status: state.status,
    reason: state.reason || record.reason,
    paused: false,
    live: false,
    step: state.step,
    epoch: state.epoch,
    epochs: c.epochs,
    lr: c.lr,
    optimizer: c.optimizer,
    activation: c.activation,
    hidden: c.hidden,
    batchSize: c.batchSize,
    n: state.n,
    features: cols?.features ?? Array.from({ length: state.n }, (_, i) => `x${i}`),
    label: cols?.label ?? '',
    trainRows: cols?.trainRows ?? last?.train.m ?? 0,
    testRows: cols?.testRows ?? last?.test?.m ?? 0,
    stepsPerSecond: 0,
    speed: 0,
    edited: [],
    classes: record.columns?.classes ?? ['0', '1'],
    K: (state.config as { K?: number }).K ?? kOf(state),
    confusion: null,
    theta: encodeF64(state.theta),
    last: null,
    boundary: null,
    derivation: record.derivation?.file ?? null,
    notice: null,
    historyStride: plot.stride,
  };
  return {
    type: 'snapshot',
    run,
    history: panelHistory(plot.entries),
    norms: panelNorms(plot.entries),
    spreads: null, // recorded while a run is live only
    points: null,
    check: null,
    restored: true,
  };
}

/** The outputs K of a stored state, from the size of θ: h·n + h + K·h + K entries. */
function kOf(state: TrainerState): number {
  const h = state.config.hidden,
    n = state.n;
  const K = (state.theta.length - h * n - h) / (h + 1);
  return Number.isInteger(K) && K >= 1 ? K : 1;
}

export function checkTable(r: GradcheckReport, step: number): PanelCheck {
  const one = (x: number) => encodeF64([x]);
  return {
    step,
    verdict: r.verdict,
    globalDiff: one(r.globalDiff),
    h: r.options.h,
    thresholds: r.options.thresholds,
    rows: r.blocks.map((b) => ({
      name: b.name,
      shape: [b.rows, b.cols] as [number, number],
      row: b.worst.row,
      col: b.worst.col,
      analytic: one(b.worst.analytic),
      numeric: one(b.worst.numeric),
      relError: one(b.worst.relError),
      verdict: b.verdict,
      allclose: b.allclose,
      withinNoise: b.worst.withinNoise,
    })),
  };
}

/** The loss landscape for the webview (typed arrays encoded). */
export function panelLandscape(r: LandscapeResult): PanelLandscape {
  const s = r.slice,
    g = r.grid;
  return {
    centreLoss: r.centreLoss,
    rows: r.rows,
    step: r.step,
    slice: s && {
      alpha: encodeF64(s.alpha),
      loss: encodeF64(s.loss),
      centre: s.centre,
      lr: s.lr,
      lossAtLr: s.lossAtLr,
    },
    grid: g && {
      a: encodeF64(g.a),
      b: encodeF64(g.b),
      loss: encodeF64(g.loss),
      size: g.size,
      directions: g.directions,
      explained: g.explained,
      trajectory: encodeF64(g.trajectory),
    },
  };
}
