/**
 * Numeric gradient checking, as rigorous as PyTorch's gradcheck, in float64.
 *
 * For every entry θᵢ the numeric derivative is the central difference
 *     nᵢ = (f(θ + h·eᵢ) − f(θ − h·eᵢ)) / 2h          (h = 1e-5 by default)
 * and it is compared with the analytic value aᵢ by
 *     relative error  rᵢ = |aᵢ − nᵢ| / max(|aᵢ|, |nᵢ|)    (0 when both are exactly 0)
 *     PyTorch-style   |aᵢ − nᵢ| ≤ atol + rtol·|nᵢ|         (atol 1e-5, rtol 1e-3)
 * and globally by ‖a − n‖ / (‖a‖ + ‖n‖).
 *
 * Verdicts from rᵢ with named thresholds: ≤ pass (1e-7) "pass", ≤ warn (1e-4)
 * "warning" (typical near kinks), > fail (1e-2) "fail", in between "suspect".
 *
 * Numeric noise: a central difference cannot resolve a difference smaller than
 * its own round-off and truncation error, about 16·ε·|f|/h + h². An entry whose
 * |aᵢ − nᵢ| is below that bound passes as "within noise" (its rᵢ is still
 * reported), so gradients that are ≈ 0 on both sides do not fail spuriously.
 *
 * Kinks: when the objective reports the signs of its non-smooth quantities (the
 * ReLU pre-activations z1), an entry whose ±h perturbation flips any of them is
 * reported as a "kink", not a failure: the finite difference straddles a corner.
 *
 * A zero gradient proves nothing: when every analytic entry is exactly 0 and every
 * numeric one is within noise of 0 (a saturated output, every ReLU unit dead), the
 * report is a "warning" flagged zeroGradient, never a "pass" (globalDiff is then 1
 * by definition). If some numeric entry is not ≈ 0, those entries fail as usual.
 *
 * Objectives come in two forms: an {@link Objective} f(θ) recomputed from scratch
 * for every perturbation, or an {@link EntryObjective} that is told which entry
 * moves and may recompute only what that entry touches (see check.ts).
 */
export type Verdict = 'pass' | 'warning' | 'suspect' | 'fail' | 'kink';

export interface Thresholds {
  pass: number;
  warn: number;
  fail: number;
}

export interface GradcheckOptions {
  h: number;
  thresholds: Thresholds;
  atol: number;
  rtol: number;
}

export const DEFAULT_GRADCHECK: GradcheckOptions = {
  h: 1e-5,
  thresholds: { pass: 1e-7, warn: 1e-4, fail: 1e-2 },
  atol: 1e-5,
  rtol: 1e-3,
};

/** A named block of the flat vector θ (a parameter matrix, row-major). */
export interface BlockSpec {
  name: string;
  offset: number;
  rows: number;
  cols: number;
}

/**
 * The function checked: f(θ). When signs is given, it also writes one byte per
 * non-smooth quantity (1 if positive) so that kinks can be detected.
 */
export type Objective = (theta: Float64Array, signs?: Uint8Array) => number;

/** f(θ + h·eᵢ), f(θ − h·eᵢ), and whether the ±h perturbation of θᵢ crossed a kink. */
export interface Difference {
  fp: number;
  fm: number;
  kink: boolean;
}

/**
 * f with only θᵢ moved: writes f(θ with θᵢ = plus) and f(θ with θᵢ = minus) into out,
 * plus the kink flag. plus and minus are θᵢ ± h as rounded by the caller, so an
 * incremental objective evaluates the very same points as a full recomputation.
 */
export type EntryObjective = (i: number, plus: number, minus: number, out: Difference) => void;

/** Progress and cancellation of a long check (not part of GradcheckOptions, which travel as JSON). */
export interface GradcheckControl {
  /** Called after each checked entry with the entries done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Polled before each entry (AbortSignal-like: `() => signal.aborted`); true stops the check with {@link GradcheckCancelled}. */
  shouldStop?: () => boolean;
}

/** Thrown when {@link GradcheckControl.shouldStop} stops a check; done of total entries had been checked. */
export class GradcheckCancelled extends Error {
  constructor(
    readonly done: number,
    readonly total: number,
  ) {
    super(`gradient check cancelled after ${done} of ${total} entries`);
    this.name = 'GradcheckCancelled';
  }
}

export interface EntryCheck {
  row: number;
  col: number;
  analytic: number;
  numeric: number;
  relError: number;
  withinNoise: boolean;
  kink: boolean;
  verdict: Verdict;
  allclose: boolean;
}

export interface BlockReport {
  name: string;
  rows: number;
  cols: number;
  entries: EntryCheck[];
  /** The entry with the largest relative error among those that count (not within noise, not kinks); else the largest overall. */
  worst: EntryCheck;
  verdict: Verdict;
  allclose: boolean;
}

export interface GradcheckReport {
  blocks: BlockReport[];
  verdict: Verdict;
  allclose: boolean;
  /** ‖a − n‖ / (‖a‖ + ‖n‖) over every entry checked. */
  globalDiff: number;
  /** Every analytic entry is exactly 0 and every numeric one within noise of 0: nothing was tested (verdict "warning"). */
  zeroGradient: boolean;
  options: GradcheckOptions;
  evaluations: number;
}

