/**
 * One training session: the loop and the state that the training worker runs.
 * Pure (no worker_threads, no VS Code, no file system): it takes the protocol's
 * messages through handle() and speaks through a SessionHost, so plain mocha
 * drives it with a fake clock and scheduler, and worker.ts is a thin adapter.
 *
 * The loop runs the Trainer in time slices of a few milliseconds, so that
 * control messages (pause, step, stop, learning rate) are handled between
 * slices, and reports throttled progress: never one message per step.
 */
import { checkNetwork } from '../core/check';
import { deadReluUnits, describeDeadUnits } from '../core/diagnose';
import { entryName } from '../core/network';
import { watchablePace } from '../core/progress';
import { type StepRecord, Trainer, type TrainData, confusionMatrix, copyStep } from '../core/trainer';
import { readDataset } from '../data/dataset';
import { DatasetError } from '../data/errors';
import { classCounts, prepare } from '../data/prepare';
import { type GradientFn, derivationGradient } from '../derivation/gradient';
import { lrFind } from '../core/lrfind';
import type { Confusion, FromWorker, StartMessage, ToWorker } from '../protocol';
import { MAX_TRAJECTORY, Trajectory, landscapeOf } from './whatif';

export { MAX_TRAJECTORY };
import {
  type Plane,
  type PlotPoints,
  type PrincipalPlane,
  boundaryOf,
  featureMeans,
  pickPoints,
  principalPlane,
  project,
} from './boundary';

/** What a session needs from where it runs (a worker thread, or a test). */
export interface SessionHost {
  post(m: FromWorker, transfer?: ArrayBuffer[]): void;
  /** Run fn after the messages already queued are handled (setImmediate in a worker). */
  defer(fn: () => void): void;
  /** Run fn after ms milliseconds (setTimeout). */
  later(fn: () => void, ms: number): void;
  /** Milliseconds, monotonic. */
  now(): number;
}

/** How long one slice of steps may take before the session looks at its messages again. */
export const SLICE_MS = 8;
/** How long after the last report the final state is posted (see finish). */
export const FINISHED_AFTER_MS = 30;
/** The most epoch summaries one checkpoint carries (see maybeCheckpoint). */
export const CHECKPOINT_MAX_EPOCHS = 1000;
/** Most steps per call of the trainer's tight loop (a few milliseconds of the smallest networks' SGD). */
export const MAX_CHUNK = 4096;

export class TrainingSession {
  private start: StartMessage | null = null;
  private trainer: Trainer | null = null;
  private data: { train: TrainData; test: TrainData | null } | null = null;
  private gradient: GradientFn | undefined;
  private paused = false;
  /** Steps still to take while paused (Step Once). */
  private stepBudget = 0;
  /** Epoch to reach while paused (Step One Epoch); −1: none. */
  private epochTarget = -1;
  private scheduled = false;
  private finishedSent = false;
  private report = { at: 0, epochs: 0, steps: 0 };
  private lastCheckpoint = { at: 0, epoch: 0 };
  /** Epoch summaries already handed over with a checkpoint (the store appends them to the run's history file). */
  private historySaved = 0;
  /** Steps per call of the trainer's tight loop (adapted to the slice). */
  private chunk = 16;
  /** The last step's record as the run computed it, kept while parameters are edited by hand. */
  private ownRecord: StepRecord | null = null;
  /** Entries the user set since the last step, and the run's own value of each (restore puts it back). */
  private readonly edits = new Map<number, number>();
  /** Steps per second asked for (0: full speed), and the time and step count the pace counts from. */
  private speed = 0;
  private pace = { at: 0, steps: 0 };
  private plane: Plane = { mode: 'features', i: 0, j: 1 };
  /** The training rows' principal plane and the plotted points in it (computed once per run, beyond two features). */
  private pca: PrincipalPlane | null = null;
  private projected: Float64Array | null = null;
  private points: PlotPoints | null = null;
  private means: Float64Array = new Float64Array(0);
  /** The run's trajectory, for the loss landscape (what-if questions answered in the worker). */
  private readonly trajectory = new Trajectory();

