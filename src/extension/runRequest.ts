/** What a run is asked to do (the request, how it is carried out) and what it reports when it ends. */
import type * as vscode from 'vscode';
import type { RunSettings } from '../core/settings';
import type { TrainConfig, TrainResult, TrainerState } from '../core/trainer';
import type { DatasetInfo } from '../protocol';

export interface RunSource {
  kind: 'settings' | 'experiment' | 'model';
  /** The experiment or model file, when there is one. */
  file?: string;
}

export interface RunRequest {
  uri: vscode.Uri;
  settings: RunSettings;
  source: RunSource;
  paused?: boolean;
  theta?: number[];
  resume?: TrainerState;
  /** Train with this derivation's gradients. */
  derivation?: { text: string; file: string };
  /** Keep this run id (a resumed run continues its record). */
  id?: string;
  /** Pace the run at this many steps per second (default: the backpropLens.training.stepsPerSecond setting). */
  stepsPerSecond?: number;
}

/** How a run is carried out (none of it changes the trajectory). */
export interface RunOptions {
  /** Minimum time between progress reports. */
  reportEveryMs: number;
  maxBytes: number;
  checkpoint: { everySeconds: number; everyEpochs: number };
  /** Steps per second (0: full speed). */
  stepsPerSecond: number;
  /** With stepsPerSecond 0: a run that would end sooner is paced to take about this many seconds (0: off). */
  minSeconds?: number;
}

/** What a finished (or failed) run reports: what the CLI's train --json gives, plus where it came from. */
export interface RunSummary {
  runId: string;
  file: string;
  /** The outcome; 'running' when the command returned at the start (paused, or wait: false). */
  status: TrainResult['status'] | 'failed' | 'data-error';
  reason: string;
  steps: number;
  epochs: number;
  train: TrainResult['train'] | null;
  test: TrainResult['test'];
  divergence: TrainResult['divergence'];
  dataset: DatasetInfo | null;
  config: TrainConfig;
  settings: RunSettings;
  source: RunSource;
  /** What the user should know (a one-class training split, dead ReLU units). */
  warnings: string[];
  error?: { line: number; message: string };
}
