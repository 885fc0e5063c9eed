import { strict as assert } from 'node:assert';
import { DEFAULT_LR_FIND, SCORE_ROWS, lrFind, lrSchedule, scoreRows } from '../../src/core/lrfind';
import {
  axis,
  evaluator,
  evenRows,
  filterNormalizedDirection,
  filters,
  gradientSlice,
  lossGrid,
  allRows,
  principalDirections,
  projectTrajectory,
} from '../../src/core/landscape';
import { Network, layout, paramCount } from '../../src/core/network';
import { Rng } from '../../src/core/rng';
import { ACTIVATIONS } from '../../src/core/activations';
import { DEFAULT_CONFIG, Trainer, type OptimizerName, type TrainData } from '../../src/core/trainer';
import { moons } from '../../src/data/synthetic';
import { parseExperiment } from '../../src/data/experiment';
import { race, raceLandscape } from '../../src/training/race';

const moonData = (): TrainData => {
  const p = moons(4, 200);
  return { X: p.X, Y: p.Y, m: 200, n: 2 };
};

describe('learning-rate finder (range test)', () => {
  it('the schedule grows exponentially and strictly from start to end', () => {
    const s = lrSchedule(1e-5, 10, 50);
    assert.equal(s[0], 1e-5);
    assert.equal(s[49], 10);
    const ratio = Math.pow(10 / 1e-5, 1 / 49);
    for (let i = 1; i < 50; i++) {
      assert.ok(s[i] > s[i - 1], `step ${i} grows`);
      assert.ok(Math.abs(s[i] / s[i - 1] - ratio) < 1e-12, `constant ratio at ${i}`);
    }
  });

  it('records the learning rates of the schedule, and is deterministic', () => {
    const cfg = { ...DEFAULT_CONFIG, optimizer: 'minibatch' as OptimizerName, hidden: 5 };
    const a = lrFind(cfg, moonData(), { start: 1e-4, end: 1e3, steps: 80 });
    const b = lrFind(cfg, moonData(), { start: 1e-4, end: 1e3, steps: 80 });
    assert.deepEqual(Array.from(a.lr), Array.from(b.lr));
    assert.deepEqual(Array.from(a.loss), Array.from(b.loss));
    assert.equal(a.suggested, b.suggested);
    const s = lrSchedule(1e-4, 1e3, 80);
    for (let i = 0; i < a.lr.length; i++) assert.equal(a.lr[i], s[i]);
    assert.equal(a.stop, 'exploded', 'lr up to 1000 blows the loss up');
    assert.ok(a.lr.length < 80);
  });

  it('the first recorded loss is the loss of the initial θ over the training rows (the same start as a training run)', () => {
    for (const optimizer of ['batch', 'sgd'] as OptimizerName[]) {
      const cfg = { ...DEFAULT_CONFIG, optimizer, hidden: 4 };
      const r = lrFind(cfg, moonData(), { steps: 10 });
      const t = new Trainer(cfg, moonData());
      const net = new Network(2, 4, cfg.activation, t.net.theta.slice());
      const want = net.lossAndGrad(moonData().X, moonData().Y, null, 200); // the reference network, all 200 rows
      assert.ok(Math.abs(r.loss[0] - want) <= 1e-12 * want, `${optimizer}: ${r.loss[0]} vs ${want}`);
    }
  });

  it('over SCORE_ROWS rows the loss is measured on SCORE_ROWS evenly spaced ones', () => {
    const m = 2 * SCORE_ROWS + 1;
    const d = {
      X: Float64Array.from({ length: 2 * m }, (_, i) => i),
      Y: Float64Array.from({ length: m }, (_, i) => i % 2),
      m,
      n: 2,
    };
    const s = scoreRows(d);
    assert.equal(s.m, SCORE_ROWS);
    // Row k of the sample is row ⌊k·m/SCORE_ROWS⌋ = 2k (m = 2·SCORE_ROWS + 1): x = (4k, 4k + 1), y = 0.
    for (const k of [0, 1, 499, SCORE_ROWS - 1]) {
      assert.deepEqual([s.X[2 * k], s.X[2 * k + 1], s.Y[k]], [4 * k, 4 * k + 1, 0]);
    }
    assert.equal(scoreRows(moonData()).m, 200, 'fewer rows: all of them');
  });

  it('sgd (one example a step): both suggestions lie where ten epochs of training at least halve the loss', () => {
    // The curve used to be one example's loss per step: the suggestions followed its noise (7e-6 on breast cancer).
    const data = moonData();
    const cfg = { ...DEFAULT_CONFIG, optimizer: 'sgd' as OptimizerName, hidden: 8 };
    const r = lrFind(cfg, data, { start: 1e-4, end: 100, steps: 100 });
    const final = (lr: number) =>
      new Trainer({ ...cfg, lr, epochs: 1e9, maxSteps: 10 * data.m }, data).run().train.loss;
    const start = new Trainer(cfg, data).evaluate(data).loss;
    const grid = [1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100];
    const good = grid.filter((lr) => final(lr) <= start / 2);
    for (const [name, lr] of [
      ['suggested', r.suggested],
      ['minimum / 10', r.minimumOverTen],
    ] as const) {
      assert.ok(
        lr !== null && lr >= Math.min(...good) / 3 && lr <= Math.max(...good) * 3,
        `${name} ${lr} outside ${good.join(', ')}`,
      );
    }
  });

  for (const optimizer of ['batch', 'adam'] as OptimizerName[]) {
    it(`${optimizer}: the suggestion lies in the range where 100 steps of training do best (measured by a grid of separate runs)`, () => {
      const data = moonData();
      const cfg = { ...DEFAULT_CONFIG, optimizer, hidden: 8 };
      const r = lrFind(cfg, data, { start: 1e-4, end: 100, steps: 100 });
      assert.ok(r.suggested !== null);
      const final = (lr: number) =>
        new Trainer({ ...cfg, lr, epochs: 1e9, maxSteps: 100 }, data).run().train.loss;
      const grid = [1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100];
      const losses = grid.map(final);
      const best = Math.min(...losses);
      const good = grid.filter((_, i) => losses[i] <= 2 * best);
      assert.ok(
        r.suggested! >= Math.min(...good) / 3 && r.suggested! <= Math.max(...good) * 3,
        `suggested ${r.suggested} outside the good range ${good.join(', ')}`,
      );
      assert.ok(final(r.suggested!) < final(r.suggested! / 100), 'better than a hundredth of it');
    });
  }

  it('rejects bad options', () => {
    assert.throws(() => lrFind(DEFAULT_CONFIG, moonData(), { start: 0 }), RangeError);
    assert.throws(() => lrFind(DEFAULT_CONFIG, moonData(), { start: 1, end: 0.5 }), RangeError);
    assert.throws(() => lrFind(DEFAULT_CONFIG, moonData(), { steps: 2 }), RangeError);
    assert.equal(DEFAULT_LR_FIND.steps, 100);
  });
});

