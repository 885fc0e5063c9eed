import { strict as assert } from 'node:assert';
import * as fc from 'fast-check';
import {
  aggregate,
  divergingColor,
  fmt,
  fmtAxis,
  fmtExact,
  fmtTick,
  maxAbs,
  niceTicks,
  parseColor,
  type Palette,
} from '../../src/panel/format';
import { csp, inspectorHtml, makeNonce } from '../../src/panel/html';
import { decodeF64, encodeF64, parseFromWebview } from '../../src/protocol';

const P: Palette = {
  negative: [0, 0, 255],
  zero: [255, 255, 255],
  positive: [255, 0, 0],
  invalid: [255, 255, 0],
};

describe('inspector helpers', () => {
  it('numbers: 4 significant digits, scientific below 1e-3 and from 1e5 on; NaN and infinities as text, never blank, 0 or null', () => {
    assert.equal(fmt(0.12345), '0.1235');
    assert.equal(fmt(-2), '-2.000');
    assert.equal(fmt(0), '0');
    assert.equal(fmt(12.3456), '12.35');
    assert.equal(fmt(0.001), '0.001000');
    assert.equal(fmt(0.000030507234107058555), '3.051e-5');
    assert.equal(fmt(-1.9476397244457884e-7), '-1.948e-7');
    assert.equal(fmt(1.5e-7), '1.500e-7');
    assert.equal(fmt(12345.6), '1.235e+4');
    assert.equal(fmt(123456), '1.235e+5');
    assert.equal(fmtTick(1e-5), '1e-5');
    assert.equal(fmtTick(2.5e-5), '2.5e-5');
    assert.equal(fmtTick(0.30000000000000004), '0.3');
    assert.equal(fmtTick(1200), '1200');
    assert.equal(fmtTick(0), '0');
    assert.equal(fmt(NaN), 'NaN');
    assert.equal(fmt(Infinity), '+∞');
    assert.equal(fmt(-Infinity), '−∞');
    assert.equal(fmtExact(0.1 + 0.2), '0.30000000000000004');
    assert.equal(fmtExact(NaN), 'NaN');
  });

  it('axis ticks are round: multiples of 1, 2 or 5 × 10^k inside the range, 3 to 7 of them, labels distinct and without float noise', () => {
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(-2.37, 3.91), [-2, -1, 0, 1, 2, 3]);
    assert.deepEqual(niceTicks(0.1, 0.7), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    assert.deepEqual(niceTicks(1e-5, 4.2e-5), [1e-5, 2e-5, 3e-5, 4e-5]);
    // Steps 5e-6 (two ticks: 5e-6, 1e-5), 2e-6 (six) and 1e-6 (twelve) fit: six is nearest five.
    assert.deepEqual(niceTicks(5e-15, 1.2e-5), [2e-6, 4e-6, 6e-6, 8e-6, 1e-5, 1.2e-5]);
    assert.deepEqual(niceTicks(3, 3), [3]);
    // Labels carry the digits the step needs: 2000.8–2003.2 used to read "2000" five times.
    assert.deepEqual(
      niceTicks(2000.8, 2003.2).map((t) => fmtAxis(t, 0.5)),
      ['2001', '2001.5', '2002', '2002.5', '2003'],
    );
    assert.deepEqual(
      [123000, 124000, 125000].map((t) => fmtAxis(t, 1000)),
      ['1.23e+5', '1.24e+5', '1.25e+5'],
    );
    assert.equal(fmtAxis(0.00025, 0.00005), '2.5e-4');
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        (lo, width) => {
          const hi = lo + width;
          fc.pre(hi > lo && width > 1e-5 * Math.abs(lo)); // a window narrow for its place needs more than 12 digits
          const t = niceTicks(lo, hi);
          if (t.length < 3 || t.length > 7) return false;
          const step = Number((t[1] - t[0]).toPrecision(6)); // the ticks are rounded: their difference is not exact
          const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
          if (![1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)) return false;
          const labels = t.map((x) => fmtAxis(x, step));
          if (new Set(labels).size !== t.length) return false; // neighbours never read alike
          return t.every(
            (x, i) =>
              x >= lo - 1e-9 * width &&
              x <= hi + 1e-9 * width &&
              Math.abs(x - Math.round(x / step) * step) <= 1e-9 * Math.max(Math.abs(x), step) &&
              (i === 0 || Math.abs(x - t[i - 1] - step) < 1e-6 * step) &&
              Number(x.toPrecision(12)) === x && // no float noise (0.30000000000000004)
              Math.abs(Number(labels[i]) - x) <= step / 2 && // the label reads as the tick
              !Object.is(x, -0),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('diverging colour scale: centred on 0 at the zero colour, saturating at ±scale, non-finite in the invalid colour', () => {
    assert.deepEqual(divergingColor(0, 1, P), [255, 255, 255]);
    assert.deepEqual(divergingColor(1, 1, P), [255, 0, 0]);
    assert.deepEqual(divergingColor(-5, 1, P), [0, 0, 255]);
    assert.deepEqual(divergingColor(0.5, 1, P), [255, 128, 128]);
    assert.deepEqual(divergingColor(-0.5, 1, P), [128, 128, 255]);
    assert.deepEqual(divergingColor(NaN, 1, P), [255, 255, 0]);
    assert.deepEqual(divergingColor(Infinity, 1, P), [255, 255, 0]);
    assert.equal(maxAbs([1, -3, NaN, Infinity]), 3);
    assert.equal(maxAbs([0, 0]), 1);
  });

  it('theme colours parse from the forms VS Code uses', () => {
    assert.deepEqual(parseColor('#3794ff'), [55, 148, 255]);
    assert.deepEqual(parseColor('#3794ffcc'), [55, 148, 255]);
    assert.deepEqual(parseColor('#fff'), [255, 255, 255]);
    assert.deepEqual(parseColor(' rgb(1, 2, 3) '), [1, 2, 3]);
    assert.deepEqual(parseColor('rgba(10,20,30,0.5)'), [10, 20, 30]);
    assert.equal(parseColor('blue'), null);
  });

  it('large matrices aggregate into blocks that keep the largest magnitude, and NaN/∞ are never hidden', () => {
    const rows = 300,
      cols = 200;
    const a = new Float64Array(rows * cols);
    a[150 * cols + 100] = -7;
    a[5] = NaN;
    const g = aggregate(a, rows, cols, 100, 100);
    assert.deepEqual([g.rows, g.cols, g.blockRows, g.blockCols], [100, 100, 3, 2]);
    assert.equal(g.data[50 * 100 + 50], -7);
    assert.ok(Number.isNaN(g.data[2]));
    const small = aggregate([1, 2, 3, 4], 2, 2, 10, 10);
    assert.deepEqual(Array.from(small.data), [1, 2, 3, 4]);
  });

  it('Float64Arrays cross the bridge exactly, NaN, ±∞ and −0 included', () => {
    const a = Float64Array.from([NaN, Infinity, -Infinity, -0, 0.1, -1e-300, 1.7976931348623157e308]);
    const b = decodeF64(JSON.parse(JSON.stringify(encodeF64(a))));
    assert.equal(b.length, a.length);
    for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `entry ${i}`);
    fc.assert(
      fc.property(fc.array(fc.double()), (xs) => {
        const d = decodeF64(encodeF64(xs));
        return d.length === xs.length && xs.every((x, i) => Object.is(x, d[i]));
      }),
      { numRuns: 500 },
    );
    assert.throws(() => decodeF64({ $f64: 'abc' }));
  });

  it('HTML: CSP default-src none with a nonce for the one script, no unsafe-inline or unsafe-eval', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{32}$/);
    const policy = csp('https://x.vscode-cdn.net', nonce);
    assert.ok(policy.startsWith("default-src 'none'"));
    assert.ok(policy.includes(`script-src 'nonce-${nonce}'`));
    assert.ok(!/unsafe-(inline|eval)/.test(policy));
    const html = inspectorHtml({
      cspSource: 'https://x.vscode-cdn.net',
      nonce,
      script: 'https://x/main.js"><script>alert(1)</script>',
      styles: ['a.css'],
    });
    assert.equal(
      (html.match(/<script/g) ?? []).length,
      1,
      'one script element: attribute values are escaped',
    );
    assert.ok(html.includes(`<script nonce="${nonce}"`));
  });
});

describe('messages from the webview are validated before anything acts', () => {
  it('accepts exactly the protocol', () => {
    assert.deepEqual(parseFromWebview({ type: 'ready' }), { ok: true, message: { type: 'ready' } });
    assert.deepEqual(parseFromWebview({ type: 'control', action: 'stepEpoch' }), {
      ok: true,
      message: { type: 'control', action: 'stepEpoch' },
    });
    assert.deepEqual(parseFromWebview({ type: 'setLearningRate', lr: 0.05 }), {
      ok: true,
      message: { type: 'setLearningRate', lr: 0.05 },
    });
    assert.deepEqual(parseFromWebview({ type: 'restart', settings: { optimizer: 'adam' } }), {
      ok: true,
      message: { type: 'restart', settings: { optimizer: 'adam' } },
    });
    assert.deepEqual(
      parseFromWebview({
        type: 'restart',
        settings: { hidden: 16, activation: 'relu', batchSize: 64, epochs: 5 },
      }),
      {
        ok: true,
        message: { type: 'restart', settings: { hidden: 16, activation: 'relu', batchSize: 64, epochs: 5 } },
      },
    );
    assert.deepEqual(parseFromWebview({ type: 'setSpeed', stepsPerSecond: 30 }), {
      ok: true,
      message: { type: 'setSpeed', stepsPerSecond: 30 },
    });
    assert.deepEqual(parseFromWebview({ type: 'drawn', seq: 12 }), {
      ok: true,
      message: { type: 'drawn', seq: 12 },
    });
    assert.deepEqual(parseFromWebview({ type: 'startTraining', what: 'example' }), {
      ok: true,
      message: { type: 'startTraining', what: 'example' },
    });
    assert.deepEqual(parseFromWebview({ type: 'setBoundary', plane: { mode: 'features', i: 0, j: 3 } }), {
      ok: true,
      message: { type: 'setBoundary', plane: { mode: 'features', i: 0, j: 3 } },
    });
    assert.deepEqual(parseFromWebview({ type: 'setBoundary', plane: { mode: 'pca' } }), {
      ok: true,
      message: { type: 'setBoundary', plane: { mode: 'pca' } },
    });
  });
  it('rejects unknown types, wrong field types, extra fields, huge strings and anything naming a command', () => {
    const bad: unknown[] = [
      null,
      'ready',
      [],
      42,
      { type: 'executeCommand', command: 'workbench.action.terminal.new' },
      { type: 'ready', command: 'x' },
      { type: 'control', action: 'rm -rf' },
      { type: 'control' },
      { type: 'setLearningRate', lr: '0.1' },
      { type: 'setLearningRate', lr: NaN },
      { type: 'setLearningRate', lr: -1 },
      { type: 'setLearningRate', lr: Infinity },
      { type: 'restart', settings: { optimizer: 'lbfgs' } },
      { type: 'restart', settings: { hidden: -1 } },
      { type: 'restart', settings: { hidden: 2.5 } },
      { type: 'restart', settings: { seed: 3 } },
      { type: 'restart', settings: {} },
      { type: 'restart', settings: { label: 'y' } },
      { type: 'restart', settings: [] },
      { type: 'setSpeed', stepsPerSecond: -1 },
      { type: 'setSpeed', stepsPerSecond: 1e9 },
      { type: 'drawn', seq: -1 },
      { type: 'drawn', seq: 0.5 },
      { type: 'startTraining', what: 'rm -rf /' },
      { type: 'setBoundary', plane: { mode: 'features', i: 1, j: 1 } },
      { type: 'setBoundary', plane: { mode: 'features', i: -1, j: 2 } },
      { type: 'setBoundary', plane: { mode: 'features', i: 0.5, j: 2 } },
      { type: 'setBoundary', plane: { mode: 'pca', i: 0 } },
      { type: 'setBoundary', i: 0, j: 1 },
      { type: 'x'.repeat(10 * 1024 * 1024) },
      { type: 'ready', a: 1, b: 2, c: 3 },
      { type: { toString: () => 'ready' } },
      { __proto__: { type: 'ready' } },
      JSON.parse('{"type":"runCheck","__proto__":{"polluted":1}}'),
    ];
    for (const m of bad) {
      const r = parseFromWebview(m);
      assert.equal(r.ok, false, `accepted ${JSON.stringify(m)?.slice(0, 80)}`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  it('property: arbitrary JSON values never throw and only protocol shapes pass', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseFromWebview(v);
        if (r.ok)
          assert.ok(
            [
              'ready',
              'drawn',
              'control',
              'setLearningRate',
              'setSpeed',
              'restart',
              'runCheck',
              'setBoundary',
              'startTraining',
            ].includes(r.message.type),
          );
      }),
      { numRuns: 2000 },
    );
  });
});
