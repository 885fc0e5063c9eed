/**
 * The automatic hidden width (issue #11): 8 for the binary network, max(8, K + 2) for K ≥ 3 classes, resolved once the
 * data's classes are known, so that everything downstream (trainer, CLI output, model file, session) has the number.
 */
import { strict as assert } from 'node:assert';
import { AUTO_HIDDEN_MIN, autoHidden, resolveHidden } from '../../src/core/config';
import { modelFromJson } from '../../src/core/model';
import { paramCount } from '../../src/core/network';
import { DEFAULT_SETTINGS, resolveSettings, trainConfigOf } from '../../src/core/settings';
import { DEFAULT_CONFIG, Trainer } from '../../src/core/trainer';
import { parseExperiment } from '../../src/data/experiment';
import { TrainingSession } from '../../src/training/session';
import { ex, run } from './cli-support';
import { FakeHost } from './session-support';

describe('automatic hidden width', () => {
  it('the rule: 8 for two classes, max(8, K + 2) for K classes; an explicit width is kept', () => {
    assert.equal(AUTO_HIDDEN_MIN, 8);
    // K = 1 is the binary network (one sigmoid output).
    const cases: Array<[K: number, h: number]> = [
      [1, 8],
      [3, 8],
      [5, 8],
      [6, 8],
      [7, 9],
      [10, 12],
      [26, 28],
      [100, 102],
    ];
    for (const [K, h] of cases) {
      assert.equal(autoHidden(K), h, `K = ${K}`);
      assert.equal(resolveHidden({ ...DEFAULT_CONFIG, hidden: 0 }, K).hidden, h, `K = ${K}`);
      assert.equal(resolveHidden({ ...DEFAULT_CONFIG, hidden: 3 }, K).hidden, 3, `K = ${K}, explicit 3`);
      assert.equal(resolveHidden({ ...DEFAULT_CONFIG, hidden: 8 }, K).hidden, 8, `K = ${K}, explicit 8`);
    }
  });

  it('the default is automatic (0); "auto" reads as 0 in every layer; negative and fractional widths are refused', () => {
    assert.equal(DEFAULT_CONFIG.hidden, 0);
    assert.equal(DEFAULT_SETTINGS.hidden, 0);
    assert.equal(resolveSettings({ hidden: 'auto' }).hidden, 0);
    assert.equal(resolveSettings({ hidden: 12 }).hidden, 12);
    assert.throws(() => resolveSettings({ hidden: -1 }), /hidden must be ≥ 0/);
    assert.throws(() => resolveSettings({ hidden: 'many' }), /hidden must be a finite number/);
    const x = parseExperiment('{ "dataset": "d.csv", "hidden": "auto" }');
    assert.ok(x.ok);
    assert.deepEqual(x.experiment.values, { hidden: 0 });
    const bad = parseExperiment('{ "dataset": "d.csv", "hidden": "wide" }');
    assert.ok(!bad.ok);
  });

  it('a Trainer resolves it for its data: 8 units for two classes, 12 for ten (parameter counts by hand)', () => {
    const n = 4;
    const X = Float64Array.from({ length: 40 * n }, (_, i) => Math.sin(i));
    const binary = new Trainer(DEFAULT_CONFIG, {
      X,
      Y: Float64Array.from({ length: 40 }, (_, i) => i % 2),
      m: 40,
      n,
    });
    assert.equal(binary.config.hidden, 8);
    assert.equal(binary.net.theta.length, 8 * (n + 1) + 1 * (8 + 1));
    const ten = new Trainer(DEFAULT_CONFIG, {
      X,
      Y: Float64Array.from({ length: 40 }, (_, i) => i % 10),
      m: 40,
      n,
      K: 10,
    });
    assert.equal(ten.config.hidden, 12);
    assert.equal(ten.net.theta.length, 12 * (n + 1) + 10 * (12 + 1));
    assert.equal(paramCount(n, 12, 10), ten.net.theta.length);
    const explicit = new Trainer({ ...DEFAULT_CONFIG, hidden: 5 }, { X, Y: ten.train.Y, m: 40, n, K: 10 });
    assert.equal(explicit.config.hidden, 5);
  });

  it('a model file must say its width: hidden 0 is refused', () => {
    const saved = run(['train', ex('xor.csv'), '--epochs', '1', '--save', 'm.json']).written['m.json'];
    assert.equal(modelFromJson(saved).config.hidden, 8);
    const model = JSON.parse(saved);
    model.config.hidden = 0;
    assert.throws(() => modelFromJson(JSON.stringify(model)), /hidden/);
  });

  it('CLI: digits with the default settings uses 12 units, says so, saves 12 in the model and reaches ≥ 95% test accuracy', () => {
    const r = run(['train', ex('digits.csv'), '--json', '--save', 'm.json']);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out);
    assert.equal(o.kind, 'softmax');
    assert.equal(o.classes.length, 10);
    assert.equal(o.config.hidden, 12);
    assert.equal(o.config.seed, 1);
    assert.ok(o.test.accuracy >= 0.95, `test accuracy ${o.test.accuracy}`);
    const model = modelFromJson(r.written['m.json']);
    assert.equal(model.config.hidden, 12);
    assert.equal(model.theta.length, 12 * (64 + 1) + 10 * (12 + 1));
    const text = run(['train', ex('digits.csv'), '--epochs', '1']);
    assert.match(
      text.out,
      /12 hidden sigmoid units \(automatic: 8 for two classes, max\(8, K \+ 2\) for K ≥ 3 classes\)/,
    );
    const given = run(['train', ex('digits.csv'), '--epochs', '1', '--hidden', '10']);
    assert.match(given.out, /, 10 hidden sigmoid units, /);
  });

  it('CLI: iris and wine with the default settings: 8 units, ≥ 93% test accuracy; --hidden auto is the default', () => {
    for (const f of ['iris.csv', 'wine.csv']) {
      const o = JSON.parse(run(['train', ex(f), '--json']).out);
      assert.equal(o.config.hidden, 8, f);
      assert.ok(o.test.accuracy >= 0.93, `${f}: test accuracy ${o.test.accuracy}`);
      const auto = JSON.parse(run(['train', ex(f), '--json', '--hidden', 'auto']).out);
      assert.deepEqual(auto.test, o.test, f);
    }
  });

  it('the session: "ready" carries the concrete width, and a reset trains the same network', () => {
    const rows = Array.from({ length: 70 }, (_, i) => `${Math.sin(i)},${Math.cos(3 * i)},c${i % 7}`);
    const f = new FakeHost();
    f.tick = 1;
    const s = new TrainingSession(f.host);
    s.handle({
      type: 'start',
      runId: 'r1',
      bytes: new TextEncoder().encode('a,b,y\n' + rows.join('\n') + '\n'),
      fileName: '/w/seven.csv',
      label: '',
      maxBytes: 1e9,
      split: 0.2,
      standardize: true,
      config: { ...trainConfigOf(DEFAULT_SETTINGS), epochs: 2 },
      reportEveryMs: 100,
      paused: false,
      checkpoint: { everySeconds: 0, everyEpochs: 0 },
      stepsPerSecond: 0,
    });
    f.drain();
    const ready = f.last('ready');
    assert.equal(ready.dataset.K, 7);
    assert.equal(ready.config.hidden, 9); // max(8, 7 + 2)
    assert.equal(ready.theta.length, 9 * (2 + 1) + 7 * (9 + 1));
    const checkpoints = f.of('checkpoint');
    assert.equal(checkpoints[checkpoints.length - 1].state.config.hidden, 9);
  });
});
