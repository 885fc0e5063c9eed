/**
 * The optimizer race: several optimizers trained from the same initial θ, on
 * the same data and split, with the same settings otherwise. Each racer is an
 * ordinary Trainer run with the config's optimizer replaced (so the seed gives
 * every racer the same θ₀, and each racer is bit-identical to a separate run
 * with that optimizer). Racers run one after the other; the time of each is
 * measured around its own run only.
 *
 * Per racer: the per-epoch training loss and accuracy (and test, when there is
 * a test split), the number of optimizer steps until the training loss first
 * fell to the threshold (at epoch granularity: the first epoch summary at or
 * below it, null if never), the final train/test metrics, the run's status, and
 * (optionally) a thinned parameter trajectory for the loss landscape (recording
 * it steps one step at a time, so a race with trajectories takes a little longer).
 */
import {
  type LossGrid,
  evaluator,
  evenRows,
  lossGrid,
  principalDirections,
  projectTrajectory,
} from '../core/landscape';
import {
  type EpochSummary,
  type Metrics,
  type OptimizerName,
  OPTIMIZERS,
  Trainer,
  type TrainConfig,
  type TrainData,
  type TrainResult,
  type TrainerState,
} from '../core/trainer';
import { resolveHidden } from '../core/config';

export interface RaceOptions {
  /** Training loss to reach (steps to threshold). */
  threshold: number;
  /** Keep at most this many parameter snapshots per racer (θ₀, then epoch ends, thinned evenly; 0: none; at least 2 otherwise). */
  trajectory: number;
  /** Milliseconds, monotonic (defaults to performance.now). */
  now: () => number;
  /** Called after each racer. */
  onRacer?: (r: Racer, index: number) => void;
  /** Keep each racer's final trainer state (for the run store: each racer a run that can be opened or resumed). */
  keepState: boolean;
}

export interface Racer {
  optimizer: OptimizerName;
  /** One entry per epoch summary. */
  curve: {
    epoch: number[];
    step: number[];
    loss: number[];
    accuracy: number[];
    testLoss: number[] | null;
    testAccuracy: number[] | null;
  };
  stepsToThreshold: number | null;
  train: Metrics;
  test: Metrics | null;
  result: TrainResult;
  /** Wall-clock milliseconds of this racer's run. */
  ms: number;
  /** Final θ. */
  theta: Float64Array;
  /** θ₀ and θ at thinned epoch ends (always ending with the final θ), when asked for. */
  trajectory: Float64Array[];
  /** The trainer's final state (Trainer.restore continues it exactly), when asked for (keepState). */
  state: TrainerState | null;
}

export interface RaceResult {
  threshold: number;
  racers: Racer[];
  /** The common θ₀. */
  theta0: Float64Array;
}

export function validateRace(optimizers: readonly string[]): asserts optimizers is OptimizerName[] {
  if (optimizers.length < 1) throw new RangeError('a race needs at least one optimizer');
  const seen = new Set<string>();
  for (const o of optimizers) {
    if (!(OPTIMIZERS as readonly string[]).includes(o))
      throw new RangeError(`unknown optimizer '${o}' (one of ${OPTIMIZERS.join(', ')})`);
    if (seen.has(o)) throw new RangeError(`optimizer '${o}' appears twice in the race`);
    seen.add(o);
  }
}

