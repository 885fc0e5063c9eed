/**
 * backprop-lens: the headless CLI over the numeric core, the dataset readers
 * and (check-derivation) the derivation checker. Exit codes: 0 ok, 1 usage,
 * 2 data error (FILE:LINE: message on stderr), 3 diverged, 4 gradient check failed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { checkNetwork, checkNetworkFast } from '../core/check';
import { deadReluUnits, describeDeadUnits } from '../core/diagnose';
import { describeSecondsLeft, secondsLeft } from '../core/progress';
import type { FastReport, GradcheckReport } from '../core/gradcheck';
import {
  type Model,
  classProbabilities,
  modelFromJson,
  modelToJson,
  outputsOf,
  predict,
} from '../core/model';
import { Rng } from '../core/rng';
import {
  DEFAULT_SETTINGS,
  type RunSettings,
  SETTINGS,
  convertFlag,
  gradcheckOptionsOf,
  readOptionsOf,
  resolveSettings,
  trainConfigOf,
} from '../core/settings';
import { Trainer, type TrainData, type TrainResult, confusionMatrix } from '../core/trainer';
import { readDataset, readForModel, type Table } from '../data/dataset';
import { DatasetError } from '../data/errors';
import { classCounts, gather, prepare } from '../data/prepare';
import { checkDerivation } from '../derivation/checker';
import { DEFAULT_LR_FIND, lrFind } from '../core/lrfind';
import { type OptimizerName } from '../core/trainer';
import { parseExperiment } from '../data/experiment';
import { race, validateRace } from '../training/race';
import { torchCheckJson, torchScript } from '../export/torch';
import { splitRows } from '../data/prepare';
import { UsageError, parseArgs, type Parsed } from './args';
import { num, pct, table, toJson } from './format';

export const EXIT = { ok: 0, usage: 1, data: 2, diverged: 3, checkFailed: 4 } as const;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Whether stderr is a terminal (progress bar). */
  tty: boolean;
  readFile: (path: string) => Uint8Array;
  writeFile: (path: string, text: string) => void;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  tty: !!process.stderr.isTTY,
  readFile: (p) => readFileSync(p),
  writeFile: (p, t) => writeFileSync(p, t),
};

const USAGE = `backprop-lens — train and check the classic two-layer network (two classes: sigmoid output; three or more: softmax)

Usage:
  backprop-lens train FILE [settings] [--save model.json] [--json]
  backprop-lens check (FILE | --random) [settings] [--model model.json] [--fast] [--json]
  backprop-lens predict MODEL.json FILE [--json]
  backprop-lens lr-find (FILE | EXPERIMENT.backprop.json) [settings] [--start 1e-6] [--end 10] [--steps 100] [--json]
  backprop-lens race (FILE | EXPERIMENT.backprop.json) [--optimizers sgd,adam,…] [--threshold 0.1] [settings] [--json]
  backprop-lens export-torch MODEL.json --data FILE --out model.py [--split F] [--json]
  backprop-lens check-derivation FILE.deriv [--activation sigmoid|tanh|relu] [--mode example|batch] [--json]
  backprop-lens help | --help | --version

Settings (defaults in brackets):
${SETTINGS.map((s) => `  --${s.flag.padEnd(15)} ${s.enum ? s.enum.join('|') + ' ' : ''}[${String(DEFAULT_SETTINGS[s.key])}]`).join('\n')}
  --no-standardize  same as --standardize false
  --max-mb N        largest dataset accepted, in MB [256]
  --features N      check --random: number of features [3]
  --directions K    check --fast: number of random directions [8]

Exit codes: 0 ok, 1 usage, 2 data error (FILE:LINE: message), 3 diverged, 4 gradient check failed;
check-derivation exits 1 when any finding is an error.
`;

const SETTING_FLAGS = new Set(SETTINGS.map((s) => s.flag));
const VALUED = new Set([
  ...SETTING_FLAGS,
  'save',
  'model',
  'max-mb',
  'features',
  'directions',
  'mode',
  'start',
  'end',
  'steps',
  'optimizers',
  'threshold',
  'data',
  'out',
]);
const SWITCHES = new Set(['json', 'random', 'fast', 'help', 'version']);

