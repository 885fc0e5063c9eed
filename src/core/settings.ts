/**
 * The one list of every knob a run has: name, type, default, bounds and
 * description. The CLI's flags, the VS Code settings (package.json
 * contributes.configuration, checked against this list by a test) and the
 * experiment-file schema all come from here.
 */
import { ACTIVATIONS } from './activations';
import { DEFAULT_GRADCHECK } from './gradcheck';
import { INIT_SCHEMES } from './init';
import { AUTO_HIDDEN_RULE, DEFAULT_CONFIG, OPTIMIZERS, type TrainConfig } from './config';

export interface RunSettings extends TrainConfig {
  /** Fraction of rows held out for testing. */
  split: number;
  standardize: boolean;
  /** Label column; empty: the last column. */
  label: string;
  /**
   * Columns that are not inputs (IDs, dates, free text): an array of names (exact, so a name may hold a comma), or
   * one string of comma-separated names (the CLI flag, and settings written before the array form).
   */
  ignore: string | string[];
  /** Drop rows with a missing value instead of stopping at the first. */
  dropMissing: boolean;
  /** Most classes the label column may have. */
  maxClasses: number;
  /** Most categories a text feature column may have. */
  maxCategories: number;
  /** With two classes: the class that is 1 (empty: the second in order). */
  positiveClass: string;
  /** Gradient check: central-difference step and thresholds. */
  checkStep: number;
  checkPass: number;
  checkWarn: number;
  checkFail: number;
  checkAtol: number;
  checkRtol: number;
}

export const DEFAULT_SETTINGS: RunSettings = {
  ...DEFAULT_CONFIG,
  split: 0.2,
  standardize: true,
  label: '',
  ignore: [],
  dropMissing: false,
  maxClasses: 100,
  maxCategories: 50,
  positiveClass: '',
  checkStep: DEFAULT_GRADCHECK.h,
  checkPass: DEFAULT_GRADCHECK.thresholds.pass,
  checkWarn: DEFAULT_GRADCHECK.thresholds.warn,
  checkFail: DEFAULT_GRADCHECK.thresholds.fail,
  checkAtol: DEFAULT_GRADCHECK.atol,
  checkRtol: DEFAULT_GRADCHECK.rtol,
};

/** names: column names, an array of strings or one comma-separated string. */
export type SettingKind = 'integer' | 'number' | 'boolean' | 'string' | 'enum' | 'names';

export interface SettingSpec {
  key: keyof RunSettings;
  /** VS Code setting id after "backpropLens.". */
  id: string;
  /** CLI flag without the leading dashes. */
  flag: string;
  kind: SettingKind;
  description: string;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  /** Exclusive bounds. */
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  /** 0 means automatic, and the word "auto" (CLI flag, experiment file) is read as 0. */
  auto?: true;
}

