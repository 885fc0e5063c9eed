/**
 * The model file: config, feature names, standardisation statistics and the
 * parameters, in one documented JSON form. The CLI's --save writes it, --model
 * and predict read it, and the extension's Export/Import Model use it.
 *
 * {
 *   "format": "backprop-lens-model", "version": 1,
 *   "config": { ...every training setting },
 *   "features": ["x1", "x2"], "label": "label",
 *   "standardization": { "mean": [..n], "std": [..n] } | null,
 *   "params": { "W1": { "shape": [h, n], "data": [row-major h·n] }, "b1": {..[h, 1]},
 *               "W2": {..[1, h]}, "b2": {..[1, 1]} }
 * }
 */
import { Network, PARAM_NAMES, layout, paramCount } from './network';
import type { TrainConfig } from './config';
import { validateConfig } from './settings';

export interface Model {
  config: TrainConfig;
  features: string[];
  label: string;
  standardization: { mean: number[]; std: number[] } | null;
  theta: Float64Array;
}

export const MODEL_FORMAT = 'backprop-lens-model';

export function modelToJson(m: Model): string {
  const n = m.features.length, h = m.config.hidden;
  const params: Record<string, { shape: [number, number]; data: number[] }> = {};
  for (const b of layout(n, h)) params[b.name] = { shape: [b.rows, b.cols], data: Array.from(m.theta.subarray(b.offset, b.offset + b.rows * b.cols)) };
  return JSON.stringify({ format: MODEL_FORMAT, version: 1, config: m.config, features: m.features, label: m.label, standardization: m.standardization, params }, null, 2) + '\n';
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
  if (!obj || typeof obj !== 'object' || obj.format !== MODEL_FORMAT) throw new Error(`not a Backprop Lens model (expected "format": "${MODEL_FORMAT}")`);
  if (obj.version !== 1) throw new Error(`unsupported model version ${JSON.stringify(obj.version)} (this version reads 1)`);
  const features = obj.features;
  if (!Array.isArray(features) || features.length < 1 || !features.every((f) => typeof f === 'string')) throw new Error('"features" must be a non-empty array of column names');
  if (typeof obj.label !== 'string') throw new Error('"label" must be a string');
  const seen = new Map<string, number>();
  (features as string[]).forEach((f, i) => {
    const before = seen.get(f);
    if (before !== undefined) throw new Error(`"features" names the column ${JSON.stringify(f)} twice (entries ${before + 1} and ${i + 1}); feature names must be unique`);
    seen.set(f, i);
  });
  if (seen.has(obj.label)) throw new Error(`"label" ${JSON.stringify(obj.label)} is also one of the "features"`);
  const config = obj.config as TrainConfig;
  try {
    validateConfig(config, 1);
  } catch (e) {
    throw new Error(`"config": ${(e as Error).message}`);
  }
  const n = features.length, h = config.hidden;
  const theta = new Float64Array(paramCount(n, h));
  const params = obj.params as Record<string, { shape?: unknown; data?: unknown }> | undefined;
  if (!params || typeof params !== 'object') throw new Error('"params" is missing');
  for (const b of layout(n, h)) {
    const p = params[b.name];
    const shape = p?.shape;
    if (!Array.isArray(shape) || shape[0] !== b.rows || shape[1] !== b.cols) throw new Error(`"params.${b.name}.shape" must be [${b.rows}, ${b.cols}] for ${n} features and ${h} hidden units`);
    const data = p.data;
    if (!Array.isArray(data) || data.length !== b.rows * b.cols || !data.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`"params.${b.name}.data" must hold ${b.rows * b.cols} finite numbers`);
    }
    theta.set(data as number[], b.offset);
  }
  for (const k of Object.keys(params)) if (!(PARAM_NAMES as readonly string[]).includes(k)) throw new Error(`"params.${k}" is not a parameter of this network`);
  let standardization: Model['standardization'] = null;
  const s = obj.standardization as { mean?: unknown; std?: unknown } | null | undefined;
  if (s) {
    const okArr = (a: unknown) => Array.isArray(a) && a.length === n && a.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!okArr(s.mean) || !okArr(s.std) || !(s.std as number[]).every((v) => v > 0)) throw new Error(`"standardization" must have "mean" and positive "std" arrays of ${n} numbers`);
    standardization = { mean: s.mean as number[], std: s.std as number[] };
  }
  return { config, features: features as string[], label: obj.label, standardization, theta };
}

/** ŷ = a2 for each row of X (m×n, raw features: standardised here with the model's statistics). */
export function predict(model: Model, X: Float64Array, m: number): Float64Array {
  const n = model.features.length;
  const net = new Network(n, model.config.hidden, model.config.activation, model.theta.slice());
  const x = new Float64Array(n);
  const out = new Float64Array(m);
  const s = model.standardization;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) x[j] = s ? (X[i * n + j] - s.mean[j]) / s.std[j] : X[i * n + j];
    net.forward(x, 0);
    out[i] = net.a2;
  }
  return out;
}
