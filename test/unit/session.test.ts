import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, type TrainConfig, Trainer } from '../../src/core/trainer';
import { readDataset } from '../../src/data/dataset';
import { prepare } from '../../src/data/prepare';
import { flower } from '../../src/data/synthetic';
import type { FromWorker, StartMessage } from '../../src/protocol';
import {
  CHECKPOINT_MAX_EPOCHS,
  FINISHED_AFTER_MS,
  MAX_CHUNK,
  SLICE_MS,
  TrainingSession,
} from '../../src/training/session';
import { boundaryOf, featureMeans, pickPoints, principalPlane } from '../../src/training/boundary';
import { Network } from '../../src/core/network';
import { Rng } from '../../src/core/rng';
import { referenceDerivation } from '../../src/derivation/checker';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { FakeHost, pointsCsv } from './session-support';

const P = flower(1, 80);
const CSV = pointsCsv(P);
const CONFIG: TrainConfig = {
  ...DEFAULT_CONFIG,
  hidden: 3,
  activation: 'tanh',
  optimizer: 'sgd',
  epochs: 4,
  lr: 0.05,
  seed: 3,
};

function startMessage(over: Partial<StartMessage> = {}): StartMessage {
  return {
    type: 'start',
    runId: 'r1',
    bytes: CSV.slice(),
    fileName: '/w/flower.csv',
    label: '',
    maxBytes: 1e9,
    split: 0.25,
    standardize: true,
    config: CONFIG,
    reportEveryMs: 100,
    paused: false,
    checkpoint: { everySeconds: 0, everyEpochs: 0 },
    stepsPerSecond: 0,
    ...over,
  };
}

/** The reference: the same file read and prepared by the data layer, trained by a Trainer directly. */
function reference(config: TrainConfig = CONFIG): Trainer {
  const r = readDataset(CSV, 'flower.csv');
  assert.ok(r.ok);
  const p = prepare(r.table, { split: 0.25, seed: config.seed, standardize: true });
  return new Trainer(config, p.train, p.test);
}

