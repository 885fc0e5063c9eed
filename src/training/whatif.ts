/**
 * The what-if questions the training worker answers about a run: the loss landscape around its current parameters
 * (with the run's trajectory) — the learning-rate range test is core/lrfind's. Pure: no worker, no VS Code.
 */
import {
  type Evaluator,
  evaluator,
  evenRows,
  filterNormalizedDirection,
  gradientSlice,
  lossGrid,
  principalDirections,
  projectTrajectory,
} from '../core/landscape';
import { Rng } from '../core/rng';
import type { Trainer, TrainData } from '../core/trainer';
import type { LandscapeRequest, LandscapeResult } from '../protocol';

/** At most this many parameter snapshots of the run's trajectory are kept for the landscape (thinned evenly). */
export const MAX_TRAJECTORY = 256;

/** θ₀ and θ at epoch ends, thinned evenly to at most MAX_TRAJECTORY snapshots (the stride doubles when thinned). */
export class Trajectory {
  snapshots: Float64Array[] = [];
  private epoch = -1;
  private stride = 1;

  /** Keep θ₀ and θ every trajectoryStride epochs, at most MAX_TRAJECTORY snapshots (evenly spaced in epochs). */
  record(t: Trainer): void {
    if (t.epoch === this.epoch) return;
    this.epoch = t.epoch;
    if (t.epoch % this.stride !== 0) return;
    this.snapshots.push(t.net.theta.slice());
    if (this.snapshots.length > MAX_TRAJECTORY) {
      this.snapshots = this.snapshots.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }

  /** A fresh trajectory from the trainer's current θ (a new run, a reset). */
  reset(t: Trainer): void {
    this.snapshots = [];
    this.epoch = -1;
    this.stride = 1;
    this.record(t);
  }
}

/** The landscape around the trainer's current θ (its network is never touched: copies are evaluated). */
export function landscapeOf(
  t: Trainer,
  train: TrainData,
  q: LandscapeRequest,
  trajectory: readonly Float64Array[],
): LandscapeResult {
  const n = train.n,
    h = t.config.hidden;
  const rows = evenRows(train, q.maxRows);
  const J = evaluator(
    n,
    h,
    t.config.activation,
    rows,
    t.engine === 'reference' ? 'reference' : 'auto',
    t.config.threads,
  );
  try {
    return landscapeWith(J, t, rows.count, q, trajectory);
  } finally {
    J.dispose();
  }
}

function landscapeWith(
  J: Evaluator,
  t: Trainer,
  rows: number,
  q: LandscapeRequest,
  trajectory: readonly Float64Array[],
): LandscapeResult {
  const n = t.train.n,
    h = t.config.hidden;
  const theta = t.net.theta.slice();
  const centreLoss = J.loss(theta);
  const slice = q.slice ? gradientSlice(J, theta, t.opt.hyper.lr, q.slice) : null;
  let grid: LandscapeResult['grid'] = null;
  if (q.grid) {
    const centre = theta;
    const path = [...trajectory];
    const last = path[path.length - 1];
    if (!last || last.some((v, i) => v !== centre[i])) path.push(centre.slice());
    let d1: Float64Array,
      d2: Float64Array,
      explained: [number, number] | null = null;
    if (q.grid.directions === 'trajectory') {
      if (path.length < 3)
        throw new Error(
          'the trajectory has fewer than three points yet: train for a few epochs, or use random directions',
        );
      ({ d1, d2, explained } = principalDirections(path, centre));
    } else {
      const rng = new Rng(q.grid.seed);
      const K = t.net.K;
      d1 = filterNormalizedDirection(centre, n, h, rng, K);
      d2 = filterNormalizedDirection(centre, n, h, rng, K);
    }
    const g = lossGrid(J, theta, d1, d2, { size: q.grid.size, span: q.grid.span });
    grid = {
      ...g,
      directions: q.grid.directions,
      d1,
      d2,
      explained,
      trajectory: projectTrajectory(path, centre, d1, d2),
    };
  }
  return { centreLoss, rows, step: t.stepCount, slice, grid };
}
