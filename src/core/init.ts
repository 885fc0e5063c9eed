/**
 * Seeded parameter initialisation; biases start at zero.
 *   small:  W ~ 0.01·N(0, 1)   (the usual teaching default, as in the classic exercise)
 *   xavier: W ~ U(−r, r), r = √(6 / (fan_in + fan_out))   (Glorot & Bengio, 2010)
 * Draw order is fixed (W1 row-major, then W2) so a seed gives one θ.
 */
import type { Rng } from './rng';
import { views } from './network';

export type InitScheme = 'small' | 'xavier';
export const INIT_SCHEMES: readonly InitScheme[] = ['small', 'xavier'];

export function initParams(
  theta: Float64Array,
  n: number,
  h: number,
  scheme: InitScheme,
  rng: Rng,
  K = 1,
): void {
  const { W1, b1, W2, b2 } = views(theta, n, h, K);
  fill(W1, n, h, scheme, rng);
  b1.fill(0);
  fill(W2, h, K, scheme, rng); // K×h (K = 1: the binary network's 1×h)
  b2.fill(0);
}

function fill(W: Float64Array, fanIn: number, fanOut: number, scheme: InitScheme, rng: Rng): void {
  if (scheme === 'small') {
    for (let i = 0; i < W.length; i++) W[i] = 0.01 * rng.normal();
  } else {
    const r = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < W.length; i++) W[i] = (2 * rng.float() - 1) * r;
  }
}
