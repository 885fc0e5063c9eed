/**
 * What the decision-boundary plot needs, computed where the network lives (the
 * training worker), never on the extension host: a thinned set of data points,
 * and ŷ over a plane of the input space. Two kinds of plane:
 *   'pca'      the plane through the training mean spanned by the first two
 *              principal components (the default beyond two features: it
 *              holds most of the data's spread, so the points lie near it);
 *   'features' two features, the others at their training mean (exact for
 *              two-feature data; beyond that a slice that many points are far
 *              from, which the caption says).
 */
import type { Network } from '../core/network';
import type { TrainData } from '../core/trainer';
import type { Boundary, BoundaryPlane, PlotPoints } from '../protocol';

export type { PlotPoints };

/** The plane shown: two features (i horizontal, j vertical), or the first two principal components. */
export type Plane = BoundaryPlane;

/** The plane through `mean` spanned by the orthonormal u1, u2 (n each), and the share of the variance along each. */
export interface PrincipalPlane {
  mean: Float64Array;
  u1: Float64Array;
  u2: Float64Array;
  explained: [number, number];
}

/**
 * The first two principal components of the training rows: power iteration on
 * the covariance (applied as Xcᵀ·(Xc·v), never formed), the second deflated by
 * the first. Deterministic start vectors, so a run always shows the same plane.
 */
export function principalPlane(d: TrainData, iterations = 100): PrincipalPlane {
  const { X, m, n } = d;
  const mean = featureMeans(d);
  const Xc = new Float64Array(m * n);
  let total = 0;
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      const v = X[r * n + c] - mean[c];
      Xc[r * n + c] = v;
      total += v * v;
    }
  }
  const t = new Float64Array(m);
  /** w = C·v with C = Xcᵀ·Xc / m, minus the part along `away` (deflation); returns ‖w‖. */
  const apply = (v: Float64Array, w: Float64Array, away: Float64Array | null, lambda: number): void => {
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += Xc[r * n + c] * v[c];
      t[r] = s;
    }
    w.fill(0);
    for (let r = 0; r < m; r++) for (let c = 0; c < n; c++) w[c] += (Xc[r * n + c] * t[r]) / m;
    if (away) {
      let dot = 0;
      for (let c = 0; c < n; c++) dot += away[c] * v[c];
      for (let c = 0; c < n; c++) w[c] -= lambda * dot * away[c];
    }
  };
  const unit = (v: Float64Array): number => {
    let s = 0;
    for (const x of v) s += x * x;
    const norm = Math.sqrt(s);
    if (norm > 0) for (let c = 0; c < v.length; c++) v[c] /= norm;
    return norm;
  };
  const component = (away: Float64Array | null, lambda: number, seed: number): [Float64Array, number] => {
    const v = Float64Array.from({ length: n }, (_, c) => 1 + ((c * 7919 + seed) % 13) / 13); // fixed, generic start
    unit(v);
    const w = new Float64Array(n);
    let value = 0;
    for (let k = 0; k < iterations; k++) {
      apply(v, w, away, lambda);
      value = unit(w);
      if (value === 0) break;
      let change = 0;
      for (let c = 0; c < n; c++) change += Math.abs(w[c] - v[c]);
      v.set(w);
      if (change < 1e-12) break;
    }
    return [v, value];
  };
  const [u1, l1] = component(null, 0, 1);
  const [u2raw, l2] = n > 1 ? component(u1, l1, 5) : [new Float64Array(n), 0];
  // Exactly orthogonal to u1 (Gram–Schmidt once more against rounding).
  let dot = 0;
  for (let c = 0; c < n; c++) dot += u1[c] * u2raw[c];
  for (let c = 0; c < n; c++) u2raw[c] -= dot * u1[c];
  unit(u2raw);
  const variance = total / m;
  return { mean, u1, u2: u2raw, explained: variance > 0 ? [l1 / variance, l2 / variance] : [0, 0] };
}

/** The points' coordinates in the principal plane (k×2). */
export function project(points: PlotPoints, pp: PrincipalPlane): Float64Array {
  const { k, n, x } = points;
  const out = new Float64Array(2 * k);
  for (let q = 0; q < k; q++) {
    let a = 0,
      b = 0;
    for (let c = 0; c < n; c++) {
      const v = x[q * n + c] - pp.mean[c];
      a += v * pp.u1[c];
      b += v * pp.u2[c];
    }
    out[2 * q] = a;
    out[2 * q + 1] = b;
  }
  return out;
}

export const MAX_PLOT_POINTS = 1500;
/** Most hidden units shown as neuron tiles. */
export const MAX_TILES = 64;

