/**
 * The training runs: one worker_threads worker per run, speaking the typed
 * protocol. At most one run is live at a time (never two loops on one state);
 * the extension host only routes messages and never trains.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { GradcheckReport } from '../core/gradcheck';
import type { RunSettings } from '../core/settings';
import { gradcheckOptionsOf, readOptionsOf, trainConfigOf } from '../core/settings';
import type { EpochSummary, StepRecord, TrainConfig, TrainResult, TrainerState } from '../core/trainer';
import type { LrFindResult } from '../core/lrfind';
import type {
  Boundary,
  BoundaryPlane,
  DataReadSettings,
  DatasetInfo,
  LandscapeRequest,
  LandscapeResult,
  ParameterEdit,
  FromWorker,
  Progress,
  RunPhase,
  ToWorker,
} from '../protocol';
import { trace } from '../trace';
import type { RunOptions, RunRequest, RunSummary } from './runRequest';

export type { RunPhase };
export type { RunOptions, RunRequest, RunSource, RunSummary } from './runRequest';

let nextId = 1;
/** How often progress alone (no change of state) is shown: the status bar, the notification, the inspector's header. */
export const DISPLAY_EVERY_MS = 250;
/** How long a control request waits for the worker's confirming report before the asked-for phase shows anyway. */
export const PROVISIONAL_MS = 150;

/** See Run.shown. */
export interface Shown {
  readonly phase: RunPhase;
  readonly progress: Progress | null;
  readonly lastEpoch: EpochSummary | null;
}

