/**
 * The one owner of training runs in the extension host: it reads the dataset,
 * applies the busy rule (one live run at a time), writes the run's record
 * before the run starts, starts the worker through the RunManager, follows the
 * run with a progress notification and dataset-change notices, resumes stored
 * runs, and restarts the current run's request with changed settings.
 * Commands and the inspector ask it; they never start workers themselves.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type RunSettings, resolveSettings } from '../core/settings';
import { extensionSetting } from './config';
import type { DataDiagnostics } from './dataDiagnostics';
import type { Datasets } from './datasets';
import { statStamp } from './fileStat';
import { type Recorder, sha256 } from './recorder';
import type { RunManager } from './runManager';
import { type Run, type RunRequest, type RunSource, type RunSummary, newRunId } from './runs';
import { describeProgress } from './status';
import { offerLine } from './ui';
import type { RunRecord } from '../training/store';
import { VIEW_TYPE } from '../panel/panel';

export interface StartOptions {
  /** What to do if a run is in progress; default: the backpropLens.training.whenBusy setting. */
  ifBusy?: 'ask' | 'stopAndStart' | 'keep';
  /** Start paused at step 0 (step-by-step). The call then returns once the data is loaded. */
  paused?: boolean;
  /** Return as soon as the run has started instead of when it ends. */
  wait?: boolean;
}

const MB = 1024 * 1024;

/** The dataset's bytes, read for a run, and how the file looked then (for change notices). */
interface Read {
  bytes: Uint8Array;
  stamp: { mtime: number; size: number };
  hash?: string;
}