const EPS = 2.220446049250313e-16;
const RANK: Record<Verdict, number> = { pass: 0, kink: 1, warning: 2, suspect: 3, fail: 4 };

export function relativeError(a: number, n: number): number {
  const d = Math.max(Math.abs(a), Math.abs(n));
  if (d === 0) return 0;
  const r = Math.abs(a - n) / d;
  return Number.isNaN(r) ? Infinity : r;
}

export function verdictOf(r: number, t: Thresholds): Verdict {
  if (r <= t.pass) return 'pass';
  if (r <= t.warn) return 'warning';
  if (r > t.fail || !Number.isFinite(r)) return 'fail';
  return 'suspect';
}

export function worse(a: Verdict, b: Verdict): Verdict {
  return RANK[a] >= RANK[b] ? a : b;
}

function judge(
  analytic: number,
  numeric: number,
  noise: number,
  kink: boolean,
  o: GradcheckOptions,
  row: number,
  col: number,
): EntryCheck {
  const relError = relativeError(analytic, numeric);
  const diff = Math.abs(analytic - numeric);
  const withinNoise = diff <= noise;
  let verdict = withinNoise ? 'pass' : verdictOf(relError, o.thresholds);
  if (kink && verdict !== 'pass') verdict = 'kink';
  const allclose = diff <= o.atol + o.rtol * Math.abs(numeric) || kink;
  return { row, col, analytic, numeric, relError, withinNoise, kink, verdict, allclose };
}

function summarize(name: string, rows: number, cols: number, entries: EntryCheck[]): BlockReport {
  let worst = entries[0];
  let verdict: Verdict = 'pass';
  let allclose = true;
  let worstCounted: EntryCheck | null = null;
  for (const e of entries) {
    verdict = worse(verdict, e.verdict);
    allclose &&= e.allclose;
    if (e.relError > worst.relError) worst = e;
    if (!e.withinNoise && !e.kink && (!worstCounted || e.relError > worstCounted.relError)) worstCounted = e;
  }
  return { name, rows, cols, entries, worst: worstCounted ?? worst, verdict, allclose };
}

/** Central-difference check of every entry of the given blocks of θ (θ is restored afterwards). */
export function gradcheck(
  f: Objective,
  theta: Float64Array,
  analytic: Float64Array,
  blocks: BlockSpec[],
  options: Partial<GradcheckOptions> = {},
  signCount = 0,
  control: GradcheckControl = {},
): GradcheckReport {
  return gradcheckEntries(fullRecomputation(f, theta, signCount), theta, analytic, blocks, options, control);
}

/** An entry objective that sets θᵢ and recomputes f(θ) from scratch (kinks from the sign bytes). */
export function fullRecomputation(f: Objective, theta: Float64Array, signCount = 0): EntryObjective {
  const sPlus = signCount ? new Uint8Array(signCount) : undefined;
  const sMinus = signCount ? new Uint8Array(signCount) : undefined;
  return (i, plus, minus, out) => {
    const t0 = theta[i];
    theta[i] = plus;
    out.fp = f(theta, sPlus);
    theta[i] = minus;
    out.fm = f(theta, sMinus);
    theta[i] = t0;
    out.kink = !!sPlus && !!sMinus && !sameBytes(sPlus, sMinus);
  };
}

/** Central-difference check of every entry of the given blocks through an entry objective (2 evaluations per entry). */
export function gradcheckEntries(
  f: EntryObjective,
  theta: Float64Array,
  analytic: Float64Array,
  blocks: BlockSpec[],
  options: Partial<GradcheckOptions> = {},
  control: GradcheckControl = {},
): GradcheckReport {
  const o = {
    ...DEFAULT_GRADCHECK,
    ...options,
    thresholds: { ...DEFAULT_GRADCHECK.thresholds, ...options.thresholds },
  };
  const { h } = o;
  const { onProgress, shouldStop } = control;
  const total = blocks.reduce((t, b) => t + b.rows * b.cols, 0);
  const out: Difference = { fp: 0, fm: 0, kink: false };
  let evaluations = 0,
    dd = 0,
    aa = 0,
    nn = 0,
    done = 0;
  const reports: BlockReport[] = [];
  for (const b of blocks) {
    const entries: EntryCheck[] = [];
    for (let k = 0; k < b.rows * b.cols; k++) {
      if (shouldStop?.()) throw new GradcheckCancelled(done, total);
      const i = b.offset + k;
      const t0 = theta[i];
      f(i, t0 + h, t0 - h, out);
      const { fp, fm } = out;
      evaluations += 2;
      const numeric = (fp - fm) / (2 * h);
      const a = analytic[i];
      entries.push(judge(a, numeric, noiseBound(fp, fm, h), out.kink, o, Math.floor(k / b.cols), k % b.cols));
      dd += (a - numeric) ** 2;
      aa += a * a;
      nn += numeric * numeric;
      done++;
      onProgress?.(done, total);
    }
    reports.push(summarize(b.name, b.rows, b.cols, entries));
  }
  return finishReport(reports, dd, aa, nn, o, evaluations);
}

