/**
 * The batched network: the reference derivation's formulas over a whole batch of m rows
 * at once, for K outputs (W2 is K×h, b2 is K; K = 1 is the sigmoid/BCE network of
 * network.ts, K > 1 a softmax with cross-entropy, labels being class indices):
 *
 *   Z1  = X_B·W1ᵀ + b1        (m×h)     X_B: the batch's rows, gathered by index
 *   A1  = g(Z1)               (m×h)
 *   Z2  = A1·W2ᵀ + b2         (m×K)
 *   J   = (1/m)·Σ L⁽ⁱ⁾          L from the logits (loss.ts)
 *   dZ2 = (A2 − Y)/m          (m×K)     A2 = σ(Z2), or softmax(Z2) with Y one-hot
 *   dW2 = dZ2ᵀ·A1             (K×h)     db2 = Σ_rows dZ2
 *   dZ1 = dZ2·W2 ∗ g'(Z1)     (m×h)
 *   dW1 = dZ1ᵀ·X_B            (h×n)     db1 = Σ_rows dZ1
 *
 * Two implementations: WebAssembly SIMD (wasm.ts, from assembly/kernels.ts) and this
 * file's plain JavaScript (the fallback where WebAssembly SIMD is missing). Both split a
 * batch of `count` rows into chunkCount(count, shape) chunks — a function of the batch
 * size and the network's shape only, never of the thread count — and add the chunks' partial gradients in chunk
 * order, so a step's result is the same bits whichever thread computed which chunk.
 */
import { type Activation, activate, derivative, sigmoid } from '../activations';
import { bceFromLogit, softmaxCrossEntropyFromLogits } from '../loss';
import { argmax, layout } from '../network';

/**
 * Rows per chunk (at least), the most chunks a batch is split into, and the most memory
 * their partial gradients may take. Many small chunks let the threads share a batch
 * evenly even when one of them is slowed down by other work on the machine.
 */
export const CHUNK_ROWS = 64;
export const MAX_CHUNKS = 32;
export const MAX_CHUNK_BYTES = 64 * 2 ** 20;
/** Rows of one sub-block inside a chunk (assembly/kernels.ts's SB). */
export const SUB_BLOCK = 32;

/** The most chunks for a network of this shape (their partial gradients within MAX_CHUNK_BYTES). */
export function maxChunks(s: BatchShape): number {
  return Math.max(1, Math.min(MAX_CHUNKS, Math.floor(MAX_CHUNK_BYTES / (new Packing(s).gLen * 8))));
}

/** How many chunks a batch of count rows is split into: depends on count and the shape only. */
export function chunkCount(count: number, s: BatchShape): number {
  return Math.max(1, Math.min(maxChunks(s), Math.ceil(count / CHUNK_ROWS)));
}

/** First row of chunk c (chunks start at multiples of 4; assembly/kernels.ts's chunkStart). */
export function chunkStart(count: number, chunks: number, c: number): number {
  const per = ((Math.floor((count + chunks - 1) / chunks) + 3) >> 2) << 2;
  return Math.min(count, c * per);
}

export const roundUp4 = (v: number) => (v + 3) & ~3;

/** A data set the kernel reads rows from: X row-major m×n, Y labels (0/1, or class indices when K > 1). */
export interface KernelData {
  X: Float64Array;
  Y: Float64Array;
  m: number;
}

export interface BatchShape {
  n: number;
  h: number;
  K: number;
  activation: Activation;
}

