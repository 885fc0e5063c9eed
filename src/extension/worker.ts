/**
 * The training worker (worker_threads): reads and prepares the dataset, runs
 * the Trainer in time slices of a few milliseconds so that control messages
 * (pause, step, stop, learning rate) are handled between slices, and reports
 * throttled progress. Never one message per optimizer step.
 */
import { parentPort } from 'node:worker_threads';
import { checkNetwork } from '../core/check';
import { Trainer, type TrainData } from '../core/trainer';
import { readDataset } from '../data/dataset';
import { DatasetError } from '../data/errors';
import { prepare } from '../data/prepare';
import { type GradientFn, derivationGradient } from '../derivation/gradient';
import type { EpochSummary } from '../core/trainer';
import type { Boundary, FromWorker, StartMessage, StepSnapshot, ToWorker } from '../protocol';

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
let lastCheckpoint = { at: 0, epoch: 0 };
/** Epoch summaries already handed over with a checkpoint (the store appends them to the run's history file). */
let historySaved = 0;
let plane = { i: 0, j: 1 };
let points: { k: number; n: number; x: Float64Array; y: Float64Array; test: Float64Array } | null = null;
let means: Float64Array = new Float64Array(0);

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
    case 'setBoundary':
      if (data && m.i < data.train.n && m.j < data.train.n && m.i !== m.j) plane = { i: m.i, j: m.j };
      report(true);
      return;
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
  // A resumed run continues: a cancelled or interrupted state is running again.
  trainer = m.resume
    ? Trainer.restore({ ...m.resume, status: 'running', reason: '', divergence: null }, data.train, data.test, { gradient })
    : new Trainer(m.config, data.train, data.test, m.theta ? Float64Array.from(m.theta) : undefined, { gradient });
  const k = Math.min(8, p.train.m);
  points = pickPoints(p.train, p.test);
  means = new Float64Array(p.train.n);
  for (let r = 0; r < p.train.m; r++) for (let c = 0; c < p.train.n; c++) means[c] += p.train.X[r * p.train.n + c] / p.train.m;
  plane = { i: 0, j: Math.min(1, p.train.n - 1) };
  post({
    type: 'ready', runId: m.runId, config: trainer.config, theta: trainer.net.theta.slice(),
    dataset: {
      rows: r.table.m, features: r.table.featureNames, label: r.table.labelName, trainRows: p.train.m, testRows: p.test.m, standardization: p.standardization,
      sample: { x: p.train.X.slice(0, k * p.train.n), y: p.train.Y.slice(0, k), m: k },
      points,
    },
  });
  paused = m.paused;
  reportedEpochs = 0; // the first progress carries the whole history (a resumed run has one)
  lastCheckpoint = { at: performance.now(), epoch: trainer.epoch };
  historySaved = m.resume ? trainer.history.length : 0; // a resumed run's history is saved already
  checkpoint(trainer); // step 0 (or the resumed step)
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
  historySaved = 0;
  report(true);
  checkpoint(trainer); // a reset starts the history again
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
  if (!done) maybeCheckpoint(t);
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
  // The step just taken; after a divergence, the step that overflowed (its update holds the ±∞/NaN that stopped the run).
  const last = (t.stepCount > 0 && t.record.step === t.stepCount) || (t.status === 'diverged' && t.record.step === t.stepCount + 1) ? snapshot(t) : null;
  const theta = t.net.theta.slice();
  post({
    type: 'progress', runId: start.runId, status: t.status, paused, step: t.stepCount, epoch: t.epoch, lr: t.opt.hyper.lr,
    theta, last, epochs, stepsPerSecond: lastReport > 0 && dt > 0 ? (t.stepCount - stepsAtLastReport) / dt : 0,
    boundary: boundary(t),
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
  post({ type: 'finished', runId: start.runId, result: t.result(), state: t.getState(historySaved), historyFrom: historySaved });
  historySaved = t.history.length;
}

/** Up to 1,500 points for the plot: every training row first, then test rows, evenly thinned. */
function pickPoints(train: TrainData, test: TrainData) {
  const n = train.n;
  const total = train.m + test.m;
  const k = Math.min(1500, total);
  const x = new Float64Array(k * n), y = new Float64Array(k), isTest = new Float64Array(k);
  for (let q = 0; q < k; q++) {
    const r = Math.floor((q * total) / k);
    const [d, row, tst] = r < train.m ? [train, r, 0] : [test, r - train.m, 1];
    x.set(d.X.subarray(row * n, row * n + n), q * n);
    y[q] = d.Y[row];
    isTest[q] = tst;
  }
  return { k, n, x, y, test: isTest };
}

/** ŷ over the plane of the chosen two features, the others at their training mean; the grid shrinks for big networks (a few ms at most). */
function boundary(t: Trainer): Boundary | null {
  if (!points || points.n < 2) return null;
  const { i, j } = plane;
  const n = points.n, h = t.config.hidden;
  const G = Math.max(12, Math.min(48, Math.floor(Math.sqrt(2e6 / (n * h + h)))));
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let q = 0; q < points.k; q++) {
    const a = points.x[q * n + i], b = points.x[q * n + j];
    if (Number.isFinite(a)) { x0 = Math.min(x0, a); x1 = Math.max(x1, a); }
    if (Number.isFinite(b)) { y0 = Math.min(y0, b); y1 = Math.max(y1, b); }
  }
  if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
  if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  const mx = 0.08 * (x1 - x0), my = 0.08 * (y1 - y0);
  x0 -= mx; x1 += mx; y0 -= my; y1 += my;
  const x = Float64Array.from(means);
  const p = new Float64Array(G * G);
  for (let r = 0; r < G; r++) {
    x[j] = y1 - ((r + 0.5) / G) * (y1 - y0);
    for (let c = 0; c < G; c++) {
      x[i] = x0 + ((c + 0.5) / G) * (x1 - x0);
      t.net.forward(x, 0);
      p[r * G + c] = t.net.a2;
    }
  }
  return { i, j, G, x0, x1, y0, y1, p };
}

/** A checkpoint every `everySeconds` seconds and/or `everyEpochs` epochs (the final state goes with "finished"). */
function maybeCheckpoint(t: Trainer): void {
  if (!start) return;
  const { everySeconds, everyEpochs } = start.checkpoint;
  const now = performance.now();
  const byTime = everySeconds > 0 && now - lastCheckpoint.at >= everySeconds * 1000;
  const byEpoch = everyEpochs > 0 && t.epoch - lastCheckpoint.epoch >= everyEpochs;
  if (!byTime && !byEpoch) return;
  lastCheckpoint = { at: now, epoch: t.epoch };
  checkpoint(t);
}

function checkpoint(t: Trainer): void {
  if (!start) return;
  post({ type: 'checkpoint', runId: start.runId, state: t.getState(historySaved), historyFrom: historySaved });
  historySaved = t.history.length;
}
