/**
 * The WebAssembly SIMD kernel (assembly/kernels.ts, compiled by the build into
 * wasm-bytes.generated.ts) on one shared WebAssembly.Memory that holds the data sets,
 * the packed parameters, the chunks' partial gradients and each thread's scratch.
 */
import {
  type BatchKernel,
  type BatchShape,
  type KernelData,
  Packing,
  chunkCount,
  maxChunks,
  meanLoss,
} from './batch';
import { paramCount } from '../network';
import { CONTROL_BYTES, ChunkPool } from './pool';
import { KERNELS_WASM } from './wasm-bytes.generated';

interface Exports {
  setConstants(ptr: number): void;
  chunk(args: number, c: number, scratch: number): void;
  scratchBytes(hp: number, np: number, K: number): number;
  sumChunks(src: number, chunks: number, stride: number, len: number, out: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernels, or null where WebAssembly SIMD or shared memory is not available. */
export function kernelsModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    compiled = null;
    try {
      const bytes = Uint8Array.from(atob(KERNELS_WASM), (c) => c.charCodeAt(0));
      if (WebAssembly.validate(bytes)) {
        const module = new WebAssembly.Module(bytes);
        new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }); // throws without shared memory
        compiled = module;
      }
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

// The argument block's words (assembly/kernels.ts's A_*).
const A_X = 0,
  A_Y = 1,
  A_IDX = 2,
  A_COUNT = 3,
  A_CHUNKS = 4,
  A_N = 5,
  A_HP = 6,
  A_NP = 7,
  A_K = 8;
const A_W1T = 9,
  A_B1 = 10,
  A_W2 = 11,
  A_B2 = 12,
  A_ACT = 13,
  A_G = 14,
  A_GSTRIDE = 15,
  A_Z2 = 16,
  A_CONST = 17;
const A_SCALE = 18,
  A_MODE = 20,
  A_CACHEA = 21,
  A_STATS = 22,
  A_CACHEZ2 = 23;
const MODE_GRAD = 0,
  MODE_FORWARD = 1,
  MODE_FORWARD_KEEP = 2,
  MODE_GRAD_CACHED = 3;
/** Bytes the kernels' constants take (assembly/kernels.ts's setConstants). */
export const CONST_BYTES = 40 * 16;
/** The most memory the full-batch cache may take. */
export const MAX_CACHE_BYTES = 512 * 2 ** 20;
const ACT = { sigmoid: 0, tanh: 1, relu: 2 } as const;

const PAGE = 65536;
const MAX_PAGES = 65536;
/** The batch size × work per row from which a step is spread over the threads. */
export const THREAD_MIN_WORK = 1 << 17;
/**
 * The same for a forward pass alone (an evaluation): about a third of a step's arithmetic, so
 * that waking the workers costs more than it saves below this (an epoch summary of a few
 * hundred rows during per-example training).
 */
export const FORWARD_THREAD_MIN_WORK = 1 << 21;

export class WasmBatchKernel implements BatchKernel {
  readonly kind = 'wasm' as const;
  private readonly p: Packing;
  private readonly memory: WebAssembly.Memory;
  private readonly ex: Exports;
  private readonly args: number;
  private readonly argsI: Int32Array;
  private readonly argsF: Float64Array;
  private readonly control: number;
  private readonly W1T: Float64Array;
  private readonly b1: Float64Array;
  private readonly W2: Float64Array;
  private readonly b2: Float64Array;
  private readonly ptr: {
    consts: number;
    W1T: number;
    b1: number;
    W2: number;
    b2: number;
    idx: number;
    Z2: number;
    G: number;
    Gsum: number;
    stats: number;
  };
  private readonly sets: Array<{ X: number; Y: number }> = [];
  private readonly idx: Int32Array;
  private readonly Z2: Float64Array;
  private readonly Gsum: Float64Array;
  private readonly stats: Float64Array;
  /** Σ L and the misclassified count of the last pass (K = 1; null: out of range, or K outputs). */
  private sums: { loss: number; wrong: number } | null = null;
  private readonly scratch: number[] = [];
  private identityRows = 0; // idx holds 0..identityRows−1
  private pool: ChunkPool | null = null;
  /**
   * Full-batch cache: A1 = g(Z1) and z2 of every row of data set 0 at θ = cache.theta, and
   * their loss sums, written by a forward pass over all its rows and used by the next loss and
   * gradient over all its rows at the same θ (a full-batch step right after its epoch's
   * evaluation; passes over other rows or the test set in between leave it), g'(Z1)
   * recomputed from A1 by the same formulas: the same values the step would compute, so the
   * same bits, without the product X·W1ᵀ twice.
   */
  private readonly cache: {
    A: number;
    theta: Float64Array;
    valid: boolean;
    sums: { loss: number; wrong: number } | null;
  } | null = null;
  /** Loss-and-gradient passes that used the full-batch cache (diagnostics). */
  cachedPasses = 0;

