/**
 * Every backpropLens.<verb> command. activate() registers them from COMMANDS;
 * each handler is a method of Commands, which holds the services it needs.
 * Handlers take optional arguments so that scripts and tests can drive them
 * without dialogs (documented in the README under "Commands").
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GradcheckReport } from '../core/gradcheck';
import { modelFromJson, modelToJson } from '../core/model';
import type { RunSettings } from '../core/settings';
import { parseExperiment } from '../data/experiment';
import { formatOf } from '../data/dataset';
import { SettingsError, extensionSetting, readSettings } from './config';
import type { DataDiagnostics } from './dataDiagnostics';
import { derivationGradient } from '../derivation/gradient';
import { seedDerivation } from '../derivation/checker';
import { type Run, type RunManager, type RunRequest, type RunSource, type RunSummary, newRunId } from './runs';
import { type Recorder, sha256 } from './recorder';
import type { RunRecord } from './store';
import { RunItem, compareHtml } from './runsView';
import { statStamp } from './fileStat';
import { describeProgress } from './status';

export interface TrainOptions {
  /** Settings that win over the VS Code settings (for scripts and tests). */
  settings?: Partial<RunSettings>;
  /** What to do if a run is in progress; default: the backpropLens.training.whenBusy setting. */
  ifBusy?: 'ask' | 'stopAndStart' | 'keep';
  /** Start paused at step 0 (step-by-step). The command then returns once the data is loaded. */
  paused?: boolean;
  /** Return as soon as the run has started instead of when it ends. */
  wait?: boolean;
}

const MB = 1024 * 1024;

/** What the commands need of the inspector panel. */
export interface InspectorLike {
  show(): void;
  showCheck(report: GradcheckReport | undefined, step: number): void;
}
const RECENT_KEY = 'backpropLens.recentDatasets';

