/** backprop-lens predict: a saved model on a data file (class names and probabilities). */
import { classProbabilities, predict } from '../core/model';
import { UsageError, type Parsed } from './args';
import { EXIT, describeDropped, readModel, readModelTable, settingsFrom, type Io } from './common';
import { pct, toJson } from './format';

// ---------------------------------------------------------------- predict

export function predictCmd(args: Parsed, io: Io): number {
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
