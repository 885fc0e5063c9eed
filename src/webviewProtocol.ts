/**
 * The messages between the extension host and the inspector webview (part of the one protocol: src/protocol.ts
 * re-exports everything here). Arrays travel as F64 (the bytes in base64) because the webview bridge is JSON; every
 * message from the webview is validated by parseFromWebview before anything acts on it.
 */
import type { Activation } from './core/activations';
import type { Verdict } from './core/gradcheck';
import { type RunSettings, SETTINGS, checkSetting } from './core/settings';
import { type OptimizerName, type TrainStatus } from './core/trainer';

import type { Boundary, BoundaryPlane, Confusion } from './protocol';
import type { F64, PanelStep } from './webviewArrays';

// ---------------------------------------------------------------- extension host ⇄ webview (the inspector)

export * from './webviewArrays';

export interface PanelHistory {
  epoch: F64;
  trainLoss: F64;
  testLoss: F64;
  trainAcc: F64;
  testAcc: F64;
  misclassified: F64;
  gradNorm: F64;
}

/** Per epoch: the step, and ‖W‖, ‖dW‖ and ‖ΔW‖/‖W‖ of each parameter (sparklines). */
export interface PanelNorms {
  step: F64;
  W: F64[]; // one per PARAM_NAMES entry (core/network)
  dW: F64[];
  ratio: F64[];
}

/**
 * The distributions on the wire (panel/history.ts Spreads): per column its number in the run, its step and its
 * SPREAD_WIDTH percentiles, flattened; the columns are those whose number is a multiple of `stride`.
 */
export interface PanelSpreads {
  stride: number;
  n: F64;
  step: F64;
  q: F64;
}

/**
 * The boundary on the webview's side: its grid ŷ travels encoded. The per-point arrays, which change seldom (the
 * projection: never within a run), are 'unchanged' in an update when equal to what the webview was last sent.
 */
export type PanelBoundary = Omit<Boundary, 'p' | 'pk' | 'units' | 'correct' | 'px'> & {
  p: F64;
  pk: F64 | null;
  units: F64 | null;
  correct: F64 | 'unchanged';
  px: F64 | null | 'unchanged';
};

export interface PanelPoints {
  k: number;
  n: number;
  x: F64; // k×n, as trained (standardised when on)
  y: F64;
  test: F64; // 1 for a test point
}

export interface PanelCheckRow {
  name: string;
  shape: [number, number];
  row: number;
  col: number;
  analytic: F64;
  numeric: F64;
  relError: F64;
  verdict: Verdict;
  allclose: boolean;
  /** The worst entry's difference is within the central difference's rounding noise. */
  withinNoise: boolean;
}

export interface PanelCheck {
  step: number;
  verdict: Verdict;
  globalDiff: F64;
  h: number;
  thresholds: { pass: number; warn: number; fail: number };
  rows: PanelCheckRow[];
}

/** Where a run is in its life, as the host sees it. */
export type RunPhase = 'starting' | 'running' | 'paused' | 'finished' | 'failed';

export interface PanelRun {
  id: string;
  file: string;
  phase: RunPhase;
  status: TrainStatus | 'starting' | 'failed';
  reason: string;
  paused: boolean;
  live: boolean;
  step: number;
  epoch: number;
  epochs: number;
  lr: number;
  optimizer: OptimizerName;
  activation: Activation;
  hidden: number;
  batchSize: number;
  n: number;
  features: string[];
  label: string;
  trainRows: number;
  testRows: number;
  stepsPerSecond: number;
  /** The pace asked for (steps per second; 0: full speed). */
  speed: number;
  /** Entries of θ the user set since the last step. */
  edited: number[];
  /** Class names in output order (verbatim: text, never HTML) and the outputs K (1: binary, sigmoid; ≥ 3: softmax). */
  classes: string[];
  K: number;
  /** Confusion matrices C[true][predicted] over the training and test rows, as of the last epoch; null before one. */
  confusion: Confusion | null;
  theta: F64;
  last: PanelStep | null;
  boundary: PanelBoundary | null;
  derivation: string | null;
  notice: string | null;
  /** The plotted history holds the epochs that are multiples of this (long runs are thinned to at most 2,000 points). */
  historyStride: number;
}

