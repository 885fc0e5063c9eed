/**
 * How arrays and the step record travel to the inspector webview: the bridge is JSON, so a Float64Array goes as its
 * raw bytes in base64 (NaN, ±∞ and −0 arrive exactly), and the step record with each of its arrays so encoded.
 */
import type { StepRecord } from './core/trainer';

/** A Float64Array in transit to the webview: its raw bytes in base64, so NaN and ±∞ arrive exactly. */
export interface F64 {
  $f64: string;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function encodeF64(a: ArrayLike<number>): F64 {
  const f = a instanceof Float64Array ? a : Float64Array.from(a);
  const b = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    s +=
      B64[(n >> 18) & 63] +
      B64[(n >> 12) & 63] +
      (i + 1 < b.length ? B64[(n >> 6) & 63] : '=') +
      (i + 2 < b.length ? B64[n & 63] : '=');
  }
  return { $f64: s };
}

export function decodeF64(e: F64): Float64Array {
  const s = e.$f64;
  if (typeof s !== 'string' || s.length % 4 !== 0) throw new Error('not an encoded Float64Array');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((s.length / 4) * 3 - pad);
  let k = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n =
      (B64.indexOf(s[i]) << 18) |
      (B64.indexOf(s[i + 1]) << 12) |
      ((B64.indexOf(s[i + 2]) & 63) << 6) |
      (B64.indexOf(s[i + 3]) & 63);
    if (k < bytes.length) bytes[k++] = (n >> 16) & 255;
    if (k < bytes.length) bytes[k++] = (n >> 8) & 255;
    if (k < bytes.length) bytes[k++] = n & 255;
  }
  if (bytes.length % 8 !== 0) throw new Error('not an encoded Float64Array');
  return new Float64Array(bytes.buffer);
}

/** Fields of the step record that are counts (always finite); every other number may be NaN or ±∞. */
type StepCount = 'step' | 'epoch' | 'y' | 'misclassified';

/**
 * The step record (core's StepRecord) on the wire: vectors and scalars that may
 * be non-finite as F64 (a scalar as a 1-element F64), counts as numbers, and the
 * sample indices shortened to at most 16 with their count.
 */
export type PanelStep = {
  [K in Exclude<keyof StepRecord, 'samples'>]: K extends StepCount
    ? number
    : StepRecord[K] extends Float64Array
      ? F64
      : StepRecord[K] extends Float64Array | null
        ? F64 | null
        : F64;
} & { samples: number[]; sampleCount: number };

/** The step record as the webview reads it back: core's record with the sample indices shortened. */
export type StepView = Omit<StepRecord, 'samples'> & { samples: number[]; sampleCount: number };

const one = (x: number) => encodeF64([x]);

export function encodeStep(r: StepRecord): PanelStep {
  return {
    step: r.step,
    epoch: r.epoch,
    samples: Array.from(r.samples.subarray(0, 16)),
    sampleCount: r.samples.length,
    x: encodeF64(r.x),
    y: r.y,
    z1: encodeF64(r.z1),
    a1: encodeF64(r.a1),
    z2: one(r.z2),
    a2: one(r.a2),
    dz2: one(r.dz2),
    dz1: encodeF64(r.dz1),
    z2k: encodeF64(r.z2k),
    a2k: encodeF64(r.a2k),
    dz2k: encodeF64(r.dz2k),
    loss: one(r.loss),
    grad: encodeF64(r.grad),
    delta: encodeF64(r.delta),
    trueGrad: r.trueGrad ? encodeF64(r.trueGrad) : null,
    misclassified: r.misclassified,
  };
}

export function decodeStep(p: PanelStep): StepView {
  const s = (e: F64) => decodeF64(e)[0];
  return {
    step: p.step,
    epoch: p.epoch,
    samples: p.samples,
    sampleCount: p.sampleCount,
    x: decodeF64(p.x),
    y: p.y,
    z1: decodeF64(p.z1),
    a1: decodeF64(p.a1),
    z2: s(p.z2),
    a2: s(p.a2),
    dz2: s(p.dz2),
    dz1: decodeF64(p.dz1),
    z2k: decodeF64(p.z2k),
    a2k: decodeF64(p.a2k),
    dz2k: decodeF64(p.dz2k),
    loss: s(p.loss),
    grad: decodeF64(p.grad),
    delta: decodeF64(p.delta),
    trueGrad: p.trueGrad ? decodeF64(p.trueGrad) : null,
    misclassified: p.misclassified,
  };
}
