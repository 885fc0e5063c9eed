/**
 * Pure helpers of the inspector, shared by the extension host and the webview
 * (no DOM, no VS Code): number formatting that spells out non-finite values,
 * the diverging colour scale and block aggregation of big matrices. (The
 * encoding of Float64Arrays across the webview bridge is the protocol's.)
 */

/**
 * The inspector's one number format: 4 significant digits, scientific below
 * 1e-3 and from 1e5 on; non-finite values as text (NaN, +∞, −∞), never blank,
 * 0 or null. The exact value is on hover (fmtExact).
 */
export function fmt(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+∞';
  if (x === -Infinity) return '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) return x.toExponential(digits - 1);
  const s = x.toPrecision(digits);
  return s.includes('e') ? x.toExponential(digits - 1) : s;
}

/** Axis ticks: 3 significant digits without trailing zeros, scientific below 1e-3 and from 1e5 on. */
export function fmtTick(x: number): string {
  if (!Number.isFinite(x)) return fmt(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) return x.toExponential(2).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(3)));
}

/**
 * Round ticks for an axis from lo to hi: the multiples of a step of 1, 2 or 5 × 10^k that lie in [lo, hi] — the step
 * whose count of ticks is nearest `count`, at least 3 (the more ticks on a tie). Each tick is rounded to the step's
 * digits, so it reads 0.2, not 0.20000000000000004. Label them with fmtAxis.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) return Number.isFinite(lo) ? [lo] : [];
  const e = Math.floor(Math.log10((hi - lo) / Math.max(1, count - 1)));
  let best = { k: 0, step: NaN, first: 0, n: 0 };
  for (let k = e - 1; k <= e + 1; k++)
    for (const m of [1, 2, 5]) {
      const step = m * 10 ** k;
      const first = Math.ceil(lo / step - 1e-9);
      const n = Math.floor(hi / step + 1e-9) - first + 1;
      const d = Math.abs(n - count) - Math.abs(best.n - count);
      if (n >= 3 && (Number.isNaN(best.step) || d < 0 || (d === 0 && step < best.step)))
        best = { k, step, first, n };
    }
  const digits = Math.min(100, Math.max(0, -best.k));
  return Array.from({ length: best.n }, (_, i) => Number(((best.first + i) * best.step).toFixed(digits)) + 0); // + 0: never −0
}

/** A tick's label with the digits its step needs (neighbours never read alike); scientific below 1e-3 and from 1e5 on. */
export function fmtAxis(t: number, step: number): string {
  if (!Number.isFinite(t)) return fmt(t);
  if (t === 0) return '0';
  const a = Math.abs(t);
  const stepExp = Math.floor(Math.log10(step) + 1e-9);
  if (a < 1e-3 || a >= 1e5) {
    const significant = Math.min(15, Math.max(1, Math.floor(Math.log10(a) + 1e-9) - stepExp + 1));
    return t.toExponential(significant - 1).replace(/\.?0+e/, 'e');
  }
  return String(Number(t.toFixed(Math.min(15, Math.max(0, -stepExp)))));
}

/** Every digit: the exact double, for tooltips. */
export function fmtExact(x: number): string {
  if (!Number.isFinite(x)) return fmt(x);
  return String(x);
}

export type Rgb = [number, number, number];

/** '#rgb', '#rrggbb', '#rrggbbaa', 'rgb(r, g, b)' or 'rgba(…)' to [r, g, b]; null when unparseable. */
export function parseColor(css: string): Rgb | null {
  const s = css.trim();
  let m = /^#([0-9a-f]{3})$/i.exec(s);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as Rgb;
  m = /^#([0-9a-f]{6})(?:[0-9a-f]{2})?$/i.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as Rgb;
  m = /^rgba?\(\s*(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)/i.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return null;
}

export interface Palette {
  negative: Rgb;
  zero: Rgb;
  positive: Rgb;
  /** Cells whose value is NaN or ±∞. */
  invalid: Rgb;
}

/**
 * Diverging scale centred on 0: v/scale clamped to [−1, 1] blends from the
 * zero colour (the editor background) to the negative or positive colour.
 */
export function divergingColor(v: number, scale: number, p: Palette): Rgb {
  if (!Number.isFinite(v)) return p.invalid;
  const t = scale > 0 ? Math.max(-1, Math.min(1, v / scale)) : 0;
  const to = t < 0 ? p.negative : p.positive;
  const a = Math.abs(t);
  return [0, 1, 2].map((i) => Math.round(p.zero[i] + (to[i] - p.zero[i]) * a)) as Rgb;
}

/** The scale of a heatmap: the largest finite |v| (1 when there is none). */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (Number.isFinite(v) && v > m) m = v;
  }
  return m > 0 ? m : 1;
}