describe('training session (the worker loop, without a worker)', () => {
  it('a run to the end: ready, a step-0 checkpoint, progress, and a final state equal to a Trainer run directly', () => {
    const f = new FakeHost();
    f.tick = 1;
    const s = new TrainingSession(f.host);
    s.handle(startMessage());
    assert.deepEqual(
      f.sent.slice(0, 2).map((m) => m.type),
      ['ready', 'checkpoint'],
    );
    assert.equal(f.of('checkpoint')[0].state.step, 0);
    f.drain();
    const done = f.last('finished');
    const ref = reference();
    ref.run();
    assert.equal(done.result.status, 'completed');
    assert.equal(done.result.steps, ref.stepCount);
    assert.deepEqual(done.state.theta, Array.from(ref.net.theta));
    assert.equal(f.last('progress').status, 'completed');
    // Epoch summaries reach the host exactly once each, in order.
    const epochs = f.of('progress').flatMap((m) => m.epochs.map((e) => e.epoch));
    assert.deepEqual(epochs, [1, 2, 3, 4]);
  });

  it('a slice ends at its deadline: control messages are handled between slices', () => {
    const f = new FakeHost();
    f.tick = 1; // 1 ms per clock reading: a slice of SLICE_MS ms holds a bounded number of steps
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ config: { ...CONFIG, epochs: 100_000 }, reportEveryMs: 0 }));
    f.drain(3);
    const steps = f.last('progress').step;
    // A slice reads the clock before and after each call of the trainer's loop (at most MAX_CHUNK steps a call).
    assert.ok(steps > 0 && steps <= 3 * SLICE_MS * MAX_CHUNK, `3 slices took ${steps} steps`);
    s.handle({ type: 'pause' });
    const paused = f.last('progress');
    assert.equal(paused.paused, true);
    f.drain();
    assert.equal(f.last('progress').step, paused.step, 'no step after pause');
  });

  it('paused: Step takes exactly the asked steps, Step One Epoch ends at the epoch boundary, both equal the reference', () => {
    const f = new FakeHost();
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ paused: true }));
    f.drain();
    assert.equal(f.last('progress').step, 0);
    s.handle({ type: 'step', steps: 3 });
    f.drain();
    const ref = reference();
    for (let i = 0; i < 3; i++) ref.step();
    let p = f.last('progress');
    assert.equal(p.step, 3);
    assert.deepEqual(Array.from(p.theta), Array.from(ref.net.theta));
    assert.equal(p.last?.step, 3, 'the shown step record is the step just taken');
    s.handle({ type: 'stepEpoch' });
    f.drain();
    p = f.last('progress');
    while (ref.epoch < 1) ref.step();
    assert.equal(p.epoch, 1);
    assert.equal(p.step, ref.stepCount);
    assert.deepEqual(Array.from(p.theta), Array.from(ref.net.theta));
  });

  it('reset: step 0 again with the seeded initial parameters, paused, and a checkpoint that starts the history again', () => {
    const f = new FakeHost();
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ paused: true }));
    s.handle({ type: 'step', steps: 5 });
    f.drain();
    s.handle({ type: 'reset' });
    const p = f.last('progress');
    assert.equal(p.step, 0);
    assert.equal(p.paused, true);
    assert.deepEqual(Array.from(p.theta), Array.from(reference().net.theta));
    const c = f.last('checkpoint');
    assert.equal(c.state.step, 0);
    assert.equal(c.historyFrom, 0);
  });

  it('stop: the run finishes as cancelled, once', () => {
    const f = new FakeHost();
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ paused: true }));
    s.handle({ type: 'step', steps: 2 });
    f.drain();
    s.handle({ type: 'stop' });
    s.handle({ type: 'stop' });
    f.drain();
    assert.equal(f.of('finished').length, 1);
    assert.equal(f.last('finished').result.status, 'cancelled');
    assert.equal(f.last('finished').result.steps, 2);
  });

  it('checkpoints by epochs: every 2 epochs, each carrying only the epoch summaries not handed over before', () => {
    const f = new FakeHost();
    f.tick = 1;
    const s = new TrainingSession(f.host);
    s.handle(
      startMessage({ config: { ...CONFIG, epochs: 6 }, checkpoint: { everySeconds: 0, everyEpochs: 2 } }),
    );
    f.drain();
    const all = [...f.of('checkpoint'), f.last('finished')];
    const epochs = all.flatMap((c) => c.state.history.map((e) => e.epoch));
    assert.deepEqual(epochs, [1, 2, 3, 4, 5, 6], 'every epoch summary saved exactly once');
    for (const c of f.of('checkpoint').slice(1))
      assert.ok(c.state.epoch % 2 === 0 || c.state.epoch === 6, `checkpoint at epoch ${c.state.epoch}`);
  });

  it('at full speed a checkpoint carries about CHECKPOINT_MAX_EPOCHS summaries at most; together they are every epoch once', () => {
    const f = new FakeHost();
    f.tick = 1;
    const s = new TrainingSession(f.host);
    const epochs = 2 * CHECKPOINT_MAX_EPOCHS + 500;
    s.handle(
      startMessage({ config: { ...CONFIG, epochs }, checkpoint: { everySeconds: 1e6, everyEpochs: 0 } }),
    );
    f.drain();
    const all = [...f.of('checkpoint'), f.last('finished')];
    // (a slice ends at the bound; its last chunk of steps may hold a few more epochs)
    for (const c of all)
      assert.ok(c.state.history.length <= 1.1 * CHECKPOINT_MAX_EPOCHS, `${c.state.history.length}`);
    assert.ok(f.of('checkpoint').length >= 2, `${f.of('checkpoint').length} checkpoints`);
    const saved = all.flatMap((c) => c.state.history.map((e) => e.epoch));
    assert.deepEqual(
      saved,
      Array.from({ length: epochs }, (_, i) => i + 1),
    );
  });

  it('checkpoints by time: one after everySeconds of training, none before', () => {
    const f = new FakeHost();
    f.tick = 1;
    const s = new TrainingSession(f.host);
    s.handle(
      startMessage({
        config: { ...CONFIG, epochs: 100_000 },
        checkpoint: { everySeconds: 1, everyEpochs: 0 },
        stepsPerSecond: 500, // a few epochs a second: far from a checkpoint by size (CHECKPOINT_MAX_EPOCHS)
      }),
    );
    const t0 = f.time;
    while (f.of('checkpoint').length < 2) f.drain(1);
    const second = f.of('checkpoint')[1];
    assert.ok(f.time - t0 >= 1000, `second checkpoint after ${f.time - t0} ms`);
    assert.ok(second.state.step > 0);
    s.handle({ type: 'stop' });
  });

  it('stop: the last report (cancelled, the final step) goes at once, the final state FINISHED_AFTER_MS later', () => {
    const f = new FakeHost();
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ paused: true }));
    s.handle({ type: 'step', steps: 3 });
    f.drain();
    const before = f.sent.length;
    const t0 = f.time;
    s.handle({ type: 'stop' });
    const now = f.sent.slice(before);
    assert.deepEqual(
      now.map((m) => m.type),
      ['progress'],
      'only the last report at once (what the user sees)',
    );
    const last = now[0] as Extract<FromWorker, { type: 'progress' }>;
    assert.equal(last.status, 'cancelled');
    assert.equal(last.step, 3);
    f.drain();
    const done = f.last('finished');
    assert.equal(done.result.steps, 3);
    assert.ok(f.time - t0 >= FINISHED_AFTER_MS, `the final state after ${f.time - t0} ms`);
  });

  it('resume from a checkpoint continues bit-identically to the uninterrupted run', () => {
    const a = new FakeHost();
    const s = new TrainingSession(a.host);
    s.handle(startMessage({ paused: true }));
    s.handle({ type: 'step', steps: 37 });
    a.drain();
    s.handle({ type: 'stop' });
    a.drain();
    const state = a.last('finished').state;
    const b = new FakeHost();
    b.tick = 1;
    const t = new TrainingSession(b.host);
    t.handle(startMessage({ resume: { ...state, history: [] } }));
    b.drain();
    const ref = reference();
    ref.run();
    assert.deepEqual(b.last('finished').state.theta, Array.from(ref.net.theta));
  });

  it('paced: about `speed` steps per second of clock, each step shown when slow enough, and the same trajectory as full speed', () => {
    const f = new FakeHost();
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ stepsPerSecond: 5 }));
    const t0 = f.time;
    while (f.time - t0 < 2000 && f.drain(1)) {
      /* run until 2 s of clock */
    }
    const shown = f
      .of('progress')
      .map((m) => m.step)
      .filter((x) => x > 0);
    const steps = shown[shown.length - 1];
    assert.ok(steps >= 9 && steps <= 11, `${steps} steps in 2 s at 5 steps/s`);
    assert.deepEqual(
      shown,
      Array.from({ length: steps }, (_, i) => i + 1),
      'every step reported once, in order',
    );
    s.handle({ type: 'setSpeed', stepsPerSecond: 0 });
    f.drain();
    const ref = reference();
    ref.run();
    assert.deepEqual(f.last('finished').state.theta, Array.from(ref.net.theta));
    assert.equal(f.last('progress').speed, 0);
  });

  it('minSeconds: a short run is paced to take about that long (by hand: 60 train rows × 4 epochs of sgd = 240 steps, 24 a second for 10 s); an explicit pace wins; the same trajectory', () => {
    const ref = reference();
    ref.run();
    const runFor = (over: Partial<StartMessage>) => {
      const f = new FakeHost();
      const s = new TrainingSession(f.host);
      s.handle(startMessage(over));
      const t0 = f.time;
      f.drain();
      return { f, seconds: (f.time - t0) / 1000 };
    };
    const paced = runFor({ minSeconds: 10 });
    assert.equal(paced.f.of('progress')[0].speed, 24, 'the pace: 240 steps in 10 s');
    assert.ok(paced.seconds >= 9.5 && paced.seconds <= 10.5, `the run took ${paced.seconds} s of clock`);
    assert.deepEqual(paced.f.last('finished').state.theta, Array.from(ref.net.theta));
    // A pace asked for wins (5 steps a second: 48 s); minSeconds 0 is full speed (no clock time passes).
    assert.equal(runFor({ minSeconds: 10, stepsPerSecond: 5 }).f.of('progress')[0].speed, 5);
    const full = runFor({ minSeconds: 0 });
    assert.equal(full.f.of('progress')[0].speed, 0);
    assert.ok(full.seconds < 0.1, `${full.seconds} s of clock: only the final state's 30 ms`);
  });

  it('a bad dataset is a dataError with its line; an unreadable derivation is a failure; nothing throws', () => {
    const f = new FakeHost();
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ bytes: new TextEncoder().encode('a,b,y\n1,2,0\n3,oops,1\n') }));
    const e = f.last('dataError');
    assert.equal(e.line, 3);
    assert.match(e.message, /oops/);
    const g = new FakeHost();
    new TrainingSession(g.host).handle(
      startMessage({ derivation: { text: 'dW1 = ???', file: 'bad.deriv' } }),
    );
    assert.match(g.last('failed').message, /cannot train with bad\.deriv/);
  });

  it('K classes with a derivation: a K-class derivation trains (its gradients in the records), a binary one is refused', () => {
    const rows = Array.from(
      { length: 60 },
      (_, i) => `${(i % 3) * 2 + Math.sin(i) * 0.3},${Math.cos(i)},c${i % 3}`,
    );
    const bytes = () => new TextEncoder().encode('a,b,y\n' + rows.join('\n') + '\n');
    const text = readFileSync(join(__dirname, '..', '..', 'examples', 'reference-softmax.deriv'), 'utf8');
    const f = new FakeHost();
    f.tick = 1;
    new TrainingSession(f.host).handle(
      startMessage({
        bytes: bytes(),
        config: { ...CONFIG, activation: 'sigmoid', epochs: 2 },
        derivation: { text, file: 'reference-softmax.deriv' },
      }),
    );
    f.drain();
    assert.equal(f.of('failed').length, 0, f.of('failed')[0]?.message);
    assert.equal(f.last('ready').dataset.K, 3);
    assert.equal(f.last('progress').status, 'completed');
    const g = new FakeHost();
    new TrainingSession(g.host).handle(
      startMessage({
        bytes: bytes(),
        config: { ...CONFIG, activation: 'sigmoid' },
        derivation: { text: referenceDerivation('sigmoid'), file: 'binary.deriv' },
      }),
    );
    assert.match(
      g.last('failed').message,
      /^cannot train with binary\.deriv: its formulas are for the binary network .*this data has 3 classes/,
    );
  });

  it('the gradient check answers its request; without data it says why', () => {
    const f = new FakeHost();
    const s = new TrainingSession(f.host);
    s.handle({
      type: 'check',
      requestId: 7,
      count: 4,
      options: { h: 1e-5, thresholds: { pass: 1e-7, warn: 1e-5, fail: 1e-3 }, atol: 1e-5, rtol: 1e-3 },
    });
    assert.equal(f.last('checkResult').report, null);
    s.handle(startMessage({ paused: true }));
    s.handle({
      type: 'check',
      requestId: 8,
      count: 4,
      options: { h: 1e-5, thresholds: { pass: 1e-7, warn: 1e-5, fail: 1e-3 }, atol: 1e-5, rtol: 1e-3 },
    });
    const r = f.last('checkResult');
    assert.equal(r.requestId, 8);
    assert.equal(r.report?.verdict, 'pass');
  });
});

