import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { lex } from '../../src/derivation/lexer';
import { type Expr, parse } from '../../src/derivation/parser';
import { EvalError, evaluate, mat } from '../../src/derivation/evaluate';
import { checkDerivation, referenceDerivation, textbookFormula } from '../../src/derivation/checker';
import type { Activation } from '../../src/core/activations';
import { derivationGradient } from '../../src/derivation/gradient';
import { DEFAULT_CONFIG, Trainer } from '../../src/core/trainer';
import { xor } from '../../src/data/synthetic';

const fixtures = join(__dirname, '..', 'fixtures', 'deriv');
const show = (e: Expr): string => {
  switch (e.kind) {
    case 'num':
      return String(e.value);
    case 'name':
      return e.name;
    case 'call':
      return `${e.fn}(${e.args.map(show).join(', ')})`;
    case 'unary':
      return `(-${show(e.arg)})`;
    case 'transpose':
      return `${show(e.arg)}.T`;
    case 'binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
  }
};
const expr = (src: string) => {
  const p = parse(`v = ${src}`);
  assert.deepEqual(p.errors, []);
  return show(p.statements[0].expr);
};

describe('.deriv lexer and parser', () => {
  it("precedence: @ and * share a level, left-associative (Python's rule); unary minus below **", () => {
    assert.equal(expr('W2.T @ dz2 * a1'), '((W2.T @ dz2) * a1)');
    assert.equal(expr('a * b @ c'), '((a * b) @ c)');
    assert.equal(expr('a + b * c - d'), '((a + (b * c)) - d)');
    assert.equal(expr('-x ** 2'), '(-(x ** 2))');
    assert.equal(expr('x ** -1'), '(x ** (-1))');
    assert.equal(expr('2 ** 3 ** 2'), '(2 ** (3 ** 2))');
    assert.equal(expr('(a + b).T.T'), '(a + b).T.T');
    assert.equal(expr('sum(dz1, 1) / m'), '(sum(dz1, 1) / m)');
    assert.equal(expr('a / b / c'), '((a / b) / c)');
    assert.equal(expr('1.5e-3 * .5'), '(0.0015 * 0.5)');
  });

  it('ranges: names, operators and statements carry exact 0-based positions', () => {
    const p = parse('# c\n  dW1 = dz1 @ x.T  # note\n');
    const s = p.statements[0];
    assert.equal(s.line, 1);
    assert.deepEqual(s.nameRange, { start: { line: 1, character: 2 }, end: { line: 1, character: 5 } });
    const e = s.expr as Extract<Expr, { kind: 'binary' }>;
    assert.deepEqual(e.opRange, { start: { line: 1, character: 12 }, end: { line: 1, character: 13 } });
    assert.deepEqual(s.range.end, { line: 1, character: 17 });
  });

  it('an unclosed parenthesis ends at the line end and never swallows the next line; errors range the offending token', () => {
    const p = parse('a = (b + c\nd = e\nf = g h\ng = 1 +\n= 3\nk = W1 · x');
    assert.deepEqual(
      p.statements.map((s) => s.name),
      ['d'],
    );
    assert.deepEqual(
      p.errors.map((e) => [e.range.start.line, e.range.start.character, e.range.end.character]),
      [
        [0, 4, 5],
        [2, 6, 7],
        [3, 7, 8],
        [4, 0, 1],
        [5, 7, 8],
      ],
    );
    assert.match(
      p.errors[4].message,
      /unexpected character '·' \(use '@' \(matrix product\) or '\*' \(elementwise\)\)/,
    );
  });

  it('CR, LF and CRLF all end lines; directives are read from "#!" comments', () => {
    assert.equal(lex('a = 1\r\nb = 2\rc = 3\nd = 4').length, 4);
    const p = parse('#! activation: tanh\n#! mode: batch\n#! colour: red\na = 1');
    assert.equal(p.directives.activation, 'tanh');
    assert.equal(p.directives.mode, 'batch');
    assert.match(p.errors[0].message, /unknown directive "colour"/);
  });

  it('property: the parser is total (never throws) and every range lies inside the document; bounded time', () => {
    const pieces = fc.constantFrom(
      'a',
      'dz1',
      'W1',
      ' ',
      '=',
      '@',
      '*',
      '**',
      '(',
      ')',
      '.T',
      '.',
      '-',
      '+',
      '/',
      ',',
      '1',
      '2.5e3',
      '#',
      '#!',
      '\n',
      '\r\n',
      '\r',
      'sum(',
      'sigmoid',
      '·',
      '😀',
      '\t',
      'x',
    );
    const doc = fc.oneof(
      fc.array(pieces, { maxLength: 60 }).map((a) => a.join('')),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    fc.assert(
      fc.property(doc, (text) => {
        const t0 = Date.now();
        const p = parse(text);
        const lines = text.split(/\r\n|\r|\n/);
        const inside = (r: {
          start: { line: number; character: number };
          end: { line: number; character: number };
        }) =>
          r.start.line >= 0 &&
          r.end.line < lines.length &&
          r.start.character >= 0 &&
          r.end.character <= lines[r.end.line].length + 1 &&
          (r.start.line < r.end.line || r.start.character <= r.end.character);
        for (const e of p.errors) assert.ok(inside(e.range), JSON.stringify(e));
        for (const s of p.statements) assert.ok(inside(s.range) && inside(s.nameRange));
        assert.ok(Date.now() - t0 < 200, 'parsing is fast');
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the checker never throws on arbitrary text and reports only ranges inside it', () => {
    const pieces = fc.constantFrom(
      'dz2 = ',
      'dW1 = ',
      'db1 = ',
      'h = ',
      'a2 - y',
      'dz1 @ x.T',
      'W2.T @ dz2',
      ' * ',
      ' @ ',
      'a1 * (1 - a1)',
      'sum(',
      ', 1)',
      ')',
      '(',
      '\n',
      'x',
      'z1',
      '1',
      '**',
      '.T',
      '#! mode: batch\n',
      '#! activation: relu\n',
      'log(a2)',
      'exp(',
      '/ 0',
    );
    fc.assert(
      fc.property(
        fc.array(pieces, { maxLength: 40 }).map((a) => a.join('')),
        fc.constantFrom<Activation>('sigmoid', 'tanh', 'relu'),
        (text, act) => {
          const r = checkDerivation(text, { activation: act, draws: 2 });
          const n = text.split(/\r\n|\r|\n/).length;
          for (const f of r.findings) assert.ok(f.range.start.line >= 0 && f.range.end.line < n);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('.deriv evaluator', () => {
  const env = new Map([
    ['c', mat(3, 1, [1, 2, 3])],
    ['M', mat(3, 2, [1, 2, 3, 4, 5, 6])],
    ['s', mat(1, 1, [10])],
    ['r', mat(1, 2, [1, 1])],
  ]);
  const ev = (src: string) =>
    evaluate(
      parse(`v = ${src}`).statements[0].expr,
      env,
      new Map([
        [3, 'h'],
        [2, 'm'],
      ]),
    );
  it('broadcasts a scalar with anything and a k×1 column with a k×m matrix, nothing else', () => {
    assert.deepEqual(Array.from(ev('M + c').data), [2, 3, 5, 6, 8, 9]);
    assert.deepEqual(Array.from(ev('c * M').data), [1, 2, 6, 8, 15, 18]);
    assert.deepEqual(Array.from(ev('s - c').data), [9, 8, 7]);
    assert.throws(
      () => ev('M + r'),
      (e: EvalError) => e.code === 'shape' && /\(h×m\) \+ \(1×m\): shapes do not broadcast/.test(e.message),
    );
  });
  it('matrix product, transpose, powers and sums keep the stated shapes', () => {
    const p = ev('M.T @ c');
    assert.deepEqual([p.rows, p.cols, ...p.data], [2, 1, 22, 28]);
    assert.throws(() => ev('M @ c'), /\(h×m\) @ \(h×1\): inner dimensions m and h differ/);
    assert.deepEqual(Array.from(ev('c ** 2').data), [1, 4, 9]);
    assert.throws(() => ev('c ** c'), /exponent must be a scalar/);
    assert.deepEqual([...ev('sum(M)').data], [21]);
    const s0 = ev('sum(M, 0)'),
      s1 = ev('sum(M, 1)');
    assert.deepEqual([s0.rows, s0.cols, ...s0.data], [1, 2, 9, 12]);
    assert.deepEqual([s1.rows, s1.cols, ...s1.data], [3, 1, 3, 7, 11]);
    assert.throws(() => ev('sum(M, 2)'), /axis of sum/);
    assert.deepEqual(Array.from(ev('step(c - 2)').data), [0, 0, 1]);
  });
});

/** "# expect <severity> <code>[: regex]" annotations of a fixture: exactly these findings at any severity but information, which must also be annotated. */
function expectations(text: string) {
  return text.split(/\r?\n/).flatMap((l, i) => {
    const m = /#\s*expect\s+(error|warning|information)\s+([a-z-]+)(?::\s*(.*))?$/.exec(l);
    return m ? [{ line: i, severity: m[1], code: m[2], re: m[3] ? new RegExp(m[3].trim()) : null }] : [];
  });
}

describe('.deriv checker on fixture files', () => {
  for (const file of readdirSync(fixtures)
    .filter((f) => f.endsWith('.deriv'))
    .sort()) {
    it(`${file}: exactly the annotated findings, each on its root line with the right kind of message`, () => {
      const text = readFileSync(join(fixtures, file), 'utf8');
      const r = checkDerivation(text, { activation: 'sigmoid' });
      const want = expectations(text);
      const got = r.findings.map((f) => ({
        line: f.range.start.line,
        severity: f.severity,
        code: f.code,
        message: f.message,
      }));
      for (const w of want) {
        const hit = got.find((g) => g.line === w.line && g.severity === w.severity && g.code === w.code);
        assert.ok(hit, `${file}:${w.line + 1}: expected ${w.severity} ${w.code}; got ${JSON.stringify(got)}`);
        if (w.re) assert.match(hit.message, w.re);
      }
      for (const g of got) {
        assert.ok(
          want.some((w) => w.line === g.line && w.severity === g.severity && w.code === g.code),
          `${file}:${g.line + 1}: unexpected ${g.severity} ${g.code}: ${g.message}`,
        );
      }
      // Consequence lines are never errors.
      for (const g of r.gradients.filter((x) => x.state === 'consequence')) {
        assert.ok(!got.some((f) => f.line === g.line && f.severity === 'error'), `line ${g.line + 1}`);
      }
    });
  }

  it('the message leads with the numbers: rel. error, threshold, worst entry, formula and numeric values', () => {
    const r = checkDerivation(readFileSync(join(fixtures, 'missing-sigma.deriv'), 'utf8'), {
      activation: 'sigmoid',
    });
    const f = r.findings.find((x) => x.severity === 'error')!;
    assert.match(
      f.message.split('\n')[0],
      /^dz1 disagrees with the numeric gradient: rel\. error \d\.\de[+-]\d+ > 1e-7 \(worst z1\[\d,0\]: formula -?\d+\.\d{4}, numeric -?\d+\.\d{4}\)$/,
    );
    // The numbers are the real ones: dz1 without σ' divided by the truth is 1/σ'(z1) > 4 everywhere.
    const m = /formula (-?[\d.]+), numeric (-?[\d.]+)/.exec(f.message)!;
    assert.ok(Math.abs(Number(m[1]) / Number(m[2])) >= 4, f.message);
  });

  it("the reference derivation raises nothing for each activation when the file's formula matches it, and is flagged under tanh", () => {
    for (const act of ['sigmoid', 'tanh', 'relu'] as Activation[]) {
      for (const mode of ['example', 'batch'] as const) {
        const r = checkDerivation(referenceDerivation(act, mode), { activation: act });
        assert.deepEqual(r.findings, [], `${act} ${mode}: ${JSON.stringify(r.findings)}`);
        assert.equal(r.gradients.length, 7);
        assert.ok(r.gradients.every((g) => g.state === 'pass'));
      }
    }
    const underTanh = checkDerivation(referenceDerivation('sigmoid'), { activation: 'tanh' });
    assert.deepEqual(
      underTanh.findings.filter((f) => f.severity === 'error').map((f) => f.range.start.line),
      [
        referenceDerivation('sigmoid')
          .split('\n')
          .findIndex((l) => l.startsWith('dz1 =')),
      ],
    );
  });

  it("checks at a run's current parameters too, and says so when that is where it fails", () => {
    const theta = [
      0.5, -0.3, 0.8, 0.1, -0.6, 0.4, /* b1 */ 0.2, 0.1, 0.3, /* W2 */ -0.2, 0.05, 0.7, /* b2 */ 0.1,
    ]; // n = 2, h = 3
    const current = { n: 2, h: 3, theta, x: [0.7, -1.2], y: [1], m: 1 };
    const r = checkDerivation('dz2 = a2 - y\ndz1 = W2.T @ dz2 * a1 * (1 - a1)\ndW1 = dz1 @ x.T', {
      activation: 'sigmoid',
      draws: 1,
      current,
    });
    assert.ok(
      r.gradients.every((g) => g.state === 'pass'),
      JSON.stringify(r.gradients),
    );
    // A formula wrong only where x has a negative entry: |x| instead of x. A random draw may miss it; the run's x = (0.7, −1.2) does not.
    const w = checkDerivation(
      'dz2 = a2 - y\ndz1 = W2.T @ dz2 * a1 * (1 - a1)\ndW1 = dz1 @ ((x * x) ** 0.5).T',
      { activation: 'sigmoid', draws: 0, current },
    );
    const err = w.findings.find((f) => f.severity === 'error')!;
    assert.match(err.message, /checked at the run's current parameters/);
    assert.equal(r.display.get('W1')!.shape, '3×2', "hover shows the run's shapes");
    assert.deepEqual(Array.from(r.display.get('x')!.value.data), [0.7, -1.2]);
  });

  it('the Quick Fix formulas are the textbook ones, and each passes the check', () => {
    for (const act of ['sigmoid', 'tanh', 'relu'] as Activation[]) {
      const text = ['dz2', 'dW2', 'db2', 'da1', 'dz1', 'dW1', 'db1']
        .map((n) => `${n} = ${textbookFormula(n, act, 'example')}`)
        .join('\n');
      assert.deepEqual(checkDerivation(text, { activation: act }).findings, [], act);
    }
  });
});

describe("training with a derivation's gradients", () => {
  // Lazy imports keep this block self-contained.
  const data = () => {
    const P = xor(5, 80);
    return { X: P.X, Y: P.Y, m: 80, n: 2 };
  };
  const cfg = {
    ...DEFAULT_CONFIG,
    optimizer: 'minibatch' as const,
    batchSize: 8,
    hidden: 4,
    activation: 'tanh' as const,
    lr: 0.5,
    epochs: 40,
  };

  for (const mode of ['example', 'batch'] as const) {
    it(`${mode} mode: the reference derivation's gradient equals the network's backward pass at every step`, () => {
      const g = derivationGradient(referenceDerivation('tanh', mode), 'tanh');
      assert.ok(g.ok);
      const t = new Trainer({ ...cfg, epochs: 3 }, data(), null, undefined, { gradient: g.fn });
      for (let s = 0; s < 25; s++) {
        const r = t.step()!;
        for (let i = 0; i < r.grad.length; i++)
          assert.ok(
            Math.abs(r.grad[i] - r.trueGrad![i]) <= 1e-12 * Math.max(1, Math.abs(r.trueGrad![i])),
            `step ${s} θ[${i}]`,
          );
      }
    });
  }

  it('a derivation with a flipped sign visibly fails to learn where the true one learns', () => {
    const good = derivationGradient(referenceDerivation('tanh'), 'tanh');
    const bad = derivationGradient(
      referenceDerivation('tanh').replace(/^dz2 = a2 - y$/m, 'dz2 = y - a2'),
      'tanh',
    );
    assert.ok(good.ok && bad.ok);
    assert.notEqual(
      referenceDerivation('tanh'),
      referenceDerivation('tanh').replace(/^dz2 = a2 - y$/m, 'dz2 = y - a2'),
    );
    const rGood = new Trainer(cfg, data(), null, undefined, { gradient: good.fn }).run();
    const rBad = new Trainer(cfg, data(), null, undefined, { gradient: bad.fn }).run();
    assert.ok(rGood.train.accuracy > 0.9, `true gradients: ${rGood.train.accuracy}`);
    assert.ok(
      rBad.train.loss > 1 && rBad.train.loss > 5 * rGood.train.loss,
      `flipped sign: loss ${rBad.train.loss} vs ${rGood.train.loss}`,
    );
  });

  it('refuses a derivation that cannot train, saying why', () => {
    const r = derivationGradient('dz2 = a2 - y\ndW2 = dz2 @ a1.T', 'sigmoid');
    assert.ok(!r.ok && /does not define dW1, db1, db2/.test(r.error));
    const a = derivationGradient(
      referenceDerivation('tanh').replace('#! mode: example', '#! activation: tanh\n#! mode: example'),
      'relu',
    );
    assert.ok(!a.ok && /for a tanh hidden layer but the run uses relu/.test(a.error));
  });
});

describe("training with a K-class derivation's gradients", () => {
  // K blobs in the plane plus a noise feature: K-class data with class indices 0..K−1.
  const blobs = (K: number, m: number) => {
    let s = 7;
    const u = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1; // a small LCG, independent of the code's Rng
    const X = new Float64Array(m * 3),
      Y = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const k = i % K;
      X[3 * i] = Math.cos((2 * Math.PI * k) / K) * 2 + u() * 0.6;
      X[3 * i + 1] = Math.sin((2 * Math.PI * k) / K) * 2 + u() * 0.6;
      X[3 * i + 2] = u();
      Y[i] = k;
    }
    return { X, Y, m, n: 3, K };
  };
  const softmaxReference = readFileSync(
    join(__dirname, '..', '..', 'examples', 'reference-softmax.deriv'),
    'utf8',
  );
  const batchK = referenceDerivation('tanh', 'batch').replace(
    '#! mode: batch',
    '#! mode: batch\n#! classes: 3',
  );
  const cases = [
    {
      name: 'examples/reference-softmax.deriv (example mode, sigmoid)',
      text: softmaxReference,
      activation: 'sigmoid',
    },
    { name: 'the textbook batch formulas with "#! classes: 3" (tanh)', text: batchK, activation: 'tanh' },
  ] as const;

  for (const c of cases)
    for (const K of [3, 5])
      it(`${c.name}, K = ${K}: the derivation's gradient equals the network's at every step, and it learns`, () => {
        assert.deepEqual(checkDerivation(c.text, { activation: c.activation }).findings, []);
        const g = derivationGradient(c.text, c.activation, undefined, K);
        assert.ok(g.ok, !g.ok ? g.error : '');
        const config = {
          ...DEFAULT_CONFIG,
          hidden: 4,
          activation: c.activation,
          optimizer: 'minibatch' as const,
          batchSize: 8,
          lr: 0.5,
          epochs: 30,
        };
        const t = new Trainer(config, blobs(K, 90), null, undefined, { gradient: g.fn });
        for (let s = 0; s < 30; s++) {
          const r = t.step()!;
          assert.equal(r.grad.length, 4 * (3 + 1) + K * (4 + 1));
          for (let i = 0; i < r.grad.length; i++)
            assert.ok(
              Math.abs(r.grad[i] - r.trueGrad![i]) <= 1e-12 * Math.max(1, Math.abs(r.trueGrad![i])),
              `step ${s} θ[${i}]: ${r.grad[i]} vs ${r.trueGrad![i]}`,
            );
        }
        const result = t.run();
        assert.ok(result.train.accuracy > 0.9, `accuracy ${result.train.accuracy}`);
      });

  it('a derivation for the other kind of output is refused, saying why', () => {
    const binary = derivationGradient(referenceDerivation('sigmoid'), 'sigmoid', undefined, 3);
    assert.ok(!binary.ok);
    assert.match(binary.error, /for the binary network .*this data has 3 classes/);
    const k = derivationGradient(softmaxReference, 'sigmoid', undefined, 1);
    assert.ok(!k.ok);
    assert.match(k.error, /for 3 classes with a softmax output .*this data has two classes/);
    assert.ok(derivationGradient(softmaxReference, 'sigmoid').ok, 'without the data: not refused');
  });
});
