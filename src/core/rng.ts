/**
 * The one seeded PRNG behind everything random in Backprop Lens: parameter
 * initialisation, train/test splits, shuffling and the misclassified-point
 * pick. It wraps pure-rand's xoroshiro128+ (a well-kept, tested generator) and
 * exposes its four-word state so that a checkpoint can resume the exact stream.
 */
import { xoroshiro128plus, unsafeUniformIntDistribution, type RandomGenerator } from 'pure-rand';

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

export class Rng {
  private g: RandomGenerator;

  constructor(seed: number) {
    this.g = xoroshiro128plus(seed | 0);
  }

  /** Rebuild a generator from {@link Rng.state}. */
  static fromState(state: readonly number[]): Rng {
    const r = new Rng(0);
    r.g = xoroshiro128plus.fromState(state);
    return r;
  }

  /** The generator's state: four 32-bit integers, JSON-safe. */
  state(): number[] {
    return [...this.g.getState()];
  }

  /** Uniform double in [0, 1) with 53 random bits (upper bits of two draws: xoroshiro128+'s low bits are weak). */
  float(): number {
    const a = (this.g.unsafeNext() >>> 5) * TWO_POW_26;
    const b = this.g.unsafeNext() >>> 6;
    return (a + b) / TWO_POW_53;
  }

  /** Uniform integer in [0, n), unbiased. n ≥ 1. */
  int(n: number): number {
    return unsafeUniformIntDistribution(0, n - 1, this.g);
  }

  /** Standard normal draw (Box–Muller; the second value is discarded so the state stays four words). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle(a: Int32Array | Uint32Array | number[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