export class RunController implements vscode.Disposable {
  constructor(
    readonly runs: RunManager,
    readonly recorder: Recorder,
    private readonly dataDiagnostics: DataDiagnostics,
    private readonly datasets: Datasets,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get current(): Run | undefined {
    return this.runs.current;
  }

  get busy(): boolean {
    return this.runs.busy;
  }

  /** Start a run of `request`; resolves with its summary when it ends (or when it has started: paused, wait: false). */
  async start(
    request: RunRequest,
    options: StartOptions = {},
    resumed: RunRecord | null = null,
    read?: Read,
  ): Promise<RunSummary | undefined> {
    if (!(await this.makeRoom(options.ifBusy, request.uri))) return undefined;
    const { uri } = request;
    const rel = vscode.workspace.asRelativePath(uri);
    const got = read ?? (await this.read(request));
    if (!got || !('bytes' in got)) return got;
    const { bytes, stamp } = got;
    const maxBytes = extensionSetting<number>('data.maxFileSizeMB', 256, uri) * MB;
    const rate = Math.min(30, Math.max(1, extensionSetting<number>('panel.updatesPerSecond', 10)));
    // The record is written before the run starts (its hash computed off the host's thread).
    const id = request.id ?? newRunId();
    const record = await this.recorder.begin(request, id, bytes, resumed, got.hash);
    if (this.runs.busy) {
      // Another run started while the record was written: this one never runs.
      await this.recorder.store.update({
        ...record,
        status: 'failed',
        reason: 'another run started first',
        endedAt: new Date().toISOString(),
      });
      return undefined;
    }
    const checkpoint = {
      everySeconds: extensionSetting<number>('checkpoints.everySeconds', 10),
      everyEpochs: extensionSetting<number>('checkpoints.everyEpochs', 0),
    };
    const stepsPerSecond =
      request.stepsPerSecond ?? Math.max(0, extensionSetting<number>('training.stepsPerSecond', 0));
    // A run that would end within minSeconds at full speed is paced to take about that long, so that it can be
    // watched; a pace asked for by the caller (a script, a restart keeping its speed) is kept as it is.
    const minSeconds =
      request.stepsPerSecond === undefined
        ? Math.max(0, extensionSetting<number>('training.minSeconds', 20))
        : 0;
    const run = this.runs.start({ ...request, id }, bytes, {
      reportEveryMs: 1000 / rate,
      maxBytes,
      checkpoint,
      stepsPerSecond,
      minSeconds,
    });
    this.recorder.follow(run, record);
    this.watchDataset(run, record.dataset.hash, stamp);
    await this.datasets.remember(uri);
    const from = request.source.file
      ? ` ${vscode.workspace.asRelativePath(vscode.Uri.parse(request.source.file))}`
      : '';
    this.log.info(
      `run ${run.id}: ${rel}, SHA-256 ${record.dataset.hash.slice(0, 16)}… (${request.source.kind}${from}) with ${JSON.stringify(request.settings)}`,
    );
    const finished = this.notifyUntilDone(run, rel);
    if (request.paused || options.wait === false) {
      await run.ready;
      if (run.phase === 'failed') return finished;
      return { ...run.summary(), status: 'running' };
    }
    return finished;
  }

  /**
   * The current run's request again, with some settings changed: the same
   * dataset, source (experiment or model file) and derivation; a fresh run.
   * Throws a RangeError naming the setting when an override is invalid.
   */
  async restartWith(
    overrides: Partial<RunSettings>,
    options: StartOptions = { ifBusy: 'stopAndStart', wait: false },
  ): Promise<RunSummary | undefined> {
    const run = this.runs.current;
    if (!run) return undefined;
    const { request } = run;
    const settings = resolveSettings({ ...request.settings }, overrides);
    this.log.info(`run ${run.id}: restarting with ${JSON.stringify(overrides)}`);
    const next: RunRequest = {
      uri: request.uri,
      settings,
      source: request.source,
      derivation: request.derivation,
      theta: request.theta,
      // The run goes on as the user left it: paused stays paused, and at the pace they chose.
      paused: options.paused ?? run.phase === 'paused',
      stepsPerSecond: run.progress?.speed ?? request.stepsPerSecond,
    };
    return this.start(next, options);
  }

  /** Resume an interrupted or cancelled run from its last checkpoint; the trajectory is the uninterrupted one. */
  async resume(
    record: RunRecord,
    options: StartOptions & { ifDatasetChanged?: 'ask' | 'resume' | 'cancel' } = {},
  ): Promise<RunSummary | undefined> {
    const checkpoint = await this.recorder.store.resumeState(record.id);
    if (!checkpoint) {
      void vscode.window.showErrorMessage(
        `Backprop Lens: run ${record.id} has no readable checkpoint to resume from.`,
      );
      return undefined;
    }
    const uri = vscode.Uri.parse(record.dataset.uri);
    const source = record.source as RunSource;
    const read = await this.read({ uri, settings: record.settings, source });
    if (!read || !('bytes' in read)) return read;
    const hash = await sha256(read.bytes);
    if (hash !== record.dataset.hash) {
      const mode = options.ifDatasetChanged ?? 'ask';
      if (mode === 'cancel') return undefined;
      if (mode === 'ask') {
        const go = await vscode.window.showWarningMessage(
          `${record.dataset.name} has changed since this run read it (SHA-256 ${record.dataset.hash.slice(0, 12)}… → ${hash.slice(0, 12)}…). Resuming on different data gives a different trajectory. Resume anyway?`,
          { modal: true },
          'Resume Anyway',
        );
        if (go !== 'Resume Anyway') return undefined;
      }
    }
    this.log.info(`resuming run ${record.id} from step ${checkpoint.step} (epoch ${checkpoint.epoch})`);
    const request: RunRequest = {
      uri,
      settings: { ...record.settings, lr: checkpoint.trainer.config.lr },
      source,
      resume: checkpoint.trainer,
      id: record.id,
      derivation: record.derivation
        ? { text: record.derivation.text, file: record.derivation.file }
        : undefined,
      paused: options.paused,
    };
    return this.start(request, options, record, { ...read, hash });
  }

  /** Stop the current run and wait until it has stopped. */
  stopCurrent(): Promise<void> {
    return this.runs.stopCurrent();
  }

  /** The dataset's bytes; a clear error (and undefined, or a failed summary) when it cannot be read or is too big. */
  private async read(request: RunRequest): Promise<Read | RunSummary | undefined> {
    const { uri } = request;
    const rel = vscode.workspace.asRelativePath(uri);
    const maxBytes = extensionSetting<number>('data.maxFileSizeMB', 256, uri) * MB;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      const stamp = await statStamp(uri).catch(() => ({ mtime: stat.mtime, size: stat.size })); // the file as the run reads it
      if (stat.size > maxBytes) {
        const message = `the file is ${(stat.size / MB).toFixed(0)} MB, over the ${maxBytes / MB} MB limit (setting backpropLens.data.maxFileSizeMB)`;
        this.dataDiagnostics.report(uri, 1, message, request.settings);
        void offerLine(this.log, uri, 1, `${rel}:1: ${message}`);
        return failedSummary(request, 1, 'the file is over the size limit');
      }
      return { bytes: await vscode.workspace.fs.readFile(uri), stamp };
    } catch (e) {
      void vscode.window.showErrorMessage(`Backprop Lens: cannot read ${rel}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The run goes on with the data it read; the inspector says when the file changes, moves or goes. */
  private watchDataset(run: Run, hash: string, read: { mtime: number; size: number }): void {
    const uri = run.request.uri;
    const name = path.posix.basename(uri.path);
    const say = (what: string) =>
      run.setNotice(
        `${name} ${what} after the run read it; the run goes on with the data it read (SHA-256 ${hash.slice(0, 12)}…).`,
      );
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), name),
    );
    // File watchers are not delivered everywhere (remote and some container file systems): also look every second.
    let seen: { mtime: number; size: number } | null = read; // as it was when the run read it
    let renamed = false;
    const poll = setInterval(() => {
      statStamp(uri).then(
        (now) => {
          if (seen && (seen.mtime !== now.mtime || seen.size !== now.size)) say('changed on disk');
          seen = now;
        },
        () => {
          if (seen !== null && !renamed) say('was deleted');
          seen = null;
        },
      );
    }, 1000);
    const subs = [
      { dispose: () => clearInterval(poll) },
      watcher,
      watcher.onDidChange(() => say('changed on disk')),
      watcher.onDidDelete(() => say('was deleted')),
      vscode.workspace.onDidRenameFiles((e) => {
        for (const f of e.files) {
          if (f.oldUri.toString() !== uri.toString()) continue;
          renamed = true;
          say(`was renamed to ${vscode.workspace.asRelativePath(f.newUri)}`);
          this.dataDiagnostics.move(f.oldUri, f.newUri);
        }
      }),
    ];
    void run.done.then(() => subs.forEach((d) => d.dispose()));
  }

  /** Progress notification (cancellable) until the run ends, then the outcome message. */
  private async notifyUntilDone(run: Run, rel: string): Promise<RunSummary> {
    const summary = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Backprop Lens: training ${rel}`,
        cancellable: true,
      },
      async (progress, token) => {
        token.onCancellationRequested(() => run.stop());
        let lastEpoch = 0;
        // Every change of the run (at the report rate): the same state and step as the status bar and the inspector.
        const sub = run.onDidChange(() => {
          const epoch = run.shown.progress?.epoch ?? 0;
          const increment = epoch > lastEpoch ? ((epoch - lastEpoch) / run.config.epochs) * 100 : 0;
          lastEpoch = epoch;
          progress.report({
            message:
              run.shown.phase === 'paused' ? `paused · ${describeProgress(run)}` : describeProgress(run),
            increment,
          });
        });
        try {
          return await run.done;
        } finally {
          sub.dispose();
        }
      },
    );
    const { uri } = run.request;
    if (summary.error) {
      this.dataDiagnostics.report(uri, summary.error.line, summary.error.message, run.request.settings);
      void offerLine(
        this.log,
        uri,
        summary.error.line,
        `${rel}:${summary.error.line}: ${summary.error.message}`,
      );
      return summary;
    }
    if (summary.dataset) this.dataDiagnostics.clear(uri);
    if (summary.status === 'failed')
      void vscode.window.showErrorMessage(`Backprop Lens: ${rel}: ${summary.reason}`);
    else if (summary.status === 'diverged')
      void vscode.window.showWarningMessage(
        `Backprop Lens: ${rel} diverged: ${summary.reason}. Try a smaller learning rate.`,
      );
    else if (summary.status !== 'cancelled' && summary.train) {
      const acc = summary.test
        ? `test accuracy ${(100 * summary.test.accuracy).toFixed(1)}%`
        : `training accuracy ${(100 * summary.train.accuracy).toFixed(1)}%`;
      const notes = summary.warnings.length ? ` ${summary.warnings.join(' ')}.` : '';
      const say = summary.warnings.length
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
      const text = `Backprop Lens: ${rel}: ${summary.status} after ${summary.steps} steps, ${acc}.${notes}`;
      // The button only when the inspector is not already in view.
      if (inspectorShowing()) void say(text);
      else
        void say(text, 'Show Inspector').then((b) => {
          if (b) void vscode.commands.executeCommand('backpropLens.showInspector');
        });
    }
    return summary;
  }

