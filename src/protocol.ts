/**
 * The one typed message union shared by the extension host, the training
 * worker and the webview. Between host and worker, numbers that can be
 * non-finite travel in Float64Arrays (structured clone keeps NaN/±Infinity);
 * towards the webview they travel as F64 (the bytes in base64), because the
 * webview bridge is JSON. Names and layouts (parameters, optimizers, the step
 * record) come from src/core and are not restated here.
 */
import type { GradcheckOptions, GradcheckReport } from './core/gradcheck';
import type { GradientSlice, LossGrid } from './core/landscape';
import type { LrFindOptions, LrFindResult } from './core/lrfind';
import type { ColumnEncoding } from './core/model';
import {
  type EpochSummary,
  type StepRecord,
  type TrainConfig,
  type TrainResult,
  type TrainStatus,
  type TrainerState,
} from './core/trainer';
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
  /** Data as it comes (settings ignore, dropMissing, maxClasses, maxCategories, positiveClass; core/settings readOptionsOf); absent: the defaults. */
  read?: DataReadSettings;
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
  /** Optimizer steps per second to pace the run at (0: as fast as possible). Pacing never changes the trajectory. */
  stepsPerSecond: number;
  /** With stepsPerSecond 0: a run whose steps would end sooner than this many seconds is paced to take about that long (watchablePace); 0 or absent: off. */
  minSeconds?: number;
}

