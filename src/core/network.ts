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
 * K classes (K ≥ 3, a softmax output; K = 1 above is the binary case): the same chain with
 * z2, a2, b2 ∈ ℝ^K and W2 ∈ ℝ^{K×h}:
 *
 *   z2 = W2·a1 + b2               (K×1)   W2 ∈ ℝ^{K×h}, b2 ∈ ℝ^K
 *   a2 = softmax(z2)              (K×1)   a2[k] = e^{z2[k]} / Σ_c e^{z2[c]}
 *   L  = −Σ_k y[k]·log a2[k]      (y one-hot: the class's entry is 1; from z2 by log-sum-exp, see loss.ts)
 *
 *   dz2 = a2 − y                  (K×1)   the same six formulas, now with vectors:
 *   dW2 = dz2·a1ᵀ                 (K×h)
 *   db2 = dz2                     (K×1)
 *   dz1 = W2ᵀ·dz2 ∗ g'(z1)        (h×1)
 *   dW1 = dz1·xᵀ,  db1 = dz1
 *
 * Labels are numbers: 0/1 for K = 1, the class index 0..K−1 for K ≥ 3 (y is its one-hot vector).
 *
 * For a batch of m examples the loss is the mean J = (1/m)·Σ L⁽ⁱ⁾, so every
 * per-example gradient enters the sum scaled by 1/m (see {@link Network.lossAndGrad}).
 *
 * All parameters live in one flat Float64Array θ = [W1 | b1 | W2 | b2], each
 * matrix row-major; W1, b1, W2, b2 are views into it. Gradients and updates use
 * the same layout, so optimizers and gradient checks work on flat vectors.
 */
import { type Activation, activate, derivative, sigmoid, softmax } from './activations';
import { bceFromLogit, softmaxCrossEntropyFromLogits } from './loss';

export const PARAM_NAMES = ['W1', 'b1', 'W2', 'b2'] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

export interface Block {
  name: ParamName;
  offset: number;
  rows: number;
  cols: number;
}

/** Where each parameter lives in θ; K outputs (W2 is K×h, b2 is K; K = 1: the binary network). */
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

export function views(theta: Float64Array, n: number, h: number, K = 1): Views {
  const [W1, b1, W2, b2] = layout(n, h, K).map((b) => theta.subarray(b.offset, b.offset + b.rows * b.cols));
  return { W1, b1, W2, b2 };
}

/** "W1[2,0]" for flat index i of θ. */
export function entryName(i: number, n: number, h: number, K = 1): string {
  for (const b of layout(n, h, K)) {
    const k = i - b.offset;
    if (k >= 0 && k < b.rows * b.cols) return `${b.name}[${Math.floor(k / b.cols)},${k % b.cols}]`;
  }
  return `θ[${i}]`;
}

export class Network {
  readonly theta: Float64Array;
  readonly W1: Float64Array; // h×n
  readonly b1: Float64Array; // h×1
  readonly W2: Float64Array; // K×h
  readonly b2: Float64Array; // K×1

  // Forward cache of the last example passed to forward().
  readonly z1: Float64Array; // h×1
  readonly a1: Float64Array; // h×1
  /** K = 1: the output's logit and σ(z2); K ≥ 3: the predicted class's logit and probability (see z2k, a2k). */
  z2 = 0;
  a2 = 0;
  /** The output as vectors: z2k = z2, a2k = a2 (K×1; for K = 1 the same one number as z2, a2). */
  readonly z2k: Float64Array; // K×1
  readonly a2k: Float64Array; // K×1
  // Backward scratch of the last example passed to backward().
  readonly dz1: Float64Array; // h×1
  /** K = 1: dz2; K ≥ 3: dz2 of the true class (see dz2k). */
  dz2 = 0;
  readonly dz2k: Float64Array; // K×1

  constructor(
    readonly n: number,
    readonly h: number,
    readonly activation: Activation,
    theta?: Float64Array,
    /** Outputs: 1 for the binary network (sigmoid), K ≥ 3 for K classes (softmax). */
    readonly K = 1,
  ) {
    if (!(Number.isInteger(K) && (K === 1 || K >= 3)))
      throw new RangeError(`K must be 1 (binary) or ≥ 3 classes, got ${K}`);
    const size = paramCount(n, h, K);
    if (theta && theta.length !== size)
      throw new Error(
        `θ has ${theta.length} entries, expected ${size} for n=${n}, h=${h}${K > 1 ? `, K=${K}` : ''}`,
      );
    this.theta = theta ?? new Float64Array(size);
    ({ W1: this.W1, b1: this.b1, W2: this.W2, b2: this.b2 } = views(this.theta, n, h, K));
    this.z1 = new Float64Array(h);
    this.a1 = new Float64Array(h);
    this.dz1 = new Float64Array(h);
    this.z2k = new Float64Array(K);
    this.a2k = new Float64Array(K);
    this.dz2k = new Float64Array(K);
  }

  /** Forward pass on the example X[off .. off+n); fills z1, a1, z2, a2 (and z2k, a2k) and returns z2 (K = 1) or the largest logit (K ≥ 3). */
  forward(X: Float64Array, off: number): number {
    if (this.K > 1) return this.forwardK(X, off);
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
    this.z2k[0] = z2;
    this.a2k[0] = this.a2;
    return z2;
  }

  /** The K-class forward pass: z1, a1 as above, z2 = W2·a1 + b2 (K×1), a2 = softmax(z2). */
  private forwardK(X: Float64Array, off: number): number {
    const { n, h, K, W1, b1, W2, b2, z1, a1, z2k, a2k, activation } = this;
    for (let j = 0; j < h; j++) {
      let s = b1[j]; // z1[j] = W1[j,:]·x + b1[j]
      const row = j * n;
      for (let k = 0; k < n; k++) s += W1[row + k] * X[off + k];
      z1[j] = s;
      a1[j] = activate(activation, s);
    }
    for (let c = 0; c < K; c++) {
      let s = b2[c]; // z2[c] = W2[c,:]·a1 + b2[c]
      const row = c * h;
      for (let j = 0; j < h; j++) s += W2[row + j] * a1[j];
      z2k[c] = s;
    }
    const mx = softmax(z2k, 0, K, a2k, 0); // a2 = softmax(z2)
    const best = argmax(z2k, 0, K);
    this.z2 = mx;
    this.a2 = a2k[best];
    return mx;
  }

  /**
   * Backward pass for the example last given to forward(), label y. Adds
   * scale·∂L/∂θ into grad (flat, θ's layout); scale is 1/m for a batch mean.
   */
  backward(X: Float64Array, off: number, y: number, grad: Float64Array, scale: number): void {
    if (this.K > 1) return this.backwardK(X, off, y, grad, scale);
    const { n, h, a1, dz1 } = this;
    const gW1 = 0,
      gb1 = h * n,
      gW2 = h * n + h,
      gb2 = h * n + 2 * h;
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

  private backwardK(X: Float64Array, off: number, y: number, grad: Float64Array, scale: number): void {
    const { n, h, K, a1, dz1, dz2k } = this;
    const gW1 = 0,
      gb1 = h * n,
      gW2 = h * n + h,
      gb2 = h * n + h + K * h;
    this.signals(y);
    for (let c = 0; c < K; c++) {
      const d = scale * dz2k[c];
      grad[gb2 + c] += d; // db2 = dz2
      const row = gW2 + c * h;
      for (let j = 0; j < h; j++) grad[row + j] += d * a1[j]; // dW2 = dz2·a1ᵀ (K×h)
    }
    for (let j = 0; j < h; j++) {
      const sd = scale * dz1[j];
      grad[gb1 + j] += sd; // db1 = dz1
      const row = gW1 + j * n;
      for (let k = 0; k < n; k++) grad[row + k] += sd * X[off + k]; // dW1 = dz1·xᵀ
    }
  }

  /** The backward signals dz2 and dz1 of the example last given to forward(), label y; returns dz2 (K ≥ 3: of class y). */
  signals(y: number): number {
    const { h, K, W2, z1, a1, dz1, activation } = this;
    if (K > 1) {
      const { a2k, dz2k } = this;
      for (let c = 0; c < K; c++) dz2k[c] = a2k[c] - (c === y ? 1 : 0); // dz2 = a2 − y (y one-hot)
      for (let j = 0; j < h; j++) {
        let s = 0; // (W2ᵀ·dz2)[j]
        for (let c = 0; c < K; c++) s += W2[c * h + j] * dz2k[c];
        dz1[j] = s * derivative(activation, z1[j], a1[j]); // dz1 = W2ᵀ·dz2 ∗ g'(z1)
      }
      this.dz2 = dz2k[y];
      return this.dz2;
    }
    const dz2 = this.a2 - y; // dz2 = a2 − y
    this.dz2 = dz2;
    this.dz2k[0] = dz2;
    for (let j = 0; j < h; j++) dz1[j] = W2[j] * dz2 * derivative(activation, z1[j], a1[j]); // dz1 = W2ᵀ·dz2 ∗ g'(z1)
    return dz2;
  }

  /** The loss L of the example last given to forward(), label y, from the logits (stable for any finite logits). */
  exampleLoss(y: number): number {
    return this.K > 1 ? softmaxCrossEntropyFromLogits(this.z2k, 0, this.K, y) : bceFromLogit(this.z2, y);
  }

  /** The predicted class of the example last given to forward(): K = 1, 1 when a2 ≥ 0.5 (z2 ≥ 0); K ≥ 3, the first largest logit. */
  predicted(): number {
    return this.K > 1 ? argmax(this.z2k, 0, this.K) : this.z2 >= 0 ? 1 : 0;
  }

  /**
   * Mean loss J = (1/m)·Σ L⁽ⁱ⁾ over the m = count rows idx[0..count) of X (row-major, n columns)
   * and, when grad is given, overwrites grad with ∂J/∂θ = (1/m)·Σ ∂L⁽ⁱ⁾/∂θ.
   * idx null means rows 0..count).
   */
  lossAndGrad(
    X: Float64Array,
    Y: Float64Array,
    idx: Int32Array | null,
    count: number,
    grad?: Float64Array,
  ): number {
    const n = this.n;
    const scale = 1 / count; // the 1/m of the batch mean
    if (grad) grad.fill(0);
    let total = 0;
    if (this.K > 1) {
      for (let t = 0; t < count; t++) {
        const i = idx ? idx[t] : t;
        this.forward(X, i * n);
        total += softmaxCrossEntropyFromLogits(this.z2k, 0, this.K, Y[i]);
        if (grad) this.backward(X, i * n, Y[i], grad, scale);
      }
      return total * scale;
    }
    for (let t = 0; t < count; t++) {
      const i = idx ? idx[t] : t;
      const z2 = this.forward(X, i * n);
      total += bceFromLogit(z2, Y[i]);
      if (grad) this.backward(X, i * n, Y[i], grad, scale);
    }
    return total * scale;
  }
}

/** Index of the first largest of z[off .. off+K). */
export function argmax(z: Float64Array, off: number, K: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (z[off + k] > z[off + best]) best = k;
  return best;
}
