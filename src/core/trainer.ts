/**
 * The training loop. One Trainer owns one network, one optimizer and one RNG,
 * and advances one optimizer step per call to step(). Everything random comes
 * from the seed, so the same data, settings and seed give a bit-identical
 * trajectory, and getState()/restore() resume it exactly.
 *
 * Optimizers and the samples each step uses:
 *   misclassified-sgd  one training point drawn uniformly among those the network
 *                      currently misclassifies (ŷ ≥ 0.5 predicts 1; K classes: the
 *                      largest output); plain update.
 *                      Converged when no training point is misclassified.
 *                      An "epoch" is m steps (for summaries only).
 *   sgd                one point per step, in a fresh shuffled order each epoch.
 *   batch              all m training points every step (one step per epoch).
 *   minibatch          shuffled batches of batchSize (the last may be smaller).
 *   momentum, rmsprop, adam
 *                      mini-batches as above (batchSize ≥ m means full batch),
 *                      with that update rule (see optimizers.ts).
 */
import { bceFromLogit } from './loss';
import { initParams } from './init';
import { Network, argmax, entryName, layout, paramCount } from './network';
import { type BatchKernel, type KernelKind, createBatchKernel, rowSums } from './kernels';
import { type SampleStep, sgdSampleStep } from './kernels/sample';
import { type WasmSampleStepper, createSampleStepper } from './kernels/sample-wasm';
import { Optimizer, type UpdateRule } from './optimizers';
import { Rng } from './rng';
import { type OptimizerName, type TrainConfig, resolveHidden } from './config';
import { validateConfig } from './settings';
import {
  type Divergence,
  type EpochSummary,
  type Metrics,
  type StepRecord,
  type TrainData,
  type TrainResult,
  type TrainStatus,
  type TrainerState,
} from './records';

export { DEFAULT_CONFIG, OPTIMIZERS, type OptimizerName, type TrainConfig } from './config';
export * from './records'; // the records' names, where they have always been importable from

const RULES: Record<OptimizerName, UpdateRule> = {
  'misclassified-sgd': 'plain',
  sgd: 'plain',
  batch: 'plain',
  minibatch: 'plain',
  momentum: 'momentum',
  rmsprop: 'rmsprop',
  adam: 'adam',
};

/**
 * Which engine computes a step: 'auto' (batches: the batched kernels, WebAssembly SIMD where
 * available, once a step is large enough to gain from them, the reference Network below
 * that; one example with the plain rule: WebAssembly); 'reference' (Network, or for one
 * example the fused JavaScript pass with the same bits); 'wasm' or 'js' (always that kernel
 * for batches; 'js' steps one example like 'reference').
 */
export type EngineChoice = 'auto' | 'reference' | KernelKind;

export interface TrainerOptions {
  /** Gradients from a derivation's formulas instead of the network's backward pass (always the reference engine). */
  gradient?: Trainer['gradient'];
  engine?: EngineChoice;
}

/** From this much work per batched step (rows × h × (n + 1)) 'auto' uses the batched kernels. */
export const FAST_MIN_WORK = 4096;

export class Trainer {
  readonly net: Network;
  readonly opt: Optimizer;
  rng: Rng;
  status: TrainStatus = 'running';
  reason = '';
  divergence: Divergence | null = null;
  stepCount = 0;
  epoch = 0;
  readonly history: EpochSummary[] = [];
  readonly record: StepRecord;
  /** The engine choice (see EngineChoice); a derivation's gradient forces 'reference'. */
  readonly engine: EngineChoice;
  private kernel: BatchKernel | null = null;
  /** Per-example plain SGD in WebAssembly (θ lives in its memory), or null. */
  private readonly stepper: WasmSampleStepper | null;

  private readonly grad: Float64Array;
  private readonly delta: Float64Array;
  private readonly prevTheta: Float64Array;
  private readonly order: Int32Array; // epoch order of training rows
  private readonly pick: Int32Array; // misclassified candidates, and the one-sample batch
  private cursor = 0; // position in order within the current epoch

