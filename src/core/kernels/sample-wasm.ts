/**
 * Per-example plain SGD in WebAssembly SIMD (assembly/kernels.ts, sampleStep) for larger
 * networks: θ lives in the module's memory (the trainer's Network reads it through a
 * view), so a step costs no copy of θ. The arithmetic is that of sample.ts with the
 * sums over features and units done in pairs, so it agrees with the reference within
 * rounding (tested), and step() and advance() both use it: they stay bit-identical.
 */
import type { Activation } from '../activations';
import { paramCount } from '../network';
import { CONST_BYTES, kernelsModule } from './wasm';

interface SampleExports {
  setConstants(ptr: number): void;
  sampleStep(
    theta: number,
    n: number,
    h: number,
    act: number,
    lr: number,
    x: number,
    y: number,
    prev: number,
    grad: number,
    delta: number,
    scratch: number,
    status: number,
    consts: number,
    mode: number,
  ): number;
  sampleRun(
    theta: number,
    n: number,
    h: number,
    act: number,
    lr: number,
    X: number,
    Y: number,
    order: number,
    from: number,
    count: number,
    prev: number,
    alt: number,
    scratch: number,
    status: number,
    consts: number,
  ): number;
}

/** A training set (row-major m×n, labels) copied into the stepper's memory for run(). */
export interface StepperData {
  X: Float64Array;
  Y: Float64Array;
  m: number;
}

/** The most bytes of training data a stepper copies into its memory (more: no run(), one step at a time). */
export const MAX_STEPPER_DATA_BYTES = 256 * 2 ** 20;

const ACT = { sigmoid: 0, tanh: 1, relu: 2 } as const;
const PAGE = 65536;

export class WasmSampleStepper {
  /** θ = [W1 | b1 | W2 | b2] in the module's memory. */
  readonly theta: Float64Array;
  /** θ before the last step (written by step()). */
  readonly prev: Float64Array;
  /** After step() or run(): the first entry of the new θ that was not finite (θ then restored), or −1. */
  bad = -1;
  /**
   * The epoch order of the training rows in the module's memory (the trainer's own order
   * array), when the training set was copied in (see run()); else null.
   */
  readonly order: Int32Array | null = null;
  private readonly ex: SampleExports;
  private readonly x: Float64Array;
  private readonly g: Float64Array;
  private readonly d: Float64Array;
  private readonly status: Int32Array;
  private readonly at: {
    theta: number;
    prev: number;
    x: number;
    grad: number;
    delta: number;
    scratch: number;
    status: number;
    consts: number;
    X: number;
    Y: number;
    order: number;
    alt: number;
  };
  private readonly act: number;

  constructor(
    module: WebAssembly.Module,
    readonly n: number,
    readonly h: number,
    activation: Activation,
    data: StepperData | null = null,
  ) {
    const P = paramCount(n, h);
    let top = PAGE;
    const take = (bytes: number) => {
      const a = top;
      top += Math.ceil(bytes / 64) * 64;
      return a;
    };
    this.at = {
      consts: take(CONST_BYTES),
      theta: take(P * 8),
      prev: take(P * 8),
      grad: take(P * 8),
      delta: take(P * 8),
      x: take((n + 2) * 8),
      scratch: take(3 * (h + 2) * 8),
      status: take(16),
      X: 0,
      Y: 0,
      order: 0,
      alt: 0,
    };
    const copy = data !== null && data.m > 0 && data.m * (n + 2) * 8 <= MAX_STEPPER_DATA_BYTES;
    if (copy) {
      this.at.X = take(data.m * n * 8);
      this.at.Y = take(data.m * 8);
      this.at.order = take(data.m * 4);
      this.at.alt = take(P * 8);
    }
    const pages = Math.ceil(top / PAGE);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SampleExports;
    this.ex.setConstants(this.at.consts);
    const buf = memory.buffer;
    this.theta = new Float64Array(buf, this.at.theta, P);
    this.prev = new Float64Array(buf, this.at.prev, P);
    this.g = new Float64Array(buf, this.at.grad, P);
    this.d = new Float64Array(buf, this.at.delta, P);
    this.x = new Float64Array(buf, this.at.x, n);
    this.status = new Int32Array(buf, this.at.status, 1);
    this.act = ACT[activation];
    if (copy) {
      new Float64Array(buf, this.at.X, data.m * n).set(data.X.subarray(0, data.m * n));
      new Float64Array(buf, this.at.Y, data.m).set(data.Y.subarray(0, data.m));
      this.order = new Int32Array(buf, this.at.order, data.m);
    }
  }

