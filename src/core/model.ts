/**
 * The model file: config, feature names, standardisation statistics and the
 * parameters, in one documented JSON form. The CLI's --save writes it, --model
 * and predict read it, and the extension's Export/Import Model use it.
 *
 * Version 2 (written):
 * {
 *   "format": "backprop-lens-model", "version": 2,
 *   "kind": "binary" | "softmax",
 *   "classes": ["setosa", "versicolor", "virginica"],   (binary: [class 0, class 1])
 *   "config": { ...every training setting },
 *   "features": ["x1", "island=Biscoe", …],              (the network's n inputs)
 *   "columns": [{ "name": "x1", "type": "number" },
 *               { "name": "island", "type": "category", "categories": ["Biscoe", "Dream", …] }],
 *   "label": "label",
 *   "standardization": { "mean": [..n], "std": [..n] } | null,
 *   "params": { "W1": { "shape": [h, n], "data": [row-major h·n] }, "b1": {..[h, 1]},
 *               "W2": {..[K, h]}, "b2": {..[K, 1]} }          (K = 1 for "binary")
 * }
 * Version 1 (still read): no "kind", "classes" or "columns": a binary network on numeric
 * columns named by "features", classes "0" and "1".
 */
import { Network, PARAM_NAMES, layout, paramCount } from './network';
import type { TrainConfig } from './config';
import { validateConfig } from './settings';

/** A source column of the data file and how it becomes inputs: itself, or one input per category (`column=value`). */
export type ColumnEncoding =
  | { name: string; type: 'number' }
  | { name: string; type: 'category'; categories: string[] };

export interface Model {
  config: TrainConfig;
  /** The network's inputs, in order (a categorical column gives one `column=value` per category). */
  features: string[];
  label: string;
  standardization: { mean: number[]; std: number[] } | null;
  theta: Float64Array;
  /** Class names in output order; absent: ["0", "1"]. Binary: [class 0, class 1]. */
  classes?: string[];
  /** The source columns and their encoding; absent: every feature a numeric column of that name. */
  columns?: ColumnEncoding[];
}

export const MODEL_FORMAT = 'backprop-lens-model';

/** Outputs of the model's network: 1 for two classes (sigmoid), K for K ≥ 3 classes (softmax). */
export function outputsOf(classes: readonly string[] | undefined): number {
  return classes && classes.length > 2 ? classes.length : 1;
}

export function modelToJson(m: Model): string {
  const n = m.features.length,
    h = m.config.hidden;
  const classes = m.classes ?? ['0', '1'];
  const K = outputsOf(classes);
  const columns = m.columns ?? m.features.map((name) => ({ name, type: 'number' as const }));
  if (m.theta.length !== paramCount(n, h, K)) {
    throw new Error(
      `θ has ${m.theta.length} entries; ${classes.length} classes, ${n} inputs and ${h} hidden units need ${paramCount(n, h, K)} (pass the run's classes and column encoding)`,
    );
  }
  const params: Record<string, { shape: [number, number]; data: number[] }> = {};
  for (const b of layout(n, h, K))
    params[b.name] = {
      shape: [b.rows, b.cols],
      data: Array.from(m.theta.subarray(b.offset, b.offset + b.rows * b.cols)),
    };
  return (
    JSON.stringify(
      {
        format: MODEL_FORMAT,
        version: 2,
        kind: K > 1 ? 'softmax' : 'binary',
        classes,
        config: m.config,
        features: m.features,
        columns,
        label: m.label,
        standardization: m.standardization,
        params,
      },
      null,
      2,
    ) + '\n'
  );
}

/** The inputs a list of column encodings gives, in order. */
export function inputsOf(columns: readonly ColumnEncoding[]): string[] {
  return columns.flatMap((c) => (c.type === 'number' ? [c.name] : c.categories.map((v) => `${c.name}=${v}`)));
}

function readV2(
  obj: Record<string, unknown>,
  features: string[],
): { classes: string[]; columns: ColumnEncoding[] } {
  const classes = obj.classes;
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string'))
    throw new Error('"classes" must be an array of at least two class names');
  if (new Set(classes).size !== classes.length) throw new Error('"classes" names a class twice');
  const kind = obj.kind;
  const want = classes.length > 2 ? 'softmax' : 'binary';
  if (kind !== want)
    throw new Error(
      `"kind" must be ${JSON.stringify(want)} for ${classes.length} classes, got ${JSON.stringify(kind)}`,
    );
  const cols = obj.columns;
  if (!Array.isArray(cols)) throw new Error('"columns" must be an array of {"name", "type"} objects');
  const columns: ColumnEncoding[] = cols.map((c: unknown, i) => {
    const o = c as Record<string, unknown> | null;
    if (!o || typeof o !== 'object' || typeof o.name !== 'string')
      throw new Error(`"columns" entry ${i + 1} needs a "name" string`);
    if (o.type === 'number') return { name: o.name, type: 'number' };
    if (
      o.type === 'category' &&
      Array.isArray(o.categories) &&
      o.categories.length > 0 &&
      o.categories.every((v) => typeof v === 'string')
    ) {
      return { name: o.name, type: 'category', categories: [...(o.categories as string[])] };
    }
    throw new Error(
      `"columns" entry ${i + 1} must have "type" "number", or "category" with a non-empty "categories" array of strings`,
    );
  });
  const inputs = inputsOf(columns);
  if (inputs.length !== features.length || inputs.some((f, i) => f !== features[i]))
    throw new Error('"features" must be the inputs "columns" give, in order');
  return { classes: classes as string[], columns };
}