export function main(argv: string[], io: Io = defaultIo): number {
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      io.out(USAGE);
      return cmd === undefined ? EXIT.usage : EXIT.ok;
    }
    if (cmd === '--version') {
      io.out(`${VERSION}\n`);
      return EXIT.ok;
    }
    const args = parseArgs(
      rest,
      VALUED,
      SWITCHES,
      new Set(SETTINGS.filter((s) => s.kind === 'boolean').map((s) => s.flag)),
    );
    if (args.switches.has('help')) {
      io.out(USAGE);
      return EXIT.ok;
    }
    switch (cmd) {
      case 'train':
        return train(args, io);
      case 'check':
        return check(args, io);
      case 'predict':
        return predictCmd(args, io);
      case 'check-derivation':
        return checkDerivationCmd(args, io);
      case 'lr-find':
        return lrFindCmd(args, io);
      case 'race':
        return raceCmd(args, io);
      case 'export-torch':
        return exportTorchCmd(args, io);
      default:
        throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof RangeError) {
      io.err(`backprop-lens: ${e.message}\nRun 'backprop-lens --help' for usage.\n`);
      return EXIT.usage;
    }
    if (e instanceof DataFailure) {
      if (e.json) io.out(toJson({ error: { file: e.file, line: e.line, message: e.message } }) + '\n');
      io.err(`${e.file}:${e.line}: ${e.message}\n`);
      return EXIT.data;
    }
    throw e;
  }
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

class DataFailure extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
    readonly json: boolean,
  ) {
    super(message);
  }
}

function settingsFrom(args: Parsed, base?: Partial<RunSettings>): RunSettings {
  const layer: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const raw = args.values.get(spec.flag);
    if (raw !== undefined) layer[spec.key] = convertFlag(spec, raw);
  }
  try {
    return resolveSettings(base, layer);
  } catch (e) {
    // Name the flag, not the internal key.
    const spec = SETTINGS.find((s) => (e as Error).message.startsWith(`${s.key} `));
    throw new UsageError(
      spec ? `--${spec.flag}: ${(e as Error).message.slice(spec.key.length + 1)}` : (e as Error).message,
    );
  }
}

function intFlag(args: Parsed, name: string, def: number, min: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min)
    throw new UsageError(`--${name} must be a whole number ≥ ${min}, got '${raw}'`);
  return v;
}