  /**
   * Steps on the training rows order[from .. from+count) one after another at learning rate
   * lr, each the same bits as step() on that row (needs the training set copied in: order
   * not null). Stops before a step whose z2 or label is not finite and after one whose new
   * θ is not finite (θ restored, bad set): that step is not counted, and step() on the same
   * row does it again (the same outcome). Returns the steps applied; prev is θ before the
   * last one (when all were applied).
   */
  run(from: number, count: number, lr: number): number {
    const at = this.at;
    const done = this.ex.sampleRun(
      at.theta,
      this.n,
      this.h,
      this.act,
      lr,
      at.X,
      at.Y,
      at.order,
      from,
      count,
      at.prev,
      at.alt,
      at.scratch,
      at.status,
      at.consts,
    );
    this.bad = this.status[0];
    return done;
  }

  /**
   * One step on example X[off .. off+n) with label y at learning rate lr; returns z2 (θ
   * untouched when it is not finite). With grad and delta, also the step's gradient and Δ
   * (the same values gradient() gives at θ before the step).
   */
  step(
    X: Float64Array,
    off: number,
    y: number,
    lr: number,
    grad: Float64Array | null = null,
    delta: Float64Array | null = null,
  ): number {
    const { n, x, at } = this;
    for (let k = 0; k < n; k++) x[k] = X[off + k];
    this.status[0] = -1;
    const keep = grad !== null && delta !== null;
    const z2 = this.ex.sampleStep(
      at.theta,
      n,
      this.h,
      this.act,
      lr,
      at.x,
      y,
      at.prev,
      at.grad,
      at.delta,
      at.scratch,
      at.status,
      at.consts,
      keep ? 2 : 0,
    );
    this.bad = this.status[0];
    if (keep && Number.isFinite(z2) && Number.isFinite(y)) {
      grad.set(this.g);
      delta.set(this.d);
    }
    return z2;
  }

  /**
   * The gradient of that example (into grad) and Δ = −lr·g (into delta, when given), at θ
   * or at prev (θ before the last step); returns z2 there.
   */
  gradient(
    X: Float64Array,
    off: number,
    y: number,
    lr: number,
    atPrev: boolean,
    grad: Float64Array,
    delta: Float64Array | null,
  ): number {
    const { n, x, at } = this;
    for (let k = 0; k < n; k++) x[k] = X[off + k];
    const z2 = this.ex.sampleStep(
      atPrev ? at.prev : at.theta,
      n,
      this.h,
      this.act,
      lr,
      at.x,
      y,
      at.prev,
      at.grad,
      at.delta,
      at.scratch,
      at.status,
      at.consts,
      1,
    );
    if (Number.isFinite(z2) && Number.isFinite(y)) {
      grad.set(this.g);
      if (delta) delta.set(this.d);
    } else {
      grad.fill(NaN); // no finite gradient at a non-finite loss
      delta?.fill(NaN);
    }
    return z2;
  }
}

/** A stepper when WebAssembly SIMD is available, else null; with data, the training set copied in for run(). */
export function createSampleStepper(
  n: number,
  h: number,
  activation: Activation,
  data: StepperData | null = null,
): WasmSampleStepper | null {
  const module = kernelsModule();
  return module ? new WasmSampleStepper(module, n, h, activation, data) : null;
}
