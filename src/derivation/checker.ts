/**
 * The derivation checker: every dN line of a .deriv file against a float64
 * central-difference gradient of L with respect to N, over several random
 * draws (n = 3 inputs, h = 4 hidden units, both y = 0 and y = 1; m = 5 in batch
 * mode) and, when given, at the current parameters of a run.
 *
 * Root cause or consequence: each draw also evaluates the file in a corrected
 * environment where every checked dN, once defined, is replaced by its true
 * value. A line that is wrong as written but right in the corrected
 * environment is wrong only because it uses a wrong earlier gradient: an
 * Information finding pointing at that line, never an Error. A line wrong in
 * both is a root cause: an Error whose first line leads with the numbers.
 *
 * The result is a list of pure findings (ranges, severities, codes, related
 * locations); the editor, the CLI and the Test Explorer all show these.
 */
import type { Activation } from '../core/activations';
import { DEFAULT_GRADCHECK, noiseBound, relativeError, type Thresholds } from '../core/gradcheck';
import { PARAM_NAMES, paramCount } from '../core/network';
import { Rng } from '../core/rng';
import { closest } from '../data/experiment';
import {
  type DimNames,
  EvalError,
  FUNCTIONS,
  type Mat,
  evaluate,
  map,
  mat,
  shapeText,
  transpose,
} from './evaluate';
import { type Expr, type Program, type Range, type Statement, namesIn, parse } from './parser';
import {
  type Checked,
  type Mode,
  PREDEFINED,
  type World,
  forward,
  gPrime,
  lossWith,
  predefinedEnv,
  valueOf,
  z1SignsWith,
} from './world';

export type Severity = 'error' | 'warning' | 'information';

export type FindingCode =
  | 'syntax'
  | 'directive'
  | 'unknown-name'
  | 'unknown-function'
  | 'use-before-definition'
  | 'duplicate-definition'
  | 'redefines-input'
  | 'shape'
  | 'gradient-shape'
  | 'gradient-mismatch'
  | 'gradient-imprecise'
  | 'depends-on-wrong'
  | 'never-derived'
  | 'evaluation';

export interface Finding {
  severity: Severity;
  code: FindingCode;
  message: string;
  range: Range;
  related: Array<{ range: Range; message: string }>;
}

export type GradientState = 'pass' | 'imprecise' | 'wrong' | 'consequence' | 'error';

/** One checked dN line, for CodeLens, the Test Explorer and hovers. */
export interface GradientLine {
  name: string;
  of: Checked;
  line: number;
  range: Range;
  state: GradientState;
  /** Worst relative error over every draw (null when it could not be evaluated). */
  relError: number | null;
  message: string;
}

export interface CheckOptions {
  activation: Activation;
  /** Example (per-example shapes) or batch; a "#! mode:" directive wins. */
  mode?: Mode;
  thresholds?: Thresholds;
  /** Central-difference step. */
  step?: number;
  /** Random draws (default 4: y = 0, 1, 0, 1); 0 checks only at the run's parameters (one random draw if there is no run). */
  draws?: number;
  seed?: number;
  /** Also check at a run's current parameters, on its first training example(s). */
  current?: {
    n: number;
    h: number;
    theta: ArrayLike<number>;
    x: ArrayLike<number>;
    y: ArrayLike<number>;
    m: number;
    K?: number;
  };
}

export interface CheckResult {
  program: Program;
  activation: Activation;
  mode: Mode;
  findings: Finding[];
  gradients: GradientLine[];
  /** Shapes (symbolic text) and values of every name in the display draw (the run's, else the first). */
  display: Map<string, { shape: string; value: Mat }>;
}

const N = 3,
  H = 4,
  M = 5;
const DIMS: DimNames = new Map([
  [N, 'n'],
  [H, 'h'],
  [M, 'm'],
]);
/** The random worlds' sizes for K classes: n, h, m all different from K and from each other, so shapes print as symbols. */
function sizesFor(K: number): { n: number; h: number; m: number; dims: DimNames } {
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
const fmtErr = (r: number) => (Number.isFinite(r) ? r.toExponential(1) : String(r));
const fmtThr = (t: number) => t.toExponential(0).replace('e-', 'e-').replace('e+', 'e');
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(3) : v.toFixed(4);
}

