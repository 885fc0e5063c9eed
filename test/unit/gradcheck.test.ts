import { strict as assert } from 'node:assert';
import {
  gradcheck,
  gradcheckFast,
  relativeError,
  verdictOf,
  noiseBound,
  DEFAULT_GRADCHECK,
  GradcheckCancelled,
  type GradcheckReport,
  type Objective,
} from '../../src/core/gradcheck';
import {
  checkNetwork,
  checkNetworkFast,
  incrementalObjective,
  networkObjective,
  type OutputLoss,
} from '../../src/core/check';
import { Network, layout, paramCount } from '../../src/core/network';
import { Rng } from '../../src/core/rng';
import type { Activation } from '../../src/core/activations';
import type { TrainData } from '../../src/core/trainer';

function randomCase(act: Activation, n: number, h: number, m: number, seed: number) {
  const rng = new Rng(seed);
  const net = new Network(
    n,
    h,
    act,
    Float64Array.from({ length: paramCount(n, h) }, () => rng.normal()),
  );
  const d: TrainData = {
    X: Float64Array.from({ length: m * n }, () => rng.normal()),
    Y: Float64Array.from({ length: m }, (_, i) => i % 2),
    m,
    n,
  };
  return { net, d, rng };
}

describe('gradcheck', () => {
  it('relative error and verdict thresholds', () => {
    assert.equal(relativeError(0, 0), 0);
    assert.equal(relativeError(1, 1), 0);
    assert.equal(relativeError(2, 1), 0.5);
    assert.equal(relativeError(NaN, 1), Infinity);
    const t = DEFAULT_GRADCHECK.thresholds;
    assert.equal(verdictOf(1e-8, t), 'pass');
    assert.equal(verdictOf(1e-5, t), 'warning');
    assert.equal(verdictOf(1e-3, t), 'suspect');
    assert.equal(verdictOf(0.5, t), 'fail');
  });

  it('on a known function: f(θ) = θ0²·θ1 + sin θ1 with its true gradient passes, a wrong one fails at the wrong entry', () => {
    const f: Objective = (t) => t[0] * t[0] * t[1] + Math.sin(t[1]);
    const theta = Float64Array.from([0.7, -1.3]);
    const good = Float64Array.from([2 * 0.7 * -1.3, 0.7 * 0.7 + Math.cos(-1.3)]);
    const blocks = [{ name: 't', offset: 0, rows: 1, cols: 2 }];
    const ok = gradcheck(f, theta, good, blocks);
    assert.equal(ok.verdict, 'pass');
    assert.ok(ok.allclose);
    assert.ok(ok.globalDiff < 1e-9);
    const bad = Float64Array.from([good[0], 0.7 * 0.7 - Math.cos(-1.3)]); // sign error in the second term
    const r = gradcheck(f, theta, bad, blocks);
    assert.equal(r.verdict, 'fail');
    assert.equal(r.blocks[0].worst.col, 1);
    assert.equal(r.blocks[0].entries[0].verdict, 'pass');
    assert.equal(r.allclose, false);
    assert.deepEqual(Array.from(theta), [0.7, -1.3], 'θ restored');
  });

  for (const act of ['sigmoid', 'tanh'] as Activation[]) {
    it(`${act}: backprop passes on random networks (every entry pass, PyTorch allclose)`, () => {
      for (let s = 0; s < 5; s++) {
        const { net, d } = randomCase(act, 3, 4, 6, 100 + s);
        const r = checkNetwork(net, d, 6);
        assert.deepEqual(
          r.blocks.map((b) => b.name),
          ['W1', 'b1', 'W2', 'b2'],
        );
        assert.equal(r.blocks[0].entries.length, 12);
        assert.equal(r.verdict, 'pass', JSON.stringify(r.blocks.map((b) => [b.name, b.worst])));
        assert.ok(r.allclose);
        assert.ok(r.globalDiff < 1e-8, `${r.globalDiff}`);
        assert.equal(r.evaluations, 2 * paramCount(3, 4));
      }
    });
  }

  it('a planted 1% error in one entry of dW1 is caught and localised to W1', () => {
    const { net, d } = randomCase('sigmoid', 3, 4, 6, 7);
    const grad = new Float64Array(net.theta.length);
    net.lossAndGrad(d.X, d.Y, null, 6, grad);
    grad[5] *= 1.01; // a 1% error in W1[1,2]
    const { f } = networkObjective(net, d, 6);
    const r = gradcheck(f, net.theta.slice(), grad, [
      { name: 'W1', offset: 0, rows: 4, cols: 3 },
      { name: 'b1', offset: 12, rows: 4, cols: 1 },
    ]);
    assert.equal(r.blocks[0].verdict, 'suspect');
    assert.deepEqual([r.blocks[0].worst.row, r.blocks[0].worst.col], [1, 2]);
    assert.ok(Math.abs(r.blocks[0].worst.relError - 0.01 / 1.01) < 1e-6);
    assert.equal(r.blocks[1].verdict, 'pass');
  });

  it('ReLU: an entry whose perturbation crosses a kink is reported as a kink, not a failure', () => {
    // n = 1, h = 1: z1 = W1·x + b1 with x = 1 sits exactly 1e-7 from the kink, inside ±h = ±1e-5.
    const net = new Network(1, 1, 'relu', Float64Array.from([0.5, -0.5 + 1e-7, 1, 0]));
    const d: TrainData = { X: Float64Array.from([1]), Y: Float64Array.from([1]), m: 1, n: 1 };
    const r = checkNetwork(net, d, 1);
    const w1 = r.blocks[0].entries[0];
    assert.equal(w1.kink, true);
    assert.equal(w1.verdict, 'kink');
    assert.notEqual(r.verdict, 'fail');
    // Away from the kink the same network passes with no kinks.
    const far = checkNetwork(new Network(1, 1, 'relu', Float64Array.from([0.5, 0.3, 1, 0])), d, 1);
    assert.equal(far.verdict, 'pass');
    assert.ok(far.blocks.every((b) => b.entries.every((e) => !e.kink)));
  });

  it('fast mode: passes a correct gradient in O(k) evaluations and localises a wrong one', () => {
    const { net, d, rng } = randomCase('tanh', 30, 32, 16, 9);
    const ok = checkNetworkFast(net, d, 16, rng, 8);
    assert.equal(ok.verdict, 'pass');
    assert.equal(ok.evaluations, 16);
    assert.equal(ok.localized, null);
    // A wrong analytic gradient in b2 only: the fast check fails and the full check names b2.
    const grad = new Float64Array(net.theta.length);
    net.lossAndGrad(d.X, d.Y, null, 16, grad);
    grad[grad.length - 1] += 0.5;
    const { f } = networkObjective(net, d, 16);
    const r = gradcheckFast(f, net.theta.slice(), grad, layout(30, 32), () => rng.normal(), 8);
    assert.equal(r.verdict, 'fail');
    assert.deepEqual(
      r.localized!.blocks.map((b) => b.name),
      ['b2'],
    );
    assert.ok(r.evaluations < 2 * net.theta.length, 'cheaper than a full check');
  });

  /**
   * The incremental check against a full recomputation by the reference Network (control.full): same
   * points, so the same verdicts, kinks and "within noise" flags; numeric values equal to within the
   * round-off part of the noise bound (the two sum in different orders), relative errors accordingly.
   */
  function assertSameReport(
    inc: GradcheckReport,
    full: GradcheckReport,
    what: string,
    h = DEFAULT_GRADCHECK.h,
    J = 4,
  ): number {
    assert.equal(inc.verdict, full.verdict, `${what}: verdict`);
    assert.equal(inc.allclose, full.allclose, `${what}: allclose`);
    assert.equal(inc.zeroGradient, full.zeroGradient, `${what}: zeroGradient`);
    assert.equal(inc.evaluations, full.evaluations);
    let kinks = 0;
    for (let b = 0; b < full.blocks.length; b++) {
      const I = inc.blocks[b],
        F = full.blocks[b];
      assert.equal(I.verdict, F.verdict, `${what} ${F.name}: verdict`);
      // Among entries that all pass, the worst is round-off; a worst entry that does not pass must be the same one.
      if (F.worst.verdict !== 'pass')
        assert.deepEqual(
          [I.worst.row, I.worst.col],
          [F.worst.row, F.worst.col],
          `${what} ${F.name}: worst entry`,
        );
      for (let e = 0; e < F.entries.length; e++) {
        const x = I.entries[e],
          y = F.entries[e],
          at = `${what} ${F.name}[${e}]`;
        assert.equal(x.analytic, y.analytic, at);
        assert.equal(x.kink, y.kink, `${at}: kink`);
        assert.equal(x.withinNoise, y.withinNoise, `${at}: within noise`);
        assert.equal(x.verdict, y.verdict, `${at}: verdict ${x.verdict} vs ${y.verdict}`);
        assert.equal(x.allclose, y.allclose, `${at}: allclose`);
        // The round-off part of the noise bound, 16·ε·|J|/h (J the loss, a few here unless given).
        const tol = noiseBound(J, J, h) - h ** 2;
        assert.ok(Math.abs(x.numeric - y.numeric) <= tol, `${at}: numeric ${x.numeric} vs ${y.numeric}`);
        const scale = Math.max(Math.abs(y.analytic), Math.abs(y.numeric));
        if (!y.withinNoise)
          assert.ok(
            Math.abs(x.relError - y.relError) <= (2 * tol) / scale,
            `${at}: relError ${x.relError} vs ${y.relError}`,
          );
        if (y.kink) kinks++;
      }
    }
    return kinks;
  }

  for (const act of ['sigmoid', 'tanh', 'relu'] as Activation[]) {
    it(`${act}: the incremental check gives the full recomputation's verdicts, kinks and relative errors on 60 random networks`, () => {
      for (let s = 0; s < 60; s++) {
        const rng = new Rng(1000 + s);
        const n = 1 + rng.int(7),
          h = 1 + rng.int(7),
          m = 1 + rng.int(12);
        const w = [0.05, 0.5, 1, 3][s % 4]; // from near-linear to saturated units
        const net = new Network(
          n,
          h,
          act,
          Float64Array.from({ length: paramCount(n, h) }, () => rng.normal() * w),
        );
        const d: TrainData = {
          X: Float64Array.from({ length: m * n }, () => rng.normal() * (s % 3 === 0 ? 5 : 1)),
          Y: Float64Array.from({ length: m }, () => rng.int(2)),
          m,
          n,
        };
        assertSameReport(
          checkNetwork(net, d, m),
          checkNetwork(net, d, m, {}, { full: true }),
          `seed ${s} n=${n} h=${h} m=${m}`,
        );
      }
    });

    it(`${act}: the same with large steps and large inputs (the expansions give way to full evaluations)`, () => {
      for (let s = 0; s < 30; s++) {
        const rng = new Rng(3000 + s);
        const n = 1 + rng.int(5),
          h = 1 + rng.int(5),
          m = 1 + rng.int(8);
        const step = [1e-3, 1e-2, 0.05][s % 3];
        const net = new Network(
          n,
          h,
          act,
          Float64Array.from({ length: paramCount(n, h) }, () => rng.normal() * (s % 2 ? 1 : 8)),
        );
        const d: TrainData = {
          X: Float64Array.from({ length: m * n }, () => rng.normal() * (s % 4 < 2 ? 300 : 1)),
          Y: Float64Array.from({ length: m }, () => rng.int(2)),
          m,
          n,
        };
        const J = Math.max(1, net.lossAndGrad(d.X, d.Y, null, m));
        assertSameReport(
          checkNetwork(net, d, m, { h: step }),
          checkNetwork(net, d, m, { h: step }, { full: true }),
          `seed ${s} step ${step}`,
          step,
          J,
        );
      }
    });
  }

  it('the incremental check equals the full recomputation at the benchmark size (n=30, h=32, 64 examples), every activation', () => {
    for (const act of ['sigmoid', 'tanh', 'relu'] as Activation[]) {
      const { net, d } = randomCase(act, 30, 32, 64, 31);
      for (let i = 0; i < net.theta.length; i++) net.theta[i] *= 0.3;
      const inc = checkNetwork(net, d, 64);
      assert.equal(inc.verdict, act === 'relu' ? inc.verdict : 'pass');
      assertSameReport(inc, checkNetwork(net, d, 64, {}, { full: true }), act);
    }
  });

  it('ReLU kinks: pre-activations exactly at 0 (integer weights and data) are detected exactly as the full recomputation detects them', () => {
    let kinks = 0;
    for (let s = 0; s < 40; s++) {
      const rng = new Rng(2000 + s);
      const n = 1 + rng.int(4),
        h = 1 + rng.int(5),
        m = 2 + rng.int(8);
      // Small integers: many z1 = W1·x + b1 are exactly 0, others a hair away after ±h.
      const net = new Network(
        n,
        h,
        'relu',
        Float64Array.from({ length: paramCount(n, h) }, () => rng.int(5) - 2),
      );
      const d: TrainData = {
        X: Float64Array.from({ length: m * n }, () => rng.int(3) - 1),
        Y: Float64Array.from({ length: m }, () => rng.int(2)),
        m,
        n,
      };
      // Some units within h of their kink from the other side.
      for (let j = 0; j < h; j += 2) net.theta[h * n + j] += (rng.int(2) ? 1 : -1) * 3e-6;
      kinks += assertSameReport(
        checkNetwork(net, d, m),
        checkNetwork(net, d, m, {}, { full: true }),
        `seed ${s}`,
      );
    }
    assert.ok(kinks > 20, `the cases do cross kinks (${kinks})`);
  });

  it('an all-zero analytic gradient is not a pass: warning when the numeric one is within noise of 0 too, fail when it is not', () => {
    // A saturated output: z2 = 40, y = 1, so a2 = σ(40) rounds to 1 and dz2 = a2 − y = 0 exactly; every analytic entry is 0
    // while L = log(1 + e⁻⁴⁰) ≈ 4e-18 still moves a little. (Before the fix: verdict "pass" with globalDiff = 1.)
    const net = new Network(1, 1, 'sigmoid', Float64Array.from([0, 0, 0, 40]));
    const d: TrainData = { X: Float64Array.from([1]), Y: Float64Array.from([1]), m: 1, n: 1 };
    const grad = new Float64Array(4);
    net.lossAndGrad(d.X, d.Y, null, 1, grad);
    assert.deepEqual(Array.from(grad), [0, 0, 0, 0]);
    for (const r of [checkNetwork(net, d, 1), checkNetwork(net, d, 1, {}, { full: true })]) {
      assert.equal(r.zeroGradient, true);
      assert.equal(r.verdict, 'warning');
      assert.equal(r.globalDiff, 1);
    }
    // A zero analytic gradient where the true one is not 0: fail.
    const f: Objective = (t) => t[0] * t[0] * t[1] + Math.sin(t[1]);
    const r = gradcheck(f, Float64Array.from([0.7, -1.3]), new Float64Array(2), [
      { name: 't', offset: 0, rows: 1, cols: 2 },
    ]);
    assert.equal(r.verdict, 'fail');
    assert.equal(r.zeroGradient, false);
    // A correct, non-zero gradient is unaffected.
    assert.equal(
      checkNetwork(new Network(1, 1, 'sigmoid', Float64Array.from([0.5, 0.1, 0.7, 0.2])), d, 1).zeroGradient,
      false,
    );
  });

  it('progress: onProgress reports every entry up to the total; shouldStop cancels with GradcheckCancelled', () => {
    const { net, d } = randomCase('tanh', 3, 4, 6, 12);
    const P = paramCount(3, 4);
    const seen: [number, number][] = [];
    checkNetwork(net, d, 6, {}, { onProgress: (done, total) => seen.push([done, total]) });
    assert.equal(seen.length, P);
    seen.forEach(([done, total], i) => {
      assert.equal(done, i + 1);
      assert.equal(total, P);
    });
    let polls = 0;
    assert.throws(
      () => checkNetwork(net, d, 6, {}, { shouldStop: () => ++polls > 5 }),
      (e: unknown) => e instanceof GradcheckCancelled && e.done === 5 && e.total === P,
    );
    const controller = new AbortController();
    controller.abort();
    assert.throws(
      () => checkNetwork(net, d, 6, {}, { shouldStop: () => controller.signal.aborted }),
      GradcheckCancelled,
    );
  });

  it('K outputs (W2 K×h): every incremental evaluation equals a hand-written full forward pass, softmax cross-entropy, every activation', () => {
    // Softmax cross-entropy over K logits, label y ∈ {0..K−1}: L = log Σ exp(z2[c]) − z2[y].
    const softmaxCE = (K: number): OutputLoss => ({
      K,
      loss: (zo, y) => {
        let mx = -Infinity;
        for (let c = 0; c < K; c++) mx = Math.max(mx, zo[c]);
        let s = 0;
        for (let c = 0; c < K; c++) s += Math.exp(zo[c] - mx);
        return mx + Math.log(s) - zo[y];
      },
    });
    for (const act of ['sigmoid', 'tanh', 'relu'] as Activation[]) {
      for (let s = 0; s < 8; s++) {
        const rng = new Rng(4000 + s);
        const n = 1 + rng.int(4),
          h = 1 + rng.int(5),
          m = 1 + rng.int(6),
          K = 2 + rng.int(3);
        const P = h * n + h + K * h + K; // [W1 | b1 | W2 (K×h) | b2 (K)]
        const theta = Float64Array.from({ length: P }, () => rng.normal());
        const d: TrainData = {
          X: Float64Array.from({ length: m * n }, () => rng.normal()),
          Y: Float64Array.from({ length: m }, () => rng.int(K)),
          m,
          n,
        };
        const loss = softmaxCE(K);
        const g = (z: number) =>
          act === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : act === 'tanh' ? Math.tanh(z) : Math.max(z, 0);
        // The hand-written full forward pass at t, and the signs of every z1.
        const full = (t: Float64Array) => {
          let total = 0;
          const signs: boolean[] = [];
          const zo = new Float64Array(K);
          for (let i = 0; i < m; i++) {
            const a1: number[] = [];
            for (let j = 0; j < h; j++) {
              let z = t[h * n + j];
              for (let k = 0; k < n; k++) z += t[j * n + k] * d.X[i * n + k];
              signs.push(z > 0);
              a1.push(g(z));
            }
            for (let c = 0; c < K; c++) {
              let z = t[h * n + h + K * h + c];
              for (let j = 0; j < h; j++) z += t[h * n + h + c * h + j] * a1[j];
              zo[c] = z;
            }
            total += loss.loss(zo, d.Y[i]);
          }
          return { J: total / m, signs };
        };
        const f = incrementalObjective(theta, n, h, act, d, m, loss);
        const out = { fp: 0, fm: 0, kink: false };
        for (let i = 0; i < P; i++) {
          const plus = theta[i] + 1e-5,
            minus = theta[i] - 1e-5;
          f(i, plus, minus, out);
          const t = theta.slice();
          t[i] = plus;
          const p = full(t);
          t[i] = minus;
          const q = full(t);
          const tol = 1e-14 * Math.max(1, Math.abs(p.J));
          assert.ok(
            Math.abs(out.fp - p.J) <= tol && Math.abs(out.fm - q.J) <= tol,
            `${act} seed ${s} entry ${i}: ${out.fp} vs ${p.J}, ${out.fm} vs ${q.J}`,
          );
          const kink = act === 'relu' && p.signs.some((v, r) => v !== q.signs[r]);
          assert.equal(out.kink, kink, `${act} seed ${s} entry ${i}: kink`);
          // The central difference itself, against the hand-written one, well inside the noise bound.
          assert.ok(Math.abs(out.fp - out.fm - (p.J - q.J)) <= 2 * tol);
        }
      }
    }
  });
});
