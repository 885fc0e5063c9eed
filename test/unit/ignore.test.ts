/**
 * The ignore setting as a list of column names (issue #13): experiment files and VS Code settings take an array,
 * matched exactly (so a name may hold a comma); a string of comma-separated names (the CLI flag, older settings)
 * is still read.
 */
import { strict as assert } from 'node:assert';
import { readOptionsOf, resolveSettings } from '../../src/core/settings';
import { readDataset } from '../../src/data/dataset';
import { parseExperiment } from '../../src/data/experiment';
import { run } from './cli-support';

// "id, year" mixes numbers and text (an error unless ignored); "note" is free text with a distinct value per row.
const rows = Array.from(
  { length: 40 },
  (_, i) => `${i % 3 ? i : `"x${i}"`},note ${i},${(i * 7) % 11},${i % 2}`,
);
const CSV = '"id, year",note,x,y\n' + rows.join('\n') + '\n';
const read = (ignore: unknown) => {
  const r = readDataset(new TextEncoder().encode(CSV), 'd.csv', readOptionsOf(resolveSettings({ ignore })));
  return r;
};

describe('ignore: a list of column names', () => {
  it('a list is matched exactly: a name with a comma, names with spaces kept', () => {
    const r = read(['id, year', 'note']);
    assert.ok(r.ok, !r.ok ? r.error.message : '');
    assert.deepEqual(r.table.featureNames, ['x']);
    assert.equal(r.table.m, 40);
    assert.deepEqual(readOptionsOf(resolveSettings({ ignore: [' a ', '', 'b,c'] })).ignore, [' a ', 'b,c']);
  });

  it('a string is still comma-separated names, trimmed (older settings, the CLI): a comma splits the name', () => {
    assert.deepEqual(readOptionsOf(resolveSettings({ ignore: ' a, b ,,c' })).ignore, ['a', 'b', 'c']);
    const r = read('id, year,note');
    assert.ok(!r.ok);
    assert.match(r.error.message, /^the ignore setting names the column "id", which is not in the header/);
    const without = read([]);
    assert.ok(!without.ok);
    assert.match(without.error.message, /^column "id, year" has numbers and text/);
  });

  it('other values are refused with the setting named', () => {
    assert.throws(
      () => resolveSettings({ ignore: [1] }),
      /^RangeError: ignore must be a list of column names/,
    );
    assert.throws(() => resolveSettings({ ignore: { a: 1 } }), /ignore must be a list of column names/);
  });

  it('experiment files take the list (and still a string); the CLI trains with it', () => {
    const x = parseExperiment('{\n "dataset": "d.csv",\n "ignore": ["id, year", "note"]\n}');
    assert.ok(x.ok, JSON.stringify(!x.ok && x.errors));
    assert.deepEqual(x.experiment.values, { ignore: ['id, year', 'note'] });
    const s = parseExperiment('{ "dataset": "d.csv", "ignore": "note" }');
    assert.ok(s.ok);
    const bad = parseExperiment('{\n "dataset": "d.csv",\n "ignore": ["note", 3]\n}');
    assert.ok(!bad.ok);
    assert.equal(bad.errors[0].line, 3);
    assert.match(bad.errors[0].message, /ignore must be a list of column names/);
    // The CLI reads the experiment file's list (lr-find takes an experiment file).
    const files = {
      '/w/d.csv': CSV,
      '/w/e.backprop.json': '{ "dataset": "d.csv", "ignore": ["id, year", "note"] }',
    };
    const r = run(['lr-find', '/w/e.backprop.json', '--steps', '5', '--json'], files);
    assert.equal(r.code, 0, r.err);
    const failing = run(['lr-find', '/w/d.csv', '--steps', '5', '--ignore', 'note', '--json'], files);
    assert.equal(failing.code, 2); // "id, year" is not ignored: numbers and text
    assert.match(failing.out + failing.err, /id, year/);
  });

  it('a text column whose name has a comma: the maxCategories message suggests the list form', () => {
    const r = readDataset(
      new TextEncoder().encode(
        '"a,b",x,y\n' + Array.from({ length: 60 }, (_, i) => `t${i},${i},${i % 2}`).join('\n'),
      ),
      'd.csv',
    );
    assert.ok(!r.ok);
    assert.match(
      r.error.message,
      /ignore it \("ignore": \["a,b"\]: a name with a comma needs the list form\)/,
    );
  });
});
