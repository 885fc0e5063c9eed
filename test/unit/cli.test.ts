import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type Io } from '../../src/cli/main';
import { modelFromJson } from '../../src/core/model';
import { Network, layout, paramCount } from '../../src/core/network';
import { readDataset } from '../../src/data/dataset';
import { prepare } from '../../src/data/prepare';

import { ex, root, run } from './cli-support';

describe('CLI', () => {
  it('train --json prints the documented object', () => {
    const r = run(['train', ex('breast_cancer.csv'), '--json', '--epochs', '20']);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out);
    for (const k of ['status', 'steps', 'epochs']) assert.ok(k in o, k);
    assert.equal(o.status, 'completed');
    assert.equal(o.epochs, 20);
    assert.equal(o.steps, 20 * 455);
    assert.equal(typeof o.train.loss, 'number');
    assert.ok(o.train.accuracy > 0.9 && o.test.accuracy > 0.9);
    assert.equal(o.dataset.testRows, 114);
  });

  it('settings flags change the run: hidden, seed, optimizer, split', () => {
    const a = JSON.parse(
      run(['train', ex('xor.csv'), '--json', '--epochs', '3', '--hidden', '3', '--seed', '5']).out,
    );
    const b = JSON.parse(
      run(['train', ex('xor.csv'), '--json', '--epochs', '3', '--hidden', '3', '--seed', '6']).out,
    );
    assert.equal(a.config.hidden, 3);
    assert.notEqual(a.train.loss, b.train.loss);
    const c = JSON.parse(
      run(['train', ex('xor.csv'), '--json', '--optimizer', 'batch', '--epochs', '4', '--split', '0']).out,
    );
    assert.equal(c.steps, 4);
    assert.equal(c.test, null);
    assert.equal(c.dataset.trainRows, 200);
  });

  it('data errors: FILE:LINE: message on stderr, {"error": …} with --json, exit 2', () => {
    const files = { 'bad.csv': 'a,y\n1,0\n\n2,0.5\n' };
    const message =
      'label column "y": "0.5" is not a whole number; Backprop Lens classifies, and a fractional label looks like a regression target (is "y" the right label column?)';
    const r = run(['train', 'bad.csv'], files);
    assert.equal(r.code, 2);
    assert.equal(r.err, `bad.csv:4: ${message}\n`);
    const j = run(['train', 'bad.csv', '--json'], files);
    assert.equal(j.code, 2);
    assert.deepEqual(JSON.parse(j.out), { error: { file: 'bad.csv', line: 4, message } });
    assert.equal(run(['train', join(root, 'no-such-file.csv')]).code, 2);
  });

  it('usage errors exit 1 and name the flag', () => {
    const r = run(['train', ex('xor.csv'), '--lr', 'fast']);
    assert.equal(r.code, 1);
    assert.match(r.err, /--lr: must be a finite number/);
    assert.equal(run(['train']).code, 1);
    assert.equal(run(['frobnicate']).code, 1);
    assert.match(
      run(['train', ex('xor.csv'), '--optimizer', 'lbfgs']).err,
      /--optimizer: must be one of misclassified-sgd, sgd/,
    );
    assert.match(run(['train', ex('xor.csv'), '--bogus', '1']).err, /unknown option --bogus/);
    assert.equal(run(['--help']).code, 0);
  });

  it('a diverging run exits 3 and says which parameter', () => {
    const files = { 'big.csv': 'a,b,y\n1e200,1e200,0\n-1e200,-1e200,1\n' };
    const r = run(
      [
        'train',
        'big.csv',
        '--json',
        '--optimizer',
        'batch',
        '--activation',
        'relu',
        '--lr',
        '1e200',
        '--no-standardize',
        '--split',
        '0',
      ],
      files,
    );
    assert.equal(r.code, 3, r.err);
    const o = JSON.parse(r.out);
    assert.equal(o.status, 'diverged');
    assert.equal(o.divergence.param, 'W1[0,0]');
  });

  it('--save writes the model that predict and check --model read; predictions reproduce the training accuracy', () => {
    const t = run([
      'train',
      ex('moons.csv'),
      '--json',
      '--split',
      '0',
      '--epochs',
      '30',
      '--hidden',
      '6',
      '--save',
      'm.json',
    ]);
    assert.equal(t.code, 0, t.err);
    const model = t.written['m.json'];
    const saved = JSON.parse(model);
    assert.equal(saved.format, 'backprop-lens-model');
    assert.deepEqual(saved.params.W1.shape, [6, 2]);
    assert.equal(saved.params.W1.data.length, 12);
    assert.deepEqual(saved.features, ['x1', 'x2']);
    const p = run(['predict', 'm.json', ex('moons.csv'), '--json'], { 'm.json': model });
    assert.equal(p.code, 0, p.err);
    const o = JSON.parse(p.out);
    assert.equal(o.predictions.length, 200);
    assert.equal(o.predictions[0].line, 2);
    assert.ok(
      Math.abs(o.accuracy - JSON.parse(t.out).train.accuracy) < 1e-12,
      'predict applies the saved standardisation',
    );
    const c = run(['check', ex('moons.csv'), '--model', 'm.json', '--json'], { 'm.json': model });
    assert.equal(c.code, 0, c.err);
    const rep = JSON.parse(c.out);
    assert.equal(rep.verdict, 'pass');
    assert.deepEqual(rep.params.W1.shape, [6, 2]);
    assert.equal(rep.params.W1.analytic.length, 12);
    assert.equal(rep.params.W1.numeric.length, 12);
    // Predict on a file without a label column: probabilities only.
    const unlabelled = 'x2,x1\n0.5,1\n-1,0\n';
    const u = run(['predict', 'm.json', 'u.csv'], { 'm.json': model, 'u.csv': unlabelled });
    assert.equal(u.code, 0, u.err);
    assert.match(u.out, /^line,probability,prediction\n2,0\.\d+,[01]\n3,/);
  });

  it("check --random: every entry's analytic and numeric values, and --fast", () => {
    const r = run([
      'check',
      '--random',
      '--hidden',
      '3',
      '--features',
      '4',
      '--activation',
      'tanh',
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out);
    assert.deepEqual(Object.keys(o.params), ['W1', 'b1', 'W2', 'b2']);
    assert.deepEqual(o.params.W1.shape, [3, 4]);
    for (const name of Object.keys(o.params)) {
      const p = o.params[name];
      for (let i = 0; i < p.analytic.length; i++)
        assert.ok(
          Math.abs(p.analytic[i] - p.numeric[i]) <= 1e-7 * Math.max(1e-3, Math.abs(p.numeric[i])),
          `${name}[${i}]`,
        );
      assert.equal(p.verdict, 'pass');
    }
    const f = run(['check', '--random', '--fast', '--json']);
    assert.equal(f.code, 0);
    assert.equal(JSON.parse(f.out).directions.length, 8);
  });

  it('check shows its progress on stderr when stderr is a terminal, and nothing otherwise', () => {
    const argv = ['check', '--random', '--hidden', '3', '--features', '4', '--json'];
    let err = '',
      out = '';
    const io: Io = {
      out: (s) => {
        out += s;
      },
      err: (s) => {
        err += s;
      },
      tty: true,
      readFile: (p) => readFileSync(p),
      writeFile: () => {},
    };
    assert.equal(main(argv, io), 0, err);
    assert.match(err, /checking 19\/19 entries/); // 3·4 + 3 + 3 + 1 parameters; the last one always shows
    assert.equal(JSON.parse(out).verdict, 'pass');
    assert.equal(run(argv).err, '');
  });

  it('check-derivation: FILE:LINE:COL: severity: message, --json, exit 1 on any error', () => {
    const good = run(['check-derivation', ex('reference.deriv')]);
    assert.equal(good.code, 0, good.out);
    assert.equal(good.out, '');
    assert.match(good.err, /7 of 7 gradient lines match/);
    const wrong = 'dz2 = a2 - y\ndW2 = dz2 @ a1.T\ndb2 = dz2\ndz1 = W2.T @ dz2\ndW1 = dz1 @ x.T\ndb1 = dz1\n';
    const r = run(['check-derivation', 'w.deriv'], { 'w.deriv': wrong });
    assert.equal(r.code, 1);
    const lines = r.out.split('\n');
    assert.match(lines[0], /^w\.deriv:4:1: error: dz1 disagrees with the numeric gradient: rel\. error /);
    assert.ok(r.out.includes('w.deriv:5:1: information: dW1 depends on dz1'));
    const j = run(['check-derivation', 'w.deriv', '--json'], { 'w.deriv': wrong });
    const arr = JSON.parse(j.out);
    assert.deepEqual(
      arr.map((f: { line: number; severity: string; code: string }) => [f.line, f.severity, f.code]),
      [
        [4, 'error', 'gradient-mismatch'],
        [5, 'information', 'depends-on-wrong'],
        [6, 'information', 'depends-on-wrong'],
      ],
    );
    assert.deepEqual(Object.keys(arr[0]).sort(), [
      'code',
      'column',
      'end',
      'line',
      'message',
      'related',
      'severity',
    ]);
    assert.deepEqual(arr[1].related[0], { line: 4, column: 1, message: 'dz1 is defined here' });
    // The activation flag changes the verdict on the reference sigmoid derivative.
    assert.equal(run(['check-derivation', ex('reference.deriv'), '--activation', 'tanh']).code, 1);
  });

  it('the bundled out/cli.js runs as a program (built by npm test)', function () {
    const cli = join(root, 'out', 'cli.js');
    if (!existsSync(cli)) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'bpl-'));
    writeFileSync(join(dir, 'd.tsv'), 'a\tb\ty\n1\t2\t0\n3\tx\t1\n');
    const bad = spawnSync(process.execPath, [cli, 'train', join(dir, 'd.tsv')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(
      bad.stderr,
      `${join(dir, 'd.tsv')}:3: column "b" has numbers and text: "x" at line 3 (1 number, 1 text cell); a column is either numbers or categories\n`,
    );
    const ok = JSON.parse(
      execFileSync(process.execPath, [cli, 'train', ex('circles.csv'), '--json', '--epochs', '2'], {
        encoding: 'utf8',
      }),
    );
    assert.equal(ok.epochs, 2);
  });
});