  constructor(private readonly host: SessionHost) {}

  /** Handle one message; an unexpected error ends the run as failed (never a silent stop). */
  handle(m: ToWorker): void {
    try {
      this.dispatch(m);
    } catch (e) {
      this.host.post({ type: 'failed', runId: this.start?.runId ?? '', message: (e as Error).message });
    }
  }

  private dispatch(m: ToWorker): void {
    const t = this.trainer;
    switch (m.type) {
      case 'start':
        return this.begin(m);
      case 'pause':
        this.paused = true;
        this.stepBudget = 0;
        this.epochTarget = -1;
        return this.progress(true);
      case 'resume':
        this.paused = false;
        this.restartPace();
        return this.schedule();
      case 'step':
        this.paused = true;
        this.stepBudget += Math.max(1, m.steps);
        return this.schedule();
      case 'stepEpoch':
        this.paused = true;
        if (t) this.epochTarget = t.epoch + 1;
        return this.schedule();
      case 'stop':
        t?.cancel();
        return this.finish();
      case 'setLearningRate':
        t?.setLearningRate(m.lr);
        return this.progress(true);
      case 'setSpeed':
        this.speed = m.stepsPerSecond > 0 && Number.isFinite(m.stepsPerSecond) ? m.stepsPerSecond : 0;
        this.restartPace();
        this.progress(true);
        return this.schedule();
      case 'setBoundary': {
        const pl = m.plane;
        const n = this.data?.train.n ?? 0;
        if (pl.mode === 'pca' ? this.pca !== null : pl.i < n && pl.j < n && pl.i !== pl.j) this.plane = pl;
        return this.progress(true);
      }
      case 'reset':
        this.edits.clear();
        this.ownRecord = null;
        return this.reset();
      case 'setParameter':
        return this.edit(m.index, m.value, false);
      case 'restoreParameter': {
        const own = this.edits.get(m.index);
        return own === undefined ? undefined : this.edit(m.index, own, true);
      }
      case 'check': {
        if (!t || !this.data)
          return this.host.post({
            type: 'checkResult',
            requestId: m.requestId,
            report: null,
            error: 'no training data is loaded',
          });
        const report = checkNetwork(t.net, this.data.train, Math.min(m.count, this.data.train.m), m.options);
        return this.host.post({ type: 'checkResult', requestId: m.requestId, report });
      }
      case 'lrFind': {
        const st = this.start;
        if (!t || !this.data || !st)
          return this.host.post({
            type: 'lrFindResult',
            requestId: m.requestId,
            result: null,
            error: 'no training data is loaded',
          });
        // From the run's initial θ (the seeded one, or the imported model's), or from where the run is now.
        const theta =
          m.from === 'current'
            ? t.net.theta.slice()
            : st.theta
              ? Float64Array.from(st.theta)
              : st.resume
                ? Float64Array.from(st.resume.theta)
                : undefined;
        try {
          const result = lrFind({ ...st.config }, this.data.train, m.options, theta);
          return this.host.post({ type: 'lrFindResult', requestId: m.requestId, result }, [
            result.lr.buffer as ArrayBuffer,
            result.loss.buffer as ArrayBuffer,
            result.smoothed.buffer as ArrayBuffer,
          ]);
        } catch (e) {
          return this.host.post({
            type: 'lrFindResult',
            requestId: m.requestId,
            result: null,
            error: (e as Error).message,
          });
        }
      }
      case 'landscape': {
        if (!t || !this.data)
          return this.host.post({
            type: 'landscapeResult',
            requestId: m.requestId,
            result: null,
            error: 'no training data is loaded',
          });
        try {
          return this.host.post({
            type: 'landscapeResult',
            requestId: m.requestId,
            result: landscapeOf(t, this.data.train, m.request, this.trajectory.snapshots),
          });
        } catch (e) {
          return this.host.post({
            type: 'landscapeResult',
            requestId: m.requestId,
            result: null,
            error: (e as Error).message,
          });
        }
      }
      default: {
        const never: never = m;
        throw new Error(`unknown message ${JSON.stringify((never as { type?: unknown }).type)}`);
      }
    }
  }