describe('decision boundary and neuron tiles (worker side)', () => {
  it('ŷ and every hidden unit over the plane equal the reference network at the cell centres', () => {
    const rng = new Rng(4);
    const net = new Network(
      2,
      3,
      'tanh',
      Float64Array.from({ length: 13 }, () => rng.normal()),
    );
    const d = { X: P.X.slice(0, 40), Y: P.Y.slice(0, 20), m: 20, n: 2 };
    const points = pickPoints(d, { X: new Float64Array(0), Y: new Float64Array(0), m: 0, n: 2 });
    const b = boundaryOf(net, points, featureMeans(d), { mode: 'features', i: 0, j: 1 })!;
    const G = b.G;
    for (const [r, c] of [
      [0, 0],
      [G - 1, 3],
      [5, G - 1],
    ]) {
      // Independent: the cell centre from the grid's stated extent, through a fresh copy of the network.
      const x = Float64Array.of(
        b.x0 + ((c + 0.5) / G) * (b.x1 - b.x0),
        b.y1 - ((r + 0.5) / G) * (b.y1 - b.y0),
      );
      const ref = new Network(2, 3, 'tanh', net.theta.slice());
      ref.forward(x, 0);
      assert.ok(Math.abs(b.p[r * G + c] - ref.a2) < 1e-15);
      for (let u = 0; u < 3; u++) assert.ok(Math.abs(b.units![u * G * G + r * G + c] - ref.a1[u]) < 1e-15);
    }
    // More than two features: no tiles (the plane is a slice, not the input space).
    const n5 = new Network(5, 3, 'tanh');
    const d5 = { X: new Float64Array(50).map((_, k) => Math.sin(k)), Y: new Float64Array(10), m: 10, n: 5 };
    assert.equal(
      boundaryOf(n5, pickPoints(d5, { ...d5, m: 0 }), featureMeans(d5), { mode: 'features', i: 0, j: 1 })!
        .units,
      null,
    );
  });
});