export interface BatchKernel {
  readonly kind: 'wasm' | 'js';
  /** Threads a large batch is spread over (1: this thread only). */
  readonly threads: number;
  /**
   * Mean loss J over the rows idx[from .. from+count) of data set `data` (idx null: rows
   * 0..count) at θ (layout(n, h, K)), and ∂J/∂θ written into grad.
   */
  lossAndGrad(
    data: number,
    theta: Float64Array,
    idx: Int32Array | null,
    from: number,
    count: number,
    grad: Float64Array,
  ): number;
  /** The logits z2 of those rows (forward only) into out, K per row. */
  forward(
    data: number,
    theta: Float64Array,
    idx: Int32Array | null,
    from: number,
    count: number,
    out: Float64Array,
  ): void;
  /**
   * After forward() or lossAndGrad(): Σ L over the pass's rows and how many of them the network
   * misclassifies, when the kernel computed them beside z2 (else null: rowSums over the z2 it gave).
   */
  lastSums(): { loss: number; wrong: number } | null;
  /** Ends the worker threads, if any (the kernel stays usable: it starts them again when needed). */
  dispose(): void;
}

/** Sizes of the packed, zero-padded layouts both implementations use. */
export class Packing {
  readonly hp: number;
  readonly np: number;
  /** Length of one chunk's gradient [dW1 hp×np | db1 hp | dW2 K×hp | db2 K], rounded up to even. */
  readonly gLen: number;
  constructor(readonly s: BatchShape) {
    this.hp = roundUp4(s.h);
    this.np = roundUp4(s.n);
    this.gLen = (this.hp * this.np + this.hp + s.K * this.hp + s.K + 1) & ~1;
  }

  /**
   * θ → W1T (n×hp: row k is column k of W1; with panels, in panels of 4 units instead: units
   * j..j+3 of feature k at ((j/4)·n + k)·4, the WebAssembly kernel's layout), b1 (hp), W2 (K×hp),
   * b2 (K), zero-padded (the padding is never written: it stays 0).
   */
  pack(
    theta: Float64Array,
    W1T: Float64Array,
    b1: Float64Array,
    W2: Float64Array,
    b2: Float64Array,
    panels = false,
  ): void {
    const { n, h, K } = this.s,
      hp = this.hp;
    const [lW1, lb1, lW2, lb2] = layout(n, h, K);
    for (let j = 0; j < h; j++) {
      const row = lW1.offset + j * n;
      if (panels) {
        const at = (j >> 2) * n * 4 + (j & 3);
        for (let k = 0; k < n; k++) W1T[at + k * 4] = theta[row + k];
      } else for (let k = 0; k < n; k++) W1T[k * hp + j] = theta[row + k];
      b1[j] = theta[lb1.offset + j];
    }
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < h; j++) W2[k * hp + j] = theta[lW2.offset + k * h + j];
      b2[k] = theta[lb2.offset + k];
    }
  }

  /** A summed chunk gradient (padded) → grad in θ's layout. */
  unpack(G: Float64Array, grad: Float64Array): void {
    const { n, h, K } = this.s,
      { hp, np } = this;
    const [lW1, lb1, lW2, lb2] = layout(n, h, K);
    const gb1 = hp * np,
      gW2 = gb1 + hp,
      gb2 = gW2 + K * hp;
    for (let j = 0; j < h; j++) {
      for (let k = 0; k < n; k++) grad[lW1.offset + j * n + k] = G[j * np + k];
      grad[lb1.offset + j] = G[gb1 + j];
    }
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < h; j++) grad[lW2.offset + k * h + j] = G[gW2 + k * hp + j];
      grad[lb2.offset + k] = G[gb2 + k];
    }
  }
}

/** J = (1/count)·Σ L over the rows' logits (K per row), summed in row order like Network.lossAndGrad. */
export function meanLoss(
  Z2: Float64Array,
  Y: Float64Array,
  idx: Int32Array | null,
  from: number,
  count: number,
  K: number,
): number {
  return rowSums(Z2, Y, idx, from, count, K).loss * (1 / count);
}

/**
 * Σ L over rows idx[from .. from+count) (idx null: 0..count) from their logits Z2 (K per row, row r at r·K),
 * summed in row order, and how many are misclassified (K = 1: ŷ ≥ 0.5 ⇔ z2 ≥ 0 against the label; K > 1:
 * the largest output against the class): what a kernel's lastSums() gives when it has no sums of its own.
 */