  private begin(m: StartMessage): void {
    this.start = m;
    const { post } = this.host;
    const r = readDataset(m.bytes, m.fileName, {
      label: m.label === '' ? undefined : m.label,
      maxBytes: m.maxBytes,
      ...(m.read ?? {}),
    });
    if (!r.ok)
      return post({ type: 'dataError', runId: m.runId, line: r.error.line, message: r.error.message });
    let p;
    try {
      p = prepare(r.table, { split: m.split, seed: m.config.seed, standardize: m.standardize });
    } catch (e) {
      if (e instanceof DatasetError)
        return post({ type: 'dataError', runId: m.runId, line: e.line, message: e.message });
      throw e;
    }
    const data = { train: p.train, test: p.test.m ? p.test : null };
    this.data = data;
    this.gradient = undefined;
    if (m.derivation) {
      const g = derivationGradient(m.derivation.text, m.config.activation, undefined, r.table.K);
      if (!g.ok)
        return post({
          type: 'failed',
          runId: m.runId,
          message: `cannot train with ${m.derivation.file}: ${g.error}`,
        });
      this.gradient = g.fn;
    }
    const gradient = this.gradient;
    this.trainer?.dispose();
    // A resumed run continues: a cancelled or interrupted state is running again.
    const t = m.resume
      ? Trainer.restore(
          { ...m.resume, status: 'running', reason: '', divergence: null },
          data.train,
          data.test,
          { gradient },
        )
      : new Trainer(m.config, data.train, data.test, m.theta ? Float64Array.from(m.theta) : undefined, {
          gradient,
        });
    this.trainer = t;
    this.trajectory.reset(t);
    const k = Math.min(8, p.train.m);
    this.points = pickPoints(p.train, p.test);
    this.means = featureMeans(p.train);
    // Beyond two features the principal plane is the default view (computed once: O(iterations·m·n)).
    this.pca = p.train.n > 2 ? principalPlane(p.train) : null;
    this.projected = this.pca ? project(this.points, this.pca) : null;
    this.plane = this.pca ? { mode: 'pca' } : { mode: 'features', i: 0, j: Math.min(1, p.train.n - 1) };
    post({
      type: 'ready',
      runId: m.runId,
      config: t.config,
      theta: t.net.theta.slice(),
      dataset: {
        classes: r.table.classes,
        K: r.table.K,
        classCounts: {
          train: classCounts(p.train.Y, null, r.table.classes.length),
          test: classCounts(p.test.Y, null, r.table.classes.length),
        },
        encoding: r.table.encoding,
        dropped: { count: r.table.dropped.length, lines: r.table.dropped.slice(0, 20) },
        rows: r.table.m,
        features: r.table.featureNames,
        label: r.table.labelName,
        trainRows: p.train.m,
        testRows: p.test.m,
        standardization: p.standardization,
        sample: { x: p.train.X.slice(0, k * p.train.n), y: p.train.Y.slice(0, k), m: k },
        points: this.points,
        warnings: p.warnings,
      },
    });
    this.paused = m.paused;
    // A pace asked for; else, a run that would end within minSeconds is paced to take about that long (it can be watched).
    this.speed =
      m.stepsPerSecond > 0
        ? m.stepsPerSecond
        : watchablePace(t.config, p.train.m, t.stepCount, m.minSeconds ?? 0);
    this.restartPace();
    this.report = { at: 0, epochs: 0, steps: 0 }; // the first progress carries the whole history (a resumed run has one)
    this.lastCheckpoint = { at: this.host.now(), epoch: t.epoch };
    this.historySaved = m.resume ? t.history.length : 0; // a resumed run's history is saved already
    this.checkpoint(t); // step 0 (or the resumed step)
    this.finishedSent = false;
    this.progress(true);
    this.schedule();
  }