  /**
   * Gradients from somewhere else than the network's own backward pass (a .deriv
   * file's formulas): mean loss over the rows, gradient written into grad.
   * When set, every step also computes the true gradient into record.trueGrad.
   */
  private readonly gradient:
    | ((
        net: Network,
        X: Float64Array,
        Y: Float64Array,
        idx: Int32Array | null,
        count: number,
        grad: Float64Array,
      ) => number)
    | null;

  /** The run's settings, with a concrete hidden width (hidden 0, automatic, resolved for the data's K: resolveHidden). */
  readonly config: TrainConfig;

  constructor(
    config: TrainConfig,
    readonly train: TrainData,
    readonly test: TrainData | null = null,
    theta?: Float64Array,
    options: TrainerOptions = {},
  ) {
    const { n, m } = train;
    const K = train.K ?? 1;
    config = this.config = resolveHidden(config, K);
    const h = config.hidden;
    validateConfig(config, m);
    this.rng = new Rng(config.seed);
    this.gradient = options.gradient ?? null;
    this.engine = this.gradient ? 'reference' : (options.engine ?? 'auto');
    // Per-example plain SGD in WebAssembly ('auto', 'wasm'); 'reference' and 'js' keep the fused JavaScript pass (the reference's bits).
    // Both are written for the binary network (K = 1); K classes take the reference per example.
    const wasmSteps =
      K === 1 && RULES[config.optimizer] === 'plain' && (this.engine === 'wasm' || this.engine === 'auto');
    // One example per step in a fresh order each epoch: advance() runs stretches of an epoch in one call (runSamples), on a copy of the rows.
    const oneRowSteps =
      config.optimizer === 'sgd' || (config.optimizer === 'minibatch' && Math.min(config.batchSize, m) === 1);
    this.stepper = wasmSteps
      ? createSampleStepper(n, h, config.activation, oneRowSteps ? train : null)
      : null;
    this.net = new Network(n, h, config.activation, this.stepper?.theta, K);
    if (theta) {
      if (theta.length !== paramCount(n, h, K))
        throw new RangeError(
          `the parameters have ${theta.length} entries; ${n} inputs, ${h} hidden units and ${K > 1 ? `${K} classes` : 'one output'} need ${paramCount(n, h, K)} (a model trained on other classes or columns?)`,
        );
      this.net.theta.set(theta);
    } else initParams(this.net.theta, n, h, config.init, this.rng, K);
    const P = paramCount(n, h, K);
    this.opt = new Optimizer(RULES[config.optimizer], P, { ...config });
    this.grad = new Float64Array(P);
    this.delta = new Float64Array(P);
    this.prevTheta = this.stepper ? this.stepper.prev : new Float64Array(P);
    this.order = this.stepper?.order ?? new Int32Array(m);
    for (let i = 0; i < m; i++) this.order[i] = i;
    this.pick = new Int32Array(m);
    this.record = {
      step: 0,
      epoch: 0,
      samples: this.pick.subarray(0, 0),
      x: new Float64Array(n),
      y: 0,
      z1: new Float64Array(h),
      a1: new Float64Array(h),
      z2: 0,
      a2: 0,
      dz2: 0,
      dz1: new Float64Array(h),
      z2k: new Float64Array(K),
      a2k: new Float64Array(K),
      dz2k: new Float64Array(K),
      loss: NaN,
      grad: this.grad,
      delta: this.delta,
      misclassified: -1,
      trueGrad: this.gradient ? new Float64Array(P) : null,
    };
  }

  /** Live change of the learning rate (takes effect at the next step). */
  setLearningRate(lr: number): void {
    if (!(lr > 0 && Number.isFinite(lr)))
      throw new RangeError(`learning rate must be a positive number, got ${lr}`);
    this.opt.hyper.lr = lr;
  }