export const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'hidden',
    id: 'network.hidden',
    flag: 'hidden',
    kind: 'integer',
    minimum: 0,
    maximum: 4096,
    auto: true,
    description: `Hidden units h (W1 is h×n). 0 (or "auto" in experiment files and on the command line): automatic, ${AUTO_HIDDEN_RULE}, since a hidden layer narrower than the classes is a bottleneck in front of the softmax. The run, its model file and the inspector show the width chosen.`,
  },
  {
    key: 'activation',
    id: 'network.activation',
    flag: 'activation',
    kind: 'enum',
    enum: ACTIVATIONS,
    description:
      'Hidden activation g: sigmoid (the textbook choice), tanh or relu. The output is sigmoid with binary cross-entropy for two classes, softmax with categorical cross-entropy for three or more.',
  },
  {
    key: 'init',
    id: 'network.init',
    flag: 'init',
    kind: 'enum',
    enum: INIT_SCHEMES,
    description:
      'Weight initialisation: small (0.01·N(0,1), the teaching default) or xavier (Glorot uniform). Biases start at 0.',
  },
  {
    key: 'optimizer',
    id: 'training.optimizer',
    flag: 'optimizer',
    kind: 'enum',
    enum: OPTIMIZERS,
    description:
      'misclassified-sgd (the textbook algorithm: a random misclassified point per step, stops when none is left), sgd (one random point), batch, minibatch, momentum, rmsprop or adam.',
  },
  {
    key: 'lr',
    id: 'training.learningRate',
    flag: 'lr',
    kind: 'number',
    exclusiveMinimum: 0,
    description: 'Learning rate α in W := W − α·dW.',
  },
  {
    key: 'momentum',
    id: 'training.momentum',
    flag: 'momentum',
    kind: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    description: 'Momentum μ (optimizer momentum): v := μ·v + g.',
  },
  {
    key: 'rho',
    id: 'training.rho',
    flag: 'rho',
    kind: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    description: 'RMSProp decay ρ: s := ρ·s + (1−ρ)·g².',
  },
  {
    key: 'beta1',
    id: 'training.beta1',
    flag: 'beta1',
    kind: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    description: 'Adam β1 (first-moment decay).',
  },
  {
    key: 'beta2',
    id: 'training.beta2',
    flag: 'beta2',
    kind: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    description: 'Adam β2 (second-moment decay).',
  },
  {
    key: 'eps',
    id: 'training.epsilon',
    flag: 'eps',
    kind: 'number',
    exclusiveMinimum: 0,
    description: 'ε in the RMSProp and Adam denominators.',
  },
  {
    key: 'batchSize',
    id: 'training.batchSize',
    flag: 'batch',
    kind: 'integer',
    minimum: 1,
    description:
      'Mini-batch size B for minibatch, momentum, rmsprop and adam (≥ the training rows: full batch).',
  },
  {
    key: 'epochs',
    id: 'training.epochs',
    flag: 'epochs',
    kind: 'integer',
    minimum: 1,
    description: 'Stop after this many epochs.',
  },
  {
    key: 'maxSteps',
    id: 'training.maxSteps',
    flag: 'max-steps',
    kind: 'integer',
    minimum: 0,
    description: 'Stop after this many optimizer steps (0: no step limit).',
  },
  {
    key: 'seed',
    id: 'training.seed',
    flag: 'seed',
    kind: 'integer',
    minimum: -2147483648,
    maximum: 2147483647,
    description:
      'Seed of the one PRNG behind initialisation, split and sampling: the same seed gives the same run.',
  },
  {
    key: 'plateauEpochs',
    id: 'training.plateauEpochs',
    flag: 'plateau-epochs',
    kind: 'integer',
    minimum: 0,
    description:
      'Stop when the training loss fell by less than the plateau tolerance over this many epochs (0: never).',
  },
  {
    key: 'plateauTol',
    id: 'training.plateauTolerance',
    flag: 'plateau-tol',
    kind: 'number',
    minimum: 0,
    description: 'Plateau tolerance on the training loss.',
  },
  {
    key: 'threads',
    id: 'training.threads',
    flag: 'threads',
    kind: 'integer',
    minimum: 0,
    maximum: 64,
    description:
      "Threads for large batched steps (0: the machine's cores, at most 4). Any value gives bit-for-bit the same run.",
  },
  {
    key: 'split',
    id: 'data.testSplit',
    flag: 'split',
    kind: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    description: 'Fraction of rows held out as the test set (seeded); 0 trains on every row.',
  },
  {
    key: 'standardize',
    id: 'data.standardize',
    flag: 'standardize',
    kind: 'boolean',
    description:
      "Z-score the features with the training rows' mean and standard deviation (kept with the model).",
  },
  {
    key: 'label',
    id: 'data.labelColumn',
    flag: 'label',
    kind: 'string',
    description: 'Label column name; empty: the last column.',
  },
  {
    key: 'ignore',
    id: 'data.ignore',
    flag: 'ignore',
    kind: 'names',
    description:
      'Columns that are not inputs (IDs, dates, free text): a list of column names, matched exactly (a name may hold a comma); empty: none. One string of comma-separated names is read too (the CLI: --ignore a,b).',
  },
  {
    key: 'dropMissing',
    id: 'data.dropMissing',
    flag: 'drop-missing',
    kind: 'boolean',
    description:
      'Drop rows with a missing value (empty, NA, N/A, NaN, null, None, ?) and say how many; off: the first missing value is an error.',
  },
  {
    key: 'maxClasses',
    id: 'data.maxClasses',
    flag: 'max-classes',
    kind: 'integer',
    minimum: 2,
    maximum: 100000,
    description:
      'Most distinct labels (classes) accepted; more is an error (usually the wrong label column, e.g. an ID).',
  },
  {
    key: 'maxCategories',
    id: 'data.maxCategories',
    flag: 'max-categories',
    kind: 'integer',
    minimum: 1,
    maximum: 100000,
    description:
      'Most distinct values a text feature column may have (one input each); more is an error suggesting to ignore the column.',
  },
  {
    key: 'positiveClass',
    id: 'data.positiveClass',
    flag: 'positive-class',
    kind: 'string',
    description:
      "With two classes: the one that is class 1 (the sigmoid output's ŷ); empty: the second in order.",
  },
  {
    key: 'checkStep',
    id: 'gradientCheck.step',
    flag: 'step',
    kind: 'number',
    exclusiveMinimum: 0,
    maximum: 0.1,
    description: 'Gradient check: central-difference step h.',
  },
  {
    key: 'checkPass',
    id: 'gradientCheck.passThreshold',
    flag: 'pass',
    kind: 'number',
    exclusiveMinimum: 0,
    description: 'Gradient check: relative error at or below this passes.',
  },
  {
    key: 'checkWarn',
    id: 'gradientCheck.warnThreshold',
    flag: 'warn',
    kind: 'number',
    exclusiveMinimum: 0,
    description:
      'Gradient check: relative error at or below this is a warning (typical near kinks); above it, suspect.',
  },
  {
    key: 'checkFail',
    id: 'gradientCheck.failThreshold',
    flag: 'fail',
    kind: 'number',
    exclusiveMinimum: 0,
    description: 'Gradient check: relative error above this fails.',
  },
  {
    key: 'checkAtol',
    id: 'gradientCheck.atol',
    flag: 'atol',
    kind: 'number',
    minimum: 0,
    description: 'Gradient check, PyTorch-style verdict: |a − n| ≤ atol + rtol·|n|.',
  },
  {
    key: 'checkRtol',
    id: 'gradientCheck.rtol',
    flag: 'rtol',
    kind: 'number',
    minimum: 0,
    description: 'Gradient check, PyTorch-style verdict: rtol.',
  },
];

