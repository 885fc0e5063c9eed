/**
 * The fast paths of issue #9 against what they replace: the written-out shuffle against the
 * shuffle by int() draws, the stretches of per-example steps (advance() without a watcher)
 * against the reference network and against step() by step(), the full-batch reuse against a
 * trainer that recomputes every step.
 */
import { noisyLinear } from '../../src/data/synthetic';
import { strict as assert } from 'node:assert';
import { ACTIVATIONS } from '../../src/core/activations';
import { createBatchKernel } from '../../src/core/kernels';
import { Rng } from '../../src/core/rng';
import {
  DEFAULT_CONFIG,
  Trainer,
  copyStep,
  type StepRecord,
  type TrainConfig,
  type TrainData,
} from '../../src/core/trainer';

const randomData: (rng: Rng, m: number, n: number) => TrainData = noisyLinear;

const cfg = (over: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_CONFIG, ...over });

/** max |a − b| ≤ tol · max |b| over the entries. */
function vecClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let scale = 0,
    diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  assert.ok(diff <= tol * scale, `${what}: max difference ${diff} (max |entry| ${scale})`);
}

function relClose(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${what}: ${a} vs ${b}`);
}

/** The independent reference: Fisher–Yates with a call of int() per element. */
function shuffleByInt(rng: Rng, a: Int32Array | number[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

describe('Rng.shuffle: the written-out draws', () => {
  it('the same order and the same generator state as a call of int() per element (sizes 0 to 3·10⁶, rejections included)', () => {
    const sizes = [0, 1, 2, 3, 4, 5, 17, 400, 569, 1000, 65_537, 3_000_000];
    for (const seed of [0, 1, -7, 123456789, 2 ** 31 - 1])
      for (const m of seed === 1 ? sizes : sizes.slice(0, -1)) {
        const a = new Rng(seed),
          b = new Rng(seed);
        a.float(); // some draws before, so the state is not the seed's
        b.float();
        const x = Int32Array.from({ length: m }, (_, i) => i),
          y = x.slice();
        a.shuffle(x);
        shuffleByInt(b, y);
        assert.deepEqual(x, y, `seed ${seed}, ${m} elements: order`);
        assert.deepEqual(a.state(), b.state(), `seed ${seed}, ${m} elements: state`);
        assert.equal(a.int(1000), b.int(1000));
        // and from a restored state (JSON), twice in a row
        const c = Rng.fromState(JSON.parse(JSON.stringify(a.state()))),
          d = Rng.fromState(a.state());
        const u = Array.from({ length: Math.min(m, 1000) }, (_, i) => i),
          v = u.slice();
        c.shuffle(u);
        shuffleByInt(d, v);
        c.shuffle(u);
        shuffleByInt(d, v);
        assert.deepEqual(u, v);
        assert.deepEqual(c.state(), d.state());
      }
  });
});

describe('per-example steps in stretches (advance without a watcher)', () => {
  /** Everything observable: θ, optimizer state, RNG, counters, history, status, the last record. */
  function observe(t: Trainer) {
    const r: StepRecord = copyStep(t.record);
    return { state: t.getState(), record: { ...r, trueGrad: null } };
  }

  it('random configurations: θ, every epoch summary and the last step record within 1e-10 of the reference network; bit-identical to step() by step()', function () {
    this.timeout(120_000);
    const rng = new Rng(2024);
    for (let trial = 0; trial < 12; trial++) {
      const n = 1 + rng.int(40),
        h = 1 + rng.int(70),
        m = 5 + rng.int(300);
      const activation = ACTIVATIONS[trial % 3];
      const d = randomData(rng, m, n);
      const c = cfg({
        optimizer: trial % 4 === 3 ? 'minibatch' : 'sgd',
        batchSize: 1,
        hidden: h,
        activation,
        lr: 0.01 + 0.1 * rng.float(),
        epochs: 1 + rng.int(4),
        maxSteps: trial % 2 ? 0 : 1 + rng.int(3 * m), // a step limit inside an epoch, or none
        seed: trial,
      });
      const what = `trial ${trial}: n=${n} h=${h} m=${m} ${activation} ${c.optimizer} epochs ${c.epochs} maxSteps ${c.maxSteps}`;
      const ref = new Trainer(c, d, null, undefined, { engine: 'reference' });
      while (ref.step());
      const fast = new Trainer(c, d); // 'auto': per-example steps in WebAssembly, stretches of an epoch in one call
      const slice = 1 + rng.int(2 * m);
      while (fast.advance(slice) > 0);
      assert.equal(fast.status, ref.status, what);
      assert.equal(fast.stepCount, ref.stepCount, what);
      vecClose(fast.net.theta, ref.net.theta, 1e-10, `${what}: θ`);
      assert.equal(fast.history.length, ref.history.length, what);
      for (let e = 0; e < ref.history.length; e++) {
        relClose(fast.history[e].train.loss, ref.history[e].train.loss, 1e-10, `${what}: epoch ${e} loss`);
        assert.equal(fast.history[e].step, ref.history[e].step);
        relClose(fast.history[e].gradNorm, ref.history[e].gradNorm, 1e-8, `${what}: epoch ${e} ‖g‖`);
      }
      const [rf, rr] = [fast.record, ref.record];
      assert.equal(rf.step, rr.step, what);
      assert.deepEqual(Array.from(rf.samples), Array.from(rr.samples), what);
      relClose(rf.loss, rr.loss, 1e-10, `${what}: record loss`);
      vecClose(rf.grad, rr.grad, 1e-8, `${what}: record g`);
      vecClose(rf.delta, rr.delta, 1e-8, `${what}: record Δ`);
      vecClose(rf.z1, rr.z1, 1e-10, `${what}: record z1`);
      // the same engine step() by step(): the same bits
      const stepwise = new Trainer(c, d);
      while (stepwise.step());
      assert.deepEqual(observe(fast), observe(stepwise), what);
      // and a pause (state saved) anywhere, resumed by advance()
      const part = new Trainer(c, d);
      part.advance(rng.int(fast.stepCount + 1));
      const resumed = Trainer.restore(JSON.parse(JSON.stringify(part.getState())), d);
      while (resumed.advance(slice) > 0);
      assert.deepEqual(observe(resumed).state, observe(fast).state, `${what}: resumed`);
    }
  });

  it('a user edit of θ, a new learning rate and step() between stretches: the same as step() by step()', () => {
    const rng = new Rng(5);
    const d = randomData(rng, 90, 7);
    const c = cfg({ optimizer: 'sgd', hidden: 9, lr: 0.05, epochs: 6, seed: 3 });
    const a = new Trainer(c, d),
      b = new Trainer(c, d);
    const edit = (t: Trainer, k: number) => {
      if (k === 1) t.net.theta[3] += 0.25;
      if (k === 2) t.setLearningRate(0.2);
    };
    for (let k = 0; k < 5; k++) {
      for (let s = 0; s < 37; s++) a.step();
      b.advance(36);
      b.step();
      edit(a, k);
      edit(b, k);
    }
    while (a.step());
    while (b.advance(50) > 0);
    assert.deepEqual(Array.from(b.net.theta), Array.from(a.net.theta));
    assert.deepEqual(b.getState(), a.getState());
  });
});

describe('full batch: the evaluation keeps the hidden layer for the next step', () => {
  it('with a test set (evaluated between the two passes): every step after the first uses the kept layer; within 1e-10 of the reference network', () => {
    const rng = new Rng(78);
    for (const activation of ACTIVATIONS) {
      const d = randomData(rng, 900, 12),
        test = randomData(rng, 200, 12);
      const c = cfg({ optimizer: 'batch', hidden: 40, activation, lr: 0.5, epochs: 7, threads: 2, seed: 4 });
      const fast = new Trainer(c, d, test, undefined, { engine: 'wasm' });
      const ref = new Trainer(c, d, test, undefined, { engine: 'reference' });
      while (fast.step());
      while (ref.step());
      assert.equal(fast.stepCount, 7);
      assert.equal(
        (fast as unknown as { kernel: { cachedPasses: number } }).kernel.cachedPasses,
        6,
        activation,
      );
      vecClose(fast.net.theta, ref.net.theta, 1e-10, `${activation}: θ`);
      for (let e = 0; e < ref.history.length; e++) {
        relClose(
          fast.history[e].train.loss,
          ref.history[e].train.loss,
          1e-10,
          `${activation}: epoch ${e} train`,
        );
        relClose(
          fast.history[e].test!.loss,
          ref.history[e].test!.loss,
          1e-10,
          `${activation}: epoch ${e} test`,
        );
        assert.equal(fast.history[e].train.misclassified, ref.history[e].train.misclassified);
      }
      fast.dispose();
    }
  });

  it('random shapes, every activation, K = 1 and K = 3, 1 and 2 threads: each step the same bits as the kernels without the cache, and within 1e-10 of the reference network', function () {
    this.timeout(120_000);
    const rng = new Rng(77);
    for (let trial = 0; trial < 6; trial++) {
      const activation = ACTIVATIONS[trial % 3];
      const K = trial % 2 ? 3 : 1;
      const n = 3 + rng.int(30),
        h = 5 + rng.int(60),
        m = 700 + rng.int(2500);
      const d = randomData(rng, m, n);
      if (K > 1) {
        d.K = K;
        for (let i = 0; i < m; i++) d.Y[i] = rng.int(K);
      }
      const threads = 1 + (trial % 2);
      const c = cfg({ optimizer: 'batch', hidden: h, activation, lr: 0.5, epochs: 9, threads, seed: trial });
      const what = `trial ${trial}: n=${n} h=${h} m=${m} K=${K} ${activation}, ${threads} threads`;
      const fast = new Trainer(c, d, null, undefined, { engine: 'wasm' });
      const ref = new Trainer(c, d, null, undefined, { engine: 'reference' });
      // the same steps on kernels without the cache: a minibatch trainer whose batch is every row in order is not
      // what the trainer offers, so the kernel is driven by hand: θ −= lr·g at each step
      const bare = createBatchKernel({ n, h, K, activation }, [d], { kind: 'wasm', threads });
      const theta = fast.net.theta.slice();
      const g = new Float64Array(theta.length);
      for (let s = 0; s < 8; s++) {
        const loss = bare.lossAndGrad(0, theta, null, 0, m, g);
        for (let i = 0; i < theta.length; i++) theta[i] += -c.lr * g[i];
        const r = fast.step()!;
        ref.step();
        assert.equal(r.loss, loss, `${what}: step ${s + 1} loss`);
        assert.deepEqual(Array.from(fast.net.theta), Array.from(theta), `${what}: step ${s + 1} θ`);
        assert.deepEqual(Array.from(r.grad), Array.from(g), `${what}: step ${s + 1} g`);
        relClose(r.loss, ref.record.loss, 1e-10, `${what}: step ${s + 1} loss against the reference`);
        vecClose(fast.net.theta, ref.net.theta, 1e-10, `${what}: step ${s + 1} θ against the reference`);
      }
      assert.equal(fast.history.length, ref.history.length);
      for (let e = 0; e < ref.history.length; e++)
        relClose(fast.history[e].train.loss, ref.history[e].train.loss, 1e-10, `${what}: epoch ${e}`);
      // a user edit of θ between steps: the cache is not used for the edited θ
      fast.net.theta[0] += 0.125;
      theta[0] += 0.125;
      const loss = bare.lossAndGrad(0, theta, null, 0, m, g);
      assert.equal(fast.step()!.loss, loss, `${what}: after an edit`);
      bare.dispose();
      fast.dispose();
    }
  });
});
