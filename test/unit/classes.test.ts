/**
 * Data as it comes: class names, text feature columns, missing values, ignore, the limits,
 * and the CLI's K-class output. Expected values are written out by hand.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Io, main } from '../../src/cli/main';
import { DEFAULT_CONFIG, Trainer } from '../../src/core/trainer';
import { type ReadOptions, readDataset } from '../../src/data/dataset';
import { prepare } from '../../src/data/prepare';

const enc = new TextEncoder();
const read = (text: string, o: ReadOptions = {}, name = 'd.csv') => readDataset(enc.encode(text), name, o);
const ok = (text: string, o: ReadOptions = {}, name = 'd.csv') => {
  const r = read(text, o, name);
  if (!r.ok) assert.fail(`line ${r.error.line}: ${r.error.message}`);
  return r.table;
};
const err = (text: string, line: number, re: RegExp, o: ReadOptions = {}, name = 'd.csv') => {
  const r = read(text, o, name);
  if (r.ok) assert.fail(`expected an error at line ${line}`);
  assert.equal(r.error.line, line, r.error.message);
  assert.match(r.error.message, re);
};

function cli(argv: string[], files: Record<string, string>) {
  let out = '',
    errText = '';
  const written: Record<string, string> = {};
  const io: Io = {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      errText += s;
    },
    tty: false,
    readFile: (p) =>
      p in files ? enc.encode(files[p]) : p in written ? enc.encode(written[p]) : readFileSync(p),
    writeFile: (p, t) => {
      written[p] = t;
    },
  };
  const code = main(argv, io);
  return { code, out, err: errText, written };
}

describe('labels as classes', () => {
  it('text labels: classes in code-point order whatever the row order; 3 or more: K = classes', () => {
    const t = ok('x,y\n1,b\n2,a\n3,c\n4,a\n5,B\n');
    assert.deepEqual(t.classes, ['B', 'a', 'b', 'c']); // "B" (U+0042) before "a" (U+0061)
    assert.equal(t.K, 4);
    assert.deepEqual(Array.from(t.Y), [2, 1, 3, 1, 0]);
    // code points, not UTF-16 units: U+1F600 (surrogates D83D…) sorts after U+FF5E
    assert.deepEqual(ok('x,y\n1,😀\n2,～\n3,a\n').classes, ['a', '～', '😀']);
  });

  it('numeric labels other than 0/1: classes in numeric order (10 after 9), named as numbers', () => {
    const t = ok('x,y\n1,10\n2,9\n3,2\n4,9\n');
    assert.deepEqual(t.classes, ['2', '9', '10']);
    assert.deepEqual(Array.from(t.Y), [2, 1, 0, 1]);
  });

  it('two classes: the binary network, class 1 the second in order unless positiveClass names it', () => {
    const t = ok('x,y\n1,yes\n2,no\n3,no\n');
    assert.deepEqual(t.classes, ['no', 'yes']);
    assert.equal(t.K, 1);
    assert.deepEqual(Array.from(t.Y), [1, 0, 0]);
    const p = ok('x,y\n1,yes\n2,no\n3,no\n', { positiveClass: 'no' });
    assert.deepEqual(p.classes, ['yes', 'no']);
    assert.deepEqual(Array.from(p.Y), [0, 1, 1]);
    err(
      'x,y\n1,yes\n2,no\n',
      1,
      /positiveClass "maybe" is not a class of column "y" \(classes: "no", "yes"\)/,
      { positiveClass: 'maybe' },
    );
  });

  it('hostile class names are kept verbatim, as array entries in class order (never object keys)', () => {
    const names = ['<script>alert(1)</script>', '__proto__', "=cmd|' /C calc'!A0", 'constructor', '"quoted"'];
    const csv = 'x,y\n' + names.map((c, i) => `${i},"${c.replace(/"/g, '""')}"`).join('\n') + '\n';
    const t = ok(csv);
    assert.deepEqual(t.classes, [
      '"quoted"',
      '<script>alert(1)</script>',
      "=cmd|' /C calc'!A0",
      '__proto__',
      'constructor',
    ]);
    assert.ok(Array.isArray(t.classes));
    assert.deepEqual(Array.from(t.Y), [1, 3, 2, 4, 0]);
    // through the CLI's --json: the same names, in an array
    const r = cli(['train', 'h.csv', '--json', '--epochs', '1', '--split', '0'], { 'h.csv': csv });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(j.classes, t.classes);
    assert.deepEqual(j.classCounts.train, [1, 1, 1, 1, 1]);
    assert.equal(j.confusion.train.length, 5);
    assert.ok(j.confusion.train.every((row: number[]) => row.length === 5));
    assert.equal(
      j.confusion.train.flat().reduce((a: number, b: number) => a + b, 0),
      5,
    );
  });

  it('10,000 distinct labels: the maxClasses error naming the count, at once (before any training)', () => {
    const csv = 'x,id\n' + Array.from({ length: 10_000 }, (_, i) => `${i % 7},user-${i}`).join('\n') + '\n';
    err(csv, 1, /label column "id" has 10000 distinct values, more than maxClasses \(100\); is it an ID/);
    const r = cli(['train', 'ids.csv'], { 'ids.csv': csv });
    assert.equal(r.code, 2);
    assert.match(r.err, /^ids\.csv:1: label column "id" has 10000 distinct values/);
    assert.equal(ok(csv.split('\n').slice(0, 201).join('\n'), { maxClasses: 200 }).K, 200);
  });

  it('fractional numeric labels are an error: Backprop Lens classifies (a regression target?)', () => {
    err(
      'x,price\n1,3\n2,3.7\n',
      3,
      /label column "price": "3.7" is not a whole number; Backprop Lens classifies, and a fractional label looks like a regression target/,
    );
  });
});

describe('text feature columns, missing values, ignore', () => {
  it('a text column becomes one 0/1 input per category, column=value, categories in code-point order', () => {
    const t = ok('size,island,y\n1,Dream,0\n2,Biscoe,1\n3,Dream,1\n');
    assert.deepEqual(t.featureNames, ['size', 'island=Biscoe', 'island=Dream']);
    assert.deepEqual(Array.from(t.X), [1, 0, 1, 2, 1, 0, 3, 0, 1]);
    assert.deepEqual(t.encoding, [
      { name: 'size', type: 'number' },
      { name: 'island', type: 'category', categories: ['Biscoe', 'Dream'] },
    ]);
    assert.deepEqual(t.classes, ['0', '1']);
  });

  it('a column of numbers and text is an error on the first cell of the minority kind', () => {
    err(
      'age,y\n1,0\n2,1\nn/a?,0\n4,1\n',
      4,
      /^column "age" has numbers and text: "n\/a\?" at line 4 \(3 numbers, 1 text cell\)/,
    );
    err(
      'kind,y\na,0\nb,1\n7,0\nc,1\n',
      4,
      /^column "kind" has numbers and text: "7" at line 4 \(1 number, 3 text cells\)/,
    );
  });

  it('more categories than maxCategories: an error suggesting to ignore the column', () => {
    const csv = 'name,x,y\n' + Array.from({ length: 60 }, (_, i) => `n${i},${i},${i % 2}`).join('\n') + '\n';
    err(
      csv,
      1,
      /column "name" has 60 distinct text values, more than maxCategories \(50\); an ID or free-text column is not an input: ignore it \(--ignore name\)/,
    );
    const t = ok(csv, { ignore: ['name'] });
    assert.deepEqual(t.featureNames, ['x']);
    err(csv, 1, /the ignore setting names the column "nom", which is not in the header/, { ignore: ['nom'] });
    err(csv, 1, /the ignore setting names the label column "y"/, { ignore: ['y'] });
  });

  it('missing values: an error naming the column, or with dropMissing the rows are dropped and counted', () => {
    for (const cell of ['', 'NA', 'n/a', 'NaN', '?', 'null', 'None']) {
      err(`a,b,y\n1,2,0\n3,${cell},1\n5,6,1\n`, 3, /^column "b" has a missing value/);
    }
    const t = ok('a,b,y\n1,2,0\n3,NA,1\n5,6,1\n7,?,0\n9,10,1\n', { dropMissing: true });
    assert.deepEqual(t.dropped, [3, 5]);
    assert.deepEqual(Array.from(t.lines), [2, 4, 6]);
    assert.deepEqual(Array.from(t.X), [1, 2, 5, 6, 9, 10]);
    // a missing value in an ignored column does not matter
    assert.equal(ok('a,b,y\n1,2,0\n3,NA,1\n', { ignore: ['b'] }).m, 2);
    const r = cli(['train', 'm.csv', '--drop-missing', '--epochs', '1'], {
      'm.csv': 'a,b,y\n1,2,0\n3,NA,1\n5,6,1\n7,?,0\n9,10,1\n11,1,0\n',
    });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /dropped 2 rows with a missing value \(lines 3, 5\)/);
  });

  it('a 0/1 file read through the text path (ignore) gives the same table and a bit-identical trajectory', () => {
    const csv = readFileSync(join(__dirname, '..', '..', 'examples', 'moons.csv'), 'utf8');
    const withId = csv
      .split('\n')
      .map((l, i) => (l === '' ? l : `${i === 0 ? 'id' : `r${i}`},${l}`))
      .join('\n');
    const fast = ok(csv),
      slow = ok(withId, { ignore: ['id'] });
    assert.deepEqual(Array.from(slow.X), Array.from(fast.X));
    assert.deepEqual(Array.from(slow.Y), Array.from(fast.Y));
    assert.deepEqual(slow.classes, ['0', '1']);
    const run = (t: typeof fast) => {
      const p = prepare(t, { split: 0.2, seed: 1, standardize: true });
      const tr = new Trainer({ ...DEFAULT_CONFIG, epochs: 3 }, p.train, p.test);
      tr.run();
      return Array.from(tr.net.theta);
    };
    assert.deepEqual(run(slow), run(fast));
  });
});

describe('CLI: K classes end to end', () => {
  const csv =
    'x1,x2,colour,species\n' +
    Array.from({ length: 90 }, (_, i) => {
      const k = i % 3;
      return `${k * 2 + ((i * 7) % 5) / 10},${(k === 1 ? 3 : 0) + ((i * 3) % 7) / 10},${['red', 'blue'][i % 2]},${['Adélie', 'Gentoo', '<b>Chinstrap</b>'][k]}`;
    }).join('\n') +
    '\n';

  it("--save writes model version 2; predict gives the class name and every class's probability in the order of classes", () => {
    const r = cli(['train', 'p.csv', '--save', 'm.json', '--epochs', '30', '--json'], { 'p.csv': csv });
    assert.equal(r.code, 0, r.err);
    const model = JSON.parse(r.written['m.json']);
    assert.equal(model.version, 2);
    assert.equal(model.kind, 'softmax');
    assert.deepEqual(model.classes, ['<b>Chinstrap</b>', 'Adélie', 'Gentoo']);
    assert.deepEqual(model.columns[2], { name: 'colour', type: 'category', categories: ['blue', 'red'] });
    assert.deepEqual(model.params.W2.shape, [3, 8]); // automatic: max(8, 3 + 2)
    const p = cli(['predict', 'm.json', 'p.csv', '--json'], { 'p.csv': csv, 'm.json': r.written['m.json'] });
    assert.equal(p.code, 0, p.err);
    const j = JSON.parse(p.out);
    assert.deepEqual(j.classes, model.classes);
    assert.equal(j.predictions.length, 90);
    for (const row of j.predictions) {
      assert.equal(row.probabilities.length, 3);
      assert.ok(Math.abs(row.probabilities.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-12);
      assert.equal(row.class, model.classes[row.probabilities.indexOf(Math.max(...row.probabilities))]);
    }
    assert.ok(j.accuracy > 0.9, String(j.accuracy));
    // a category the model never saw: an error on that line naming the column and the value
    const bad = csv.replace(/\n([^\n]*),red,([^\n]*)\n/, '\n$1,green,$2\n');
    const line = bad.split('\n').findIndex((l) => l.includes('green')) + 1;
    const q = cli(['predict', 'm.json', 'q.csv'], { 'q.csv': bad, 'm.json': r.written['m.json'] });
    assert.equal(q.code, 2);
    assert.match(
      q.err,
      new RegExp(`^q\\.csv:${line}: column "colour": the category "green" was not in the training data`),
    );
  });
});
