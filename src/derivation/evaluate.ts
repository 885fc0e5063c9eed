/**
 * The interpreter: expressions over dense row-major Float64Array matrices. No
 * eval, no Function: a tree walk, safe on untrusted text.
 *
 * Broadcasting: only a scalar (1×1) with any shape, and a column (k×1) with a
 * k×m matrix; anything else is a shape error naming both shapes. Shapes print
 * with the symbols n (inputs), h (hidden units) and m (batch) where the size
 * is one of those.
 */
import type { Expr, Range } from './parser';

export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

export const FUNCTIONS = ['sigmoid', 'tanh', 'relu', 'step', 'exp', 'log', 'sum', 'softmax'] as const;

export class EvalError extends Error {
  constructor(
    readonly code: 'shape' | 'unknown-name' | 'unknown-function' | 'arity' | 'domain',
    message: string,
    readonly range: Range,
  ) {
    super(message);
  }
}

export function mat(rows: number, cols: number, data?: ArrayLike<number>): Mat {
  return { rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) };
}

export const scalar = (v: number): Mat => mat(1, 1, [v]);

export function transpose(a: Mat): Mat {
  const out = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

export function matmul(a: Mat, b: Mat): Mat {
  const out = mat(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const v = a.data[i * a.cols + k];
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j] += v * b.data[k * b.cols + j];
    }
  }
  return out;
}

/** softmax of every column of a (K×m): each column's entries e^{z − max z} / Σ e^{z − max z} (finite for any finite z). */
export function softmaxColumns(a: Mat): Mat {
  const out = mat(a.rows, a.cols);
  for (let j = 0; j < a.cols; j++) {
    let mx = -Infinity;
    for (let i = 0; i < a.rows; i++) mx = Math.max(mx, a.data[i * a.cols + j]);
    let s = 0;
    for (let i = 0; i < a.rows; i++) s += out.data[i * a.cols + j] = Math.exp(a.data[i * a.cols + j] - mx);
    for (let i = 0; i < a.rows; i++) out.data[i * a.cols + j] /= s;
  }
  return out;
}

export function map(a: Mat, f: (v: number) => number): Mat {
  const out = mat(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = f(a.data[i]);
  return out;
}

/** Names for sizes when printing shapes: e.g. {3: 'n', 4: 'h', 5: 'm'}. */
export type DimNames = Map<number, string>;

export function shapeText(a: { rows: number; cols: number }, dims: DimNames): string {
  const d = (k: number) => (k === 1 ? '1' : (dims.get(k) ?? String(k)));
  return `${d(a.rows)}×${d(a.cols)}`;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

const UNARY: Record<string, (v: number) => number> = {
  sigmoid,
  tanh: Math.tanh,
  relu: (v) => (v > 0 ? v : 0),
  step: (v) => (v > 0 ? 1 : 0),
  exp: Math.exp,
  log: Math.log,
};

/** Elementwise a op b under the broadcasting rule, or null when the shapes do not broadcast. */
function broadcast(a: Mat, b: Mat, f: (x: number, y: number) => number): Mat | null {
  const sa = a.rows === 1 && a.cols === 1,
    sb = b.rows === 1 && b.cols === 1;
  let rows: number, cols: number;
  if (a.rows === b.rows && a.cols === b.cols) [rows, cols] = [a.rows, a.cols];
  else if (sa) [rows, cols] = [b.rows, b.cols];
  else if (sb) [rows, cols] = [a.rows, a.cols];
  else if (a.rows === b.rows && (a.cols === 1 || b.cols === 1))
    [rows, cols] = [a.rows, Math.max(a.cols, b.cols)];
  else return null;
  const out = mat(rows, cols);
  const at = (m: Mat, i: number, j: number) =>
    m.data[(m.rows === 1 ? 0 : i) * m.cols + (m.cols === 1 ? 0 : j)];
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out.data[i * cols + j] = f(at(a, i, j), at(b, i, j));
  return out;
}

const OPS: Record<string, (x: number, y: number) => number> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
};

export function evaluate(e: Expr, env: ReadonlyMap<string, Mat>, dims: DimNames): Mat {
  switch (e.kind) {
    case 'num':
      return scalar(e.value);
    case 'name': {
      const v = env.get(e.name);
      if (!v) throw new EvalError('unknown-name', `${e.name} is not defined`, e.range);
      return v;
    }
    case 'unary':
      return map(evaluate(e.arg, env, dims), (v) => -v);
    case 'transpose':
      return transpose(evaluate(e.arg, env, dims));
    case 'call': {
      if (e.fn === 'sum') {
        if (e.args.length < 1 || e.args.length > 2)
          throw new EvalError(
            'arity',
            `sum takes one or two arguments: sum(e) or sum(e, axis), got ${e.args.length}`,
            e.range,
          );
        const a = evaluate(e.args[0], env, dims);
        if (e.args.length === 1) return scalar(a.data.reduce((s, v) => s + v, 0));
        const ax = e.args[1];
        if (ax.kind !== 'num' || (ax.value !== 0 && ax.value !== 1))
          throw new EvalError(
            'arity',
            'the axis of sum(e, axis) must be the number 0 (down the rows: 1×cols) or 1 (along the columns: rows×1)',
            ax.range,
          );
        if (ax.value === 0) {
          const out = mat(1, a.cols);
          for (let i = 0; i < a.rows; i++)
            for (let j = 0; j < a.cols; j++) out.data[j] += a.data[i * a.cols + j];
          return out;
        }
        const out = mat(a.rows, 1);
        for (let i = 0; i < a.rows; i++)
          for (let j = 0; j < a.cols; j++) out.data[i] += a.data[i * a.cols + j];
        return out;
      }
      if (e.fn === 'softmax') {
        if (e.args.length !== 1)
          throw new EvalError('arity', `softmax takes one argument, got ${e.args.length}`, e.range);
        return softmaxColumns(evaluate(e.args[0], env, dims));
      }
      const f = UNARY[e.fn];
      if (!f) throw new EvalError('unknown-function', `unknown function ${e.fn}`, e.fnRange);
      if (e.args.length !== 1)
        throw new EvalError('arity', `${e.fn} takes one argument, got ${e.args.length}`, e.range);
      return map(evaluate(e.args[0], env, dims), f);
    }
    case 'binary': {
      const a = evaluate(e.left, env, dims);
      const b = evaluate(e.right, env, dims);
      const shapes = `(${shapeText(a, dims)}) ${e.op} (${shapeText(b, dims)})`;
      if (e.op === '@') {
        if (a.cols !== b.rows)
          throw new EvalError(
            'shape',
            `${shapes}: inner dimensions ${dimName(a.cols, dims)} and ${dimName(b.rows, dims)} differ`,
            e.opRange,
          );
        return matmul(a, b);
      }
      if (e.op === '**') {
        if (b.rows !== 1 || b.cols !== 1)
          throw new EvalError('shape', `${shapes}: the exponent must be a scalar (1×1)`, e.opRange);
        const p = b.data[0];
        return map(a, (v) => v ** p);
      }
      const r = broadcast(a, b, OPS[e.op]);
      if (!r)
        throw new EvalError(
          'shape',
          `${shapes}: shapes do not broadcast (only a scalar with anything, or a k×1 column with a k×m matrix)`,
          e.opRange,
        );
      return r;
    }
  }
}

function dimName(k: number, dims: DimNames): string {
  return k === 1 ? '1' : (dims.get(k) ?? String(k));
}
