import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '../../src/data/dataset';
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
    for (const [name, P] of [['flower', flower()], ['xor', xor()], ['circles', circles()], ['moons', moons()]] as const) {
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
    assert.equal(t.Y.reduce((s, y) => s + y, 0), 357);
    assert.equal(t.X[0], 17.99); // first row's mean radius, as in the UCI file
  });

  it('breast cancer reaches ≥ 95% test accuracy with the default settings', () => {
    const p = prepare(load('breast_cancer.csv'), { split: 0.2, seed: DEFAULT_CONFIG.seed, standardize: true });
    assert.equal(p.test.m, 114);
    const r = new Trainer(DEFAULT_CONFIG, p.train, p.test).run();
    assert.equal(r.status, 'completed');
    assert.ok(r.test!.accuracy >= 0.95, `test accuracy ${r.test!.accuracy}`);
  });
});
