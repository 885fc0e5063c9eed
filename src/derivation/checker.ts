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
import { DEFAULT_GRADCHECK, type Thresholds } from '../core/gradcheck';
import { PARAM_NAMES, paramCount } from '../core/network';
import { Rng } from '../core/rng';
import { type Mat, shapeText, transpose } from './evaluate';
import { type Program, type Range, parse } from './parser';
import { type Checked, type Mode, type World, forward, predefinedEnv } from './world';
import { analyse } from './analyse';
import {
  type Comparison,
  DIMS,
  type DrawOutcome,
  randomWorld,
  relErrorOf,
  runDraw,
  worldFromRun,
} from './draw';
import type { Finding } from './findings';
import { likelyCause } from './reference';

export type { Finding, FindingCode, Severity } from './findings';
export { derivText, referenceDerivation, textbookFormula } from './reference';

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

const fmtErr = (r: number) => (Number.isFinite(r) ? r.toExponential(1) : String(r));
const fmtThr = (t: number) => t.toExponential(0).replace('e-', 'e-').replace('e+', 'e');
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(3) : v.toFixed(4);
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