describe('the principal plane (boundary beyond two features)', () => {
  it('recovers known principal axes, in order, orthonormal, with the share of variance each explains', () => {
    // Points spread 5 along a, 2 along b, 0.1 along c (orthonormal in ℝ⁴): the components are ±a then ±b.
    const a = [0.5, 0.5, 0.5, 0.5],
      b = [0.5, -0.5, 0.5, -0.5],
      c = [0.5, 0.5, -0.5, -0.5];
    const rng = new Rng(9);
    const m = 4000,
      n = 4;
    const X = new Float64Array(m * n);
    for (let r = 0; r < m; r++) {
      const [s, t, u] = [5 * rng.normal(), 2 * rng.normal(), 0.1 * rng.normal()];
      for (let k = 0; k < n; k++) X[r * n + k] = 3 + s * a[k] + t * b[k] + u * c[k];
    }
    const pp = principalPlane({ X, Y: new Float64Array(m), m, n });
    const dot = (u: ArrayLike<number>, v: ArrayLike<number>) =>
      Array.from(u).reduce((acc, x, k) => acc + x * v[k], 0);
    assert.ok(Math.abs(Math.abs(dot(pp.u1, a)) - 1) < 1e-3, `u1·a = ${dot(pp.u1, a)}`);
    assert.ok(Math.abs(Math.abs(dot(pp.u2, b)) - 1) < 1e-3, `u2·b = ${dot(pp.u2, b)}`);
    assert.ok(
      Math.abs(dot(pp.u1, pp.u2)) < 1e-12 &&
        Math.abs(dot(pp.u1, pp.u1) - 1) < 1e-12 &&
        Math.abs(dot(pp.u2, pp.u2) - 1) < 1e-12,
    );
    // Variance shares: 25 : 4 : 0.01 of the total (sample estimates, within a few percent).
    const total = 25 + 4 + 0.01;
    assert.ok(
      Math.abs(pp.explained[0] - 25 / total) < 0.03 && Math.abs(pp.explained[1] - 4 / total) < 0.03,
      `explained ${pp.explained}`,
    );
    assert.ok(pp.mean.every((x) => Math.abs(x - 3) < 0.3));
  });

  it("a session beyond two features shows the principal plane, with each plotted point's correctness equal to the reference network's; features on request", () => {
    const rows = Array.from({ length: 60 }, (_, r) => [
      Math.sin(r),
      Math.cos(3 * r),
      Math.sin(5 * r + 1),
      r % 2,
    ]);
    const csv = new TextEncoder().encode('a,b,c,y\n' + rows.map((x) => x.join(',')).join('\n') + '\n');
    const f = new FakeHost();
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ bytes: csv, fileName: 'w.csv', paused: true, split: 0 }));
    s.handle({ type: 'step', steps: 20 });
    f.drain();
    const b = f.last('progress').boundary!;
    assert.equal(b.mode, 'pca');
    assert.ok(b.explained![0] >= b.explained![1] && b.explained![0] + b.explained![1] <= 1 + 1e-12);
    // Independent: the correctness of each plotted point from a reference network with the reported θ.
    const net = new Network(3, CONFIG.hidden, CONFIG.activation, f.last('progress').theta.slice());
    const r = readDataset(csv, 'w.csv');
    assert.ok(r.ok);
    const p = prepare(r.table, { split: 0, seed: CONFIG.seed, standardize: true });
    for (let q = 0; q < 60; q++) {
      const want = (net.forward(p.train.X, q * 3) >= 0 ? 1 : 0) === p.train.Y[q] ? 1 : 0;
      assert.equal(b.correct[q], want, `point ${q}`);
    }
    s.handle({ type: 'setBoundary', plane: { mode: 'features', i: 2, j: 0 } });
    const fb = f.last('progress').boundary!;
    assert.equal(fb.mode, 'features');
    assert.deepEqual([fb.i, fb.j], [2, 0]);
  });
});

