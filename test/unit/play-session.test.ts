import { strict as assert } from 'node:assert';
import { evaluator, gradientSlice, allRows } from '../../src/core/landscape';
import { lrFind } from '../../src/core/lrfind';
import { DEFAULT_CONFIG, type TrainConfig, Trainer } from '../../src/core/trainer';
import { readDataset } from '../../src/data/dataset';
import { prepare } from '../../src/data/prepare';
import { moons } from '../../src/data/synthetic';
import type { FromWorker, StartMessage } from '../../src/protocol';
import { TrainingSession } from '../../src/training/session';
import { FakeHost, pointsCsv } from './session-support';

const P = moons(4, 120);
const CSV = pointsCsv(P);
const CONFIG: TrainConfig = {
  ...DEFAULT_CONFIG,
  hidden: 4,
  activation: 'tanh',
  optimizer: 'batch',
  epochs: 30,
  lr: 0.5,
  seed: 3,
};

/** A session on a fake host whose clock moves one millisecond per reading. */
function session() {
  const f = new FakeHost();
  f.tick = 1;
  const s = new TrainingSession(f.host);
  return {
    s,
    sent: f.sent,
    drain: () => void f.drain(),
    last: <T extends FromWorker['type']>(type: T) => f.last(type),
  };
}

const start = (over: Partial<StartMessage> = {}): StartMessage => ({
  type: 'start',
  runId: 'r',
  bytes: CSV.slice(),
  fileName: 'm.csv',
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
});

function trainSplit() {
  const r = readDataset(CSV, 'm.csv');
  assert.ok(r.ok);
  return prepare(r.table, { split: 0.25, seed: CONFIG.seed, standardize: true }).train;
}

describe('training session: learning-rate finder and landscape requests', () => {
  it("lrFind from the initial θ equals core lrFind on the run's training split", () => {
    const { s, drain, last } = session();
    s.handle(start({ paused: true }));
    s.handle({ type: 'step', steps: 3 });
    drain();
    s.handle({ type: 'lrFind', requestId: 7, options: { start: 1e-3, end: 10, steps: 30 }, from: 'initial' });
    const m = last('lrFindResult');
    assert.equal(m.requestId, 7);
    const ref = lrFind(CONFIG, trainSplit(), { start: 1e-3, end: 10, steps: 30 });
    assert.deepEqual(Array.from(m.result!.lr), Array.from(ref.lr));
    assert.deepEqual(Array.from(m.result!.loss), Array.from(ref.loss));
    assert.equal(m.result!.suggested, ref.suggested);
    s.handle({ type: 'lrFind', requestId: 8, options: { steps: 1 }, from: 'current' });
    assert.match(last('lrFindResult').error!, /steps/);
  });

  it("the landscape: centre value is the current loss, the slice is core's, the trajectory starts at θ₀ and ends at the centre", () => {
    const { s, drain, last } = session();
    s.handle(start());
    drain();
    const theta = last('finished').state.theta;
    s.handle({
      type: 'landscape',
      requestId: 1,
      request: {
        slice: { points: 9, spanFactor: 2 },
        grid: { size: 7, span: 0.5, directions: 'trajectory', seed: 1 },
        maxRows: 1e6,
      },
    });
    const r = last('landscapeResult').result!;
    const train = trainSplit();
    // The current loss as the run reported it at its last epoch.
    const J = last('finished').state.history.at(-1)!.train.loss;
    assert.equal(r.centreLoss, J);
    assert.equal(r.grid!.loss[3 * 7 + 3], J);
    assert.equal(r.slice!.loss[r.slice!.centre], J);
    const ref = gradientSlice(
      evaluator(2, 4, 'tanh', allRows(train), 'reference'),
      Float64Array.from(theta),
      0.5,
      { points: 9, spanFactor: 2 },
    );
    assert.deepEqual(Array.from(r.slice!.loss), Array.from(ref.loss));
    const path = r.grid!.trajectory;
    assert.equal(path.length % 2, 0);
    assert.ok(path.length / 2 >= 3);
    assert.ok(
      Math.abs(path[path.length - 2]) < 1e-12 && Math.abs(path[path.length - 1]) < 1e-12,
      'the last point is the centre',
    );
    assert.ok(r.grid!.explained![0] >= r.grid!.explained![1]);
    // θ₀ projects to where it is: centre + a·d1 + b·d2 is its closest point on the plane.
    const theta0 = new Trainer(CONFIG, train).net.theta;
    const { d1, d2 } = r.grid!;
    const a = path[0],
      b = path[1];
    let resid = 0,
      dot1 = 0;
    for (let i = 0; i < theta0.length; i++) {
      const e = theta0[i] - theta[i] - a * d1[i] - b * d2[i];
      resid += e * e;
      dot1 += e * d1[i];
    }
    assert.ok(
      Math.abs(dot1) <= 1e-9 * Math.max(1, Math.sqrt(resid)),
      'the residual is orthogonal to the plane',
    );
  });

  it('random directions, a row limit, and an error for trajectory directions before the run has moved', () => {
    const { s, last } = session();
    s.handle(start({ paused: true }));
    s.handle({
      type: 'landscape',
      requestId: 2,
      request: { slice: null, grid: { size: 5, span: 1, directions: 'random', seed: 4 }, maxRows: 30 },
    });
    const r = last('landscapeResult').result!;
    assert.equal(r.rows, 30);
    assert.equal(r.grid!.explained, null);
    assert.equal(r.slice, null);
    s.handle({
      type: 'landscape',
      requestId: 3,
      request: { slice: null, grid: { size: 5, span: 1, directions: 'trajectory', seed: 4 }, maxRows: 30 },
    });
    assert.match(last('landscapeResult').error!, /trajectory/);
  });
});
