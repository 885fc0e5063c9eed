import { strict as assert } from 'node:assert';
import { type Activation, ACTIVATIONS, softmax } from '../../src/core/activations';
import { checkNetwork, checkNetworkFast } from '../../src/core/check';
import { type KernelKind, createBatchKernel, wasmAvailable } from '../../src/core/kernels';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDerivation } from '../../src/derivation/checker';
import { allRows, evaluator } from '../../src/core/landscape';
import { softmaxCrossEntropyFromLogits } from '../../src/core/loss';
import { modelFromJson, modelToJson, predict } from '../../src/core/model';
import { Network, paramCount } from '../../src/core/network';
import { Rng } from '../../src/core/rng';
import { DEFAULT_CONFIG, Trainer, type TrainData } from '../../src/core/trainer';

/**
 * An independent K-class network written here with plain 2-D arrays (number[][]), the
 * matrix form of the reference derivation over a whole batch: Z1 = W1·X + b1 (h×m), A1 = g(Z1),
 * Z2 = W2·A1 + b2 (K×m), A2 = softmax per column, J = −(1/m)·Σ log A2[y⁽ⁱ⁾, i],
 * dZ2 = (A2 − Y)/m, dW2 = dZ2·A1ᵀ, db2 = Σ_i dZ2, dZ1 = W2ᵀ·dZ2 ∗ g'(Z1), dW1 = dZ1·Xᵀ, db1 = Σ_i dZ1.
 */
function matrixReference(
  theta: Float64Array,
  n: number,
  h: number,
  K: number,
  act: Activation,
  X: number[][],
  y: number[],
) {
  let o = 0;
  const take = (r: number, c: number) =>
    Array.from({ length: r }, () => Array.from({ length: c }, () => theta[o++]));
  const W1 = take(h, n),
    b1 = take(h, 1),
    W2 = take(K, h),
    b2 = take(K, 1);
  const m = X.length;
  const g = (z: number) =>
    act === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : act === 'tanh' ? Math.tanh(z) : Math.max(z, 0);
  const gp = (z: number) =>
    act === 'sigmoid' ? g(z) * (1 - g(z)) : act === 'tanh' ? 1 - Math.tanh(z) ** 2 : z > 0 ? 1 : 0;
  const matmul = (A: number[][], B: number[][]) =>
    A.map((row) => B[0].map((_, j) => row.reduce((s, a, k) => s + a * B[k][j], 0)));
  const T = (A: number[][]) => A[0].map((_, j) => A.map((row) => row[j]));
  const Xt = T(X); // n×m
  const Z1 = matmul(W1, Xt).map((row, j) => row.map((v) => v + b1[j][0]));
  const A1 = Z1.map((row) => row.map(g));
  const Z2 = matmul(W2, A1).map((row, c) => row.map((v) => v + b2[c][0]));
  const A2 = T(
    T(Z2).map((col) => {
      const mx = Math.max(...col);
      const e = col.map((v) => Math.exp(v - mx));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    }),
  );
  let J = 0;
  for (let i = 0; i < m; i++) J -= Math.log(A2[y[i]][i]);
  J /= m;
  const dZ2 = A2.map((row, c) => row.map((v, i) => (v - (y[i] === c ? 1 : 0)) / m));
  const dW2 = matmul(dZ2, T(A1));
  const db2 = dZ2.map((row) => [row.reduce((a, b) => a + b, 0)]);
  const dZ1 = matmul(T(W2), dZ2).map((row, j) => row.map((v, i) => v * gp(Z1[j][i])));
  const dW1 = matmul(dZ1, X);
  const db1 = dZ1.map((row) => [row.reduce((a, b) => a + b, 0)]);
  return { J, grad: [dW1, db1, dW2, db2].flatMap((M) => M.flat()) };
}

function randomProblem(seed: number, n: number, h: number, K: number, m: number) {
  const rng = new Rng(seed);
  const theta = Float64Array.from({ length: paramCount(n, h, K) }, () => rng.normal() / Math.sqrt(n));
  const X = Float64Array.from({ length: m * n }, () => rng.normal());
  const Y = Float64Array.from({ length: m }, () => rng.int(K));
  return { theta, X, Y };
}