/** Parse and validate a model file; throws Error with a message that names the bad field. */
export function modelFromJson(text: string): Model {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  const obj = o as Record<string, unknown>;
  if (!obj || typeof obj !== 'object' || obj.format !== MODEL_FORMAT)
    throw new Error(`not a Backprop Lens model (expected "format": "${MODEL_FORMAT}")`);
  if (obj.version !== 1 && obj.version !== 2)
    throw new Error(`unsupported model version ${JSON.stringify(obj.version)} (this version reads 1 and 2)`);
  const features = obj.features;
  if (!Array.isArray(features) || features.length < 1 || !features.every((f) => typeof f === 'string'))
    throw new Error('"features" must be a non-empty array of column names');
  if (typeof obj.label !== 'string') throw new Error('"label" must be a string');
  const seen = new Map<string, number>();
  (features as string[]).forEach((f, i) => {
    const before = seen.get(f);
    if (before !== undefined)
      throw new Error(
        `"features" names the column ${JSON.stringify(f)} twice (entries ${before + 1} and ${i + 1}); feature names must be unique`,
      );
    seen.set(f, i);
  });
  if (seen.has(obj.label))
    throw new Error(`"label" ${JSON.stringify(obj.label)} is also one of the "features"`);
  const config = obj.config as TrainConfig;
  try {
    validateConfig(config, 1);
  } catch (e) {
    throw new Error(`"config": ${(e as Error).message}`);
  }
  const { classes, columns } =
    obj.version === 2
      ? readV2(obj, features as string[])
      : {
          classes: ['0', '1'],
          columns: (features as string[]).map((name) => ({ name, type: 'number' as const })),
        };
  const K = outputsOf(classes);
  const n = features.length,
    h = config.hidden;
  const theta = new Float64Array(paramCount(n, h, K));
  const params = obj.params as Record<string, { shape?: unknown; data?: unknown }> | undefined;
  if (!params || typeof params !== 'object') throw new Error('"params" is missing');
  for (const b of layout(n, h, K)) {
    const p = params[b.name];
    const shape = p?.shape;
    if (!Array.isArray(shape) || shape[0] !== b.rows || shape[1] !== b.cols)
      throw new Error(
        `"params.${b.name}.shape" must be [${b.rows}, ${b.cols}] for ${n} features, ${h} hidden units${K > 1 ? ` and ${K} classes` : ''}`,
      );
    const data = p.data;
    if (
      !Array.isArray(data) ||
      data.length !== b.rows * b.cols ||
      !data.every((v) => typeof v === 'number' && Number.isFinite(v))
    ) {
      throw new Error(`"params.${b.name}.data" must hold ${b.rows * b.cols} finite numbers`);
    }
    theta.set(data as number[], b.offset);
  }
  for (const k of Object.keys(params))
    if (!(PARAM_NAMES as readonly string[]).includes(k))
      throw new Error(`"params.${k}" is not a parameter of this network`);
  let standardization: Model['standardization'] = null;
  const s = obj.standardization as { mean?: unknown; std?: unknown } | null | undefined;
  if (s) {
    const okArr = (a: unknown) =>
      Array.isArray(a) && a.length === n && a.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!okArr(s.mean) || !okArr(s.std) || !(s.std as number[]).every((v) => v > 0))
      throw new Error(`"standardization" must have "mean" and positive "std" arrays of ${n} numbers`);
    standardization = { mean: s.mean as number[], std: s.std as number[] };
  }
  return {
    config,
    features: features as string[],
    label: obj.label,
    standardization,
    theta,
    classes,
    columns,
  };
}

/** ŷ = a2 for each row of X (m×n, raw features: standardised here with the model's statistics). K = 1: m values σ(z2); K ≥ 3: m×K probabilities, row-major. */
export function predict(model: Model, X: Float64Array, m: number): Float64Array {
  const n = model.features.length;
  const K = outputsOf(model.classes);
  const net = new Network(n, model.config.hidden, model.config.activation, model.theta.slice(), K);
  const x = new Float64Array(n);
  const out = new Float64Array(m * K);
  const s = model.standardization;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) x[j] = s ? (X[i * n + j] - s.mean[j]) / s.std[j] : X[i * n + j];
    net.forward(x, 0);
    if (K > 1) out.set(net.a2k, i * K);
    else out[i] = net.a2;
  }
  return out;
}

/** The probability of every class (in the order of classes) from predict's output for row i. */
export function classProbabilities(p: Float64Array, i: number, classes: readonly string[]): number[] {
  const K = outputsOf(classes);
  return K > 1 ? Array.from(p.subarray(i * K, i * K + K)) : [1 - p[i], p[i]];
}
