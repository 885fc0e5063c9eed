/**
 * Update rules over flat vectors θ, g = ∂J/∂θ. Each writes the change it applied
 * into Δ (θ_new = θ_old + Δ), which is what the inspector shows as "the update".
 * α is the learning rate, t the 1-based step count.
 *
 *   plain:    Δ = −α·g                                        (SGD, batch, mini-batch, misclassified-SGD)
 *   momentum: v := μ·v + g;  Δ = −α·v                         (heavy ball, PyTorch's form, no dampening)
 *   rmsprop:  s := ρ·s + (1−ρ)·g²;  Δ = −α·g / (√s + ε)       (Hinton's lecture 6e; ρ = 0.9)
 *   adam:     m := β1·m + (1−β1)·g;  v := β2·v + (1−β2)·g²
 *             m̂ = m / (1 − β1ᵗ);  v̂ = v / (1 − β2ᵗ)           (bias correction: divided, not multiplied)
 *             Δ = −α·m̂ / (√v̂ + ε)                              (Kingma & Ba, 2015, Algorithm 1)
 */
export type UpdateRule = 'plain' | 'momentum' | 'rmsprop' | 'adam';

export interface OptimizerHyper {
  lr: number;
  momentum: number; // μ
  rho: number; // ρ
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_HYPER: Omit<OptimizerHyper, 'lr'> = {
  momentum: 0.9,
  rho: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
};

export interface OptimizerState {
  rule: UpdateRule;
  t: number;
  m: number[] | null;
  v: number[] | null;
}

export class Optimizer {
  t = 0;
  /** First moment (momentum velocity, Adam m). */
  readonly m: Float64Array | null;
  /** Second moment (RMSProp s, Adam v). */
  readonly v: Float64Array | null;

  constructor(
    readonly rule: UpdateRule,
    size: number,
    public hyper: OptimizerHyper,
  ) {
    this.m = rule === 'momentum' || rule === 'adam' ? new Float64Array(size) : null;
    this.v = rule === 'rmsprop' || rule === 'adam' ? new Float64Array(size) : null;
  }

  /** Apply one update to θ in place and write the applied change into Δ. */
  step(theta: Float64Array, g: Float64Array, delta: Float64Array): void {
    const { lr, momentum, rho, beta1, beta2, eps } = this.hyper;
    this.t++;
    const P = theta.length;
    switch (this.rule) {
      case 'plain':
        for (let i = 0; i < P; i++) {
          const d = -lr * g[i];
          delta[i] = d;
          theta[i] += d;
        }
        break;
      case 'momentum': {
        const v = this.m!;
        for (let i = 0; i < P; i++) {
          v[i] = momentum * v[i] + g[i];
          const d = -lr * v[i];
          delta[i] = d;
          theta[i] += d;
        }
        break;
      }
      case 'rmsprop': {
        const s = this.v!;
        for (let i = 0; i < P; i++) {
          s[i] = rho * s[i] + (1 - rho) * g[i] * g[i];
          const d = (-lr * g[i]) / (Math.sqrt(s[i]) + eps);
          delta[i] = d;
          theta[i] += d;
        }
        break;
      }
      case 'adam': {
        const m = this.m!,
          v = this.v!;
        const c1 = 1 - Math.pow(beta1, this.t);
        const c2 = 1 - Math.pow(beta2, this.t);
        for (let i = 0; i < P; i++) {
          m[i] = beta1 * m[i] + (1 - beta1) * g[i];
          v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
          const mHat = m[i] / c1;
          const vHat = v[i] / c2;
          const d = (-lr * mHat) / (Math.sqrt(vHat) + eps);
          delta[i] = d;
          theta[i] += d;
        }
        break;
      }
    }
  }

  state(): OptimizerState {
    return {
      rule: this.rule,
      t: this.t,
      m: this.m ? Array.from(this.m) : null,
      v: this.v ? Array.from(this.v) : null,
    };
  }

  restore(s: OptimizerState): void {
    if (s.rule !== this.rule) throw new Error(`optimizer state is for '${s.rule}', not '${this.rule}'`);
    this.t = s.t;
    if (this.m && s.m) this.m.set(s.m);
    if (this.v && s.v) this.v.set(s.v);
  }
}
