/** backprop-lens check and check-derivation: the gradient check of the network, and the check of a .deriv file. */
import { checkNetwork, checkNetworkFast } from '../core/check';
import type { FastReport, GradcheckReport } from '../core/gradcheck';
import { outputsOf } from '../core/model';
import { Rng } from '../core/rng';
import { gradcheckOptionsOf, trainConfigOf } from '../core/settings';
import { Trainer, type TrainData } from '../core/trainer';
import { gather } from '../data/prepare';
import { checkDerivation } from '../derivation/checker';
import { UsageError, type Parsed } from './args';
import {
  DataFailure,
  EXIT,
  intFlag,
  oneFile,
  prepared,
  readModel,
  readModelTable,
  readTable,
  settingsFrom,
  type Io,
} from './common';
import { num, table, toJson } from './format';

// ---------------------------------------------------------------- check

export function check(args: Parsed, io: Io): number {
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

// ---------------------------------------------------------------- check-derivation

export function checkDerivationCmd(args: Parsed, io: Io): number {
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
