// AssemblyScript (compiled to WebAssembly SIMD by scripts/build.mjs; not TypeScript for tsc).
//
// The batched two-layer network, row-major over a chunk of the batch (m rows, K outputs):
//
//   Z1  = X_B·W1ᵀ + b1        (m×h)     X_B: the batch rows gathered by index (m×n)
//   A1  = g(Z1)               (m×h)     G1 = g'(Z1) kept for backward
//   Z2  = A1·W2ᵀ + b2         (m×K)     W2 ∈ ℝ^{K×h}
//   A2  = σ(Z2) (K = 1) or softmax(Z2) (K > 1)
//   dZ2 = (A2 − Y)·scale      (m×K)     scale = 1/batch (the mean's 1/m), per row as in the reference
//   dW2 = dZ2ᵀ·A1             (K×h)     db2 = Σ_rows dZ2
//   dZ1 = dZ2·W2 ∗ G1         (m×h)
//   dW1 = dZ1ᵀ·X_B            (h×n)     db1 = Σ_rows dZ1
//
// Packed, zero-padded layouts (hp = h rounded up to 4, np = n rounded up to 4):
//   W1T in panels of 4 hidden units (units j..j+3 of feature k at ((j/4)·n + k)·4: each panel is
//   column block j..j+3 of W1ᵀ, n×4, in one piece), b1 hp, W2 K×hp, b2 K;
//   a chunk's gradient G = [dW1 hp×np | db1 hp | dW2 K×hp | db2 K] (overwritten).
// Padded hidden units have zero weights in and out, so they add exactly 0; padded
// rows of a sub-block get dZ2 = 0 and zero features, so they add exactly 0 too.
// No relaxed SIMD, no fused multiply-add: the same bits on every machine.

// The argument block (i32 words at args), written by the JavaScript side (src/core/kernels/wasm.ts).
const A_X = 0, A_Y = 1, A_IDX = 2, A_COUNT = 3, A_CHUNKS = 4, A_N = 5, A_HP = 6, A_NP = 7, A_K = 8;
const A_W1T = 9, A_B1 = 10, A_W2 = 11, A_B2 = 12, A_ACT = 13, A_G = 14, A_GSTRIDE = 15, A_Z2 = 16, A_CONST = 17;
const A_SCALE = 18; // f64 at args + 4·18 (8-byte aligned)
// A_MODE 0: loss and gradient; 1: forward only (z2 of every row, no gradient);
// 2: forward only, and A1 = g(Z1) of every row kept in the cache (A_CACHEA, row r of the batch at r·hp);
//    and z2 of every row at A_CACHEZ2 (row r at r·8);
// 3: loss and gradient with A1 and z2 taken from that cache (the same θ and rows as the mode-2 call: the caller
//    checks), g'(Z1) from A1 by the same formulas (σ' = a(1 − a), tanh' = 1 − a², relu' = [a > 0] = [z > 0]);
//    no statistics (A_STATS: the caller keeps the mode-2 call's, the same sums).
const A_MODE = 20, A_CACHEA = 21, A_CACHEZ2 = 23;
// A_STATS (K = 1, every mode): chunk c's sums over its rows at A_STATS + c·32, f64 each, in row order within the chunk:
// Σ L (the binary cross-entropy from the logit, bceFromLogit's formula), Σ [prediction ≠ y] (ŷ ≥ 0.5 ⇔ z2 ≥ 0),
// and the count of rows whose z2 is out of range (not finite, or |z2| > 700: the caller computes those sums itself).
const A_STATS = 22;

/** Rows of one sub-block (a multiple of 4): small enough that its caches stay in L1/L2. */
const SB: i32 = 32;

// Constants live in memory (V8 re-materialises SIMD constants inside loops); JS writes them at `consts`.
// Layout (f64 pairs, 16 bytes each):
const C_ONE = 0, C_ZERO = 1, C_LOG2E = 2, C_LN2HI = 3, C_LN2LO = 4, C_EXPLO = 5, C_EXPHI = 6;
const C_P0 = 7, C_P1 = 8, C_P2 = 9, C_Q0 = 10, C_Q1 = 11, C_Q2 = 12, C_Q3 = 13, C_TWO = 14, C_BIAS = 15;
const C_TP0 = 16, C_TP1 = 17, C_TP2 = 18, C_TQ0 = 19, C_TQ1 = 20, C_TQ2 = 21, C_TANHLO = 22, C_SIGN = 23;
const C_SQRT2 = 24, C_HALF = 25, C_LN2HI_L = 26, C_LN2LO_L = 27, C_LG1 = 28, C_LG2 = 29, C_LG3 = 30, C_LG4 = 31;
const C_LG5 = 32, C_LG6 = 33, C_LG7 = 34, C_ZRANGE = 35;
let consts: usize = 0;

@inline function cv(i: i32): v128 {
  return v128.load(consts + (<usize>i << 4));
}

/** Writes the constants at ptr (JS reserves CONST_BYTES = 40·16 bytes there; 36 are used). */
export function setConstants(ptr: usize): void {
  consts = ptr;
  storePair(C_ONE, 1.0);
  storePair(C_ZERO, 0.0);
  storePair(C_LOG2E, 1.4426950408889634);
  storePair(C_LN2HI, 6.93145751953125e-1);
  storePair(C_LN2LO, 1.42860682030941723212e-6);
  storePair(C_EXPLO, -708.0);
  storePair(C_EXPHI, 709.0);
  // Cephes exp: e^r ≈ 1 + 2·r·P(r²)/(Q(r²) − r·P(r²)), |r| ≤ ln2/2
  storePair(C_P0, 1.26177193074810590878e-4);
  storePair(C_P1, 3.02994407707441961300e-2);
  storePair(C_P2, 9.99999999999999999910e-1);
  storePair(C_Q0, 3.00198505138664455042e-6);
  storePair(C_Q1, 2.52448340349684104192e-3);
  storePair(C_Q2, 2.27265548208155028766e-1);
  storePair(C_Q3, 2.00000000000000000009e0);
  storePair(C_TWO, 2.0);
  storePair(C_BIAS, 6755399441055744.0 + 1023.0); // 1.5·2^52 + 1023
  // Cephes tanh for |x| < 0.625: x + x·x²·P(x²)/Q(x²)
  storePair(C_TP0, -9.64399179425052238628e-1);
  storePair(C_TP1, -9.92877231001918586564e1);
  storePair(C_TP2, -1.61468768441708447952e3);
  storePair(C_TQ0, 1.12811678491632931402e2);
  storePair(C_TQ1, 2.23548839060100448583e3);
  storePair(C_TQ2, 4.84406305325125486048e3);
  storePair(C_TANHLO, 0.625);
  storePair(C_SIGN, -0.0);
  // fdlibm's log1p: log(1 + f) = f − hfsq + s·(hfsq + R(s²)), s = f/(2 + f), |s| ≤ 0.1716
  storePair(C_SQRT2, 1.4142135623730951);
  storePair(C_HALF, 0.5);
  storePair(C_LN2HI_L, 6.93147180369123816490e-1);
  storePair(C_LN2LO_L, 1.90821492927058770002e-10);
  storePair(C_LG1, 6.666666666666735130e-1);
  storePair(C_LG2, 3.999999999940941908e-1);
  storePair(C_LG3, 2.857142874366239149e-1);
  storePair(C_LG4, 2.222219843214978396e-1);
  storePair(C_LG5, 1.818357216161805012e-1);
  storePair(C_LG6, 1.531383769920937332e-1);
  storePair(C_LG7, 1.479819860511658591e-1);
  storePair(C_ZRANGE, 700.0);
}