  /**
   * Set θ[index] while the run is paused or over (what if this weight were…?). The step record is recomputed at the
   * edited θ for the same samples, so the loss, every gradient, the chain rule, the boundary and a gradient check
   * follow at once; no update is applied (the record's update is zero). The edit is reported for the run's record.
   */
  private edit(index: number, value: number, restore: boolean): void {
    const t = this.trainer,
      start = this.start;
    if (!t || !start || !this.data || (t.status === 'running' && !this.paused)) return;
    if (!(index >= 0 && index < t.net.theta.length) || !Number.isFinite(value)) return;
    const from = t.net.theta[index];
    // The step's own record is kept at the first edit, and comes back when every edit is restored.
    if (!restore && this.edits.size === 0) this.ownRecord = copyStep(t.record);
    if (!restore && !this.edits.has(index)) this.edits.set(index, from);
    if (restore) this.edits.delete(index);
    t.net.theta[index] = value;
    const edit = {
      step: t.stepCount,
      index,
      name: entryName(index, t.train.n, t.config.hidden),
      from,
      to: value,
      restore,
    };
    this.host.post({ type: 'edited', runId: start.runId, edit });
    if (this.edits.size === 0 && this.ownRecord) {
      restoreRecord(t.record, this.ownRecord);
      this.ownRecord = null;
    } else this.reinspect(t);
    this.progress(true);
  }

  /** The last step's record at the current θ (after an edit): loss, gradients and forward values for the same samples. */
  private reinspect(t: Trainer): void {
    const r = t.record,
      d = this.data!.train;
    if (r.step === 0 || r.samples.length === 0) return;
    const net = t.net,
      count = r.samples.length;
    if (this.gradient) {
      net.lossAndGrad(d.X, d.Y, r.samples, count, r.trueGrad!);
      r.loss = this.gradient(net, d.X, d.Y, r.samples, count, r.grad);
    } else r.loss = net.lossAndGrad(d.X, d.Y, r.samples, count, r.grad);
    const first = r.samples[0];
    net.forward(d.X, first * d.n);
    r.dz2 = net.signals(d.Y[first]);
    r.z1.set(net.z1);
    r.a1.set(net.a1);
    r.z2 = net.z2;
    r.a2 = net.a2;
    r.dz1.set(net.dz1);
    r.delta.fill(0);
  }

  private reset(): void {
    const { start, data } = this;
    if (!start || !data) return;
    const lr = this.trainer?.opt.hyper.lr ?? start.config.lr;
    this.trainer?.dispose();
    const t = new Trainer({ ...start.config, lr }, data.train, data.test, undefined, {
      gradient: this.gradient,
    });
    this.trainer = t;
    this.trajectory.reset(t);
    this.paused = true;
    this.stepBudget = 0;
    this.epochTarget = -1;
    this.report.epochs = 0;
    this.finishedSent = false;
    this.historySaved = 0;
    this.progress(true);
    this.checkpoint(t); // a reset starts the history again
  }