/**
 * Check one value against its spec; returns an error message or null. Strings
 * from the command line are converted first (convertFlag).
 */
export function checkSetting(spec: SettingSpec, v: unknown): string | null {
  const name = spec.key;
  switch (spec.kind) {
    case 'boolean':
      return typeof v === 'boolean' ? null : `${name} must be true or false, got ${JSON.stringify(v)}`;
    case 'string':
      return typeof v === 'string' ? null : `${name} must be a string, got ${JSON.stringify(v)}`;
    case 'names':
      return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))
        ? null
        : `${name} must be a list of column names (or one string of comma-separated names), got ${JSON.stringify(v)}`;
    case 'enum':
      return typeof v === 'string' && spec.enum!.includes(v)
        ? null
        : `${name} must be one of ${spec.enum!.join(', ')}, got ${JSON.stringify(v)}`;
    default: {
      if (typeof v !== 'number' || !Number.isFinite(v))
        return `${name} must be a finite number, got ${JSON.stringify(v)}`;
      if (spec.kind === 'integer' && !Number.isInteger(v)) return `${name} must be a whole number, got ${v}`;
      if (spec.minimum !== undefined && v < spec.minimum)
        return `${name} must be ≥ ${spec.minimum}, got ${v}`;
      if (spec.maximum !== undefined && v > spec.maximum)
        return `${name} must be ≤ ${spec.maximum}, got ${v}`;
      if (spec.exclusiveMinimum !== undefined && v <= spec.exclusiveMinimum)
        return `${name} must be > ${spec.exclusiveMinimum}, got ${v}`;
      if (spec.exclusiveMaximum !== undefined && v >= spec.exclusiveMaximum)
        return `${name} must be < ${spec.exclusiveMaximum}, got ${v}`;
      return null;
    }
  }
}