@inline function storePair(i: i32, v: f64): void {
  v128.store(consts + (<usize>i << 4), f64x2.splat(v));
}

/** e^x for x ∈ [−708, 709] (clamped), within a few ulp (Cephes' rational form). */
@inline function vexp(x0: v128): v128 {
  // pmin/pmax are single instructions (min/max are not: NaN and −0 rules); NaN still comes through.
  const x = f64x2.pmin(f64x2.pmax(x0, cv(C_EXPLO)), cv(C_EXPHI));
  const t = f64x2.nearest(f64x2.mul(x, cv(C_LOG2E)));
  let r = f64x2.sub(x, f64x2.mul(t, cv(C_LN2HI)));
  r = f64x2.sub(r, f64x2.mul(t, cv(C_LN2LO)));
  const rr = f64x2.mul(r, r);
  const p = f64x2.mul(r, f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(cv(C_P0), rr), cv(C_P1)), rr), cv(C_P2)));
  const q = f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(cv(C_Q0), rr), cv(C_Q1)), rr), cv(C_Q2)), rr), cv(C_Q3));
  const e = f64x2.add(cv(C_ONE), f64x2.mul(cv(C_TWO), f64x2.div(p, f64x2.sub(q, p))));
  // 2^t from the exponent bits (t + 1023) << 52: adding 1.5·2^52 puts the integer t + 1023 in the low bits.
  return f64x2.mul(e, i64x2.shl(f64x2.add(t, cv(C_BIAS)), 52));
}

// e^x = 2^t·(Q + P)/(Q − P) with x = t·ln2 + r (vexp's rational form); the activations keep
// the numerator and denominator apart so that each needs a single division.

/** σ(z) as the reference's two branches: z ≥ 0: 1/(1+e^{−z}); z < 0: e^{z}/(1+e^{z}), with e = e^{−|z|} = s·(Q+P)/(Q−P). */
@inline function vsigmoid(z: v128): v128 {
  const x = f64x2.pmax(f64x2.neg(f64x2.abs(z)), cv(C_EXPLO)); // −|z|, clamped (NaN comes through)
  const t = f64x2.nearest(f64x2.mul(x, cv(C_LOG2E)));
  let r = f64x2.sub(x, f64x2.mul(t, cv(C_LN2HI)));
  r = f64x2.sub(r, f64x2.mul(t, cv(C_LN2LO)));
  const rr = f64x2.mul(r, r), rr2 = f64x2.mul(rr, rr);
  // P and Q in Estrin's form (shorter chains than Horner's: σ is on the per-example step's critical path)
  const p = f64x2.mul(r, f64x2.add(f64x2.add(f64x2.mul(cv(C_P1), rr), cv(C_P2)), f64x2.mul(cv(C_P0), rr2)));
  const q = f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(cv(C_Q0), rr), cv(C_Q1)), rr2), f64x2.add(f64x2.mul(cv(C_Q2), rr), cv(C_Q3)));
  const s = i64x2.shl(f64x2.add(t, cv(C_BIAS)), 52);
  const qmp = f64x2.sub(q, p);
  const num = f64x2.mul(s, f64x2.add(q, p)); // e·(Q − P)
  // 1/(1+e) = (Q−P)/((Q−P) + e·(Q−P));  e/(1+e) = e·(Q−P)/((Q−P) + e·(Q−P))
  return f64x2.div(v128.bitselect(qmp, num, f64x2.ge(z, cv(C_ZERO))), f64x2.add(qmp, num));
}

/**
 * tanh(z): Cephes' rational form z + z·z²·P(z²)/Q(z²) below |z| = 0.625, and
 * (1 − e)/(1 + e) with e = e^{−2|z|} above, sign restored; one division for both.
 */
@inline function vtanh(z: v128): v128 {
  const ax = f64x2.abs(z);
  const x2 = f64x2.mul(z, z);
  const tp = f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(cv(C_TP0), x2), cv(C_TP1)), x2), cv(C_TP2));
  const tq = f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(x2, cv(C_TQ0)), x2), cv(C_TQ1)), x2), cv(C_TQ2));
  // small: (z·Q + z·z²·P)/Q
  const numSmall = f64x2.add(f64x2.mul(z, tq), f64x2.mul(f64x2.mul(z, x2), tp));
  // big: e = e^{−2|z|} = s·(Q+P)/(Q−P): (1 − e)/(1 + e) = ((Q−P) − s(Q+P))/((Q−P) + s(Q+P))
  const x = f64x2.pmax(f64x2.neg(f64x2.add(ax, ax)), cv(C_EXPLO));
  const t = f64x2.nearest(f64x2.mul(x, cv(C_LOG2E)));
  let r = f64x2.sub(x, f64x2.mul(t, cv(C_LN2HI)));
  r = f64x2.sub(r, f64x2.mul(t, cv(C_LN2LO)));
  const rr = f64x2.mul(r, r);
  const p = f64x2.mul(r, f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(cv(C_P0), rr), cv(C_P1)), rr), cv(C_P2)));
  const q = f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(cv(C_Q0), rr), cv(C_Q1)), rr), cv(C_Q2)), rr), cv(C_Q3));
  const s = i64x2.shl(f64x2.add(t, cv(C_BIAS)), 52);
  const qmp = f64x2.sub(q, p), e = f64x2.mul(s, f64x2.add(q, p));
  const sign = v128.and(z, cv(C_SIGN));
  const numBig = v128.or(f64x2.sub(qmp, e), sign); // (1 − e) ≥ 0, z's sign
  const small = f64x2.lt(ax, cv(C_TANHLO));
  return f64x2.div(v128.bitselect(numSmall, numBig, small), v128.bitselect(tq, f64x2.add(qmp, e), small));
}

/**
 * log(1 + u) for u ∈ [0, 1] (fdlibm's log1p, within 1 ulp): w = 1 + u rounded, c = u − (w − 1) its
 * rounding error; w = 2^k·(1 + f) with k = [w > √2]; log(1 + u) = k·ln2 + log(1 + f) + c/w.
 */