  /** One run at a time: apply the busy rule. Returns whether the new run may start. */
  private async makeRoom(ifBusy: StartOptions['ifBusy'], next: vscode.Uri): Promise<boolean> {
    if (!this.runs.busy) return true;
    const current = this.runs.current!;
    const mode = ifBusy ?? extensionSetting<'ask' | 'stopAndStart' | 'keep'>('training.whenBusy', 'ask');
    if (mode === 'keep') {
      void vscode.window.showWarningMessage(
        `Backprop Lens: ${current.fileName} is still training; stop it first to train ${path.posix.basename(next.path)}.`,
      );
      return false;
    }
    if (mode === 'ask') {
      const choice = await vscode.window.showWarningMessage(
        `${current.fileName} is training (${describeProgress(current)}). Stop it and train ${path.posix.basename(next.path)}?`,
        { modal: true },
        'Stop and Train',
      );
      if (choice !== 'Stop and Train') return false;
    }
    await this.runs.stopCurrent();
    return true;
  }

  dispose(): void {
    this.runs.dispose();
  }
}

function failedSummary(request: RunRequest, line: number, message: string): RunSummary {
  return {
    runId: '',
    file: request.uri.toString(),
    status: 'data-error',
    reason: message,
    steps: 0,
    epochs: 0,
    train: null,
    test: null,
    divergence: null,
    dataset: null,
    config: { ...request.settings },
    settings: request.settings,
    source: request.source,
    warnings: [],
    error: { line, message },
  };
}

/** Whether the gradient inspector is the visible tab of some editor group. */
function inspectorShowing(): boolean {
  return vscode.window.tabGroups.all.some((g) => {
    const input = g.activeTab?.input;
    return input instanceof vscode.TabInputWebview && input.viewType.endsWith(VIEW_TYPE);
  });
}
