/**
 * One draw of the derivation checker: a world (random, or the run's current parameters), the file evaluated in it as
 * written and in the corrected environment, and each checked gradient compared with the central-difference one.
 */
import type { Activation } from '../core/activations';
import { noiseBound, relativeError } from '../core/gradcheck';
import { Rng } from '../core/rng';
import { type DimNames, EvalError, type Mat, evaluate, mat } from './evaluate';
import {
  type Checked,
  type Mode,
  type World,
  forward,
  lossWith,
  predefinedEnv,
  valueOf,
  z1SignsWith,
} from './world';
import type { StatementInfo } from './analyse';
import type { CheckOptions } from './checker';

const N = 3,
  H = 4,
  M = 5;
export const DIMS: DimNames = new Map([
  [N, 'n'],
  [H, 'h'],
  [M, 'm'],
]);
/** The random worlds' sizes for K classes: n, h, m all different from K and from each other, so shapes print as symbols. */
export function sizesFor(K: number): { n: number; h: number; m: number; dims: DimNames } {
  if (K === 1) return { n: N, h: H, m: M, dims: DIMS };
  const [n, h, m] = [3, 4, 5, 6].filter((s) => s !== K);
  return {
    n,
    h,
    m,
    dims: new Map([
      [n, 'n'],
      [h, 'h'],
      [m, 'm'],
      [K, 'K'],
    ]),
  };
}

export interface DrawOutcome {
  /** Per statement: value as written (null if it failed). */
  values: Array<Mat | null>;
  /** Per checked statement: comparison as written and in the corrected environment. */
  compare: Map<number, { asWritten: Comparison; corrected: Comparison | null; truth: Mat; formula: Mat }>;
  errors: Map<number, EvalError>;
  world: World;
  label: string;
}

/** The numeric gradient of L with respect to one name, with each entry's noise bound and kink flag. */
export interface Truth {
  mat: Mat;
  noise: Float64Array;
  kink: Uint8Array;
}

export interface Comparison {
  /** Worst relative error over the entries that count (not within noise, not kinks): what the verdict uses. */
  relError: number;
  /** Worst relative error over all entries but kinks, noise included: what a passing line shows. */
  shown: number;
  worst: { row: number; col: number; formula: number; numeric: number };
  shapeMismatch: boolean;
}

export function randomWorld(rng: Rng, act: Activation, mode: Mode, y: number, K = 1): World {
  const s = sizesFor(K);
  const m = mode === 'batch' ? s.m : 1;
  const rand = (r: number, c: number, sd: number) =>
    mat(
      r,
      c,
      Array.from({ length: r * c }, () => sd * rng.normal()),
    );
  if (K > 1) {
    // y one-hot (K×m): example j of draw y is class (j + y·m) mod K, so the draws visit every class
    const Y = mat(K, m);
    for (let j = 0; j < m; j++) Y.data[((j + y * m + y) % K) * m + j] = 1;
    return {
      act,
      mode,
      K,
      n: s.n,
      h: s.h,
      m,
      x: rand(s.n, m, 1),
      y: Y,
      W1: rand(s.h, s.n, 0.8),
      b1: rand(s.h, 1, 0.5),
      W2: rand(K, s.h, 0.8),
      b2: rand(K, 1, 0.5),
    };
  }
  const ys = Array.from({ length: m }, (_, j) => (mode === 'batch' ? (j + y) % 2 : y));
  return {
    act,
    mode,
    K,
    n: N,
    h: H,
    m,
    x: rand(N, m, 1),
    y: mat(1, m, ys),
    W1: rand(H, N, 0.8),
    b1: rand(H, 1, 0.5),
    W2: rand(1, H, 0.8),
    b2: rand(1, 1, 0.5),
  };
}

export function worldFromRun(
  c: NonNullable<CheckOptions['current']>,
  act: Activation,
  mode: Mode,
  K = 1,
): World {
  const { n, h } = c;
  const m = mode === 'batch' ? c.m : 1;
  const t = c.theta;
  const part = (off: number, r: number, cc: number) =>
    mat(
      r,
      cc,
      Array.from({ length: r * cc }, (_, i) => t[off + i]),
    );
  const x = mat(n, m);
  for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) x.data[i * m + j] = c.x[j * n + i]; // rows of the data are columns of x
  if (K > 1) {
    const Y = mat(K, m);
    for (let j = 0; j < m; j++) Y.data[c.y[j] * m + j] = 1; // the class index as a one-hot column
    return {
      act,
      mode,
      K,
      n,
      h,
      m,
      x,
      y: Y,
      W1: part(0, h, n),
      b1: part(h * n, h, 1),
      W2: part(h * n + h, K, h),
      b2: part(h * n + h + K * h, K, 1),
    };
  }
  return {
    act,
    mode,
    K,
    n,
    h,
    m,
    x,
    y: mat(
      1,
      m,
      Array.from({ length: m }, (_, j) => c.y[j]),
    ),
    W1: part(0, h, n),
    b1: part(h * n, h, 1),
    W2: part(h * n + h, 1, h),
    b2: part(h * n + 2 * h, 1, 1),
  };
}

