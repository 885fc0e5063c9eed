/** backprop-lens train: train on a dataset file, print (or --json) the outcome, optionally save the model. */
import { AUTO_HIDDEN_RULE } from '../core/config';
import { deadReluUnits, describeDeadUnits } from '../core/diagnose';
import { modelToJson, type Model } from '../core/model';
import { describeSecondsLeft, secondsLeft } from '../core/progress';
import { trainConfigOf, type RunSettings } from '../core/settings';
import { Trainer, confusionMatrix, type TrainData, type TrainResult } from '../core/trainer';
import { type Table } from '../data/dataset';
import { classCounts } from '../data/prepare';
import { type Parsed } from './args';
import { EXIT, describeDropped, oneFile, prepared, readTable, settingsFrom, type Io } from './common';
import { num, pct, table, toJson } from './format';

// ---------------------------------------------------------------- train

export function train(args: Parsed, io: Io): number {
  const file = oneFile(args, 'dataset file');
  const s = settingsFrom(args);
  const json = args.switches.has('json');
  const t = readTable(file, args, io, s);
  const p = prepared(file, t, s, json);
  const dropped = describeDropped(t);
  if (dropped && !json) io.err(`${dropped}\n`);
  for (const w of p.warnings) io.err(`warning: ${w}\n`); // before training, which may take a while
  const trainer = new Trainer(trainConfigOf(s), p.train, p.test.m ? p.test : null);
  const config = trainer.config; // the hidden width concrete (automatic: for the data's classes)
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
      describeRun(file, t, p.train.m, p.test.m, s, config.hidden, result) +
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
  hidden: number,
  r: TrainResult,
): string {
  const metrics = (m: TrainResult['train']) =>
    `loss ${num(m.loss)}, accuracy ${pct(m.accuracy)} (${m.misclassified} misclassified of ${m.m})`;
  return (
    [
      `${file}: ${t.m} rows × ${t.n} features (label "${t.labelName}"), ${mTrain} train / ${mTest} test${s.standardize ? ', standardised' : ''}`,
      `${s.optimizer}, lr ${s.lr}, ${hidden} hidden ${s.activation} units${s.hidden === 0 ? ` (automatic: ${AUTO_HIDDEN_RULE})` : ''}, ${s.init} init, seed ${s.seed}`,
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
