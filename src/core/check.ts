/**
 * Gradient check of the network itself: the textbook backward pass against
 * central differences of the same mean loss J(θ) = (1/m)·Σ L⁽ⁱ⁾ over one batch.
 *
 * Incremental evaluation. Moving one entry of θ changes little of the forward pass:
 *   W1[j,k] or b1[j]  changes only hidden unit j:  z1[j], a1[j], and every output z2[c]
 *                     through its term W2[c,j]·a1[j];
 *   W2[c,j] or b2[c]  changes only the output z2[c].
 * So, from per-example caches of the unmoved pass, one evaluation of J costs O(m·n) for a
 * W1/b1 entry and O(m) for a W2/b2 entry instead of O(m·h·n); see incrementalObjective for
 * how it stays as exact as a full recomputation (same kinks, no cancellation). Written for
 * K outputs (W2 K×h, b2 K); K = 1 today: a sigmoid output with binary cross-entropy.
 */
import { type Activation, activate, sigmoid } from './activations';
import {
  type BlockSpec,
  type Difference,
  type EntryObjective,
  type FastReport,
  type GradcheckControl,
  type GradcheckOptions,
  type GradcheckReport,
  type Objective,
  fullRecomputation,
  gradcheckEntries,
  gradcheckFast,
} from './gradcheck';
import { bceFromLogit, softmaxCrossEntropyFromLogits } from './loss';
import { Network, layout, views } from './network';
import type { Rng } from './rng';
import type { TrainData } from './trainer';

/** J(θ) over rows 0..count) of d, recomputed from scratch by the reference Network; for ReLU the signs of every z1 (count·h bytes). */
export function networkObjective(
  net: Network,
  d: TrainData,
  count: number,
): { f: Objective; signCount: number } {
  const probe = new Network(net.n, net.h, net.activation, undefined, net.K);
  const { n, h } = net;
  const f: Objective = (theta, signs) => {
    probe.theta.set(theta);
    if (!signs) return probe.lossAndGrad(d.X, d.Y, null, count);
    let total = 0;
    for (let i = 0; i < count; i++) {
      total += probe.lossAndGrad(d.X.subarray(i * n, i * n + n), d.Y.subarray(i, i + 1), null, 1);
      for (let j = 0; j < h; j++) signs[i * h + j] = probe.z1[j] > 0 ? 1 : 0;
    }
    return total / count;
  };
  return { f, signCount: net.activation === 'relu' ? count * h : 0 };
}

/**
 * Loss of one example from its K output logits zo[0..K) and label y, and for K = 1 the derivatives of
 * L with respect to the logit (for the third-order expansion below). K = 1: sigmoid output, binary cross-entropy.
 */
export interface OutputLoss {
  K: number;
  loss: (zo: Float64Array, y: number) => number;
  /** K = 1 only: L′, L″, L‴ at the logit z2 for label y, written into d[0..3). */
  derivatives?: (z2: number, y: number, d: Float64Array, off: number) => void;
}

/**
 * The reference derivation's output: a2 = σ(z2), L = BCE, and its derivatives in forms that keep their
 * relative accuracy in both tails (a2 − y would round to 0 for a saturated output):
 *   L′ = a2 − y = σ(z2) if y = 0, −σ(−z2) if y = 1;   L″ = σ(z2)·σ(−z2);   L‴ = L″·(σ(−z2) − σ(z2)).
 */
export const SIGMOID_BCE: OutputLoss = {
  K: 1,
  loss: (zo, y) => bceFromLogit(zo[0], y),
  derivatives: (z2, y, d, off) => {
    const p = sigmoid(z2),
      q = sigmoid(-z2); // a2 and 1 − a2
    const s = p * q;
    d[off] = y === 1 ? -q : y === 0 ? p : p - y;
    d[off + 1] = s;
    d[off + 2] = s * (q - p);
  },
};

