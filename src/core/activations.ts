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
    case 'sigmoid': return sigmoid(z);
    case 'tanh': return Math.tanh(z);
    case 'relu': return z > 0 ? z : 0;
  }
}

/** g'(z), given z and a = g(z). */
export function derivative(kind: Activation, z: number, a: number): number {
  switch (kind) {
    case 'sigmoid': return a * (1 - a);
    case 'tanh': return 1 - a * a;
    case 'relu': return z > 0 ? 1 : 0;
  }
}