export type ToWebview =
  | {
      type: 'snapshot';
      run: PanelRun | null;
      history: PanelHistory | null;
      norms: PanelNorms | null;
      spreads: PanelSpreads | null;
      points: PanelPoints | null;
      check: PanelCheck | null;
      restored: boolean;
    }
  /** seq: the webview acknowledges each update once drawn (`drawn`); the host sends the next only then (latest wins). */
  | {
      type: 'update';
      seq: number;
      run: PanelRun;
      /** The epochs from this index of the webview's copy (once thinned to run.historyStride) on. */
      historyFrom: number;
      history: PanelHistory;
      norms: PanelNorms;
      /** The spread columns from this index of the webview's copy (once thinned to spreads.stride) on. */
      spreadsFrom: number;
      spreads: PanelSpreads;
    }
  | { type: 'check'; check: PanelCheck | null; error?: string }
  | { type: 'lrFind'; result: PanelLrFind | null; error?: string }
  | { type: 'landscape'; result: PanelLandscape | null; error?: string };

/** The learning-rate range test on the wire (core/lrfind's result). */
export interface PanelLrFind {
  lr: F64;
  loss: F64;
  smoothed: F64;
  suggested: number | null;
  minimumOverTen: number | null;
  stop: string;
  /** How many training rows each step's loss is measured on. */
  rows: number;
}

/** The loss landscape on the wire (the worker's LandscapeResult). */
export interface PanelLandscape {
  centreLoss: number;
  rows: number;
  step: number;
  slice: { alpha: F64; loss: F64; centre: number; lr: number; lossAtLr: number } | null;
  grid: {
    a: F64;
    b: F64;
    loss: F64;
    size: number;
    directions: 'random' | 'trajectory';
    explained: [number, number] | null;
    trajectory: F64;
  } | null;
}

/** The settings the inspector can change (a restart of the same request); the settings spec validates them. */
export const PANEL_SETTINGS = ['hidden', 'activation', 'optimizer', 'batchSize', 'epochs'] as const;
export type PanelSettings = Partial<Pick<RunSettings, (typeof PANEL_SETTINGS)[number]>>;

/** The fastest pace one can ask for; above it, "full speed" (0) is the honest setting. */
export const MAX_SPEED = 100_000;

export type ControlAction = 'play' | 'pause' | 'step' | 'stepEpoch' | 'reset' | 'stop';
const ACTIONS: readonly ControlAction[] = ['play', 'pause', 'step', 'stepEpoch', 'reset', 'stop'];

export type FromWebview =
  | { type: 'ready' }
  /** The update with this seq is on screen. */
  | { type: 'drawn'; seq: number }
  | { type: 'control'; action: ControlAction }
  | { type: 'setLearningRate'; lr: number }
  | { type: 'setSpeed'; stepsPerSecond: number }
  | { type: 'setParameter'; index: number; value: number }
  | { type: 'restoreParameter'; index: number }
  /** Start the current run's request again with these settings changed (the in-panel settings). */
  | { type: 'restart'; settings: PanelSettings }
  | { type: 'runCheck' }
  | { type: 'setBoundary'; plane: BoundaryPlane }
  /** The learning-rate range test from the run's initial parameters; the loss landscape around the current ones. */
  | { type: 'lrFind' }
  | { type: 'landscape'; directions: 'random' | 'trajectory' }
  /** From the empty inspector: train the example, or pick a dataset. */
  | { type: 'startTraining'; what: StartWhat };

export type StartWhat = 'example' | 'pick';
const START_WHAT: readonly StartWhat[] = ['example', 'pick'];

/**
 * Validate a message from the webview before anything acts on it. The webview
 * is untrusted: only the exact shapes above pass (no extra keys, bounded
 * strings, finite numbers in range); anything else is rejected with a reason.
 */