/** K classes: a2 = softmax(z2), L = categorical cross-entropy from the logits (log-sum-exp); evaluated in full. */
export function softmaxCrossEntropy(K: number): OutputLoss {
  return { K, loss: (zo, y) => softmaxCrossEntropyFromLogits(zo, 0, K, y) };
}

/** The output loss of a network: SIGMOID_BCE for K = 1, softmaxCrossEntropy(K) otherwise. */
export function outputLossOf(net: Network): OutputLoss {
  return net.K > 1 ? softmaxCrossEntropy(net.K) : SIGMOID_BCE;
}

/**
 * g′, g″/2, g‴/6, g⁗/24 at z (a = g(z)) into G[o..o+4), and sup|g⁽⁵⁾| (the expansion's remainder bound).
 *   sigmoid: σ′ = a(1−a), σ″ = σ′(1−2a), σ‴ = σ′(1−6σ′), σ⁗ = σ′(1−2a)(1−12σ′);  sup|σ⁽⁵⁾| = 1/4
 *   tanh:    g′ = 1−a², g″ = −2a·g′, g‴ = −2g′(1−3a²), g⁗ = 8a·g′(2−3a²);          sup|g⁽⁵⁾| = 16
 */
function activationSeries(kind: Activation, a: number, G: Float64Array, o: number): void {
  if (kind === 'sigmoid') {
    const d1 = a * (1 - a);
    G[o] = d1;
    G[o + 1] = (d1 * (1 - 2 * a)) / 2;
    G[o + 2] = (d1 * (1 - 6 * d1)) / 6;
    G[o + 3] = (d1 * (1 - 2 * a) * (1 - 12 * d1)) / 24;
  } else if (kind === 'tanh') {
    const d1 = 1 - a * a;
    G[o] = d1;
    G[o + 1] = -a * d1;
    G[o + 2] = (-2 * d1 * (1 - 3 * a * a)) / 6;
    G[o + 3] = (8 * a * d1 * (2 - 3 * a * a)) / 24;
  }
}
const FIFTH: Record<Activation, number> = { sigmoid: 0.25, tanh: 16, relu: 0 };
/** Largest remainder allowed in W2[c,j]·(a1′ − a1) (2⁻⁶⁰ ≈ 8.7e-19): far below what rounding changes in any loss. */
const REMAINDER = 2 ** -60;

/** |δ| up to which L(z2 + δ) − L(z2) is its third-order expansion: the remainder |L⁗|·δ⁴/24 ≤ L·δ⁴/24 < 2⁻⁶⁰·L. */
const TAYLOR_MAX = 2 ** -14;
const EPS = 2 ** -52;

/**
 * The incremental entry objective of J(θ) = (1/m)·Σ L⁽ⁱ⁾ over rows 0..m) of d at θ, for a network with
 * n inputs, h hidden units and K = out.K outputs (θ laid out as [W1 | b1 | W2 | b2], W2 K×h, b2 K).
 * θ is copied: the objective evaluates this θ with one entry moved.
 *
 * Caches per example: z1, a1, z2 (the reference Network's summation order), the loss L⁽ⁱ⁾, and per
 * output c and unit j the other units' contribution S[c,j] = b2[c] + Σ_{l≠j} W2[c,l]·a1[l], a sum of its
 * own (prefix plus suffix over l, never z2 − W2[c,j]·a1[j]).
 * Per evaluation and example, for W1[j,k] or b1[j] moved by Δθ:
 *   z1′ = z1 + Δθ·x[k] (or + Δθ), recomputed in the reference order whenever it is so close to 0 that
 *       rounding could decide its sign, so ReLU kinks are found exactly where a full recomputation finds them;
 *   a1′ − a1 = its fourth-order expansion in Δz1 while the remainder (sup|g⁽⁵⁾|·|Δz1|⁵/120, times |W2[c,j]|)
 *       is below 2⁻⁶⁰, else g(z1′) − a1 in full (ReLU: exact, piecewise);
 *   each output moves by δ = W2[c,j]·(a1′ − a1); for W2[c,j] and b2[c], δ = Δθ·a1[j] and Δθ.
 * For K = 1 and |δ| ≤ 2⁻¹⁴ the loss changes by δ·(L′ + δ·(L″/2 + δ·L‴/6)) (remainder below 2⁻⁶⁰·L);
 * otherwise L is evaluated in full at z2′ = S[c,j] + W2[c,j]·a1′ (or b2[c]′ + Σ_l W2[c,l]·a1[l]).
 * J′ = (Σ L + Σ ΔL)/m: the unchanged sum is added once, so nothing large cancels. The two sides of a
 * central difference are therefore the same points a full recomputation evaluates, to within rounding.
 */
