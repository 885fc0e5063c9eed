/**
 * The one typed message union shared by the extension host, the training
 * worker and (Issue: inspector) the webview. Numbers that can be non-finite
 * travel in Float64Arrays (binary, NaN/±Infinity preserved); plain-number fields
 * are finite by construction or encoded with encodeNumber().
 */
import type { GradcheckOptions, GradcheckReport } from './core/gradcheck';
import type { EpochSummary, TrainConfig, TrainResult, TrainStatus, TrainerState } from './core/trainer';
import type { Standardization } from './data/prepare';
import type { F64 } from './panel/format';

// ---------------------------------------------------------------- host → worker

export interface StartMessage {
  type: 'start';
  runId: string;
  /** The dataset's bytes (transferred, not copied) and the name its format comes from. */
  bytes: Uint8Array;
  fileName: string;
  label: string;
  maxBytes: number;
  split: number;
  standardize: boolean;
  config: TrainConfig;
  /** Continue from a saved state instead of starting fresh. */
  resume?: TrainerState;
  /** Start from these parameters (an imported model) instead of the seeded initialisation. */
  theta?: number[];
  /** Minimum time between progress messages. */
  reportEveryMs: number;
  /** Start paused (step-by-step from step 0). */
  paused: boolean;
  /** Train with the gradients of this derivation's formulas instead of the network's backward pass. */
  derivation?: { text: string; file: string };
  /** Post the trainer's state every this many seconds and/or epochs (0: off); also at step 0. */
  checkpoint: { everySeconds: number; everyEpochs: number };
}

export type ToWorker =
  | StartMessage
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step'; steps: number }
  | { type: 'stepEpoch' }
  | { type: 'stop' }
  | { type: 'reset' }
  | { type: 'setLearningRate'; lr: number }
  | { type: 'setBoundary'; i: number; j: number }
  | { type: 'check'; requestId: number; count: number; options: GradcheckOptions };

// ---------------------------------------------------------------- worker → host

export interface DatasetInfo {
  rows: number;
  features: string[];
  label: string;
  trainRows: number;
  testRows: number;
  standardization: Standardization | null;
  /** The first training rows (as trained: standardised) and labels, for derivation checks at the run's parameters. */
  sample: { x: Float64Array; y: Float64Array; m: number };
  /** Up to 1,500 points (training first, then test) for the decision-boundary plot. */
  points: { k: number; n: number; x: Float64Array; y: Float64Array; test: Float64Array };
}

/** ŷ over the plane of features i and j (the others at their training mean), G×G, row-major from the top-left (x0, y1). */
export interface Boundary {
  i: number;
  j: number;
  G: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  p: Float64Array;
}

/** The last optimizer step of a report, copied out of the trainer's reused record. */
export interface StepSnapshot {
  step: number;
  epoch: number;
  samples: Int32Array;
  x: Float64Array;
  y: number;
  z1: Float64Array;
  a1: Float64Array;
  z2: number;
  a2: number;
  dz2: number;
  dz1: Float64Array;
  loss: number;
  grad: Float64Array;
  delta: Float64Array;
  misclassified: number;
  /** Training with a derivation: the network's true gradient beside grad (the derivation's). */
  trueGrad: Float64Array | null;
}

export interface Progress {
  type: 'progress';
  runId: string;
  status: TrainStatus;
  paused: boolean;
  step: number;
  epoch: number;
  lr: number;
  theta: Float64Array;
  last: StepSnapshot | null;
  /** Epoch summaries completed since the previous progress message. */
  epochs: EpochSummary[];
  /** Steps per second over the last report interval. */
  stepsPerSecond: number;
  boundary: Boundary | null;
}

export type FromWorker =
  | { type: 'ready'; runId: string; dataset: DatasetInfo; theta: Float64Array; config: TrainConfig }
  | { type: 'dataError'; runId: string; line: number; message: string }
  | Progress
  | { type: 'finished'; runId: string; result: TrainResult; state: TrainerState; historyFrom: number }
  /** state.history holds only the epochs from index historyFrom on (the earlier ones were in earlier checkpoints). */
  | { type: 'checkpoint'; runId: string; state: TrainerState; historyFrom: number }
  | { type: 'checkResult'; requestId: number; report: GradcheckReport | null; error?: string }
  | { type: 'failed'; runId: string; message: string };

/** JSON-safe spelling of a number that may be non-finite. */
export type EncodedNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function encodeNumber(x: number): EncodedNumber {
  return Number.isFinite(x) ? x : (String(x) as EncodedNumber);
}

export function decodeNumber(x: EncodedNumber): number {
  return typeof x === 'number' ? x : Number(x);
}

// ---------------------------------------------------------------- extension host ⇄ webview (the inspector)


export const PARAMS = ['W1', 'b1', 'W2', 'b2'] as const;

export interface PanelStep {
  step: number;
  epoch: number;
  /** Training rows used (at most 16 listed) and how many there were. */
  samples: number[];
  sampleCount: number;
  x: F64;
  y: number;
  z1: F64;
  a1: F64;
  /** Scalars that may be non-finite travel as 1-element F64s. */
  z2: F64;
  a2: F64;
  dz2: F64;
  dz1: F64;
  loss: F64;
  grad: F64;
  delta: F64;
  trueGrad: F64 | null;
  misclassified: number;
}