interface StatementInfo {
  s: Statement;
  valid: boolean;
  /** Checked gradient statements this one reads, directly or through helpers (indices). */
  deps: Set<number>;
  checks: Checked | null;
}

interface DrawOutcome {
  /** Per statement: value as written (null if it failed). */
  values: Array<Mat | null>;
  /** Per checked statement: comparison as written and in the corrected environment. */
  compare: Map<number, { asWritten: Comparison; corrected: Comparison | null; truth: Mat; formula: Mat }>;
  errors: Map<number, EvalError>;
  world: World;
  label: string;
}

/** The numeric gradient of L with respect to one name, with each entry's noise bound and kink flag. */
interface Truth {
  mat: Mat;
  noise: Float64Array;
  kink: Uint8Array;
}

interface Comparison {
  /** Worst relative error over the entries that count (not within noise, not kinks): what the verdict uses. */
  relError: number;
  /** Worst relative error over all entries but kinks, noise included: what a passing line shows. */
  shown: number;
  worst: { row: number; col: number; formula: number; numeric: number };
  shapeMismatch: boolean;
}

export function checkDerivation(text: string, options: CheckOptions): CheckResult {
  const program = parse(text);
  const findings: Finding[] = [];
  const activation = (program.directives.activation as Activation | undefined) ?? options.activation;
  const mode = (program.directives.mode as Mode | undefined) ?? options.mode ?? 'example';
  const K = program.directives.classes ? Number(program.directives.classes) : 1;
  const thresholds = { ...DEFAULT_GRADCHECK.thresholds, ...options.thresholds };
  const h = options.step ?? DEFAULT_GRADCHECK.h;
  for (const e of program.errors)
    findings.push({
      severity: 'error',
      code:
        /directive/.test(e.message) || /^(activation|mode|classes) must/.test(e.message)
          ? 'directive'
          : 'syntax',
      message: e.message,
      range: e.range,
      related: [],
    });

  const infos = analyse(program, mode, findings);
  const draws: World[] = [];
  const rng = new Rng(options.seed ?? 20240229);
  const count = Math.max(0, options.draws ?? 4);
  for (let d = 0; d < count; d++) draws.push(randomWorld(rng, activation, mode, d % 2, K));
  const labels = draws.map((_, d) =>
    K > 1 ? `random draw ${d + 1} (${K} classes)` : `random draw ${d + 1} (y = ${d % 2})`,
  );
  const c0 = options.current;
  // A run's state is used only when it is consistent (θ of h·n + 2h + 1 entries, m examples of n features).
  const usable =
    c0 &&
    (c0.K ?? 1) === K &&
    c0.theta.length === paramCount(c0.n, c0.h, K) &&
    c0.x.length >= c0.n * (mode === 'batch' ? c0.m : 1) &&
    c0.y.length >= (mode === 'batch' ? c0.m : 1);
  const cur = usable ? worldFromRun(c0, activation, mode, K) : null;
  if (cur) {
    draws.push(cur);
    labels.push("the run's current parameters");
  }
  if (!draws.length) {
    draws.push(randomWorld(rng, activation, mode, 0, K));
    labels.push('random draw 1 (y = 0)');
  }

  const outcomes = draws.map((w, d) => runDraw(w, infos, h, labels[d]));
  const gradients: GradientLine[] = [];

  // Evaluation errors (shapes etc.) are the same in every synthetic draw: report the first draw's.
  for (const [i, err] of outcomes[0].errors) {
    findings.push({
      severity: 'error',
      code: err.code === 'shape' ? 'shape' : 'evaluation',
      message: err.message,
      range: err.range,
      related: [],
    });
    const info = infos[i];
    if (info.checks)
      gradients.push({
        name: info.s.name,
        of: info.checks,
        line: info.s.line,
        range: info.s.nameRange,
        state: 'error',
        relError: null,
        message: err.message,
      });
  }

  const rootWrong = new Set<number>();
  const verdicts = new Map<
    number,
    { outcome: DrawOutcome; cmp: Comparison; corrected: Comparison | null; truth: Mat; formula: Mat }[]
  >();
  infos.forEach((info, i) => {
    if (!info.checks || outcomes[0].errors.has(i) || !info.valid) return;
    const list = outcomes
      .filter((o) => o.compare.has(i))
      .map((o) => ({ outcome: o, ...o.compare.get(i)!, cmp: o.compare.get(i)!.asWritten }));
    verdicts.set(i, list);
    // Root cause: wrong as written AND wrong with the true values of the gradients it reads.
    if (
      list.some(
        (v) =>
          v.cmp.shapeMismatch ||
          (v.cmp.relError > thresholds.warn && (v.corrected ?? v.cmp).relError > thresholds.warn),
      )
    )
      rootWrong.add(i);
  });

  for (const [i, list] of verdicts) {
    const info = infos[i];
    const name = info.s.name,
      of = info.checks!;
    if (!list.length) continue;
    const worstAsWritten = list.reduce((a, b) => (b.cmp.relError > a.cmp.relError ? b : a));
    const range = info.s.nameRange;
    const stmtRange = info.s.range;
    if (worstAsWritten.cmp.shapeMismatch) {
      const f = worstAsWritten.formula,
        t = worstAsWritten.truth;
      const transposed =
        f.rows === t.cols && f.cols === t.rows && relErrorOf(transpose(f), t) <= thresholds.warn;
      const msg = `${name} has shape (${shapeText(f, DIMS)}) but ${of} is (${shapeText(t, DIMS)})${transposed ? '; the result is the transpose of the gradient: swap the operands of @ or add .T' : ''}`;
      findings.push({
        severity: 'error',
        code: 'gradient-shape',
        message: msg,
        range: stmtRange,
        related: [],
      });
      gradients.push({ name, of, line: info.s.line, range, state: 'wrong', relError: null, message: msg });
      continue;
    }
    if (rootWrong.has(i)) {
      const wrongBoth = list.filter(
        (v) => v.cmp.relError > thresholds.warn && (v.corrected ?? v.cmp).relError > thresholds.warn,
      );
      const worst = wrongBoth.reduce((a, b) =>
        (b.corrected ?? b.cmp).relError > (a.corrected ?? a.cmp).relError ? b : a,
      );
      const c = worst.corrected ?? worst.cmp;
      const hint = likelyCause(name, of, worst.formula, worst.truth, worst.outcome.world, mode);
      const msg =
        `${name} disagrees with the numeric gradient: rel. error ${fmtErr(c.relError)} > ${fmtThr(thresholds.pass)} (worst ${of}[${c.worst.row},${c.worst.col}]: formula ${fmtValue(c.worst.formula)}, numeric ${fmtValue(c.worst.numeric)})` +
        `\nchecked at ${worst.outcome.label}; activation ${activation}, ${mode} mode${hint ? `\nlikely cause: ${hint}` : ''}`;
      findings.push({
        severity: 'error',
        code: 'gradient-mismatch',
        message: msg,
        range: stmtRange,
        related: [],
      });
      gradients.push({
        name,
        of,
        line: info.s.line,
        range,
        state: 'wrong',
        relError: c.relError,
        message: msg.split('\n')[0],
      });
      continue;
    }
    if (worstAsWritten.cmp.relError > thresholds.warn) {
      const roots = [...info.deps].filter((d) => rootWrong.has(d) || outcomes[0].errors.has(d));
      const names = roots.map((d) => infos[d].s.name);
      const msg = `${name} depends on ${names.join(', ') || 'an earlier gradient'}, which disagree${names.length === 1 ? 's' : ''} with the numeric gradient; with ${names.length === 1 ? 'its' : 'their'} true value${names.length === 1 ? '' : 's'} this line is right`;
      findings.push({
        severity: 'information',
        code: 'depends-on-wrong',
        message: msg,
        range: stmtRange,
        related: roots.map((d) => ({
          range: infos[d].s.range,
          message: `${infos[d].s.name} is defined here`,
        })),
      });
      gradients.push({
        name,
        of,
        line: info.s.line,
        range,
        state: 'consequence',
        relError: worstAsWritten.cmp.relError,
        message: msg,
      });
      continue;
    }
    const worstRel = worstAsWritten.cmp.relError;
    const shownRel = Math.max(...list.map((v) => v.cmp.shown));
    if (worstRel > thresholds.pass) {
      const w = worstAsWritten.cmp.worst;
      const msg = `${name} agrees with the numeric gradient only to rel. error ${fmtErr(worstRel)} > ${fmtThr(thresholds.pass)} (worst ${of}[${w.row},${w.col}]: formula ${fmtValue(w.formula)}, numeric ${fmtValue(w.numeric)})`;
      findings.push({
        severity: 'warning',
        code: 'gradient-imprecise',
        message: msg,
        range: stmtRange,
        related: [],
      });
      gradients.push({
        name,
        of,
        line: info.s.line,
        range,
        state: 'imprecise',
        relError: worstRel,
        message: msg,
      });
    } else {
      const within =
        shownRel > thresholds.pass ? " (larger entries are within the central difference's noise)" : '';
      gradients.push({
        name,
        of,
        line: info.s.line,
        range,
        state: 'pass',
        relError: shownRel,
        message: `${name} matches the numeric gradient: rel. error ${fmtErr(shownRel)}${within ? within : ` ≤ ${fmtThr(thresholds.pass)}`}`,
      });
    }
  }

  // Parameters whose gradient the file never derives.
  const derived = new Set(infos.filter((i) => i.checks).map((i) => i.checks));
  const missing = PARAM_NAMES.filter((p) => !derived.has(p));
  if (program.statements.length > 0 && missing.length) {
    const first = program.statements[0];
    findings.push({
      severity: 'warning',
      code: 'never-derived',
      message: `${missing.map((p) => 'd' + p).join(', ')} ${missing.length === 1 ? 'is' : 'are'} never derived: the derivation does not give every parameter's gradient`,
      range: first.nameRange,
      related: [],
    });
  }

  findings.sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  gradients.sort((a, b) => a.line - b.line);
  const shown = cur ? outcomes[outcomes.length - 1] : outcomes[0];
  const display = new Map<string, { shape: string; value: Mat }>();
  const env = predefinedEnv(shown.world, forward(shown.world));
  for (const [k, v] of env) display.set(k, { shape: shapeText(v, cur ? new Map() : DIMS), value: v });
  infos.forEach((info, i) => {
    const v = shown.values[i];
    if (v) display.set(info.s.name, { shape: shapeText(v, cur ? new Map() : DIMS), value: v });
  });
  return { program, activation, mode, findings, gradients, display };
}