@inline function vlog1p01(u: v128): v128 {
  const one = cv(C_ONE);
  const w = f64x2.add(one, u);
  const c = f64x2.sub(u, f64x2.sub(w, one)); // exact
  const big = f64x2.gt(w, cv(C_SQRT2));
  const half = cv(C_HALF);
  const f = v128.bitselect(f64x2.sub(f64x2.mul(w, half), one), f64x2.sub(w, one), big); // exact
  // s = f/(2 + f) and c/w = c'/(1 + f) (c' = c, halved with w) through one division by (2 + f)(1 + f);
  // s only scales the terms of order f³, so its few extra roundings stay far below an ulp of the result
  const f1 = f64x2.add(one, f), f2 = f64x2.add(cv(C_TWO), f);
  const inv = f64x2.div(one, f64x2.mul(f2, f1));
  const cw = f64x2.mul(f64x2.mul(v128.bitselect(f64x2.mul(c, half), c, big), f2), inv); // c/w
  const s = f64x2.mul(f64x2.mul(f, f1), inv);
  const z = f64x2.mul(s, s), w4 = f64x2.mul(z, z);
  const t1 = f64x2.mul(w4, f64x2.add(cv(C_LG2), f64x2.mul(w4, f64x2.add(cv(C_LG4), f64x2.mul(w4, cv(C_LG6))))));
  const t2 = f64x2.mul(z, f64x2.add(cv(C_LG1), f64x2.mul(w4, f64x2.add(cv(C_LG3), f64x2.mul(w4, f64x2.add(cv(C_LG5), f64x2.mul(w4, cv(C_LG7))))))));
  const R = f64x2.add(t2, t1);
  const hfsq = f64x2.mul(half, f64x2.mul(f, f));
  const klo = v128.and(cv(C_LN2LO_L), big), khi = v128.and(cv(C_LN2HI_L), big);
  // k·ln2_hi − ((hfsq − (s·(hfsq + R) + (k·ln2_lo + c/w))) − f)
  return f64x2.sub(khi, f64x2.sub(f64x2.sub(hfsq, f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), f64x2.add(klo, cw))), f));
}

/**
 * Chunk statistics of rows r0 .. r0+rows of the batch (K = 1) from their logits Z2 (the sub-block's, row r at r·8):
 * Σ L with L = max(z, 0) − z·y + log(1 + e^{−|z|}) (loss.ts's bceFromLogit), Σ [(z ≥ 0) ≠ y], and the rows out of
 * range (|z| > 700 or not finite), added to stats[0..2] (row pairs summed lane by lane, in row order).
 */
@inline function addStats(stats: usize, Z2: usize, rows: i32, r0: i32, Y: usize, idx: usize): void {
  const zero = cv(C_ZERO);
  let sl = zero, sw = zero, so = zero;
  // four rows at a time, two independent pairs (the exponential and the logarithm are long chains)
  for (let r = 0; r < rows; r += 4) {
    const m0 = pairMask(r, rows), m1 = pairMask(r + 2, rows);
    const y0 = pairY(Y, idx, r0, r, rows), y1 = pairY(Y, idx, r0, r + 2, rows);
    const z0 = v128.load(Z2 + <usize>r * 8), z1 = v128.load(Z2 + <usize>r * 8, 16);
    const az0 = f64x2.abs(z0), az1 = f64x2.abs(z1);
    const l0 = vlog1p01(vexp(f64x2.neg(az0))), l1 = vlog1p01(vexp(f64x2.neg(az1)));
    sl = f64x2.add(sl, v128.and(pairLoss(z0, y0, l0), m0));
    sl = f64x2.add(sl, v128.and(pairLoss(z1, y1, l1), m1));
    sw = f64x2.add(sw, v128.and(pairWrong(z0, y0), m0));
    sw = f64x2.add(sw, v128.and(pairWrong(z1, y1), m1));
    so = f64x2.add(so, v128.and(v128.and(cv(C_ONE), v128.not(f64x2.le(az0, cv(C_ZRANGE)))), m0));
    so = f64x2.add(so, v128.and(v128.and(cv(C_ONE), v128.not(f64x2.le(az1, cv(C_ZRANGE)))), m1));
  }
  store<f64>(stats, load<f64>(stats) + (f64x2.extract_lane(sl, 0) + f64x2.extract_lane(sl, 1)));
  store<f64>(stats, load<f64>(stats, 8) + (f64x2.extract_lane(sw, 0) + f64x2.extract_lane(sw, 1)), 8);
  store<f64>(stats, load<f64>(stats, 16) + (f64x2.extract_lane(so, 0) + f64x2.extract_lane(so, 1)), 16);
}

/** All ones in the lanes of rows r, r + 1 that are below rows, zeros in the others. */
@inline function pairMask(r: i32, rows: i32): v128 {
  return r + 1 < rows ? i64x2.splat(-1) : r < rows ? i64x2.replace_lane(i64x2.splat(0), 0, -1) : i64x2.splat(0);
}

/** The labels of rows r, r + 1 of the sub-block (0 past rows). */
@inline function pairY(Y: usize, idx: usize, r0: i32, r: i32, rows: i32): v128 {
  const y0 = r < rows ? load<f64>(Y + <usize>load<i32>(idx + <usize>(r0 + r) * 4) * 8) : 0.0;
  const y1 = r + 1 < rows ? load<f64>(Y + <usize>load<i32>(idx + <usize>(r0 + r + 1) * 4) * 8) : 0.0;
  return f64x2.replace_lane(f64x2.splat(y0), 1, y1);
}

/** L = max(z, 0) − z·y + log(1 + e^{−|z|}) from l = log(1 + e^{−|z|}) (bceFromLogit's order of operations). */
@inline function pairLoss(z: v128, y: v128, l: v128): v128 {
  return f64x2.add(f64x2.sub(f64x2.pmax(z, cv(C_ZERO)), f64x2.mul(z, y)), l);
}

/** [(z ≥ 0) ≠ y] as 1.0 or 0.0. */
@inline function pairWrong(z: v128, y: v128): v128 {
  const one = cv(C_ONE);
  return v128.and(one, v128.not(f64x2.eq(v128.and(one, f64x2.ge(z, cv(C_ZERO))), y)));
}

// ---------------------------------------------------------------------------------------------
// One chunk of the batch: forward and backward over its rows, gradient into G + c·gStride.

/** Rows of chunk c when count rows are split into `chunks` chunks (multiples of 4 but the last). */
@inline function chunkStart(count: i32, chunks: i32, c: i32): i32 {
  const per = (((count + chunks - 1) / chunks + 3) >> 2) << 2;
  return min(count, c * per);
}

/**
 * Chunk c's gradient (sum over its rows of the per-row gradients scaled by `scale`) into
 * G + c·gStride, and its rows' z2 into Z2 (row-major, K per row). scratch: the thread's own
 * region (see scratchBytes).
 */
export function chunk(args: usize, c: i32, scratch: usize): void {
  const count = load<i32>(args + 4 * A_COUNT), chunks = load<i32>(args + 4 * A_CHUNKS);
  const hp = load<i32>(args + 4 * A_HP), np = load<i32>(args + 4 * A_NP), K = load<i32>(args + 4 * A_K);
  const r0 = chunkStart(count, chunks, c), r1 = chunkStart(count, chunks, c + 1);
  const G = <usize>load<i32>(args + 4 * A_G) + <usize>(c * load<i32>(args + 4 * A_GSTRIDE)) * 8;
  const mode = load<i32>(args + 4 * A_MODE);
  if (mode == 0 || mode == 3) memory.fill(G, 0, <usize>(hp * np + hp + K * hp + K) * 8);
  const stats = <usize>load<i32>(args + 4 * A_STATS) + <usize>c * 32;
  if (K == 1 && mode != 3) memory.fill(stats, 0, 24);
  for (let r = r0; r < r1; r += SB) subBlock(args, r, min(SB, r1 - r), G, scratch, stats);
}

