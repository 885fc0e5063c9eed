/** How far a run is and how long it has left: pure facts of the settings, shared by the CLI and the extension. */
import type { TrainConfig } from './trainer';

/** Optimizer steps in one epoch: one for full batch, m for one-example SGD, ⌈m/B⌉ for mini-batches. */
export function stepsPerEpoch(
  config: Pick<TrainConfig, 'optimizer' | 'batchSize'>,
  trainRows: number,
): number {
  if (config.optimizer === 'batch') return 1;
  if (config.optimizer === 'sgd' || config.optimizer === 'misclassified-sgd') return trainRows;
  return Math.ceil(trainRows / Math.max(1, Math.min(config.batchSize, trainRows)));
}

/**
 * The pace at which the steps left to the epoch limit (or the step limit) take about `seconds`: a run that would end
 * sooner at full speed can be watched, and one that takes longer is not slowed (its full speed is below this pace).
 * 0 (no pace) when `seconds` is 0 or nothing is left.
 */
export function watchablePace(
  config: Pick<TrainConfig, 'optimizer' | 'batchSize' | 'epochs' | 'maxSteps'>,
  trainRows: number,
  step: number,
  seconds: number,
): number {
  if (!(seconds > 0) || !(trainRows > 0)) return 0;
  let total = config.epochs * stepsPerEpoch(config, trainRows);
  if (config.maxSteps > 0) total = Math.min(total, config.maxSteps);
  const left = total - step;
  return left > 0 && Number.isFinite(left) ? Math.max(1, left / seconds) : 0;
}

/**
 * Seconds left at `stepsPerSecond` to the epoch limit (or the step limit, when it comes first); null when unknown.
 * An upper bound: a run may stop earlier (converged, plateau).
 */
export function secondsLeft(
  config: Pick<TrainConfig, 'optimizer' | 'batchSize' | 'epochs' | 'maxSteps'>,
  trainRows: number,
  step: number,
  stepsPerSecond: number,
): number | null {
  if (!(trainRows > 0) || !(stepsPerSecond > 0)) return null;
  let total = config.epochs * stepsPerEpoch(config, trainRows);
  if (config.maxSteps > 0) total = Math.min(total, config.maxSteps);
  const s = (total - step) / stepsPerSecond;
  return s > 0 && Number.isFinite(s) ? s : null;
}

/** "about 2 min left". */
export function describeSecondsLeft(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}