export function l2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/**
 * A rows×cols matrix shrunk to at most maxRows×maxCols blocks; each block shows
 * the entry of largest magnitude (NaN/∞ win, so they are never hidden).
 */
export function aggregate(
  a: ArrayLike<number>,
  rows: number,
  cols: number,
  maxRows: number,
  maxCols: number,
): { data: Float64Array; rows: number; cols: number; blockRows: number; blockCols: number } {
  const br = Math.max(1, Math.ceil(rows / maxRows)),
    bc = Math.max(1, Math.ceil(cols / maxCols));
  const R = Math.ceil(rows / br),
    C = Math.ceil(cols / bc);
  const out = new Float64Array(R * C);
  for (let I = 0; I < R; I++) {
    for (let J = 0; J < C; J++) {
      let best = 0,
        bestAbs = -1;
      for (let i = I * br; i < Math.min(rows, (I + 1) * br); i++) {
        for (let j = J * bc; j < Math.min(cols, (J + 1) * bc); j++) {
          const v = a[i * cols + j];
          const m = Number.isFinite(v) ? Math.abs(v) : Infinity;
          if (m > bestAbs) {
            bestAbs = m;
            best = v;
          }
        }
      }
      out[I * C + J] = best;
    }
  }
  return { data: out, rows: R, cols: C, blockRows: br, blockCols: bc };
}

/** TensorBoard's percentiles (its basis points 0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000). */
export const PERCENTILES = [0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100];
/** The percentiles of some values (sorted copy; linear interpolation between order statistics); NaN/∞ left out. */
export function percentiles(values: ArrayLike<number>, ps: readonly number[] = PERCENTILES): Float64Array {
  let v = new Float64Array(values.length);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) v[k++] = values[i];
  v = v.subarray(0, k).sort();
  const out = new Float64Array(ps.length);
  if (!v.length) return out.fill(NaN);
  ps.forEach((p, k) => {
    const x = (p / 100) * (v.length - 1);
    const lo = Math.floor(x),
      hi = Math.ceil(x);
    out[k] = v[lo] + (v[hi] - v[lo]) * (x - lo);
  });
  return out;
}

/** Exponential moving average with TensorBoard's debiasing (the first points are not dragged towards 0). */
export function smooth(values: number[], weight: number): number[] {
  if (!(weight > 0)) return values;
  const out: number[] = [];
  let last = 0,
    n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(v);
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out.push(last / (1 - Math.pow(weight, n)));
  }
  return out;
}

/**
 * Contour lines of the loss over the grid (marching squares, eight levels evenly spaced between its lowest and
 * highest finite values; linear interpolation along cell edges). The grid's row j runs upwards (loss[j·size + i]).
 */
export function contourSegments(loss: ArrayLike<number>, size: number, level: number): number[] {
  const out: number[] = []; // x0, y0, x1, y1 in grid units (x → i, y → j)
  const v = (i: number, j: number) => loss[j * size + i];
  const at = (p: number, q: number) => (level - p) / (q - p);
  for (let j = 0; j + 1 < size; j++) {
    for (let i = 0; i + 1 < size; i++) {
      const c = [v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1)];
      if (!c.every(Number.isFinite)) continue;
      const pts: number[] = [];
      // Edges: bottom (i,j)→(i+1,j), right (i+1,j)→(i+1,j+1), top (i+1,j+1)→(i,j+1), left (i,j+1)→(i,j).
      const corners = [
        [i, j],
        [i + 1, j],
        [i + 1, j + 1],
        [i, j + 1],
      ];
      for (let e = 0; e < 4; e++) {
        const p = c[e],
          q = c[(e + 1) % 4];
        if (p < level !== q < level) {
          const t = at(p, q),
            [x0, y0] = corners[e],
            [x1, y1] = corners[(e + 1) % 4];
          pts.push(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
        }
      }
      for (let k = 0; k + 3 < pts.length; k += 4) out.push(pts[k], pts[k + 1], pts[k + 2], pts[k + 3]);
    }
  }
  return out;
}