/** Bytes of scratch one thread needs. */
export function scratchBytes(hp: i32, np: i32, K: i32): i32 {
  return SB * (2 * np + 3 * hp + 2 * K) * 8 + 64;
}

function subBlock(args: usize, r0: i32, rows: i32, G: usize, scratch: usize, stats: usize): void {
  const X = <usize>load<i32>(args + 4 * A_X), Y = <usize>load<i32>(args + 4 * A_Y), idx = <usize>load<i32>(args + 4 * A_IDX);
  const n = load<i32>(args + 4 * A_N), hp = load<i32>(args + 4 * A_HP), np = load<i32>(args + 4 * A_NP), K = load<i32>(args + 4 * A_K);
  const W1T = <usize>load<i32>(args + 4 * A_W1T), b1 = <usize>load<i32>(args + 4 * A_B1);
  const W2 = <usize>load<i32>(args + 4 * A_W2), b2 = <usize>load<i32>(args + 4 * A_B2);
  const act = load<i32>(args + 4 * A_ACT), Z2out = <usize>load<i32>(args + 4 * A_Z2);
  const scale = load<f64>(args + 4 * A_SCALE);
  consts = <usize>load<i32>(args + 4 * A_CONST);
  const rowsP = (rows + 3) & ~3;
  const mode = load<i32>(args + 4 * A_MODE);

  // Scratch: Xc SB×np | Xp SB×np (forward: 4-row panels; backward: 4-feature panels) | A1 SB×hp | G1 SB×hp | dZ1 SB×hp | Z2 SB×K | dZ2 SB×K
  // Xc holds the rows as they are (for dW1); Xp the same values in panels of 4 rows, the 4 rows'
  // feature k side by side, so that the forward product reads them through one pointer.
  const Xc = scratch;
  const Xp = Xc + <usize>(SB * np) * 8;
  let A1 = Xp + <usize>(SB * np) * 8;
  let G1 = A1 + <usize>(SB * hp) * 8;
  const dZ1 = G1 + <usize>(SB * hp) * 8;
  const Z2 = dZ1 + <usize>(SB * hp) * 8;
  const dZ2 = Z2 + <usize>(SB * K) * 8;

  // Gather the rows (zero padding columns and rows).
  memory.fill(Xc, 0, <usize>(rowsP * np) * 8);
  for (let r = 0; r < rows; r++) {
    const i = load<i32>(idx + <usize>(r0 + r) * 4);
    copyF64(Xc + <usize>(r * np) * 8, X + <usize>(i * n) * 8, n); // a loop: memory.copy is a call, costly for a row of a few features
  }
  // The cache holds A1 of row r0 + r at (r0 + r)·hp: the sub-block's rows in the layout of the scratch A1.
  const cached = <usize>load<i32>(args + 4 * A_CACHEA) + <usize>(r0 * hp) * 8;
  if (mode == 3) {
    A1 = cached; // g'(Z1) from it where dZ1 is computed
  } else {
    if (mode == 2) A1 = cached; // written in place
    forwardHidden(Xc, Xp, A1, G1, n, hp, np, rowsP, W1T, b1, act, mode == 0);
  }
  backAndOut(args, r0, rows, rowsP, mode, Xc, Xp, A1, G1, dZ1, G, n, hp, np, K, W2, b2, Y, idx, Z2out, scale);
  if (K == 1 && mode != 3) addStats(stats, dZ1 + <usize>(SB * hp) * 8, rows, r0, Y, idx); // backAndOut's Z2 (its scratch)
}

/** g'(Z1) from A1 = g(Z1), a pair of entries, by forwardHidden's formulas. */
@inline function derivativeFromA(a: v128, act: i32): v128 {
  const one = cv(C_ONE);
  if (act == 0) return f64x2.mul(a, f64x2.sub(one, a)); // σ' = a(1 − a)
  if (act == 1) return f64x2.sub(one, f64x2.mul(a, a)); // tanh' = 1 − a²
  return v128.and(one, f64x2.gt(a, cv(C_ZERO))); // relu' = [z > 0] = [a > 0] (a = z when z > 0, else +0)
}

/** Z1 = X_B·W1ᵀ + b1 (rows of Xc, through the panels Xp), then A1 = g(Z1) and, with wantG, G1 = g'(Z1). */
@inline function forwardHidden(Xc: usize, Xp: usize, A1: usize, G1: usize, n: i32, hp: i32, np: i32, rowsP: i32, W1T: usize, b1: usize, act: i32, wantG: bool): void {
  for (let r = 0; r < rowsP; r++) {
    const src = Xc + <usize>(r * np) * 8, dst = Xp + <usize>((r >> 2) * n * 4 + (r & 3)) * 8;
    for (let k = 0; k < n; k++) store<f64>(dst + <usize>(k * 4) * 8, load<f64>(src + <usize>k * 8));
  }

  // Z1 = X_B·W1ᵀ + b1, 4 rows × 4 hidden units at a time; units outside, so that the columns of
  // W1ᵀ of 4 units (n cache lines) stay in L1 while every panel of rows goes by.
  for (let j = 0; j < hp; j += 4) {
    for (let r = 0; r < rowsP; r += 4) {
      const panel = Xp + <usize>(r * n) * 8;
      const bj = b1 + <usize>j * 8;
      let a00 = v128.load(bj), a01 = v128.load(bj, 16);
      let a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01;
      let w = W1T + <usize>(j * n) * 8, xp = panel; // panel j/4 of W1ᵀ starts at (j/4)·n·4 = j·n
      const wstep: usize = 32, end = panel + <usize>(n * 4) * 8;
      while (xp < end) {
        const w0 = v128.load(w), w1 = v128.load(w, 16);
        const x0 = v128.load64_splat(xp), x1 = v128.load64_splat(xp, 8);
        a00 = f64x2.add(a00, f64x2.mul(x0, w0)); a01 = f64x2.add(a01, f64x2.mul(x0, w1));
        a10 = f64x2.add(a10, f64x2.mul(x1, w0)); a11 = f64x2.add(a11, f64x2.mul(x1, w1));
        const x2 = v128.load64_splat(xp, 16), x3 = v128.load64_splat(xp, 24);
        a20 = f64x2.add(a20, f64x2.mul(x2, w0)); a21 = f64x2.add(a21, f64x2.mul(x2, w1));
        a30 = f64x2.add(a30, f64x2.mul(x3, w0)); a31 = f64x2.add(a31, f64x2.mul(x3, w1));
        w += wstep; xp += 32;
      }
      const z = A1 + <usize>(r * hp + j) * 8, hs = <usize>hp * 8;
      v128.store(z, a00); v128.store(z, a01, 16);
      v128.store(z + hs, a10); v128.store(z + hs, a11, 16);
      v128.store(z + 2 * hs, a20); v128.store(z + 2 * hs, a21, 16);
      v128.store(z + 3 * hs, a30); v128.store(z + 3 * hs, a31, 16);
    }
  }

  // A1 = g(Z1) in place, G1 = g'(Z1).
  const total = <usize>(rowsP * hp) * 8;
  // Four vectors per iteration: independent chains hide the divisions' latency (total is a multiple of 64 bytes).
  if (act == 0) {
    for (let o: usize = 0; o < total; o += 64) {
      const p = A1 + o, q = G1 + o;
      const a0 = vsigmoid(v128.load(p)), a1 = vsigmoid(v128.load(p, 16)), a2 = vsigmoid(v128.load(p, 32)), a3 = vsigmoid(v128.load(p, 48));
      v128.store(p, a0); v128.store(p, a1, 16); v128.store(p, a2, 32); v128.store(p, a3, 48);
      if (!wantG) continue;
      const one = cv(C_ONE); // σ' = a(1 − a)
      v128.store(q, f64x2.mul(a0, f64x2.sub(one, a0))); v128.store(q, f64x2.mul(a1, f64x2.sub(one, a1)), 16);
      v128.store(q, f64x2.mul(a2, f64x2.sub(one, a2)), 32); v128.store(q, f64x2.mul(a3, f64x2.sub(one, a3)), 48);
    }
  } else if (act == 1) {
    for (let o: usize = 0; o < total; o += 64) {
      const p = A1 + o, q = G1 + o;
      const a0 = vtanh(v128.load(p)), a1 = vtanh(v128.load(p, 16)), a2 = vtanh(v128.load(p, 32)), a3 = vtanh(v128.load(p, 48));
      v128.store(p, a0); v128.store(p, a1, 16); v128.store(p, a2, 32); v128.store(p, a3, 48);
      if (!wantG) continue;
      const one = cv(C_ONE); // tanh' = 1 − a²
      v128.store(q, f64x2.sub(one, f64x2.mul(a0, a0))); v128.store(q, f64x2.sub(one, f64x2.mul(a1, a1)), 16);
      v128.store(q, f64x2.sub(one, f64x2.mul(a2, a2)), 32); v128.store(q, f64x2.sub(one, f64x2.mul(a3, a3)), 48);
    }
  } else {
    for (let o: usize = 0; o < total; o += 16) {
      const z = v128.load(A1 + o);
      const pos = f64x2.gt(z, cv(C_ZERO));
      v128.store(A1 + o, v128.and(z, pos)); // relu: z > 0 ? z : 0
      if (wantG) v128.store(G1 + o, v128.and(cv(C_ONE), pos)); // relu' = z > 0 ? 1 : 0
    }
  }

}

