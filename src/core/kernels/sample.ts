/**
 * One plain SGD step on one example, fused: forward, backward and the update
 * θ := θ + Δ, Δ = −α·g, in one pass over θ. Every entry of θ goes through exactly the
 * operations of Network.forward, Network.backward (scale 1) and Optimizer.step('plain'),
 * in the same order, so θ after the step is the same bits; what it skips is the passes
 * and calls between them, and writing g and Δ (the caller recomputes them from θ before
 * the step when a record or an epoch summary needs them).
 *
 *   z1 = W1·x + b1,  a1 = g(z1),  z2 = W2·a1 + b2,  a2 = σ(z2)
 *   dz2 = a2 − y,  dW2 = dz2·a1ᵀ,  db2 = dz2,  dz1 = W2ᵀ·dz2 ∗ g'(z1),  dW1 = dz1·xᵀ,  db1 = dz1
 *
 * dz1 uses W2 before its update: unit j's W2[j] is read before it is written.
 */
import { type Activation, activate, derivative, sigmoid } from '../activations';
import { layout } from '../network';

export interface SampleStep {
  /** z2 of the example at θ before the step; when it is not finite, θ was not changed. */
  z2: number;
  /** The first entry of θ after the update that is not finite (θ is then restored from prev), or −1. */
  bad: number;
}

/**
 * The step on example X[off .. off+n) with label y: θ updated in place, prev receives θ
 * before the step (unless z2 is not finite), z1 and a1 are scratch (h).
 */
export function sgdSampleStep(
  theta: Float64Array,
  n: number,
  h: number,
  act: Activation,
  lr: number,
  X: Float64Array,
  off: number,
  y: number,
  prev: Float64Array,
  z1: Float64Array,
  a1: Float64Array,
  out: SampleStep,
): void {
  const o = offsets(n, h);
  const W1 = o[0],
    b1 = o[1],
    W2 = o[2],
    b2 = o[3];
  // forward (Network.forward)
  let z2 = theta[b2];
  for (let j = 0; j < h; j++) {
    let s = theta[b1 + j];
    const row = W1 + j * n;
    for (let k = 0; k < n; k++) s += theta[row + k] * X[off + k];
    z1[j] = s;
    const a = activate(act, s);
    a1[j] = a;
    z2 += theta[W2 + j] * a;
  }
  out.z2 = z2;
  out.bad = -1;
  if (!Number.isFinite(z2) || !Number.isFinite(y)) return; // the loss is not finite: the caller stops the run (θ, prev untouched)
  prev.set(theta);
  const dz2 = sigmoid(z2) - y; // dz2 = a2 − y
  const m = -lr; // Δ = −α·g
  theta[b2] += m * (0 + 1 * dz2); // db2 = dz2
  for (let j = 0; j < h; j++) {
    const a = a1[j];
    const w2 = theta[W2 + j];
    const dz1 = w2 * dz2 * derivative(act, z1[j], a); // dz1 = W2ᵀ·dz2 ∗ g'(z1), W2 before the update
    theta[W2 + j] = w2 + m * (0 + 1 * dz2 * a); // dW2 = dz2·a1ᵀ
    theta[b1 + j] += m * (0 + 1 * dz1); // db1 = dz1
    const sd = 1 * dz1;
    const row = W1 + j * n;
    for (let k = 0; k < n; k++) theta[row + k] += m * (0 + sd * X[off + k]); // dW1 = dz1·xᵀ
  }
  for (let i = 0; i < theta.length; i++) {
    if (!Number.isFinite(theta[i])) {
      out.bad = i;
      theta.set(prev); // keep the last finite parameters
      return;
    }
  }
}

// The four offsets of layout(n, h), cached for the last shape asked.
let lastN = -1,
  lastH = -1,
  lastOffsets: [number, number, number, number] = [0, 0, 0, 0];
function offsets(n: number, h: number): [number, number, number, number] {
  if (n !== lastN || h !== lastH) {
    const [W1, b1, W2, b2] = layout(n, h);
    lastOffsets = [W1.offset, b1.offset, W2.offset, b2.offset];
    lastN = n;
    lastH = h;
  }
  return lastOffsets;
}