function finishReport(
  blocks: BlockReport[],
  dd: number,
  aa: number,
  nn: number,
  options: GradcheckOptions,
  evaluations: number,
): GradcheckReport {
  const denom = Math.sqrt(aa) + Math.sqrt(nn);
  let verdict = blocks.reduce<Verdict>((v, b) => worse(v, b.verdict), 'pass');
  // Every analytic entry exactly 0 and yet no entry failed: the numeric gradient is within noise of 0
  // as well, and the check tested nothing (a backward pass that returned zeros would pass here too).
  const zeroGradient = aa === 0 && blocks.some((b) => b.entries.length > 0) && RANK[verdict] < RANK.fail;
  if (zeroGradient) verdict = worse(verdict, 'warning');
  return {
    blocks,
    verdict,
    allclose: blocks.every((b) => b.allclose),
    globalDiff: denom === 0 ? 0 : Math.sqrt(dd) / denom,
    zeroGradient,
    options,
    evaluations,
  };
}

/** Round-off plus truncation bound of a central difference: 16·ε·max|f|/h + h². */
export function noiseBound(fp: number, fm: number, h: number): number {
  return (16 * EPS * Math.max(Math.abs(fp), Math.abs(fm))) / h + h * h;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface DirectionCheck {
  /** Which blocks the random direction spans ("all" or one block's name). */
  scope: string;
  analytic: number;
  numeric: number;
  relError: number;
  verdict: Verdict;
}

export interface FastReport {
  directions: DirectionCheck[];
  verdict: Verdict;
  /** Per-entry reports of the blocks whose own directional checks failed (empty when all passed). */
  localized: GradcheckReport | null;
  evaluations: number;
}

/**
 * Fast mode for large networks: k random unit directions u over all of θ; the
 * directional derivative a·u is compared with (f(θ + h·u) − f(θ − h·u)) / 2h.
 * O(k) evaluations instead of O(|θ|). If any direction is worse than "warning",
 * each block is checked along k directions of its own, and the blocks that
 * fail are checked entry by entry to localise the error.
 */
export function gradcheckFast(
  f: Objective,
  theta: Float64Array,
  analytic: Float64Array,
  blocks: BlockSpec[],
  random: () => number,
  k = 8,
  options: Partial<GradcheckOptions> = {},
  signCount = 0,
  /** Entry objective for the localising per-entry check (default: f recomputed from scratch). */
  entries?: EntryObjective,
): FastReport {
  const o = {
    ...DEFAULT_GRADCHECK,
    ...options,
    thresholds: { ...DEFAULT_GRADCHECK.thresholds, ...options.thresholds },
  };
  const sPlus = signCount ? new Uint8Array(signCount) : undefined;
  const sMinus = signCount ? new Uint8Array(signCount) : undefined;
  const saved = theta.slice();
  const u = new Float64Array(theta.length);
  let evaluations = 0;
  const along = (scope: string, span: BlockSpec[]): DirectionCheck => {
    u.fill(0);
    let norm = 0;
    for (const b of span) {
      for (let i = b.offset; i < b.offset + b.rows * b.cols; i++) {
        u[i] = random();
        norm += u[i] * u[i];
      }
    }
    norm = Math.sqrt(norm) || 1;
    let a = 0;
    for (let i = 0; i < u.length; i++) {
      u[i] /= norm;
      a += analytic[i] * u[i];
    }
    for (let i = 0; i < u.length; i++) theta[i] = saved[i] + o.h * u[i];
    const fp = f(theta, sPlus);
    for (let i = 0; i < u.length; i++) theta[i] = saved[i] - o.h * u[i];
    const fm = f(theta, sMinus);
    theta.set(saved);
    evaluations += 2;
    const numeric = (fp - fm) / (2 * o.h);
    const e = judge(
      a,
      numeric,
      noiseBound(fp, fm, o.h),
      !!sPlus && !!sMinus && !sameBytes(sPlus, sMinus),
      o,
      0,
      0,
    );
    return { scope, analytic: a, numeric, relError: e.relError, verdict: e.verdict };
  };
  const directions: DirectionCheck[] = [];
  for (let j = 0; j < k; j++) directions.push(along('all', blocks));
  let verdict = directions.reduce<Verdict>((v, d) => worse(v, d.verdict), 'pass');
  let localized: GradcheckReport | null = null;
  if (RANK[verdict] > RANK.warning) {
    const failing: BlockSpec[] = [];
    for (const b of blocks) {
      let bv: Verdict = 'pass';
      for (let j = 0; j < k; j++) {
        const d = along(b.name, [b]);
        directions.push(d);
        bv = worse(bv, d.verdict);
      }
      if (RANK[bv] > RANK.warning) failing.push(b);
    }
    if (failing.length) {
      localized = gradcheckEntries(
        entries ?? fullRecomputation(f, theta, signCount),
        theta,
        analytic,
        failing,
        o,
      );
      evaluations += localized.evaluations;
      verdict = worse(verdict, localized.verdict);
    }
  }
  return { directions, verdict, localized, evaluations };
}