/** Z2 = A1·W2ᵀ + b2 and, unless forward only, dZ2 and every gradient of the sub-block into G. */
@inline function backAndOut(
  args: usize, r0: i32, rows: i32, rowsP: i32, mode: i32, Xc: usize, XT: usize, A1: usize, G1: usize, dZ1: usize, G: usize,
  n: i32, hp: i32, np: i32, K: i32, W2: usize, b2: usize, Y: usize, idx: usize, Z2out: usize, scale: f64,
): void {
  const Z2 = dZ1 + <usize>(SB * hp) * 8;
  const dZ2 = Z2 + <usize>(SB * K) * 8;
  // Z2 = A1·W2ᵀ + b2 (mode 3: kept in the cache by the mode-2 pass), then dZ2 = (A2 − Y)·scale.
  const cacheZ2 = <usize>load<i32>(args + 4 * A_CACHEZ2) + <usize>(r0 * K) * 8;
  if (mode == 3) copyF64(Z2, cacheZ2, rows * K);
  for (let r = 0; r < (mode == 3 ? 0 : rowsP); r++) {
    const a = A1 + <usize>(r * hp) * 8;
    for (let k = 0; k < K; k++) {
      const w = W2 + <usize>(k * hp) * 8;
      let s0 = f64x2.splat(0), s1 = s0;
      for (let j = 0; j < hp; j += 4) {
        const o = <usize>j * 8;
        s0 = f64x2.add(s0, f64x2.mul(v128.load(a + o), v128.load(w + o)));
        s1 = f64x2.add(s1, f64x2.mul(v128.load(a + o, 16), v128.load(w + o, 16)));
      }
      const s = f64x2.add(s0, s1);
      store<f64>(Z2 + <usize>(r * K + k) * 8, load<f64>(b2 + <usize>k * 8) + (f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1)));
    }
  }
  if (mode == 1 || mode == 2) {
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < K; k++) store<f64>(Z2out + <usize>((r0 + r) * K + k) * 8, load<f64>(Z2 + <usize>(r * K + k) * 8));
    }
    if (mode == 2) copyF64(cacheZ2, Z2, rows * K);
    return;
  }
  for (let r = 0; r < rowsP; r++) {
    const z = Z2 + <usize>(r * K) * 8, d = dZ2 + <usize>(r * K) * 8;
    if (r >= rows) {
      for (let k = 0; k < K; k++) store<f64>(d + <usize>k * 8, 0);
      continue;
    }
    const i = load<i32>(idx + <usize>(r0 + r) * 4);
    const y = load<f64>(Y + <usize>i * 8);
    for (let k = 0; k < K; k++) store<f64>(Z2out + <usize>((r0 + r) * K + k) * 8, load<f64>(z + <usize>k * 8));
    if (K == 1) {
      const a2 = f64x2.extract_lane(vsigmoid(v128.load64_splat(z)), 0);
      store<f64>(d, scale * (a2 - y)); // dz2 = a2 − y, times the mean's 1/m
    } else {
      let mx = load<f64>(z);
      for (let k = 1; k < K; k++) mx = max(mx, load<f64>(z + <usize>k * 8));
      let sum = 0.0;
      for (let k = 0; k < K; k++) {
        const e = f64x2.extract_lane(vexp(f64x2.splat(load<f64>(z + <usize>k * 8) - mx)), 0);
        store<f64>(d + <usize>k * 8, e);
        sum += e;
      }
      const label = <i32>y;
      for (let k = 0; k < K; k++) {
        const p = load<f64>(d + <usize>k * 8) / sum;
        store<f64>(d + <usize>k * 8, scale * (p - (k == label ? 1.0 : 0.0)));
      }
    }
  }

  // dW2 += dZ2ᵀ·A1, db2 += Σ dZ2.
  const gW1 = G, gb1 = G + <usize>(hp * np) * 8, gW2 = gb1 + <usize>hp * 8, gb2 = gW2 + <usize>(K * hp) * 8;
  for (let k = 0; k < K; k++) {
    const gw = gW2 + <usize>(k * hp) * 8;
    for (let j = 0; j < hp; j += 4) {
      const o = <usize>j * 8;
      let s0 = v128.load(gw + o), s1 = v128.load(gw + o, 16);
      for (let r = 0; r < rowsP; r++) {
        const d = v128.load64_splat(dZ2 + <usize>(r * K + k) * 8);
        const a = A1 + <usize>(r * hp) * 8 + o;
        s0 = f64x2.add(s0, f64x2.mul(d, v128.load(a)));
        s1 = f64x2.add(s1, f64x2.mul(d, v128.load(a, 16)));
      }
      v128.store(gw + o, s0); v128.store(gw + o, s1, 16);
    }
    let s = load<f64>(gb2 + <usize>k * 8);
    for (let r = 0; r < rowsP; r++) s += load<f64>(dZ2 + <usize>(r * K + k) * 8);
    store<f64>(gb2 + <usize>k * 8, s);
  }

  // dZ1 = dZ2·W2 ∗ G1, db1 += Σ dZ1. dZ1 is written in panels of 4 units, row after row
  // (units j..j+3 of row r at ((j/4)·rowsP + r)·4), so that the product below reads it in order.
  const pstride = <usize>(rowsP * 4) * 8; // one panel
  for (let r = 0; r < rowsP; r++) {
    const row = <usize>(r * hp) * 8, prow = <usize>(r * 4) * 8;
    for (let j = 0; j < hp; j += 2) {
      const o = <usize>j * 8;
      let s = f64x2.splat(0);
      for (let k = 0; k < K; k++) {
        s = f64x2.add(s, f64x2.mul(v128.load64_splat(dZ2 + <usize>(r * K + k) * 8), v128.load(W2 + <usize>(k * hp) * 8 + o)));
      }
      const gp = mode == 3 ? derivativeFromA(v128.load(A1 + row + o), load<i32>(args + 4 * A_ACT)) : v128.load(G1 + row + o);
      v128.store(dZ1 + <usize>(j >> 2) * pstride + prow + <usize>(j & 3) * 8, f64x2.mul(s, gp));
    }
  }
  for (let j = 0; j < hp; j += 2) {
    const o = <usize>j * 8;
    const panel = dZ1 + <usize>(j >> 2) * pstride + <usize>(j & 3) * 8;
    let s = v128.load(gb1 + o);
    for (let r = 0; r < rowsP; r++) s = f64x2.add(s, v128.load(panel + <usize>(r * 4) * 8));
    v128.store(gb1 + o, s);
  }
  // The rows' features in panels of 4 features, row after row (features k..k+3 of row r at ((k/4)·rowsP + r)·4).
  for (let r = 0; r < rowsP; r++) {
    const src = Xc + <usize>(r * np) * 8, dst = XT + <usize>(r * 4) * 8;
    for (let k = 0; k < np; k += 4) {
      const at = dst + <usize>(k >> 2) * pstride, o = <usize>k * 8;
      v128.store(at, v128.load(src + o)); v128.store(at, v128.load(src + o, 16), 16);
    }
  }

  // dW1 += dZ1ᵀ·X_B, 4 hidden units × 4 features at a time, both read from their panels in order.
  const ns = <usize>np * 8;
  for (let j = 0; j < hp; j += 4) {
    for (let k = 0; k < np; k += 4) {
      const g0 = gW1 + <usize>(j * np + k) * 8, g1 = g0 + ns, g2 = g1 + ns, g3 = g2 + ns;
      let a00 = v128.load(g0), a01 = v128.load(g0, 16), a10 = v128.load(g1), a11 = v128.load(g1, 16);
      let a20 = v128.load(g2), a21 = v128.load(g2, 16), a30 = v128.load(g3), a31 = v128.load(g3, 16);
      let xp = XT + <usize>(k >> 2) * pstride, dp = dZ1 + <usize>(j >> 2) * pstride;
      const end = xp + pstride;
      while (xp < end) {
        const x0 = v128.load(xp), x1 = v128.load(xp, 16);
        const d0 = v128.load64_splat(dp), d1 = v128.load64_splat(dp, 8);
        a00 = f64x2.add(a00, f64x2.mul(d0, x0)); a01 = f64x2.add(a01, f64x2.mul(d0, x1));
        a10 = f64x2.add(a10, f64x2.mul(d1, x0)); a11 = f64x2.add(a11, f64x2.mul(d1, x1));
        const d2 = v128.load64_splat(dp, 16), d3 = v128.load64_splat(dp, 24);
        a20 = f64x2.add(a20, f64x2.mul(d2, x0)); a21 = f64x2.add(a21, f64x2.mul(d2, x1));
        a30 = f64x2.add(a30, f64x2.mul(d3, x0)); a31 = f64x2.add(a31, f64x2.mul(d3, x1));
        xp += 32; dp += 32;
      }
      v128.store(g0, a00); v128.store(g0, a01, 16); v128.store(g1, a10); v128.store(g1, a11, 16);
      v128.store(g2, a20); v128.store(g2, a21, 16); v128.store(g3, a30); v128.store(g3, a31, 16);
    }
  }
}

