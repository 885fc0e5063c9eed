import { strict as assert } from 'node:assert';
import { gradcheck, gradcheckFast, relativeError, verdictOf, DEFAULT_GRADCHECK, type Objective } from '../../src/core/gradcheck';
import { checkNetwork, checkNetworkFast, networkObjective } from '../../src/core/check';
import { Network, layout, paramCount } from '../../src/core/network';
import { Rng } from '../../src/core/rng';
import type { Activation } from '../../src/core/activations';
import type { TrainData } from '../../src/core/trainer';

function randomCase(act: Activation, n: number, h: number, m: number, seed: number) {
  const rng = new Rng(seed);
  const net = new Network(n, h, act, Float64Array.from({ length: paramCount(n, h) }, () => rng.normal()));
  const d: TrainData = { X: Float64Array.from({ length: m * n }, () => rng.normal()), Y: Float64Array.from({ length: m }, (_, i) => i % 2), m, n };
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
        assert.deepEqual(r.blocks.map((b) => b.name), ['W1', 'b1', 'W2', 'b2']);
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
    const r = gradcheck(f, net.theta.slice(), grad, [{ name: 'W1', offset: 0, rows: 4, cols: 3 }, { name: 'b1', offset: 12, rows: 4, cols: 1 }]);
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
    assert.deepEqual(r.localized!.blocks.map((b) => b.name), ['b2']);
    assert.ok(r.evaluations < 2 * net.theta.length, 'cheaper than a full check');
  });
});