export interface PanelHistory {
  epoch: F64;
  trainLoss: F64;
  testLoss: F64;
  trainAcc: F64;
  testAcc: F64;
  misclassified: F64;
  gradNorm: F64;
}

/** Per epoch: the step, and ‖W‖, ‖dW‖ and ‖ΔW‖/‖W‖ of each parameter (sparklines). */
export interface PanelNorms {
  step: F64;
  W: F64[]; // one per PARAMS entry
  dW: F64[];
  ratio: F64[];
}

/** The boundary on the webview's side: its grid ŷ travels encoded. */
export type PanelBoundary = Omit<Boundary, 'p'> & { p: F64 };

export interface PanelPoints {
  k: number;
  n: number;
  x: F64; // k×n, as trained (standardised when on)
  y: F64;
  test: F64; // 1 for a test point
}

export interface PanelCheckRow {
  name: string;
  shape: [number, number];
  row: number;
  col: number;
  analytic: F64;
  numeric: F64;
  relError: F64;
  verdict: string;
  allclose: boolean;
}

export interface PanelCheck {
  step: number;
  verdict: string;
  globalDiff: F64;
  h: number;
  thresholds: { pass: number; warn: number; fail: number };
  rows: PanelCheckRow[];
}

export interface PanelRun {
  id: string;
  file: string;
  phase: string;
  status: string;
  reason: string;
  paused: boolean;
  live: boolean;
  step: number;
  epoch: number;
  epochs: number;
  lr: number;
  optimizer: string;
  activation: string;
  hidden: number;
  n: number;
  features: string[];
  label: string;
  trainRows: number;
  testRows: number;
  stepsPerSecond: number;
  theta: F64;
  last: PanelStep | null;
  boundary: PanelBoundary | null;
  derivation: string | null;
  notice: string | null;
  /** The plotted history holds the epochs that are multiples of this (long runs are thinned to at most 2,000 points). */
  historyStride: number;
}

export type ToWebview =
  | { type: 'snapshot'; run: PanelRun | null; history: PanelHistory | null; norms: PanelNorms | null; points: PanelPoints | null; check: PanelCheck | null; restored: boolean }
  | { type: 'update'; run: PanelRun; historyFrom: number; history: PanelHistory; norms: PanelNorms }
  | { type: 'check'; check: PanelCheck | null; error?: string };

export type ControlAction = 'play' | 'pause' | 'step' | 'stepEpoch' | 'reset';
const ACTIONS: readonly ControlAction[] = ['play', 'pause', 'step', 'stepEpoch', 'reset'];

export type FromWebview =
  | { type: 'ready' }
  | { type: 'control'; action: ControlAction }
  | { type: 'setLearningRate'; lr: number }
  | { type: 'setOptimizer'; optimizer: string }
  | { type: 'runCheck' }
  | { type: 'setBoundary'; i: number; j: number };

const OPTIMIZER_NAMES = ['misclassified-sgd', 'sgd', 'batch', 'minibatch', 'momentum', 'rmsprop', 'adam'];

/**
 * Validate a message from the webview before anything acts on it. The webview
 * is untrusted: only the exact shapes above pass (no extra keys, bounded
 * strings, finite numbers in range); anything else is rejected with a reason.
 */
export function parseFromWebview(raw: unknown): { ok: true; message: FromWebview } | { ok: false; reason: string } {
  const bad = (reason: string) => ({ ok: false as const, reason });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not an object');
  // Own properties only: nothing is read through a prototype chain.
  const src = raw as Record<string, unknown>;
  const o: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(src)) o[k] = src[k];
  const keys = Object.keys(o);
  if (keys.length > 3) return bad('too many fields');
  const only = (...allowed: string[]) => keys.every((k) => allowed.includes(k));
  const t = o.type;
  if (typeof t !== 'string' || t.length > 32) return bad('no valid type');
  switch (t) {
    case 'ready':
    case 'runCheck':
      return only('type') ? { ok: true, message: { type: t } } : bad(`unexpected fields in ${t}`);
    case 'control':
      if (!only('type', 'action') || typeof o.action !== 'string' || !(ACTIONS as readonly string[]).includes(o.action)) return bad('invalid control');
      return { ok: true, message: { type: 'control', action: o.action as ControlAction } };
    case 'setLearningRate':
      if (!only('type', 'lr') || typeof o.lr !== 'number' || !Number.isFinite(o.lr) || o.lr <= 0 || o.lr > 1e6) return bad('invalid learning rate');
      return { ok: true, message: { type: 'setLearningRate', lr: o.lr } };
    case 'setOptimizer':
      if (!only('type', 'optimizer') || typeof o.optimizer !== 'string' || !OPTIMIZER_NAMES.includes(o.optimizer)) return bad('invalid optimizer');
      return { ok: true, message: { type: 'setOptimizer', optimizer: o.optimizer } };
    case 'setBoundary': {
      const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 100000;
      if (!only('type', 'i', 'j') || !ok(o.i) || !ok(o.j) || o.i === o.j) return bad('invalid boundary features');
      return { ok: true, message: { type: 'setBoundary', i: o.i as number, j: o.j as number } };
    }
    default:
      return bad(`unknown message type ${JSON.stringify(t.slice(0, 32))}`);
  }
}