describe('loss landscape', () => {
  const data = moonData();
  const setup = (activation: (typeof ACTIVATIONS)[number], seed = 3) => {
    const t = new Trainer(
      { ...DEFAULT_CONFIG, hidden: 6, activation, seed, optimizer: 'batch', lr: 0.5, epochs: 20 },
      data,
    );
    t.run();
    return new Network(2, 6, activation, t.net.theta.slice());
  };

  /** The current loss as the Trainer reports it (Trainer.evaluate: Σ L / m through the network's forward pass). */
  const currentLoss = (
    theta: Float64Array,
    activation: (typeof ACTIVATIONS)[number],
    h = 6,
    d: TrainData = data,
  ) =>
    new Trainer({ ...DEFAULT_CONFIG, hidden: h, activation }, d, null, theta, {
      engine: 'reference',
    }).evaluate(d).loss;

  for (const activation of ACTIVATIONS) {
    it(`${activation}: the slice's centre is the current loss exactly, its slope at 0 is −‖g‖² (finite differences)`, () => {
      const net = setup(activation);
      const before = net.theta.slice();
      const g = new Float64Array(net.theta.length);
      net.lossAndGrad(data.X, data.Y, null, data.m, g);
      let g2 = 0;
      for (const v of g) g2 += v * v;
      const J = evaluator(2, 6, activation, allRows(data), 'reference');
      const s = gradientSlice(J, net.theta, 1e-4, { points: 5, spanFactor: 2 });
      assert.deepEqual(Array.from(net.theta), Array.from(before), 'θ untouched');
      assert.equal(s.loss[s.centre], currentLoss(before, activation));
      assert.equal(s.alpha[s.centre], 0);
      const h = s.alpha[s.centre + 1];
      const slope = (s.loss[s.centre + 1] - s.loss[s.centre - 1]) / (2 * h);
      assert.ok(Math.abs(slope + g2) <= 1e-5 * g2, `slope ${slope} vs −‖g‖² ${-g2}`);
      assert.ok(Math.abs(s.gradNorm2 - g2) <= 1e-12 * g2);
      // The marked learning rate's point is J(θ − lr·g), computed independently.
      assert.equal(
        s.lossAtLr,
        currentLoss(
          Float64Array.from(before, (v, i) => v - 1e-4 * g[i]),
          activation,
        ),
      );
    });
  }

  for (const activation of ACTIVATIONS) {
    it(`${activation}: the fast evaluator (batched kernels) agrees with the reference Network to 1e-12 on random configurations, and its centre is the Trainer's reported loss exactly`, () => {
      const rng = new Rng(activation.length);
      for (let trial = 0; trial < 3; trial++) {
        const n = 2 + rng.int(6),
          h = 16 + rng.int(40),
          m = 150 + rng.int(100);
        const d: TrainData = {
          X: Float64Array.from({ length: m * n }, () => rng.normal()),
          Y: Float64Array.from({ length: m }, () => rng.int(2)),
          m,
          n,
        };
        const theta = Float64Array.from({ length: paramCount(n, h) }, () => 0.5 * rng.normal());
        const fast = evaluator(n, h, activation, allRows(d), 'auto');
        const ref = evaluator(n, h, activation, allRows(d), 'reference');
        const lf = fast.loss(theta),
          lr = ref.loss(theta);
        assert.ok(Math.abs(lf - lr) <= 1e-12 * Math.abs(lr), `loss ${lf} vs ${lr}`);
        const gf = new Float64Array(theta.length),
          gr = new Float64Array(theta.length);
        fast.grad(theta, gf);
        ref.grad(theta, gr);
        const scale = Math.max(...Array.from(gr, Math.abs));
        gf.forEach((v, i) => assert.ok(Math.abs(v - gr[i]) <= 1e-12 * scale, `grad[${i}]`));
        // A Trainer on the same data evaluates its loss through the same kernels: the same bits.
        const t = new Trainer({ ...DEFAULT_CONFIG, hidden: h, activation }, d, null, theta);
        assert.equal(lf, t.evaluate(d).loss);
        t.dispose();
        fast.dispose();
        const rows = evenRows(d, 40);
        assert.equal(rows.count, 40);
        assert.ok(rows.idx![39] < m && rows.idx![0] === 0);
      }
    });
  }

  it("K = 3 classes: the evaluator's loss is the Trainer's reported softmax loss (kernels and reference), and a race equals separate runs", () => {
    const rng = new Rng(33);
    const n = 4,
      h = 24,
      m = 240,
      K = 3;
    const d: TrainData = {
      X: Float64Array.from({ length: m * n }, () => rng.normal()),
      Y: Float64Array.from({ length: m }, () => rng.int(K)),
      m,
      n,
      K,
    };
    const theta = Float64Array.from({ length: paramCount(n, h, K) }, () => 0.4 * rng.normal());
    for (const engine of ['auto', 'reference'] as const) {
      const J = evaluator(n, h, 'relu', allRows(d), engine);
      const t = new Trainer({ ...DEFAULT_CONFIG, hidden: h, activation: 'relu' }, d, null, theta, {
        engine: engine === 'auto' ? 'auto' : 'reference',
      });
      assert.equal(J.loss(theta), t.evaluate(d).loss, engine);
      const g = new Float64Array(theta.length);
      J.grad(theta, g);
      const ref = new Network(n, h, 'relu', theta.slice(), K);
      const gr = new Float64Array(theta.length);
      ref.lossAndGrad(d.X, d.Y, null, m, gr);
      const scale = Math.max(...Array.from(gr, Math.abs));
      g.forEach((v, i) => assert.ok(Math.abs(v - gr[i]) <= 1e-12 * scale));
      t.dispose();
      J.dispose();
    }
    const cfg = { ...DEFAULT_CONFIG, hidden: 5, epochs: 3 };
    const r = race(cfg, ['adam', 'sgd'], d, null, { trajectory: 4 });
    r.racers.forEach((x) => {
      const t = new Trainer({ ...cfg, optimizer: x.optimizer }, d);
      t.run();
      assert.deepEqual(Array.from(x.theta), Array.from(t.net.theta));
    });
    const L = raceLandscape(cfg, r, d, { size: 3 });
    assert.equal(
      L.grid.loss[4],
      new Trainer(cfg, d, null, r.theta0, { engine: 'reference' }).evaluate(d).loss,
    );
  });

  it('the grid axis is symmetric with an exact 0 in the middle', () => {
    const a = axis(7, 0.3);
    assert.equal(a[3], 0);
    for (let i = 0; i < 7; i++) assert.ok(Math.abs(a[i] + a[6 - i]) < 1e-15);
    assert.equal(a[0], -0.3);
  });

  it('filter normalisation: every row of W1 and W2 of the direction has the norm of the same row of θ; biases are 0', () => {
    const net = setup('tanh');
    const d = filterNormalizedDirection(net.theta, 2, 6, new Rng(9));
    const norm = (v: Float64Array, s: number, e: number) => Math.hypot(...Array.from(v.subarray(s, e)));
    const rows = filters(2, 6);
    assert.equal(rows.length, 6 + 1, 'six hidden units and one output');
    for (const b of layout(2, 6)) {
      for (let r = 0; r < b.rows; r++) {
        const s = b.offset + r * b.cols,
          e = s + b.cols;
        if (b.name.startsWith('b'))
          assert.ok(
            Array.from(d.subarray(s, e)).every((v) => v === 0),
            `${b.name} is 0`,
          );
        else
          assert.ok(
            Math.abs(norm(d, s, e) - norm(net.theta, s, e)) <= 1e-12 * norm(net.theta, s, e),
            `${b.name} row ${r}`,
          );
      }
    }
    assert.equal(d.length, paramCount(2, 6));
    // K outputs: W2 is K×h, one filter per output row.
    const theta3 = Float64Array.from({ length: paramCount(2, 6, 3) }, (_, i) => Math.sin(i + 1));
    const d3 = filterNormalizedDirection(theta3, 2, 6, new Rng(2), 3);
    const W2 = layout(2, 6, 3).find((b) => b.name === 'W2')!;
    assert.equal(filters(2, 6, 3).length, 6 + 3);
    for (let r = 0; r < 3; r++) {
      const s = W2.offset + r * 6;
      assert.ok(
        Math.abs(norm(d3, s, s + 6) - norm(theta3, s, s + 6)) <= 1e-12 * norm(theta3, s, s + 6),
        `W2 row ${r} of 3`,
      );
    }
  });

  it('the grid centre equals the current loss exactly, and a grid point equals an independent evaluation', () => {
    const net = setup('relu');
    const rng = new Rng(5);
    const d1 = filterNormalizedDirection(net.theta, 2, 6, rng),
      d2 = filterNormalizedDirection(net.theta, 2, 6, rng);
    const J = evaluator(2, 6, 'relu', allRows(data));
    const grid = lossGrid(J, net.theta, d1, d2, { size: 5, span: 0.5 });
    assert.equal(grid.loss[2 * 5 + 2], currentLoss(net.theta, 'relu'));
    const [i, j] = [4, 1];
    assert.equal(
      grid.loss[j * 5 + i],
      currentLoss(
        Float64Array.from(net.theta, (v, k) => v + grid.a[i] * d1[k] + grid.b[j] * d2[k]),
        'relu',
      ),
    );
    assert.throws(() => lossGrid(J, net.theta, d1, d2, { size: 4 }), RangeError);
    assert.throws(() => lossGrid(J, net.theta, d1, d2, { size: 1001 }), RangeError);
  });

  it('principal directions of a trajectory that lies in a known plane recover that plane, and the projection its coordinates', () => {
    const P = 9;
    const centre = Float64Array.from({ length: P }, (_, i) => i / 3);
    const u = new Float64Array(P),
      v = new Float64Array(P);
    u[0] = 1;
    v[4] = 1; // orthonormal
    const coords = [
      [3, 0.5],
      [2, -0.5],
      [1, 0],
      [-1, 0],
      [-2, -0.5],
      [-3, 0.5],
    ]; // Σ a·b = 0: u and v are the principal axes
    const traj = coords.map(([a, b]) => Float64Array.from(centre, (c, i) => c + a * u[i] + b * v[i]));
    const pd = principalDirections(traj, centre);
    assert.ok(Math.abs(Math.abs(pd.d1[0]) - 1) < 1e-9, 'first direction is u (the larger spread)');
    assert.ok(Math.abs(Math.abs(pd.d2[4]) - 1) < 1e-9, 'second is v');
    assert.ok(Math.abs(pd.explained[0] + pd.explained[1] - 1) < 1e-9);
    const proj = projectTrajectory(traj, centre, u, v);
    coords.forEach(([a, b], k) => {
      assert.ok(Math.abs(proj[2 * k] - a) < 1e-12 && Math.abs(proj[2 * k + 1] - b) < 1e-12);
    });
  });
});

