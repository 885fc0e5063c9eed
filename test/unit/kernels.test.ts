import { strict as assert } from 'node:assert';
import { noisyLinear } from '../../src/data/synthetic';
import { ACTIVATIONS, type Activation } from '../../src/core/activations';
import { createBatchKernel, resolveThreads, wasmAvailable, type KernelKind } from '../../src/core/kernels';
import { SETTINGS, resolveSettings } from '../../src/core/settings';
import { chunkCount, rowSums } from '../../src/core/kernels/batch';
import type { WasmBatchKernel } from '../../src/core/kernels/wasm';
import { createSampleStepper } from '../../src/core/kernels/sample-wasm';
import { bceFromLogit } from '../../src/core/loss';
import { Network, layout, paramCount } from '../../src/core/network';
import { Rng } from '../../src/core/rng';
import {
  DEFAULT_CONFIG,
  OPTIMIZERS,
  Trainer,
  type TrainConfig,
  type TrainData,
} from '../../src/core/trainer';

const KINDS: KernelKind[] = ['wasm', 'js'];

/**
 * a ≈ b within tol relative, entry by entry, relative to the largest entry of the
 * parameter block (W1, b1, W2, b2) the entry belongs to: a sum that cancels to a tiny
 * entry is only known to the size of its terms.
 */
function assertGradClose(
  a: Float64Array,
  b: Float64Array,
  n: number,
  h: number,
  K: number,
  tol: number,
  what: string,
): void {
  for (const blk of layout(n, h, K)) {
    let scale = 0;
    for (let i = blk.offset; i < blk.offset + blk.rows * blk.cols; i++)
      scale = Math.max(scale, Math.abs(b[i]));
    for (let i = blk.offset; i < blk.offset + blk.rows * blk.cols; i++) {
      assert.ok(
        Math.abs(a[i] - b[i]) <= tol * scale,
        `${what}: ${blk.name} entry ${i - blk.offset}: ${a[i]} vs ${b[i]} (block max ${scale})`,
      );
    }
  }
}

