/**
 * Gradients from a derivation's formulas, for "Train With This Derivation": the
 * trainer calls this instead of its own backward pass, so a wrong derivation
 * visibly fails to learn. Example mode evaluates the file per example and
 * averages (the batch mean's 1/m); batch mode evaluates it once on the batch.
 * A derivation with "#! classes: K" is for the softmax output: it trains data
 * with three or more classes (any number: its formulas do not depend on K),
 * y the one-hot K×m matrix of the examples' classes; one without it trains the
 * binary network.
 */
import type { Activation } from '../core/activations';
import { layout, type Network } from '../core/network';
import { type Mat, evaluate, mat } from './evaluate';
import { parse, type Program } from './parser';
import { type Mode, type World, forward, predefinedEnv } from './world';

export type GradientFn = (
  net: Network,
  X: Float64Array,
  Y: Float64Array,
  idx: Int32Array | null,
  count: number,
  grad: Float64Array,
) => number;

const PARAMS = ['dW1', 'db1', 'dW2', 'db2'] as const;

/**
 * Compile a derivation into a gradient function, or say why it cannot train. `K`: the data's outputs (1: two
 * classes, the binary network; K ≥ 3: softmax), when known; a binary derivation cannot train K classes, nor a
 * K-class one two.
 */
export function derivationGradient(
  text: string,
  activation: Activation,
  modeSetting: Mode = 'example',
  K?: number,
): { ok: true; fn: GradientFn; mode: Mode; activation: Activation } | { ok: false; error: string } {
  const program: Program = parse(text);
  if (program.errors.length)
    return {
      ok: false,
      error: `line ${program.errors[0].range.start.line + 1}: ${program.errors[0].message}`,
    };
  const act = (program.directives.activation as Activation | undefined) ?? activation;
  const mode = (program.directives.mode as Mode | undefined) ?? modeSetting;
  const missing = PARAMS.filter((p) => !program.statements.some((s) => s.name === p));
  if (missing.length)
    return { ok: false, error: `the derivation does not define ${missing.join(', ')}, so it cannot train` };
  if (act !== activation)
    return { ok: false, error: `the derivation is for a ${act} hidden layer but the run uses ${activation}` };
  const softmax = program.directives.classes !== undefined;
  if (K !== undefined && K > 1 && !softmax)
    return {
      ok: false,
      error: `its formulas are for the binary network (no "#! classes: K" line), and this data has ${K} classes`,
    };
  if (K !== undefined && K <= 1 && softmax)
    return {
      ok: false,
      error: `its formulas are for ${program.directives.classes} classes with a softmax output ("#! classes: ${program.directives.classes}"), and this data has two classes (the binary network)`,
    };
  const dims = new Map<number, string>();

  const evalOnce = (net: Network, x: Mat, y: Mat, m: number): Map<string, Mat> => {
    const { n, h, K } = net;
    const part = (name: 'W1' | 'b1' | 'W2' | 'b2') => {
      const b = layout(n, h, K).find((l) => l.name === name)!;
      return mat(b.rows, b.cols, net.theta.subarray(b.offset, b.offset + b.rows * b.cols));
    };
    const w: World = {
      act,
      mode,
      K,
      n,
      h,
      m,
      x,
      y,
      W1: part('W1'),
      b1: part('b1'),
      W2: part('W2'),
      b2: part('b2'),
    };
    const env = predefinedEnv(w, forward(w));
    for (const s of program.statements) env.set(s.name, evaluate(s.expr, env, dims));
    return env;
  };

  const fn: GradientFn = (net, X, Y, idx, count, grad) => {
    const { n, h, K } = net;
    const blocks = layout(n, h, K);
    grad.fill(0);
    const add = (env: Map<string, Mat>, scale: number) => {
      for (const [k, p] of PARAMS.entries()) {
        const b = blocks[k];
        const v = env.get(p)!;
        if (v.rows !== b.rows || v.cols !== b.cols)
          throw new Error(`${p} has shape ${v.rows}×${v.cols}, expected ${b.rows}×${b.cols}`);
        for (let i = 0; i < v.data.length; i++) grad[b.offset + i] += scale * v.data[i];
      }
    };
    const row = (t: number) => (idx ? idx[t] : t);
    // y: the labels as a row (binary), or one-hot columns of the classes (K ≥ 3).
    const labels = (m: number, at: (t: number) => number) => {
      const y = mat(K > 1 ? K : 1, m);
      for (let t = 0; t < m; t++) {
        if (K > 1) y.data[at(t) * m + t] = 1;
        else y.data[t] = Y[row(t)];
      }
      return y;
    };
    if (mode === 'batch') {
      const x = mat(n, count);
      for (let t = 0; t < count; t++) for (let i = 0; i < n; i++) x.data[i * count + t] = X[row(t) * n + i];
      const y = labels(count, (t) => Y[row(t)]);
      const env = evalOnce(net, x, y, count);
      add(env, 1);
      return env.get('L')!.data[0];
    }
    let loss = 0;
    for (let t = 0; t < count; t++) {
      const y = K > 1 ? labels(1, () => Y[row(t)]) : mat(1, 1, [Y[row(t)]]);
      const env = evalOnce(net, mat(n, 1, X.subarray(row(t) * n, row(t) * n + n)), y, 1);
      add(env, 1 / count);
      loss += env.get('L')!.data[0] / count;
    }
    return loss;
  };
  return { ok: true, fn, mode, activation: act };
}