export function race(
  config: TrainConfig,
  optimizers: readonly OptimizerName[],
  train: TrainData,
  test: TrainData | null,
  options: Partial<RaceOptions> = {},
): RaceResult {
  validateRace(optimizers);
  const threshold = options.threshold ?? 0.1;
  const keep = options.trajectory ? Math.max(2, Math.floor(options.trajectory)) : 0; // first and last at least
  const now = options.now ?? (() => performance.now());
  let theta0: Float64Array | null = null;
  const racers: Racer[] = [];
  optimizers.forEach((optimizer, index) => {
    const trainer = new Trainer({ ...config, optimizer }, train, test && test.m ? test : null);
    const start = trainer.net.theta.slice();
    if (!theta0) theta0 = start;
    else if (start.some((v, i) => v !== theta0![i])) throw new Error('racers did not start from the same θ'); // the RNG seed fixes θ₀
    const snaps: Float64Array[] = keep > 0 ? [start] : [];
    const t0 = now();
    // With a trajectory, step by step so that θ is read at each epoch's end (run() without onStep advances in slices).
    const result = trainer.run(
      keep > 0
        ? {
            onStep: () => undefined,
            onEpoch: () => {
              snaps.push(trainer.net.theta.slice());
              if (snaps.length > 2 * keep) thin(snaps);
            },
          }
        : {},
    );
    const ms = now() - t0;
    if (keep > 0) {
      const last = snaps[snaps.length - 1];
      if (last.some((v, i) => v !== trainer.net.theta[i])) snaps.push(trainer.net.theta.slice());
      while (snaps.length > keep) thin(snaps);
    }
    const h = trainer.history;
    const hit = h.find((e) => e.train.loss <= threshold);
    const r: Racer = {
      optimizer,
      curve: curveOf(h),
      stepsToThreshold: hit ? hit.step : null,
      train: result.train,
      test: result.test,
      result,
      ms,
      theta: trainer.net.theta.slice(),
      trajectory: snaps,
      state: options.keepState ? trainer.getState() : null,
    };
    racers.push(r);
    options.onRacer?.(r, index);
  });
  return { threshold, racers, theta0: theta0! };
}

/** Drop every other interior snapshot (first and last kept). */
function thin(s: Float64Array[]): void {
  const kept = s.filter((_, i) => i === 0 || i === s.length - 1 || i % 2 === 0);
  s.length = 0;
  s.push(...kept);
}

function curveOf(h: EpochSummary[]): Racer['curve'] {
  const hasTest = h.some((e) => e.test !== null);
  return {
    epoch: h.map((e) => e.epoch),
    step: h.map((e) => e.step),
    loss: h.map((e) => e.train.loss),
    accuracy: h.map((e) => e.train.accuracy),
    testLoss: hasTest ? h.map((e) => e.test?.loss ?? NaN) : null,
    testAccuracy: hasTest ? h.map((e) => e.test?.accuracy ?? NaN) : null,
  };
}

export interface RaceLandscape {
  /** The loss over the plane through the common θ₀ spanned by d1, d2 (grid centre: J(θ₀) exactly). */
  grid: LossGrid;
  d1: Float64Array;
  d2: Float64Array;
  /** Fraction of the racers' combined trajectory variance (around θ₀) along d1 and d2. */
  explained: [number, number];
  /** Per racer (same order): its trajectory projected on the plane, [a0, b0, a1, b1, …]; every path starts at (0, 0). */
  paths: Float64Array[];
}

/**
 * One landscape for all racers (needs race(..., { trajectory: k })): the plane through the common θ₀ spanned by the
 * two principal directions of all their trajectories together (Li et al., 2018, §7, with θ₀ as the centre they share),
 * the loss on an odd size×size grid (≤ MAX_GRID) over a square that holds every path with a 10% margin, evaluated on
 * at most maxRows training rows (evenly spaced).
 */
export function raceLandscape(
  config: TrainConfig,
  r: RaceResult,
  train: TrainData,
  options: { size?: number; maxRows?: number } = {},
): RaceLandscape {
  config = resolveHidden(config, train.K ?? 1); // the width the racers trained with
  const points = r.racers.flatMap((x) => x.trajectory);
  if (points.length < 3)
    throw new RangeError(
      'the racers recorded fewer than three parameter snapshots: run the race with { trajectory: k }',
    );
  const centre = r.theta0;
  const { d1, d2, explained } = principalDirections(points, centre);
  const paths = r.racers.map((x) => projectTrajectory(x.trajectory, centre, d1, d2));
  let reach = 0;
  for (const p of paths) for (const v of p) reach = Math.max(reach, Math.abs(v));
  const J = evaluator(
    train.n,
    config.hidden,
    config.activation,
    evenRows(train, options.maxRows ?? train.m),
    'auto',
    config.threads,
  );
  try {
    const grid = lossGrid(J, centre, d1, d2, { size: options.size ?? 21, span: reach > 0 ? 1.1 * reach : 1 });
    return { grid, d1, d2, explained, paths };
  } finally {
    J.dispose();
  }
}