describe('CLI: check --model, model files, split and ReLU warnings', () => {
  const moonsModel = () => {
    const t = run([
      'train',
      ex('moons.csv'),
      '--json',
      '--split',
      '0',
      '--epochs',
      '3',
      '--hidden',
      '4',
      '--save',
      'm.json',
    ]);
    assert.equal(t.code, 0, t.err);
    return t.written['m.json'];
  };

  it("check --model: --batch given on the command line wins over the model's batch size; the analytic gradient is the reference Network's on those rows", () => {
    const model = moonsModel();
    assert.equal(JSON.parse(model).config.batchSize, 32);
    const c = run(['check', ex('moons.csv'), '--model', 'm.json', '--batch', '5', '--json'], {
      'm.json': model,
    });
    assert.equal(c.code, 0, c.err);
    const rep = JSON.parse(c.out);
    assert.equal(rep.examples, 5);
    // The reference: Network.lossAndGrad on the file's first 5 rows, standardised with the model's statistics.
    const saved = modelFromJson(model);
    const r = readDataset(readFileSync(ex('moons.csv')), 'moons.csv');
    assert.ok(r.ok);
    const { mean, std } = saved.standardization!;
    const X = Float64Array.from({ length: 10 }, (_, k) => (r.table.X[k] - mean[k % 2]) / std[k % 2]);
    const grad = new Float64Array(paramCount(2, 4));
    new Network(2, 4, saved.config.activation, saved.theta.slice()).lossAndGrad(
      X,
      r.table.Y.slice(0, 5),
      null,
      5,
      grad,
    );
    for (const b of layout(2, 4)) {
      rep.params[b.name].analytic.forEach((a: number, k: number) => {
        const ref = grad[b.offset + k];
        assert.ok(
          Math.abs(a - ref) <= 1e-12 * Math.max(1e-6, Math.abs(ref)),
          `${b.name}[${k}]: ${a} vs ${ref}`,
        );
      });
    }
    assert.equal(
      JSON.parse(run(['check', ex('moons.csv'), '--model', 'm.json', '--json'], { 'm.json': model }).out)
        .examples,
      32,
      "without --batch: the model's",
    );
  });

  it("check --model on a file without the model's label column is a data error, not a check against label 0", () => {
    const model = moonsModel();
    const u = run(['check', 'u.csv', '--model', 'm.json'], {
      'm.json': model,
      'u.csv': 'x2,x1\n0.5,1\n-1,0\n',
    });
    assert.equal(u.code, 2, u.out);
    assert.equal(u.out, '');
    assert.equal(
      u.err,
      'u.csv:1: the model\'s label column "label" is not in the header; the gradient check needs every row\'s label\n',
    );
    assert.equal(
      run(['predict', 'm.json', 'u.csv'], { 'm.json': model, 'u.csv': 'x2,x1\n0.5,1\n-1,0\n' }).code,
      0,
      'predict needs no labels',
    );
  });

  it('a model file that names a feature twice, or its label as a feature, is refused with a clear message', () => {
    const model = JSON.parse(moonsModel());
    const twice = JSON.stringify({ ...model, features: ['x1', 'x1'] });
    for (const argv of [
      ['check', ex('moons.csv'), '--model', 'm.json'],
      ['predict', 'm.json', ex('moons.csv')],
    ]) {
      const r = run(argv, { 'm.json': twice });
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /^backprop-lens: m\.json is not a usable model: "features" names the column "x1" twice \(entries 1 and 2\); feature names must be unique\n/,
      );
    }
    assert.throws(
      () => modelFromJson(JSON.stringify({ ...model, label: 'x2' })),
      /"label" "x2" is also one of the "features"/,
    );
  });

  it("a split that leaves the training rows with one class warns on stderr and in --json's warnings", () => {
    const files = { 'tiny.csv': 'a,y\n1,0\n2,1\n' };
    const j = run(['train', 'tiny.csv', '--split', '0.5', '--json'], files);
    assert.equal(j.code, 0, j.err);
    const o = JSON.parse(j.out);
    assert.equal(o.dataset.trainRows, 1);
    assert.equal(o.warnings.length, 1);
    assert.match(
      o.warnings[0],
      /^the training split has only label [01] in column "y" \(1 row, 1 held out for testing\)/,
    );
    assert.equal(j.err, `warning: ${o.warnings[0]}\n`);
    const t = run(['train', 'tiny.csv', '--split', '0.5'], files);
    assert.match(t.err, /^warning: the training split has only label/);
    const fine = JSON.parse(run(['train', ex('xor.csv'), '--json', '--epochs', '1']).out);
    assert.deepEqual(fine.warnings, []);
    assert.equal(fine.deadRelu, null, 'not a ReLU network');
  });

  it('SGD at a high learning rate that kills every ReLU unit says so ("16/16 ReLU units dead"), checked against the reference Network', () => {
    const argv = [
      'train',
      ex('flower.csv'),
      '--activation',
      'relu',
      '--hidden',
      '16',
      '--lr',
      '10',
      '--epochs',
      '5',
      '--save',
      'm.json',
    ];
    const j = run([...argv, '--json']);
    assert.equal(j.code, 0, j.err);
    const o = JSON.parse(j.out);
    // The reference: every training row through Network.forward; a unit is dead when z1 ≤ 0 on all of them.
    const saved = modelFromJson(j.written['m.json']);
    const r = readDataset(readFileSync(ex('flower.csv')), 'flower.csv');
    assert.ok(r.ok);
    const p = prepare(r.table, { split: 0.2, seed: 1, standardize: true });
    const net = new Network(2, 16, 'relu', saved.theta.slice());
    const alive = new Set<number>();
    for (let i = 0; i < p.train.m; i++) {
      net.forward(p.train.X, i * 2);
      net.z1.forEach((z, u) => {
        if (z > 0) alive.add(u);
      });
    }
    assert.equal(alive.size, 0, 'this run kills every unit');
    assert.deepEqual(o.deadRelu, { dead: 16, hidden: 16, units: Array.from({ length: 16 }, (_, u) => u) });
    assert.ok(o.warnings.some((w: string) => w.startsWith('16/16 ReLU units dead')));
    const t = run(argv);
    assert.match(t.out, /^16\/16 ReLU units dead \(pre-activation ≤ 0 on every training row/m);
    const healthy = JSON.parse(
      run([
        'train',
        ex('flower.csv'),
        '--activation',
        'relu',
        '--hidden',
        '16',
        '--lr',
        '0.01',
        '--epochs',
        '1',
        '--json',
      ]).out,
    );
    assert.equal(healthy.deadRelu.hidden, 16);
    assert.ok(healthy.deadRelu.dead < 16);
  });
});
