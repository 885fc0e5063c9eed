/**
 * What training produces and reads, defined once for the trainer, the worker, the extension, the inspector and the
 * CLI: the data a Trainer takes, the step record (everything about one optimizer step), the epoch summary, the
 * result, and the state that resumes a run exactly.
 */
import type { TrainConfig } from './config';
import type { OptimizerState } from './optimizers';

/** Rows of a row-major feature matrix and their labels: 0/1 (K = 1), or class indices 0..K−1 (K ≥ 3). */
export interface TrainData {
  X: Float64Array; // m×n
  Y: Float64Array; // m
  m: number;
  n: number;
  /** Outputs of the network for these labels: 1 (binary, the default) or the number of classes K ≥ 3. */
  K?: number;
}

export type TrainStatus = 'running' | 'converged' | 'plateau' | 'completed' | 'cancelled' | 'diverged';

export interface Metrics {
  loss: number;
  accuracy: number;
  misclassified: number;
  m: number;
}

export interface EpochSummary {
  epoch: number;
  step: number;
  train: Metrics;
  test: Metrics | null;
  /** ‖g‖₂ of the last step's gradient. */
  gradNorm: number;
  /** Per parameter (W1, b1, W2, b2) at the epoch's last step: ‖W‖, ‖dW‖ and the update-to-weight ratio ‖ΔW‖/‖W‖. */
  params: { W: number[]; dW: number[]; ratio: number[] };
}

/**
 * What one optimizer step did. The trainer reuses one record (no allocation per
 * step): it is valid until the next step; copy what you keep (see copyStep).
 * Forward and backward values are those of the first sample of the step.
 */
export interface StepRecord {
  step: number; // 1-based index of this step
  epoch: number; // epoch the step belongs to (0-based)
  samples: Int32Array; // training-row indices used
  x: Float64Array; // n, first sample
  y: number;
  z1: Float64Array; // h
  a1: Float64Array; // h
  z2: number;
  a2: number;
  dz2: number;
  /** The output as vectors (K; for K = 1 the one number z2, a2, dz2): z2, a2 = softmax(z2), dz2 = a2 − y. */
  z2k: Float64Array;
  a2k: Float64Array;
  dz2k: Float64Array;
  dz1: Float64Array; // h
  /** Mean loss over the step's samples at θ before the update. */
  loss: number;
  /** ∂J/∂θ over the step's samples, θ's flat layout. */
  grad: Float64Array;
  /** The change applied: θ_after − θ_before. */
  delta: Float64Array;
  /** misclassified-sgd: how many training points were misclassified before the step; otherwise −1. */
  misclassified: number;
  /** When training with a derivation's gradients: the network's true gradient of the same step (grad is the derivation's). */
  trueGrad: Float64Array | null;
}

export interface Divergence {
  step: number;
  /** First non-finite quantity: "loss" or an entry such as "W1[2,0]". */
  param: string;
}

export interface TrainResult {
  status: TrainStatus;
  reason: string;
  steps: number;
  epochs: number;
  train: Metrics;
  test: Metrics | null;
  divergence: Divergence | null;
}

/** Serialisable trainer state (JSON-safe) for checkpoints and exact resume. */
export interface TrainerState {
  config: TrainConfig;
  n: number;
  /** Outputs (absent in older states: 1). */
  K?: number;
  step: number;
  epoch: number;
  cursor: number;
  order: number[];
  theta: number[];
  optimizer: OptimizerState;
  rng: number[];
  history: EpochSummary[];
  status: TrainStatus;
  reason: string;
  divergence: Divergence | null;
}

/** A deep copy of a step record that outlives the next step; at most maxSamples of its sample indices. */
export function copyStep(r: StepRecord, maxSamples = Infinity): StepRecord {
  return {
    ...r,
    samples: r.samples.slice(0, maxSamples),
    x: r.x.slice(),
    z1: r.z1.slice(),
    a1: r.a1.slice(),
    dz1: r.dz1.slice(),
    z2k: r.z2k.slice(),
    a2k: r.a2k.slice(),
    dz2k: r.dz2k.slice(),
    grad: r.grad.slice(),
    delta: r.delta.slice(),
    trueGrad: r.trueGrad ? r.trueGrad.slice() : null,
  };
}
