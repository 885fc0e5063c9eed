/**
 * The learning-rate range test (Smith, "Cyclical Learning Rates for Training
 * Neural Networks", arXiv 2015 / WACV 2017; the form popularised by fastai's
 * lr_find): one short run from the initial θ in which the learning rate grows
 * exponentially from `start` to `end` over `steps` optimizer steps,
 *
 *   αᵢ = start · (end / start)^(i / (steps − 1)),   i = 0 … steps − 1,
 *
 * recording the loss J(θᵢ) over a fixed sample of the training rows (all of them
 * up to SCORE_ROWS, else SCORE_ROWS evenly spaced ones; θᵢ is θ after the steps
 * before i, so the loss at αᵢ is the one the run reached with α₀ … αᵢ₋₁ and αᵢ
 * is the rate applied next). fastai records the loss of each step's batch; with
 * one example per step (sgd) that is one example's loss, mostly noise, and the
 * suggestions followed the noise (7e-6 on breast cancer, where 0.1 trains well).
 * The curve is smoothed with a bias-corrected
 * exponential moving average,
 *
 *   s := β·s + (1 − β)·Jᵢ,    Ĵᵢ = s / (1 − β^(i+1)),
 *
 * and the test stops early when the loss explodes: Ĵᵢ > divergeFactor · minⱼ Ĵⱼ
 * or a non-finite loss or parameter.
 *
 * Suggested value: the learning rate at the steepest descent of the smoothed
 * curve, argminᵢ dĴ/d(log α) (central differences over the recorded points
 * without the first 10 and last 5, fastai v1's suggestion). Also reported: one tenth of the learning rate at
 * the smoothed minimum (fastai's older "minimum / 10" rule, Howard & Gugger 2020),
 * a more conservative choice.
 */
import type { OptimizerName, TrainConfig, TrainData } from './trainer';
import { Trainer } from './trainer';

export interface LrFindOptions {
  /** First learning rate (> 0). */
  start: number;
  /** Last learning rate (> start). */
  end: number;
  /** Number of optimizer steps (≥ 3). */
  steps: number;
  /** Smoothing β in [0, 1). */
  beta: number;
  /** Stop when the smoothed loss exceeds this multiple of its minimum (> 1). */
  divergeFactor: number;
}

/** Most training rows the loss of each step is measured on. */
export const SCORE_ROWS = 1000;

/** The rows J(θᵢ) is measured on: all of them up to SCORE_ROWS, else SCORE_ROWS evenly spaced ones. */
export function scoreRows(d: TrainData): TrainData {
  if (d.m <= SCORE_ROWS) return d;
  const { n } = d;
  const X = new Float64Array(SCORE_ROWS * n),
    Y = new Float64Array(SCORE_ROWS);
  for (let k = 0; k < SCORE_ROWS; k++) {
    const i = Math.floor((k * d.m) / SCORE_ROWS);
    X.set(d.X.subarray(i * n, i * n + n), k * n);
    Y[k] = d.Y[i];
  }
  return { X, Y, m: SCORE_ROWS, n };
}

export const DEFAULT_LR_FIND: LrFindOptions = {
  start: 1e-6,
  end: 10,
  steps: 100,
  beta: 0.98,
  divergeFactor: 4,
};

export interface LrFindResult {
  /** Learning rate of each recorded step (increasing). */
  lr: Float64Array;
  /** Raw loss over the scored training rows (scoreRows) at each recorded step, before its update. */
  loss: Float64Array;
  /** Bias-corrected exponential moving average of loss. */
  smoothed: Float64Array;
  /** The steepest-descent learning rate (null when fewer than 3 points were recorded). */
  suggested: number | null;
  /** One tenth of the learning rate at the smoothed minimum. */
  minimumOverTen: number | null;
  /** Why the test ended: 'completed' (all steps), 'exploded' (smoothed loss over divergeFactor·min), 'diverged' (non-finite), 'stopped' (the optimizer stopped, e.g. misclassified-sgd converged). */
  stop: 'completed' | 'exploded' | 'diverged' | 'stopped';
  optimizer: OptimizerName;
  /** How many training rows each step's loss is measured on (scoreRows). */
  rows: number;
}

/** αᵢ = start·(end/start)^(i/(steps−1)); strictly increasing for end > start. */
export function lrSchedule(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  const r = Math.log(end / start);
  for (let i = 0; i < steps; i++) out[i] = start * Math.exp((r * i) / (steps - 1));
  out[steps - 1] = end;
  return out;
}