  private schedule(delayMs = 0): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (delayMs > 0) this.host.later(() => this.loop(), delayMs);
    else this.host.defer(() => this.loop());
  }

  /** The pace counts from now (after a pause, a speed change, a start). */
  private restartPace(): void {
    this.pace = { at: this.host.now(), steps: this.trainer?.stepCount ?? 0 };
  }

  /** Steps due now at the asked pace (Infinity at full speed); 0 means wait. Never a burst of more than a quarter second's steps. */
  private due(t: Trainer): number {
    if (this.speed <= 0) return Infinity;
    const now = this.host.now();
    let owed = Math.floor(((now - this.pace.at) / 1000) * this.speed) - (t.stepCount - this.pace.steps);
    if (owed > Math.max(1, this.speed / 4)) {
      // Far behind (a busy machine): do not catch up in a burst; count from here.
      this.restartPace();
      owed = 1;
    }
    return Math.max(0, owed);
  }

  private loop(): void {
    this.scheduled = false;
    const t = this.trainer;
    if (!t || t.status !== 'running') return this.finish();
    const stepping = this.stepBudget > 0 || this.epochTarget >= 0;
    if (this.paused && !stepping) return;
    const budget = stepping ? Infinity : this.due(t);
    if (budget === 0) {
      // Paced: wait until the next step is due.
      const next = this.pace.at + ((t.stepCount - this.pace.steps + 1) / this.speed) * 1000;
      return this.schedule(Math.max(1, next - this.host.now()));
    }
    this.edits.clear(); // the edited values are now part of the trajectory
    this.ownRecord = null;
    const deadline = this.host.now() + SLICE_MS;
    let k = 0;
    if (stepping) {
      // Step by step (Step, Step One Epoch): each step as asked, the record of each.
      while (t.status === 'running') {
        t.step();
        k++;
        this.trajectory.record(t);
        if (this.stepBudget > 0 && --this.stepBudget === 0 && this.epochTarget < 0) break;
        if (this.epochTarget >= 0 && t.epoch >= this.epochTarget) {
          this.epochTarget = -1;
          this.stepBudget = 0;
          break;
        }
        if ((k & 15) === 0 && this.host.now() >= deadline) break;
      }
    } else {
      // Nobody watches every step: the trainer's tight loop (advance() fills the record of the last step only), in
      // chunks that grow while a chunk takes under a quarter of the slice and shrink when one overruns it.
      while (t.status === 'running' && k < budget) {
        const t0 = this.host.now();
        const n = t.advance(Math.max(1, Math.min(this.chunk, budget - k)));
        k += n;
        this.trajectory.record(t); // the landscape's trajectory: once per epoch at most
        const now = this.host.now();
        if (now - t0 < SLICE_MS / 4) this.chunk = Math.min(this.chunk * 2, MAX_CHUNK);
        else if (now - t0 > SLICE_MS) this.chunk = Math.max(1, this.chunk >> 1);
        if (n === 0 || now >= deadline || t.history.length - this.historySaved >= CHECKPOINT_MAX_EPOCHS)
          break;
      }
    }
    const done = t.status !== 'running';
    // Paced slowly enough to see every step: show each one.
    const everyStep = this.speed > 0 && this.speed * this.start!.reportEveryMs <= 1000;
    this.progress(done || everyStep || (this.paused && this.stepBudget === 0 && this.epochTarget < 0));
    if (done) return this.finish();
    this.maybeCheckpoint(t);
    this.schedule();
  }

  private confusion: { epoch: number; at: number; value: Confusion | null } = {
    epoch: -1,
    at: 0,
    value: null,
  };

  /** The confusion matrices as of the last epoch's end: recomputed when an epoch ended, at most every half second. */
  private confusionOf(t: Trainer, now: number): Confusion | null {
    const c = this.confusion;
    if (!this.data || t.epoch === 0) return null;
    if (c.epoch !== t.epoch && (now - c.at >= 500 || t.status !== 'running' || this.paused)) {
      const value = {
        epoch: t.epoch,
        train: confusionMatrix(t.net, this.data.train),
        test: this.data.test ? confusionMatrix(t.net, this.data.test) : null,
      };
      this.confusion = { epoch: t.epoch, at: now, value };
    }
    return this.confusion.value;
  }

  /** A progress message, at most every start.reportEveryMs unless forced. */
  private progress(force: boolean): void {
    const { trainer: t, start } = this;
    if (!t || !start) return;
    const now = this.host.now();
    const last = this.report;
    if (!force && now - last.at < start.reportEveryMs) return;
    const dt = (now - last.at) / 1000;
    const epochs = t.history.slice(last.epochs);
    // The step just taken; after a divergence, the step that overflowed (its update holds the ±∞/NaN that stopped the run).
    const r = t.record;
    const shown =
      (t.stepCount > 0 && r.step === t.stepCount) || (t.status === 'diverged' && r.step === t.stepCount + 1);
    this.host.post({
      type: 'progress',
      runId: start.runId,
      status: t.status,
      paused: this.paused,
      step: t.stepCount,
      epoch: t.epoch,
      lr: t.opt.hyper.lr,
      theta: t.net.theta.slice(),
      last: shown ? copyStep(r, 4096) : null,
      epochs,
      stepsPerSecond: last.at > 0 && dt > 0 ? (t.stepCount - last.steps) / dt : 0,
      speed: this.speed,
      boundary: this.points
        ? boundaryOf(t.net, this.points, this.means, this.plane, this.pca, this.projected)
        : null,
      edited: [...this.edits.keys()],
      confusion: this.confusionOf(t, now),
    });
    this.report = { at: now, epochs: t.history.length, steps: t.stepCount };
  }

  private finish(): void {
    const { trainer: t, start } = this;
    if (!t || !start || this.finishedSent || t.status === 'running') return;
    this.finishedSent = true;
    this.progress(true);
    const notes: string[] = [];
    if (t.config.activation === 'relu' && this.data) {
      const dead = deadReluUnits(
        t.net.theta,
        this.data.train.n,
        t.config.hidden,
        this.data.train.X,
        this.data.train.m,
      );
      if (dead.dead.length) notes.push(describeDeadUnits(dead));
    }
    const finished: FromWorker = {
      type: 'finished',
      runId: start.runId,
      result: t.result(),
      state: t.getState(this.historySaved),
      historyFrom: this.historySaved,
      notes,
    };
    // The final state carries every epoch summary since the last checkpoint (thousands at full speed); it follows the
    // last report a moment later, so that the extension host forwards that report (what the user sees) first.
    this.host.later(() => this.host.post(finished), FINISHED_AFTER_MS);
    this.historySaved = t.history.length;
    t.dispose(); // the kernels' worker threads end with the run (a later step would start them again)
  }

  /** A checkpoint every `everySeconds` seconds and/or `everyEpochs` epochs (the final state goes with "finished"). */
  private maybeCheckpoint(t: Trainer): void {
    if (!this.start) return;
    const { everySeconds, everyEpochs } = this.start.checkpoint;
    const now = this.host.now();
    const byTime = everySeconds > 0 && now - this.lastCheckpoint.at >= everySeconds * 1000;
    const byEpoch = everyEpochs > 0 && t.epoch - this.lastCheckpoint.epoch >= everyEpochs;
    // Never more than CHECKPOINT_MAX_EPOCHS summaries in one message: at full speed ten seconds hold tens of
    // thousands, and the extension host would stall reading and storing them in one piece (a Pause waits behind it).
    const bySize = t.history.length - this.historySaved >= CHECKPOINT_MAX_EPOCHS;
    if (!byTime && !byEpoch && !bySize) return;
    this.lastCheckpoint = { at: now, epoch: t.epoch };
    this.checkpoint(t);
  }

  private checkpoint(t: Trainer): void {
    if (!this.start) return;
    this.host.post({
      type: 'checkpoint',
      runId: this.start.runId,
      state: t.getState(this.historySaved),
      historyFrom: this.historySaved,
    });
    this.historySaved = t.history.length;
  }
}

/** Put a kept copy of a step record back into the trainer's (reused) record. */
function restoreRecord(r: StepRecord, own: StepRecord): void {
  for (const k of ['x', 'z1', 'a1', 'dz1', 'grad', 'delta', 'z2k', 'a2k', 'dz2k'] as const) r[k].set(own[k]);
  if (r.trueGrad && own.trueGrad) r.trueGrad.set(own.trueGrad);
  r.z2 = own.z2;
  r.a2 = own.a2;
  r.dz2 = own.dz2;
  r.loss = own.loss;
}