/**
 * out[i] = Σ_c src[c·stride + i] for i < len, chunks added in order 0, 1, …: the fixed
 * order that makes the batch gradient independent of which thread ran which chunk.
 */
export function sumChunks(src: usize, chunks: i32, stride: i32, len: i32, out: usize): void {
  const bytes = <usize>len * 8;
  memory.copy(out, src, bytes);
  for (let c = 1; c < chunks; c++) {
    const s = src + <usize>(c * stride) * 8;
    let o: usize = 0;
    for (; o + 16 <= bytes; o += 16) v128.store(out + o, f64x2.add(v128.load(out + o), v128.load(s + o)));
    for (; o < bytes; o += 8) store<f64>(out + o, load<f64>(out + o) + load<f64>(s + o));
  }
}

/**
 * The forward pass of one example x (n features) at θ = [W1 h×n | b1 h | W2 h | b2]: z1, a1 = g(z1)
 * and g'(z1) into scratch (3·(h + 2) f64: z1 | a1 | g'), returns z2 (sampleStep's forward).
 */
@inline function sampleForward(theta: usize, n: i32, h: i32, act: i32, x: usize, scratch: usize): f64 {
  const W1 = theta, b1 = theta + <usize>(h * n) * 8, W2 = b1 + <usize>h * 8, b2 = W2 + <usize>h * 8;
  const z1 = scratch, a1 = z1 + <usize>(h + 2) * 8, gp = a1 + <usize>(h + 2) * 8;
  const nv = n & ~1, ns = <usize>n * 8;
  // z1 = W1·x + b1: four rows at a time (independent sums), features in pairs, then the odd one
  let j = 0;
  for (; j + 4 <= h; j += 4) {
    const r0 = W1 + <usize>j * ns, r1 = r0 + ns, r2 = r1 + ns, r3 = r2 + ns;
    let s0 = f64x2.splat(0), s1 = s0, s2 = s0, s3 = s0;
    for (let k = 0; k < nv; k += 2) {
      const o = <usize>k * 8;
      const xv = v128.load(x + o);
      s0 = f64x2.add(s0, f64x2.mul(v128.load(r0 + o), xv));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(r1 + o), xv));
      s2 = f64x2.add(s2, f64x2.mul(v128.load(r2 + o), xv));
      s3 = f64x2.add(s3, f64x2.mul(v128.load(r3 + o), xv));
    }
    // each row's two lanes added, two rows side by side (lane 0 + lane 1 of s_j: the sum over even
    // features plus the sum over odd ones), then the odd feature, then b1; stored as the vectors the
    // activation loop loads (a vector load of scalar stores waits until they are written out)
    let t01 = f64x2.add(v128.shuffle<f64>(s0, s1, 0, 2), v128.shuffle<f64>(s0, s1, 1, 3));
    let t23 = f64x2.add(v128.shuffle<f64>(s2, s3, 0, 2), v128.shuffle<f64>(s2, s3, 1, 3));
    if (nv < n) {
      const xo = f64x2.splat(load<f64>(x + <usize>nv * 8)), o = <usize>nv * 8;
      t01 = f64x2.add(t01, f64x2.mul(f64x2.replace_lane(f64x2.splat(load<f64>(r0 + o)), 1, load<f64>(r1 + o)), xo));
      t23 = f64x2.add(t23, f64x2.mul(f64x2.replace_lane(f64x2.splat(load<f64>(r2 + o)), 1, load<f64>(r3 + o)), xo));
    }
    const bj = b1 + <usize>j * 8, zj = z1 + <usize>j * 8;
    v128.store(zj, f64x2.add(v128.load(bj), t01));
    v128.store(zj, f64x2.add(v128.load(bj, 16), t23), 16);
  }
  for (; j < h; j++) {
    const r = W1 + <usize>j * ns;
    let s = f64x2.splat(0);
    for (let k = 0; k < nv; k += 2) s = f64x2.add(s, f64x2.mul(v128.load(r + <usize>k * 8), v128.load(x + <usize>k * 8)));
    let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    if (nv < n) t += load<f64>(r + <usize>nv * 8) * load<f64>(x + <usize>nv * 8);
    store<f64>(z1 + <usize>j * 8, load<f64>(b1 + <usize>j * 8) + t);
  }
  store<f64>(z1 + <usize>h * 8, 0); // the pair's spare lane
  // a1 = g(z1), gp = g'(z1), in pairs (independent: their chains overlap)
  for (let o: usize = 0; o < <usize>h * 8; o += 16) activatePair(v128.load(z1 + o), act, a1 + o, gp + o);
  // z2 = W2·a1 + b2
  const hv = h & ~1;
  let s = f64x2.splat(0);
  for (let o: usize = 0; o < <usize>hv * 8; o += 16) s = f64x2.add(s, f64x2.mul(v128.load(W2 + o), v128.load(a1 + o)));
  let z2 = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  if (hv < h) z2 += load<f64>(W2 + <usize>hv * 8) * load<f64>(a1 + <usize>hv * 8);
  z2 += load<f64>(b2);
  return z2;
}

