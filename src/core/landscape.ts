/**
 * The loss landscape around θ: what the next step sees, and a picture of the
 * surface over a plane through θ (Li, Xu, Taylor, Studer & Goldstein,
 * "Visualizing the Loss Landscape of Neural Nets", NeurIPS 2018).
 *
 * 1-D slice along the gradient g = ∂J/∂θ (J over the given rows):
 *   f(α) = J(θ − α·g),   f(0) = J(θ),   f'(0) = −‖g‖²,
 * sampled on a symmetric grid of α that contains 0 exactly; the current
 * learning rate α = lr is where plain gradient descent's next step lands.
 *
 * 2-D grid over two directions d1, d2:
 *   F(a, b) = J(θ + a·d1 + b·d2),   a, b ∈ [−span, span], an odd size×size grid
 * whose centre is exactly θ (so F(0, 0) = J(θ) bit for bit). Directions:
 *   - filter-normalised random directions (Li et al. §4): d ~ N(0, I), then for
 *     every filter — a row of W1 (one hidden unit's incoming weights) and a row
 *     of W2 (one output's) — d_row := d_row · ‖θ_row‖ / ‖d_row‖; bias entries
 *     are set to 0 (the paper's choice for biases and batch-norm parameters);
 *   - the two principal directions of a parameter trajectory θ₀ … θ_T (Li et al.
 *     §7): the top two right singular vectors of the matrix of rows θ_t − θ_c
 *     (θ_c the centre), found by power iteration on the small T×T Gram matrix.
 * A trajectory is drawn on the plane by least squares: the (a, b) minimising
 * ‖θ_t − θ_c − a·d1 − b·d2‖.
 *
 * Cost: a slice is `points` loss evaluations, a grid size² (size ≤ MAX_GRID),
 * each over the given rows (pass a subset of rows to bound it further).
 *
 * Every J here comes from one {@link Evaluator}: J(θ) = (Σ L⁽ⁱ⁾)/m summed exactly
 * as Trainer.evaluate sums the training loss (in row order, or the WebAssembly
 * kernel's chunk sums), through the reference Network or — when the Trainer would
 * use them, rows·h·(n+1) ≥ FAST_MIN_WORK — the batched kernels (within 1e-12 of
 * the reference).
 */
import type { Activation } from './activations';
import { type BatchKernel, createBatchKernel, rowSums } from './kernels';
import { bceFromLogit } from './loss';
import { Network, layout } from './network';
import type { Rng } from './rng';
import { FAST_MIN_WORK, type TrainData } from './trainer';

export const MAX_GRID = 101;
export const MAX_SLICE = 1001;

/** Rows of the data the landscape is measured on: idx null means all rows. */
export interface LandscapeData {
  data: TrainData;
  idx: Int32Array | null;
  count: number;
}

export function allRows(data: TrainData): LandscapeData {
  return { data, idx: null, count: data.m };
}

/** count rows evenly spaced through the data (all of them when count ≥ m). */
export function evenRows(data: TrainData, count: number): LandscapeData {
  const k = Math.max(1, Math.min(data.m, Math.floor(count)));
  return k >= data.m
    ? allRows(data)
    : { data, idx: Int32Array.from({ length: k }, (_, i) => Math.floor((i * data.m) / k)), count: k };
}

/** J(θ) over fixed rows; with grad, also ∂J/∂θ written into it (the gradient's own mean, see Network.lossAndGrad). */
export interface Evaluator {
  loss(theta: Float64Array): number;
  grad(theta: Float64Array, out: Float64Array): void;
  /** Ends the kernels' worker threads, if any. */
  dispose(): void;
}

/**
 * The evaluator of a network shape over rows: the batched kernels when the work per evaluation is large enough
 * (as the Trainer decides), else the reference Network; engine 'reference' forces the latter. K outputs: the
 * data's (1, binary cross-entropy; K ≥ 3, softmax cross-entropy), as the Trainer.
 */
export function evaluator(
  n: number,
  h: number,
  activation: Activation,
  rows: LandscapeData,
  engine: 'auto' | 'reference' = 'auto',
  threads = 0,
): Evaluator {
  const { data, idx, count } = rows;
  const K = data.K ?? 1;
  const net = new Network(n, h, activation, undefined, K);
  let kernel: BatchKernel | null = null;
  const fast = engine === 'auto' && count >= 2 && count * h * (n + 1) >= FAST_MIN_WORK;
  const z2 = fast ? new Float64Array(count * K) : null;
  const row = (t: number) => (idx ? idx[t] : t);
  const useKernel = () => (kernel ??= createBatchKernel({ n, h, K, activation }, [data], { threads }));
  return {
    loss(theta) {
      let total = 0;
      if (z2) {
        const k = useKernel();
        k.forward(0, theta, idx, 0, count, z2);
        total = (k.lastSums() ?? rowSums(z2, data.Y, idx, 0, count, K)).loss; // as Trainer.evaluate sums
      } else {
        net.theta.set(theta);
        for (let t = 0; t < count; t++) {
          const z = net.forward(data.X, row(t) * n);
          total += K > 1 ? net.exampleLoss(data.Y[row(t)]) : bceFromLogit(z, data.Y[row(t)]);
        }
      }
      return total / count; // Σ/m, as Trainer.evaluate
    },
    grad(theta, out) {
      if (z2) {
        useKernel().lossAndGrad(0, theta, idx, 0, count, out);
        return;
      }
      net.theta.set(theta);
      net.lossAndGrad(data.X, data.Y, idx, count, out);
    },
    dispose() {
      kernel?.dispose();
    },
  };
}

