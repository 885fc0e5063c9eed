import { strict as assert } from 'node:assert';
import { Network, layout, paramCount } from '../../src/core/network';
import { Optimizer, DEFAULT_HYPER } from '../../src/core/optimizers';
import { bceFromLogit } from '../../src/core/loss';
import { sigmoid, type Activation } from '../../src/core/activations';
import { Rng } from '../../src/core/rng';

const close = (actual: number, expected: number, tol = 1e-12, what = '') =>
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} ≠ ${expected}`,
  );
const allClose = (actual: ArrayLike<number>, expected: number[], tol = 1e-12, what = '') => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) close(actual[i], expected[i], tol, `${what}[${i}]`);
};

describe('network: the textbook 2-2-1 example computed by hand', () => {
  // x = (1, 2)ᵀ, y = 1, W1 = [[0.1, −0.2], [0.3, 0.4]], b1 = (0.01, −0.02)ᵀ, W2 = [0.5, −0.6], b2 = 0.05.
  // Reference values from scalar arithmetic done outside the project (Python floats):
  //   z1 = W1·x + b1 = (0.1 − 0.4 + 0.01, 0.3 + 0.8 − 0.02) = (−0.29, 1.08)
  //   a1 = σ(z1) = (0.42800386706848137, 0.7464939833376621)
  //   z2 = 0.5·a1₀ − 0.6·a1₁ + 0.05 = −0.18389445646835662, a2 = σ(z2) = 0.4541555073794084
  //   L = −log a2 = 0.789315612322442
  //   dz2 = a2 − 1 = −0.5458444926205916, dW2 = dz2·a1ᵀ, db2 = dz2
  //   dz1 = W2ᵀ·dz2 ∗ a1(1 − a1) = (−0.06681588462751843, 0.061977601623311514)
  //   dW1 = dz1·xᵀ, db1 = dz1; SGD with α = 0.5: W := W − α·dW.
  const x = Float64Array.from([1, 2]);
  const y = Float64Array.from([1]);
  const theta = Float64Array.from([
    0.1, -0.2, 0.3, 0.4, /* b1 */ 0.01, -0.02, /* W2 */ 0.5, -0.6, /* b2 */ 0.05,
  ]);

  it('forward values and loss', () => {
    const net = new Network(2, 2, 'sigmoid', theta.slice());
    net.forward(x, 0);
    allClose(net.z1, [-0.29000000000000004, 1.08], 1e-15, 'z1');
    allClose(net.a1, [0.42800386706848137, 0.7464939833376621], 1e-15, 'a1');
    close(net.z2, -0.18389445646835662, 1e-15, 'z2');
    close(net.a2, 0.4541555073794084, 1e-15, 'a2');
    close(bceFromLogit(net.z2, 1), 0.789315612322442, 1e-14, 'L');
  });

  it('all six gradients', () => {
    const net = new Network(2, 2, 'sigmoid', theta.slice());
    const g = new Float64Array(paramCount(2, 2));
    const J = net.lossAndGrad(x, y, null, 1, g);
    close(J, 0.789315612322442, 1e-14, 'J');
    close(net.dz2, -0.5458444926205916, 1e-15, 'dz2');
    allClose(net.dz1, [-0.06681588462751843, 0.061977601623311514], 1e-14, 'dz1');
    allClose(
      g,
      [
        -0.06681588462751843,
        -0.13363176925503686,
        0.061977601623311514,
        0.12395520324662303, // dW1
        -0.06681588462751843,
        0.061977601623311514, // db1
        -0.23362355365964638,
        -0.4074696295792706, // dW2
        -0.5458444926205916, // db2
      ],
      1e-14,
      'grad',
    );
  });

  it('one SGD update W := W − α·dW with α = 0.5', () => {
    const net = new Network(2, 2, 'sigmoid', theta.slice());
    const g = new Float64Array(9);
    net.lossAndGrad(x, y, null, 1, g);
    const opt = new Optimizer('plain', 9, { lr: 0.5, ...DEFAULT_HYPER });
    const delta = new Float64Array(9);
    opt.step(net.theta, g, delta);
    allClose(
      net.theta,
      [
        0.13340794231375921, -0.1331841153724816, 0.2690111991883442, 0.3380223983766885, 0.04340794231375922,
        -0.05098880081165576, 0.6168117768298231, -0.3962651852103647, 0.3229222463102958,
      ],
      1e-14,
      'θ after',
    );
    for (let i = 0; i < 9; i++) close(delta[i], -0.5 * g[i], 1e-15, `Δ[${i}]`);
  });
});

/** An independent implementation with nested arrays and explicit matrix algebra, written from the math, not from network.ts. */
function reference(act: Activation, n: number, h: number, theta: Float64Array, X: number[][], Y: number[]) {
  const mat = (off: number, r: number, c: number) =>
    Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => theta[off + i * c + j]));
  const [l1, l2, l3, l4] = layout(n, h);
  const W1 = mat(l1.offset, h, n),
    b1 = mat(l2.offset, h, 1),
    W2 = mat(l3.offset, 1, h),
    b2 = mat(l4.offset, 1, 1);
  const matmul = (A: number[][], B: number[][]) =>
    A.map((row) => B[0].map((_, j) => row.reduce((s, a, k) => s + a * B[k][j], 0)));
  const T = (A: number[][]) => A[0].map((_, j) => A.map((row) => row[j]));
  const add = (A: number[][], B: number[][]) => A.map((row, i) => row.map((a, j) => a + B[i][j]));
  const had = (A: number[][], B: number[][]) => A.map((row, i) => row.map((a, j) => a * B[i][j]));
  const map = (A: number[][], f: (v: number) => number) => A.map((row) => row.map(f));
  const g = {
    sigmoid: (z: number) => 1 / (1 + Math.exp(-z)),
    tanh: Math.tanh,
    relu: (z: number) => Math.max(0, z),
  }[act];
  const gp = {
    sigmoid: (z: number) => g(z) * (1 - g(z)),
    tanh: (z: number) => 1 - Math.tanh(z) ** 2,
    relu: (z: number) => (z > 0 ? 1 : 0),
  }[act];
  const m = X.length;
  const acc = { W1: map(W1, () => 0), b1: map(b1, () => 0), W2: map(W2, () => 0), b2: [[0]] };
  let loss = 0;
  for (let i = 0; i < m; i++) {
    const x = X[i].map((v) => [v]);
    const z1 = add(matmul(W1, x), b1);
    const a1 = map(z1, g);
    const z2 = add(matmul(W2, a1), b2);
    const a2 = 1 / (1 + Math.exp(-z2[0][0]));
    const oneMinusA2 = 1 / (1 + Math.exp(z2[0][0])); // 1 − σ(z) = σ(−z), without cancellation
    loss += -(Y[i] * Math.log(a2) + (1 - Y[i]) * Math.log(oneMinusA2)) / m;
    const dz2 = [[a2 - Y[i]]];
    const dW2 = matmul(dz2, T(a1));
    const dz1 = had(matmul(T(W2), dz2), map(z1, gp));
    const dW1 = matmul(dz1, T(x));
    acc.W1 = add(
      acc.W1,
      map(dW1, (v) => v / m),
    );
    acc.b1 = add(
      acc.b1,
      map(dz1, (v) => v / m),
    );
    acc.W2 = add(
      acc.W2,
      map(dW2, (v) => v / m),
    );
    acc.b2 = add(
      acc.b2,
      map(dz2, (v) => v / m),
    );
  }
  return { loss, grad: [...acc.W1.flat(), ...acc.b1.flat(), ...acc.W2.flat(), ...acc.b2.flat()] };
}

describe('network: gradients on random configurations', () => {
  const configs: Array<[Activation, number, number, number]> = [];
  for (const act of ['sigmoid', 'tanh', 'relu'] as Activation[]) {
    for (const [n, h, m] of [
      [2, 2, 1],
      [3, 4, 5],
      [5, 3, 8],
      [1, 6, 3],
    ])
      configs.push([act, n, h, m]);
  }
  for (const [act, n, h, m] of configs) {
    it(`${act} n=${n} h=${h} m=${m}: matches an independent matrix implementation and central differences`, () => {
      for (let trial = 0; trial < 5; trial++) {
        const rng = new Rng(1000 * trial + n * 31 + h * 7 + m);
        const P = paramCount(n, h);
        const theta = Float64Array.from({ length: P }, () => rng.normal());
        const X = Array.from({ length: m }, () => Array.from({ length: n }, () => 2 * rng.normal()));
        const Y = Array.from({ length: m }, (_, i) => (i + trial) % 2); // both y = 0 and y = 1
        const net = new Network(n, h, act, theta.slice());
        const g = new Float64Array(P);
        const J = net.lossAndGrad(Float64Array.from(X.flat()), Float64Array.from(Y), null, m, g);
        const ref = reference(act, n, h, theta, X, Y);
        close(J, ref.loss, 1e-12, 'loss');
        allClose(g, ref.grad, 1e-10, 'grad vs reference');
        // Central differences of the same mean loss, written out here.
        const eps = 1e-6;
        for (let i = 0; i < P; i++) {
          const tp = theta.slice();
          tp[i] += eps;
          const tm = theta.slice();
          tm[i] -= eps;
          const fd = (reference(act, n, h, tp, X, Y).loss - reference(act, n, h, tm, X, Y).loss) / (2 * eps);
          // Seeded draws: no ReLU pre-activation lies within 1e-6 of its kink here, so ReLU is checked too.
          assert.ok(
            Math.abs(fd - g[i]) <= 1e-6 * Math.max(1, Math.abs(fd)),
            `${act} θ[${i}]: fd ${fd} vs ${g[i]}`,
          );
        }
      }
    });
  }
});

describe('numerics at the edges', () => {
  it('sigmoid never overflows and is symmetric', () => {
    for (const z of [-1e4, -745, -40, -1, 0, 1, 40, 745, 1e4, 1e308, -1e308]) {
      const s = sigmoid(z);
      assert.ok(Number.isFinite(s) && s >= 0 && s <= 1, `σ(${z}) = ${s}`);
      close(s + sigmoid(-z), 1, 1e-15, `σ(${z}) + σ(${-z})`);
    }
  });

  it('loss and gradients are finite for |z2| up to 1e4', () => {
    for (const z2 of [-1e4, -1e3, -50, 50, 1e3, 1e4]) {
      for (const y of [0, 1]) {
        const L = bceFromLogit(z2, y);
        assert.ok(Number.isFinite(L) && L >= 0, `L(${z2}, ${y}) = ${L}`);
        // The exact asymptote: L = |z2| when the prediction is confidently wrong, ≈ 0 when right.
        const wrong = (z2 > 0 && y === 0) || (z2 < 0 && y === 1);
        if (wrong) close(L, Math.abs(z2), 1e-12, 'wrong-side loss');
        else assert.ok(L < 1e-20);
      }
    }
    // A network driven to z2 = ±1e4 still gives finite gradients.
    const net = new Network(1, 1, 'sigmoid', Float64Array.from([0, 0, 1e4, 0]));
    const g = new Float64Array(4);
    net.lossAndGrad(Float64Array.from([0]), Float64Array.from([0]), null, 1, g); // a1 = 0.5, z2 = 5000
    assert.ok(g.every(Number.isFinite));
    close(g[3], 1, 1e-12, 'db2 = a2 − y'); // σ(5000) − 0 = 1
  });
});
