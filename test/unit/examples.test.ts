import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '../../src/data/dataset';
import { parseExperiment } from '../../src/data/experiment';
import { readOptionsOf, resolveSettings, trainConfigOf } from '../../src/core/settings';
import { prepare } from '../../src/data/prepare';
import { circles, flower, moons, xor } from '../../src/data/synthetic';
import { DEFAULT_CONFIG, Trainer } from '../../src/core/trainer';

const examples = join(__dirname, '..', '..', 'examples');
const load = (name: string) => {
  const r = readDataset(readFileSync(join(examples, name)), name);
  if (!r.ok) assert.fail(`${name}:${r.error.line}: ${r.error.message}`);
  return r.table;
};

describe('examples/', () => {
  it('the synthetic CSVs are exactly what their seeded generators give (npm run examples)', () => {
    for (const [name, P] of [
      ['flower', flower()],
      ['xor', xor()],
      ['circles', circles()],
      ['moons', moons()],
    ] as const) {
      const t = load(`${name}.csv`);
      assert.deepEqual(t.columns, ['x1', 'x2', 'label']);
      assert.deepEqual(Array.from(t.X), Array.from(P.X), name);
      assert.deepEqual(Array.from(t.Y), Array.from(P.Y), name);
    }
  });

  it('breast_cancer.csv is the real Wisconsin data: 569 rows, 30 features, label "benign" (357 benign)', () => {
    const t = load('breast_cancer.csv');
    assert.equal(t.m, 569);
    assert.equal(t.n, 30);
    assert.equal(t.labelName, 'benign');
    assert.equal(
      t.Y.reduce((s, y) => s + y, 0),
      357,
    );
    assert.equal(t.X[0], 17.99); // first row's mean radius, as in the UCI file
  });

  it('breast cancer reaches ≥ 95% test accuracy with the default settings', () => {
    const p = prepare(load('breast_cancer.csv'), {
      split: 0.2,
      seed: DEFAULT_CONFIG.seed,
      standardize: true,
    });
    assert.equal(p.test.m, 114);
    const r = new Trainer(DEFAULT_CONFIG, p.train, p.test).run();
    assert.equal(r.status, 'completed');
    assert.ok(r.test!.accuracy >= 0.95, `test accuracy ${r.test!.accuracy}`);
  });

  // The real multi-class files: trained with the default settings and seed (an experiment file beside the data may change some).
  const trainExample = (name: string) => {
    const exp = (() => {
      try {
        const r = parseExperiment(
          readFileSync(join(examples, name.replace('.csv', '.backprop.json')), 'utf8'),
        );
        if (!r.ok) assert.fail(JSON.stringify(r.errors));
        return r.experiment.values;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw e;
      }
    })();
    const s = resolveSettings(exp);
    const r = readDataset(readFileSync(join(examples, name)), name, readOptionsOf(s));
    if (!r.ok) assert.fail(`${name}:${r.error.line}: ${r.error.message}`);
    const p = prepare(r.table, { split: s.split, seed: s.seed, standardize: s.standardize });
    return { t: r.table, result: new Trainer(trainConfigOf(s), p.train, p.test).run(), settings: exp };
  };

  it('iris: 3 classes from the species names, ≥ 93% test accuracy with the default settings', () => {
    const { t, result, settings } = trainExample('iris.csv');
    assert.deepEqual(settings, {});
    assert.deepEqual(t.classes, ['setosa', 'versicolor', 'virginica']);
    assert.equal(t.K, 3);
    assert.deepEqual(
      [0, 1, 2].map((k) => t.Y.filter((y) => y === k).length),
      [50, 50, 50],
    );
    assert.ok(result.test!.accuracy >= 0.93, `test accuracy ${result.test!.accuracy}`);
  });

  it('wine: classes 1, 2, 3 in numeric order, ≥ 93% test accuracy with the default settings', () => {
    const { t, result, settings } = trainExample('wine.csv');
    assert.deepEqual(settings, {});
    assert.deepEqual(t.classes, ['1', '2', '3']);
    assert.deepEqual(
      [0, 1, 2].map((k) => t.Y.filter((y) => y === k).length),
      [59, 71, 48],
    );
    assert.ok(result.test!.accuracy >= 0.93, `test accuracy ${result.test!.accuracy}`);
  });

  it('digits: 10 classes, 64 features; ≥ 95% test accuracy with its experiment file (32 hidden units; the defaults are tested in hidden.test.ts)', () => {
    const { t, result, settings } = trainExample('digits.csv');
    assert.deepEqual(settings, { hidden: 32 });
    assert.equal(t.n, 64);
    assert.deepEqual(t.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.ok(result.test!.accuracy >= 0.95, `test accuracy ${result.test!.accuracy}`);
  });

  it('penguins: text columns one-hot, 10 rows with NA dropped, 3 species', () => {
    const { t, result, settings } = trainExample('penguins.csv');
    assert.deepEqual(settings, { dropMissing: true });
    assert.equal(t.dropped.length, 10);
    assert.equal(t.m, 334);
    assert.deepEqual(t.featureNames, [
      'Island=Biscoe',
      'Island=Dream',
      'Island=Torgersen',
      'Beak Length (mm)',
      'Beak Depth (mm)',
      'Flipper Length (mm)',
      'Body Mass (g)',
      'Sex=.',
      'Sex=FEMALE',
      'Sex=MALE',
    ]);
    assert.deepEqual(t.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
    assert.ok(result.test!.accuracy >= 0.93, `test accuracy ${result.test!.accuracy}`);
  });
});