export function incrementalObjective(
  theta: Float64Array,
  n: number,
  h: number,
  activation: Activation,
  d: TrainData,
  m: number,
  out: OutputLoss = SIGMOID_BCE,
): EntryObjective {
  const inc = new Incremental(theta.slice(), n, h, activation, d, m, out);
  return (i, plus, minus, res) => inc.evaluate(i, plus, minus, res);
}

/** The caches and evaluation of {@link incrementalObjective} (a class, so that its optimised code is shared by every check). */
class Incremental {
  private readonly K: number;
  private readonly offB1: number; // where b1 starts in θ
  private readonly offW2: number; // where W2 starts in θ
  private readonly W1: Float64Array; // h×n
  private readonly b1: Float64Array; // h
  private readonly W2: Float64Array; // K×h
  private readonly X: Float64Array; // m×n
  private readonly Y: Float64Array; // m
  private readonly relu: boolean;
  private readonly taylor: boolean;
  private readonly Z1: Float64Array; // m×h    z1 = W1·x + b1 (reference order)
  private readonly A1: Float64Array; // m×h    a1 = g(z1)
  private readonly R1: Float64Array; // m×h    |b1| + Σ_k |W1[j,k]·x[k]|: the scale of z1's rounding
  private readonly Z2: Float64Array; // m×K    z2 = W2·a1 + b2 (reference order)
  private readonly T: Float64Array; //  m×K    Σ_l W2[c,l]·a1[l]  (z2 without b2)
  private readonly S: Float64Array; //  m×K×h  S[c,j] = b2[c] + Σ_{l≠j} W2[c,l]·a1[l]  (prefix + suffix, its own sum)
  private readonly L0: Float64Array; // m      L⁽ⁱ⁾ at θ
  private readonly DL: Float64Array; // m×3    L′, L″/2, L‴/6 at z2 (K = 1)
  private readonly G: Float64Array; //  m×h×4  g′, g″/2, g‴/6, g⁗/24 at z1 (sigmoid, tanh)
  private readonly dMax: Float64Array; // h   |Δz1| up to which a1′ − a1 is g's fourth-order expansion for unit j
  private readonly sumL: number; //           Σ L⁽ⁱ⁾ at θ
  private readonly zo: Float64Array; // K     scratch logits
  private readonly zp: Float64Array; // m     unit j's z1 at θᵢ + h
  private readonly zm: Float64Array; // m     unit j's z1 at θᵢ − h

