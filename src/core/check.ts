/**
 * Gradient check of the network itself: the textbook backward pass against
 * central differences of the same mean loss J(θ) = (1/m)·Σ L⁽ⁱ⁾ over one batch.
 */
import { type FastReport, type GradcheckOptions, type GradcheckReport, type Objective, gradcheck, gradcheckFast } from './gradcheck';
import { Network, layout } from './network';
import type { Rng } from './rng';
import type { TrainData } from './trainer';

/** J(θ) over rows 0..count) of d, and for ReLU the signs of every z1 (count·h bytes). */
export function networkObjective(net: Network, d: TrainData, count: number): { f: Objective; signCount: number } {
  const probe = new Network(net.n, net.h, net.activation);
  const { n, h } = net;
  const f: Objective = (theta, signs) => {
    probe.theta.set(theta);
    if (!signs) return probe.lossAndGrad(d.X, d.Y, null, count);
    let total = 0;
    for (let i = 0; i < count; i++) {
      total += probe.lossAndGrad(d.X.subarray(i * n, i * n + n), d.Y.subarray(i, i + 1), null, 1);
      for (let j = 0; j < h; j++) signs[i * h + j] = probe.z1[j] > 0 ? 1 : 0;
    }
    return total / count;
  };
  return { f, signCount: net.activation === 'relu' ? count * h : 0 };
}

/** Full per-entry check of W1, b1, W2, b2 at the network's current θ on the first `count` rows. */
export function checkNetwork(net: Network, d: TrainData, count: number, options: Partial<GradcheckOptions> = {}): GradcheckReport {
  const m = Math.min(count, d.m);
  const grad = new Float64Array(net.theta.length);
  net.lossAndGrad(d.X, d.Y, null, m, grad);
  const { f, signCount } = networkObjective(net, d, m);
  return gradcheck(f, net.theta.slice(), grad, layout(net.n, net.h), options, signCount);
}

/** Fast directional check (k random directions), localised on failure. */
export function checkNetworkFast(net: Network, d: TrainData, count: number, rng: Rng, k = 8, options: Partial<GradcheckOptions> = {}): FastReport {
  const m = Math.min(count, d.m);
  const grad = new Float64Array(net.theta.length);
  net.lossAndGrad(d.X, d.Y, null, m, grad);
  const { f, signCount } = networkObjective(net, d, m);
  return gradcheckFast(f, net.theta.slice(), grad, layout(net.n, net.h), () => rng.normal(), k, options, signCount);
}