export function rowSums(
  Z2: Float64Array,
  Y: Float64Array,
  idx: Int32Array | null,
  from: number,
  count: number,
  K: number,
): { loss: number; wrong: number } {
  let loss = 0,
    wrong = 0;
  for (let r = 0; r < count; r++) {
    const y = Y[idx ? idx[from + r] : r];
    if (K > 1) {
      loss += softmaxCrossEntropyFromLogits(Z2, r * K, K, y);
      if (argmax(Z2, r * K, K) !== y) wrong++;
    } else {
      loss += bceFromLogit(Z2[r], y);
      if ((Z2[r] >= 0 ? 1 : 0) !== y) wrong++;
    }
  }
  return { loss, wrong };
}

/**
 * The plain-JavaScript kernel: the same chunks and sub-blocks as the WebAssembly one,
 * 4 rows × 4 units register blocking in the two big products, the reference activations.
 */
export class JsBatchKernel implements BatchKernel {
  readonly kind = 'js' as const;
  readonly threads = 1;
  private readonly p: Packing;
  private readonly W1T: Float64Array;
  private readonly b1: Float64Array;
  private readonly W2: Float64Array;
  private readonly b2: Float64Array;
  private readonly G: Float64Array; // maxChunks chunk gradients, then their sum
  private readonly chunksMax: number;
  private readonly Xc: Float64Array; // SUB_BLOCK×np gathered rows
  private readonly A1: Float64Array; // SUB_BLOCK×hp: Z1, then g(Z1)
  private readonly G1: Float64Array; // SUB_BLOCK×hp: g'(Z1), then dZ1
  private readonly dZ2: Float64Array; // SUB_BLOCK×K
  private Z2: Float64Array;

  constructor(
    readonly shape: BatchShape,
    readonly data: readonly KernelData[],
  ) {
    const p = (this.p = new Packing(shape));
    const { hp, np } = p,
      K = shape.K,
      n = shape.n;
    this.W1T = new Float64Array(n * hp);
    this.b1 = new Float64Array(hp);
    this.W2 = new Float64Array(K * hp);
    this.b2 = new Float64Array(K);
    this.chunksMax = maxChunks(shape);
    this.G = new Float64Array((this.chunksMax + 1) * p.gLen);
    this.Xc = new Float64Array(SUB_BLOCK * np);
    this.A1 = new Float64Array(SUB_BLOCK * hp);
    this.G1 = new Float64Array(SUB_BLOCK * hp);
    this.dZ2 = new Float64Array(SUB_BLOCK * K);
    this.Z2 = new Float64Array(Math.max(1, ...data.map((d) => d.m)) * K);
  }

  lossAndGrad(
    data: number,
    theta: Float64Array,
    idx: Int32Array | null,
    from: number,
    count: number,
    grad: Float64Array,
  ): number {
    const d = this.data[data];
    this.p.pack(theta, this.W1T, this.b1, this.W2, this.b2);
    const chunks = chunkCount(count, this.shape),
      L = this.p.gLen,
      G = this.G;
    for (let c = 0; c < chunks; c++) {
      const g = G.subarray(c * L, (c + 1) * L);
      g.fill(0);
      const r1 = chunkStart(count, chunks, c + 1);
      for (let r = chunkStart(count, chunks, c); r < r1; r += SUB_BLOCK)
        this.subBlock(d, idx, from, r, Math.min(SUB_BLOCK, r1 - r), count, g);
    }
    const sum = G.subarray(this.chunksMax * L, (this.chunksMax + 1) * L);
    sum.set(G.subarray(0, L));
    for (let c = 1; c < chunks; c++) for (let i = 0, o = c * L; i < L; i++) sum[i] += G[o + i];
    this.p.unpack(sum, grad);
    return meanLoss(this.Z2, d.Y, idx, from, count, this.shape.K);
  }

