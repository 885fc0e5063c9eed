import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main, type Io } from '../../src/cli/main';
import { lrSchedule } from '../../src/core/lrfind';
import { DEFAULT_CONFIG, Trainer } from '../../src/core/trainer';
import { readDataset } from '../../src/data/dataset';
import { prepare } from '../../src/data/prepare';

import { ex, root, run } from './cli-support';

describe('CLI: lr-find and race', () => {
  it('lr-find --json has suggested and the curve as lr and loss arrays on the exponential schedule', () => {
    const r = run([
      'lr-find',
      ex('moons.csv'),
      '--optimizer',
      'adam',
      '--start',
      '1e-5',
      '--end',
      '100',
      '--steps',
      '60',
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out);
    assert.equal(typeof o.suggested, 'number');
    assert.ok(o.suggested > 1e-5 && o.suggested < 100);
    assert.equal(o.lr.length, o.loss.length);
    const s = lrSchedule(1e-5, 100, 60);
    o.lr.forEach((v: number, i: number) => assert.equal(v, s[i]));
    assert.ok(o.lr.includes(o.suggested));
  });

  it('lr-find reads the dataset and settings of an experiment file (flags still win)', () => {
    const file = join(root, 'examples', 'tmp-lr.backprop.json');
    const files = { [file]: JSON.stringify({ dataset: 'moons.csv', optimizer: 'adam', hidden: 3 }) };
    const a = JSON.parse(run(['lr-find', file, '--steps', '20', '--json'], files).out);
    const b = JSON.parse(
      run(['lr-find', ex('moons.csv'), '--optimizer', 'adam', '--hidden', '3', '--steps', '20', '--json'])
        .out,
    );
    assert.equal(a.optimizer, 'adam');
    assert.deepEqual(a.loss, b.loss);
    assert.equal(
      JSON.parse(run(['lr-find', file, '--optimizer', 'sgd', '--steps', '20', '--json'], files).out)
        .optimizer,
      'sgd',
    );
  });

  it('lr-find: bad ranges are usage errors naming the flag', () => {
    const r = run(['lr-find', ex('moons.csv'), '--start', '1', '--end', '0.1']);
    assert.equal(r.code, 1);
    assert.match(r.err, /--end/);
    assert.equal(run(['lr-find', ex('moons.csv'), '--steps', '2']).code, 1);
  });

  it('race --json: one entry per optimizer, each equal to a separate run of train with that optimizer', () => {
    const r = run(['race', ex('moons.csv'), '--optimizers', 'sgd,adam', '--epochs', '5', '--json']);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out);
    assert.deepEqual(
      o.racers.map((x: { optimizer: string }) => x.optimizer),
      ['sgd', 'adam'],
    );
    const t = readDataset(readFileSync(ex('moons.csv')), 'moons.csv');
    assert.ok(t.ok);
    const p = prepare(t.table, { split: 0.2, seed: 1, standardize: true });
    for (const x of o.racers) {
      const res = new Trainer(
        { ...DEFAULT_CONFIG, optimizer: x.optimizer, epochs: 5 },
        p.train,
        p.test,
      ).run();
      assert.equal(x.train.loss, res.train.loss);
      assert.equal(x.test.accuracy, res.test!.accuracy);
      assert.equal(x.steps, res.steps);
      for (const k of ['stepsToThreshold', 'ms', 'curve']) assert.ok(k in x, k);
    }
  });

  it('race --landscape: one shared grid (centre = J(θ₀), as a separate evaluation gives it) and every path from its centre', () => {
    const r = run([
      'race',
      ex('moons.csv'),
      '--optimizers',
      'sgd,adam',
      '--epochs',
      '4',
      '--hidden',
      '3',
      '--seed',
      '5',
      '--landscape',
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const l = JSON.parse(r.out).landscape;
    assert.equal(l.loss.length, l.size * l.size);
    assert.equal(l.paths.length, 2);
    for (const p of l.paths) assert.deepEqual(p.slice(0, 2), [0, 0], 'each racer starts at the common θ₀');
    const c = (l.size - 1) / 2;
    assert.equal(l.a[c], 0);
    assert.equal(l.b[c], 0);
    // Independent: J(θ₀) over the training rows by a Trainer that has not stepped (same data, settings and seed).
    const t = readDataset(readFileSync(ex('moons.csv')), 'moons.csv');
    assert.ok(t.ok);
    const p = prepare(t.table, { split: 0.2, seed: 5, standardize: true });
    const trainer = new Trainer({ ...DEFAULT_CONFIG, epochs: 4, hidden: 3, seed: 5 }, p.train, null);
    const J0 = trainer.evaluate(p.train).loss;
    trainer.dispose();
    assert.ok(
      Math.abs(l.loss[c * l.size + c] - J0) <= 1e-12 * Math.max(1, J0),
      `${l.loss[c * l.size + c]} vs ${J0}`,
    );
  });

  it('race reads "race" and the settings from an experiment file; --optimizers overrides it', () => {
    const file = join(root, 'examples', 'tmp-race.backprop.json');
    const files = {
      [file]: JSON.stringify({ dataset: 'moons.csv', race: ['batch', 'momentum'], epochs: 3 }),
    };
    const r = run(['race', file, '--json'], files);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out);
    assert.deepEqual(
      o.racers.map((x: { optimizer: string }) => x.optimizer),
      ['batch', 'momentum'],
    );
    assert.equal(o.racers[0].epochs, 3);
    const r2 = run(['race', file, '--optimizers', 'adam', '--json'], files);
    assert.deepEqual(
      JSON.parse(r2.out).racers.map((x: { optimizer: string }) => x.optimizer),
      ['adam'],
    );
  });

  it('race: missing or bad optimizers are usage errors', () => {
    assert.equal(run(['race', ex('moons.csv')]).code, 1);
    const r = run(['race', ex('moons.csv'), '--optimizers', 'sgd,lion']);
    assert.equal(r.code, 1);
    assert.match(r.err, /lion/);
  });

  it('export-torch: a folder that does not exist is a usage error naming the path, not a crash', () => {
    const model = run(['train', ex('moons.csv'), '--epochs', '1', '--save', 'm.json']).written['m.json'];
    const io: Io = {
      out: () => undefined,
      err: (e) => {
        err += e;
      },
      tty: false,
      readFile: (p) => (p === 'm.json' ? new TextEncoder().encode(model) : readFileSync(p)),
      writeFile: () => {
        throw Object.assign(new Error('no such directory'), { code: 'ENOENT' });
      },
    };
    let err = '';
    assert.equal(
      main(['export-torch', 'm.json', '--data', ex('moons.csv'), '--out', '/nowhere/model.py'], io),
      1,
    );
    assert.match(err, /cannot write .*ENOENT/);
    assert.equal(
      run(['export-torch', 'm.json', '--out', 'x.py'], { 'm.json': model }).code,
      1,
      '--data is required',
    );
    assert.equal(
      run(['export-torch', 'm.json', '--data', ex('moons.csv'), '--out', 'x.txt'], { 'm.json': model }).code,
      1,
      '--out must be .py',
    );
  });
});