/** Unique across windows: time, a per-host counter and random digits. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${(nextId++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export class Run implements vscode.Disposable {
  readonly id: string;
  phase: RunPhase = 'starting';
  dataset: DatasetInfo | null = null;
  config: TrainConfig;
  theta: Float64Array = new Float64Array(0);
  last: StepRecord | null = null;
  /** The newest epoch summary and how many there were (the full history is in the run's history file). */
  lastEpoch: EpochSummary | null = null;
  epochCount = 0;
  progress: Progress | null = null;
  /**
   * What the status bar, the progress notification and the inspector's header show: the phase, the report and the
   * newest epoch summary as of the last change told to the listeners (onDidChange). One snapshot for the three, so they
   * always agree; the inspector's plots follow every report (onProgress) in between.
   */
  shown: Shown = { phase: 'starting', progress: null, lastEpoch: null };
  result: TrainResult | null = null;
  boundary: Boundary | null = null;
  /** What the user should know about the data and the outcome (a one-class training split, dead ReLU units). */
  warnings: string[] = [];
  /** Why the run failed (a data error with its line, a crash), when it did. */
  failure: string | null = null;
  /** Something the inspector should say about this run (e.g. the dataset changed on disk). */
  notice: string | null = null;

  readonly done: Promise<RunSummary>;
  private resolveDone!: (s: RunSummary) => void;
  /** Resolves at the first progress report, once the data is loaded and the phase known (null if the data could not be read). */
  readonly ready: Promise<DatasetInfo | null>;
  private resolveReady!: (d: DatasetInfo | null) => void;
  private readonly worker: Worker;
  private readonly changed = new vscode.EventEmitter<Run>();
  readonly onDidChange = this.changed.event;
  private readonly progressed = new vscode.EventEmitter<Progress>();
  /** Every progress report, with the epoch summaries completed since the previous one (step 0: a fresh trajectory). */
  readonly onProgress = this.progressed.event;
  private checks = new Map<number, (r: GradcheckReport | null, error?: string) => void>();
  private nextCheck = 1;
  private disposed = false;

  private readonly editedEmitter = new vscode.EventEmitter<ParameterEdit>();
  /** The user set a parameter (the recorder keeps it in the run's record). */
  readonly onEdit = this.editedEmitter.event;
  /** Every edit of this run, in order. */
  readonly edits: ParameterEdit[] = [];

  private readonly checkpointed = new vscode.EventEmitter<{ state: TrainerState; historyFrom: number }>();
  /** The worker's periodic trainer states (and the final one), for the run store; each carries only the epochs not yet saved. */
  readonly onCheckpoint = this.checkpointed.event;

  constructor(
    readonly request: RunRequest,
    workerPath: string,
    bytes: Uint8Array,
    options: RunOptions,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.id = request.id ?? newRunId();
    this.config = trainConfigOf(request.settings);
    this.done = new Promise((r) => (this.resolveDone = r));
    this.ready = new Promise((r) => (this.resolveReady = r));
    void this.done.then(() => this.resolveReady(null));
    this.worker = new Worker(workerPath);
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (e) => this.fail(`the training worker crashed: ${e.message}`));
    this.worker.on('exit', (code) => {
      if (this.phase !== 'finished' && this.phase !== 'failed' && !this.disposed)
        this.fail(`the training worker exited (code ${code})`);
    });
    const s = request.settings;
    this.send(
      {
        type: 'start',
        runId: this.id,
        bytes,
        fileName: request.uri.path,
        label: s.label,
        maxBytes: options.maxBytes,
        split: s.split,
        standardize: s.standardize,
        config: this.config,
        resume: request.resume,
        theta: request.theta,
        reportEveryMs: options.reportEveryMs,
        paused: !!request.paused,
        derivation: request.derivation,
        checkpoint: options.checkpoint,
        stepsPerSecond: options.stepsPerSecond,
        minSeconds: options.minSeconds ?? 0,
        read: dataReadSettings(s),
      },
      [bytes.buffer as ArrayBuffer],
    );
  }

  get fileName(): string {
    return path.posix.basename(this.request.uri.path);
  }

  /** The derivation file the gradients come from, if any. */
  get derivationFile(): string | null {
    return this.request.derivation?.file ?? null;
  }

  /**
   * Pause and resume show at once (the status bar, the notification and the
   * inspector follow this Run): the phase changes now, and reports the worker
   * sent before it saw the request do not undo it.
   */
  pause(): void {
    this.send({ type: 'pause' });
    this.expect('paused');
  }

  resume(): void {
    this.send({ type: 'resume' });
    this.expect('running');
  }

  private lastChange = 0;
  private pendingChange: ReturnType<typeof setTimeout> | undefined;

  /**
   * What is shown now. The worker's last report says how the run ended (cancelled, completed, …) a moment before its
   * final state arrives: the run shows as finished from that report on.
   */
  private snapshot(): Shown {
    const p = this.progress;
    const ended =
      p !== null && p.status !== 'running' && (this.phase === 'running' || this.phase === 'paused');
    return { phase: ended ? 'finished' : this.phase, progress: p, lastEpoch: this.lastEpoch };
  }

  /** Tell the listeners now (and drop a pending throttled change: this one is newer); snapshot: take what is shown now. */
  private fireChange(snapshot = true): void {
    clearTimeout(this.pendingChange);
    this.pendingChange = undefined;
    clearTimeout(this.provisional);
    this.provisional = undefined;
    this.lastChange = Date.now();
    if (snapshot) this.shown = this.snapshot();
    this.changed.fire(this);
  }

  /** Tell the listeners at most every DISPLAY_EVERY_MS; the last change of a burst is never lost. */
  private throttledChange(): void {
    const wait = DISPLAY_EVERY_MS - (Date.now() - this.lastChange);
    if (wait <= 0) return this.fireChange();
    this.pendingChange ??= setTimeout(() => {
      this.pendingChange = undefined;
      if (!this.disposed) this.fireChange();
    }, wait);
  }

  /** A control request waits for the worker's confirming report. */
  get awaiting(): boolean {
    return this.expected !== null;
  }

  /** The phase a control request leads to, until the worker's report confirms it. */
  private expected: 'paused' | 'running' | null = null;
  private provisional: ReturnType<typeof setTimeout> | undefined;

  /**
   * A control request was sent: the phase is the one asked for from now on (commands and menus follow it), and what the
   * user sees changes with the worker's confirming report — a few milliseconds later, with the step the worker stopped
   * at, so that the inspector, the status bar and the notification show that step once rather than an older one first.
   * A worker busy with one long step (a huge batch) still shows the change after PROVISIONAL_MS.
   */
  private expect(phase: 'paused' | 'running'): void {
    trace(`host: ${phase} asked`);
    if (this.phase !== 'running' && this.phase !== 'paused') return;
    this.expected = phase;
    if (this.phase !== phase) {
      this.phase = phase;
      clearTimeout(this.provisional);
      this.provisional = setTimeout(() => {
        this.provisional = undefined;
        if (!this.disposed && this.expected === phase) this.fireChange();
      }, PROVISIONAL_MS);
    }
  }
  step(steps = 1): void {
    this.send({ type: 'step', steps });
    this.expect('paused');
  }

  stepEpoch(): void {
    this.send({ type: 'stepEpoch' });
    this.expect('paused');
  }

  stop(): void {
    this.send({ type: 'stop' });
  }
  reset(): void {
    this.send({ type: 'reset' });
  }
  setLearningRate(lr: number): void {
    this.send({ type: 'setLearningRate', lr });
  }
  setSpeed(stepsPerSecond: number): void {
    this.send({ type: 'setSpeed', stepsPerSecond });
  }
  setBoundary(plane: BoundaryPlane): void {
    this.send({ type: 'setBoundary', plane });
  }
  setParameter(index: number, value: number): void {
    this.send({ type: 'setParameter', index, value });
  }
  restoreParameter(index: number): void {
    this.send({ type: 'restoreParameter', index });
  }

  private requests = new Map<number, (r: unknown, error?: string) => void>();

  /** Ask the worker something that it answers with a result of the same requestId. */
  private ask<T>(make: (requestId: number) => ToWorker): Promise<T> {
    const requestId = this.nextCheck++;
    return new Promise<T>((resolve, reject) => {
      this.requests.set(requestId, (r, error) =>
        r ? resolve(r as T) : reject(new Error(error ?? 'the worker could not answer')),
      );
      this.send(make(requestId));
    });
  }

  /** The learning-rate range test on this run's data and settings, from its initial θ (or where it is now). */
  lrFind(from: 'initial' | 'current' = 'initial'): Promise<LrFindResult> {
    return this.ask((requestId) => ({ type: 'lrFind', requestId, options: {}, from }));
  }

  /** The loss landscape around the current θ. */
  landscape(request: LandscapeRequest): Promise<LandscapeResult> {
    return this.ask((requestId) => ({ type: 'landscape', requestId, request }));
  }

  check(count?: number): Promise<GradcheckReport> {
    const requestId = this.nextCheck++;
    return new Promise((resolve, reject) => {
      this.checks.set(requestId, (r, error) =>
        r ? resolve(r) : reject(new Error(error ?? 'gradient check failed')),
      );
      this.send({
        type: 'check',
        requestId,
        count: count ?? this.config.batchSize,
        options: gradcheckOptionsOf(this.request.settings),
      });
    });
  }

  /** Say something about the run in the inspector (e.g. its dataset changed on disk). */
  setNotice(text: string): void {
    this.notice = text;
    this.fireChange();
  }

  summary(): RunSummary {
    const r = this.result;
    return {
      runId: this.id,
      file: this.request.uri.toString(),
      status: r?.status ?? 'failed',
      reason: r?.reason ?? '',
      steps: r?.steps ?? 0,
      epochs: r?.epochs ?? 0,
      train: r?.train ?? null,
      test: r?.test ?? null,
      divergence: r?.divergence ?? null,
      dataset: this.dataset,
      config: this.config,
      settings: this.request.settings,
      source: this.request.source,
      warnings: this.warnings,
    };
  }

  private send(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.disposed) this.worker.postMessage(m, transfer);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        this.dataset = m.dataset;
        this.warnings = [...m.dataset.warnings];
        this.config = m.config;
        this.theta = m.theta;
        this.log.info(
          `run ${this.id}: ${this.fileName}: ${m.dataset.rows} rows × ${m.dataset.features.length} features, ${m.dataset.trainRows} train / ${m.dataset.testRows} test`,
        );
        break;
      case 'progress': {
        const before = `${this.shown.phase}:${this.progress?.status}:${this.progress?.paused}:${this.progress?.lr}:${this.progress?.speed}`;
        this.progress = m;
        let confirmed = false;
        if (m.status === 'running') {
          const reported = m.paused ? 'paused' : 'running';
          if (this.expected === reported) {
            this.expected = null;
            confirmed = true;
            trace(`host: the worker confirms ${reported} at step ${m.step}`);
          }
          this.phase = this.expected ?? reported;
        }
        this.theta = m.theta;
        if (m.boundary) this.boundary = m.boundary;
        if (m.step === 0) {
          // reset: a fresh trajectory
          this.lastEpoch = null;
          this.epochCount = 0;
          this.last = null;
        }
        if (m.last) this.last = m.last;
        if (m.epochs.length) {
          this.lastEpoch = m.epochs[m.epochs.length - 1];
          this.epochCount += m.epochs.length;
        }
        this.resolveReady(this.dataset); // the first progress: data loaded and the phase known
        // A change of state shows at once; progress alone at most DISPLAY_EVERY_MS (the status bar, the notification and
        // the inspector's header follow the same changes, so they show the same step; the inspector's plots follow onProgress).
        // A paused worker reports only what the user asked for (a step, an edit): shown at once too. Reports sent before
        // the worker saw a request are not shown (they would show the old state).
        const now =
          m.step === 0 ||
          (!this.expected &&
            (confirmed || m.paused || before !== `${this.phase}:${m.status}:${m.paused}:${m.lr}:${m.speed}`));
        if (now) this.shown = this.snapshot(); // the plots' update carries it
        this.progressed.fire(m);
        if (now) return this.fireChange(false);
        if (this.expected) return;
        return this.throttledChange();
      }
      case 'checkpoint':
        this.checkpointed.fire({ state: m.state, historyFrom: m.historyFrom });
        return;
      case 'finished':
        this.result = m.result;
        this.warnings = [...(this.dataset?.warnings ?? []), ...m.notes];
        for (const w of m.notes) this.log.warn(`run ${this.id}: ${w}`);
        this.checkpointed.fire({ state: m.state, historyFrom: m.historyFrom });
        this.phase = 'finished';
        this.log.info(
          `run ${this.id}: ${m.result.status} (${m.result.reason}) after ${m.result.steps} steps; train accuracy ${m.result.train.accuracy.toFixed(4)}${m.result.test ? `, test accuracy ${m.result.test.accuracy.toFixed(4)}` : ''}`,
        );
        this.resolveDone(this.summary());
        break;
      case 'dataError':
        this.phase = 'failed';
        this.failure = `line ${m.line}: ${m.message}`;
        this.resolveDone({
          ...this.summary(),
          status: 'data-error',
          reason: m.message,
          error: { line: m.line, message: m.message },
        });
        break;
      case 'edited':
        this.edits.push(m.edit);
        this.log.info(
          `run ${this.id}: ${m.edit.restore ? 'restored' : 'set'} ${m.edit.name} ${m.edit.from} → ${m.edit.to} at step ${m.edit.step}`,
        );
        this.editedEmitter.fire(m.edit);
        return;
      case 'lrFindResult':
      case 'landscapeResult': {
        const cb = this.requests.get(m.requestId);
        this.requests.delete(m.requestId);
        cb?.(m.result, m.error);
        return;
      }
      case 'checkResult': {
        const cb = this.checks.get(m.requestId);
        this.checks.delete(m.requestId);
        cb?.(m.report, m.error);
        return;
      }
      case 'failed':
        return this.fail(m.message);
    }
    this.fireChange();
  }

  private fail(message: string): void {
    if (this.phase === 'finished' || this.phase === 'failed') return;
    this.phase = 'failed';
    this.failure = message;
    this.log.error(`run ${this.id}: ${message}`);
    this.resolveDone({ ...this.summary(), status: 'failed', reason: message });
    this.fireChange();
  }

  dispose(): void {
    if (this.disposed) return;
    if (this.phase !== 'finished' && this.phase !== 'failed') this.fail('stopped: the run was disposed');
    this.disposed = true;
    clearTimeout(this.pendingChange);
    for (const cb of this.checks.values()) cb(null, 'the run was disposed');
    this.checks.clear();
    for (const cb of this.requests.values()) cb(null, 'the run was disposed');
    this.requests.clear();
    void this.worker.terminate();
    this.changed.dispose();
    this.progressed.dispose();
    this.editedEmitter.dispose();
    this.checkpointed.dispose();
  }
}

/** How the worker reads the dataset beyond the label column: the settings' ignore, missing values and limits. */
function dataReadSettings(s: RunSettings): DataReadSettings {
  const { ignore, dropMissing, maxClasses, maxCategories, positiveClass } = readOptionsOf(s);
  return { ignore, dropMissing, maxClasses, maxCategories, positiveClass };
}