export function parseFromWebview(
  raw: unknown,
): { ok: true; message: FromWebview } | { ok: false; reason: string } {
  const bad = (reason: string) => ({ ok: false as const, reason });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not an object');
  // Own properties only: nothing is read through a prototype chain.
  const src = raw as Record<string, unknown>;
  const o: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(src)) o[k] = src[k];
  const keys = Object.keys(o);
  if (keys.length > 3) return bad('too many fields');
  const only = (...allowed: string[]) => keys.every((k) => allowed.includes(k));
  const t = o.type;
  if (typeof t !== 'string' || t.length > 32) return bad('no valid type');
  switch (t) {
    case 'lrFind':
      return only('type') ? { ok: true, message: { type: t } } : bad(`unexpected fields in ${t}`);
    case 'landscape':
      if (!only('type', 'directions') || (o.directions !== 'random' && o.directions !== 'trajectory'))
        return bad('invalid landscape');
      return { ok: true, message: { type: 'landscape', directions: o.directions } };
    case 'ready':
    case 'runCheck':
      return only('type') ? { ok: true, message: { type: t } } : bad(`unexpected fields in ${t}`);
    case 'control':
      if (
        !only('type', 'action') ||
        typeof o.action !== 'string' ||
        !(ACTIONS as readonly string[]).includes(o.action)
      )
        return bad('invalid control');
      return { ok: true, message: { type: 'control', action: o.action as ControlAction } };
    case 'setLearningRate':
      if (
        !only('type', 'lr') ||
        typeof o.lr !== 'number' ||
        !Number.isFinite(o.lr) ||
        o.lr <= 0 ||
        o.lr > 1e6
      )
        return bad('invalid learning rate');
      return { ok: true, message: { type: 'setLearningRate', lr: o.lr } };
    case 'setSpeed':
      if (
        !only('type', 'stepsPerSecond') ||
        typeof o.stepsPerSecond !== 'number' ||
        !Number.isFinite(o.stepsPerSecond) ||
        o.stepsPerSecond < 0 ||
        o.stepsPerSecond > MAX_SPEED
      )
        return bad('invalid speed');
      return { ok: true, message: { type: 'setSpeed', stepsPerSecond: o.stepsPerSecond } };
    case 'restart': {
      if (
        !only('type', 'settings') ||
        typeof o.settings !== 'object' ||
        o.settings === null ||
        Array.isArray(o.settings)
      )
        return bad('invalid restart');
      const given = o.settings as Record<string, unknown>;
      const keys = Object.keys(given);
      if (!keys.length || keys.some((k) => !(PANEL_SETTINGS as readonly string[]).includes(k)))
        return bad('invalid restart settings');
      const settings: Record<string, unknown> = {};
      for (const k of keys) {
        const spec = SETTINGS.find((x) => x.key === k)!;
        if (checkSetting(spec, given[k]) !== null) return bad(`invalid ${k}`);
        settings[k] = given[k];
      }
      return { ok: true, message: { type: 'restart', settings: settings as PanelSettings } };
    }
    case 'setParameter':
    case 'restoreParameter': {
      const index = o.index;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= 1e8)
        return bad(`invalid ${t}`);
      if (t === 'restoreParameter')
        return only('type', 'index') ? { ok: true, message: { type: t, index } } : bad(`invalid ${t}`);
      if (
        !only('type', 'index', 'value') ||
        typeof o.value !== 'number' ||
        !Number.isFinite(o.value) ||
        Math.abs(o.value) > 1e12
      )
        return bad('invalid setParameter');
      return { ok: true, message: { type: t, index, value: o.value } };
    }
    case 'drawn':
      if (!only('type', 'seq') || typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 0)
        return bad('invalid drawn');
      return { ok: true, message: { type: 'drawn', seq: o.seq } };
    case 'startTraining':
      if (
        !only('type', 'what') ||
        typeof o.what !== 'string' ||
        !(START_WHAT as readonly string[]).includes(o.what)
      )
        return bad('invalid start');
      return { ok: true, message: { type: 'startTraining', what: o.what as StartWhat } };
    case 'setBoundary': {
      if (!only('type', 'plane') || typeof o.plane !== 'object' || o.plane === null || Array.isArray(o.plane))
        return bad('invalid boundary plane');
      const pl = o.plane as Record<string, unknown>;
      const pk = Object.keys(pl);
      if (pl.mode === 'pca' && pk.length === 1)
        return { ok: true, message: { type: 'setBoundary', plane: { mode: 'pca' } } };
      const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 100000;
      if (pl.mode !== 'features' || pk.length !== 3 || !ok(pl.i) || !ok(pl.j) || pl.i === pl.j)
        return bad('invalid boundary features');
      return {
        ok: true,
        message: { type: 'setBoundary', plane: { mode: 'features', i: pl.i as number, j: pl.j as number } },
      };
    }
    default:
      return bad(`unknown message type ${JSON.stringify(t.slice(0, 32))}`);
  }
}