/** Static checks: names defined before use, known functions, no redefinition of inputs; dependency sets. */
function analyse(program: Program, mode: Mode, findings: Finding[]): StatementInfo[] {
  const predefined = new Set<string>([...PREDEFINED, ...(mode === 'batch' ? ['m'] : [])]);
  const firstDef = new Map<string, number>();
  program.statements.forEach((s, i) => {
    if (!firstDef.has(s.name)) firstDef.set(s.name, i);
  });
  const infos: StatementInfo[] = [];
  const defined = new Map<string, number>();
  program.statements.forEach((s, i) => {
    let valid = true;
    const err = (code: FindingCode, message: string, range: Range, related: Finding['related'] = []) => {
      findings.push({ severity: 'error', code, message, range, related });
      valid = false;
    };
    if (predefined.has(s.name))
      err(
        'redefines-input',
        `${s.name} is given by the forward pass and cannot be redefined; use another name`,
        s.nameRange,
      );
    else if (defined.has(s.name)) {
      const prev = program.statements[defined.get(s.name)!];
      err('duplicate-definition', `${s.name} is already defined on line ${prev.line + 1}`, s.nameRange, [
        { range: prev.nameRange, message: `first definition of ${s.name}` },
      ]);
    }
    const deps = new Set<number>();
    for (const ref of namesIn(s.expr)) {
      if (predefined.has(ref.name)) continue;
      const j = defined.get(ref.name);
      if (j !== undefined) {
        if (!infos[j].valid) valid = false; // its own error is reported; stay quiet here
        for (const d of infos[j].deps) deps.add(d);
        if (infos[j].checks) deps.add(j);
        continue;
      }
      const later = firstDef.get(ref.name);
      if (later !== undefined && later >= i) {
        const ls = program.statements[later];
        err(
          'use-before-definition',
          `${ref.name} is used before it is defined (on line ${ls.line + 1})`,
          ref.range,
          [{ range: ls.nameRange, message: `${ref.name} is defined here` }],
        );
      } else {
        const near = closest(ref.name, [...predefined, ...defined.keys()]);
        err(
          'unknown-name',
          `unknown name ${ref.name}${near ? ` (did you mean ${near}?)` : ''}; the given names are ${[...predefined].join(' ')}`,
          ref.range,
        );
      }
    }
    for (const call of callsIn(s.expr)) {
      if (!(FUNCTIONS as readonly string[]).includes(call.fn)) {
        const near = closest(call.fn, FUNCTIONS);
        err(
          'unknown-function',
          `unknown function ${call.fn}${near ? ` (did you mean ${near}?)` : ''}; the functions are ${FUNCTIONS.join(' ')}`,
          call.range,
        );
      }
    }
    const m = /^d(W1|b1|W2|b2|z1|a1|z2|a2)$/.exec(s.name);
    infos.push({ s, valid, deps, checks: m ? (m[1] as Checked) : null });
    if (!defined.has(s.name)) defined.set(s.name, i);
  });
  return infos;
}