export function pickPoints(train: TrainData, test: TrainData): PlotPoints {
  const n = train.n;
  const total = train.m + test.m;
  const k = Math.min(MAX_PLOT_POINTS, total);
  const x = new Float64Array(k * n),
    y = new Float64Array(k),
    isTest = new Float64Array(k);
  for (let q = 0; q < k; q++) {
    const r = Math.floor((q * total) / k);
    const [d, row, tst] = r < train.m ? [train, r, 0] : [test, r - train.m, 1];
    x.set(d.X.subarray(row * n, row * n + n), q * n);
    y[q] = d.Y[row];
    isTest[q] = tst;
  }
  return { k, n, x, y, test: isTest };
}

/** Column means of the training rows (n). */
export function featureMeans(d: TrainData): Float64Array {
  const means = new Float64Array(d.n);
  for (let r = 0; r < d.m; r++) for (let c = 0; c < d.n; c++) means[c] += d.X[r * d.n + c] / d.m;
  return means;
}

/**
 * ŷ over the plane, G×G from the top-left (the grid shrinks for big networks: a few ms at most); whether each
 * plotted point is classified correctly; and, for two-feature data, every hidden unit over the plane (the neuron
 * tiles). Null below 2 features.
 */
export function boundaryOf(
  net: Network,
  points: PlotPoints,
  means: Float64Array,
  plane: Plane,
  pca: PrincipalPlane | null = null,
  projected: Float64Array | null = null,
): Boundary | null {
  const n = points.n,
    h = net.h;
  if (n < 2) return null;
  const G = Math.max(12, Math.min(48, Math.floor(Math.sqrt(2e6 / (n * h + h)))));
  // The points' coordinates in the plane: two features, or the projection onto the principal plane.
  const usePca = plane.mode === 'pca' && pca !== null && projected !== null;
  const i = plane.mode === 'features' ? plane.i : 0,
    j = plane.mode === 'features' ? plane.j : 1;
  const px = (q: number) => (usePca ? projected![2 * q] : points.x[q * n + i]);
  const py = (q: number) => (usePca ? projected![2 * q + 1] : points.x[q * n + j]);
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (let q = 0; q < points.k; q++) {
    const a = px(q),
      b = py(q);
    if (Number.isFinite(a)) {
      x0 = Math.min(x0, a);
      x1 = Math.max(x1, a);
    }
    if (Number.isFinite(b)) {
      y0 = Math.min(y0, b);
      y1 = Math.max(y1, b);
    }
  }
  if (!(x1 > x0)) {
    x0 -= 1;
    x1 += 1;
  }
  if (!(y1 > y0)) {
    y0 -= 1;
    y1 += 1;
  }
  const mx = 0.08 * (x1 - x0),
    my = 0.08 * (y1 - y0);
  x0 -= mx;
  x1 += mx;
  y0 -= my;
  y1 += my;
  const x = Float64Array.from(usePca ? pca!.mean : means);
  const p = new Float64Array(G * G);
  const K = net.K,
    GG = G * G;
  const pk = K > 1 ? new Float64Array(K * GG) : null; // every class's probability (K ≥ 3)
  // With exactly two features the plane is the whole input space: each hidden unit's activation over it too.
  const units = n === 2 && !usePca && h <= MAX_TILES ? new Float64Array(h * G * G) : null;
  for (let r = 0; r < G; r++) {
    const b = y1 - ((r + 0.5) / G) * (y1 - y0);
    for (let c = 0; c < G; c++) {
      const a = x0 + ((c + 0.5) / G) * (x1 - x0);
      if (usePca) for (let f = 0; f < n; f++) x[f] = pca!.mean[f] + a * pca!.u1[f] + b * pca!.u2[f];
      else {
        x[i] = a;
        x[j] = b;
      }
      net.forward(x, 0);
      p[r * G + c] = net.a2; // K ≥ 3: the predicted class's probability
      if (pk) for (let k = 0; k < K; k++) pk[k * GG + r * G + c] = net.a2k[k];
      if (units) for (let u = 0; u < h; u++) units[u * G * G + r * G + c] = net.a1[u];
    }
  }
  // Correct or not, for each plotted point (ŷ ≥ 0.5 ⇔ z2 ≥ 0 predicts class 1; K classes: the largest output).
  const correct = new Float64Array(points.k);
  for (let q = 0; q < points.k; q++) {
    net.forward(points.x, q * n);
    correct[q] = net.predicted() === points.y[q] ? 1 : 0; // K ≥ 3: the largest output is the class
  }
  return {
    mode: usePca ? 'pca' : 'features',
    i,
    j,
    G,
    x0,
    x1,
    y0,
    y1,
    p,
    pk,
    units,
    correct,
    px: usePca ? projected : null,
    explained: usePca ? pca!.explained : null,
  };
}
