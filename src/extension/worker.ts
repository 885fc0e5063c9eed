/**
 * The training worker (worker_threads): reads and prepares the dataset, runs
 * the Trainer in time slices of a few milliseconds so that control messages
 * (pause, step, stop, learning rate) are handled between slices, and reports
 * throttled progress. Never one message per optimizer step.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { checkNetwork } from '../core/check';
import { Trainer, type TrainData } from '../core/trainer';
import { readDataset } from '../data/dataset';
import { DatasetError } from '../data/errors';
import { prepare } from '../data/prepare';
import { type GradientFn, derivationGradient } from '../derivation/gradient';
import type { EpochSummary } from '../core/trainer';
import type { FromWorker, StartMessage, StepSnapshot, ToWorker } from '../protocol';

const port = parentPort!;
const SLICE_MS = 8;

let start: StartMessage | null = null;
let trainer: Trainer | null = null;
let data: { train: TrainData; test: TrainData | null } | null = null;
let paused = false;
let stepBudget = 0; // steps still to take while paused (Step Once)
let epochTarget = -1; // epoch to reach while paused (Step One Epoch)
let scheduled = false;
let lastReport = 0;
let reportedEpochs = 0;
let stepsAtLastReport = 0;
let finishedSent = false;
let gradient: GradientFn | undefined;

const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', (m: ToWorker) => {
  try {
    handle(m);
  } catch (e) {
    post({ type: 'failed', runId: start?.runId ?? '', message: (e as Error).message });
  }
});

function handle(m: ToWorker): void {
  switch (m.type) {
    case 'start': return begin(m);
    case 'pause': paused = true; stepBudget = 0; epochTarget = -1; report(true); return;
    case 'resume': paused = false; schedule(); return;
    case 'step': paused = true; stepBudget += Math.max(1, m.steps); schedule(); return;
    case 'stepEpoch': paused = true; if (trainer) epochTarget = trainer.epoch + 1; schedule(); return;
    case 'stop': trainer?.cancel(); finish(); return;
    case 'setLearningRate': trainer?.setLearningRate(m.lr); report(true); return;
    case 'reset': return reset();
    case 'check': {
      if (!trainer || !data) return post({ type: 'checkResult', requestId: m.requestId, report: null, error: 'no training data is loaded' });
      const report = checkNetwork(trainer.net, data.train, Math.min(m.count, data.train.m), m.options);
      return post({ type: 'checkResult', requestId: m.requestId, report });
    }
  }
}

function begin(m: StartMessage): void {
  start = m;
  const r = readDataset(m.bytes, m.fileName, { label: m.label === '' ? undefined : m.label, maxBytes: m.maxBytes });
  if (!r.ok) return post({ type: 'dataError', runId: m.runId, line: r.error.line, message: r.error.message });
  let p;
  try {
    p = prepare(r.table, { split: m.split, seed: m.config.seed, standardize: m.standardize });
  } catch (e) {
    if (e instanceof DatasetError) return post({ type: 'dataError', runId: m.runId, line: e.line, message: e.message });
    throw e;
  }
  data = { train: p.train, test: p.test.m ? p.test : null };
  gradient = undefined;
  if (m.derivation) {
    const g = derivationGradient(m.derivation.text, m.config.activation);
    if (!g.ok) return post({ type: 'failed', runId: m.runId, message: `cannot train with ${m.derivation.file}: ${g.error}` });
    gradient = g.fn;
  }
  trainer = m.resume
    ? Trainer.restore(m.resume, data.train, data.test, { gradient })
    : new Trainer(m.config, data.train, data.test, m.theta ? Float64Array.from(m.theta) : undefined, { gradient });
  const k = Math.min(8, p.train.m);
  const hash = createHash('sha256').update(m.bytes).digest('hex');
  post({
    type: 'ready', runId: m.runId, config: trainer.config, theta: trainer.net.theta.slice(),
    dataset: {
      rows: r.table.m, features: r.table.featureNames, label: r.table.labelName, trainRows: p.train.m, testRows: p.test.m, standardization: p.standardization, hash,
      sample: { x: p.train.X.slice(0, k * p.train.n), y: p.train.Y.slice(0, k), m: k },
    },
  });
  paused = m.paused;
  reportedEpochs = 0; // the first progress carries the whole history (a resumed run has one)
  finishedSent = false;
  lastReport = 0;
  report(true);
  schedule();
}

function reset(): void {
  if (!start || !data) return;
  trainer = new Trainer({ ...start.config, lr: trainer?.opt.hyper.lr ?? start.config.lr }, data.train, data.test, undefined, { gradient });
  paused = true;
  stepBudget = 0;
  epochTarget = -1;
  reportedEpochs = 0;
  finishedSent = false;
  report(true);
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(loop);
}

function loop(): void {
  scheduled = false;
  const t = trainer;
  if (!t || t.status !== 'running') return finish();
  const stepping = stepBudget > 0 || epochTarget >= 0;
  if (paused && !stepping) return;
  const deadline = performance.now() + SLICE_MS;
  let k = 0;
  while (t.status === 'running') {
    t.step();
    if (paused) {
      if (stepBudget > 0 && --stepBudget === 0 && epochTarget < 0) break;
      if (epochTarget >= 0 && t.epoch >= epochTarget) { epochTarget = -1; stepBudget = 0; break; }
    }
    if ((++k & 15) === 0 && performance.now() >= deadline) break;
  }
  const done = t.status !== 'running';
  report(done || (paused && stepBudget === 0 && epochTarget < 0));
  if (done) finish();
  else schedule();
}

function report(force: boolean): void {
  const t = trainer;
  if (!t || !start) return;
  const now = performance.now();
  if (!force && now - lastReport < start.reportEveryMs) return;
  const dt = (now - lastReport) / 1000;
  const epochs: EpochSummary[] = t.history.slice(reportedEpochs);
  reportedEpochs = t.history.length;
  const last = t.stepCount > 0 && t.record.step === t.stepCount ? snapshot(t) : null;
  const theta = t.net.theta.slice();
  post({
    type: 'progress', runId: start.runId, status: t.status, paused, step: t.stepCount, epoch: t.epoch, lr: t.opt.hyper.lr,
    theta, last, epochs, stepsPerSecond: lastReport > 0 && dt > 0 ? (t.stepCount - stepsAtLastReport) / dt : 0,
  });
  lastReport = now;
  stepsAtLastReport = t.stepCount;
}

function snapshot(t: Trainer): StepSnapshot {
  const r = t.record;
  return {
    step: r.step, epoch: r.epoch, samples: r.samples.slice(0, 4096), x: r.x.slice(), y: r.y, z1: r.z1.slice(), a1: r.a1.slice(),
    z2: r.z2, a2: r.a2, dz2: r.dz2, dz1: r.dz1.slice(), loss: r.loss, grad: r.grad.slice(), delta: r.delta.slice(), misclassified: r.misclassified,
    trueGrad: r.trueGrad ? r.trueGrad.slice() : null,
  };
}

function finish(): void {
  const t = trainer;
  if (!t || !start || finishedSent || t.status === 'running') return;
  finishedSent = true;
  report(true);
  post({ type: 'finished', runId: start.runId, result: t.result(), state: t.getState() });
}