export function validateLrFind(o: LrFindOptions): void {
  if (!(o.start > 0 && Number.isFinite(o.start)))
    throw new RangeError(`start must be a positive number, got ${o.start}`);
  if (!(o.end > o.start && Number.isFinite(o.end)))
    throw new RangeError(`end must be a finite number above start (${o.start}), got ${o.end}`);
  if (!(Number.isInteger(o.steps) && o.steps >= 3))
    throw new RangeError(`steps must be a whole number ≥ 3, got ${o.steps}`);
  if (!(o.beta >= 0 && o.beta < 1)) throw new RangeError(`beta must be in [0, 1), got ${o.beta}`);
  if (!(o.divergeFactor > 1)) throw new RangeError(`divergeFactor must be > 1, got ${o.divergeFactor}`);
}

/**
 * Run the range test with the config's optimizer and seed (the same initial θ
 * and sampling as a training run with that config, unless theta is given).
 * config.lr, epochs and maxSteps are ignored.
 */
export function lrFind(
  config: TrainConfig,
  train: TrainData,
  options: Partial<LrFindOptions> = {},
  theta?: Float64Array,
): LrFindResult {
  const o = { ...DEFAULT_LR_FIND, ...options };
  validateLrFind(o);
  const schedule = lrSchedule(o.start, o.end, o.steps);
  const trainer = new Trainer(
    { ...config, lr: o.start, epochs: Number.MAX_SAFE_INTEGER, maxSteps: o.steps, plateauEpochs: 0 },
    train,
    null,
    theta,
  );
  const lr: number[] = [],
    loss: number[] = [],
    smoothed: number[] = [];
  let avg = 0;
  let best = Infinity;
  let stop: LrFindResult['stop'] = 'completed';
  const scored = scoreRows(train);
  try {
    for (let i = 0; i < o.steps; i++) {
      trainer.setLearningRate(schedule[i]);
      const J = trainer.evaluate(scored).loss;
      if (!Number.isFinite(J)) {
        stop = 'diverged';
        break;
      }
      const r = trainer.step();
      if (!r) {
        stop =
          trainer.status === 'diverged'
            ? 'diverged'
            : trainer.status === 'completed'
              ? 'completed'
              : 'stopped';
        break;
      }
      avg = o.beta * avg + (1 - o.beta) * J;
      const s = avg / (1 - Math.pow(o.beta, i + 1));
      lr.push(schedule[i]);
      loss.push(J);
      smoothed.push(s);
      if (s < best) best = s;
      if (i > 0 && s > o.divergeFactor * best) {
        stop = 'exploded';
        break;
      }
    }
  } finally {
    trainer.dispose(); // the batched kernels' worker threads, if a large batch started them
  }
  const L = Float64Array.from(lr),
    J = Float64Array.from(loss),
    S = Float64Array.from(smoothed);
  return {
    lr: L,
    loss: J,
    smoothed: S,
    ...suggestions(L, S),
    stop,
    optimizer: config.optimizer,
    rows: scored.m,
  };
}

/** The steepest-descent and minimum/10 suggestions of a smoothed curve (see the module comment). */
export function suggestions(
  lr: Float64Array,
  smoothed: Float64Array,
  skipStart = 10,
  skipEnd = 5,
): { suggested: number | null; minimumOverTen: number | null } {
  const k = lr.length;
  // Like fastai v1's plot(suggestion=True): the first points (the average still warming up) and the last (the blow-up) are left out.
  const lo = Math.min(skipStart, Math.floor(k / 4)),
    hi = k - Math.min(skipEnd, Math.floor(k / 4));
  if (hi - lo < 3) return { suggested: null, minimumOverTen: null };
  let iMin = lo;
  for (let i = lo + 1; i < hi; i++) if (smoothed[i] < smoothed[iMin]) iMin = i;
  let iSteep = -1,
    steepest = Infinity;
  for (let i = lo + 1; i < hi - 1; i++) {
    // dĴ/d(log α), central difference
    const slope = (smoothed[i + 1] - smoothed[i - 1]) / (Math.log(lr[i + 1]) - Math.log(lr[i - 1]));
    if (slope < steepest) {
      steepest = slope;
      iSteep = i;
    }
  }
  return { suggested: iSteep >= 0 && steepest < 0 ? lr[iSteep] : null, minimumOverTen: lr[iMin] / 10 };
}