function relClose(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${what}: ${a} vs ${b}`);
}

/**
 * Random data and parameters, weights scaled by wscale/√fan-in as an initialisation would: the
 * pre-activations then stay where g' = 1 − a² (tanh) and a(1 − a) (sigmoid) are well conditioned.
 * (Deep in saturation, 1 − a² of a rounded a is itself only known to ulp(a)/(1 − a²), in the
 * reference as much as in the kernels; the exactly saturated case is tested on its own.)
 */
function problem(rng: Rng, m: number, n: number, h: number, K = 1, wscale = 1) {
  const X = Float64Array.from({ length: m * n }, () => rng.normal());
  const Y = Float64Array.from({ length: m }, () => rng.int(K === 1 ? 2 : K));
  const theta = new Float64Array(paramCount(n, h, K));
  for (const b of layout(n, h, K)) {
    const s =
      b.name === 'W1' ? wscale / Math.sqrt(n) : b.name === 'W2' ? wscale / Math.sqrt(h) : 0.5 * wscale;
    for (let i = b.offset; i < b.offset + b.rows * b.cols; i++) theta[i] = s * rng.normal();
  }
  return { X, Y, theta };
}

/** The rows of a batch drawn at random (with repeats), placed at an offset inside a longer index array. */
function randomBatch(rng: Rng, m: number, count: number, from: number): Int32Array {
  const idx = new Int32Array(from + count + 3);
  for (let i = 0; i < idx.length; i++) idx[i] = rng.int(m);
  return idx;
}

describe('batched kernels against the reference network', () => {
  it('WebAssembly SIMD is available here (Node 20 has it; the build compiled the module)', () => {
    assert.equal(wasmAvailable(), true);
  });

  it("wasm: the loss and misclassified sums beside z2 (lastSums) equal the reference network's per-row losses within 1e-12, logits from ±1e-3 to ±600; out of range: none, the row sums instead", () => {
    const rng = new Rng(4242);
    let checked = 0;
    for (let trial = 0; trial < 60; trial++) {
      const activation = ACTIVATIONS[trial % 3];
      const n = 1 + rng.int(12),
        h = 1 + rng.int(40),
        m = 1 + rng.int(trial % 5 === 0 ? 3000 : 300);
      // output weights from tiny to huge: logits near 0, ordinary, and far out where e^{−|z|} is subnormal
      const outScale = [1e-3, 1, 10, 100, 1000][trial % 5];
      const { X, Y, theta } = problem(rng, m, n, h, 1, 1);
      const [, , W2, b2] = layout(n, h, 1);
      for (let i = W2.offset; i < W2.offset + h; i++) theta[i] *= outScale;
      theta[b2.offset] *= outScale;
      const ref = new Network(n, h, activation, theta.slice());
      let refLoss = 0,
        refWrong = 0,
        huge = false;
      const idx = trial % 2 ? randomBatch(rng, m, m, 3) : null;
      const from = idx ? 3 : 0;
      for (let r = 0; r < m; r++) {
        const i = idx ? idx[from + r] : r;
        const z2 = ref.forward(X, i * n);
        refLoss += bceFromLogit(z2, Y[i]);
        if ((z2 >= 0 ? 1 : 0) !== Y[i]) refWrong++;
        if (!(Math.abs(z2) <= 690)) huge = true;
      }
      const k = createBatchKernel({ n, h, K: 1, activation }, [{ X, Y, m }], {
        kind: 'wasm',
        threads: 1 + (trial % 2),
      });
      const z = new Float64Array(m);
      k.forward(0, theta, idx, from, m, z);
      const sums = k.lastSums();
      let outOfRange = false;
      for (let r = 0; r < m; r++) if (!(Math.abs(z[r]) <= 700)) outOfRange = true;
      const what = `trial ${trial}: n=${n} h=${h} m=${m} ${activation} W2 ×${outScale}`;
      if (outOfRange) {
        assert.equal(sums, null, `${what}: out of range, no sums`);
        relClose(rowSums(z, Y, idx, from, m, 1).loss, refLoss, 1e-12, `${what}: Σ L over z2`);
      } else {
        assert.ok(sums, `${what}: sums`);
        relClose(sums.loss, refLoss, 1e-12, `${what}: Σ L`);
        if (!huge) assert.equal(sums.wrong, refWrong, `${what}: misclassified`);
        // and the mean loss of a gradient pass over the same rows
        const g = new Float64Array(theta.length);
        relClose(k.lossAndGrad(0, theta, idx, from, m, g), refLoss / m, 1e-12, `${what}: lossAndGrad`);
        checked++;
      }
      k.dispose();
    }
    assert.ok(checked >= 40, `${checked} configurations with sums`);
  });

  // Sizes around the blocking: rows of sub-blocks (32), chunks (64), the 4×4 tiles; n and h odd and even.
  const rows = [1, 2, 3, 4, 5, 31, 32, 33, 63, 64, 65, 100, 127, 129, 200, 257, 300];
  const shapes: Array<[number, number]> = [
    [1, 1],
    [2, 3],
    [3, 4],
    [7, 5],
    [8, 8],
    [20, 33],
    [9, 64],
    [30, 17],
  ];
  for (const activation of ACTIVATIONS) {
    for (const kind of KINDS) {
      it(`${kind}, ${activation}: loss and gradient equal Network.lossAndGrad within 1e-12 on ${rows.length * 2} random configurations`, () => {
        const rng = new Rng(activation.length * 7 + kind.length);
        let worst = 0;
        for (const count of rows) {
          for (let rep = 0; rep < 2; rep++) {
            const [n, h] = shapes[rng.int(shapes.length)];
            const m = count + rng.int(50);
            const { X, Y, theta } = problem(rng, m, n, h, 1, rep === 0 ? 1 : 2);
            const from = rng.int(5);
            const idx = rep === 0 && count <= m ? null : randomBatch(rng, m, count, from);
            const f = idx ? from : 0;
            const ref = new Network(n, h, activation, theta.slice());
            const gRef = new Float64Array(theta.length);
            const lRef = ref.lossAndGrad(X, Y, idx ? idx.subarray(f, f + count) : null, count, gRef);
            const k = createBatchKernel({ n, h, K: 1, activation }, [{ X, Y, m }], { kind, threads: 1 });
            const g = new Float64Array(theta.length).fill(NaN);
            const l = k.lossAndGrad(0, theta, idx, f, count, g);
            relClose(l, lRef, 1e-12, `loss m=${count} n=${n} h=${h}`);
            assertGradClose(g, gRef, n, h, 1, 1e-12, `m=${count} n=${n} h=${h}`);
            // forward only: z2 of every row
            const z = new Float64Array(count);
            k.forward(0, theta, idx, f, count, z);
            for (let r = 0; r < count; r++) {
              const z2 = ref.forward(X, (idx ? idx[f + r] : r) * n);
              assert.ok(
                Math.abs(z[r] - z2) <= 1e-12 * Math.max(1, Math.abs(z2)),
                `z2 row ${r}: ${z[r]} vs ${z2}`,
              );
              worst = Math.max(worst, Math.abs(z[r] - z2));
            }
            k.dispose();
          }
        }
        assert.ok(worst < 1e-12);
      });
    }
  }

  it('extreme pre-activations (|z| up to 800): finite, and equal to the reference (sigmoid and tanh saturate, ReLU is exact)', () => {
    const rng = new Rng(5);
    for (const activation of ACTIVATIONS) {
      for (const kind of KINDS) {
        const n = 3,
          h = 6,
          m = 40;
        const { X, Y, theta } = problem(rng, m, n, h, 1, 1);
        for (let i = 0; i < h * n; i++) theta[i] *= 400; // z1 up to several hundred
        const ref = new Network(n, h, activation, theta.slice());
        const gRef = new Float64Array(theta.length);
        const lRef = ref.lossAndGrad(X, Y, null, m, gRef);
        const g = new Float64Array(theta.length);
        const l = createBatchKernel({ n, h, K: 1, activation }, [{ X, Y, m }], {
          kind,
          threads: 1,
        }).lossAndGrad(0, theta, null, 0, m, g);
        relClose(l, lRef, 1e-12, `${kind} ${activation} loss`);
        assertGradClose(g, gRef, n, h, 1, 1e-12, `${kind} ${activation}`);
      }
    }
  });

  /** Softmax with cross-entropy for K classes, written with plain nested loops from the formulas (independent of the kernels). */
  function softmaxReference(
    X: Float64Array,
    Y: Float64Array,
    m: number,
    n: number,
    h: number,
    K: number,
    act: Activation,
    theta: Float64Array,
  ) {
    const g = (z: number) =>
      act === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : act === 'tanh' ? Math.tanh(z) : Math.max(0, z);
    const gp = (z: number) =>
      act === 'sigmoid' ? g(z) * (1 - g(z)) : act === 'tanh' ? 1 - Math.tanh(z) ** 2 : z > 0 ? 1 : 0;
    const W1 = (j: number, k: number) => theta[j * n + k];
    const b1 = (j: number) => theta[h * n + j];
    const W2 = (c: number, j: number) => theta[h * n + h + c * h + j];
    const b2 = (c: number) => theta[h * n + h + K * h + c];
    const grad = new Float64Array(theta.length);
    let loss = 0;
    for (let i = 0; i < m; i++) {
      const z1: number[] = [],
        a1: number[] = [];
      for (let j = 0; j < h; j++) {
        let s = b1(j);
        for (let k = 0; k < n; k++) s += W1(j, k) * X[i * n + k];
        z1.push(s);
        a1.push(g(s));
      }
      const z2: number[] = [];
      for (let c = 0; c < K; c++) {
        let s = b2(c);
        for (let j = 0; j < h; j++) s += W2(c, j) * a1[j];
        z2.push(s);
      }
      const mx = Math.max(...z2);
      const e = z2.map((v) => Math.exp(v - mx));
      const sum = e.reduce((p, q) => p + q, 0);
      const y = Y[i];
      loss += -Math.log(e[y] / sum);
      const dz2 = e.map((v, c) => (v / sum - (c === y ? 1 : 0)) / m);
      for (let c = 0; c < K; c++) {
        for (let j = 0; j < h; j++) grad[h * n + h + c * h + j] += dz2[c] * a1[j];
        grad[h * n + h + K * h + c] += dz2[c];
      }
      for (let j = 0; j < h; j++) {
        let s = 0;
        for (let c = 0; c < K; c++) s += W2(c, j) * dz2[c];
        const dz1 = s * gp(z1[j]);
        grad[h * n + j] += dz1;
        for (let k = 0; k < n; k++) grad[j * n + k] += dz1 * X[i * n + k];
      }
    }
    return { loss: loss / m, grad };
  }

  for (const kind of KINDS) {
    it(`${kind}: K > 1 outputs (softmax, cross-entropy) equal a plain nested-loop reference within 1e-12`, () => {
      const rng = new Rng(77);
      for (const activation of ACTIVATIONS) {
        for (const [m, n, h, K] of [
          [1, 2, 3, 2],
          [37, 5, 6, 3],
          [130, 8, 9, 4],
          [70, 3, 16, 10],
        ]) {
          const { X, Y, theta } = problem(rng, m, n, h, K);
          const ref = softmaxReference(X, Y, m, n, h, K, activation, theta);
          const g = new Float64Array(theta.length);
          const l = createBatchKernel({ n, h, K, activation }, [{ X, Y, m }], {
            kind,
            threads: 1,
          }).lossAndGrad(0, theta, null, 0, m, g);
          relClose(l, ref.loss, 1e-12, `${activation} K=${K} loss`);
          assertGradClose(g, ref.grad, n, h, K, 1e-12, `${activation} m=${m} K=${K}`);
        }
      }
    });
  }

  it('per-example WebAssembly step: gradient, Δ and the update equal the reference within 1e-12 (every activation, n and h odd and even)', () => {
    const rng = new Rng(19);
    for (const activation of ACTIVATIONS) {
      for (const [n, h] of [
        [1, 1],
        [2, 3],
        [3, 2],
        [7, 9],
        [30, 64],
        [31, 17],
        [8, 33],
      ]) {
        const m = 9;
        const { X, Y, theta } = problem(rng, m, n, h);
        const st = createSampleStepper(n, h, activation)!;
        const ref = new Network(n, h, activation, theta.slice());
        for (let i = 0; i < m; i++) {
          st.theta.set(ref.theta);
          const gRef = new Float64Array(theta.length);
          const lRef = ref.lossAndGrad(X, Y, Int32Array.of(i), 1, gRef);
          const [g, d] = [new Float64Array(theta.length), new Float64Array(theta.length)];
          const z2 = st.gradient(X, i * n, Y[i], 0.1, false, g, d);
          relClose(bceFromLogit(z2, Y[i]), lRef, 1e-12, `${activation} n=${n} h=${h} loss`);
          assertGradClose(g, gRef, n, h, 1, 1e-12, `${activation} n=${n} h=${h}`);
          for (let k = 0; k < g.length; k++) assert.equal(d[k], -0.1 * g[k]);
          const before = st.theta.slice();
          st.step(X, i * n, Y[i], 0.1);
          assert.equal(st.bad, -1);
          assert.deepEqual(Array.from(st.prev), Array.from(before));
          for (let k = 0; k < g.length; k++) assert.equal(st.theta[k], before[k] + d[k], `θ[${k}] := θ + Δ`);
        }
      }
    }
  });

  it('WebAssembly and JavaScript kernels agree within 1e-12', () => {
    const rng = new Rng(9);
    for (const activation of ACTIVATIONS) {
      const [m, n, h] = [333, 11, 21];
      const { X, Y, theta } = problem(rng, m, n, h);
      const [gw, gj] = [new Float64Array(theta.length), new Float64Array(theta.length)];
      const lw = createBatchKernel({ n, h, K: 1, activation }, [{ X, Y, m }], {
        kind: 'wasm',
        threads: 1,
      }).lossAndGrad(0, theta, null, 0, m, gw);
      const lj = createBatchKernel({ n, h, K: 1, activation }, [{ X, Y, m }], { kind: 'js' }).lossAndGrad(
        0,
        theta,
        null,
        0,
        m,
        gj,
      );
      relClose(lw, lj, 1e-12, `${activation} loss`);
      assertGradClose(gw, gj, n, h, 1, 1e-12, activation);
    }
  });

  it('full-batch cache: a step right after a forward pass over every row at the same θ gives the same bits; another θ does not use it', () => {
    const rng = new Rng(13);
    for (const activation of ACTIVATIONS) {
      const [m, n, h] = [301, 7, 18];
      const { X, Y, theta } = problem(rng, m, n, h);
      const other = theta.map((v) => v * 1.01);
      const plain = createBatchKernel({ n, h, K: 1, activation }, [{ X, Y, m }], {
        kind: 'wasm',
        threads: 2,
      });
      // a test set beside the training rows: its evaluation between the two passes leaves the cache
      const test = problem(rng, 40, n, h);
      const cached = createBatchKernel(
        { n, h, K: 1, activation },
        [
          { X, Y, m },
          { X: test.X, Y: test.Y, m: 40 },
        ],
        { kind: 'wasm', threads: 2, cacheFullBatch: true },
      ) as WasmBatchKernel;
      const z = new Float64Array(m);
      let used = 0;
      for (const [fwd, step, uses] of [
        [theta, theta, true],
        [theta, other, false],
        [other, other, true],
      ] as const) {
        const [g1, g2] = [new Float64Array(theta.length), new Float64Array(theta.length)];
        cached.forward(0, fwd, null, 0, m, z);
        const sums = cached.lastSums();
        cached.forward(1, fwd, null, 0, 40, z);
        const l2 = cached.lossAndGrad(0, step, null, 0, m, g2);
        const l1 = plain.lossAndGrad(0, step, null, 0, m, g1);
        assert.equal(l2, l1);
        assert.deepEqual(Array.from(g2), Array.from(g1));
        assert.deepEqual(cached.lastSums(), plain.lastSums());
        if (uses) assert.deepEqual(cached.lastSums(), sums, 'the forward pass’s sums');
        used += uses ? 1 : 0;
        assert.equal(cached.cachedPasses, used, `${activation}: passes that used the cache`);
      }
      plain.dispose();
      cached.dispose();
    }
  });

  it("one pool, jobs of changing sizes back to back (steps, evaluations, a short last batch): every result equals one thread's", () => {
    const rng = new Rng(17);
    const [m, n, h] = [2500, 16, 64]; // a forward pass over 2500 rows is large enough for the threads (FORWARD_THREAD_MIN_WORK)
    const { X, Y, theta } = problem(rng, m, n, h);
    const shape = { n, h, K: 1, activation: 'tanh' as const };
    const one = createBatchKernel(shape, [{ X, Y, m }], { kind: 'wasm', threads: 1 });
    const many = createBatchKernel(shape, [{ X, Y, m }], { kind: 'wasm', threads: 3 });
    const idx = randomBatch(rng, m, m, 0);
    const [g1, g2] = [new Float64Array(theta.length), new Float64Array(theta.length)];
    const [z1, z2] = [new Float64Array(m), new Float64Array(m)];
    for (let job = 0; job < 60; job++) {
      const count = [256, 512, 2500, 97, 1300][job % 5];
      if (job % 3 === 2) {
        one.forward(0, theta, null, 0, count, z1);
        many.forward(0, theta, null, 0, count, z2);
        assert.deepEqual(
          Array.from(z2.subarray(0, count)),
          Array.from(z1.subarray(0, count)),
          `job ${job}: forward ${count}`,
        );
      } else {
        const from = rng.int(m - count + 1);
        assert.equal(
          many.lossAndGrad(0, theta, idx, from, count, g2),
          one.lossAndGrad(0, theta, idx, from, count, g1),
          `job ${job}: loss`,
        );
        assert.deepEqual(Array.from(g2), Array.from(g1), `job ${job}: gradient ${count}`);
      }
    }
    one.dispose();
    many.dispose();
  });

  it('1, 2 and 3 threads give bit-identical losses and gradients (fixed chunks, added in chunk order)', () => {
    const rng = new Rng(11);
    for (const activation of ACTIVATIONS) {
      for (const count of [256, 1000, 777]) {
        const [m, n, h] = [1200, 20, 64]; // large enough for the threads to run (see THREAD_MIN_WORK)
        const { X, Y, theta } = problem(rng, m, n, h);
        const idx = randomBatch(rng, m, count, 2);
        assert.ok(chunkCount(count, { n, h, K: 1, activation }) > 1);
        const results = [1, 2, 3].map((threads) => {
          const k = createBatchKernel({ n, h, K: 1, activation }, [{ X, Y, m }], { kind: 'wasm', threads });
          const g = new Float64Array(theta.length);
          const runs = [0, 1, 2].map(() => k.lossAndGrad(0, theta, idx, 2, count, g)); // repeated calls reuse the pool
          k.dispose();
          assert.equal(new Set(runs).size, 1);
          return { loss: runs[0], g: Array.from(g) };
        });
        assert.deepEqual(results[1], results[0], `${activation} ${count}: 2 threads`);
        assert.deepEqual(results[2], results[0], `${activation} ${count}: 3 threads`);
      }
    }
  });
});

const randomData = noisyLinear;

const cfg = (over: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_CONFIG, ...over });

describe('trainer on the batched kernels', () => {
  const rng = new Rng(21);
  const train = randomData(rng, 600, 12);
  const test = randomData(rng, 150, 12);

  for (const optimizer of ['batch', 'minibatch', 'momentum', 'rmsprop', 'adam'] as const) {
    it(`${optimizer}: ${optimizer === 'batch' ? 200 : 300} steps on the kernels stay within 1e-10 of the reference network`, () => {
      const c = cfg({
        optimizer,
        hidden: 24,
        activation: optimizer === 'adam' ? 'relu' : optimizer === 'rmsprop' ? 'tanh' : 'sigmoid',
        lr: optimizer === 'adam' || optimizer === 'rmsprop' ? 0.003 : 0.3,
        batchSize: 70,
        epochs: 1000,
        maxSteps: optimizer === 'batch' ? 200 : 300,
        seed: 4,
      });
      const ref = new Trainer(c, train, test, undefined, { engine: 'reference' });
      const fast = new Trainer(c, train, test, undefined, { engine: 'wasm' });
      const [rr, rf] = [ref.run(), fast.run()];
      assert.equal(rf.steps, rr.steps);
      let scale = 0,
        diff = 0;
      for (let i = 0; i < ref.net.theta.length; i++) {
        scale = Math.max(scale, Math.abs(ref.net.theta[i]));
        diff = Math.max(diff, Math.abs(fast.net.theta[i] - ref.net.theta[i]));
      }
      assert.ok(diff <= 1e-10 * scale, `max |Δθ| = ${diff} (max |θ| ${scale})`);
      relClose(rf.train.loss, rr.train.loss, 1e-10, 'train loss');
      relClose(rf.test!.loss, rr.test!.loss, 1e-10, 'test loss');
      assert.equal(fast.history.length, ref.history.length);
      for (let e = 0; e < ref.history.length; e++)
        relClose(fast.history[e].train.loss, ref.history[e].train.loss, 1e-10, `epoch ${e} loss`);
    });
  }

  for (const activation of ACTIVATIONS) {
    it(`sgd, ${activation}: 600 per-example steps in WebAssembly stay within 1e-10 of the reference network`, () => {
      const c = cfg({
        optimizer: 'sgd',
        hidden: 40,
        activation,
        lr: 0.05,
        epochs: 1000,
        maxSteps: 600,
        seed: 6,
      });
      const ref = new Trainer(c, train, test, undefined, { engine: 'reference' });
      const fast = new Trainer(c, train, test); // 'auto': one example per step in WebAssembly
      const [rr, rf] = [ref.run(), fast.run()];
      assert.equal(rf.steps, rr.steps);
      let scale = 0,
        diff = 0;
      for (let i = 0; i < ref.net.theta.length; i++) {
        scale = Math.max(scale, Math.abs(ref.net.theta[i]));
        diff = Math.max(diff, Math.abs(fast.net.theta[i] - ref.net.theta[i]));
      }
      assert.ok(
        diff > 0,
        'the two engines differ in rounding only, but they do differ (the WebAssembly path ran)',
      );
      assert.ok(diff <= 1e-10 * scale, `max |Δθ| = ${diff} (max |θ| ${scale})`);
      relClose(rf.train.loss, rr.train.loss, 1e-10, 'train loss');
    });
  }

  it('1 thread and 2 threads give a bit-identical run, and resume from a mid-run state continues it exactly', () => {
    const big = randomData(new Rng(3), 3000, 20);
    const c = (threads: number) =>
      cfg({ optimizer: 'adam', hidden: 48, lr: 0.01, batchSize: 512, epochs: 3, seed: 8, threads });
    const one = new Trainer(c(1), big, null, undefined, { engine: 'wasm' });
    const two = new Trainer(c(2), big, null, undefined, { engine: 'wasm' });
    const [r1, r2] = [one.run(), two.run()];
    assert.deepEqual(Array.from(two.net.theta), Array.from(one.net.theta));
    assert.deepEqual(r2, r1);
    const half = new Trainer(c(2), big, null, undefined, { engine: 'wasm' });
    half.advance(Math.floor(r1.steps / 2));
    const resumed = Trainer.restore(JSON.parse(JSON.stringify(half.getState())), big, null, {
      engine: 'wasm',
    });
    resumed.run();
    half.dispose();
    assert.deepEqual(Array.from(resumed.net.theta), Array.from(one.net.theta));
    assert.deepEqual(
      resumed.history.map((e) => e.train.loss),
      one.history.map((e) => e.train.loss),
    );
  });

  it('the threads setting: one entry of the settings list (VS Code, CLI flag, experiment key), 0 = the default, validated', () => {
    const spec = SETTINGS.find((x) => x.key === 'threads');
    assert.ok(spec);
    assert.equal(spec.id, 'training.threads');
    assert.equal(spec.flag, 'threads');
    assert.equal(resolveSettings({}).threads, 0);
    assert.equal(resolveSettings({ threads: 2 }).threads, 2);
    assert.throws(() => resolveSettings({ threads: -1 }), /threads must be ≥ 0/);
    assert.throws(() => resolveSettings({ threads: 1.5 }), /threads must be a whole number/);
    assert.ok(resolveThreads(0) >= 1 && resolveThreads(0) <= 4);
    assert.equal(resolveThreads(3), 3);
  });

  it('a saved state from before the threads setting restores (threads: the default)', () => {
    const t = new Trainer(cfg({ optimizer: 'minibatch', hidden: 4, epochs: 2 }), train);
    t.step();
    const s = JSON.parse(JSON.stringify(t.getState()));
    delete s.config.threads;
    const r = Trainer.restore(s, train);
    assert.equal(r.config.threads, 0);
    assert.ok(r.step());
  });
});

describe('Trainer.advance: a slice of steps equals that many step() calls, bit for bit', () => {
  const rng = new Rng(31);
  const small = randomData(rng, 57, 3);

  /** Everything observable after the steps: θ, optimizer state, RNG, counters, history, status and the record. */
  function observe(t: Trainer) {
    const s = t.getState();
    const r = t.record;
    return {
      state: s,
      record: {
        step: r.step,
        epoch: r.epoch,
        samples: Array.from(r.samples),
        x: Array.from(r.x),
        y: r.y,
        z1: Array.from(r.z1),
        a1: Array.from(r.a1),
        z2: r.z2,
        a2: r.a2,
        dz2: r.dz2,
        dz1: Array.from(r.dz1),
        loss: r.loss,
        grad: Array.from(r.grad),
        delta: Array.from(r.delta),
        misclassified: r.misclassified,
      },
    };
  }

  const cases: Array<[string, Partial<TrainConfig>, TrainData?]> = [];
  for (const optimizer of OPTIMIZERS)
    cases.push([
      `${optimizer}, epochs end inside slices`,
      { optimizer, hidden: 5, lr: 0.05, batchSize: 10, epochs: 7, seed: 2 },
    ]);
  cases.push([
    'sgd, the step limit inside a slice',
    { optimizer: 'sgd', hidden: 3, maxSteps: 101, epochs: 100 },
  ]);
  cases.push([
    'minibatch, a plateau inside a slice',
    {
      optimizer: 'minibatch',
      hidden: 3,
      lr: 1e-9,
      batchSize: 8,
      epochs: 100,
      plateauEpochs: 2,
      plateauTol: 1e-6,
    },
  ]);
  cases.push([
    'misclassified-sgd, convergence inside a slice',
    { optimizer: 'misclassified-sgd', hidden: 4, lr: 0.5, epochs: 50, seed: 3 },
    // separable: label 1 iff x0 > 0, every point at least 0.5 from the line
    {
      X: Float64Array.from({ length: 60 }, (_, i) =>
        i % 2 ? Math.sin(i) : (i % 4 ? 1 : -1) * (0.5 + (i % 7) / 7),
      ),
      Y: Float64Array.from({ length: 30 }, (_, i) => (i % 2 ? 1 : 0)),
      m: 30,
      n: 2,
    },
  ]);
  cases.push([
    'sgd, divergence of θ inside a slice',
    { optimizer: 'sgd', hidden: 2, activation: 'relu', lr: 1e306, epochs: 5 },
    {
      X: Float64Array.from({ length: 40 }, (_, i) => (i % 3 ? 1e3 : -1e3) * (1 + i)),
      Y: Float64Array.from({ length: 20 }, (_, i) => i % 2),
      m: 20,
      n: 2,
    },
  ]);
  cases.push([
    'momentum, divergence of the loss inside a slice',
    { optimizer: 'momentum', hidden: 3, activation: 'relu', lr: 1e150, batchSize: 4, epochs: 50 },
    {
      X: Float64Array.from({ length: 40 }, (_, i) => (i % 2 ? 1e100 : -3e99)),
      Y: Float64Array.from({ length: 20 }, (_, i) => i % 2),
      m: 20,
      n: 2,
    },
  ]);

  // Larger networks, also in WebAssembly steps.
  const wide = randomData(new Rng(41), 45, 24);
  cases.push([
    'sgd, WebAssembly steps (h·n = 480), epochs inside slices',
    { optimizer: 'sgd', hidden: 20, lr: 0.05, epochs: 5, seed: 4 },
    wide,
  ]);
  cases.push([
    'misclassified-sgd, WebAssembly steps, epochs and convergence inside slices',
    { optimizer: 'misclassified-sgd', hidden: 20, lr: 0.05, epochs: 4, seed: 4 },
    wide,
  ]);
  cases.push([
    'minibatch of 1, WebAssembly steps, step limit inside a slice',
    {
      optimizer: 'minibatch',
      batchSize: 1,
      hidden: 20,
      activation: 'tanh',
      lr: 0.05,
      epochs: 100,
      maxSteps: 77,
      seed: 4,
    },
    wide,
  ]);
  cases.push([
    'sgd, WebAssembly steps, divergence of θ inside a slice',
    { optimizer: 'sgd', hidden: 20, activation: 'relu', lr: 1e306, epochs: 5 },
    {
      X: Float64Array.from({ length: 24 * 20 }, (_, i) => (i % 3 ? 1e3 : -1e3) * (1 + (i % 7))),
      Y: Float64Array.from({ length: 20 }, (_, i) => i % 2),
      m: 20,
      n: 24,
    },
  ]);
  cases.push([
    'sgd, WebAssembly steps, divergence of the loss inside a slice',
    { optimizer: 'sgd', hidden: 20, activation: 'relu', lr: 1e150, epochs: 50 },
    {
      X: Float64Array.from({ length: 24 * 20 }, (_, i) => (i % 2 ? 1e100 : -3e99)),
      Y: Float64Array.from({ length: 20 }, (_, i) => i % 2),
      m: 20,
      n: 24,
    },
  ]);

  for (const [name, over, data] of cases)
    for (const engine of ['auto', 'reference'] as const) {
      it(`${name} (${engine === 'auto' ? 'one example: WebAssembly' : 'one example: the fused JavaScript pass'})`, () => {
        const d = data ?? small;
        const c = cfg(over);
        const a = new Trainer(c, d, null, undefined, { engine });
        let steps = 0;
        const trail: number[] = [];
        while (a.step()) {
          steps++;
          trail.push(a.record.step);
        }
        const expected = /divergence/.test(name)
          ? 'diverged'
          : /plateau/.test(name)
            ? 'plateau'
            : /convergence/.test(name)
              ? 'converged'
              : 'completed';
        assert.equal(a.status, expected, a.reason);
        if (/loss/.test(name)) assert.equal(a.divergence?.param, 'loss');
        if (/θ/.test(name)) assert.notEqual(a.divergence?.param, 'loss');
        for (const slice of [1, 3, 16, 1000]) {
          const b = new Trainer(c, d, null, undefined, { engine });
          let taken = 0;
          for (let k; (k = b.advance(slice)) > 0; ) taken += k;
          assert.equal(taken, steps, `slice ${slice}: steps`);
          assert.deepEqual(observe(b), observe(a), `slice ${slice}`);
        }
        // Exact resume across slices: stop after a few, serialise, continue with advance.
        const c3 = new Trainer(c, d, null, undefined, { engine });
        c3.advance(Math.floor(steps / 3));
        const resumed = Trainer.restore(JSON.parse(JSON.stringify(c3.getState())), d, null, { engine });
        while (resumed.advance(7) > 0);
        assert.deepEqual(observe(resumed).state.theta, observe(a).state.theta);
        assert.deepEqual(
          resumed.history.map((e) => e.train.loss),
          a.history.map((e) => e.train.loss),
        );
        assert.equal(resumed.status, a.status);
        assert.ok(trail.length === steps);
      });
    }

  it('run() without onStep goes through advance and ends where step() by step() ends', () => {
    const c = cfg({ optimizer: 'adam', hidden: 6, epochs: 9, batchSize: 5 });
    const a = new Trainer(c, small),
      b = new Trainer(c, small);
    const ra = a.run({ onStep: () => {} });
    const rb = b.run();
    assert.deepEqual(rb, ra);
    assert.deepEqual(observe(b), observe(a));
  });
});
