import { strict as assert } from 'node:assert';
import { Optimizer, DEFAULT_HYPER, type UpdateRule } from '../../src/core/optimizers';
import { DEFAULT_CONFIG, Trainer, type TrainConfig, type TrainData } from '../../src/core/trainer';
import { flower } from '../../src/data/synthetic';
import { Rng } from '../../src/core/rng';

const close = (a: number, b: number, tol = 1e-14, what = '') =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} ≠ ${b}`);

describe('optimizers: the first two steps against hand-computed values', () => {
  // θ₀ = (1, −1), α = 0.1, g₁ = (0.5, −0.2), g₂ = (0.1, 0.3). References computed with
  // Python floats straight from the textbook formulas (see optimizers.ts).
  const cases: Array<[UpdateRule, number[][]]> = [
    [
      'momentum',
      [
        [0.95, -0.98],
        [0.8949999999999999, -0.992],
      ],
    ],
    [
      'rmsprop',
      [
        [0.6837722539831608, -0.6837722839831541],
        [0.6185394509331354, -0.9510335020860569],
      ],
    ],
    [
      'adam',
      [
        [0.9000000019999999, -0.9000000049999997],
        [0.8196959063846516, -0.9247701856419428],
      ],
    ],
    [
      'plain',
      [
        [0.95, -0.98],
        [0.94, -1.01],
      ],
    ],
  ];
  for (const [rule, expected] of cases) {
    it(rule, () => {
      const opt = new Optimizer(rule, 2, { lr: 0.1, ...DEFAULT_HYPER });
      const theta = Float64Array.from([1, -1]);
      const delta = new Float64Array(2);
      const grads = [
        [0.5, -0.2],
        [0.1, 0.3],
      ];
      for (let t = 0; t < 2; t++) {
        const before = theta.slice();
        opt.step(theta, Float64Array.from(grads[t]), delta);
        close(theta[0], expected[t][0], 1e-14, `${rule} step ${t + 1} θ0`);
        close(theta[1], expected[t][1], 1e-14, `${rule} step ${t + 1} θ1`);
        for (let i = 0; i < 2; i++) close(delta[i], theta[i] - before[i], 1e-15, 'Δ is the applied change');
      }
    });
  }
  it('Adam divides by the bias correction: the first step is ≈ α·sign(g) whatever |g|', () => {
    for (const g of [1e-3, 1, 1e6]) {
      // (|g| ≫ ε = 1e-8)
      const opt = new Optimizer('adam', 1, { lr: 0.01, ...DEFAULT_HYPER });
      const theta = Float64Array.from([0]);
      opt.step(theta, Float64Array.from([g]), new Float64Array(1));
      close(theta[0], -0.01, 1e-5, `g=${g}`);
    }
  });
});

function data(P: { X: Float64Array; Y: Float64Array }): TrainData {
  return { X: P.X, Y: P.Y, m: P.Y.length, n: P.X.length / P.Y.length };
}

/** A linearly separable set: label 1 iff 2·x0 − x1 + 0.3 > 0, points at least 0.1 from the line. */
function separable(seed: number, m: number): TrainData {
  const rng = new Rng(seed);
  const X = new Float64Array(2 * m),
    Y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let u, v, s;
    do {
      u = 2 * rng.float() - 1;
      v = 2 * rng.float() - 1;
      s = 2 * u - v + 0.3;
    } while (Math.abs(s) < 0.1 * Math.sqrt(5));
    X[2 * i] = u;
    X[2 * i + 1] = v;
    Y[i] = s > 0 ? 1 : 0;
  }
  return { X, Y, m, n: 2 };
}

const cfg = (over: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_CONFIG, ...over });

describe('trainer', () => {
  it('misclassified-sgd converges on a linearly separable set and says so', () => {
    const d = separable(7, 100);
    const t = new Trainer(
      cfg({ optimizer: 'misclassified-sgd', hidden: 2, lr: 0.5, epochs: 100000, maxSteps: 200000 }),
      d,
    );
    const r = t.run();
    assert.equal(r.status, 'converged', r.reason);
    assert.match(r.reason, /no training point is misclassified/);
    assert.equal(r.train.misclassified, 0);
    assert.equal(r.train.accuracy, 1);
    // Every step used a single point that was misclassified at the time.
    assert.ok(r.steps > 0);
  });

  it('misclassified-sgd picks only misclassified points, one per step', () => {
    const d = separable(8, 60);
    const t = new Trainer(cfg({ optimizer: 'misclassified-sgd', hidden: 3, lr: 0.2, epochs: 1000 }), d);
    const wrong = new Int32Array(d.m);
    for (let s = 0; s < 50 && t.status === 'running'; s++) {
      const k = t.misclassifiedInto(wrong);
      const set = new Set(wrong.subarray(0, k));
      const r = t.step();
      if (!r) break;
      assert.equal(r.samples.length, 1);
      assert.ok(set.has(r.samples[0]), `picked ${r.samples[0]}, not misclassified`);
      assert.equal(r.misclassified, k);
    }
  });

  it('the flower data reaches ≥ 85% training accuracy (4 tanh units, α = 1.2, 10,000 full-batch steps)', () => {
    const t = new Trainer(
      cfg({
        optimizer: 'batch',
        hidden: 4,
        activation: 'tanh',
        init: 'small',
        lr: 1.2,
        epochs: 10000,
        seed: 2,
      }),
      data(flower()),
    );
    const r = t.run();
    assert.equal(r.status, 'completed');
    assert.equal(r.steps, 10000);
    assert.ok(r.train.accuracy >= 0.85, `accuracy ${r.train.accuracy}`);
  });

  for (const optimizer of [
    'sgd',
    'batch',
    'minibatch',
    'momentum',
    'rmsprop',
    'adam',
    'misclassified-sgd',
  ] as const) {
    it(`${optimizer}: the same data, settings and seed give a bit-identical trajectory; resume from a mid-run state continues it exactly`, () => {
      const d = data(flower(3, 80));
      const c = cfg({ optimizer, hidden: 3, lr: 0.05, epochs: 6, batchSize: 16, seed: 11 });
      const a = new Trainer(c, d),
        b = new Trainer(c, d);
      const ra = a.run(),
        rb = b.run();
      assert.deepEqual(Array.from(a.net.theta), Array.from(b.net.theta));
      assert.deepEqual(ra, rb);
      // Stop a third run half-way, serialise it through JSON, resume, and compare.
      const c3 = new Trainer(c, d);
      for (let s = 0; s < Math.floor(ra.steps / 2); s++) c3.step();
      const resumed = Trainer.restore(JSON.parse(JSON.stringify(c3.getState())), d);
      const r3 = resumed.run();
      assert.deepEqual(Array.from(resumed.net.theta), Array.from(a.net.theta));
      assert.equal(r3.steps, ra.steps);
      assert.deepEqual(
        resumed.history.map((e) => e.train.loss),
        a.history.map((e) => e.train.loss),
      );
    });
  }

  it('a different seed gives a different trajectory', () => {
    const d = data(flower(3, 80));
    const a = new Trainer(cfg({ seed: 1, epochs: 2 }), d),
      b = new Trainer(cfg({ seed: 2, epochs: 2 }), d);
    a.run();
    b.run();
    assert.notDeepEqual(Array.from(a.net.theta), Array.from(b.net.theta));
  });

  it('step records carry the samples, forward values, gradient and the update actually applied', () => {
    const d = data(flower(3, 40));
    const t = new Trainer(cfg({ optimizer: 'minibatch', batchSize: 8, hidden: 3, seed: 5 }), d);
    const before = t.net.theta.slice();
    const r = t.step()!;
    assert.equal(r.step, 1);
    assert.equal(r.samples.length, 8);
    for (let i = 0; i < before.length; i++) close(t.net.theta[i] - before[i], r.delta[i], 1e-15, `Δ[${i}]`);
    for (let i = 0; i < before.length; i++)
      close(r.delta[i], -t.opt.hyper.lr * r.grad[i], 1e-15, `Δ = −α·g [${i}]`);
    // Forward values are those of the first sample at θ before the update.
    const i0 = r.samples[0];
    assert.deepEqual(Array.from(r.x), [d.X[2 * i0], d.X[2 * i0 + 1]]);
    assert.equal(r.y, d.Y[i0]);
    let z2 = before[before.length - 1];
    for (let j = 0; j < 3; j++) {
      const z1 = before[2 * j] * r.x[0] + before[2 * j + 1] * r.x[1] + before[6 + j];
      close(r.z1[j], z1, 1e-15, 'z1');
      z2 += before[9 + j] * (1 / (1 + Math.exp(-z1)));
    }
    close(r.z2, z2, 1e-14, 'z2');
    close(r.dz2, r.a2 - r.y, 1e-15, 'dz2 = a2 − y');
  });

  it('epoch summaries give train/test loss, accuracy and the misclassified count', () => {
    const all = data(flower(3, 100));
    const train: TrainData = { X: all.X.subarray(0, 160), Y: all.Y.subarray(0, 80), m: 80, n: 2 };
    const test: TrainData = { X: all.X.subarray(160), Y: all.Y.subarray(80), m: 20, n: 2 };
    const t = new Trainer(cfg({ epochs: 3 }), train, test);
    t.run();
    assert.equal(t.history.length, 3);
    for (const e of t.history) {
      assert.equal(e.train.m, 80);
      assert.equal(e.test!.m, 20);
      close(e.train.accuracy, 1 - e.train.misclassified / 80, 1e-15, 'accuracy');
      assert.ok(e.train.loss > 0 && e.test!.loss > 0);
    }
  });

  it('divergence: a huge learning rate stops with status diverged, names the parameter and keeps the last finite θ', () => {
    // ReLU with features of 1e200: a1 ≈ 1e200, dW2 = dz2·a1ᵀ ≈ 1e200, and α·dW2 overflows to ∞.
    const d: TrainData = {
      X: Float64Array.from([1e200, 1e200, -1e200, -1e200]),
      Y: Float64Array.from([0, 1]),
      m: 2,
      n: 2,
    };
    const t = new Trainer(
      cfg({ optimizer: 'batch', activation: 'relu', lr: 1e200, epochs: 1000, hidden: 2 }),
      d,
    );
    const r = t.run();
    assert.equal(r.status, 'diverged');
    assert.ok(r.divergence);
    assert.equal(r.divergence!.step, 1);
    assert.match(r.reason, /non-finite W1\[0,0\] at step 1/);
    assert.equal(r.divergence!.param, 'W1[0,0]');
    // Independent check that W1[0,0] is the first entry of θ − α·g that overflows.
    const g = new Float64Array(t.net.theta.length);
    t.net.lossAndGrad(d.X, d.Y, null, 2, g);
    assert.equal(Number.isFinite(t.net.theta[0] - 1e200 * g[0]), false);
    assert.ok(t.net.theta.every(Number.isFinite), 'the last finite parameters are kept');
  });

  it('stops at the step limit, the epoch limit, on a plateau, and on cancel', () => {
    const d = data(flower(3, 40));
    assert.equal(new Trainer(cfg({ maxSteps: 7, epochs: 100 }), d).run().steps, 7);
    const e = new Trainer(cfg({ optimizer: 'batch', epochs: 4 }), d).run();
    assert.equal(e.steps, 4);
    assert.match(e.reason, /epoch limit/);
    const p = new Trainer(
      cfg({ optimizer: 'batch', lr: 1e-9, epochs: 1000, plateauEpochs: 3, plateauTol: 1e-6 }),
      d,
    ).run();
    assert.equal(p.status, 'plateau');
    assert.equal(p.epochs, 4);
    let calls = 0;
    const t = new Trainer(cfg({ epochs: 1000 }), d);
    const c = t.run({ shouldStop: () => ++calls > 10 });
    assert.equal(c.status, 'cancelled');
    assert.equal(c.steps, 10);
    assert.equal(t.step(), null, 'a stopped trainer takes no step');
  });

  it('rejects invalid settings with a message naming the setting', () => {
    const d = data(flower(3, 20));
    // The one validation: the settings spec's rules and messages (the same as the CLI's and the VS Code settings').
    assert.throws(() => new Trainer(cfg({ hidden: -1 }), d), /^RangeError: hidden must be ≥ 0, got -1$/); // 0 is automatic
    assert.throws(() => new Trainer(cfg({ hidden: 2.5 }), d), /hidden must be a whole number, got 2.5/);
    assert.throws(() => new Trainer(cfg({ lr: -1 }), d), /lr must be > 0, got -1/);
    assert.throws(() => new Trainer(cfg({ beta2: 1 }), d), /beta2 must be < 1, got 1/);
    assert.throws(
      () => new Trainer(cfg({ optimizer: 'lbfgs' as never }), d),
      /optimizer must be one of misclassified-sgd, sgd, batch/,
    );
    assert.throws(
      () => new Trainer(cfg({ activation: 'gelu' as never }), d),
      /activation must be one of sigmoid, tanh, relu/,
    );
    assert.throws(() => new Trainer(cfg({ hidden: 5000 }), d), /hidden must be ≤ 4096/);
  });
});