  /** Indices of the training rows the network currently misclassifies, written into out; returns the count. */
  misclassifiedInto(out: Int32Array): number {
    const { X, Y, m, n } = this.train;
    let k = 0;
    const net = this.net;
    const K = net.K;
    const Z2 = this.fastForward(this.train);
    if (Z2 && K > 1) {
      for (let i = 0; i < m; i++) if (argmax(Z2, i * K, K) !== Y[i]) out[k++] = i; // the largest output is not the class
      return k;
    }
    if (Z2) {
      for (let i = 0; i < m; i++) if ((Z2[i] >= 0 ? 1 : 0) !== Y[i]) out[k++] = i;
      return k;
    }
    if (K > 1) {
      for (let i = 0; i < m; i++) {
        net.forward(X, i * n);
        if (net.predicted() !== Y[i]) out[k++] = i;
      }
      return k;
    }
    for (let i = 0; i < m; i++) {
      const z2 = net.forward(X, i * n);
      if ((z2 >= 0 ? 1 : 0) !== Y[i]) out[k++] = i; // ŷ ≥ 0.5 ⇔ z2 ≥ 0
    }
    return k;
  }

  /** One optimizer step. Returns the step's record, or null when the run has stopped (see status). */
  step(): StepRecord | null {
    return this.takeStep(true) ? this.record : null;
  }

  /**
   * Up to maxSteps optimizer steps in a tight loop; stops early when the run stops.
   * The same arithmetic as calling step() that many times (bit-identical θ, optimizer
   * state, RNG, history and status), but the step record is filled only once, for the
   * last step taken. Returns the number of steps taken.
   */
  advance(maxSteps: number): number {
    if (this.gradient) {
      // the derivation's path: every step as step() takes it
      let k = 0;
      while (k < maxSteps && this.step()) k++;
      return k;
    }
    const start = this.stepCount;
    this.pending = false;
    for (let k = 0; k < maxSteps && this.status === 'running'; ) {
      if (maxSteps - k > 1 && this.stepper?.order) {
        // all but the last step (its record is filled) in stretches of an epoch
        const took = this.runSamples(maxSteps - k - 1);
        if (took > 0) {
          k += took;
          continue;
        }
      }
      if (!this.takeStep(k === maxSteps - 1)) break;
      k++;
    }
    if (this.pending) this.fillPending();
    return this.stepCount - start;
  }

  /** Whether this epoch's order is already drawn (by runSamples) though no step of it was taken. */
  private drawn = false;

  /**
   * Up to budget one-example steps (sgd, or mini-batches of 1, with the plain rule) in one
   * call into WebAssembly (WasmSampleStepper.run), never past the epoch's end or the step
   * limit; then the bookkeeping takeStep and afterUpdate do for them (the same RNG draws,
   * counters, epoch summary and checks as that many takeStep calls). Returns the steps
   * taken; 0 when it took none (a limit is reached, or the first step stops the run):
   * takeStep then takes that step as usual.
   */
  private runSamples(budget: number): number {
    const { config: cfg, train } = this;
    const stepper = this.stepper!;
    if (cfg.optimizer === 'misclassified-sgd' || this.gradient || this.opt.rule !== 'plain') return 0;
    if ((cfg.maxSteps > 0 && this.stepCount >= cfg.maxSteps) || this.epoch >= cfg.epochs) return 0; // takeStep ends the run
    const m = train.m;
    if (this.cursor === 0 && !this.drawn) {
      this.rng.shuffle(this.order); // what takeStep draws before the epoch's first step
      this.drawn = true;
    }
    let count = Math.min(budget, m - this.cursor);
    if (cfg.maxSteps > 0) count = Math.min(count, cfg.maxSteps - this.stepCount);
    const done = count > 0 ? stepper.run(this.cursor, count, this.opt.hyper.lr) : 0;
    if (done === 0) return 0; // takeStep takes (and stops at) that step
    this.drawn = false;
    // as after `done` calls of takeStep: the last one remembered for its record, g and Δ computed when needed
    const last = this.cursor + done - 1;
    this.cursor += done;
    this.stepCount += done - 1;
    this.remember(this.order, last, 1, this.order[last], NaN, -1);
    this.stale = true;
    this.opt.t += done;
    this.afterUpdate(); // the last step's count, and the epoch's end
    return done;
  }