describe('what the session says about the outcome', () => {
  it('dead ReLU units after training at a destructive learning rate are named, as the reference network finds them', () => {
    const f = new FakeHost();
    f.tick = 1;
    const s = new TrainingSession(f.host);
    s.handle(
      startMessage({ config: { ...CONFIG, activation: 'relu', hidden: 8, lr: 50, epochs: 3, seed: 2 } }),
    );
    f.drain();
    const done = f.last('finished');
    // Independent: count the units whose pre-activation is ≤ 0 on every training row, with the reference network.
    const r = readDataset(CSV, 'flower.csv');
    assert.ok(r.ok);
    const p = prepare(r.table, { split: 0.25, seed: 2, standardize: true }); // the run's seed also splits
    const net = new Network(2, 8, 'relu', Float64Array.from(done.state.theta));
    const alive = new Set<number>();
    for (let i = 0; i < p.train.m; i++) {
      net.forward(p.train.X, 2 * i);
      net.z1.forEach((z, j) => {
        if (z > 0) alive.add(j);
      });
    }
    const dead = 8 - alive.size;
    if (dead === 0) assert.deepEqual(done.notes, []);
    else assert.match(done.notes.join(' '), new RegExp(`^${dead}/8 ReLU units dead`));
    assert.ok(dead > 0, 'this learning rate kills units (the test needs a case that says so)');
  });
});