  constructor(
    private readonly theta: Float64Array,
    private readonly n: number,
    private readonly h: number,
    private readonly activation: Activation,
    d: TrainData,
    private readonly m: number,
    private readonly out: OutputLoss,
  ) {
    const K = (this.K = out.K);
    const [, bb1, bW2] = layout(n, h);
    this.offB1 = bb1.offset;
    this.offW2 = bW2.offset;
    const { W1, b1 } = views(theta, n, h);
    this.W1 = W1;
    this.b1 = b1;
    const W2 = (this.W2 = theta.subarray(bW2.offset, bW2.offset + K * h));
    const b2 = theta.subarray(bW2.offset + K * h, bW2.offset + K * h + K); // K
    const X = (this.X = d.X),
      Y = (this.Y = d.Y);
    this.relu = activation === 'relu';
    this.taylor = K === 1 && !!out.derivatives;
    const Z1 = (this.Z1 = new Float64Array(m * h));
    const A1 = (this.A1 = new Float64Array(m * h));
    const R1 = (this.R1 = new Float64Array(m * h));
    const Z2 = (this.Z2 = new Float64Array(m * K));
    const T = (this.T = new Float64Array(m * K));
    const S = (this.S = new Float64Array(m * K * h));
    const L0 = (this.L0 = new Float64Array(m));
    const DL = (this.DL = new Float64Array(m * 3));
    const zo = (this.zo = new Float64Array(K));
    const smooth = activation !== 'relu';
    const G = (this.G = new Float64Array(smooth ? m * h * 4 : 0));
    // Unit j's expansion holds while max_c |W2[c,j]|·sup|g⁽⁵⁾|·|Δ|⁵/120 ≤ 2⁻⁶⁰.
    this.dMax = Float64Array.from({ length: h }, (_, j) => {
      let w = 0;
      for (let c = 0; c < K; c++) w = Math.max(w, Math.abs(W2[c * h + j]));
      return smooth && w > 0 ? ((120 * REMAINDER) / (FIFTH[activation] * w)) ** 0.2 : 0;
    });
    this.zp = new Float64Array(m);
    this.zm = new Float64Array(m);
    const pre = new Float64Array(h + 1);
    let sumL = 0;
    for (let i = 0; i < m; i++) {
      const xo = i * n,
        ho = i * h;
      for (let j = 0; j < h; j++) {
        let s = b1[j],
          r = Math.abs(b1[j]);
        for (let k = 0; k < n; k++) {
          const t = W1[j * n + k] * X[xo + k];
          s += t;
          r += Math.abs(t);
        }
        Z1[ho + j] = s;
        A1[ho + j] = activate(activation, s);
        R1[ho + j] = r;
        if (smooth) activationSeries(activation, A1[ho + j], G, 4 * (ho + j));
      }
      for (let c = 0; c < K; c++) {
        const wo = c * h,
          so = (i * K + c) * h;
        let z2 = b2[c];
        for (let l = 0; l < h; l++) z2 += W2[wo + l] * A1[ho + l];
        Z2[i * K + c] = z2;
        zo[c] = z2;
        pre[0] = 0;
        for (let l = 0; l < h; l++) pre[l + 1] = pre[l] + W2[wo + l] * A1[ho + l]; // Σ_{l<j}
        T[i * K + c] = pre[h];
        let suf = 0; // Σ_{l>j}
        for (let j = h - 1; j >= 0; j--) {
          S[so + j] = b2[c] + (pre[j] + suf);
          suf += W2[wo + j] * A1[ho + j];
        }
      }
      L0[i] = out.loss(zo, Y[i]);
      sumL += L0[i];
      if (this.taylor) {
        out.derivatives!(Z2[i], Y[i], DL, 3 * i);
        DL[3 * i + 1] /= 2;
        DL[3 * i + 2] /= 6;
      }
    }
    this.sumL = sumL;
  }

