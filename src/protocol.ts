/**
 * The one typed message union shared by the extension host, the training
 * worker and (Issue: inspector) the webview. Numbers that can be non-finite
 * travel in Float64Arrays (binary, NaN/±Infinity preserved); plain-number fields
 * are finite by construction or encoded with encodeNumber().
 */
import type { GradcheckOptions, GradcheckReport } from './core/gradcheck';
import type { EpochSummary, TrainConfig, TrainResult, TrainStatus, TrainerState } from './core/trainer';
import type { Standardization } from './data/prepare';

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
  | { type: 'check'; requestId: number; count: number; options: GradcheckOptions };

// ---------------------------------------------------------------- worker → host

export interface DatasetInfo {
  rows: number;
  features: string[];
  label: string;
  trainRows: number;
  testRows: number;
  standardization: Standardization | null;
  /** SHA-256 of the bytes the run read, hex. */
  hash: string;
  /** The first training rows (as trained: standardised) and labels, for derivation checks at the run's parameters. */
  sample: { x: Float64Array; y: Float64Array; m: number };
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
}

export type FromWorker =
  | { type: 'ready'; runId: string; dataset: DatasetInfo; theta: Float64Array; config: TrainConfig }
  | { type: 'dataError'; runId: string; line: number; message: string }
  | Progress
  | { type: 'finished'; runId: string; result: TrainResult; state: TrainerState }
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
