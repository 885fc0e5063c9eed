/**
 * The network a derivation is checked against, as matrices: the predefined
 * names x y W1 b1 W2 b2 z1 a1 z2 a2 L (and m in batch mode), and L recomputed
 * from any one of the parameters or intermediates with everything upstream
 * held fixed: the function whose numeric derivative each dN must match.
 */
import type { Activation } from '../core/activations';
import { PARAM_NAMES } from '../core/network';
import { softmaxCrossEntropyFromLogits } from '../core/loss';
import { type Mat, map, mat, matmul, scalar, sigmoid, softmaxColumns } from './evaluate';

export const MODES = ['example', 'batch'] as const;
export type Mode = (typeof MODES)[number];
/** Names whose gradient a derivation may give: the parameters (core's PARAM_NAMES) and the intermediates. */
export const CHECKED = [...PARAM_NAMES, 'z1', 'a1', 'z2', 'a2'] as const;
export type Checked = (typeof CHECKED)[number];
export const PREDEFINED = ['x', 'y', ...PARAM_NAMES, 'z1', 'a1', 'z2', 'a2', 'L'] as const;

export interface World {
  act: Activation;
  mode: Mode;
  n: number;
  h: number;
  m: number; // 1 in example mode
  /** Outputs: 1 (sigmoid, binary cross-entropy) or K ≥ 3 classes (softmax, categorical cross-entropy; y one-hot). */
  K: number;
  x: Mat; // n×m
  y: Mat; // 1×m, or K×m one-hot
  W1: Mat; // h×n
  b1: Mat; // h×1
  W2: Mat; // 1×h, or K×h
  b2: Mat; // 1×1, or K×1
}

export const g = (act: Activation, z: number) =>
  act === 'sigmoid' ? sigmoid(z) : act === 'tanh' ? Math.tanh(z) : z > 0 ? z : 0;
export const gPrime = (act: Activation, z: number) => {
  if (act === 'sigmoid') {
    const s = sigmoid(z);
    return s * (1 - s);
  }
  if (act === 'tanh') {
    const t = Math.tanh(z);
    return 1 - t * t;
  }
  return z > 0 ? 1 : 0;
};

/** Column vector b added to every column of A. */
function addCol(A: Mat, b: Mat): Mat {
  const out = mat(A.rows, A.cols);
  for (let i = 0; i < A.rows; i++)
    for (let j = 0; j < A.cols; j++) out.data[i * A.cols + j] = A.data[i * A.cols + j] + b.data[i];
  return out;
}

function bceFromLogit(z: number, y: number): number {
  return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
}

export interface Forward {
  z1: Mat;
  a1: Mat;
  z2: Mat;
  a2: Mat;
  L: number;
}

export function forward(w: World): Forward {
  const z1 = addCol(matmul(w.W1, w.x), w.b1);
  const a1 = map(z1, (v) => g(w.act, v));
  return { z1, a1, ...fromA1(w, a1) };
}

function fromA1(w: World, a1: Mat): { z2: Mat; a2: Mat; L: number } {
  const z2 = addCol(matmul(w.W2, a1), w.b2);
  const a2 = w.K > 1 ? softmaxColumns(z2) : map(z2, sigmoid);
  return { z2, a2, L: lossFromZ2(w, z2) };
}

function lossFromZ2(w: World, z2: Mat): number {
  if (w.K > 1) {
    // L = log Σ_k e^{z2[k]} − z2[class] per column (log-sum-exp: core/loss), the mean over the m columns
    let s = 0;
    const col = new Float64Array(w.K);
    for (let j = 0; j < w.m; j++) {
      let c = 0;
      for (let k = 0; k < w.K; k++) {
        col[k] = z2.data[k * w.m + j];
        if (w.y.data[k * w.m + j] === 1) c = k;
      }
      s += softmaxCrossEntropyFromLogits(col, 0, w.K, c);
    }
    return s / w.m;
  }
  let s = 0;
  for (let j = 0; j < w.m; j++) s += bceFromLogit(z2.data[j], w.y.data[j]);
  return s / w.m; // the mean over the batch (m = 1 per example)
}

/** L with `name` replaced by `value` and everything downstream recomputed. */
export function lossWith(w: World, name: Checked, value: Mat): number {
  switch (name) {
    case 'W1':
    case 'b1':
    case 'W2':
    case 'b2':
      return forward({ ...w, [name]: value }).L;
    case 'z1':
      return fromA1(
        w,
        map(value, (v) => g(w.act, v)),
      ).L;
    case 'a1':
      return fromA1(w, value).L;
    case 'z2':
      return lossFromZ2(w, value);
    case 'a2': {
      let s = 0;
      if (w.K > 1) {
        for (let i = 0; i < w.K * w.m; i++) if (w.y.data[i] !== 0) s -= w.y.data[i] * Math.log(value.data[i]); // −Σ y·log a2
        return s / w.m;
      }
      for (let j = 0; j < w.m; j++) {
        const a = value.data[j],
          y = w.y.data[j];
        s += -(y * Math.log(a) + (1 - y) * Math.log(1 - a));
      }
      return s / w.m;
    }
  }
}

/** The signs of z1 with `name` replaced by `value` (ReLU kink detection); null when z1 does not depend on it. */
export function z1SignsWith(w: World, name: Checked, value: Mat): Uint8Array | null {
  let z1: Mat;
  if (name === 'W1' || name === 'b1') z1 = forward({ ...w, [name]: value }).z1;
  else if (name === 'z1') z1 = value;
  else return null;
  return Uint8Array.from(z1.data, (v) => (v > 0 ? 1 : 0));
}

/** The environment of predefined names. */
export function predefinedEnv(w: World, f: Forward): Map<string, Mat> {
  const env = new Map<string, Mat>([
    ['x', w.x],
    ['y', w.y],
    ['W1', w.W1],
    ['b1', w.b1],
    ['W2', w.W2],
    ['b2', w.b2],
    ['z1', f.z1],
    ['a1', f.a1],
    ['z2', f.z2],
    ['a2', f.a2],
    ['L', scalar(f.L)],
  ]);
  if (w.mode === 'batch') env.set('m', scalar(w.m));
  return env;
}

export function valueOf(w: World, f: Forward, name: Checked): Mat {
  return name === 'W1' || name === 'b1' || name === 'W2' || name === 'b2' ? w[name] : f[name];
}