export interface GradientSlice {
  /** Step sizes α along −g (symmetric, ascending, alpha[centre] = 0). */
  alpha: Float64Array;
  /** J(θ − α·g) for each α. */
  loss: Float64Array;
  /** Index of α = 0. */
  centre: number;
  /** The learning rate marked on the slice, and J(θ − lr·g). */
  lr: number;
  lossAtLr: number;
  /** ‖g‖², so that the slope at 0 is −gradNorm2. */
  gradNorm2: number;
}

/**
 * The 1-D slice of J along the gradient at θ, α ∈ [−span, span] with
 * span = spanFactor·lr, on `points` (odd, ≥ 3) evenly spaced values.
 */
export function gradientSlice(
  J: Evaluator,
  theta: Float64Array,
  lr: number,
  opts: { points?: number; spanFactor?: number } = {},
): GradientSlice {
  const points = opts.points ?? 41;
  const spanFactor = opts.spanFactor ?? 2;
  if (!(Number.isInteger(points) && points >= 3 && points % 2 === 1 && points <= MAX_SLICE))
    throw new RangeError(`points must be an odd whole number in [3, ${MAX_SLICE}], got ${points}`);
  if (!(lr > 0 && Number.isFinite(lr))) throw new RangeError(`lr must be a positive number, got ${lr}`);
  if (!(spanFactor > 0 && Number.isFinite(spanFactor)))
    throw new RangeError(`spanFactor must be a positive number, got ${spanFactor}`);
  const P = theta.length;
  const g = new Float64Array(P);
  J.grad(theta, g);
  let g2 = 0;
  for (let i = 0; i < P; i++) g2 += g[i] * g[i];
  const alpha = axis(points, spanFactor * lr);
  const centre = (points - 1) / 2;
  const moved = new Float64Array(P);
  const evalAt = (a: number) => {
    if (a === 0) return J.loss(theta); // exactly J(θ)
    for (let i = 0; i < P; i++) moved[i] = theta[i] - a * g[i];
    return J.loss(moved);
  };
  const loss = new Float64Array(points);
  for (let p = 0; p < points; p++) loss[p] = evalAt(alpha[p]);
  return { alpha, loss, centre, lr, lossAtLr: evalAt(lr), gradNorm2: g2 };
}

/** size values evenly spaced over [−span, span], size odd, the middle one exactly 0. */
export function axis(size: number, span: number): Float64Array {
  const out = new Float64Array(size);
  const c = (size - 1) / 2;
  for (let i = 0; i < size; i++) out[i] = i === c ? 0 : (span * (i - c)) / c;
  return out;
}

/** Row ranges [start, end) of θ that are filters: each row of W1 and each row of W2 (K rows for K outputs). */
export function filters(n: number, h: number, K = 1): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const b of layout(n, h, K)) {
    if (b.name !== 'W1' && b.name !== 'W2') continue;
    for (let r = 0; r < b.rows; r++) out.push([b.offset + r * b.cols, b.offset + (r + 1) * b.cols]);
  }
  return out;
}

/**
 * A filter-normalised random direction for θ (n features, h hidden units, K outputs): Gaussian entries,
 * each filter rescaled to the norm of θ's same filter, biases 0.
 */
export function filterNormalizedDirection(
  theta: Float64Array,
  n: number,
  h: number,
  rng: Rng,
  K = 1,
): Float64Array {
  const d = new Float64Array(theta.length); // biases stay 0
  for (const [s, e] of filters(n, h, K)) {
    let dn = 0,
      tn = 0;
    for (let i = s; i < e; i++) {
      d[i] = rng.normal();
      dn += d[i] * d[i];
      tn += theta[i] * theta[i];
    }
    const scale = dn > 0 ? Math.sqrt(tn / dn) : 0;
    for (let i = s; i < e; i++) d[i] *= scale;
  }
  return d;
}

export interface PrincipalDirections {
  d1: Float64Array;
  d2: Float64Array;
  /** Fraction of the trajectory's variance (around the centre) along d1 and d2. */
  explained: [number, number];
}

/**
 * The two principal directions (unit vectors) of the trajectory's offsets θ_t − centre.
 * Needs at least two offsets that are not collinear to give a second direction (else d2 is 0).
 */