  /**
   * threads: how many threads large batches are spread over (scratch is reserved for that
   * many); cacheFullBatch: keep the full-batch cache (for trainers whose steps use every row).
   */
  constructor(
    private readonly module: WebAssembly.Module,
    readonly shape: BatchShape,
    readonly data: readonly KernelData[],
    readonly threads = 1,
    cacheFullBatch = false,
  ) {
    const p = (this.p = new Packing(shape));
    const { n, K } = shape,
      { hp, np, gLen } = p;
    const maxM = Math.max(1, ...data.map((d) => d.m));
    let top = PAGE; // page 0: the module's own (it has no data; kept free)
    const take = (bytes: number) => {
      const at = top;
      top += Math.ceil(bytes / 64) * 64;
      return at;
    };
    const consts = take(CONST_BYTES);
    this.args = take(128);
    this.control = take(CONTROL_BYTES);
    this.ptr = {
      consts,
      W1T: take(n * hp * 8),
      b1: take(hp * 8),
      W2: take(K * hp * 8),
      b2: take(K * 8),
      idx: take(maxM * 4),
      Z2: take(maxM * K * 8),
      G: take(maxChunks(shape) * gLen * 8),
      Gsum: take(gLen * 8),
      stats: take(maxChunks(shape) * 32),
    };
    const dataAt = data.map((d) => ({ X: take(d.m * n * 8), Y: take(d.m * 8) }));
    const cacheBytes = ((data[0]?.m ?? 0) + 4) * (hp + K) * 8; // A1, then z2
    const cacheAt =
      cacheFullBatch && data.length > 0 && cacheBytes <= MAX_CACHE_BYTES ? take(cacheBytes) : null;
    // Scratch size from the module itself (its sub-block layout).
    const probe = new WebAssembly.Instance(module, {
      env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }) },
    }).exports as unknown as Exports;
    const scratchBytes = probe.scratchBytes(hp, np, K);
    for (let t = 0; t < Math.max(1, threads); t++) this.scratch.push(take(scratchBytes));
    const pages = Math.ceil(top / PAGE);
    if (pages > MAX_PAGES)
      throw new RangeError(`the data needs ${Math.ceil(top / 2 ** 20)} MB, more than WebAssembly's 4 GB`);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }); // never grown: reserve no more
    this.ex = new WebAssembly.Instance(module, { env: { memory: this.memory } })
      .exports as unknown as Exports;
    const buf = this.memory.buffer;
    const f64 = (at: number, len: number) => new Float64Array(buf, at, len);
    this.ex.setConstants(consts);
    // A kernel whose forward pass over its largest data set goes to the threads will start them:
    // start them now, so that they boot while the data is copied in (a thread takes tens of ms).
    if (threads > 1 && chunkCount(maxM, shape) > 1 && maxM * hp * (np + K) >= FORWARD_THREAD_MIN_WORK)
      this.pool = new ChunkPool(module, this.memory, this.control, this.scratch, this.ex.chunk);
    this.argsI = new Int32Array(buf, this.args, 32);
    this.argsF = new Float64Array(buf, this.args, 16);
    this.W1T = f64(this.ptr.W1T, n * hp);
    this.b1 = f64(this.ptr.b1, hp);
    this.W2 = f64(this.ptr.W2, K * hp);
    this.b2 = f64(this.ptr.b2, K);
    this.idx = new Int32Array(buf, this.ptr.idx, maxM);
    this.Z2 = f64(this.ptr.Z2, maxM * K);
    this.Gsum = f64(this.ptr.Gsum, gLen);
    this.stats = f64(this.ptr.stats, maxChunks(shape) * 4);
    data.forEach((d, i) => {
      f64(dataAt[i].X, d.m * n).set(d.X.subarray(0, d.m * n));
      f64(dataAt[i].Y, d.m).set(d.Y.subarray(0, d.m));
      this.sets.push(dataAt[i]);
    });
    const a = this.argsI;
    a[A_N] = n;
    a[A_HP] = hp;
    a[A_NP] = np;
    a[A_K] = K;
    a[A_W1T] = this.ptr.W1T;
    a[A_B1] = this.ptr.b1;
    a[A_W2] = this.ptr.W2;
    a[A_B2] = this.ptr.b2;
    a[A_ACT] = ACT[shape.activation];
    a[A_G] = this.ptr.G;
    a[A_GSTRIDE] = gLen;
    a[A_Z2] = this.ptr.Z2;
    a[A_CONST] = consts;
    a[A_IDX] = this.ptr.idx;
    a[A_STATS] = this.ptr.stats;
    if (cacheAt !== null) {
      this.cache = { A: cacheAt, theta: new Float64Array(layoutSize(shape)), valid: false, sums: null };
      a[A_CACHEA] = cacheAt;
      a[A_CACHEZ2] = cacheAt + (data[0].m + 4) * hp * 8;
    }
  }

  lossAndGrad(
    data: number,
    theta: Float64Array,
    idx: Int32Array | null,
    from: number,
    count: number,
    grad: Float64Array,
  ): number {
    const c = this.cache;
    const cached = c !== null && c.valid && this.wholeSet(data, idx, count) && sameValues(c.theta, theta);
    const chunks = this.prepare(data, theta, idx, from, count, cached ? MODE_GRAD_CACHED : MODE_GRAD);
    if (cached) {
      this.sums = c.sums; // the forward pass's, at the same θ over the same rows
      this.cachedPasses++;
    }
    this.ex.sumChunks(this.ptr.G, chunks, this.p.gLen, this.p.gLen, this.ptr.Gsum);
    this.p.unpack(this.Gsum, grad);
    const sums = this.sums;
    if (sums) return sums.loss * (1 / count);
    return meanLoss(this.Z2, this.data[data].Y, idx, from, count, this.shape.K);
  }

  /**
   * After forward() or lossAndGrad() with one output (K = 1): Σ L over the pass's rows and how many the
   * network misclassifies, each summed in chunk order from the chunks' sums (computed beside z2 in
   * WebAssembly); null with K outputs or when a row's z2 is out of the range where they are computed
   * (|z2| > 700 or not finite): the caller sums the z2 it got (Σ within 1e-15 relative of the reference's).
   */
  lastSums(): { loss: number; wrong: number } | null {
    return this.sums;
  }

  /** The chunks' sums added in chunk order (K = 1), or null (see lastSums). */
  private chunkSums(chunks: number): { loss: number; wrong: number } | null {
    if (this.shape.K !== 1) return null;
    const st = this.stats;
    let loss = 0,
      wrong = 0,
      out = 0;
    for (let c = 0; c < chunks; c++) {
      loss += st[c * 4];
      wrong += st[c * 4 + 1];
      out += st[c * 4 + 2];
    }
    return out === 0 ? { loss, wrong } : null;
  }

  forward(
    data: number,
    theta: Float64Array,
    idx: Int32Array | null,
    from: number,
    count: number,
    out: Float64Array,
  ): void {
    const c = this.cache,
      keep = c !== null && this.wholeSet(data, idx, count);
    if (keep) c.valid = false; // rewritten now (other passes leave it)
    this.prepare(data, theta, idx, from, count, keep ? MODE_FORWARD_KEEP : MODE_FORWARD);
    if (keep) {
      c.theta.set(theta);
      c.sums = this.sums;
      c.valid = true;
    }
    out.set(this.Z2.subarray(0, count * this.shape.K));
  }

  /** Chunks computed by the worker threads so far (diagnostics; 0 without a pool). */
  get chunksByWorkers(): number {
    return this.pool?.chunksByWorkers ?? 0;
  }

  dispose(): void {
    this.pool?.dispose();
    this.pool = null;
  }

  /** Whether the rows are all of data set 0, in order (what the full-batch cache holds). */
  private wholeSet(data: number, idx: Int32Array | null, count: number): boolean {
    return data === 0 && idx === null && count === this.data[0].m;
  }

  /** Pack θ, write the rows and the argument block, run every chunk; returns the chunk count. */
  private prepare(
    data: number,
    theta: Float64Array,
    idx: Int32Array | null,
    from: number,
    count: number,
    mode: number,
  ): number {
    this.p.pack(theta, this.W1T, this.b1, this.W2, this.b2, true);
    if (idx) {
      this.idx.set(idx.subarray(from, from + count));
      this.identityRows = 0;
    } else if (this.identityRows < count) {
      for (let i = 0; i < count; i++) this.idx[i] = i;
      this.identityRows = count;
    }
    const chunks = chunkCount(count, this.shape);
    const a = this.argsI;
    a[A_X] = this.sets[data].X;
    a[A_Y] = this.sets[data].Y;
    a[A_COUNT] = count;
    a[A_CHUNKS] = chunks;
    a[A_MODE] = mode;
    this.argsF[A_SCALE / 2] = 1 / count;
    const work = count * this.p.hp * (this.p.np + this.shape.K);
    const forwardOnly = mode === MODE_FORWARD || mode === MODE_FORWARD_KEEP;
    if (this.threads > 1 && chunks > 1 && work >= (forwardOnly ? FORWARD_THREAD_MIN_WORK : THREAD_MIN_WORK)) {
      if (!this.pool)
        this.pool = new ChunkPool(this.module, this.memory, this.control, this.scratch, this.ex.chunk);
      this.pool.run(this.args, chunks);
    } else {
      for (let c = 0; c < chunks; c++) this.ex.chunk(this.args, c, this.scratch[0]);
    }
    this.sums = mode === MODE_GRAD_CACHED ? null : this.chunkSums(chunks);
    return chunks;
  }
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function layoutSize(s: BatchShape): number {
  return paramCount(s.n, s.h, s.K);
}