  evaluate(idx: number, plus: number, minus: number, res: Difference): void {
    const { m, n, h, K, X, Z1, R1, A1, S, T, DL, zp, zm, sumL, taylor } = this;
    const scale = 1 / m; // the 1/m of the batch mean
    const hp = plus - this.theta[idx],
      hm = minus - this.theta[idx];
    if (idx < this.offW2) {
      // W1[j,k] or b1[j]: only hidden unit j moves, to z1 + Δ; recomputed in the reference order
      // (rarely) when z1 + Δ is so close to 0 that rounding could decide its sign.
      const bias = idx >= this.offB1;
      const j = bias ? idx - this.offB1 : Math.floor(idx / n),
        k = bias ? -1 : idx - j * n;
      const guard = 4 * (n + 2) * EPS;
      for (let i = 0; i < m; i++) {
        const x = bias ? 1 : X[i * n + k],
          ho = i * h + j;
        const dp = hp * x,
          dm = hm * x;
        let z = Z1[ho] + dp;
        zp[i] = Math.abs(z) > guard * (R1[ho] + Math.abs(dp)) ? z : this.recomputed(i, j, idx, plus);
        z = Z1[ho] + dm;
        zm[i] = Math.abs(z) > guard * (R1[ho] + Math.abs(dm)) ? z : this.recomputed(i, j, idx, minus);
      }
      res.fp = (sumL + this.unitChange(j, zp)) * scale;
      res.fm = (sumL + this.unitChange(j, zm)) * scale;
      res.kink = this.relu && this.kinked();
    } else {
      // W2[c,j] or b2[c]: only output c moves, by δ = Δ·a1[j] or Δ; z1 is unchanged, so no kink can be crossed.
      const isW2 = idx < this.offW2 + K * h;
      const e = isW2 ? idx - this.offW2 : idx - (this.offW2 + K * h);
      const c = isW2 ? Math.floor(e / h) : e,
        j = isW2 ? e - c * h : -1;
      let sp = 0,
        sm = 0;
      for (let i = 0; i < m; i++) {
        const a = isW2 ? A1[i * h + j] : 1;
        const base = isW2 ? S[(i * K + c) * h + j] : T[i * K + c]; // the rest of z2[c]
        const dp = hp * a,
          dm = hm * a,
          o = 3 * i;
        if (taylor && Math.abs(dp) <= TAYLOR_MAX) sp += dp * (DL[o] + dp * (DL[o + 1] + dp * DL[o + 2]));
        else if (dp !== 0) sp += this.lossMoved(i, c, base + plus * a);
        if (taylor && Math.abs(dm) <= TAYLOR_MAX) sm += dm * (DL[o] + dm * (DL[o + 1] + dm * DL[o + 2]));
        else if (dm !== 0) sm += this.lossMoved(i, c, base + minus * a);
      }
      res.fp = (sumL + sp) * scale;
      res.fm = (sumL + sm) * scale;
      res.kink = false;
    }
  }

  /** L(z2 with output c at z2c) − L(z2) of example i, evaluated in full (δ too large for the expansion, or K > 1). */
  private lossMoved(i: number, c: number, z2c: number): number {
    const { K, zo, Z2 } = this;
    for (let q = 0; q < K; q++) zo[q] = Z2[i * K + q];
    zo[c] = z2c;
    return this.out.loss(zo, this.Y[i]) - this.L0[i];
  }

  /** Σ ΔL when unit j's pre-activation moves to z1m[i] at every row i. */
  private unitChange(j: number, z1m: Float64Array): number {
    const { m, h, K, Z1, A1, W2, S, G, DL, activation, relu, taylor } = this;
    const dMax = this.dMax[j];
    let total = 0;
    for (let i = 0; i < m; i++) {
      const ho = i * h + j;
      const z = z1m[i];
      if (z === Z1[ho]) continue;
      const dz = z - Z1[ho];
      let a: number, da: number;
      if (relu) {
        a = z > 0 ? z : 0;
        da = a - A1[ho];
      } else if (Math.abs(dz) <= dMax) {
        const o = 4 * ho; // a1′ − a1 = Δ·(g′ + Δ·(g″/2 + Δ·(g‴/6 + Δ·g⁗/24))), remainder below 2⁻⁶⁰
        da = dz * (G[o] + dz * (G[o + 1] + dz * (G[o + 2] + dz * G[o + 3])));
        a = A1[ho] + da;
      } else {
        a = activate(activation, z);
        da = a - A1[ho];
      }
      if (da === 0) continue;
      if (K === 1) {
        const w = W2[j],
          o = 3 * i;
        const d = w * da; // z2 moves by δ = W2[j]·(a1′ − a1)
        if (taylor && Math.abs(d) <= TAYLOR_MAX) total += d * (DL[o] + d * (DL[o + 1] + d * DL[o + 2]));
        else if (d !== 0) total += this.lossMoved(i, 0, S[i * h + j] + w * a);
      } else {
        // Every output moves at once: z2[c]′ = S[c,j] + W2[c,j]·a1′ (the loss need not be a sum over outputs).
        const zo = this.zo;
        for (let c = 0; c < K; c++) zo[c] = S[(i * K + c) * h + j] + W2[c * h + j] * a;
        total += this.out.loss(zo, this.Y[i]) - this.L0[i];
      }
    }
    return total;
  }