const relClose = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1e-8, Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('K classes: softmax output, categorical cross-entropy', () => {
  it('softmax and the loss stay finite and exact at logits ±1000', () => {
    const z = Float64Array.from([1000, -1000, 0, 999]);
    const a = new Float64Array(4);
    softmax(z, 0, 4, a, 0);
    // e^0 and e^−1 over 1 + e^−1 (the other two underflow to exactly 0)
    relClose(a[0], 1 / (1 + Math.exp(-1)), 1e-15, 'a[0]');
    relClose(a[3], Math.exp(-1) / (1 + Math.exp(-1)), 1e-15, 'a[3]');
    assert.equal(a[1], 0);
    assert.ok(a.every(Number.isFinite));
    // L = log Σ e^z − z_y: for y = 1, 1000 + log(1 + e^−1) + 1000
    relClose(softmaxCrossEntropyFromLogits(z, 0, 4, 1), 2000 + Math.log1p(Math.exp(-1)), 1e-15, 'L(y=1)');
    relClose(softmaxCrossEntropyFromLogits(z, 0, 4, 0), Math.log1p(Math.exp(-1)), 1e-12, 'L(y=0)');
    const neg = Float64Array.from([-1000, -1000, -1000]);
    softmax(neg, 0, 3, a, 0);
    for (let k = 0; k < 3; k++) relClose(a[k], 1 / 3, 1e-15, `uniform a[${k}]`);
    relClose(softmaxCrossEntropyFromLogits(neg, 0, 3, 2), Math.log(3), 1e-12, 'L uniform'); // 1000 − 1000 cancels: absolute error ~1e-13
  });

  for (const K of [3, 10]) {
    for (const act of ACTIVATIONS) {
      it(`gradient equals an independent matrix implementation and central differences (K = ${K}, ${act})`, () => {
        for (let trial = 0; trial < 3; trial++) {
          const n = 2 + trial * 3,
            h = 3 + trial * 2,
            m = 7 + trial;
          const { theta, X, Y } = randomProblem(
            100 * K + trial + (act === 'tanh' ? 7 : act === 'relu' ? 13 : 0),
            n,
            h,
            K,
            m,
          );
          const net = new Network(n, h, act, theta.slice(), K);
          const grad = new Float64Array(theta.length);
          const J = net.lossAndGrad(X, Y, null, m, grad);
          const rows = Array.from({ length: m }, (_, i) => Array.from(X.subarray(i * n, i * n + n)));
          const ref = matrixReference(theta, n, h, K, act, rows, Array.from(Y));
          relClose(J, ref.J, 1e-12, 'J');
          for (let i = 0; i < grad.length; i++) relClose(grad[i], ref.grad[i], 1e-12, `grad[${i}]`);
          // central differences of J through a fresh network
          const probe = new Network(n, h, act, theta.slice(), K);
          const eps = 1e-6;
          for (let i = 0; i < theta.length; i++) {
            probe.theta[i] = theta[i] + eps;
            const jp = probe.lossAndGrad(X, Y, null, m);
            probe.theta[i] = theta[i] - eps;
            const jm = probe.lossAndGrad(X, Y, null, m);
            probe.theta[i] = theta[i];
            const fd = (jp - jm) / (2 * eps);
            assert.ok(
              Math.abs(fd - grad[i]) <= 1e-6 * Math.max(1, Math.abs(grad[i])) + 1e-8,
              `θ[${i}]: ${grad[i]} vs ${fd}`,
            );
          }
        }
      });
    }
  }

  it('the gradient check of the network passes for K classes (per entry and fast)', () => {
    const n = 4,
      h = 5,
      K = 3,
      m = 12;
    const { theta, X, Y } = randomProblem(5, n, h, K, m);
    const net = new Network(n, h, 'tanh', theta, K);
    const d: TrainData = { X, Y, m, n, K };
    const report = checkNetwork(net, d, m);
    const entries = report.blocks.flatMap((b) => b.entries);
    assert.equal(entries.length, paramCount(n, h, K));
    assert.deepEqual(
      report.blocks.map((b) => [b.name, b.rows, b.cols]),
      [
        ['W1', h, n],
        ['b1', h, 1],
        ['W2', K, h],
        ['b2', K, 1],
      ],
    );
    assert.ok(
      entries.every((e) => e.verdict === 'pass'),
      JSON.stringify(entries.filter((e) => e.verdict !== 'pass').slice(0, 3)),
    );
    const fast = checkNetworkFast(net, d, m, new Rng(3));
    assert.equal(fast.verdict, 'pass');
  });

  it('a planted mistake in W2 of one class is caught by the gradient check', () => {
    const n = 3,
      h = 4,
      K = 3,
      m = 10;
    const { theta, X, Y } = randomProblem(9, n, h, K, m);
    const net = new Network(n, h, 'sigmoid', theta, K);
    const wrong = net.backward.bind(net);
    net.backward = (x, off, y, grad, scale) => {
      wrong(x, off, y, grad, scale);
      grad[h * n + h + h + 1] += scale * 0.1;
    }; // W2[1,1]
    const report = checkNetwork(net, { X, Y, m, n, K }, m);
    const bad = report.blocks.flatMap((b) =>
      b.entries.filter((e) => e.verdict === 'fail').map((e) => `${b.name}[${e.row},${e.col}]`),
    );
    assert.deepEqual(bad, ['W2[1,1]']);
  });

  it('trains three separable clusters with every optimizer; resume is exact', () => {
    const rng = new Rng(2);
    const m = 90,
      n = 2,
      K = 3;
    const X = new Float64Array(m * n),
      Y = new Float64Array(m);
    const centres = [
      [0, 3],
      [3, -2],
      [-3, -2],
    ];
    for (let i = 0; i < m; i++) {
      const c = i % K;
      Y[i] = c;
      X[i * n] = centres[c][0] + 0.5 * rng.normal();
      X[i * n + 1] = centres[c][1] + 0.5 * rng.normal();
    }
    const data: TrainData = { X, Y, m, n, K };
    for (const optimizer of [
      'misclassified-sgd',
      'sgd',
      'batch',
      'minibatch',
      'momentum',
      'rmsprop',
      'adam',
    ] as const) {
      const t = new Trainer(
        {
          ...DEFAULT_CONFIG,
          optimizer,
          epochs: 40,
          lr: optimizer === 'rmsprop' || optimizer === 'adam' ? 0.01 : 0.1,
        },
        data,
      );
      const r = t.run();
      assert.ok(r.train.accuracy >= 0.95, `${optimizer}: ${r.train.accuracy}`);
    }
    const a = new Trainer({ ...DEFAULT_CONFIG, optimizer: 'adam', epochs: 10, lr: 0.01 }, data);
    for (let i = 0; i < 13; i++) a.step();
    const b = Trainer.restore(JSON.parse(JSON.stringify(a.getState())), data);
    a.run();
    b.run();
    assert.deepEqual(Array.from(b.net.theta), Array.from(a.net.theta));
  });

  it('model file version 2 keeps classes and the column encoding; version 1 is still read', () => {
    const n = 3,
      h = 2,
      K = 3;
    const { theta, X } = randomProblem(4, n, h, K, 2);
    const model = {
      config: { ...DEFAULT_CONFIG, hidden: h },
      features: ['x', 'c=<b>', 'c=__proto__'],
      label: 'y',
      standardization: null,
      theta,
      classes: ['<script>', '__proto__', '=SUM(A1)'],
      columns: [
        { name: 'x', type: 'number' as const },
        { name: 'c', type: 'category' as const, categories: ['<b>', '__proto__'] },
      ],
    };
    const text = modelToJson(model);
    const o = JSON.parse(text);
    assert.equal(o.version, 2);
    assert.equal(o.kind, 'softmax');
    assert.deepEqual(o.params.W2.shape, [3, 2]);
    const back = modelFromJson(text);
    assert.deepEqual(back.classes, model.classes);
    assert.deepEqual(back.columns, model.columns);
    assert.deepEqual(Array.from(back.theta), Array.from(theta));
    // probabilities from predict equal the reference network's softmax
    const p = predict(back, X, 2);
    const net = new Network(n, h, 'sigmoid', theta.slice(), K);
    net.forward(X, n);
    assert.deepEqual(Array.from(p.subarray(3, 6)), Array.from(net.a2k));
    // version 1: binary, classes 0 and 1
    const v1 = {
      format: 'backprop-lens-model',
      version: 1,
      config: { ...DEFAULT_CONFIG, hidden: 1 },
      features: ['a'],
      label: 'y',
      standardization: null,
      params: {
        W1: { shape: [1, 1], data: [0.5] },
        b1: { shape: [1, 1], data: [0] },
        W2: { shape: [1, 1], data: [2] },
        b2: { shape: [1, 1], data: [-1] },
      },
    };
    const m1 = modelFromJson(JSON.stringify(v1));
    assert.deepEqual(m1.classes, ['0', '1']);
    assert.deepEqual(m1.columns, [{ name: 'a', type: 'number' }]);
    // a2 = σ(2·σ(0.5·1) − 1) by hand
    const a1 = 1 / (1 + Math.exp(-0.5));
    relClose(
      predict(m1, Float64Array.from([1]), 1)[0],
      1 / (1 + Math.exp(-(2 * a1 - 1))),
      1e-15,
      'v1 predict',
    );
  });

  const kinds: KernelKind[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];
  for (const kind of kinds) {
    it(`the batched ${kind} kernel computes the K-class loss, gradient and logits of the reference Network (≤ 1e-12 relative; K = 3, 10; every activation)`, () => {
      for (const K of [3, 10]) {
        for (const act of ACTIVATIONS) {
          const n = 7,
            h = 13,
            m = 150;
          const { theta, X, Y } = randomProblem(K * 31 + act.length, n, h, K, m);
          const net = new Network(n, h, act, theta.slice(), K);
          const idx = Int32Array.from({ length: 90 }, (_, i) => (i * 37) % m);
          const gRef = new Float64Array(theta.length),
            g = new Float64Array(theta.length);
          const jRef = net.lossAndGrad(X, Y, idx, idx.length, gRef);
          const kernel = createBatchKernel({ n, h, K, activation: act }, [{ X, Y, m }], { kind, threads: 2 });
          try {
            const J = kernel.lossAndGrad(0, theta, idx, 0, idx.length, g);
            relClose(J, jRef, 1e-12, `${kind} K=${K} ${act} J`);
            let scale = 0;
            for (const v of gRef) scale = Math.max(scale, Math.abs(v));
            for (let i = 0; i < g.length; i++)
              assert.ok(
                Math.abs(g[i] - gRef[i]) <= 1e-12 * scale,
                `${kind} K=${K} ${act} grad[${i}]: ${g[i]} vs ${gRef[i]}`,
              );
            const Z = new Float64Array(m * K);
            kernel.forward(0, theta, null, 0, m, Z);
            for (let i = 0; i < m; i += 17) {
              net.forward(X, i * n);
              for (let k = 0; k < K; k++) relClose(Z[i * K + k], net.z2k[k], 1e-12, `z2[${i},${k}]`);
            }
          } finally {
            kernel.dispose();
          }
        }
      }
    });
  }

  it('a K-class Trainer on the batched kernels follows the reference engine (adam, full batch and mini-batches)', () => {
    const n = 6,
      h = 16,
      K = 4,
      m = 400;
    const { X, Y } = randomProblem(77, n, h, K, m);
    for (const optimizer of ['batch', 'adam'] as const) {
      const config = { ...DEFAULT_CONFIG, hidden: h, optimizer, batchSize: 64, epochs: 5, lr: 0.05 };
      const a = new Trainer(config, { X, Y, m, n, K }, null, undefined, { engine: 'reference' });
      const b = new Trainer(config, { X, Y, m, n, K }, null, undefined, { engine: 'js' });
      a.run();
      b.run();
      for (let i = 0; i < a.net.theta.length; i++)
        relClose(b.net.theta[i], a.net.theta[i], 1e-9, `${optimizer} θ[${i}]`);
      relClose(
        b.history[b.history.length - 1].train.loss,
        a.history[a.history.length - 1].train.loss,
        1e-9,
        `${optimizer} loss`,
      );
    }
  });

  it("the K-class reference derivation (examples/reference-softmax.deriv) checks clean, also at a run's parameters", () => {
    const text = readFileSync(join(__dirname, '..', '..', 'examples', 'reference-softmax.deriv'), 'utf8');
    const n = 4,
      h = 5,
      K = 3;
    const { theta, X, Y } = randomProblem(12, n, h, K, 3);
    const r = checkDerivation(text, { activation: 'sigmoid', current: { n, h, K, theta, x: X, y: Y, m: 3 } });
    assert.deepEqual(
      r.findings.filter((f) => f.severity !== 'information').map((f) => f.message),
      [],
    );
    assert.ok(
      r.gradients.length >= 6 && r.gradients.every((g) => g.state === 'pass'),
      JSON.stringify(r.gradients.map((g) => g.state)),
    );
    assert.equal(r.display.get('W2')!.value.rows, K);
    // without the classes directive the same formulas are the binary network's (W2 1×h)
    const binary = checkDerivation(text.replace('#! classes: 3', ''), { activation: 'sigmoid' });
    assert.equal(binary.display.get('W2')!.value.rows, 1);
    // the directive is checked
    const bad = checkDerivation(text.replace('#! classes: 3', '#! classes: 2'), { activation: 'sigmoid' });
    assert.ok(
      bad.findings.some(
        (f) => f.code === 'directive' && /classes must be a whole number from 3 to 20/.test(f.message),
      ),
    );
  });

  it("the loss-landscape evaluator gives the reference Network's K-class loss and gradient (reference and batched engines)", () => {
    const n = 5,
      h = 20,
      K = 4,
      m = 300;
    const { theta, X, Y } = randomProblem(21, n, h, K, m);
    const data: TrainData = { X, Y, m, n, K };
    const net = new Network(n, h, 'tanh', theta.slice(), K);
    const gRef = new Float64Array(theta.length);
    const jRef = net.lossAndGrad(X, Y, null, m, gRef);
    for (const engine of ['reference', 'auto'] as const) {
      const J = evaluator(n, h, 'tanh', allRows(data), engine);
      try {
        relClose(J.loss(theta), jRef, 1e-12, `${engine} loss`);
        const g = new Float64Array(theta.length);
        J.grad(theta, g);
        for (let i = 0; i < g.length; i++)
          assert.ok(
            Math.abs(g[i] - gRef[i]) <= 1e-12 * Math.max(1, Math.abs(gRef[i])),
            `${engine} grad[${i}]`,
          );
      } finally {
        J.dispose();
      }
    }
  });

  it('a θ of the wrong size for the classes is refused, never written or trained on', () => {
    const n = 2,
      h = 3;
    const theta = new Float64Array(paramCount(n, h, 3)); // a 3-class network's θ…
    assert.throws(
      () =>
        modelToJson({
          config: { ...DEFAULT_CONFIG, hidden: h },
          features: ['a', 'b'],
          label: 'y',
          standardization: null,
          theta,
        }),
      /θ has 21 entries; 2 classes, 2 inputs and 3 hidden units need 13/,
    );
    const data: TrainData = { X: new Float64Array(4), Y: Float64Array.of(0, 1), m: 2, n }; // …on binary data
    assert.throws(
      () => new Trainer({ ...DEFAULT_CONFIG, hidden: h }, data, null, theta),
      /the parameters have 21 entries; 2 inputs, 3 hidden units and one output need 13/,
    );
  });

  it('divergence for K classes: a huge learning rate stops the run, names the parameter or the loss, keeps the last finite θ', () => {
    const n = 3,
      h = 4,
      K = 3,
      m = 30;
    const { X, Y } = randomProblem(8, n, h, K, m);
    for (let i = 0; i < X.length; i++) X[i] *= 1e3;
    const t = new Trainer(
      { ...DEFAULT_CONFIG, hidden: h, optimizer: 'batch', lr: 1e305, epochs: 50, activation: 'relu' },
      { X, Y, m, n, K },
    );
    const r = t.run();
    assert.equal(r.status, 'diverged');
    assert.match(r.divergence!.param, /^(loss|W1\[\d,\d\]|b1\[\d,0\]|W2\[[0-2],\d\]|b2\[[0-2],0\])$/);
    assert.ok(t.net.theta.every(Number.isFinite));
  });
});
