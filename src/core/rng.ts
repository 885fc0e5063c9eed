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

  /** In-place Fisher–Yates shuffle: j = int(i + 1) for i = length−1 … 1 (see shuffleDraws). */
  shuffle(a: Int32Array | Uint32Array | number[]): void {
    if (a.length <= 1) return;
    this.g = shuffleDraws(this.g.getState(), a);
  }
}

/**
 * Fisher–Yates over a with the draws of int(i + 1), i = length−1 … 1, written out: pure-rand's
 * xoroshiro128+ step (XoroShiro128Plus.unsafeNext) and its unbiased integer
 * (unsafeUniformIntDistributionInternal: rejection below the largest multiple of the range in
 * 2³², then the remainder) on the four state words in local variables, without a call per draw.
 * The same draws, so the same order and the same generator state after (tested against
 * Fisher–Yates with int() per element, in the tests); returns the generator at that state.
 */
function shuffleDraws(state: readonly number[], a: Int32Array | Uint32Array | number[]): RandomGenerator {
  let s01 = state[0] | 0,
    s00 = state[1] | 0,
    s11 = state[2] | 0,
    s10 = state[3] | 0;
  for (let i = a.length - 1; i > 0; i--) {
    const range = i + 1;
    const maxAllowed = range > 2 ? Math.floor(0x100000000 / range) * range : 0x100000000;
    let v: number;
    do {
      const out = (s00 + s10) | 0;
      const a0 = s10 ^ s00,
        a1 = s11 ^ s01;
      const o00 = s00,
        o01 = s01;
      s00 = (o00 << 24) ^ (o01 >>> 8) ^ a0 ^ (a0 << 16);
      s01 = (o01 << 24) ^ (o00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
      s10 = (a1 << 5) ^ (a0 >>> 27);
      s11 = (a0 << 5) ^ (a1 >>> 27);
      v = out + 0x80000000;
    } while (v >= maxAllowed);
    const j = v - Math.floor(v / range) * range; // v % range (exact: v < 2³², so the quotient's floor is)
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return xoroshiro128plus.fromState([s01, s00, s11, s10]);
}
