/**
 * From a read table to training data: a seeded train/test split and optional
 * z-score standardisation x' = (x − μ) / σ with μ, σ from the training rows only
 * (σ = 1 for a constant column). The statistics stay with the model, so that
 * predictions on new files standardise the same way.
 */
import { Rng } from '../core/rng';
import type { TrainData } from '../core/trainer';
import { DatasetError, type Quoting, quoteAs } from './errors';
import type { Table } from './table';

export interface Standardization {
  mean: number[];
  std: number[];
}

export interface PrepareOptions {
  /** Fraction of rows held out for testing, in [0, 1); 0 trains on every row. */
  split: number;
  seed: number;
  standardize: boolean;
}

export interface Prepared {
  train: TrainData;
  test: TrainData;
  /** Indices into the table's rows. */
  trainRows: Int32Array;
  testRows: Int32Array;
  standardization: Standardization | null;
  /** What the user should know before training on this split (e.g. a training split with one class), as sentences. */
  warnings: string[];
}

/** The split's own stream: a fixed offset of the seed, so it does not consume the trainer's. */
const SPLIT_STREAM = 0x2545f491;

export function splitRows(
  m: number,
  testFraction: number,
  seed: number,
): { train: Int32Array; test: Int32Array } {
  if (!(testFraction >= 0 && testFraction < 1))
    throw new RangeError(`split must be in [0, 1), got ${testFraction}`);
  const order = Int32Array.from({ length: m }, (_, i) => i);
  const mTest = Math.min(m - 1, Math.round(m * testFraction));
  if (mTest > 0) new Rng((seed ^ SPLIT_STREAM) | 0).shuffle(order);
  return { test: order.slice(0, mTest).sort(), train: order.slice(mTest).sort() };
}

export function computeStandardization(
  X: Float64Array,
  n: number,
  rows: Int32Array,
  names: string[],
  quoting: Quoting,
): Standardization {
  const mean = new Array<number>(n).fill(0);
  const m2 = new Array<number>(n).fill(0);
  let k = 0;
  for (const r of rows) {
    k++;
    for (let j = 0; j < n; j++) {
      const x = X[r * n + j];
      const d = x - mean[j]; // Welford's update
      mean[j] += d / k;
      m2[j] += d * (x - mean[j]);
    }
  }
  const std = m2.map((s) => Math.sqrt(s / Math.max(1, k)));
  for (let j = 0; j < n; j++) {
    if (!Number.isFinite(mean[j]) || !Number.isFinite(std[j])) {
      throw new DatasetError(
        1,
        `column ${quoteAs(quoting, names[j])} has values too large to standardise (their mean or spread overflows a double); rescale the column or turn standardisation off`,
      );
    }
    if (std[j] === 0) std[j] = 1;
  }
  return { mean, std };
}

/** Rows `rows` of X, standardised with s when given, as a new m×n matrix. */
export function gather(
  X: Float64Array,
  Y: Float64Array,
  n: number,
  rows: Int32Array,
  s: Standardization | null,
  K = 1,
): TrainData {
  const m = rows.length;
  const Xo = new Float64Array(m * n),
    Yo = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const r = rows[i];
    for (let j = 0; j < n; j++) {
      const x = X[r * n + j];
      Xo[i * n + j] = s ? (x - s.mean[j]) / s.std[j] : x;
    }
    Yo[i] = Y[r];
  }
  return K > 1 ? { X: Xo, Y: Yo, m, n, K } : { X: Xo, Y: Yo, m, n };
}

export function prepare(t: Table, o: PrepareOptions): Prepared {
  const { train: trainRows, test: testRows } = splitRows(t.m, o.split, o.seed);
  const standardization = o.standardize
    ? computeStandardization(t.X, t.n, trainRows, t.featureNames, t.quoting)
    : null;
  return {
    train: gather(t.X, t.Y, t.n, trainRows, standardization, t.K),
    test: gather(t.X, t.Y, t.n, testRows, standardization, t.K),
    trainRows,
    testRows,
    standardization,
    warnings: splitWarnings(t, trainRows, testRows),
  };
}

/** A training split that holds one class only: the network would learn a constant (the split is seeded, so it happens every time). */
function splitWarnings(t: Table, trainRows: Int32Array, testRows: Int32Array): string[] {
  if (t.classes.length > 2 || (t.classes.length === 2 && !(t.classes[0] === '0' && t.classes[1] === '1'))) {
    const counts = classCounts(t.Y, trainRows, Math.max(2, t.classes.length));
    const absent = t.classes.filter((_, k) => counts[k] === 0);
    if (absent.length === 0) return [];
    const k = trainRows.length;
    return [
      `the training split (${k} row${k === 1 ? '' : 's'}, ${testRows.length} held out for testing) has no row of class${absent.length > 1 ? 'es' : ''} ${absent
        .slice(0, 5)
        .map((c) => quoteAs(t.quoting, c, 30))
        .join(
          ', ',
        )}${absent.length > 5 ? ', …' : ''} in column ${quoteAs(t.quoting, t.labelName)}; the network cannot learn ${absent.length > 1 ? 'them' : 'it'} — use a smaller test split or more rows`,
    ];
  }
  let ones = 0;
  for (const r of trainRows) ones += t.Y[r];
  if (ones !== 0 && ones !== trainRows.length) return [];
  const k = trainRows.length;
  return [
    `the training split has only label ${ones === 0 ? 0 : 1} in column ${quoteAs(t.quoting, t.labelName)} (${k} row${k === 1 ? '' : 's'}, ${testRows.length} held out for testing); the network cannot learn to tell the classes apart — use a smaller test split or more rows`,
  ];
}

/** How many of the rows have each class 0..K−1 (binary: K = 2). */
export function classCounts(Y: Float64Array, rows: Int32Array | null, K: number): number[] {
  const c = new Array<number>(K).fill(0);
  if (rows) for (const r of rows) c[Y[r]]++;
  else for (let i = 0; i < Y.length; i++) c[Y[i]]++;
  return c;
}