describe('editing a parameter by hand', () => {
  it('paused: the step record is recomputed at the edited θ (gradient = central differences of J there), restore puts it back, edits are reported', () => {
    const f = new FakeHost();
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ paused: true, config: { ...CONFIG, optimizer: 'minibatch', batchSize: 5 } }));
    s.handle({ type: 'step', steps: 3 });
    f.drain();
    const before = f.last('progress');
    const own = before.theta[4];
    s.handle({ type: 'setParameter', index: 4, value: 0.75 });
    const after = f.last('progress');
    assert.equal(after.theta[4], 0.75);
    assert.deepEqual(after.edited, [4]);
    assert.equal(after.step, before.step, 'no step taken');
    const e = f.last('edited').edit;
    assert.deepEqual([e.index, e.name, e.from, e.to, e.restore, e.step], [4, 'W1[2,0]', own, 0.75, false, 3]);
    // Independent: central differences of the mean loss over the same samples at the edited θ.
    const r = readDataset(CSV, 'flower.csv');
    assert.ok(r.ok);
    const p = prepare(r.table, { split: 0.25, seed: 3, standardize: true });
    const samples = Int32Array.from(after.last!.samples);
    const J = (theta: Float64Array) =>
      new Network(2, 3, 'tanh', theta).lossAndGrad(p.train.X, p.train.Y, samples, samples.length);
    const theta = Float64Array.from(after.theta);
    assert.ok(Math.abs(after.last!.loss - J(theta)) < 1e-15);
    for (let i = 0; i < theta.length; i++) {
      const h = 1e-6,
        tp = theta.slice(),
        tm = theta.slice();
      tp[i] += h;
      tm[i] -= h;
      const numeric = (J(tp) - J(tm)) / (2 * h);
      assert.ok(
        Math.abs(after.last!.grad[i] - numeric) < 1e-7,
        `entry ${i}: ${after.last!.grad[i]} vs ${numeric}`,
      );
    }
    assert.ok(
      after.last!.delta.every((x) => x === 0),
      'no update applied',
    );
    s.handle({ type: 'restoreParameter', index: 4 });
    const back = f.last('progress');
    assert.equal(back.theta[4], own);
    assert.deepEqual(back.edited, []);
    assert.deepEqual(
      Array.from(back.last!.grad),
      Array.from(before.last!.grad),
      "the step's own record is back, bit for bit",
    );
    assert.equal(back.last!.loss, before.last!.loss);
    assert.equal(f.last('edited').edit.restore, true);
  });

  it('running: an edit is refused (pause first); after a step the edit is part of the trajectory', () => {
    const f = new FakeHost();
    f.tick = 1;
    const s = new TrainingSession(f.host);
    s.handle(startMessage({ config: { ...CONFIG, epochs: 1000 } }));
    f.drain(2);
    s.handle({ type: 'setParameter', index: 0, value: 9 });
    assert.equal(f.of('edited').length, 0);
    s.handle({ type: 'pause' });
    s.handle({ type: 'setParameter', index: 0, value: 9 });
    assert.equal(f.of('edited').length, 1);
    s.handle({ type: 'step', steps: 1 });
    f.drain();
    assert.deepEqual(f.last('progress').edited, []);
    s.handle({ type: 'restoreParameter', index: 0 });
    assert.equal(f.of('edited').length, 1, 'nothing to restore after a step');
  });

  it("K classes: ready carries the class names verbatim (in order), K, per-class counts and the column encoding; the boundary has every class's probability", () => {
    const names = ['<img src=x onerror=alert(1)>', '__proto__', '=HYPERLINK("x")'];
    const rng = new Rng(4);
    const rows = Array.from({ length: 60 }, (_, i) => {
      const k = i % 3;
      return `${k * 3 + rng.normal() * 0.3},${(k === 1 ? 2 : -1) + rng.normal() * 0.3},${k === 2 ? 'b' : 'a'},"${names[k].replace(/"/g, '""')}"`;
    });
    const bytes = new TextEncoder().encode('x1,x2,kind,class\n' + rows.join('\n') + '\n');
    const f = new FakeHost();
    f.tick = 1;
    const s = new TrainingSession(f.host);
    s.handle(
      startMessage({
        bytes,
        fileName: '/w/k.csv',
        read: { ignore: [], dropMissing: false, maxClasses: 100, maxCategories: 50, positiveClass: '' },
      }),
    );
    f.drain();
    const ready = f.last('ready');
    assert.deepEqual(
      ready.dataset.classes,
      [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    ); // code-point order (all ASCII here)
    assert.equal(ready.dataset.K, 3);
    assert.deepEqual(ready.dataset.features, ['x1', 'x2', 'kind=a', 'kind=b']);
    assert.equal(
      ready.dataset.classCounts.train.reduce((a, b) => a + b, 0),
      ready.dataset.trainRows,
    );
    assert.equal(Object.getPrototypeOf(ready.dataset.classes), Array.prototype);
    const final = f.last('progress');
    // the confusion matrices as of the last epoch: rows the true class, counts adding up to the rows
    assert.equal(final.confusion!.train.length, 3);
    assert.equal(
      final.confusion!.train.flat().reduce((x, y) => x + y, 0),
      ready.dataset.trainRows,
    );
    assert.deepEqual(
      final.confusion!.train.map((row) => row.reduce((x, y) => x + y, 0)),
      ready.dataset.classCounts.train,
    );
    assert.equal(
      final.confusion!.test!.flat().reduce((x, y) => x + y, 0),
      ready.dataset.testRows,
    );
    const b = f.last('progress').boundary!;
    assert.ok(b.pk instanceof Float64Array && b.pk.length === 3 * b.G * b.G);
    for (let q = 0; q < b.G * b.G; q++) {
      const sum = b.pk[q] + b.pk[b.G * b.G + q] + b.pk[2 * b.G * b.G + q];
      assert.ok(Math.abs(sum - 1) < 1e-12, `probabilities sum to ${sum}`);
      assert.equal(b.p[q], Math.max(b.pk[q], b.pk[b.G * b.G + q], b.pk[2 * b.G * b.G + q]));
    }
    // ignore reaches the reader: without the text column
    const g = new FakeHost();
    new TrainingSession(g.host).handle(
      startMessage({
        bytes,
        fileName: '/w/k.csv',
        read: { ignore: ['kind'], dropMissing: false, maxClasses: 100, maxCategories: 50, positiveClass: '' },
      }),
    );
    g.drain(3);
    assert.deepEqual(g.last('ready').dataset.features, ['x1', 'x2']);
  });
});
