/** The reference derivation: its text, the textbook formula per gradient (the Quick Fix), and known mistakes. */
import type { Activation } from '../core/activations';
import { type Mat, map, mat } from './evaluate';
import { type Checked, type Mode, type World, forward, gPrime } from './world';
import { relErrorOf } from './draw';

/** A known mistake that explains formula F against truth T, if one does. */
export function likelyCause(name: string, of: Checked, F: Mat, T: Mat, w: World, mode: Mode): string | null {
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