  /**
   * The step itself. fill: write the step record now; otherwise remember what
   * it needs (this.last*) and let advance() fill it from prevTheta at the end.
   * Returns false when no step was applied (see step()).
   */
  private takeStep(fill: boolean): boolean {
    if (this.status !== 'running') return false;
    const { config: cfg, train, net } = this;
    const m = train.m;
    let samples: Int32Array | null; // null: all rows in order
    let from = 0; // first sample's position in order (sgd, mini-batch)
    let count: number;
    let misclassified = -1;
    if (cfg.optimizer === 'misclassified-sgd') {
      misclassified = this.misclassifiedInto(this.pick);
      if (misclassified === 0) {
        this.summarizeEpoch();
        this.finish('converged', 'no training point is misclassified');
        return false;
      }
    }
    if (this.limitReached()) return false;

    switch (cfg.optimizer) {
      case 'misclassified-sgd':
        this.pick[0] = this.pick[this.rng.int(misclassified)];
        samples = this.pick;
        count = 1;
        break;
      case 'batch':
        samples = null;
        count = m;
        break;
      default: {
        const B = cfg.optimizer === 'sgd' ? 1 : Math.min(cfg.batchSize, m);
        if (this.cursor === 0 && !this.drawn) this.rng.shuffle(this.order);
        this.drawn = false;
        count = Math.min(B, m - this.cursor);
        from = this.cursor;
        samples = this.order;
        this.cursor += count;
      }
    }

    if (count === 1 && net.K === 1 && this.opt.rule === 'plain' && !this.gradient && (this.stepper || !fill))
      return this.fusedSampleStep(samples, from, misclassified, fill);
    this.materialize(); // a fused step before this one: its Δ may still be shown (loss divergence below)
    const loss = this.lossAndGrad(samples, from, count);
    if (!Number.isFinite(loss)) {
      this.diverge('loss');
      return false;
    }
    const first = samples ? samples[from] : 0;
    if (fill) {
      this.pending = false;
      this.fillRecord(samples, from, count, first, loss, misclassified, count > 1); // at θ before the update
    } else this.remember(samples, from, count, first, loss, misclassified);
    this.prevTheta.set(net.theta);
    this.opt.step(net.theta, this.grad, this.delta);
    const bad = firstNonFinite(net.theta);
    if (bad >= 0) {
      net.theta.set(this.prevTheta); // keep the last finite parameters
      this.diverge(entryName(bad, train.n, cfg.hidden, net.K));
      return false;
    }
    this.afterUpdate();
    return true;
  }

  private readonly sample: SampleStep = { z2: 0, bad: -1 };
  private sampleZ1: Float64Array | null = null;
  private sampleA1: Float64Array | null = null;

  /**
   * takeStep's computation for one example with the plain rule, fused: in JavaScript
   * (kernels/sample.ts: the reference's bits; advance() only) or in WebAssembly for larger
   * networks (kernels/sample-wasm.ts; step() and advance() alike). g, Δ and the loss are
   * computed afterwards from θ before the step (materialize), for the record when one is
   * filled (fill) and for epoch summaries.
   */
  private fusedSampleStep(
    samples: Int32Array | null,
    from: number,
    misclassified: number,
    fill: boolean,
  ): boolean {
    const { train, net, config: cfg, stepper } = this;
    const i = samples ? samples[from] : 0;
    const h = cfg.hidden,
      off = i * train.n,
      y = train.Y[i],
      lr = this.opt.hyper.lr;
    let z2: number, bad: number;
    if (stepper) {
      z2 = fill
        ? stepper.step(train.X, off, y, lr, this.grad, this.delta)
        : stepper.step(train.X, off, y, lr);
      bad = stepper.bad;
    } else {
      if (!this.sampleZ1) [this.sampleZ1, this.sampleA1] = [new Float64Array(h), new Float64Array(h)];
      sgdSampleStep(
        net.theta,
        train.n,
        h,
        cfg.activation,
        lr,
        train.X,
        off,
        y,
        this.prevTheta,
        this.sampleZ1,
        this.sampleA1!,
        this.sample,
      );
      z2 = this.sample.z2;
      bad = this.sample.bad;
    }
    if (!Number.isFinite(z2) || !Number.isFinite(y)) {
      this.materialize(); // the previous step's Δ for its record (prevTheta is still θ before it)
      if (stepper) stepper.gradient(train.X, off, y, lr, false, this.grad, null);
      else this.lossAndGrad(samples, from, 1); // the gradient the reference leaves behind
      this.diverge('loss');
      return false;
    }
    if (stepper && fill) {
      this.remember(samples, from, 1, i, bceFromLogit(z2, y), misclassified); // g and Δ written by the step
      this.stale = false;
    } else {
      this.remember(samples, from, 1, i, NaN, misclassified);
      this.stale = true; // g, Δ and the loss of this step are computed when needed (materialize)
    }
    this.opt.t++;
    if (bad >= 0) {
      this.diverge(entryName(bad, train.n, h));
      if (fill) this.fillPending();
      return false;
    }
    this.afterUpdate();
    if (fill) this.fillPending();
    return true;
  }