export class Commands {
  inspector: InspectorLike | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runs: RunManager,
    private readonly log: vscode.LogOutputChannel,
    private readonly dataDiagnostics: DataDiagnostics,
    private readonly recorder: Recorder,
  ) {}

  /** What the inspector shows, kept in checkpoints (set by activate()). */
  panelSnapshot: (run: Run) => unknown = () => null;

  // ------------------------------------------------------------ training

  /** Train on Dataset…: a quick pick of the workspace's datasets, most recent first. */
  async train(uri?: vscode.Uri, options: TrainOptions = {}): Promise<RunSummary | undefined> {
    const target = uri ?? (await this.pickDataset());
    return target ? this.trainFile(target, options) : undefined;
  }

  /** Train This File (Explorer and editor title menus; the active editor from the palette). */
  async trainFile(uri?: vscode.Uri, options: TrainOptions = {}): Promise<RunSummary | undefined> {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target || !formatOf(target.path)) {
      void vscode.window.showErrorMessage('Backprop Lens: open or select a .csv, .tsv or .json dataset to train on.');
      return undefined;
    }
    let settings: RunSettings;
    try {
      settings = readSettings(target, options.settings);
    } catch (e) {
      return this.settingsFailure(e);
    }
    return this.startRun({ uri: target, settings, source: { kind: 'settings' }, paused: options.paused }, options);
  }

  /** Run Experiment: the open *.backprop.json, the given one, or one picked from the workspace. */
  async runExperiment(uri?: vscode.Uri, options: TrainOptions = {}): Promise<RunSummary | undefined> {
    let file = uri instanceof vscode.Uri ? uri : undefined;
    const active = vscode.window.activeTextEditor?.document.uri;
    if (!file && active && /\.backprop\.json$/i.test(active.path)) file = active;
    if (!file) {
      const found = await vscode.workspace.findFiles('**/*.backprop.json', '**/node_modules/**', 200);
      if (!found.length) {
        void vscode.window.showInformationMessage('Backprop Lens: no *.backprop.json experiment files in this workspace.');
        return undefined;
      }
      const pick = await vscode.window.showQuickPick(found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { title: 'Run Experiment' });
      file = pick?.uri;
      if (!file) return undefined;
    }
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    const parsed = parseExperiment(text);
    const rel = vscode.workspace.asRelativePath(file);
    if (!parsed.ok) {
      const e = parsed.errors[0];
      this.log.error(`${rel}: ${parsed.errors.map((x) => `${x.line}:${x.column}: ${x.message}`).join('; ')}`);
      void this.offerLine(file, e.line, `${rel}:${e.line}: ${e.message}${parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : ''}`, e.column);
      return undefined;
    }
    const exp = parsed.experiment;
    const dataset = vscode.Uri.joinPath(file, '..', exp.dataset);
    let settings: RunSettings;
    try {
      settings = readSettings(dataset, { ...exp.values, ...options.settings });
    } catch (e) {
      return this.settingsFailure(e);
    }
    this.log.info(`experiment ${rel}: dataset ${exp.dataset}; values from the file: ${JSON.stringify(exp.values)}${exp.derivation ? `; derivation ${exp.derivation}` : ''}`);
    let derivation: RunRequest['derivation'];
    if (exp.derivation) {
      const d = vscode.Uri.joinPath(file, '..', exp.derivation);
      try {
        derivation = { text: new TextDecoder().decode(await vscode.workspace.fs.readFile(d)), file: vscode.workspace.asRelativePath(d) };
      } catch (e) {
        void vscode.window.showErrorMessage(`Backprop Lens: ${rel}: cannot read the derivation ${exp.derivation}: ${(e as Error).message}`);
        return undefined;
      }
    }
    return this.startRun({ uri: dataset, settings, source: { kind: 'experiment', file: file.toString() }, paused: options.paused, derivation }, options);
  }

  /** The dataset's bytes and how the file looked when read (for change notices); a clear error when it cannot be, or is too big. */
  private async readForRun(request: RunRequest): Promise<{ bytes: Uint8Array; stamp: { mtime: number; size: number } } | RunSummary | undefined> {
    const { uri } = request;
    const rel = vscode.workspace.asRelativePath(uri);
    const maxBytes = extensionSetting<number>('data.maxFileSizeMB', 256, uri) * MB;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      const stamp = await statStamp(uri).catch(() => ({ mtime: stat.mtime, size: stat.size })); // the file as the run reads it
      if (stat.size > maxBytes) {
        const message = `the file is ${(stat.size / MB).toFixed(0)} MB, over the ${maxBytes / MB} MB limit (setting backpropLens.data.maxFileSizeMB)`;
        this.dataDiagnostics.report(uri, 1, message, request.settings.label);
        void this.offerLine(uri, 1, `${rel}:1: ${message}`);
        return this.failedSummary(request, 1, 'the file is over the size limit');
      }
      return { bytes: await vscode.workspace.fs.readFile(uri), stamp };
    } catch (e) {
      void vscode.window.showErrorMessage(`Backprop Lens: cannot read ${rel}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Start a run; `read` is the dataset already read (a resume reads it first to compare its hash). */
  private async startRun(request: RunRequest, options: TrainOptions, resumed: RunRecord | null = null, read?: { bytes: Uint8Array; stamp: { mtime: number; size: number }; hash: string }): Promise<RunSummary | undefined> {
    if (!(await this.makeRoom(options.ifBusy, request.uri))) return undefined;
    const { uri } = request;
    const rel = vscode.workspace.asRelativePath(uri);
    const maxBytes = extensionSetting<number>('data.maxFileSizeMB', 256, uri) * MB;
    const got = read ?? (await this.readForRun(request));
    if (!got || !('bytes' in got)) return got;
    const { bytes, stamp } = got;
    const rate = Math.min(30, Math.max(1, extensionSetting<number>('panel.updatesPerSecond', 10)));
    // The record is written before the run starts (its hash computed off the host's thread).
    const id = request.id ?? newRunId();
    const record = await this.recorder.begin(request, id, bytes, resumed, read?.hash);
    if (this.runs.busy) {
      // Another run started while the record was written: this one never runs.
      await this.recorder.store.update({ ...record, status: 'failed', reason: 'another run started first', endedAt: new Date().toISOString() });
      return undefined;
    }
    const checkpoint = { everySeconds: extensionSetting<number>('checkpoints.everySeconds', 10), everyEpochs: extensionSetting<number>('checkpoints.everyEpochs', 0) };
    const run = this.runs.start({ ...request, id }, bytes, 1000 / rate, maxBytes, checkpoint);
    this.recorder.follow(run, record, () => this.panelSnapshot(run));
    this.watchDataset(run, record.dataset.hash, stamp);
    await this.remember(uri);
    this.log.info(`run ${run.id}: ${rel}, SHA-256 ${record.dataset.hash.slice(0, 16)}… (${request.source.kind}${request.source.file ? ` ${vscode.workspace.asRelativePath(vscode.Uri.parse(request.source.file))}` : ''}) with ${JSON.stringify(request.settings)}`);
    const finished = this.watch(run, rel);
    if (request.paused || options.wait === false) {
      await run.ready;
      if (run.phase === 'failed') return finished;
      return { ...run.summary(), status: 'running' };
    }
    return finished;
  }

  /** The run goes on with the data it read; the inspector says when the file changes, moves or goes. */
  private watchDataset(run: Run, hash: string, read: { mtime: number; size: number }): void {
    const uri = run.request.uri;
    const name = path.posix.basename(uri.path);
    const say = (what: string) => run.setNotice(`${name} ${what} after the run read it; the run goes on with the data it read (SHA-256 ${hash.slice(0, 12)}…).`);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), name));
    // File watchers are not delivered everywhere (remote and some container file systems): also look every second.
    let seen: { mtime: number; size: number } | null = read; // as it was when the run read it
    let renamed = false;
    const poll = setInterval(() => {
      statStamp(uri).then(
        (now) => {
          if (seen && (seen.mtime !== now.mtime || seen.size !== now.size)) say('changed on disk');
          seen = now;
        },
        () => { if (seen !== null && !renamed) say('was deleted'); seen = null; },
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

  // ------------------------------------------------------------ run history

  private async recordOf(arg: unknown, statuses?: string[]): Promise<RunRecord | undefined> {
    if (arg instanceof RunItem) return arg.record;
    if (typeof arg === 'string') return (await this.recorder.store.get(arg)) ?? undefined;
    const all = (await this.recorder.store.list()).filter((r) => !statuses || statuses.includes(r.status));
    if (!all.length) {
      void vscode.window.showInformationMessage(`Backprop Lens: no ${statuses ? statuses.join(' or ') + ' ' : ''}runs are stored for this workspace.`);
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(all.map((r) => ({ label: `${r.dataset.name} · ${r.status}`, description: `${new Date(r.startedAt).toLocaleString()} · step ${r.progress.step}`, record: r })), { title: 'Backprop Lens: pick a run' });
    return pick?.record;
  }

  /** Resume an interrupted or cancelled run from its last checkpoint; the trajectory is the uninterrupted one. */
  async resumeRun(arg?: unknown, options: TrainOptions & { ifDatasetChanged?: 'ask' | 'resume' | 'cancel' } = {}): Promise<RunSummary | undefined> {
    const record = await this.recordOf(arg, ['interrupted', 'cancelled']);
    if (!record) return undefined;
    if (record.status !== 'interrupted' && record.status !== 'cancelled') {
      void vscode.window.showInformationMessage(`Backprop Lens: only interrupted or cancelled runs can be resumed; this one is ${record.status}.`);
      return undefined;
    }
    const checkpoint = await this.recorder.store.resumeState(record.id);
    if (!checkpoint) {
      void vscode.window.showErrorMessage(`Backprop Lens: run ${record.id} has no readable checkpoint to resume from.`);
      return undefined;
    }
    const uri = vscode.Uri.parse(record.dataset.uri);
    const read = await this.readForRun({ uri, settings: record.settings, source: record.source as RunSource });
    if (!read || !('bytes' in read)) return read;
    const hash = await sha256(read.bytes);
    if (hash !== record.dataset.hash) {
      const mode = options.ifDatasetChanged ?? 'ask';
      if (mode === 'cancel') return undefined;
      if (mode === 'ask') {
        const go = await vscode.window.showWarningMessage(`${record.dataset.name} has changed since this run read it (SHA-256 ${record.dataset.hash.slice(0, 12)}… → ${hash.slice(0, 12)}…). Resuming on different data gives a different trajectory. Resume anyway?`, { modal: true }, 'Resume Anyway');
        if (go !== 'Resume Anyway') return undefined;
      }
    }
    this.log.info(`resuming run ${record.id} from step ${checkpoint.step} (epoch ${checkpoint.epoch})`);
    const request: RunRequest = {
      uri, settings: { ...record.settings, lr: checkpoint.trainer.config.lr }, source: record.source as RunSource, resume: checkpoint.trainer, id: record.id,
      derivation: record.derivation ? { text: record.derivation.text, file: record.derivation.file } : undefined, paused: options.paused,
    };
    return this.startRun(request, options, record, { ...read, hash });
  }

  async deleteRun(arg?: unknown, options: { confirm?: boolean } = {}): Promise<boolean> {
    const record = await this.recordOf(arg);
    if (!record) return false;
    if (this.runs.current?.id === record.id && this.runs.busy) {
      void vscode.window.showWarningMessage('Backprop Lens: stop the run before deleting it.');
      return false;
    }
    if (options.confirm !== false) {
      const ok = await vscode.window.showWarningMessage(`Delete the stored run of ${record.dataset.name} (${record.status}, ${new Date(record.startedAt).toLocaleString()}) and its checkpoints?`, { modal: true }, 'Delete');
      if (ok !== 'Delete') return false;
    }
    await this.recorder.store.delete(record.id);
    this.recorder.refresh();
    return true;
  }

  /** Export a run: its record and last checkpoint as one JSON file, where the user says. */
  async exportRun(arg?: unknown, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const record = await this.recordOf(arg);
    if (!record) return undefined;
    const uri = target ?? (await vscode.window.showSaveDialog({ defaultUri: vscode.workspace.workspaceFolders?.[0] ? vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, `${record.dataset.name.replace(/\.[^.]+$/, '')}-run-${record.id}.json`) : undefined, filters: { JSON: ['json'] } }));
    if (!uri) return undefined;
    const checkpoint = await this.recorder.store.resumeState(record.id);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify({ record, checkpoint: checkpoint && { ...checkpoint, panel: undefined } }, null, 2) + '\n'));
    return uri;
  }

  /** Open a run: its record as a read-only JSON document. */
  async openRun(arg?: unknown): Promise<void> {
    const record = await this.recordOf(arg);
    if (!record) return;
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(record, (k, v) => (k === 'initialTheta' && Array.isArray(v) && v.length > 64 ? `${v.length} numbers` : k === 'text' ? undefined : v), 2) });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  /** Compare two runs' curves (select two in the Runs view, or pick them). */
  async compareRuns(arg?: unknown, selected?: unknown[]): Promise<vscode.WebviewPanel | undefined> {
    // From the Runs view: the clicked item and the selection; from scripts: run ids.
    let records: RunRecord[] = [];
    for (const x of Array.isArray(selected) ? selected : []) {
      const r = x instanceof RunItem ? x.record : typeof x === 'string' ? await this.recorder.store.get(x) : null;
      if (r) records.push(r);
    }
    if (records.length !== 2) {
      const first = await this.recordOf(arg);
      if (!first) return undefined;
      const others = (await this.recorder.store.list()).filter((r) => r.id !== first.id);
      const pick = await vscode.window.showQuickPick(others.map((r) => ({ label: `${r.dataset.name} · ${r.status}`, description: new Date(r.startedAt).toLocaleString(), record: r })), { title: `Compare ${first.dataset.name} with…` });
      if (!pick) return undefined;
      records = [first, pick.record];
    }
    const runs = await Promise.all(records.map(async (record) => ({ record, history: await this.recorder.store.readHistory(record.id) })));
    const panel = vscode.window.createWebviewPanel('backpropLens.compare', 'Compare Runs', vscode.ViewColumn.Active, { enableScripts: false, localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'out', 'webview')] });
    const css = panel.webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'out', 'webview', 'inspector.css')).toString();
    panel.webview.html = compareHtml(panel.webview.cspSource, css, runs);
    return panel;
  }

  /** Progress notification (cancellable) until the run ends, then the outcome message. */
  private async watch(run: Run, rel: string): Promise<RunSummary> {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Backprop Lens: training ${rel}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => run.stop());
        let lastEpoch = 0;
        let lastReport = 0;
        const sub = run.onDidChange(() => {
          const now = Date.now();
          if (now - lastReport < 250 && run.phase === 'running') return; // at most 4 updates a second
          lastReport = now;
          const epoch = run.progress?.epoch ?? 0;
          const increment = epoch > lastEpoch ? ((epoch - lastEpoch) / run.config.epochs) * 100 : 0;
          lastEpoch = epoch;
          progress.report({ message: run.phase === 'paused' ? `paused · ${describeProgress(run)}` : describeProgress(run), increment });
        });
        try {
          return await run.done;
        } finally {
          sub.dispose();
        }
      },
    );
    if (summary.error) {
      this.dataDiagnostics.report(run.request.uri, summary.error.line, summary.error.message, run.request.settings.label);
      void this.offerLine(run.request.uri, summary.error.line, `${rel}:${summary.error.line}: ${summary.error.message}`);
    } else if (summary.dataset) this.dataDiagnostics.clear(run.request.uri);
    else if (summary.status === 'failed') void vscode.window.showErrorMessage(`Backprop Lens: ${rel}: ${summary.reason}`);
    else if (summary.status === 'diverged') void vscode.window.showWarningMessage(`Backprop Lens: ${rel} diverged: ${summary.reason}. Try a smaller learning rate.`);
    else if (summary.status !== 'cancelled' && summary.train) {
      const acc = summary.test ? `test accuracy ${(100 * summary.test.accuracy).toFixed(1)}%` : `training accuracy ${(100 * summary.train.accuracy).toFixed(1)}%`;
      void vscode.window.showInformationMessage(`Backprop Lens: ${rel}: ${summary.status} after ${summary.steps} steps, ${acc}.`, 'Show Inspector').then((b) => {
        if (b) void vscode.commands.executeCommand('backpropLens.showInspector');
      });
    }
    return summary;
  }

  /** One run at a time: apply the busy rule. Returns whether the new run may start. */
  private async makeRoom(ifBusy: TrainOptions['ifBusy'], next: vscode.Uri): Promise<boolean> {
    if (!this.runs.busy) return true;
    const current = this.runs.current!;
    const mode = ifBusy ?? extensionSetting<'ask' | 'stopAndStart' | 'keep'>('training.whenBusy', 'ask');
    if (mode === 'keep') {
      void vscode.window.showWarningMessage(`Backprop Lens: ${current.fileName} is still training; stop it first to train ${path.posix.basename(next.path)}.`);
      return false;
    }
    if (mode === 'ask') {
      const choice = await vscode.window.showWarningMessage(
        `${current.fileName} is training (${describeProgress(current)}). Stop it and train ${path.posix.basename(next.path)}?`,
        { modal: true }, 'Stop and Train',
      );
      if (choice !== 'Stop and Train') return false;
    }
    await this.runs.stopCurrent();
    return true;
  }

  // ------------------------------------------------------------ run control

  private currentOrSay(): Run | undefined {
    const r = this.runs.current;
    if (!r) void vscode.window.showInformationMessage('Backprop Lens: there is no training run. Use "Train on Dataset…" first.');
    return r;
  }

  pause(): void { this.currentOrSay()?.pause(); }
  resume(): void { this.currentOrSay()?.resume(); }
  stop(): void { this.currentOrSay()?.stop(); }
  reset(): void { this.currentOrSay()?.reset(); }

  /** Exactly one optimizer step; resolves with the step count after it. */
  async stepOnce(): Promise<number | undefined> {
    const run = this.currentOrSay();
    if (!run || run.phase === 'finished' || run.phase === 'failed') return undefined;
    const before = run.progress?.step ?? 0;
    const after = new Promise<number>((resolve) => {
      const sub = run.onDidChange(() => {
        if ((run.progress?.step ?? 0) > before || run.phase === 'finished') {
          sub.dispose();
          resolve(run.progress?.step ?? before);
        }
      });
    });
    run.step(1);
    return after;
  }

  /** Check Gradients Now: the numeric check at the current parameters on the first batch of the training data. */
  async checkGradients(): Promise<GradcheckReport | undefined> {
    let run = this.runs.current;
    if (!run || !run.dataset) {
      const uri = await this.pickDataset();
      if (!uri) return undefined;
      await this.trainFile(uri, { paused: true });
      run = this.runs.current;
      if (!run?.dataset) return undefined;
    }
    const report = await run.check();
    this.inspector?.showCheck(report, run.progress?.step ?? 0);
    const t = report.options.thresholds;
    this.log.info(`gradient check on ${run.fileName} at step ${run.progress?.step ?? 0}: ${report.verdict}; global difference ${report.globalDiff.toExponential(2)}; thresholds pass ≤ ${t.pass}, warning ≤ ${t.warn}, fail > ${t.fail}`);
    for (const b of report.blocks) {
      this.log.info(`  ${b.name} (${b.rows}×${b.cols}): ${b.verdict}; worst [${b.worst.row},${b.worst.col}] analytic ${b.worst.analytic.toExponential(6)} numeric ${b.worst.numeric.toExponential(6)} rel. error ${b.worst.relError.toExponential(2)}; allclose ${b.allclose ? 'yes' : 'no'}`);
    }
    const worst = report.blocks.reduce((a, b) => (b.worst.relError > a.worst.relError ? b : a));
    const say = report.verdict === 'fail' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const noise = worst.worst.withinNoise && worst.worst.relError > t.pass ? ', within the central difference\'s noise' : '';
    void say(`Gradient check: ${report.verdict} (worst rel. error ${worst.worst.relError.toExponential(1)} in ${worst.name}[${worst.worst.row},${worst.worst.col}]${noise}; ${report.blocks.map((b) => `${b.name} ${b.verdict}`).join(', ')}).`, 'Show Details').then((b) => {
      if (b) this.log.show(true);
    });
    return report;
  }

  showInspector(): void {
    this.inspector?.show();
  }

  // ------------------------------------------------------------ models

  async exportModel(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const run = this.currentOrSay();
    if (!run) return undefined;
    if (!run.dataset) {
      void vscode.window.showErrorMessage('Backprop Lens: the run has no data loaded; nothing to export.');
      return undefined;
    }
    const uri = target instanceof vscode.Uri ? target : await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(run.request.uri, '..', `${run.fileName.replace(/\.[^.]+$/, '')}.model.json`),
      filters: { 'Backprop Lens model': ['json'] },
      title: 'Export Model',
    });
    if (!uri) return undefined;
    const text = modelToJson({ config: run.config, features: run.dataset.features, label: run.dataset.label, standardization: run.dataset.standardization, theta: run.theta });
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    this.log.info(`model exported to ${uri.toString()}`);
    return uri;
  }

  /** Import Model…: load a model file and open it, paused, on a dataset with the same feature columns. */
  async importModel(source?: vscode.Uri, dataset?: vscode.Uri): Promise<RunSummary | undefined> {
    const file = source instanceof vscode.Uri ? source : (await vscode.window.showOpenDialog({ filters: { 'Backprop Lens model': ['json'] }, title: 'Import Model' }))?.[0];
    if (!file) return undefined;
    let model;
    try {
      model = modelFromJson(new TextDecoder().decode(await vscode.workspace.fs.readFile(file)));
    } catch (e) {
      void vscode.window.showErrorMessage(`Backprop Lens: ${vscode.workspace.asRelativePath(file)} is not a usable model: ${(e as Error).message}`);
      return undefined;
    }
    const data = dataset ?? (await this.pickDataset(`Dataset for ${path.posix.basename(file.path)} (features ${model.features.join(', ')})`));
    if (!data) return undefined;
    let settings: RunSettings;
    try {
      settings = readSettings(data, { ...model.config, label: model.label });
    } catch (e) {
      return this.settingsFailure(e);
    }
    const source_: RunSource = { kind: 'model', file: file.toString() };
    const summary = await this.startRun({ uri: data, settings, source: source_, paused: true, theta: Array.from(model.theta) }, { ifBusy: undefined });
    const run = this.runs.current;
    if (run?.dataset && run.dataset.features.join('\u0000') !== model.features.join('\u0000')) {
      run.stop();
      void vscode.window.showErrorMessage(`Backprop Lens: the model's features (${model.features.join(', ')}) differ from the dataset's (${run.dataset.features.join(', ')}).`);
      return undefined;
    }
    return summary;
  }

  // ------------------------------------------------------------ derivations

  /** New Derivation File: the seed's derivation, correct and commented, in a new .deriv file. */
  async newDerivation(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = target instanceof vscode.Uri ? target : await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, 'derivation.deriv') : undefined,
      filters: { 'Backprop Lens derivation': ['deriv'] },
      title: 'New Derivation File',
    });
    if (!uri) return undefined;
    let act: RunSettings['activation'] = 'sigmoid';
    try {
      act = readSettings(uri).activation;
    } catch { /* the default */ }
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(seedDerivation(act, 'example')));
    await vscode.window.showTextDocument(uri);
    return uri;
  }

  /** Train With This Derivation: train with the gradients the file's formulas give. */
  async trainWithDerivation(derivationUri?: vscode.Uri, dataset?: vscode.Uri, options: TrainOptions = {}): Promise<RunSummary | undefined> {
    const active = vscode.window.activeTextEditor?.document;
    const file = derivationUri instanceof vscode.Uri ? derivationUri : active && /\.deriv$/i.test(active.uri.path) ? active.uri : undefined;
    if (!file) {
      void vscode.window.showErrorMessage('Backprop Lens: open a .deriv file to train with its gradients.');
      return undefined;
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
    const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    const rel = vscode.workspace.asRelativePath(file);
    let act: RunSettings['activation'] = 'sigmoid';
    try {
      act = readSettings(file, options.settings).activation;
    } catch (e) {
      return this.settingsFailure(e);
    }
    const pre = derivationGradient(text, act);
    if (!pre.ok) {
      void vscode.window.showErrorMessage(`Backprop Lens: cannot train with ${rel}: ${pre.error}`);
      return undefined;
    }
    const data = dataset ?? (await this.pickDataset(`Train with ${rel}: pick a dataset`));
    if (!data) return undefined;
    let settings: RunSettings;
    try {
      settings = readSettings(data, options.settings);
    } catch (e) {
      return this.settingsFailure(e);
    }
    return this.startRun({ uri: data, settings, source: { kind: 'settings', file: file.toString() }, paused: options.paused, derivation: { text, file: rel } }, options);
  }

  // ------------------------------------------------------------ examples

  /** Open Example Workspace: copy the bundled examples into a folder and open it. */
  async openExamples(target?: vscode.Uri, options: { open?: boolean } = {}): Promise<vscode.Uri | undefined> {
    const folder = target instanceof vscode.Uri ? target : (await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, openLabel: 'Copy Examples Here', title: 'Backprop Lens: where should the example workspace go?' }))?.[0];
    if (!folder) return undefined;
    const dest = vscode.Uri.joinPath(folder, 'backprop-lens-examples');
    const src = vscode.Uri.joinPath(this.context.extensionUri, 'examples');
    await vscode.workspace.fs.createDirectory(dest);
    for (const [name, type] of await vscode.workspace.fs.readDirectory(src)) {
      if (type !== vscode.FileType.File) continue;
      const to = vscode.Uri.joinPath(dest, name);
      try {
        await vscode.workspace.fs.stat(to); // never overwrite the user's files
      } catch {
        await vscode.workspace.fs.copy(vscode.Uri.joinPath(src, name), to);
      }
    }
    if (options.open !== false) await vscode.commands.executeCommand('vscode.openFolder', dest, { forceNewWindow: !!vscode.workspace.workspaceFolders?.length });
    return dest;
  }

  // ------------------------------------------------------------ helpers

  private async pickDataset(title = 'Train on Dataset'): Promise<vscode.Uri | undefined> {
    const found = (await vscode.workspace.findFiles('**/*.{csv,tsv,json,CSV,TSV,JSON}', '**/{node_modules,.git,.vscode}/**', 2000))
      .filter((u) => !/\.backprop\.json$|(^|\/)(package(-lock)?|tsconfig|jsconfig|settings|launch|tasks)\.json$/i.test(u.path));
    if (!found.length) {
      void vscode.window.showInformationMessage('Backprop Lens: no .csv, .tsv or .json datasets in this workspace. Try "Open Example Workspace".');
      return undefined;
    }
    const recent = this.context.workspaceState.get<string[]>(RECENT_KEY, []);
    const rank = (u: vscode.Uri) => {
      const i = recent.indexOf(u.toString());
      return i < 0 ? recent.length : i;
    };
    found.sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
    const items = found.map((u) => ({ label: path.posix.basename(u.path), description: vscode.workspace.asRelativePath(path.posix.dirname(u.path) === '/' ? u : vscode.Uri.joinPath(u, '..')), detail: rank(u) < recent.length ? 'recently trained' : undefined, uri: u }));
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'Pick a dataset (.csv, .tsv, .json)', matchOnDescription: true });
    return pick?.uri;
  }

  private async remember(uri: vscode.Uri): Promise<void> {
    const list = this.context.workspaceState.get<string[]>(RECENT_KEY, []).filter((s) => s !== uri.toString());
    await this.context.workspaceState.update(RECENT_KEY, [uri.toString(), ...list].slice(0, 20));
  }

  private async offerLine(uri: vscode.Uri, line: number, message: string, column = 1): Promise<void> {
    this.log.error(message);
    const choice = await vscode.window.showErrorMessage(`Backprop Lens: ${message}`, 'Go to Line');
    if (choice) {
      const pos = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
      await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos) });
    }
  }

  private settingsFailure(e: unknown): undefined {
    if (!(e instanceof SettingsError)) throw e;
    this.log.error(e.message);
    void vscode.window.showErrorMessage(`Backprop Lens: ${e.message}`, 'Open Settings').then((b) => {
      if (b) void vscode.commands.executeCommand('workbench.action.openSettings', 'backpropLens');
    });
    return undefined;
  }

  private failedSummary(request: RunRequest, line: number, message: string): RunSummary {
    return {
      runId: '', file: request.uri.toString(), status: 'data-error', reason: message, steps: 0, epochs: 0, train: null, test: null, divergence: null,
      dataset: null, config: { ...request.settings }, settings: request.settings, source: request.source, error: { line, message },
    };
  }
}

/** Command id (after "backpropLens.") → handler. */
export const COMMANDS = {
  train: (c: Commands, ...a: unknown[]) => c.train(a[0] as vscode.Uri, a[1] as TrainOptions),
  trainFile: (c: Commands, ...a: unknown[]) => c.trainFile(a[0] as vscode.Uri, a[1] as TrainOptions),
  runExperiment: (c: Commands, ...a: unknown[]) => c.runExperiment(a[0] as vscode.Uri, a[1] as TrainOptions),
  pause: (c: Commands) => c.pause(),
  resume: (c: Commands) => c.resume(),
  stepOnce: (c: Commands) => c.stepOnce(),
  stop: (c: Commands) => c.stop(),
  resetParameters: (c: Commands) => c.reset(),
  checkGradients: (c: Commands) => c.checkGradients(),
  showInspector: (c: Commands) => c.showInspector(),
  exportModel: (c: Commands, ...a: unknown[]) => c.exportModel(a[0] as vscode.Uri),
  importModel: (c: Commands, ...a: unknown[]) => c.importModel(a[0] as vscode.Uri, a[1] as vscode.Uri),
  openExamples: (c: Commands, ...a: unknown[]) => c.openExamples(a[0] as vscode.Uri, a[1] as { open?: boolean }),
  newDerivation: (c: Commands, ...a: unknown[]) => c.newDerivation(a[0] as vscode.Uri),
  resumeRun: (c: Commands, ...a: unknown[]) => c.resumeRun(a[0], a[1] as TrainOptions),
  deleteRun: (c: Commands, ...a: unknown[]) => c.deleteRun(a[0], a[1] as { confirm?: boolean }),
  exportRun: (c: Commands, ...a: unknown[]) => c.exportRun(a[0], a[1] as vscode.Uri),
  openRun: (c: Commands, ...a: unknown[]) => c.openRun(a[0]),
  compareRuns: (c: Commands, ...a: unknown[]) => c.compareRuns(a[0], a[1] as unknown[]),
  trainWithDerivation: (c: Commands, ...a: unknown[]) => c.trainWithDerivation(a[0] as vscode.Uri, a[1] as vscode.Uri, a[2] as TrainOptions),
} as const;