describe('optimizer race', () => {
  const data = moonData();
  const train: TrainData = { X: data.X.subarray(0, 160 * 2), Y: data.Y.subarray(0, 160), m: 160, n: 2 };
  const test: TrainData = { X: data.X.subarray(160 * 2), Y: data.Y.subarray(160), m: 40, n: 2 };
  const cfg = { ...DEFAULT_CONFIG, hidden: 5, epochs: 15, batchSize: 16, lr: 0.05 };
  const names: OptimizerName[] = [
    'sgd',
    'minibatch',
    'adam',
    'misclassified-sgd',
    'momentum',
    'rmsprop',
    'batch',
  ];

  it('each racer is bit-identical to a separate Trainer run with that optimizer (θ, curves, metrics)', () => {
    const r = race(cfg, names, train, test, { threshold: 0.3, trajectory: 5 });
    assert.equal(r.racers.length, names.length);
    r.racers.forEach((racer, k) => {
      const t = new Trainer({ ...cfg, optimizer: names[k] }, train, test);
      assert.deepEqual(Array.from(t.net.theta), Array.from(r.theta0), 'same θ₀');
      const res = t.run();
      assert.equal(racer.optimizer, names[k]);
      assert.deepEqual(Array.from(racer.theta), Array.from(t.net.theta));
      assert.deepEqual(
        racer.curve.loss,
        t.history.map((e) => e.train.loss),
      );
      assert.deepEqual(
        racer.curve.accuracy,
        t.history.map((e) => e.train.accuracy),
      );
      assert.deepEqual(
        racer.curve.testAccuracy,
        t.history.map((e) => e.test!.accuracy),
      );
      assert.deepEqual(racer.train, res.train);
      assert.deepEqual(racer.test, res.test);
      assert.equal(racer.result.status, res.status);
      const first = t.history.find((e) => e.train.loss <= 0.3);
      assert.equal(racer.stepsToThreshold, first ? first.step : null);
      assert.ok(racer.trajectory.length >= 2 && racer.trajectory.length <= 5);
      assert.deepEqual(Array.from(racer.trajectory[0]), Array.from(r.theta0));
      assert.deepEqual(Array.from(racer.trajectory[racer.trajectory.length - 1]), Array.from(t.net.theta));
      assert.ok(racer.ms >= 0);
      assert.equal(racer.state, null);
    });
  });

  it("keepState: a racer's state resumes exactly (Trainer.restore) and matches a longer separate run", () => {
    const r = race(cfg, ['adam'], train, test, { keepState: true });
    const st = r.racers[0].state!;
    assert.equal(st.config.optimizer, 'adam');
    const resumed = Trainer.restore(
      { ...st, config: { ...st.config, epochs: 20 }, status: 'running', reason: '' },
      train,
      test,
    );
    resumed.run();
    const straight = new Trainer({ ...cfg, optimizer: 'adam', epochs: 20 }, train, test);
    straight.run();
    assert.deepEqual(Array.from(resumed.net.theta), Array.from(straight.net.theta));
  });

  it('steps to threshold is null when the loss never gets there', () => {
    const r = race({ ...cfg, epochs: 2 }, ['sgd'], train, null, { threshold: 1e-9 });
    assert.equal(r.racers[0].stepsToThreshold, null);
    assert.equal(r.racers[0].curve.testLoss, null);
  });

  it('rejects an empty race, unknown and repeated optimizers', () => {
    assert.throws(() => race(cfg, [], train, null), RangeError);
    assert.throws(
      () => race(cfg, ['sgd', 'nesterov' as OptimizerName], train, null),
      /unknown optimizer 'nesterov'/,
    );
    assert.throws(() => race(cfg, ['adam', 'adam'], train, null), /twice/);
  });

  it('experiment files: "race" is a non-empty list of distinct optimizers; errors point at it', () => {
    const ok = parseExperiment('{\n "dataset": "d.csv",\n "race": ["sgd", "adam"]\n}');
    assert.ok(ok.ok && JSON.stringify(ok.experiment.race) === '["sgd","adam"]');
    const none = parseExperiment('{ "dataset": "d.csv" }');
    assert.ok(none.ok && none.experiment.race === undefined);
    for (const [v, msg] of [
      ['[]', /non-empty/],
      ['["sgd", "lion"]', /"lion" is not an optimizer/],
      ['["adam", "adam"]', /twice/],
      ['"adam"', /array/],
    ] as const) {
      const bad = parseExperiment(`{\n "dataset": "d.csv",\n "race": ${v}\n}`);
      assert.ok(!bad.ok);
      assert.equal(bad.errors[0].line, 3);
      assert.equal(bad.errors[0].key, 'race');
      assert.match(bad.errors[0].message, msg);
    }
  });
});