  forward(
    data: number,
    theta: Float64Array,
    idx: Int32Array | null,
    from: number,
    count: number,
    out: Float64Array,
  ): void {
    const d = this.data[data];
    this.p.pack(theta, this.W1T, this.b1, this.W2, this.b2);
    const saved = this.Z2;
    this.Z2 = out;
    for (let r = 0; r < count; r += SUB_BLOCK)
      this.subBlock(d, idx, from, r, Math.min(SUB_BLOCK, count - r), count, null);
    this.Z2 = saved;
  }

  lastSums(): null {
    return null;
  }

  dispose(): void {}

  /** Rows r0 .. r0+rows of the batch: forward, and when g is given backward into g. */
  private subBlock(
    d: KernelData,
    idx: Int32Array | null,
    from: number,
    r0: number,
    rows: number,
    count: number,
    g: Float64Array | null,
  ): void {
    const { n, K, activation } = this.shape,
      { hp, np } = this.p;
    const { Xc, A1, G1, dZ2, W1T, b1, W2, b2, Z2 } = this;
    const X = d.X,
      rowsP = roundUp4(rows);
    const scale = 1 / count;
    Xc.fill(0, 0, rowsP * np);
    for (let r = 0; r < rows; r++) {
      const i = idx ? idx[from + r0 + r] : r0 + r;
      for (let k = 0; k < n; k++) Xc[r * np + k] = X[i * n + k];
    }
    // Z1 = X_B·W1ᵀ + b1, 4 rows × 4 units at a time
    for (let r = 0; r < rowsP; r += 4) {
      const x0 = r * np,
        x1 = x0 + np,
        x2 = x1 + np,
        x3 = x2 + np;
      for (let j = 0; j < hp; j += 4) {
        let a00 = b1[j],
          a01 = b1[j + 1],
          a02 = b1[j + 2],
          a03 = b1[j + 3];
        let a10 = a00,
          a11 = a01,
          a12 = a02,
          a13 = a03,
          a20 = a00,
          a21 = a01,
          a22 = a02,
          a23 = a03,
          a30 = a00,
          a31 = a01,
          a32 = a02,
          a33 = a03;
        for (let k = 0, w = j; k < n; k++, w += hp) {
          const w0 = W1T[w],
            w1 = W1T[w + 1],
            w2 = W1T[w + 2],
            w3 = W1T[w + 3];
          const v0 = Xc[x0 + k],
            v1 = Xc[x1 + k],
            v2 = Xc[x2 + k],
            v3 = Xc[x3 + k];
          a00 += v0 * w0;
          a01 += v0 * w1;
          a02 += v0 * w2;
          a03 += v0 * w3;
          a10 += v1 * w0;
          a11 += v1 * w1;
          a12 += v1 * w2;
          a13 += v1 * w3;
          a20 += v2 * w0;
          a21 += v2 * w1;
          a22 += v2 * w2;
          a23 += v2 * w3;
          a30 += v3 * w0;
          a31 += v3 * w1;
          a32 += v3 * w2;
          a33 += v3 * w3;
        }
        let o = r * hp + j;
        A1[o] = a00;
        A1[o + 1] = a01;
        A1[o + 2] = a02;
        A1[o + 3] = a03;
        o += hp;
        A1[o] = a10;
        A1[o + 1] = a11;
        A1[o + 2] = a12;
        A1[o + 3] = a13;
        o += hp;
        A1[o] = a20;
        A1[o + 1] = a21;
        A1[o + 2] = a22;
        A1[o + 3] = a23;
        o += hp;
        A1[o] = a30;
        A1[o + 1] = a31;
        A1[o + 2] = a32;
        A1[o + 3] = a33;
      }
    }
    // A1 = g(Z1), G1 = g'(Z1)
    for (let o = 0; o < rowsP * hp; o++) {
      const z = A1[o],
        a = activate(activation, z);
      A1[o] = a;
      G1[o] = derivative(activation, z, a);
    }
    // Z2 = A1·W2ᵀ + b2
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let j = 0; j < hp; j++) s += A1[r * hp + j] * W2[k * hp + j];
        Z2[(r0 + r) * K + k] = b2[k] + s;
      }
    }
    if (!g) return;
    // dZ2 = (A2 − Y)/m (padded rows: 0)
    dZ2.fill(0, 0, rowsP * K);
    for (let r = 0; r < rows; r++) {
      const y = d.Y[idx ? idx[from + r0 + r] : r0 + r];
      const z = (r0 + r) * K;
      if (K === 1) dZ2[r] = scale * (sigmoid(Z2[z]) - y);
      else {
        let mx = Z2[z];
        for (let k = 1; k < K; k++) mx = Math.max(mx, Z2[z + k]);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += dZ2[r * K + k] = Math.exp(Z2[z + k] - mx);
        for (let k = 0; k < K; k++) dZ2[r * K + k] = scale * (dZ2[r * K + k] / sum - (k === y ? 1 : 0));
      }
    }
    const gb1 = hp * np,
      gW2 = gb1 + hp,
      gb2 = gW2 + K * hp;
    // dW2 += dZ2ᵀ·A1, db2 += Σ dZ2; dZ1 = dZ2·W2 ∗ g'(Z1) (into G1), db1 += Σ dZ1
    for (let r = 0; r < rowsP; r++) {
      for (let k = 0; k < K; k++) {
        const dz = dZ2[r * K + k];
        for (let j = 0; j < hp; j++) g[gW2 + k * hp + j] += dz * A1[r * hp + j];
        g[gb2 + k] += dz;
      }
      for (let j = 0; j < hp; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += dZ2[r * K + k] * W2[k * hp + j];
        const dz1 = s * G1[r * hp + j];
        G1[r * hp + j] = dz1;
        g[gb1 + j] += dz1;
      }
    }
    // dW1 += dZ1ᵀ·X_B, 4 units × 4 features at a time
    for (let j = 0; j < hp; j += 4) {
      for (let k = 0; k < np; k += 4) {
        const g0 = j * np + k,
          g1 = g0 + np,
          g2 = g1 + np,
          g3 = g2 + np;
        let a00 = g[g0],
          a01 = g[g0 + 1],
          a02 = g[g0 + 2],
          a03 = g[g0 + 3];
        let a10 = g[g1],
          a11 = g[g1 + 1],
          a12 = g[g1 + 2],
          a13 = g[g1 + 3];
        let a20 = g[g2],
          a21 = g[g2 + 1],
          a22 = g[g2 + 2],
          a23 = g[g2 + 3];
        let a30 = g[g3],
          a31 = g[g3 + 1],
          a32 = g[g3 + 2],
          a33 = g[g3 + 3];
        for (let r = 0; r < rowsP; r++) {
          const x = r * np + k,
            e = r * hp + j;
          const x0 = Xc[x],
            x1 = Xc[x + 1],
            x2 = Xc[x + 2],
            x3 = Xc[x + 3];
          const d0 = G1[e],
            d1 = G1[e + 1],
            d2 = G1[e + 2],
            d3 = G1[e + 3];
          a00 += d0 * x0;
          a01 += d0 * x1;
          a02 += d0 * x2;
          a03 += d0 * x3;
          a10 += d1 * x0;
          a11 += d1 * x1;
          a12 += d1 * x2;
          a13 += d1 * x3;
          a20 += d2 * x0;
          a21 += d2 * x1;
          a22 += d2 * x2;
          a23 += d2 * x3;
          a30 += d3 * x0;
          a31 += d3 * x1;
          a32 += d3 * x2;
          a33 += d3 * x3;
        }
        g[g0] = a00;
        g[g0 + 1] = a01;
        g[g0 + 2] = a02;
        g[g0 + 3] = a03;
        g[g1] = a10;
        g[g1 + 1] = a11;
        g[g1 + 2] = a12;
        g[g1 + 3] = a13;
        g[g2] = a20;
        g[g2 + 1] = a21;
        g[g2 + 2] = a22;
        g[g2 + 3] = a23;
        g[g3] = a30;
        g[g3 + 1] = a31;
        g[g3 + 2] = a32;
        g[g3 + 3] = a33;
      }
    }
  }
}