function readBytesWith(file: string, json: boolean, read: (p: string) => Uint8Array): Uint8Array {
  try {
    return read(file);
  } catch (e) {
    throw new DataFailure(
      file,
      1,
      `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      json,
    );
  }
}

/** A training table: the settings' label, ignored columns, missing-value rule and class/category limits. */
function readTable(file: string, args: Parsed, io: Io, s: RunSettings): Table {
  const json = args.switches.has('json');
  const bytes = readBytesWith(file, json, io.readFile);
  const r = readDataset(bytes, file, {
    ...readOptionsOf(s),
    maxBytes: intFlag(args, 'max-mb', 256, 1) * 1024 * 1024,
  });
  if (!r.ok) throw new DataFailure(file, r.error.line, r.error.message, json);
  return r.table;
}

/** Rows of a file encoded as the model was trained (its columns, categories and classes). */
function readModelTable(
  file: string,
  args: Parsed,
  io: Io,
  model: Model,
  s: RunSettings,
): Table & { hasLabel: boolean } {
  const json = args.switches.has('json');
  const bytes = readBytesWith(file, json, io.readFile);
  const columns = model.columns ?? model.features.map((name) => ({ name, type: 'number' as const }));
  const r = readForModel(
    bytes,
    file,
    { columns, label: model.label, classes: model.classes ?? ['0', '1'] },
    { dropMissing: s.dropMissing, maxBytes: intFlag(args, 'max-mb', 256, 1) * 1024 * 1024 },
  );
  if (!r.ok) throw new DataFailure(file, r.error.line, r.error.message, json);
  return r.table;
}

/** "dropped 3 rows with a missing value (lines 4, 9, 12)", or null. */
function describeDropped(t: Table): string | null {
  const k = t.dropped.length;
  if (k === 0) return null;
  return `dropped ${k} row${k === 1 ? '' : 's'} with a missing value (line${k === 1 ? '' : 's'} ${t.dropped.slice(0, 5).join(', ')}${k > 5 ? ', …' : ''})`;
}

function prepared(file: string, t: Table, s: RunSettings, json: boolean) {
  try {
    return prepare(t, { split: s.split, seed: s.seed, standardize: s.standardize });
  } catch (e) {
    if (e instanceof DatasetError) throw new DataFailure(file, e.line, e.message, json);
    throw e;
  }
}

function oneFile(args: Parsed, what: string): string {
  if (args.positionals.length !== 1)
    throw new UsageError(`expected one ${what}, got ${args.positionals.length}`);
  return args.positionals[0];
}

// ---------------------------------------------------------------- train

function train(args: Parsed, io: Io): number {
  const file = oneFile(args, 'dataset file');
  const s = settingsFrom(args);
  const json = args.switches.has('json');
  const t = readTable(file, args, io, s);
  const p = prepared(file, t, s, json);
  const dropped = describeDropped(t);
  if (dropped && !json) io.err(`${dropped}\n`);
  for (const w of p.warnings) io.err(`warning: ${w}\n`); // before training, which may take a while
  const config = trainConfigOf(s);
  const trainer = new Trainer(config, p.train, p.test.m ? p.test : null);
  const bar = io.tty && !json ? progressBar(io, trainer, p.train.m) : null;
  // No per-step callback: the trainer runs its tight loop (advance()); the bar follows the epochs.
  const result = trainer.run({ onEpoch: bar ?? undefined });
  if (bar) io.err('\r\x1b[K');
  const dead =
    config.activation === 'relu'
      ? deadReluUnits(trainer.net.theta, p.train.n, config.hidden, p.train.X, p.train.m)
      : null;
  const warnings = [...p.warnings, ...(dead?.dead.length ? [describeDeadUnits(dead)] : [])];
  const save = args.values.get('save');
  if (save) {
    const model: Model = {
      config,
      features: t.featureNames,
      label: t.labelName,
      standardization: p.standardization,
      theta: trainer.net.theta,
      classes: t.classes,
      columns: t.encoding,
    };
    io.writeFile(save, modelToJson(model));
  }
  if (json) {
    io.out(
      toJson({
        status: result.status,
        reason: result.reason,
        steps: result.steps,
        epochs: result.epochs,
        train: result.train,
        test: result.test,
        divergence: result.divergence,
        dataset: {
          file,
          rows: t.m,
          features: t.n,
          label: t.labelName,
          trainRows: p.train.m,
          testRows: p.test.m,
          standardized: s.standardize,
          inputs: t.featureNames,
          droppedRows: t.dropped.length,
          droppedLines: t.dropped.slice(0, 20),
        },
        kind: t.K > 1 ? 'softmax' : 'binary',
        classes: t.classes,
        classCounts: {
          train: classCounts(p.train.Y, null, t.classes.length),
          test: classCounts(p.test.Y, null, t.classes.length),
        },
        confusion: {
          train: confusionMatrix(trainer.net, p.train),
          test: p.test.m ? confusionMatrix(trainer.net, p.test) : null,
        },
        config,
        model: save ?? null,
        deadRelu: dead && { dead: dead.dead.length, hidden: dead.hidden, units: dead.dead },
        warnings,
      }) + '\n',
    );
  } else {
    io.out(
      describeRun(file, t, p.train.m, p.test.m, s, result) +
        describeConfusion(t, trainer, p.test.m ? p.test : null) +
        (dead?.dead.length ? `${describeDeadUnits(dead)}\n` : '') +
        (save ? `\nmodel saved to ${save}\n` : ''),
    );
  }
  return result.status === 'diverged' ? EXIT.diverged : EXIT.ok;
}

/** The classes and the test (else training) confusion matrix, rows the true class; class names as written (JSON-quoted). */
function describeConfusion(t: Table, trainer: Trainer, test: TrainData | null): string {
  const d = test ?? trainer.train;
  const C = confusionMatrix(trainer.net, d);
  const names = t.classes.map((c) => JSON.stringify(c));
  const rows = [['true \\ predicted', ...names], ...C.map((r, k) => [names[k], ...r.map(String)])];
  return (
    `classes (${t.K > 1 ? `${t.K}, softmax output` : 'binary, sigmoid output: ŷ is the probability of ' + names[1]}): ${names.join(', ')}\n` +
    `confusion matrix (${test ? 'test' : 'training'} rows):\n${table(rows)}\n`
  );
}

function describeRun(
  file: string,
  t: Table,
  mTrain: number,
  mTest: number,
  s: RunSettings,
  r: TrainResult,
): string {
  const metrics = (m: TrainResult['train']) =>
    `loss ${num(m.loss)}, accuracy ${pct(m.accuracy)} (${m.misclassified} misclassified of ${m.m})`;
  return (
    [
      `${file}: ${t.m} rows × ${t.n} features (label "${t.labelName}"), ${mTrain} train / ${mTest} test${s.standardize ? ', standardised' : ''}`,
      `${s.optimizer}, lr ${s.lr}, ${s.hidden} hidden ${s.activation} units, ${s.init} init, seed ${s.seed}`,
      `status: ${r.status} (${r.reason}) after ${r.steps} steps, ${r.epochs} epochs`,
      `train: ${metrics(r.train)}`,
      r.test ? `test:  ${metrics(r.test)}` : 'test:  (no test rows)',
    ].join('\n') + '\n'
  );
}

function progressBar(io: Io, t: Trainer, trainRows: number): () => void {
  let last = 0;
  const t0 = Date.now(),
    s0 = t.stepCount;
  return () => {
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    const { epochs, maxSteps } = t.config;
    const frac = maxSteps > 0 ? Math.max(t.stepCount / maxSteps, t.epoch / epochs) : t.epoch / epochs;
    const w = 24,
      k = Math.min(w, Math.round(frac * w));
    const e = t.history[t.history.length - 1];
    const rate = (t.stepCount - s0) / Math.max(1e-3, (now - t0) / 1000);
    const left = secondsLeft(t.config, trainRows, t.stepCount, rate);
    io.err(
      `\r[${'#'.repeat(k)}${'-'.repeat(w - k)}] epoch ${t.epoch}/${epochs}${e ? `  loss ${num(e.train.loss)}  acc ${pct(e.train.accuracy)}` : ''}${left !== null ? `  ${describeSecondsLeft(left)}` : ''}\x1b[K`,
    );
  };
}

// ---------------------------------------------------------------- check

function check(args: Parsed, io: Io): number {
  const json = args.switches.has('json');
  const random = args.switches.has('random');
  if (random === (args.positionals.length === 1) || args.positionals.length > 1)
    throw new UsageError('check takes one dataset FILE or --random');
  const modelPath = args.values.get('model');
  const model = modelPath ? readModel(modelPath, io) : null;
  const s = settingsFrom(args);
  // A model brings its own settings; --batch given on the command line still chooses how many examples are checked.
  const config = model
    ? { ...model.config, ...(args.values.has('batch') ? { batchSize: s.batchSize } : {}) }
    : trainConfigOf(s);
  let data: TrainData;
  if (random) {
    const n = model ? model.features.length : intFlag(args, 'features', 3, 1);
    const m = Math.min(config.batchSize, 64);
    const rng = new Rng(config.seed ^ 0x51ed);
    data = {
      X: Float64Array.from({ length: m * n }, () => rng.normal()),
      Y: Float64Array.from({ length: m }, (_, i) => i % 2),
      m,
      n,
    };
  } else {
    const file = args.positionals[0];
    if (model) {
      const d = readModelTable(file, args, io, model, s);
      if (!d.hasLabel)
        throw new DataFailure(
          file,
          1,
          `the model's label column ${JSON.stringify(model.label)} is not in the header; the gradient check needs every row's label`,
          json,
        );
      data = gather(
        d.X,
        d.Y,
        d.n,
        Int32Array.from({ length: d.m }, (_, i) => i),
        model.standardization,
        outputsOf(model.classes),
      );
    } else {
      const t = readTable(file, args, io, s);
      data = prepared(file, t, s, json).train;
    }
  }
  const count = Math.min(config.batchSize, data.m);
  const trainer = new Trainer(
    { ...config, batchSize: Math.max(1, config.batchSize) },
    data,
    null,
    model?.theta,
  );
  const options = gradcheckOptionsOf(s);
  if (args.switches.has('fast')) {
    const rep = checkNetworkFast(
      trainer.net,
      data,
      count,
      new Rng(config.seed ^ 0xfa57),
      intFlag(args, 'directions', 8, 1),
      options,
    );
    io.out(json ? toJson(fastJson(rep)) + '\n' : describeFast(rep, count));
    return rep.verdict === 'fail' ? EXIT.checkFailed : EXIT.ok;
  }
  const rep = checkNetwork(trainer.net, data, count, options, {
    onProgress: io.tty ? checkProgress(io) : undefined,
  });
  if (io.tty) io.err('\r\x1b[K');
  io.out(json ? toJson(reportJson(rep, count)) + '\n' : describeCheck(rep, count));
  return rep.verdict === 'fail' ? EXIT.checkFailed : EXIT.ok;
}

/** "checking 512/1,025 entries" on stderr, at most 10 times a second (a terminal only). */
function checkProgress(io: Io): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const w = 24,
      k = Math.min(w, Math.round((done / total) * w));
    io.err(
      `\r[${'#'.repeat(k)}${'-'.repeat(w - k)}] checking ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} entries\x1b[K`,
    );
  };
}

function readModel(path: string, io: Io): Model {
  let text: string;
  try {
    text = new TextDecoder().decode(io.readFile(path));
  } catch (e) {
    throw new UsageError(
      `cannot read the model ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return modelFromJson(text);
  } catch (e) {
    throw new UsageError(`${path} is not a usable model: ${(e as Error).message}`);
  }
}

function reportJson(r: GradcheckReport, count: number) {
  const params: Record<string, unknown> = {};
  for (const b of r.blocks) {
    params[b.name] = {
      shape: [b.rows, b.cols],
      analytic: b.entries.map((e) => e.analytic),
      numeric: b.entries.map((e) => e.numeric),
      relError: b.entries.map((e) => e.relError),
      kinks: b.entries.flatMap((e, i) => (e.kink ? [i] : [])),
      worst: {
        row: b.worst.row,
        col: b.worst.col,
        relError: b.worst.relError,
        analytic: b.worst.analytic,
        numeric: b.worst.numeric,
      },
      verdict: b.verdict,
      allclose: b.allclose,
    };
  }
  return {
    verdict: r.verdict,
    allclose: r.allclose,
    globalDiff: r.globalDiff,
    zeroGradient: r.zeroGradient,
    examples: count,
    step: r.options.h,
    thresholds: r.options.thresholds,
    atol: r.options.atol,
    rtol: r.options.rtol,
    evaluations: r.evaluations,
    params,
  };
}

function fastJson(r: FastReport) {
  return {
    verdict: r.verdict,
    directions: r.directions,
    evaluations: r.evaluations,
    localized: r.localized ? reportJson(r.localized, 0).params : null,
  };
}

function describeCheck(r: GradcheckReport, count: number): string {
  const t = r.options.thresholds;
  const rows = [
    ['param', 'shape', 'worst entry', 'analytic', 'numeric', 'rel. error', 'verdict', 'allclose'],
  ];
  for (const b of r.blocks) {
    const w = b.worst;
    rows.push([
      b.name,
      `${b.rows}×${b.cols}`,
      `[${w.row},${w.col}]`,
      num(w.analytic, 6),
      num(w.numeric, 6),
      w.relError.toExponential(1),
      b.verdict,
      b.allclose ? 'yes' : 'no',
    ]);
  }
  return (
    `gradient check on ${count} example${count === 1 ? '' : 's'}, central differences h = ${r.options.h}\n` +
    table(rows) +
    `\nverdict: ${r.verdict}; global ‖a − n‖/(‖a‖ + ‖n‖) = ${r.globalDiff.toExponential(2)}; thresholds pass ≤ ${t.pass}, warning ≤ ${t.warn}, fail > ${t.fail}; PyTorch-style atol ${r.options.atol}, rtol ${r.options.rtol}\n` +
    (r.zeroGradient
      ? 'warning: the analytic gradient is exactly 0 and the numeric one is within noise of 0, so this check tested nothing (a saturated output or dead units); check at other parameters or data\n'
      : '')
  );
}

function describeFast(r: FastReport, count: number): string {
  const rows = [['scope', 'a·u', '(f(θ+hu) − f(θ−hu))/2h', 'rel. error', 'verdict']];
  for (const d of r.directions)
    rows.push([d.scope, num(d.analytic, 6), num(d.numeric, 6), d.relError.toExponential(1), d.verdict]);
  let s = `fast gradient check on ${count} examples along random directions (${r.evaluations} loss evaluations)\n${table(rows)}\nverdict: ${r.verdict}\n`;
  if (r.localized) s += 'localised:\n' + describeCheck(r.localized, count);
  return s;
}

// ---------------------------------------------------------------- predict

function predictCmd(args: Parsed, io: Io): number {
  if (args.positionals.length !== 2) throw new UsageError('predict takes MODEL.json and a dataset FILE');
  const [modelPath, file] = args.positionals;
  const json = args.switches.has('json');
  const model = readModel(modelPath, io);
  const s = settingsFrom(args);
  const d = readModelTable(file, args, io, model, s);
  const classes = model.classes ?? ['0', '1'];
  const binary01 = classes.length === 2 && classes[0] === '0' && classes[1] === '1';
  const yhat = predict(model, d.X, d.m); // standardises with the model's statistics
  let correct = 0;
  const rows = Array.from({ length: d.m }, (_, i) => {
    const probabilities = classProbabilities(yhat, i, classes);
    let k = 0;
    for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[k]) k = c;
    if (classes.length === 2) k = probabilities[1] >= 0.5 ? 1 : 0; // ŷ ≥ 0.5 predicts class 1
    if (d.hasLabel && k === d.Y[i]) correct++;
    // A file of 0/1 labels keeps the numeric fields it always had; every model gives the class names and the probabilities in the order of classes.
    const row = { line: d.lines[i] } as {
      line: number;
      probability?: number;
      prediction?: number;
      class: string;
      probabilities: number[];
      label?: number | string;
    };
    if (binary01) Object.assign(row, { probability: probabilities[1], prediction: k });
    row.class = classes[k];
    row.probabilities = probabilities;
    if (d.hasLabel) row.label = binary01 ? d.Y[i] : classes[d.Y[i]];
    return row;
  });
  const accuracy = d.hasLabel ? correct / d.m : null;
  const dropped = describeDropped(d);
  if (json) io.out(toJson({ classes, predictions: rows, accuracy, droppedRows: d.dropped.length }) + '\n');
  else {
    if (binary01)
      io.out(
        [
          'line,probability,prediction' + (d.hasLabel ? ',label' : ''),
          ...rows.map((r) => `${r.line},${r.probability},${r.prediction}${d.hasLabel ? ',' + r.label : ''}`),
        ].join('\n') + '\n',
      );
    else {
      const csv = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
      io.out(
        [
          ['line', 'class', ...classes.map((c) => `p(${c})`), ...(d.hasLabel ? ['label'] : [])]
            .map(csv)
            .join(','),
          ...rows.map((r) =>
            [
              String(r.line),
              csv(r.class),
              ...r.probabilities.map(String),
              ...(d.hasLabel ? [csv(String(r.label))] : []),
            ].join(','),
          ),
        ].join('\n') + '\n',
      );
    }
    if (dropped) io.err(`${dropped}\n`);
    if (accuracy !== null) io.err(`accuracy ${pct(accuracy)} on ${d.m} rows\n`);
  }
  return EXIT.ok;
}

// ---------------------------------------------------------------- check-derivation

function checkDerivationCmd(args: Parsed, io: Io): number {
  const file = oneFile(args, '.deriv file');
  const s = settingsFrom(args);
  const mode = args.values.get('mode');
  if (mode !== undefined && mode !== 'example' && mode !== 'batch')
    throw new UsageError(`--mode must be example or batch, got '${mode}'`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(io.readFile(file));
  } catch (e) {
    throw new DataFailure(
      file,
      1,
      e instanceof TypeError
        ? 'the file is not valid UTF-8'
        : `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      args.switches.has('json'),
    );
  }
  const r = checkDerivation(text, {
    activation: s.activation,
    mode: mode as 'example' | 'batch' | undefined,
    step: s.checkStep,
    thresholds: { pass: s.checkPass, warn: s.checkWarn, fail: s.checkFail },
  });
  if (args.switches.has('json')) {
    io.out(
      toJson(
        r.findings.map((f) => ({
          line: f.range.start.line + 1,
          column: f.range.start.character + 1,
          end: { line: f.range.end.line + 1, column: f.range.end.character + 1 },
          severity: f.severity,
          code: f.code,
          message: f.message,
          related: f.related.map((x) => ({
            line: x.range.start.line + 1,
            column: x.range.start.character + 1,
            message: x.message,
          })),
        })),
      ) + '\n',
    );
  } else {
    for (const f of r.findings) {
      const [first, ...rest] = f.message.split('\n');
      io.out(
        `${file}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity}: ${first}\n${rest.map((l) => `    ${l}\n`).join('')}`,
      );
    }
    const g = r.gradients;
    io.err(
      `${file}: ${g.filter((x) => x.state === 'pass').length} of ${g.length} gradient lines match the numeric gradient (activation ${r.activation}, ${r.mode} mode)\n`,
    );
  }
  return r.findings.some((f) => f.severity === 'error') ? 1 : EXIT.ok;
}

// ---------------------------------------------------------------- lr-find

function numFlag(args: Parsed, name: string, def: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) return def;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--${name} must be a number, got '${raw}'`);
  return v;
}

/** A dataset file, or an experiment file (*.backprop.json): its dataset (relative to it), settings and race list. */
function datasetOrExperiment(
  path: string,
  io: Io,
  json: boolean,
): { file: string; base?: Partial<RunSettings>; race?: string[] } {
  if (!/\.backprop\.json$/i.test(path)) return { file: path };
  let text: string;
  try {
    text = new TextDecoder().decode(io.readFile(path));
  } catch (e) {
    throw new DataFailure(
      path,
      1,
      `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      json,
    );
  }
  const x = parseExperiment(text);
  if (!x.ok) throw new DataFailure(path, x.errors[0].line, x.errors[0].message, json);
  return {
    file: resolve(dirname(path), x.experiment.dataset),
    base: x.experiment.values,
    race: x.experiment.race,
  };
}

function lrFindCmd(args: Parsed, io: Io): number {
  const json = args.switches.has('json');
  const { file, base } = datasetOrExperiment(oneFile(args, 'dataset or experiment file'), io, json);
  const s = settingsFrom(args, base);
  const t = readTable(file, args, io, s);
  const p = prepared(file, t, s, json);
  for (const w of p.warnings) io.err(`warning: ${w}\n`);
  const options = {
    start: numFlag(args, 'start', DEFAULT_LR_FIND.start),
    end: numFlag(args, 'end', DEFAULT_LR_FIND.end),
    steps: intFlag(args, 'steps', DEFAULT_LR_FIND.steps, 3),
  };
  let r;
  try {
    r = lrFind(trainConfigOf(s), p.train, options);
  } catch (e) {
    if (e instanceof RangeError)
      throw new UsageError(`--${e.message.split(' ')[0]}: ${e.message.slice(e.message.indexOf(' ') + 1)}`);
    throw e;
  }
  if (json) {
    io.out(
      toJson({
        suggested: r.suggested,
        minimumOverTen: r.minimumOverTen,
        method: 'steepest descent of the smoothed loss over log(lr)',
        stop: r.stop,
        optimizer: r.optimizer,
        lr: r.lr,
        loss: r.loss,
        smoothed: r.smoothed,
        start: options.start,
        end: options.end,
        steps: options.steps,
      }) + '\n',
    );
    return EXIT.ok;
  }
  const rows = [['lr', 'loss', 'smoothed']];
  const k = r.lr.length,
    every = Math.max(1, Math.ceil(k / 15));
  for (let i = 0; i < k; i += every)
    rows.push([r.lr[i].toExponential(2), num(r.loss[i]), num(r.smoothed[i])]);
  io.out(
    `learning-rate range test on ${file}: ${s.optimizer}, ${k} steps from ${options.start} towards ${options.end} (${r.stop})\n${table(rows)}\n` +
      (r.suggested !== null
        ? `suggested learning rate: ${num(r.suggested)} (steepest descent of the smoothed loss); more cautious: ${num(r.minimumOverTen!)} (a tenth of the minimum's)\n`
        : 'no suggestion: the loss never fell (try a wider range or more steps)\n'),
  );
  return EXIT.ok;
}

// ---------------------------------------------------------------- race

function raceCmd(args: Parsed, io: Io): number {
  const json = args.switches.has('json');
  const {
    file,
    base,
    race: fromFile,
  } = datasetOrExperiment(oneFile(args, 'dataset or experiment file'), io, json);
  let optimizers: string[] | undefined = fromFile;
  const flag = args.values.get('optimizers');
  if (flag !== undefined)
    optimizers = flag
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o);
  if (!optimizers)
    throw new UsageError('race needs --optimizers sgd,adam,… (or an experiment file with "race")');
  try {
    validateRace(optimizers);
  } catch (e) {
    throw new UsageError(`--optimizers: ${(e as Error).message}`);
  }
  const threshold = numFlag(args, 'threshold', 0.1);
  const s = settingsFrom(args, base);
  const t = readTable(file, args, io, s);
  const p = prepared(file, t, s, json);
  for (const w of p.warnings) io.err(`warning: ${w}\n`);
  const r = race(trainConfigOf(s), optimizers as OptimizerName[], p.train, p.test.m ? p.test : null, {
    threshold,
    onRacer:
      io.tty && !json
        ? (x, i) => io.err(`${x.optimizer} done (${i + 1}/${optimizers!.length})\n`)
        : undefined,
  });
  if (json) {
    io.out(
      toJson({
        threshold,
        dataset: { file, trainRows: p.train.m, testRows: p.test.m },
        racers: r.racers.map((x) => ({
          optimizer: x.optimizer,
          status: x.result.status,
          reason: x.result.reason,
          steps: x.result.steps,
          epochs: x.result.epochs,
          stepsToThreshold: x.stepsToThreshold,
          train: x.train,
          test: x.test,
          ms: x.ms,
          curve: x.curve,
        })),
      }) + '\n',
    );
  } else {
    const rows = [
      [
        'optimizer',
        `steps to loss ≤ ${threshold}`,
        'train loss',
        'train acc.',
        'test acc.',
        'steps',
        'time',
        'status',
      ],
    ];
    for (const x of r.racers) {
      rows.push([
        x.optimizer,
        x.stepsToThreshold === null ? 'never' : String(x.stepsToThreshold),
        num(x.train.loss),
        pct(x.train.accuracy),
        x.test ? pct(x.test.accuracy) : '—',
        String(x.result.steps),
        `${Math.round(x.ms)} ms`,
        x.result.status,
      ]);
    }
    io.out(
      `optimizer race on ${file}: ${p.train.m} train / ${p.test.m} test rows, the same initial parameters (seed ${s.seed}), lr ${s.lr}, ${s.epochs} epochs\n${table(rows)}\n`,
    );
  }
  return EXIT.ok; // a diverged racer is a result of the race, shown in its status
}

// ---------------------------------------------------------------- export-torch

function exportTorchCmd(args: Parsed, io: Io): number {
  const modelPath = oneFile(args, 'MODEL.json');
  const file = args.values.get('data');
  const out = args.values.get('out');
  if (!file) throw new UsageError('export-torch needs --data FILE (the data file the script loads)');
  if (!out) throw new UsageError('export-torch needs --out model.py');
  if (!/\.py$/i.test(out)) throw new UsageError(`--out must name a .py file, got '${out}'`);
  const json = args.switches.has('json');
  const model = readModel(modelPath, io);
  const s = settingsFrom(args);
  const d = readModelTable(file, args, io, model, s);
  if (!d.hasLabel)
    throw new DataFailure(
      file,
      1,
      `the model's label column ${JSON.stringify(model.label)} is not in the header; the script trains on the labels`,
      json,
    );
  const { train: trainRows, test: testRows } = splitRows(d.m, s.split, model.config.seed);
  const train = gather(d.X, d.Y, d.n, trainRows, model.standardization, outputsOf(model.classes));
  const trainer = new Trainer(
    { ...model.config, epochs: Math.max(1, model.config.epochs) },
    train,
    null,
    model.theta,
  );
  const first = trainer.step();
  trainer.dispose();
  if (!first)
    throw new DataFailure(file, 1, `no first step at the model's parameters (${trainer.reason})`, json);
  const outDir = dirname(resolve(out));
  const stem = basename(out).replace(/\.py$/i, '');
  const checkFile = `${stem}.check.json`;
  let dataPath = relative(outDir, resolve(file));
  if (dataPath === '' || isAbsolute(dataPath)) dataPath = resolve(file);
  dataPath = dataPath.split(sep).join('/');
  const spec = {
    model,
    dataPath,
    checkFile,
    rows: d.m,
    trainRows,
    testRows,
    first,
    version: VERSION,
    dropMissing: s.dropMissing,
  };
  const write = (path: string, text: string) => {
    try {
      io.writeFile(path, text);
    } catch (e) {
      throw new UsageError(
        `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  write(join(outDir, checkFile), torchCheckJson(spec));
  write(out, torchScript(spec));
  if (json)
    io.out(
      toJson({
        script: out,
        check: join(outDir, checkFile),
        data: dataPath,
        trainRows: trainRows.length,
        testRows: testRows.length,
        firstBatch: first.samples.length,
        firstLoss: first.loss,
      }) + '\n',
    );
  else
    io.out(
      `wrote ${out} and ${join(outDir, checkFile)} (the first batch's gradients it checks); run it with: python3 ${out}\n`,
    );
  return EXIT.ok;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