/** a = g(z) and g'(z) of a pair, stored at a1 and gp. */
@inline function activatePair(z: v128, act: i32, a1: usize, gp: usize): void {
  let a: v128, d: v128;
  if (act == 0) { a = vsigmoid(z); d = f64x2.mul(a, f64x2.sub(cv(C_ONE), a)); }
  else if (act == 1) { a = vtanh(z); d = f64x2.sub(cv(C_ONE), f64x2.mul(a, a)); }
  else { const pos = f64x2.gt(z, cv(C_ZERO)); a = v128.and(z, pos); d = v128.and(cv(C_ONE), pos); }
  v128.store(a1, a);
  v128.store(gp, d);
}

/**
 * The update of one example's step, from src (θ before it) into dst (P = h·n + 2h + 1 entries,
 * θ's layout; dst ≠ src): dst = src + Δ, Δ = −lr·g with
 *   dW2 = dz2·a1ᵀ, db2 = dz2, dz1 = W2ᵀ·dz2 ∗ g'(z1) (W2 of src), dW1 = dz1·xᵀ, db1 = dz1;
 * with keep, g and Δ also into grad and delta. Returns the sum of dst's entries times 0:
 * 0 when every entry of dst is finite, NaN otherwise (the check without a pass of its own).
 */
@inline function sampleUpdate(
  src: usize, dst: usize, n: i32, h: i32, lr: f64, dz2: f64, x: usize, a1: usize, gp: usize,
  keep: bool, grad: usize, delta: usize,
): f64 {
  const P = h * n + 2 * h + 1;
  const W1 = src, b1 = src + <usize>(h * n) * 8, W2 = b1 + <usize>h * 8, b2 = W2 + <usize>h * 8;
  const shift = dst - src; // dst's entry = src's entry + shift
  const nv = n & ~1, ns = <usize>n * 8;
  const m = -lr;
  const mv = f64x2.splat(m);
  const zero = cv(C_ZERO);
  let c0 = zero, c1 = zero; // Σ dst·0, two independent sums
  const nb2 = load<f64>(b2) + m * dz2; // db2 = dz2
  store<f64>(b2 + shift, nb2);
  let cs = nb2 * 0;
  if (keep) { store<f64>(grad + <usize>(P - 1) * 8, dz2); store<f64>(delta + <usize>(P - 1) * 8, m * dz2); }
  for (let i = 0; i < h; i++) {
    const w2p = W2 + <usize>i * 8, w2 = load<f64>(w2p), a = load<f64>(a1 + <usize>i * 8);
    const dz1 = w2 * dz2 * load<f64>(gp + <usize>i * 8); // W2 before its update
    const gw2 = dz2 * a;
    const nw2 = w2 + m * gw2; // dW2 = dz2·a1ᵀ
    store<f64>(w2p + shift, nw2);
    const b1p = b1 + <usize>i * 8;
    const nb1 = load<f64>(b1p) + m * dz1; // db1 = dz1
    store<f64>(b1p + shift, nb1);
    cs += nw2 * 0 + nb1 * 0;
    if (keep) {
      const oW2 = <usize>(h * n + h + i) * 8, ob1 = <usize>(h * n + i) * 8;
      store<f64>(grad + oW2, gw2); store<f64>(delta + oW2, m * gw2);
      store<f64>(grad + ob1, dz1); store<f64>(delta + ob1, m * dz1);
    }
    const row = W1 + <usize>i * ns, dv = f64x2.splat(dz1);
    let k = 0;
    for (; k + 4 <= nv; k += 4) { // dW1 = dz1·xᵀ, two pairs at a time
      const o = row + <usize>k * 8;
      const g0 = f64x2.mul(dv, v128.load(x + <usize>k * 8)), d0 = f64x2.mul(mv, g0);
      const g1 = f64x2.mul(dv, v128.load(x + <usize>k * 8, 16)), d1 = f64x2.mul(mv, g1);
      const t0 = f64x2.add(v128.load(o), d0), t1 = f64x2.add(v128.load(o, 16), d1);
      v128.store(o + shift, t0); v128.store(o + shift, t1, 16);
      c0 = f64x2.add(c0, f64x2.mul(t0, zero)); c1 = f64x2.add(c1, f64x2.mul(t1, zero));
      if (keep) {
        const go = o - src;
        v128.store(grad + go, g0); v128.store(delta + go, d0);
        v128.store(grad + go, g1, 16); v128.store(delta + go, d1, 16);
      }
    }
    for (; k < nv; k += 2) {
      const o = row + <usize>k * 8;
      const g = f64x2.mul(dv, v128.load(x + <usize>k * 8)), d = f64x2.mul(mv, g);
      const t = f64x2.add(v128.load(o), d);
      v128.store(o + shift, t);
      c0 = f64x2.add(c0, f64x2.mul(t, zero));
      if (keep) { const go = o - src; v128.store(grad + go, g); v128.store(delta + go, d); }
    }
    if (nv < n) {
      const o = row + <usize>nv * 8, g = dz1 * load<f64>(x + <usize>nv * 8), d = m * g;
      const t = load<f64>(o) + d;
      store<f64>(o + shift, t);
      cs += t * 0;
      if (keep) { const go = o - src; store<f64>(grad + go, g); store<f64>(delta + go, d); }
    }
  }
  const c = f64x2.add(c0, c1);
  return cs + (f64x2.extract_lane(c, 0) + f64x2.extract_lane(c, 1));
}

