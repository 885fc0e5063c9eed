/**
 * Diagnoses of a trained network, pure functions of θ and the data, for the
 * CLI and the inspector.
 *
 * Dead ReLU units: hidden unit j is dead on a data set when its pre-activation
 * z1[j] = W1[j,:]·x + b1[j] is ≤ 0 on every row. Then a1[j] = relu(z1[j]) = 0
 * and g'(z1[j]) = 0 on every row, so dz1[j] = W2ᵀ·dz2 ∗ g'(z1[j]) = 0: neither
 * W1[j,:] nor b1[j] receives a gradient again, and the unit stays dead (the
 * classic failure of plain SGD at a high learning rate).
 */
import { views } from './network';

export interface DeadUnits {
  /** Indices j of the dead hidden units, ascending. */
  dead: number[];
  /** Hidden units h. */
  hidden: number;
}

/**
 * The hidden units whose pre-activation z1[j] is ≤ 0 on every one of the m rows
 * of X (row-major m×n), for θ laid out as network.ts's `layout`. A NaN z1 does
 * not count as ≤ 0. With m = 0 no unit is called dead.
 */
export function deadReluUnits(
  theta: Float64Array,
  n: number,
  h: number,
  X: Float64Array,
  m: number,
): DeadUnits {
  const { W1, b1 } = views(theta, n, h);
  const alive = new Uint8Array(h);
  let left = h; // units not yet seen alive
  for (let i = 0; i < m && left > 0; i++) {
    const off = i * n;
    for (let j = 0; j < h; j++) {
      if (alive[j]) continue;
      let z1 = b1[j]; // z1[j] = W1[j,:]·x + b1[j]
      const row = j * n;
      for (let k = 0; k < n; k++) z1 += W1[row + k] * X[off + k];
      if (!(z1 <= 0)) {
        alive[j] = 1;
        left--;
      }
    }
  }
  const dead: number[] = [];
  if (m > 0) for (let j = 0; j < h; j++) if (!alive[j]) dead.push(j);
  return { dead, hidden: h };
}

/** The sentence the CLI and the inspector say about dead units ("16/16 ReLU units dead …"). */
export function describeDeadUnits(d: DeadUnits): string {
  const k = d.dead.length;
  const which = k < d.hidden ? `: units ${d.dead.slice(0, 20).join(', ')}${k > 20 ? ', …' : ''}` : '';
  return `${k}/${d.hidden} ReLU units dead (pre-activation ≤ 0 on every training row, so they output 0 and get no gradient)${which}; try a lower learning rate`;
}