export function runDraw(w: World, infos: StatementInfo[], h: number, label: string): DrawOutcome {
  const f = forward(w);
  const base = predefinedEnv(w, f);
  const env = new Map(base);
  const corrected = new Map(base);
  const values: Array<Mat | null> = [];
  const errors = new Map<number, EvalError>();
  const compare: DrawOutcome['compare'] = new Map();
  const truths = new Map<Checked, Truth>();
  const sz = sizesFor(w.K);
  const dims: DimNames = w.n === sz.n && w.h === sz.h ? sz.dims : new Map();
  infos.forEach((info, i) => {
    if (!info.valid) {
      values.push(null);
      return;
    }
    let v: Mat | null = null,
      vc: Mat | null = null;
    try {
      v = evaluate(info.s.expr, env, dims);
      vc = evaluate(info.s.expr, corrected, dims);
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      errors.set(i, e);
    }
    values.push(v);
    if (v) env.set(info.s.name, v);
    if (vc) corrected.set(info.s.name, vc);
    if (!v || !vc || !info.checks) return;
    let truth = truths.get(info.checks);
    if (!truth) {
      truth = numericGradient(w, f, info.checks, h);
      truths.set(info.checks, truth);
    }
    compare.set(i, {
      asWritten: compareTo(v, truth.mat, truth.noise, truth.kink),
      corrected: compareTo(vc, truth.mat, truth.noise, truth.kink),
      truth: truth.mat,
      formula: v,
    });
    if (vc.rows === truth.mat.rows && vc.cols === truth.mat.cols) corrected.set(info.s.name, truth.mat); // later lines see the truth
  });
  return { values, compare, errors, world: w, label };

  function numericGradient(world: World, fw: ReturnType<typeof forward>, name: Checked, step: number): Truth {
    const base0 = valueOf(world, fw, name);
    const out = mat(base0.rows, base0.cols);
    const noise = new Float64Array(out.data.length);
    const kink = new Uint8Array(out.data.length);
    for (let k = 0; k < base0.data.length; k++) {
      const p = { ...base0, data: base0.data.slice() },
        q = { ...base0, data: base0.data.slice() };
      p.data[k] += step;
      q.data[k] -= step;
      const fp = lossWith(world, name, p),
        fm = lossWith(world, name, q);
      out.data[k] = (fp - fm) / (2 * step);
      noise[k] = noiseBound(fp, fm, step);
      if (world.act === 'relu') {
        const sp = z1SignsWith(world, name, p),
          sm = z1SignsWith(world, name, q);
        if (sp && sm && sp.some((s, j) => s !== sm[j])) kink[k] = 1;
      }
    }
    return { mat: out, noise, kink };
  }
}

function compareTo(f: Mat, t: Mat, noise: Float64Array, kink: Uint8Array): Comparison {
  if (f.rows !== t.rows || f.cols !== t.cols)
    return {
      relError: Infinity,
      shown: Infinity,
      worst: { row: 0, col: 0, formula: NaN, numeric: NaN },
      shapeMismatch: true,
    };
  let worstK = 0,
    worst = -1,
    shown = 0;
  for (let k = 0; k < t.data.length; k++) {
    if (kink[k]) continue;
    const raw = Number.isNaN(f.data[k]) ? Infinity : relativeError(f.data[k], t.data[k]);
    shown = Math.max(shown, raw);
    const r = Math.abs(f.data[k] - t.data[k]) <= noise[k] ? 0 : raw;
    if (r > worst) {
      worst = r;
      worstK = k;
    }
  }
  return {
    relError: Math.max(0, worst),
    shown,
    worst: {
      row: Math.floor(worstK / t.cols),
      col: worstK % t.cols,
      formula: f.data[worstK],
      numeric: t.data[worstK],
    },
    shapeMismatch: false,
  };
}

export function relErrorOf(a: Mat, b: Mat): number {
  let worst = 0;
  for (let k = 0; k < a.data.length; k++) worst = Math.max(worst, relativeError(a.data[k], b.data[k]));
  return worst;
}
