/**
 * What the decision-boundary plot needs, computed where the network lives (the
 * training worker), never on the extension host: a thinned set of data points,
 * and ŷ over the plane of two features with the others at their training mean.
 */
import type { Network } from '../core/network';
import type { TrainData } from '../core/trainer';
import type { Boundary, PlotPoints } from '../protocol';

export type { PlotPoints };

/** The two features spanning the plane: i horizontal, j vertical. */
export interface Plane {
  i: number;
  j: number;
}

export const MAX_PLOT_POINTS = 1500;
/** Most hidden units shown as neuron tiles. */
export const MAX_TILES = 64;

export function pickPoints(train: TrainData, test: TrainData): PlotPoints {
  const n = train.n;
  const total = train.m + test.m;
  const k = Math.min(MAX_PLOT_POINTS, total);
  const x = new Float64Array(k * n), y = new Float64Array(k), isTest = new Float64Array(k);
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

/** ŷ over the plane, G×G from the top-left; the grid shrinks for big networks (a few ms at most). Null below 2 features. */
export function boundaryOf(net: Network, points: PlotPoints, means: Float64Array, { i, j }: Plane): Boundary | null {
  const n = points.n, h = net.h;
  if (n < 2) return null;
  const G = Math.max(12, Math.min(48, Math.floor(Math.sqrt(2e6 / (n * h + h)))));
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let q = 0; q < points.k; q++) {
    const a = points.x[q * n + i], b = points.x[q * n + j];
    if (Number.isFinite(a)) { x0 = Math.min(x0, a); x1 = Math.max(x1, a); }
    if (Number.isFinite(b)) { y0 = Math.min(y0, b); y1 = Math.max(y1, b); }
  }
  if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
  if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  const mx = 0.08 * (x1 - x0), my = 0.08 * (y1 - y0);
  x0 -= mx; x1 += mx; y0 -= my; y1 += my;
  const x = Float64Array.from(means);
  const p = new Float64Array(G * G);
  // With exactly two features the plane is the whole input space: each hidden unit's activation over it too.
  const units = n === 2 && h <= MAX_TILES ? new Float64Array(h * G * G) : null;
  for (let r = 0; r < G; r++) {
    x[j] = y1 - ((r + 0.5) / G) * (y1 - y0);
    for (let c = 0; c < G; c++) {
      x[i] = x0 + ((c + 0.5) / G) * (x1 - x0);
      net.forward(x, 0);
      p[r * G + c] = net.a2;
      if (units) for (let u = 0; u < h; u++) units[u * G * G + r * G + c] = net.a1[u];
    }
  }
  return { i, j, G, x0, x1, y0, y1, p, units };
}