describe('optimizer race: one shared landscape', () => {
  it('the plane passes through the common θ₀ (grid centre = J(θ₀) exactly); every path starts at (0, 0); the directions are orthonormal', () => {
    const data = moonData();
    const cfg = { ...DEFAULT_CONFIG, hidden: 4, epochs: 10, lr: 0.05 };
    const r = race(cfg, ['sgd', 'adam', 'batch'], data, null, { trajectory: 8 });
    const L = raceLandscape(cfg, r, data, { size: 9 });
    const J0 = new Trainer({ ...cfg, optimizer: 'batch' }, data, null, r.theta0, {
      engine: 'reference',
    }).evaluate(data).loss;
    assert.equal(L.grid.loss[4 * 9 + 4], J0);
    assert.equal(L.paths.length, 3);
    for (const p of L.paths) assert.ok(Math.abs(p[0]) < 1e-12 && Math.abs(p[1]) < 1e-12);
    let d11 = 0,
      d12 = 0,
      d22 = 0;
    for (let i = 0; i < L.d1.length; i++) {
      d11 += L.d1[i] ** 2;
      d12 += L.d1[i] * L.d2[i];
      d22 += L.d2[i] ** 2;
    }
    assert.ok(Math.abs(d11 - 1) < 1e-12 && Math.abs(d22 - 1) < 1e-12 && Math.abs(d12) < 1e-9);
    const reach = Math.max(...L.paths.flatMap((p) => Array.from(p, Math.abs)));
    assert.ok(L.grid.a[8] >= reach && L.grid.b[8] >= reach, 'the grid holds every path');
    assert.throws(() => raceLandscape(cfg, race(cfg, ['sgd'], data, null), data), /trajectory/);
  });
});