  /** Whether g and Δ (this.grad, this.delta) and lastLoss are still to be computed for the last fused step. */
  private stale = false;
  private readonly oneRow = new Int32Array(1);

  /**
   * g, Δ and the loss of the last fused step, recomputed by the reference at θ before it
   * (prevTheta): the same operations, so the same bits a step() would have left.
   */
  private materialize(): void {
    if (!this.stale) return;
    this.stale = false;
    const { X, Y, n } = this.train,
      i = this.lastFirst; // (samples may have moved on: misclassified-sgd's list)
    if (this.stepper) {
      const z2 = this.stepper.gradient(X, i * n, Y[i], this.opt.hyper.lr, true, this.grad, this.delta);
      this.lastLoss = bceFromLogit(z2, Y[i]);
      return;
    }
    const theta = this.net.theta;
    const now = this.thetaScratch ?? (this.thetaScratch = new Float64Array(theta.length));
    now.set(theta);
    theta.set(this.prevTheta);
    this.oneRow[0] = i;
    this.lastLoss = this.lossAndGrad(this.oneRow, 0, 1);
    theta.set(now);
    const m = -this.opt.hyper.lr;
    for (let k = 0; k < this.grad.length; k++) this.delta[k] = m * this.grad[k];
  }

  /** Count the step; at an epoch's end, summarise it and check the plateau and the limits. */
  private afterUpdate(): void {
    const cfg = this.config,
      m = this.train.m;
    this.stepCount++;
    const epochDone =
      cfg.optimizer === 'batch' ||
      (cfg.optimizer === 'misclassified-sgd' ? this.stepCount % m === 0 : this.cursor >= m);
    if (epochDone) {
      this.cursor = 0;
      this.epoch++;
      this.summarizeEpoch();
      this.checkPlateau();
      if (this.status === 'running') this.limitReached();
    }
  }

  /**
   * Mean loss over the step's rows (samples[from .. from+count), or rows 0..count when
   * samples is null) at the current θ, gradient into this.grad. A derivation's gradient
   * runs beside the network's true one; one sample goes through the reference network
   * without a subarray.
   */
  private lossAndGrad(samples: Int32Array | null, from: number, count: number): number {
    const { net, train } = this;
    const { X, Y } = train;
    if (this.gradient) {
      const idx = samples ? samples.subarray(from, from + count) : null;
      net.lossAndGrad(X, Y, idx, count, this.record.trueGrad!); // the truth, beside the formulas' gradient
      return this.gradient(net, X, Y, idx, count, this.grad);
    }
    if (count === 1) {
      // Network.lossAndGrad on one row, written out: the same operations in the same order.
      const i = samples ? samples[from] : 0;
      const off = i * train.n;
      const z2 = net.forward(X, off);
      const loss = net.K > 1 ? net.exampleLoss(Y[i]) : bceFromLogit(z2, Y[i]);
      this.grad.fill(0);
      net.backward(X, off, Y[i], this.grad, 1);
      return loss;
    }
    if (this.useKernel(count))
      return this.batchKernel().lossAndGrad(0, net.theta, samples, from, count, this.grad);
    return net.lossAndGrad(X, Y, samples ? samples.subarray(from, from + count) : null, count, this.grad);
  }

  /** Whether a batch of count rows goes through the batched kernels. */
  private useKernel(count: number): boolean {
    if (this.engine === 'reference' || count < 2) return false;
    return this.engine !== 'auto' || count * this.config.hidden * (this.train.n + 1) >= FAST_MIN_WORK;
  }