/** One edit of a parameter by the user: at which step, which entry (its flat index and name), from what to what. */
export interface ParameterEdit {
  step: number;
  index: number;
  name: string;
  from: number;
  to: number;
  /** Restoring the run's own value. */
  restore: boolean;
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
  | { type: 'setSpeed'; stepsPerSecond: number }
  | { type: 'setBoundary'; plane: BoundaryPlane }
  /** Paused or stopped: set θ[index] (what if this weight were…?); restore puts the run's own value back. */
  | { type: 'setParameter'; index: number; value: number }
  | { type: 'restoreParameter'; index: number }
  | { type: 'check'; requestId: number; count: number; options: GradcheckOptions }
  /** Learning-rate range test on the run's data and settings (answered by lrFindResult; blocks the run's loop while it runs). */
  | { type: 'lrFind'; requestId: number; options: Partial<LrFindOptions>; from: 'initial' | 'current' }
  /** Loss landscape around the current θ (answered by landscapeResult). */
  | { type: 'landscape'; requestId: number; request: LandscapeRequest };

/**
 * What to compute of the loss landscape around the current θ (see core/landscape.ts). Cost: slice.points + grid.size²
 * loss evaluations over at most maxRows training rows (evenly spaced through the training split).
 */
export interface LandscapeRequest {
  /** 1-D slice along the gradient: odd points (≥ 3), α ∈ [−spanFactor·lr, spanFactor·lr]. */
  slice: { points: number; spanFactor: number } | null;
  /**
   * 2-D grid: odd size ≤ MAX_GRID over [−span, span]²; directions 'random' (filter-normalised, seeded) or 'trajectory'
   * (the two principal directions of the run's parameter trajectory, which the session records at epoch ends).
   */
  grid: { size: number; span: number; directions: 'random' | 'trajectory'; seed: number } | null;
  maxRows: number;
}

/** The plane the boundary is drawn over: two features, or the first two principal components. */
export type BoundaryPlane = { mode: 'features'; i: number; j: number } | { mode: 'pca' };

// ---------------------------------------------------------------- worker → host

/** How the worker reads the dataset beyond the label column (core/settings readOptionsOf gives it from the settings). */
export interface DataReadSettings {
  ignore: string[];
  dropMissing: boolean;
  maxClasses: number;
  maxCategories: number;
  positiveClass: string;
}

export interface DatasetInfo {
  /** Class names in output order, verbatim (show them as text, never as HTML): binary [class 0, class 1]; K ≥ 3 the softmax's classes. */
  classes: string[];
  /** Outputs of the network: 1 (binary, sigmoid) or K ≥ 3 (softmax); W2 is K×h, its row k is class classes[k]. */
  K: number;
  /** Rows of each class (in the order of classes) in the training and test splits. */
  classCounts: { train: number[]; test: number[] };
  /** The source columns that became inputs (a text column: one input per category, named column=value). */
  encoding: ColumnEncoding[];
  /** Lines of the rows dropped for a missing value (dropMissing), at most the first 20, and how many there were. */
  dropped: { count: number; lines: number[] };
  rows: number;
  features: string[];
  label: string;
  trainRows: number;
  testRows: number;
  standardization: Standardization | null;
  /** The first training rows (as trained: standardised) and labels, for derivation checks at the run's parameters. */
  sample: { x: Float64Array; y: Float64Array; m: number };
  /** Up to 1,500 points (training first, then test) for the decision-boundary plot. */
  points: PlotPoints;
  /** What the user should know about the data as split (e.g. a training split with one class). */
  warnings: string[];
}

/** Data points for the plot (k×n, as trained: standardised when on), training rows first, evenly thinned. */
export interface PlotPoints {
  k: number;
  n: number;
  x: Float64Array;
  y: Float64Array;
  /** 1 for a test point. */
  test: Float64Array;
}

/**
 * ŷ over a plane of the input space, G×G, row-major from the top-left (x0, y1): the plane of features i and j (the
 * others at their training mean), or the plane of the first two principal components through the training mean.
 */
export interface Boundary {
  mode: 'features' | 'pca';
  /** The features on the axes ('features' mode; 0 and 1 in 'pca' mode). */
  i: number;
  j: number;
  G: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  p: Float64Array;
  /** K ≥ 3: the probability of every class over the grid (K×G×G, class-major: pk[k·G·G + r·G + c]); p is then the largest of them; null for K = 1. */
  pk?: Float64Array | null;
  /** Two-feature data: each hidden unit's activation a1[u] over the same grid (h×G×G), for the neuron tiles; else null. */
  units: Float64Array | null;
  /** Per plotted point: 1 when the network classifies it correctly now, else 0. */
  correct: Float64Array;
  /** 'pca' mode: the plotted points' coordinates in the plane (k×2), and the share of the variance along each axis. */
  px: Float64Array | null;
  explained: [number, number] | null;
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
  /** The last step of the report (a copy of the trainer's reused record), or null. */
  last: StepRecord | null;
  /** Epoch summaries completed since the previous progress message. */
  epochs: EpochSummary[];
  /** Steps per second over the last report interval. */
  stepsPerSecond: number;
  /** The pace asked for: steps per second, 0 for full speed. */
  speed: number;
  boundary: Boundary | null;
  /** Entries of θ the user has set since the last step (the step record is then recomputed at the edited θ). */
  edited: number[];
  /** Confusion matrices at the last epoch's end (computed at most once per epoch and per half second); null before. */
  confusion: Confusion | null;
}

/** Rows of true class t predicted as class p: C[t][p], classes in the order of DatasetInfo.classes. */
export interface Confusion {
  epoch: number;
  train: number[][];
  test: number[][] | null;
}

export type FromWorker =
  | { type: 'ready'; runId: string; dataset: DatasetInfo; theta: Float64Array; config: TrainConfig }
  | { type: 'dataError'; runId: string; line: number; message: string }
  | Progress
  /** notes: what the user should know about the outcome (e.g. dead ReLU units). */
  | {
      type: 'finished';
      runId: string;
      result: TrainResult;
      state: TrainerState;
      historyFrom: number;
      notes: string[];
    }
  /** state.history holds only the epochs from index historyFrom on (the earlier ones were in earlier checkpoints). */
  | { type: 'checkpoint'; runId: string; state: TrainerState; historyFrom: number }
  | { type: 'checkResult'; requestId: number; report: GradcheckReport | null; error?: string }
  /** The user set a parameter (for the run's record: a resumed or exported run is honest about it). */
  | { type: 'edited'; runId: string; edit: ParameterEdit }
  | { type: 'failed'; runId: string; message: string }
  | { type: 'lrFindResult'; requestId: number; result: LrFindResult | null; error?: string }
  | { type: 'landscapeResult'; requestId: number; result: LandscapeResult | null; error?: string };

/** The loss landscape around θ (typed arrays travel as they are between worker and host). */
export interface LandscapeResult {
  /** J(θ) on the rows used (the slice's and the grid's centre value). */
  centreLoss: number;
  /** Training rows the losses are over. */
  rows: number;
  step: number;
  slice: GradientSlice | null;
  grid:
    | (LossGrid & {
        directions: 'random' | 'trajectory';
        d1: Float64Array;
        d2: Float64Array;
        /** Trajectory directions: the fraction of its variance along d1 and d2; null for random directions. */
        explained: [number, number] | null;
        /** The recorded trajectory (θ₀, epoch ends, the current θ) projected on the plane: [a0, b0, a1, b1, …]. */
        trajectory: Float64Array;
      })
    | null;
}

export * from './webviewProtocol';
