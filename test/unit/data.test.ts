import { strict as assert } from 'node:assert';
import * as fc from 'fast-check';
import { readDataset, type ReadResult } from '../../src/data/dataset';
import { fieldEnd, parseDecimal, parseDecimalBytes, scanDecimalField } from '../../src/data/decimal';
import { prepare, splitRows } from '../../src/data/prepare';

const enc = new TextEncoder();
const read = (text: string | Uint8Array, name = 'd.csv', label?: string): ReadResult =>
  readDataset(typeof text === 'string' ? enc.encode(text) : text, name, label === undefined ? {} : { label });
const ok = (text: string | Uint8Array, name = 'd.csv', label?: string) => {
  const r = read(text, name, label);
  if (!r.ok) assert.fail(`expected success, got line ${r.error.line}: ${r.error.message}`);
  return r.table;
};
const err = (text: string | Uint8Array, line: number, message: RegExp, name = 'd.csv', label?: string) => {
  const r = read(text, name, label);
  if (r.ok) assert.fail(`expected an error at line ${line}`);
  assert.equal(r.error.line, line, `line of: ${r.error.message}`);
  assert.match(r.error.message, message);
};

describe('decimal numbers (rule 7)', () => {
  it('accepts the grammar and matches Number() exactly on it', () => {
    for (const s of [
      '0',
      '-0',
      '+1',
      '1.',
      '.5',
      '1.5',
      '1e5',
      '1E-5',
      '-2.5e+3',
      '  42  ',
      '\t7',
      '123456789012345678901234567890',
      '0.1',
      '0.30000000000000004',
      '9007199254740993',
      '4.9406564584124654e-324',
      '1e-400',
      '2.2250738585072014e-308',
      '1.7976931348623157e308',
      '0.000001234567890123456789',
    ]) {
      const v = parseDecimal(s);
      assert.ok(
        Object.is(v, Number(s.trim())) || (s.trim() === '1e-400' && v === 0),
        `${s}: ${v} vs ${Number(s.trim())}`,
      );
    }
  });
  it('rejects everything else', () => {
    for (const s of [
      '',
      ' ',
      'NaN',
      'nan',
      'Infinity',
      '-Infinity',
      'inf',
      '0x1A',
      '0o17',
      '0b101',
      '1.5abc',
      '1,5',
      '1_000',
      '1 000',
      '--1',
      '+-1',
      '.',
      'e5',
      '1e',
      '1e+',
      '1.2.3',
      '١',
      '٫5',
    ]) {
      assert.ok(Number.isNaN(parseDecimal(s)), `${JSON.stringify(s)} gave ${parseDecimal(s)}`);
    }
  });
  it("property: the one-pass field scanner follows the contract's grammar (an independent regex oracle and Number()) and finds the field end", () => {
    const GRAMMAR = /^[ \t]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t]*$/;
    const field = fc
      .array(
        fc.constantFrom('1', '0', '9', '.', 'e', 'E', '+', '-', ' ', '\t', 'x', '5', '00', '123456789'),
        { maxLength: 24 },
      )
      .map((a) => a.join(''));
    fc.assert(
      fc.property(
        field,
        fc.constantFrom(',', '\n', '\r', ''),
        fc.constantFrom(0x2c, 0x09),
        (f, after, delim) => {
          if (delim === 0x09 && f.includes('\t')) return true; // a TSV field cannot hold a TAB
          const bytes = enc.encode(f + after + (after ? 'rest' : ''));
          const v = scanDecimalField(bytes, 0, delim);
          const boundary = after === '\n' || after === '\r' || (after === ',' && delim === 0x2c);
          if (!boundary) return true; // the field runs on into "rest": covered by the reader tests
          assert.equal(fieldEnd, f.length, 'the field ends at the delimiter or line break');
          const expected = GRAMMAR.test(f) ? Number(f.trim()) : NaN;
          assert.ok(
            Object.is(v, expected) || (Number.isNaN(v) && Number.isNaN(expected)),
            `${JSON.stringify(f)}: ${v} vs ${expected}`,
          );
          assert.ok(
            Object.is(parseDecimalBytes(enc.encode(f), 0, f.length), v) ||
              (Number.isNaN(v) && Number.isNaN(parseDecimalBytes(enc.encode(f), 0, f.length))),
          );
          return true;
        },
      ),
      { numRuns: 5000 },
    );
  });
  it('overflow is ±Infinity (reported as an error), underflow is 0', () => {
    assert.equal(parseDecimal('1e309'), Infinity);
    assert.equal(parseDecimal('-1e309'), -Infinity);
    assert.equal(parseDecimal('1e-400'), 0);
  });
  it('property: agrees with Number() on every string the grammar accepts', () => {
    const digits = fc.stringMatching(/^[0-9]{1,25}$/);
    const num = fc
      .tuple(
        fc.constantFrom('', '+', '-'),
        digits,
        fc.option(digits),
        fc.option(
          fc.tuple(
            fc.constantFrom('e', 'E'),
            fc.constantFrom('', '+', '-'),
            fc.integer({ min: 0, max: 400 }),
          ),
        ),
      )
      .map(([s, i, f, e]) => `${s}${i}${f === null ? '' : '.' + f}${e === null ? '' : e[0] + e[1] + e[2]}`);
    fc.assert(
      fc.property(num, (s) => {
        const v = parseDecimal(s);
        const ref = Number(s);
        return Number.isFinite(ref) ? Object.is(v, ref) : v === ref;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('dataset readers: the contract', () => {
  it('1: CSV with RFC 4180 quoting; TSV without quoting; JSON array of flat objects', () => {
    const t = ok('a,"b, with comma","c ""q"""\n1,"2",0\n"3.5",4,1\n');
    assert.deepEqual(t.columns, ['a', 'b, with comma', 'c "q"']);
    assert.deepEqual(Array.from(t.X), [1, 2, 3.5, 4]);
    assert.deepEqual(Array.from(t.Y), [0, 1]);
    const q = ok('"multi\nline name",y\n5,1\n6,0\n');
    assert.deepEqual(q.columns, ['multi\nline name', 'y']);
    assert.deepEqual(Array.from(q.lines), [3, 4], 'a quoted line break counts as a physical line');
    const tsv = ok('x,1\t"q"\tlabel\n1\t2\t0\n3\t4\t1', 'd.tsv');
    assert.deepEqual(tsv.columns, ['x,1', '"q"', 'label']);
    assert.deepEqual(Array.from(tsv.X), [1, 2, 3, 4]);
    err('a\tb\n"1"\t0\n2\t1\n', 2, /column "a" has numbers and text: ""1"" at line 2/, 'd.tsv'); // TSV: the quotes are text
    const j = ok('[{"x1": 1, "x2": -2.5e1, "y": 0},\n {"y": 1, "x2": 3, "x1": 4}]', 'd.json');
    assert.deepEqual(j.columns, ['x1', 'x2', 'y']);
    assert.deepEqual(Array.from(j.X), [1, -25, 4, 3]);
    assert.deepEqual(Array.from(j.lines), [1, 2]);
  });

  it('1: a .csv whose one-column header holds ";" or TAB says so; no sniffing', () => {
    err('a;b;y\n1;2;0\n', 1, /one column and contains ';'.*comma-separated/);
    err('a\tb\ty\n1\t2\t0\n', 1, /one column and contains a TAB/);
    err('a,y\n1,0\n', 1, /unsupported file type/, 'd.txt');
  });

  it('2: UTF-8 with an optional BOM (also JSON); UTF-16, NUL bytes and invalid UTF-8 are errors', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('é,y\n1,0\n2,1\n')]);
    assert.deepEqual(ok(bom).columns, ['é', 'y']);
    assert.deepEqual(
      ok(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('[{"a":1,"y":0},{"a":2,"y":1}]')]), 'd.json')
        .columns,
      ['a', 'y'],
    );
    const u16 = new Uint8Array([0xff, 0xfe, 0x61, 0, 0x2c, 0, 0x79, 0]);
    err(u16, 1, /UTF-16/);
    err(
      new Uint8Array([0x61, 0, 0x2c, 0, 0x79, 0, 0x0a, 0, 0x31, 0, 0x2c, 0, 0x30, 0]),
      1,
      /UTF-16 without a byte-order mark/,
    );
    err(enc.encode('a,y\n1,0\n2\u0000,1\n'), 1, /NUL byte \(first at line 3\)/);
    err(
      new Uint8Array([...enc.encode('a,y\n1,0\n'), 0xff, ...enc.encode(',1\n')]),
      1,
      /not valid UTF-8 \(first invalid byte 0xff at line 3\)/,
    );
    err(
      new Uint8Array([
        ...enc.encode('a\xe9,y\n'.replace('\xe9', '')),
        0xc3,
        0x28,
        ...enc.encode(',y\n1,0\n'),
      ]),
      1,
      /not valid UTF-8/,
    );
    err(
      new Uint8Array([...enc.encode('[{"a":1,"y":0}'), 0xc0, 0x80, ...enc.encode(']')]),
      1,
      /not valid UTF-8/,
      'd.json',
    );
  });

  it('3: the first non-blank line is the header; blank lines anywhere; optional final break; CR, LF, CRLF mixed', () => {
    const t = ok('\n  \r\na,y\r\n\r\n1,0\r2,1\n\n3,0');
    assert.deepEqual(t.columns, ['a', 'y']);
    assert.deepEqual(Array.from(t.X), [1, 2, 3]);
    assert.deepEqual(Array.from(t.lines), [5, 6, 8]);
    err('a,y\r\n1,0\r\n2,1\r\nx,0\r\n', 4, /column "a" has numbers and text: "x" at line 4/);
    err('a,y\r1,0\r2,1\rx,0', 4, /column "a" has numbers and text: "x" at line 4/);
    const z = ok('a,"y\n\nz"\n1,0\r\n2,1\n4,zz\n'); // text among the labels: every label is a class name
    assert.deepEqual(z.classes, ['0', '1', 'zz']);
    assert.deepEqual(Array.from(z.lines), [4, 5, 6]);
    err('a,y\n1,0\r\n"\n\n",1\n', 3, /column "a" has a missing value/); // a row's errors are reported at the line where it starts
  });

  it('4: names non-empty and unique; any other text is kept verbatim', () => {
    err('a,,y\n1,2,0\n', 1, /column 2 of the header has no name/);
    err('a, ,y\n1,2,0\n', 1, /column 2 of the header has no name/);
    err('a,b,a\n1,2,0\n', 1, /names column "a" twice \(columns 1 and 3\)/);
    const hostile = [
      '<img src=x onerror=alert(1)>',
      '__proto__',
      'constructor',
      '=HYPERLINK("x")',
      '"><svg onload=alert(1)>',
      '</script>',
      'A',
      'a',
    ];
    const csv =
      hostile.map((h) => `"${h.replace(/"/g, '""')}"`).join(',') +
      ',y\n' +
      hostile.map(() => '1').join(',') +
      ',0\n' +
      hostile.map(() => '2').join(',') +
      ',1\n';
    const t = ok(csv);
    assert.deepEqual(t.featureNames, hostile);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const j = ok(
      `[{"__proto__": 1, "constructor": 2, "y": 0}, {"constructor": 3, "__proto__": 4, "y": 1}]`,
      'd.json',
    );
    assert.deepEqual(j.columns, ['__proto__', 'constructor', 'y']);
    assert.deepEqual(Array.from(j.X), [1, 2, 4, 3]);
  });

  it('5: the label is the last column unless named; at least one feature', () => {
    const t = ok('y,a,b\n0,1,2\n1,3,4\n', 'd.csv', 'y');
    assert.equal(t.labelName, 'y');
    assert.deepEqual(t.featureNames, ['a', 'b']);
    assert.deepEqual(Array.from(t.X), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(t.Y), [0, 1]);
    err(
      'a,b\n1,0\n',
      1,
      /label column "target" is not in the header \(columns: "a", "b"\)/,
      'd.csv',
      'target',
    );
    err('y\n0\n1\n', 1, /at least one feature column/);
  });

  it('6: every data row has as many fields as the header', () => {
    err('a,b,y\n1,2,0\n1,2\n', 3, /the row has 2 fields but the header has 3/);
    err('a,b,y\n1,2,0,9,9\n', 2, /the row has 5 fields but the header has 3/);
  });

  it('7: feature cells must be strict decimals; each error quotes the text and names the column', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /column "a" has a missing value/],
      ['  ', /column "a" has a missing value/],
      ['NaN', /column "a" has a missing value \("NaN"\)/],
      ['Infinity', /has numbers and text: "Infinity".*Infinity is not accepted/],
      ['0x1A', /hexadecimal/],
      ['1.5abc', /column "a" has numbers and text: "1.5abc" at line 3/],
      ['1_000', /has numbers and text/],
      ['"1,5"', /decimal commas/],
      ['1e309', /"1e309" is too large for a double/],
      ['"1,000"', /has numbers and text: "1,000" at line 3/],
    ];
    for (const [cell, re] of cases) err(`a,y\n1,0\n${cell},1\n`, 3, re);
    const t = ok('a,y\n  1.5 ,0\n1e-400,1\n+.5,0\n');
    assert.deepEqual(Array.from(t.X), [1.5, 0, 0.5]);
  });

  it('8: labels 0/1 (the binary network) or class names; at least two classes; fractional labels are an error', () => {
    assert.ok(Object.is(ok('a,y\n1,1.0\n2,0.000\n3,-0\n').Y[2], 0), 'a label of -0 is stored as 0');
    assert.deepEqual(Array.from(ok('a,y\n1,1.0\n2,0.000\n3,-0\n').Y), [1, 0, 0]);
    assert.deepEqual(ok('a,y\n1,1.0\n2,0.000\n3,-0\n').classes, ['0', '1']);
    for (const other of ['2', '-1', 'yes', 'true'])
      assert.equal(ok(`a,y\n1,0\n2,${other}\n3,1\n`).K, 3, other);
    err(
      'a,y\n1,0\n2,0.5\n',
      3,
      /label column "y": "0.5" is not a whole number; Backprop Lens classifies.*regression/,
    );
    err('a,y\n1,0\n2,\n', 3, /column "y" has a missing value/);
    err('a,y\n1,1\n2,1\n', 1, /every row has label "1" in column "y"; training needs at least two classes/);
    err('a,y\n', 1, /no data rows/);
    err('', 1, /empty/);
    err('\n \n', 1, /empty/);
  });

  it("9: JSON values are numbers, strings (text cells) or null (missing); every record has the first record's keys; 1e309 is an error", () => {
    assert.deepEqual(Array.from(ok('[{"a": 1, "y": 0},\n{"a": "2", "y": 1}]', 'd.json').X), [1, 2]); // a string holding a number is a number, as a quoted CSV cell
    err(
      '[{"a": 1, "y": 0},\n{"a": "x", "y": 1},\n{"a": 3, "y": 1}]',
      2,
      /column "a" has numbers and text: "x" at line 2/,
      'd.json',
    );
    err('[{"a": 1, "y": 0},\n{"a": null, "y": 1}]', 2, /column "a" has a missing value/, 'd.json');
    const t = ok(
      '[{"island": "Dream", "y": "Adelie"},\n{"island": "Biscoe", "y": "Gentoo"},\n{"island": "Dream", "y": "__proto__"}]',
      'd.json',
    );
    assert.deepEqual(t.featureNames, ['island=Biscoe', 'island=Dream']);
    assert.deepEqual(t.classes, ['Adelie', 'Gentoo', '__proto__']);
    assert.deepEqual(Array.from(t.lines), [1, 2, 3]);
    err('[{"a": 1, "y": 0},\n{"a": [1], "y": 1}]', 2, /not nested arrays/, 'd.json');
    err('[{"a": 1, "y": 0},\n{"a": 2, "y": true}]', 2, /true is not a number/, 'd.json');
    err('[{"a": 1, "y": 0},\n{"a": 2}]', 2, /lacks the key "y"/, 'd.json');
    err('[{"a": 1, "y": 0},\n{"a": 2, "y": 1, "b": 3}]', 2, /the key "b" is not a column/, 'd.json');
    err('[{"a": 1, "y": 0},\n{"a": 2, "a": 3, "y": 1}]', 2, /appears twice/, 'd.json');
    err('[{"a": 1, "y": 0},\n\n{"a": 1e309, "y": 1}]', 3, /1e309 is too large for a double/, 'd.json');
    assert.deepEqual(ok('[{"a": 1, "y": 0},\n{"a": 2, "y": 2},\n{"a": 3, "y": 1}]', 'd.json').classes, [
      '0',
      '1',
      '2',
    ]);
    err('{"a": 1}', 1, /must be an array of objects/, 'd.json');
    err('[]', 1, /no data rows/, 'd.json');
    err('[{"a": 1, "y": 0}, {"a": 2, "y": 1}] x', 1, /unexpected text after/, 'd.json');
    err('[{"a": 1, "y": 0},\n{"a": 2, "y": 1}', 2, /expected ',' or '\]'/, 'd.json');
  });

  it('10: an unterminated quoted field is reported at its opening quote', () => {
    err('a,y\n1,0\n"2,1\n3,0\n4,1\n', 3, /quoted field opened here is never closed/);
    err('a,y\r\n1,0\r\n\r\n2,"1\r\n', 4, /never closed/);
  });

  it('size limit: a clear error at line 1', () => {
    const r = readDataset(enc.encode('a,y\n1,0\n2,1\n'), 'd.csv', { maxBytes: 8 });
    assert.ok(!r.ok);
    assert.equal(r.error.line, 1);
    assert.match(r.error.message, /over the .* limit/);
  });

  it('messages escape bidi and control characters in quoted text', () => {
    err('a,y\n1,0\n\u202Eevil,1\n', 3, /"\\u202eevil"/);
  });

  it('an error quotes the cell as the file writes it (CSV quoting, TSV verbatim, JSON strings); control and bidi characters escaped', () => {
    // A CSV cell "a""b" is reported as "a""b" (what the user searches the file for), not JSON-style "a\"b".
    err('a,y\n1,0\n"a""b",1\n', 3, /^column "a" has numbers and text: "a""b" at line 3/);
    err('a,y\n1,0\n2,1\n3,0\n"x""",1\n', 5, /^column "a" has numbers and text: "x""" at line 5/);
    err('a,y\n1,0\nC:\\dir,1\n', 3, /^column "a" has numbers and text: "C:\\dir" at line 3/); // one backslash, as written
    // Column names from the header, class names and missing-value cells too.
    err('"we""ird",y\n1,0\nx,1\n2,0\n', 3, /^column "we""ird" has numbers and text: "x" at line 3/);
    err('a,"l""b"\n1,0\n2,1.5\n3,1\n', 3, /^label column "l""b": "1.5" is not a whole number/);
    err(
      'a,"y"\n1,"x""1"\n2,"x""1"\n',
      1,
      /^every row has label "x""1" in column "y"; training needs at least two classes/,
    );
    err('a,"b""c",y\n1,NA,0\n2,3,1\n', 2, /^column "b""c" has a missing value \("NA"\)/);
    // JSON writes a quote in a string as \" : that is how it is written there.
    err(
      '[{"a": 1, "y": 0}, {"a": "p\\"q", "y": 1}]',
      1,
      /^column "a" has numbers and text: "p\\"q"/,
      'd.json',
    );
    // TSV has no quoting: the cell verbatim between quotes.
    err('a\tb\nx"y\t0\n2\t1\n', 2, /^column "a" has numbers and text: "x"y" at line 2/, 'd.tsv');
    err('a\tb\n"1"\t0\n2\t1\n', 2, /column "a" has numbers and text: ""1""/, 'd.tsv');
    err('a,y\n1,0\n"1e309",1\n', 3, /^column "a": "1e309" is too large for a double$/);
    err('a,y\n1,0\n" 1,5 ",1\n', 3, /^column "a" has numbers and text: " 1,5 " at line 3 .*\(decimal commas/);
    err(
      'a,y\n1,0\n"x\u202E\r\ny",1\n',
      3,
      /^column "a" has numbers and text: "x\\u202e\\u000d\\u000ay" at line 3/,
    );
  });
});