/** Index of the first entry of a[0..len) that is not finite, or −1. */
function firstNonFiniteF64(a: usize, len: i32): i32 {
  for (let i = 0; i < len; i++) if (!isFinite(load<f64>(a + <usize>i * 8))) return i;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// One example, plain SGD (the per-example path for larger networks): θ = [W1 h×n | b1 h | W2 h | b2]
// (K = 1) in place,
//   z1 = W1·x + b1, a1 = g(z1), z2 = W2·a1 + b2, dz2 = σ(z2) − y,
//   dW2 = dz2·a1ᵀ, db2 = dz2, dz1 = W2ᵀ·dz2 ∗ g'(z1) (W2 before the update), dW1 = dz1·xᵀ, db1 = dz1,
//   θ := θ + Δ, Δ = −α·g.
// mode 0: prev ← θ, then the update; when an entry of the new θ is not finite, θ ← prev and
//         status[0] = its index (else −1).
// mode 1: the gradient and Δ only, into grad and delta (θ untouched).
// mode 2: mode 0, and the gradient and Δ into grad and delta as mode 1 computes them.
// Returns z2; when it is not finite nothing else is done. scratch: 3·(h + 2) f64.

export function sampleStep(
  theta: usize, n: i32, h: i32, act: i32, lr: f64, x: usize, y: f64,
  prev: usize, grad: usize, delta: usize, scratch: usize, status: usize, constsAt: usize, mode: i32,
): f64 {
  consts = constsAt;
  const W1 = theta, b1 = theta + <usize>(h * n) * 8, W2 = b1 + <usize>h * 8, b2 = W2 + <usize>h * 8;
  const P = h * n + 2 * h + 1;
  const a1 = scratch + <usize>(h + 2) * 8, gp = a1 + <usize>(h + 2) * 8;
  const nv = n & ~1, ns = <usize>n * 8;
  const z2 = sampleForward(theta, n, h, act, x, scratch);
  if (!isFinite(z2) || !isFinite(y)) return z2;
  const dz2 = f64x2.extract_lane(vsigmoid(f64x2.splat(z2)), 0) - y; // dz2 = a2 − y
  const m = -lr;
  const mv = f64x2.splat(m);
  if (mode == 1) {
    // g and Δ = −α·g, θ's layout
    store<f64>(grad + <usize>(P - 1) * 8, dz2); store<f64>(delta + <usize>(P - 1) * 8, m * dz2);
    for (let i = 0; i < h; i++) {
      const dz1 = load<f64>(W2 + <usize>i * 8) * dz2 * load<f64>(gp + <usize>i * 8);
      const oW2 = <usize>(h * n + h + i) * 8, ob1 = <usize>(h * n + i) * 8;
      const gw2 = dz2 * load<f64>(a1 + <usize>i * 8);
      store<f64>(grad + oW2, gw2); store<f64>(delta + oW2, m * gw2);
      store<f64>(grad + ob1, dz1); store<f64>(delta + ob1, m * dz1);
      const row = <usize>i * ns, dv = f64x2.splat(dz1);
      for (let k = 0; k < nv; k += 2) {
        const o = row + <usize>k * 8;
        const g = f64x2.mul(dv, v128.load(x + <usize>k * 8));
        v128.store(grad + o, g); v128.store(delta + o, f64x2.mul(mv, g));
      }
      if (nv < n) {
        const o = row + <usize>nv * 8, g = dz1 * load<f64>(x + <usize>nv * 8);
        store<f64>(grad + o, g); store<f64>(delta + o, m * g);
      }
    }
    return z2;
  }
  copyF64(prev, theta, P);
  // θ := θ + Δ, read from prev (θ before the step), written into θ
  const cs = sampleUpdate(prev, theta, n, h, lr, dz2, x, a1, gp, mode == 2, grad, delta);
  let bad: i32 = -1;
  if (cs != 0) {
    bad = firstNonFiniteF64(theta, P);
    copyF64(theta, prev, P);
  }
  store<i32>(status, bad);
  return z2;
}

/**
 * Steps of plain SGD over rows order[from .. from+count) of the data set X (m×n row-major),
 * Y, one after another, each exactly as sampleStep in mode 0 (the same bits as that many
 * calls). Stops before a step whose z2 or label is not finite (θ untouched) and after one
 * whose new θ has a non-finite entry (θ restored from prev, status[0] its index); returns
 * how many steps were applied (count when none stopped it). prev holds θ before the last
 * applied step when none stopped it or a z2 did (after a non-finite θ: left as it is, the
 * repeated step rewrites it). alt: P f64 of scratch for θ.
 */
export function sampleRun(
  theta: usize, n: i32, h: i32, act: i32, lr: f64, X: usize, Y: usize, order: usize, from: i32, count: i32,
  prev: usize, alt: usize, scratch: usize, status: usize, constsAt: usize,
): i32 {
  consts = constsAt;
  const P = h * n + 2 * h + 1;
  const a1 = scratch + <usize>(h + 2) * 8, gp = a1 + <usize>(h + 2) * 8;
  // θ in two buffers, theta and alt, in turn: each step reads θ from src and writes the new θ into dst,
  // so θ before the step stays where it was (no copy per step; a non-finite result is simply dropped).
  let src = theta, dst = alt;
  let done = 0, bad = -1;
  for (; done < count; done++) {
    const i = load<i32>(order + <usize>(from + done) * 4);
    const y = load<f64>(Y + <usize>i * 8);
    const x = X + <usize>(i * n) * 8;
    const z2 = sampleForward(src, n, h, act, x, scratch);
    if (!isFinite(z2) || !isFinite(y)) break;
    const dz2 = f64x2.extract_lane(vsigmoid(f64x2.splat(z2)), 0) - y; // dz2 = a2 − y
    if (sampleUpdate(src, dst, n, h, lr, dz2, x, a1, gp, false, 0, 0) != 0) {
      bad = firstNonFiniteF64(dst, P);
      break;
    }
    const t = src; src = dst; dst = t;
  }
  store<i32>(status, bad);
  if (bad >= 0) {
    if (src != theta) copyF64(theta, src, P); // θ after the steps applied; prev is rewritten by the step that repeats this one
  } else if (done > 0) {
    // src: θ now; dst: θ before the last step
    if (src == theta) copyF64(prev, dst, P);
    else { copyF64(prev, theta, P); copyF64(theta, src, P); }
  }
  return done;
}

/** dst[0..len) = src[0..len) (a loop: for a few hundred bytes it costs less than memory.copy's call). */
@inline function copyF64(dst: usize, src: usize, len: i32): void {
  if (len > 512) {
    memory.copy(dst, src, <usize>len * 8);
    return;
  }
  const bytes = <usize>len * 8, v = bytes & ~15;
  for (let o: usize = 0; o < v; o += 16) v128.store(dst + o, v128.load(src + o));
  if (v < bytes) store<f64>(dst + v, load<f64>(src + v));
}
