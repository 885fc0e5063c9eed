/** backprop-lens lr-find, race and export-torch: asking "what if", and taking a model on to PyTorch. */
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_LR_FIND, lrFind } from '../core/lrfind';
import { outputsOf } from '../core/model';
import { trainConfigOf } from '../core/settings';
import { Trainer, type OptimizerName } from '../core/trainer';
import { gather, splitRows } from '../data/prepare';
import { torchCheckJson, torchScript } from '../export/torch';
import { type RaceLandscape, race, raceLandscape, validateRace } from '../training/race';
import { UsageError, type Parsed } from './args';
import {
  DataFailure,
  EXIT,
  VERSION,
  datasetOrExperiment,
  intFlag,
  numFlag,
  oneFile,
  prepared,
  readModel,
  readModelTable,
  readTable,
  settingsFrom,
  type Io,
} from './common';
import { num, pct, table, toJson } from './format';

export function lrFindCmd(args: Parsed, io: Io): number {
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

export function raceCmd(args: Parsed, io: Io): number {
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
  const landscape = args.switches.has('landscape');
  const r = race(trainConfigOf(s), optimizers as OptimizerName[], p.train, p.test.m ? p.test : null, {
    threshold,
    ...(landscape ? { trajectory: 64 } : {}),
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
        ...(landscape
          ? { landscape: landscapeJson(raceLandscape(trainConfigOf(s), r, p.train, { size: 21 })) }
          : {}),
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

export function exportTorchCmd(args: Parsed, io: Io): number {
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

/** The racers' shared landscape for --json: the grid (loss[j·size + i] at a[i], b[j]) and each racer's path. */
function landscapeJson(l: RaceLandscape) {
  return {
    size: l.grid.size,
    a: Array.from(l.grid.a),
    b: Array.from(l.grid.b),
    loss: Array.from(l.grid.loss),
    explained: l.explained,
    paths: l.paths.map((x) => Array.from(x)),
  };
}