  private batchKernel(): BatchKernel {
    if (!this.kernel) {
      const { train, test, config } = this;
      const data = [train, ...(test && test.m > 0 ? [test] : [])];
      this.kernel = createBatchKernel(
        { n: train.n, h: config.hidden, K: this.net.K, activation: config.activation },
        data,
        {
          kind: this.engine === 'auto' ? undefined : (this.engine as KernelKind),
          threads: config.threads,
          cacheFullBatch:
            config.optimizer === 'batch' ||
            (config.optimizer !== 'sgd' &&
              config.optimizer !== 'misclassified-sgd' &&
              config.batchSize >= train.m),
        },
      );
    }
    return this.kernel;
  }

  private z2Scratch: Float64Array | null = null;
  /** z2 of every row of the training or test set through the batched kernels (K per row), or null when the reference computes it. */
  private fastForward(d: TrainData): Float64Array | null {
    const which = d === this.train ? 0 : d === this.test ? 1 : -1;
    if (which < 0 || d.m === 0 || !this.useKernel(d.m)) return null;
    const K = this.net.K;
    if (!this.z2Scratch || this.z2Scratch.length < d.m * K)
      this.z2Scratch = new Float64Array(Math.max(this.train.m, this.test?.m ?? 0) * K);
    this.batchKernel().forward(which, this.net.theta, null, 0, d.m, this.z2Scratch);
    return this.z2Scratch;
  }

  /**
   * Ends the worker threads of the batched kernels, if any were started (they never keep a
   * process alive, but hold memory). The trainer stays usable: a later batched step starts
   * them again. run() calls it when the run stops.
   */
  dispose(): void {
    this.kernel?.dispose();
  }

  /** Step until the run stops or shouldStop() says so (checked every step). Without onStep, steps go through advance(). */
  run(
    opts: {
      onStep?: (r: StepRecord) => void;
      onEpoch?: (e: EpochSummary) => void;
      shouldStop?: () => boolean;
    } = {},
  ): TrainResult {
    let seen = this.history.length;
    const slice = opts.shouldStop ? 1 : 4096;
    while (this.status === 'running') {
      if (opts.shouldStop?.()) {
        this.cancel();
        break;
      }
      if (opts.onStep) {
        const r = this.step();
        if (r) opts.onStep(r);
      } else {
        this.advance(slice);
      }
      while (opts.onEpoch && seen < this.history.length) opts.onEpoch(this.history[seen++]);
    }
    while (opts.onEpoch && seen < this.history.length) opts.onEpoch(this.history[seen++]);
    const result = this.result();
    this.dispose();
    return result;
  }

  /** Stop the run as cancelled; parameters and history are kept. */
  cancel(): void {
    if (this.status === 'running') this.finish('cancelled', 'cancelled by the user');
  }

  /** Loss, accuracy and misclassified count of the current network on a data set. */
  evaluate(d: TrainData): Metrics {
    const { X, Y, m, n } = d;
    let loss = 0,
      wrong = 0;
    const net = this.net;
    const K = net.K;
    const Z2 = this.fastForward(d);
    if (Z2) {
      // the kernel's sums beside z2 (one output, WebAssembly), else the same sums over z2 in row order
      ({ loss, wrong } = this.kernel!.lastSums() ?? rowSums(Z2, Y, null, 0, m, K));
      return { loss: m ? loss / m : NaN, accuracy: m ? (m - wrong) / m : NaN, misclassified: wrong, m };
    }
    if (K > 1) {
      for (let i = 0; i < m; i++) {
        net.forward(X, i * n);
        loss += net.exampleLoss(Y[i]);
        if (net.predicted() !== Y[i]) wrong++;
      }
      return { loss: m ? loss / m : NaN, accuracy: m ? (m - wrong) / m : NaN, misclassified: wrong, m };
    }
    for (let i = 0; i < m; i++) {
      const z2 = this.net.forward(X, i * n);
      loss += bceFromLogit(z2, Y[i]);
      if ((z2 >= 0 ? 1 : 0) !== Y[i]) wrong++;
    }
    return { loss: m ? loss / m : NaN, accuracy: m ? (m - wrong) / m : NaN, misclassified: wrong, m };
  }

