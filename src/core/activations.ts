/**
 * Hidden-layer activations g and their derivatives g'. The derivative is given
 * both z and a = g(z), so each uses the cheapest exact form:
 *   sigmoid: σ'(z) = a·(1 − a)      tanh: 1 − a²      relu: 1 if z > 0 else 0
 * (ReLU's derivative at exactly 0 is taken as 0, the usual convention; gradient
 * checks report entries near that kink as kinks, not failures.)
 */
export type Activation = 'sigmoid' | 'tanh' | 'relu';
export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'tanh', 'relu'];

/** Two-branch logistic sigmoid: exp is only ever taken of a non-positive number, so it never overflows. */
export function sigmoid(z: number): number {
  if (z >= 0) {
    return 1 / (1 + Math.exp(-z));
  }
  const e = Math.exp(z);
  return e / (1 + e);
}

export function activate(kind: Activation, z: number): number {
  switch (kind) {
    case 'sigmoid':
      return sigmoid(z);
    case 'tanh':
      return Math.tanh(z);
    case 'relu':
      return z > 0 ? z : 0;
  }
}

/** g'(z), given z and a = g(z). */
export function derivative(kind: Activation, z: number, a: number): number {
  switch (kind) {
    case 'sigmoid':
      return a * (1 - a);
    case 'tanh':
      return 1 - a * a;
    case 'relu':
      return z > 0 ? 1 : 0;
  }
}

/**
 * a = softmax(z) for z = Z[off .. off+K), into A[aOff .. aOff+K): a[k] = e^{z[k] − max z} / Σ_c e^{z[c] − max z}.
 * Taking the maximum out first keeps every exponent ≤ 0, so it is finite for any finite logits
 * (±1000 included). Returns max z.
 */
export function softmax(Z: Float64Array, off: number, K: number, A: Float64Array, aOff: number): number {
  let mx = Z[off];
  for (let k = 1; k < K; k++) mx = Math.max(mx, Z[off + k]);
  let s = 0;
  for (let k = 0; k < K; k++) s += A[aOff + k] = Math.exp(Z[off + k] - mx);
  for (let k = 0; k < K; k++) A[aOff + k] /= s;
  return mx;
}