describe('dataset readers: properties', () => {
  const lineCount = (bytes: Uint8Array) => {
    let n = 1;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0x0a) n++;
      else if (bytes[i] === 0x0d) {
        n++;
        if (bytes[i + 1] === 0x0a) i++;
      }
    }
    return n;
  };
  const check = (bytes: Uint8Array, name: string) => {
    const r = readDataset(bytes, name);
    if (r.ok) {
      const t = r.table;
      assert.equal(t.X.length, t.m * t.n);
      assert.equal(t.n, t.columns.length - 1);
      assert.ok(t.X.every(Number.isFinite));
      assert.ok(t.Y.every((y) => y === 0 || y === 1));
      assert.ok(t.lines.every((l) => l >= 1 && l <= lineCount(bytes)));
    } else {
      assert.ok(
        Number.isInteger(r.error.line) && r.error.line >= 1 && r.error.line <= lineCount(bytes),
        `line ${r.error.line} of ${lineCount(bytes)}`,
      );
      assert.ok(r.error.message.length > 0);
    }
  };
  const csvish = fc
    .array(
      fc.constantFrom(
        'a',
        'y',
        '1',
        '0',
        '-2.5e3',
        ',',
        ',',
        '\t',
        '"',
        '""',
        '\n',
        '\r\n',
        '\r',
        ' ',
        'x',
        '{',
        '}',
        '[',
        ']',
        ':',
        'é',
        '\u0000',
        'e',
        '.',
      ),
      { maxLength: 80 },
    )
    .map((a) => a.join(''));
  for (const name of ['d.csv', 'd.tsv', 'd.json']) {
    it(`${name}: never throws on arbitrary text or bytes; lines in range; accepted results rectangular and finite`, () => {
      fc.assert(
        fc.property(csvish, (s) => check(enc.encode(s), name)),
        { numRuns: 1500 },
      );
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => check(enc.encode(s), name)),
        { numRuns: 500 },
      );
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (b) => check(b, name)),
        { numRuns: 500 },
      );
    });
  }
  it("property: every cell is read as the contract's grammar and Number() say (an independent oracle), whatever its spelling, line endings and final line break", () => {
    const GRAMMAR = /^[ \t]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t]*$/;
    const spelled = fc.oneof(
      fc
        .double({ noNaN: true })
        .chain((v) =>
          fc.constantFrom(
            String(v),
            v.toExponential(),
            Math.abs(v) < 1e21 ? v.toFixed(4) : String(v),
            v.toPrecision(17),
            v.toPrecision(3),
          ),
        ),
      fc
        .tuple(
          fc.constantFrom('', '+', '-'),
          fc.stringMatching(/^[0-9]{0,20}$/),
          fc.constantFrom('', '.'),
          fc.stringMatching(/^[0-9]{0,20}$/),
          fc.constantFrom('', 'e', 'E-', 'e+', 'e-3', 'E22', 'e23', 'e-22', 'e-23', 'e400', 'e-400'),
        )
        .map((p) => p.join('')),
      fc
        .array(
          fc.constantFrom(
            '1',
            '0',
            '9',
            '.',
            'e',
            'E',
            '+',
            '-',
            ' ',
            '\t',
            'x',
            '00',
            '123456789',
            '\u00e9',
          ),
          { maxLength: 12 },
        )
        .map((a) => a.join('')),
    );
    const table = fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 8 }))
      .chain(([n, m]) =>
        fc.tuple(
          fc.array(fc.array(spelled, { minLength: n, maxLength: n }), { minLength: m, maxLength: m }),
          fc.constantFrom('\n', '\r\n', '\r'),
          fc.boolean(),
          fc.boolean(),
        ),
      );
    const valid = (s: string) => GRAMMAR.test(s) && Number.isFinite(Number(s.trim()));
    fc.assert(
      fc.property(table, ([rows, eol, finalBreak, quoted]) => {
        const n = rows[0].length;
        const header = [...Array.from({ length: n }, (_, j) => `f${j}`), 'y'].join(',');
        const cell = (s: string) => (quoted ? `"${s}"` : s);
        const text =
          [header, ...rows.map((r, i) => [...r.map(cell), String(i % 2)].join(','))].join(eol) +
          (finalBreak ? eol : '');
        const r = read(text);
        const bad = rows.findIndex((row) => !row.every(valid));
        if (bad < 0) {
          if (!r.ok) assert.fail(`rejected ${JSON.stringify(text)}: ${r.error.message}`);
          const cells = rows.flat();
          assert.equal(r.table.X.length, cells.length);
          cells.forEach((s, k) =>
            assert.ok(
              Object.is(r.table.X[k], Number(s.trim())),
              `${JSON.stringify(s)}: ${r.table.X[k]} vs ${Number(s.trim())}`,
            ),
          );
          assert.deepEqual(
            Array.from(r.table.lines),
            rows.map((_, i) => i + 2),
          );
        } else {
          // Data as it comes: a column with no number is categorical; a missing cell (empty, NaN, …) is an error;
          // a column of numbers and text is an error on the first cell of the minority kind (text on a tie);
          // the earliest of these lines is reported. (Row i is on line i + 2.)
          const missing = (c: string) =>
            ['', 'na', 'n/a', 'nan', 'null', 'none', '?'].includes(c.trim().toLowerCase());
          const numberLike = (c: string) => GRAMMAR.test(c);
          const firstMissing = rows.findIndex((row) => row.some(missing));
          const clean = rows.map((_, i) => i).filter((i) => !rows[i].some(missing));
          const lines: number[] = [];
          for (let j = 0; j < n; j++) {
            const nums = clean.filter((i) => numberLike(rows[i][j])),
              texts = clean.filter((i) => !numberLike(rows[i][j]));
            if (nums.length && texts.length)
              lines.push((texts.length <= nums.length ? texts[0] : nums[0]) + 2);
            else if (!texts.length) {
              const big = nums.find((i) => !valid(rows[i][j]));
              if (big !== undefined) lines.push(big + 2);
            }
          }
          const mixedLine = lines.length ? Math.min(...lines) : Infinity;
          const expected = firstMissing >= 0 ? Math.min(firstMissing + 2, mixedLine) : mixedLine;
          if (expected === Infinity) {
            if (!r.ok) assert.fail(`rejected ${JSON.stringify(text)}: ${r.error.message}`);
            for (let j = 0; j < n; j++) {
              const categorical = !rows.some((row) => numberLike(row[j]));
              assert.equal(
                r.table.featureNames.some((f) => f.startsWith(`f${j}=`)),
                categorical,
                `f${j}`,
              );
            }
          } else {
            if (r.ok) assert.fail(`accepted ${JSON.stringify(rows)} in ${JSON.stringify(text)}`);
            assert.equal(r.error.line, expected, r.error.message);
            assert.match(r.error.message, /^column "f\d+"/);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts every well-formed numeric table it is given, whatever the line endings', () => {
    const table = fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 20 }))
      .chain(([n, m]) =>
        fc.tuple(
          fc.constant(n),
          fc.array(
            fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n }),
            { minLength: m, maxLength: m },
          ),
          fc.constantFrom('\n', '\r\n', '\r'),
        ),
      );
    fc.assert(
      fc.property(table, ([n, rows, eol]) => {
        const header = [...Array.from({ length: n }, (_, j) => `f${j}`), 'y'].join(',');
        const body = rows.map((r, i) => [...r.map((v) => String(v)), String(i % 2)].join(','));
        const t = ok([header, ...body].join(eol));
        assert.equal(t.m, rows.length);
        assert.deepEqual(
          Array.from(t.X),
          rows.flat().map((v) => (Object.is(v, -0) ? 0 : v)) /* String(-0) is '0' */,
        );
        assert.deepEqual(
          Array.from(t.lines),
          rows.map((_, i) => i + 2),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('preparation: split and standardisation', () => {
  it('a seeded 80/20 split; a split of 0 trains on every row', () => {
    const a = splitRows(100, 0.2, 7),
      b = splitRows(100, 0.2, 7),
      c = splitRows(100, 0.2, 8);
    assert.equal(a.test.length, 20);
    assert.equal(a.train.length, 80);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.test, c.test);
    assert.deepEqual(new Set([...a.train, ...a.test]).size, 100);
    assert.equal(splitRows(10, 0, 1).test.length, 0);
  });
  it("standardises with the training rows' mean and population std, and constant columns are left centred", () => {
    const t = ok('a,b,y\n1,5,0\n2,5,1\n3,5,0\n4,5,1\n');
    const p = prepare(t, { split: 0, seed: 1, standardize: true });
    assert.deepEqual(p.standardization!.mean, [2.5, 5]);
    assert.ok(Math.abs(p.standardization!.std[0] - Math.sqrt(1.25)) < 1e-15);
    assert.equal(p.standardization!.std[1], 1);
    assert.deepEqual(
      Array.from(p.train.X).filter((_, i) => i % 2 === 1),
      [0, 0, 0, 0],
    );
  });
  it('features of 1e308 do not overflow silently', () => {
    const t = ok('a,y\n1e308,0\n-1e308,1\n1.5e308,0\n');
    assert.throws(() => prepare(t, { split: 0, seed: 1, standardize: true }), /too large to standardise/);
  });
});