  result(): TrainResult {
    return {
      status: this.status,
      reason: this.reason,
      steps: this.stepCount,
      epochs: this.epoch,
      train: this.evaluate(this.train),
      test: this.test && this.test.m > 0 ? this.evaluate(this.test) : null,
      divergence: this.divergence,
    };
  }

  /** The state to continue exactly; `historyFrom` leaves out the epoch summaries before that index (already saved elsewhere). */
  getState(historyFrom = 0): TrainerState {
    return {
      config: { ...this.config, lr: this.opt.hyper.lr },
      n: this.train.n,
      ...(this.net.K > 1 ? { K: this.net.K } : {}),
      step: this.stepCount,
      epoch: this.epoch,
      cursor: this.cursor,
      order: Array.from(this.order),
      theta: Array.from(this.net.theta),
      optimizer: this.opt.state(),
      rng: this.rng.state(),
      history: this.history.slice(historyFrom).map((e) => ({
        ...e,
        params: { W: [...e.params.W], dW: [...e.params.dW], ratio: [...e.params.ratio] },
      })),
      status: this.status,
      reason: this.reason,
      divergence: this.divergence,
    };
  }

  /** A trainer that continues exactly where getState() was taken, on the same data. */
  static restore(
    state: TrainerState,
    train: TrainData,
    test: TrainData | null = null,
    options: TrainerOptions = {},
  ): Trainer {
    if (state.n !== train.n) throw new Error(`state is for ${state.n} features, data has ${train.n}`);
    if (state.order.length !== train.m)
      throw new Error(`state is for ${state.order.length} training rows, data has ${train.m}`);
    if ((state.K ?? 1) !== (train.K ?? 1))
      throw new Error(`state is for ${state.K ?? 1} outputs, data has ${train.K ?? 1}`);
    const t = new Trainer(
      { ...state.config, threads: state.config.threads ?? 0 },
      train,
      test,
      Float64Array.from(state.theta),
      options,
    );
    t.stepCount = state.step;
    t.epoch = state.epoch;
    t.cursor = state.cursor;
    t.order.set(state.order);
    t.opt.restore(state.optimizer);
    t.rng = Rng.fromState(state.rng);
    t.history.push(...state.history);
    t.status = state.status;
    t.reason = state.reason;
    t.divergence = state.divergence;
    return t;
  }

  private limitReached(): boolean {
    const { maxSteps, epochs } = this.config;
    if (maxSteps > 0 && this.stepCount >= maxSteps) {
      this.finish('completed', `reached the step limit (${maxSteps})`);
      return true;
    }
    if (this.epoch >= epochs) {
      this.finish('completed', `reached the epoch limit (${epochs})`);
      return true;
    }
    return false;
  }

  private checkPlateau(): void {
    const K = this.config.plateauEpochs;
    const H = this.history;
    if (K <= 0 || H.length <= K) return;
    const drop = H[H.length - 1 - K].train.loss - H[H.length - 1].train.loss;
    if (drop < this.config.plateauTol) {
      this.finish(
        'plateau',
        `training loss fell by ${drop.toExponential(2)} < ${this.config.plateauTol} over the last ${K} epochs`,
      );
    }
  }

  private summarizeEpoch(): void {
    this.materialize(); // the summary reads g and Δ
    let g2 = 0;
    for (let i = 0; i < this.grad.length; i++) g2 += this.grad[i] * this.grad[i];
    const params = { W: [] as number[], dW: [] as number[], ratio: [] as number[] };
    for (const b of layout(this.train.n, this.config.hidden, this.net.K)) {
      let w = 0,
        g = 0,
        d = 0;
      for (let i = b.offset; i < b.offset + b.rows * b.cols; i++) {
        w += this.net.theta[i] ** 2;
        g += this.grad[i] ** 2;
        d += this.delta[i] ** 2;
      }
      params.W.push(Math.sqrt(w));
      params.dW.push(Math.sqrt(g));
      params.ratio.push(w > 0 ? Math.sqrt(d / w) : NaN);
    }
    this.history.push({
      epoch: this.epoch,
      step: this.stepCount,
      train: this.evaluate(this.train),
      test: this.test && this.test.m > 0 ? this.evaluate(this.test) : null,
      gradNorm: Math.sqrt(g2),
      params,
    });
  }

