/**
 * Pathological and hostile inputs for the readers and the .deriv parser: each
 * gives a clear error or a correct result. (Their timings are in the benchmark,
 * not here: no timed unit tests.)
 */
import { strict as assert } from 'node:assert';
import * as fc from 'fast-check';
import { readDataset } from '../../src/data/dataset';
import { checkDerivation } from '../../src/derivation/checker';
import { parse } from '../../src/derivation/parser';

const enc = new TextEncoder();

describe('pathological dataset inputs', () => {
  it('a 2,000-column line reads correctly', () => {
    const cols = 2000;
    const header = Array.from({ length: cols }, (_, j) => `f${j}`).join(',') + ',y';
    const row = (k: number) =>
      Array.from({ length: cols }, (_, j) => String((j * k) % 7)).join(',') + `,${k % 2}`;
    const r = readDataset(enc.encode([header, row(1), row(2), row(3)].join('\n')), 'wide.csv');
    assert.ok(r.ok);
    assert.equal(r.table.n, 2000);
    assert.equal(r.table.X[2000 + 1999], (1999 * 2) % 7);
  });

  it('a 100,000-digit cell: a correct value when it is a finite number, a clear error when it overflows', () => {
    const digits = '1' + '0'.repeat(99_999);
    const big = readDataset(enc.encode(`a,y\n${digits},0\n1,1\n`), 'd.csv');
    assert.ok(!big.ok);
    assert.equal(big.error.line, 2);
    assert.match(big.error.message, /column "a": "1000000000.*…" is too large for a double/);
    const small = readDataset(enc.encode(`a,y\n0.${'0'.repeat(99_990)}123,0\n1,1\n`), 'd.csv');
    assert.ok(small.ok);
    assert.equal(small.table.X[0], Number(`0.${'0'.repeat(99_990)}123`));
    const long = readDataset(enc.encode(`a,y\n1.${'3'.repeat(100_000)},0\n1,1\n`), 'd.csv');
    assert.ok(long.ok);
    assert.equal(long.table.X[0], 1 + 1 / 3);
  });

  it('binary garbage is an encoding error at line 1 naming where, for every format', () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    for (const name of ['g.csv', 'g.tsv', 'g.json']) {
      const r = readDataset(garbage, name);
      assert.ok(!r.ok, name);
      assert.equal(r.error.line, 1);
      assert.match(r.error.message, /NUL byte|not valid UTF-8|UTF-16/);
    }
  });

  it('a 100 MB file reads whole (bytes in, a rectangular finite matrix out); one byte over the limit is refused up front', () => {
    const line =
      '0.123456789,-1.23456789,12.3456789,-0.000123456,1\n0.987654321,1.98765432,-9.87654321,0.000987654,0\n';
    const reps = Math.ceil((100 * 1024 * 1024) / line.length);
    const bytes = enc.encode('a,b,c,d,label\n' + line.repeat(reps));
    const r = readDataset(bytes, 'big.csv');
    assert.ok(r.ok);
    assert.equal(r.table.m, 2 * reps);
    assert.equal(r.table.X.length, 4 * 2 * reps);
    assert.equal(r.table.X[4 * (2 * reps - 1) + 3], 0.000987654);
    const over = readDataset(bytes, 'big.csv', { maxBytes: bytes.length - 1 });
    assert.ok(!over.ok);
    assert.match(over.error.message, /over the .* limit/);
  });

  it('hostile text in names stays verbatim and cannot pollute prototypes (CSV and JSON)', () => {
    const names = [
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'javascript:alert(1)',
      'command:workbench.action.terminal.new',
      '=cmd|" /C calc"!A0',
      '\u202Egnp.exe',
      '<script>alert(1)</script>',
    ];
    const csv =
      names.map((n) => `"${n.replace(/"/g, '""')}"`).join(',') +
      ',y\n' +
      names.map(() => '1').join(',') +
      ',0\n' +
      names.map(() => '2').join(',') +
      ',1\n';
    const r = readDataset(enc.encode(csv), 'h.csv');
    assert.ok(r.ok);
    assert.deepEqual(r.table.featureNames, names);
    const json =
      '[' +
      [0, 1]
        .map((y) => '{' + names.map((n) => `${JSON.stringify(n)}: ${y + 1}`).join(', ') + `, "y": ${y}}`)
        .join(',') +
      ']';
    const j = readDataset(enc.encode(json), 'h.json');
    assert.ok(j.ok);
    assert.deepEqual(j.table.featureNames, names);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('pathological .deriv inputs', () => {
  it('a 100,000-character line, 10,000 lines and deep nesting give findings, not crashes; the limits are stated', () => {
    const long = 'dz2 = ' + Array.from({ length: 20_000 }, () => 'a2').join(' + ');
    const pl = parse(long);
    assert.equal(pl.statements.length, 0);
    assert.match(pl.errors[0].message, /too long \(more than 4000 terms\)/);
    const many = Array.from({ length: 10_000 }, (_, i) => `h${i} = a1 * ${i}`).join('\n');
    assert.equal(parse(many).statements.length, 10_000);
    const deep = 'dz2 = ' + '('.repeat(3000) + 'a2 - y' + ')'.repeat(3000);
    const r = checkDerivation(deep, { activation: 'sigmoid', draws: 1 });
    assert.deepEqual(
      r.findings.map((f) => f.code),
      ['syntax'],
    );
    assert.match(r.findings[0].message, /nested more than 200 deep/);
    assert.equal(
      checkDerivation('x1 = ' + '-'.repeat(5000) + 'a2', { activation: 'sigmoid', draws: 1 }).findings[0]
        .code,
      'syntax',
    );
    const fine = 'dz2 = ' + '('.repeat(150) + 'a2 - y' + ')'.repeat(150);
    assert.ok(
      checkDerivation(fine, { activation: 'sigmoid', draws: 1 }).findings.every(
        (f) => f.code !== 'gradient-mismatch' && f.code !== 'syntax',
      ),
    );
  });

  it('property: arbitrary bytes decoded as text never throw in the checker', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const text = new TextDecoder().decode(b);
        checkDerivation(text, { activation: 'tanh', draws: 1 });
      }),
      { numRuns: 300 },
    );
  });
});
