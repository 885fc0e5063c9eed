import { strict as assert } from 'node:assert';
import { deadReluUnits } from '../../src/core/diagnose';
import { Network, layout, paramCount } from '../../src/core/network';
import { Rng } from '../../src/core/rng';

describe('diagnoses: dead ReLU units', () => {
  // n = 2, h = 3; θ = [W1 | b1 | W2 | b2] with W1 = [[1, 0], [−1, −1], [0, −2]], b1 = [−5, 0, 1].
  const theta = Float64Array.from([1, 0, -1, -1, 0, -2, /* b1 */ -5, 0, 1, /* W2 */ 1, 1, 1, /* b2 */ 0]);

  it('hand values: a unit is dead when z1 ≤ 0 on every row (z1 = 0 counts as dead)', () => {
    // rows (1, 1) and (2, −0.25): z1 = (−4, −2, −1) and (−3, −1.75, 1.5).
    assert.deepEqual(deadReluUnits(theta, 2, 3, Float64Array.from([1, 1, 2, -0.25]), 2), {
      dead: [0, 1],
      hidden: 3,
    });
    // rows (1, 1) and (2, 0.5): z1 = (−4, −2, −1) and (−3, −2.5, 0): all three dead.
    assert.deepEqual(deadReluUnits(theta, 2, 3, Float64Array.from([1, 1, 2, 0.5]), 2).dead, [0, 1, 2]);
    // row (6, −1): z1 = (1, −5, 3).
    assert.deepEqual(deadReluUnits(theta, 2, 3, Float64Array.from([6, -1]), 1).dead, [1]);
  });

  it('no rows: no unit is called dead; a NaN pre-activation is not "≤ 0"', () => {
    assert.deepEqual(deadReluUnits(theta, 2, 3, new Float64Array(0), 0).dead, []);
    assert.deepEqual(deadReluUnits(theta, 2, 3, Float64Array.from([NaN, 0]), 1).dead, []); // every z1 is NaN
  });

  it("agrees with the reference Network's z1 on random networks and data", () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + (trial % 5),
        h = 1 + (trial % 7),
        m = trial % 9;
      const th = Float64Array.from({ length: paramCount(n, h) }, () => rng.normal());
      const b1 = layout(n, h)[1];
      for (let j = 0; j < h; j++) th[b1.offset + j] -= 2 * rng.float(); // push some units towards dead
      const X = Float64Array.from({ length: m * n }, () => rng.normal());
      const net = new Network(n, h, 'relu', th);
      const alive = new Set<number>();
      for (let i = 0; i < m; i++) {
        net.forward(X, i * n);
        net.z1.forEach((z, j) => {
          if (!(z <= 0)) alive.add(j);
        });
      }
      const expected = m === 0 ? [] : Array.from({ length: h }, (_, j) => j).filter((j) => !alive.has(j));
      assert.deepEqual(deadReluUnits(th, n, h, X, m), { dead: expected, hidden: h });
    }
  });
});