  /** Unit j's z1 at row i with θ[idx] = v (idx in W1[j,·] or b1[j]), summed in the reference Network's order. */
  private recomputed(i: number, j: number, idx: number, v: number): number {
    const { n, W1, X } = this;
    const xo = i * n,
      row = j * n;
    let s = idx === this.offB1 + j ? v : this.b1[j];
    for (let k = 0; k < n; k++) s += (row + k === idx ? v : W1[row + k]) * X[xo + k];
    return s;
  }

  /** Whether some row's z1 of the moved unit has a different sign at θᵢ + h and θᵢ − h (a ReLU kink). */
  private kinked(): boolean {
    const { zp, zm } = this;
    for (let i = 0; i < this.m; i++) if (zp[i] > 0 !== zm[i] > 0) return true;
    return false;
  }
}

export interface CheckControl extends GradcheckControl {
  /** Recompute every evaluation from scratch with the reference Network instead of incrementally (slow; the oracle). */
  full?: boolean;
}

/**
 * Full per-entry check of W1, b1, W2, b2 at the network's current θ on the first `count` rows.
 * Incremental by default (same points, same verdicts as a full recomputation; see the module comment).
 * control: progress (done, total entries) and cancellation (throws GradcheckCancelled).
 */
export function checkNetwork(
  net: Network,
  d: TrainData,
  count: number,
  options: Partial<GradcheckOptions> = {},
  control: CheckControl = {},
): GradcheckReport {
  const m = Math.min(count, d.m);
  const grad = new Float64Array(net.theta.length);
  net.lossAndGrad(d.X, d.Y, null, m, grad);
  const theta = net.theta.slice();
  const blocks: BlockSpec[] = layout(net.n, net.h, net.K);
  if (control.full) {
    const { f, signCount } = networkObjective(net, d, m);
    return gradcheckEntries(fullRecomputation(f, theta, signCount), theta, grad, blocks, options, control);
  }
  return gradcheckEntries(
    incrementalObjective(theta, net.n, net.h, net.activation, d, m, outputLossOf(net)),
    theta,
    grad,
    blocks,
    options,
    control,
  );
}

/** Fast directional check (k random directions), localised on failure by the incremental per-entry check. */
export function checkNetworkFast(
  net: Network,
  d: TrainData,
  count: number,
  rng: Rng,
  k = 8,
  options: Partial<GradcheckOptions> = {},
): FastReport {
  const m = Math.min(count, d.m);
  const grad = new Float64Array(net.theta.length);
  net.lossAndGrad(d.X, d.Y, null, m, grad);
  const { f, signCount } = networkObjective(net, d, m);
  const theta = net.theta.slice();
  let inc: EntryObjective | null = null; // built only when a failing block is localised
  const entries: EntryObjective = (i, plus, minus, out) =>
    (inc ??= incrementalObjective(theta.slice(), net.n, net.h, net.activation, d, m, outputLossOf(net)))(
      i,
      plus,
      minus,
      out,
    );
  return gradcheckFast(
    f,
    theta,
    grad,
    layout(net.n, net.h, net.K),
    () => rng.normal(),
    k,
    options,
    signCount,
    entries,
  );
}