/** A value as written, with the word "auto" read as 0 for the settings where 0 is automatic (the hidden width). */
export function normalizeSetting(spec: SettingSpec, v: unknown): unknown {
  return spec.auto && typeof v === 'string' && v.trim().toLowerCase() === 'auto' ? 0 : v;
}

/** A command-line string as the spec's type (NaN or the raw string when it does not convert; checkSetting then says why). */
export function convertFlag(spec: SettingSpec, raw: string): unknown {
  if (normalizeSetting(spec, raw) === 0) return 0;
  if (spec.kind === 'integer' || spec.kind === 'number') return raw.trim() === '' ? NaN : Number(raw);
  if (spec.kind === 'boolean') {
    if (/^(true|on|yes|1)$/i.test(raw)) return true;
    if (/^(false|off|no|0)$/i.test(raw)) return false;
    return raw;
  }
  return raw;
}

/** Merge layers of partial settings (later wins), validating every value; throws RangeError naming the offending key. */
export function resolveSettings(...layers: Array<Partial<Record<string, unknown>> | undefined>): RunSettings {
  const out: RunSettings = { ...DEFAULT_SETTINGS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const spec of SETTINGS) {
      if (!Object.prototype.hasOwnProperty.call(layer, spec.key)) continue;
      const v = normalizeSetting(spec, layer[spec.key]);
      if (v === undefined) continue;
      const problem = checkSetting(spec, v);
      if (problem) throw new RangeError(problem);
      (out as unknown as Record<string, unknown>)[spec.key] = Array.isArray(v) ? [...(v as unknown[])] : v;
    }
  }
  if (!(out.checkPass <= out.checkWarn && out.checkWarn <= out.checkFail)) {
    throw new RangeError(
      `gradient-check thresholds must satisfy pass ≤ warn ≤ fail, got ${out.checkPass}, ${out.checkWarn}, ${out.checkFail}`,
    );
  }
  return out;
}

export function trainConfigOf(s: RunSettings): TrainConfig {
  const c = {} as Record<string, unknown>;
  for (const k of Object.keys(DEFAULT_CONFIG)) c[k] = (s as unknown as Record<string, unknown>)[k];
  return c as unknown as TrainConfig;
}

export function gradcheckOptionsOf(s: RunSettings) {
  return {
    h: s.checkStep,
    thresholds: { pass: s.checkPass, warn: s.checkWarn, fail: s.checkFail },
    atol: s.checkAtol,
    rtol: s.checkRtol,
  };
}

/**
 * The ignore setting's column names: an array as it is (names are matched exactly; empty entries skipped), a string
 * split at its commas with each name trimmed (the CLI flag, and settings written before the array form).
 */
export function ignoredColumns(v: string | readonly string[]): string[] {
  return typeof v === 'string'
    ? v
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== '')
    : v.filter((c) => c !== '');
}

/** The reader's options from the settings (data as it comes: ignore, missing values, class and category limits). */
export function readOptionsOf(s: RunSettings): {
  label?: string;
  ignore: string[];
  dropMissing: boolean;
  maxClasses: number;
  maxCategories: number;
  positiveClass: string;
} {
  return {
    ...(s.label === '' ? {} : { label: s.label }),
    ignore: ignoredColumns(s.ignore),
    dropMissing: s.dropMissing,
    maxClasses: s.maxClasses,
    maxCategories: s.maxCategories,
    positiveClass: s.positiveClass,
  };
}

/**
 * The one validation of a run's training settings: every TrainConfig key against its spec above (the same rules
 * as the CLI flags, the VS Code settings and experiment files). Throws a RangeError naming the first invalid
 * setting; also when there are no training rows.
 */
export function validateConfig(c: TrainConfig, m: number): void {
  for (const spec of SETTINGS) {
    if (!(spec.key in DEFAULT_CONFIG)) continue;
    const v = (c as unknown as Record<string, unknown>)[spec.key];
    if (v === undefined && spec.key === 'threads') continue; // states saved before the setting existed
    const problem = checkSetting(spec, v);
    if (problem) throw new RangeError(problem);
  }
  if (c.hidden === 0)
    throw new RangeError(
      'hidden is 0 (automatic) where a concrete width is needed: resolve it for the data first (resolveHidden)',
    );
  if (m < 1) throw new RangeError('there are no training rows');
}
