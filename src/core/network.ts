/**
 * The classic two-layer network, column-vector convention, per example:
 *
 *   x  ∈ ℝⁿ                       (n×1)
 *   z1 = W1·x + b1                (h×1)   W1 ∈ ℝ^{h×n}, b1 ∈ ℝ^h
 *   a1 = g(z1)                    (h×1)   g = sigmoid (seed) | tanh | relu
 *   z2 = W2·a1 + b2               (1×1)   W2 ∈ ℝ^{1×h}, b2 ∈ ℝ
 *   a2 = σ(z2) = ŷ                (1×1)
 *   L  = −(y·log a2 + (1−y)·log(1−a2))    (computed from z2, see loss.ts)
 *
 * and backward, the six textbook formulas:
 *
 *   dz2 = a2 − y                  (1×1)
 *   dW2 = dz2·a1ᵀ                 (1×h)
 *   db2 = dz2                     (1×1)
 *   dz1 = W2ᵀ·dz2 ∗ g'(z1)        (h×1)
 *   dW1 = dz1·xᵀ                  (h×n)
 *   db1 = dz1                     (h×1)
 *
 * For a batch of m examples the loss is the mean J = (1/m)·Σ L⁽ⁱ⁾, so every
 * per-example gradient enters the sum scaled by 1/m (see {@link Network.lossAndGrad}).
 *
 * All parameters live in one flat Float64Array θ = [W1 | b1 | W2 | b2], each
 * matrix row-major; W1, b1, W2, b2 are views into it. Gradients and updates use
 * the same layout, so optimizers and gradient checks work on flat vectors.
 */
import { type Activation, activate, derivative, sigmoid } from './activations';
import { bceFromLogit } from './loss';

export const PARAM_NAMES = ['W1', 'b1', 'W2', 'b2'] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

export interface Block {
  name: ParamName;
  offset: number;
  rows: number;
  cols: number;
}

/** Where each parameter lives in θ; K outputs (W2 is K×h, b2 is K; the network here has K = 1). */
export function layout(n: number, h: number, K = 1): Block[] {
  return [
    { name: 'W1', offset: 0, rows: h, cols: n },
    { name: 'b1', offset: h * n, rows: h, cols: 1 },
    { name: 'W2', offset: h * n + h, rows: K, cols: h },
    { name: 'b2', offset: h * n + h + K * h, rows: K, cols: 1 },
  ];
}

export function paramCount(n: number, h: number, K = 1): number {
  return h * n + h + K * h + K;
}

/** Views W1, b1, W2, b2 onto a flat vector laid out as {@link layout}. */
export interface Views {
  W1: Float64Array;
  b1: Float64Array;
  W2: Float64Array;
  b2: Float64Array;
}

export function views(theta: Float64Array, n: number, h: number): Views {
  const [W1, b1, W2, b2] = layout(n, h).map((b) => theta.subarray(b.offset, b.offset + b.rows * b.cols));
  return { W1, b1, W2, b2 };
}

/** "W1[2,0]" for flat index i of θ. */
export function entryName(i: number, n: number, h: number): string {
  for (const b of layout(n, h)) {
    const k = i - b.offset;
    if (k >= 0 && k < b.rows * b.cols) return `${b.name}[${Math.floor(k / b.cols)},${k % b.cols}]`;
  }
  return `θ[${i}]`;
}

export class Network {
  readonly theta: Float64Array;
  readonly W1: Float64Array; // h×n
  readonly b1: Float64Array; // h×1
  readonly W2: Float64Array; // 1×h
  readonly b2: Float64Array; // 1×1

  // Forward cache of the last example passed to forward().
  readonly z1: Float64Array; // h×1
  readonly a1: Float64Array; // h×1
  z2 = 0;
  a2 = 0;
  // Backward scratch of the last example passed to backward().
  readonly dz1: Float64Array; // h×1
  dz2 = 0;

  constructor(
    readonly n: number,
    readonly h: number,
    readonly activation: Activation,
    theta?: Float64Array,
  ) {
    const size = paramCount(n, h);
    if (theta && theta.length !== size) throw new Error(`θ has ${theta.length} entries, expected ${size} for n=${n}, h=${h}`);
    this.theta = theta ?? new Float64Array(size);
    ({ W1: this.W1, b1: this.b1, W2: this.W2, b2: this.b2 } = views(this.theta, n, h));
    this.z1 = new Float64Array(h);
    this.a1 = new Float64Array(h);
    this.dz1 = new Float64Array(h);
  }

  /** Forward pass on the example X[off .. off+n); fills z1, a1, z2, a2 and returns z2. */
  forward(X: Float64Array, off: number): number {
    const { n, h, W1, b1, W2, z1, a1, activation } = this;
    let z2 = this.b2[0];
    for (let j = 0; j < h; j++) {
      let s = b1[j]; // z1[j] = W1[j,:]·x + b1[j]
      const row = j * n;
      for (let k = 0; k < n; k++) s += W1[row + k] * X[off + k];
      z1[j] = s;
      const a = activate(activation, s);
      a1[j] = a;
      z2 += W2[j] * a; // z2 = W2·a1 + b2
    }
    this.z2 = z2;
    this.a2 = sigmoid(z2); // a2 = σ(z2)
    return z2;
  }

  /**
   * Backward pass for the example last given to forward(), label y. Adds
   * scale·∂L/∂θ into grad (flat, θ's layout); scale is 1/m for a batch mean.
   */
  backward(X: Float64Array, off: number, y: number, grad: Float64Array, scale: number): void {
    const { n, h, a1, dz1 } = this;
    const gW1 = 0, gb1 = h * n, gW2 = h * n + h, gb2 = h * n + 2 * h;
    const dz2 = this.signals(y);
    grad[gb2] += scale * dz2; // db2 = dz2
    for (let j = 0; j < h; j++) {
      grad[gW2 + j] += scale * dz2 * a1[j]; // dW2 = dz2·a1ᵀ
      const d = dz1[j];
      grad[gb1 + j] += scale * d; // db1 = dz1
      const row = gW1 + j * n;
      const sd = scale * d;
      for (let k = 0; k < n; k++) grad[row + k] += sd * X[off + k]; // dW1 = dz1·xᵀ
    }
  }

  /** The backward signals dz2 and dz1 of the example last given to forward(), label y; returns dz2. */
  signals(y: number): number {
    const { h, W2, z1, a1, dz1, activation } = this;
    const dz2 = this.a2 - y; // dz2 = a2 − y
    this.dz2 = dz2;
    for (let j = 0; j < h; j++) dz1[j] = W2[j] * dz2 * derivative(activation, z1[j], a1[j]); // dz1 = W2ᵀ·dz2 ∗ g'(z1)
    return dz2;
  }

  /**
   * Mean loss J = (1/m)·Σ L⁽ⁱ⁾ over the m = count rows idx[0..count) of X (row-major, n columns)
   * and, when grad is given, overwrites grad with ∂J/∂θ = (1/m)·Σ ∂L⁽ⁱ⁾/∂θ.
   * idx null means rows 0..count).
   */
  lossAndGrad(X: Float64Array, Y: Float64Array, idx: Int32Array | null, count: number, grad?: Float64Array): number {
    const n = this.n;
    const scale = 1 / count; // the 1/m of the batch mean
    if (grad) grad.fill(0);
    let total = 0;
    for (let t = 0; t < count; t++) {
      const i = idx ? idx[t] : t;
      const z2 = this.forward(X, i * n);
      total += bceFromLogit(z2, Y[i]);
      if (grad) this.backward(X, i * n, Y[i], grad, scale);
    }
    return total * scale;
  }
}