  private diverge(param: string): null {
    this.divergence = { step: this.stepCount + 1, param };
    this.finish(
      'diverged',
      `non-finite ${param} at step ${this.stepCount + 1}; the last finite parameters are kept`,
    );
    return null;
  }

  private finish(status: TrainStatus, reason: string): void {
    this.status = status;
    this.reason = reason;
  }

  /** Fill the step record; called after lossAndGrad and before the update, so θ is the pre-update θ. */
  private fillRecord(
    samples: Int32Array | null,
    from: number,
    count: number,
    first: number,
    loss: number,
    misclassified: number,
    recompute: boolean,
  ): void {
    const r = this.record;
    const { X, Y, n } = this.train;
    const net = this.net;
    r.step = this.stepCount + 1;
    r.epoch = this.epoch;
    r.samples = samples ? samples.subarray(from, from + count) : this.allRows();
    r.x.set(X.subarray(first * n, first * n + n));
    r.y = Y[first];
    if (recompute) {
      // The forward cache holds another row (the batch's last, or none); the record shows the first.
      net.forward(X, first * n);
      net.signals(Y[first]);
    }
    r.z1.set(net.z1);
    r.a1.set(net.a1);
    r.z2 = net.z2;
    r.a2 = net.a2;
    r.dz2 = net.dz2;
    r.z2k.set(net.z2k);
    r.a2k.set(net.a2k);
    r.dz2k.set(net.dz2k);
    r.dz1.set(net.dz1);
    r.loss = loss;
    r.misclassified = misclassified;
  }

  // What advance() needs to fill the record of its last step afterwards (θ before that step is prevTheta).
  private pending = false;
  private lastSamples: Int32Array | null = null;
  private lastFrom = 0;
  private lastCount = 0;
  private lastFirst = 0;
  private lastLoss = NaN;
  private lastMisclassified = -1;
  private lastStep = 0;
  private lastEpoch = 0;

  private remember(
    samples: Int32Array | null,
    from: number,
    count: number,
    first: number,
    loss: number,
    misclassified: number,
  ): void {
    this.pending = true;
    this.lastSamples = samples;
    this.lastFrom = from;
    this.lastCount = count;
    this.lastFirst = first;
    this.lastLoss = loss;
    this.lastMisclassified = misclassified;
    this.lastStep = this.stepCount;
    this.lastEpoch = this.epoch;
  }

  /** The record of the last remembered step, computed at θ before it (prevTheta), as step() would have filled it. */
  private fillPending(): void {
    this.materialize();
    this.pending = false;
    const theta = this.net.theta;
    const now = this.thetaScratch ?? (this.thetaScratch = new Float64Array(theta.length));
    now.set(theta);
    theta.set(this.prevTheta);
    const [step, epoch] = [this.stepCount, this.epoch];
    this.stepCount = this.lastStep;
    this.epoch = this.lastEpoch;
    this.fillRecord(
      this.lastSamples,
      this.lastFrom,
      this.lastCount,
      this.lastFirst,
      this.lastLoss,
      this.lastMisclassified,
      true,
    );
    this.stepCount = step;
    this.epoch = epoch;
    theta.set(now);
  }
  private thetaScratch: Float64Array | null = null;

  private allRowsCache: Int32Array | null = null;
  private allRows(): Int32Array {
    if (!this.allRowsCache) this.allRowsCache = Int32Array.from({ length: this.train.m }, (_, i) => i);
    return this.allRowsCache;
  }
}

function firstNonFinite(a: Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/**
 * The confusion matrix of the network on a data set: C[t][p] rows of true class t predicted as p
 * (classes 0..C−1 with C = max(2, K): the binary network's 0 and 1, or the K classes).
 */
export function confusionMatrix(net: Network, d: TrainData): number[][] {
  const C = Math.max(2, net.K);
  const out = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < d.m; i++) {
    net.forward(d.X, i * d.n);
    out[d.Y[i]][net.predicted()]++;
  }
  return out;
}