export function principalDirections(
  trajectory: readonly Float64Array[],
  centre: Float64Array,
  iterations = 200,
): PrincipalDirections {
  const T = trajectory.length,
    P = centre.length;
  const M = trajectory.map((t) => {
    const r = new Float64Array(P);
    for (let i = 0; i < P; i++) r[i] = t[i] - centre[i];
    return r;
  });
  // Gram matrix G = M·Mᵀ (T×T); its eigenvectors u give the right singular vectors Mᵀu/‖Mᵀu‖.
  const G = new Float64Array(T * T);
  for (let a = 0; a < T; a++) {
    for (let b = a; b < T; b++) {
      let s = 0;
      for (let i = 0; i < P; i++) s += M[a][i] * M[b][i];
      G[a * T + b] = s;
      G[b * T + a] = s;
    }
  }
  let trace = 0;
  for (let a = 0; a < T; a++) trace += G[a * T + a];
  const eig: Array<{ u: Float64Array; lambda: number }> = [];
  for (let k = 0; k < 2; k++) {
    const u = new Float64Array(T);
    for (let a = 0; a < T; a++) u[a] = 1 + a / T + (k ? (a % 2 ? 1 : -1) : 0); // deterministic start
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      for (const e of eig) {
        // deflate: keep u orthogonal to the eigenvectors found
        let dot = 0;
        for (let a = 0; a < T; a++) dot += u[a] * e.u[a];
        for (let a = 0; a < T; a++) u[a] -= dot * e.u[a];
      }
      const w = new Float64Array(T);
      for (let a = 0; a < T; a++) {
        let s = 0;
        for (let b = 0; b < T; b++) s += G[a * T + b] * u[b];
        w[a] = s;
      }
      let norm = 0;
      for (let a = 0; a < T; a++) norm += w[a] * w[a];
      norm = Math.sqrt(norm);
      if (norm === 0) {
        u.fill(0);
        lambda = 0;
        break;
      }
      for (let a = 0; a < T; a++) u[a] = w[a] / norm;
      lambda = norm;
    }
    eig.push({ u, lambda });
  }
  const dirs = eig.map(({ u }) => {
    const d = new Float64Array(P);
    for (let a = 0; a < T; a++) for (let i = 0; i < P; i++) d[i] += u[a] * M[a][i];
    let norm = 0;
    for (let i = 0; i < P; i++) norm += d[i] * d[i];
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < P; i++) d[i] /= norm;
    return d;
  });
  return {
    d1: dirs[0],
    d2: dirs[1],
    explained: [trace > 0 ? eig[0].lambda / trace : 0, trace > 0 ? eig[1].lambda / trace : 0],
  };
}

export interface LossGrid {
  /** Coordinates along d1 (a) and d2 (b); both symmetric with the middle exactly 0. */
  a: Float64Array;
  b: Float64Array;
  /** size×size, row-major by b then a: loss[j·size + i] = J(θ + a[i]·d1 + b[j]·d2). */
  loss: Float64Array;
  size: number;
}

/** J on an odd size×size grid (size ≤ MAX_GRID) over [−span, span]² around θ (the centre is J(θ) exactly). */
export function lossGrid(
  J: Evaluator,
  theta: Float64Array,
  d1: Float64Array,
  d2: Float64Array,
  opts: { size?: number; span?: number } = {},
): LossGrid {
  const size = opts.size ?? 21;
  const span = opts.span ?? 1;
  if (!(Number.isInteger(size) && size >= 3 && size % 2 === 1 && size <= MAX_GRID))
    throw new RangeError(`grid size must be an odd whole number in [3, ${MAX_GRID}], got ${size}`);
  if (!(span > 0 && Number.isFinite(span)))
    throw new RangeError(`span must be a positive number, got ${span}`);
  const P = theta.length;
  const a = axis(size, span),
    b = axis(size, span);
  const loss = new Float64Array(size * size);
  const point = new Float64Array(P);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      for (let k = 0; k < P; k++) point[k] = theta[k] + a[i] * d1[k] + b[j] * d2[k];
      loss[j * size + i] = J.loss(point);
    }
  }
  return { a, b, loss, size };
}

/** Each θ_t's least-squares coordinates (a, b) on the plane centre + a·d1 + b·d2, as [a0, b0, a1, b1, …]. */
export function projectTrajectory(
  trajectory: readonly Float64Array[],
  centre: Float64Array,
  d1: Float64Array,
  d2: Float64Array,
): Float64Array {
  let s11 = 0,
    s12 = 0,
    s22 = 0;
  for (let i = 0; i < centre.length; i++) {
    s11 += d1[i] * d1[i];
    s12 += d1[i] * d2[i];
    s22 += d2[i] * d2[i];
  }
  const det = s11 * s22 - s12 * s12;
  const out = new Float64Array(2 * trajectory.length);
  trajectory.forEach((t, k) => {
    let r1 = 0,
      r2 = 0;
    for (let i = 0; i < centre.length; i++) {
      const v = t[i] - centre[i];
      r1 += d1[i] * v;
      r2 += d2[i] * v;
    }
    if (det > 0) {
      out[2 * k] = (s22 * r1 - s12 * r2) / det;
      out[2 * k + 1] = (s11 * r2 - s12 * r1) / det;
    } else {
      out[2 * k] = s11 > 0 ? r1 / s11 : 0;
      out[2 * k + 1] = 0;
    }
  });
  return out;
}