function callsIn(
  e: Expr,
  out: Array<{ fn: string; range: Range }> = [],
): Array<{ fn: string; range: Range }> {
  switch (e.kind) {
    case 'call':
      out.push({ fn: e.fn, range: e.fnRange });
      e.args.forEach((a) => callsIn(a, out));
      break;
    case 'unary':
    case 'transpose':
      callsIn(e.arg, out);
      break;
    case 'binary':
      callsIn(e.left, out);
      callsIn(e.right, out);
      break;
    default:
      break;
  }
  return out;
}

function randomWorld(rng: Rng, act: Activation, mode: Mode, y: number, K = 1): World {
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

function worldFromRun(c: NonNullable<CheckOptions['current']>, act: Activation, mode: Mode, K = 1): World {
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

function runDraw(w: World, infos: StatementInfo[], h: number, label: string): DrawOutcome {
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

function relErrorOf(a: Mat, b: Mat): number {
  let worst = 0;
  for (let k = 0; k < a.data.length; k++) worst = Math.max(worst, relativeError(a.data[k], b.data[k]));
  return worst;
}

/** A known mistake that explains formula F against truth T, if one does. */
function likelyCause(name: string, of: Checked, F: Mat, T: Mat, w: World, mode: Mode): string | null {
  const near = (X: Mat) => X.rows === T.rows && X.cols === T.cols && relErrorOf(X, T) <= 1e-6;
  if (near(map(F, (v) => -v))) return 'the sign is flipped';
  if (near(map(F, (v) => v / 2))) return 'a factor of 2 too large';
  if (near(map(F, (v) => v * 2))) return 'a factor of 2 too small';
  if (mode === 'batch') {
    if (near(map(F, (v) => v / w.m)))
      return `a factor of m = ${w.m} too large: L is the mean over the batch, so ∂L/∂${of} carries 1/m`;
    if (near(map(F, (v) => v * w.m))) return `a factor of m = ${w.m} too small`;
  }
  if (of === 'z1' || (mode === 'example' && (of === 'W1' || of === 'b1'))) {
    const f = forward(w);
    const gp = map(f.z1, (z) => gPrime(w.act, z)); // h×1 (example) or h×m
    const rowScale = (X: Mat, s: (i: number, j: number) => number) => {
      const o = mat(X.rows, X.cols);
      for (let i = 0; i < X.rows; i++)
        for (let j = 0; j < X.cols; j++) o.data[i * X.cols + j] = X.data[i * X.cols + j] * s(i, j);
      return o;
    };
    const at = (A: Mat, i: number, j: number) => A.data[i * A.cols + (A.cols === 1 ? 0 : j)];
    if (near(rowScale(F, (i, j) => at(gp, i, of === 'z1' ? j : 0))))
      return `the derivative factor g'(z1) is missing: ${name} needs * ${derivText(w.act)}`;
    const sigAtA = map(f.a1, (a) => a * (1 - a));
    const atZ = map(f.z1, (z) => (w.act === 'tanh' ? 1 - z * z : z * (1 - z)));
    if (
      w.act !== 'relu' &&
      near(rowScale(F, (i, j) => at(gp, i, of === 'z1' ? j : 0) / at(atZ, i, of === 'z1' ? j : 0)))
    ) {
      return `the derivative is evaluated at z1 instead of a1: use ${derivText(w.act)}`;
    }
    if (
      w.act !== 'sigmoid' &&
      near(rowScale(F, (i, j) => at(gp, i, of === 'z1' ? j : 0) / at(sigAtA, i, of === 'z1' ? j : 0)))
    ) {
      return `a1 * (1 - a1) is the sigmoid's derivative, but the hidden activation is ${w.act}: use ${derivText(w.act)}`;
    }
  }
  return null;
}

export function derivText(act: Activation): string {
  return act === 'sigmoid' ? 'a1 * (1 - a1)' : act === 'tanh' ? '(1 - a1 ** 2)' : 'step(z1)';
}

/** The textbook formula for a gradient name, when one is known (the Quick Fix). */
export function textbookFormula(name: string, act: Activation, mode: Mode): string | null {
  const batch = mode === 'batch';
  const f: Record<string, string> = {
    dz2: batch ? '(a2 - y) / m' : 'a2 - y',
    da2: batch ? '(-(y / a2) + (1 - y) / (1 - a2)) / m' : '-(y / a2) + (1 - y) / (1 - a2)',
    dW2: 'dz2 @ a1.T',
    db2: batch ? 'sum(dz2, 1)' : 'dz2',
    da1: 'W2.T @ dz2',
    dz1: `W2.T @ dz2 * ${derivText(act)}`,
    dW1: 'dz1 @ x.T',
    db1: batch ? 'sum(dz1, 1)' : 'dz1',
  };
  return f[name] ?? null;
}

/** The reference derivation, correct and commented, for "New Derivation File". */
export function referenceDerivation(act: Activation = 'sigmoid', mode: Mode = 'example'): string {
  const batch = mode === 'batch';
  return [
    '# Backprop Lens derivation: the gradients of the two-layer network, one formula per line.',
    '# Given by the forward pass: x y W1 b1 W2 b2 z1 a1 z2 a2 L' + (batch ? ' m' : ''),
    '#   z1 = W1 @ x + b1,  a1 = g(z1),  z2 = W2 @ a1 + b2,  a2 = sigmoid(z2)',
    '#   L = -(y * log(a2) + (1 - y) * log(1 - a2))' + (batch ? ', averaged over the m columns of x' : ''),
    '# Each dN (N in W1 b1 W2 b2 z1 a1 z2 a2) is checked against a numeric gradient of L.',
    '# Operators: @ matrix product, * elementwise, + - /, **, .T; functions: sigmoid tanh relu step exp log sum',
    `# The hidden activation follows the setting backpropLens.network.activation (now ${act});`,
    '# a line "#! activation: tanh" would fix it for this file.',
    `#! mode: ${mode}`,
    '',
    `# Output layer: for a sigmoid output with cross-entropy, dL/dz2 = a2 - y${batch ? ' (and 1/m for the mean)' : ''}.`,
    `dz2 = ${textbookFormula('dz2', act, mode)}`,
    `dW2 = ${textbookFormula('dW2', act, mode)}        # (1×${batch ? 'm' : '1'}) @ (${batch ? 'm' : '1'}×h) = 1×h`,
    `db2 = ${textbookFormula('db2', act, mode)}`,
    '',
    '# Hidden layer: back through W2, then through the activation g.',
    `da1 = ${textbookFormula('da1', act, mode)}`,
    `dz1 = ${textbookFormula('dz1', act, mode)}   # g'(z1) = ${derivText(act)}`,
    `dW1 = ${textbookFormula('dW1', act, mode)}        # (h×${batch ? 'm' : '1'}) @ (${batch ? 'm' : '1'}×n) = h×n`,
    `db1 = ${textbookFormula('db1', act, mode)}`,
    '',
  ].join('\n');
}
