/**
 * Seeded generators of the small two-feature data sets in examples/ (the same
 * seed gives the same points). Each returns a row-major m×2 matrix and 0/1 labels.
 */
import type { TrainData } from '../core/records';
import { Rng } from '../core/rng';

export interface Points {
  X: Float64Array; // m×2
  Y: Float64Array; // m
}

/**
 * The planar "flower" of the classic one-hidden-layer exercise: two classes of
 * 200 points each on the petals of r = a·sin(4t), with noise 0.2 on t and r.
 */
export function flower(seed = 1, m = 400): Points {
  const rng = new Rng(seed);
  const X = new Float64Array(m * 2),
    Y = new Float64Array(m);
  const N = m / 2,
    a = 4;
  for (let j = 0; j < 2; j++) {
    for (let i = 0; i < N; i++) {
      const ix = N * j + i;
      const t = j * 3.12 + (i * 3.12) / (N - 1) + rng.normal() * 0.2; // linspace(j·3.12, (j+1)·3.12, N) + noise
      const r = a * Math.sin(4 * t) + rng.normal() * 0.2;
      X[2 * ix] = r * Math.sin(t);
      X[2 * ix + 1] = r * Math.cos(t);
      Y[ix] = j;
    }
  }
  return { X, Y };
}

/** XOR: uniform points in [−1, 1]², label 1 where x1·x2 > 0; points within `margin` of an axis are redrawn. */
export function xor(seed = 2, m = 200, margin = 0.05): Points {
  const rng = new Rng(seed);
  const X = new Float64Array(m * 2),
    Y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let u = 0,
      v = 0;
    do {
      u = 2 * rng.float() - 1;
      v = 2 * rng.float() - 1;
    } while (Math.abs(u) < margin || Math.abs(v) < margin);
    X[2 * i] = u;
    X[2 * i + 1] = v;
    Y[i] = u * v > 0 ? 1 : 0;
  }
  return { X, Y };
}

/** Two concentric circles (radius 1 outside, class 0; radius 0.5 inside, class 1) with Gaussian noise. */
export function circles(seed = 3, m = 200, noise = 0.08): Points {
  const rng = new Rng(seed);
  const X = new Float64Array(m * 2),
    Y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const inner = i % 2;
    const r = inner ? 0.5 : 1;
    const t = 2 * Math.PI * rng.float();
    X[2 * i] = r * Math.cos(t) + noise * rng.normal();
    X[2 * i + 1] = r * Math.sin(t) + noise * rng.normal();
    Y[i] = inner;
  }
  return { X, Y };
}

/** Two interleaving half-moons (as scikit-learn's make_moons) with Gaussian noise. */
export function moons(seed = 4, m = 200, noise = 0.1): Points {
  const rng = new Rng(seed);
  const X = new Float64Array(m * 2),
    Y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const lower = i % 2;
    const t = Math.PI * rng.float();
    X[2 * i] = (lower ? 1 - Math.cos(t) : Math.cos(t)) + noise * rng.normal();
    X[2 * i + 1] = (lower ? 0.5 - Math.sin(t) : Math.sin(t)) + noise * rng.normal();
    Y[i] = lower;
  }
  return { X, Y };
}

/**
 * n Gaussian features and a noisy linear label: y = [x·w + 0.5·ε > 0] with w and ε standard normal — the
 * benchmark's and the fast paths' tests' data (any n, the same draws for the same generator state).
 */
export function noisyLinear(rng: Rng, m: number, n: number): TrainData {
  const X = new Float64Array(m * n),
    Y = new Float64Array(m);
  const w = Float64Array.from({ length: n }, () => rng.normal());
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (X[i * n + j] = rng.normal()) * w[j];
    Y[i] = s + 0.5 * rng.normal() > 0 ? 1 : 0;
  }
  return { X, Y, m, n };
}
