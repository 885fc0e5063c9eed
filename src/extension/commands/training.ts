/** Training commands: start a run (dataset, experiment, derivation), control it, check its gradients. */
import * as vscode from 'vscode';
import type { GradcheckReport } from '../../core/gradcheck';
import type { RunSettings } from '../../core/settings';
import { formatOf } from '../../data/dataset';
import { parseExperiment } from '../../data/experiment';
import { derivationGradient } from '../../derivation/gradient';
import type { Datasets } from '../datasets';
import type { RunController, StartOptions } from '../runController';
import type { Run, RunRequest, RunSummary } from '../runs';
import { offerLine, settingsOrSay } from '../ui';

export interface TrainOptions extends StartOptions {
  /** Settings that win over the VS Code settings (for scripts and tests). */
  settings?: Partial<RunSettings>;
  /** Pace the run (steps per second; 0: full speed); default: the backpropLens.training.stepsPerSecond setting. */
  stepsPerSecond?: number;
}

/** Train an Example: the flower data with settings that learn visibly, paced so that the boundary can be watched forming. */
export const EXAMPLE = {
  file: 'flower.csv',
  settings: {
    optimizer: 'batch',
    hidden: 4,
    activation: 'tanh',
    init: 'small',
    lr: 1.2,
    epochs: 3000,
    split: 0.2,
  } satisfies Partial<RunSettings>,
  stepsPerSecond: 30,
};

/** What the commands need of the inspector panel. */
export interface InspectorLike {
  show(): void;
  showCheck(report: GradcheckReport | undefined, step: number): void;
}

export class TrainingCommands {
  constructor(
    private readonly controller: RunController,
    private readonly datasets: Datasets,
    private readonly inspector: InspectorLike,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Train on Dataset…: a quick pick of the workspace's datasets, most recent first. */
  async train(uri?: vscode.Uri, options: TrainOptions = {}): Promise<RunSummary | undefined> {
    const target = uri ?? (await this.datasets.pick());
    return target ? this.trainFile(target, options) : undefined;
  }

  /** Train This File (Explorer and editor title menus; the active editor from the palette). */
  async trainFile(uri?: vscode.Uri, options: TrainOptions = {}): Promise<RunSummary | undefined> {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target || !formatOf(target.path)) {
      void vscode.window.showErrorMessage(
        'Backprop Lens: open or select a .csv, .tsv or .json dataset to train on.',
      );
      return undefined;
    }
    const settings = settingsOrSay(this.log, target, options.settings);
    if (!settings) return undefined;
    return this.controller.start(
      {
        uri: target,
        settings,
        source: { kind: 'settings' },
        paused: options.paused,
        stepsPerSecond: options.stepsPerSecond,
      },
      options,
    );
  }

  /** Train an Example: the example workspace's flower data, watchable; without it, offer the example workspace. */
  async trainExample(options: TrainOptions = {}): Promise<RunSummary | undefined> {
    const found = (await vscode.workspace.findFiles(`**/${EXAMPLE.file}`, '**/node_modules/**', 1))[0];
    if (!found) {
      const open = await vscode.window.showInformationMessage(
        `Backprop Lens: this workspace has no ${EXAMPLE.file}. Copy the example datasets into a folder and open it?`,
        'Open Example Workspace',
      );
      if (open) await vscode.commands.executeCommand('backpropLens.openExamples');
      return undefined;
    }
    this.inspector.show();
    return this.trainFile(found, {
      stepsPerSecond: EXAMPLE.stepsPerSecond,
      wait: false,
      ...options,
      settings: { ...EXAMPLE.settings, ...options.settings },
    });
  }

  /** Run Experiment: the open *.backprop.json, the given one, or one picked from the workspace. */
  async runExperiment(uri?: vscode.Uri, options: TrainOptions = {}): Promise<RunSummary | undefined> {
    let file = uri instanceof vscode.Uri ? uri : undefined;
    const active = vscode.window.activeTextEditor?.document.uri;
    if (!file && active && /\.backprop\.json$/i.test(active.path)) file = active;
    if (!file) {
      const found = await vscode.workspace.findFiles('**/*.backprop.json', '**/node_modules/**', 200);
      if (!found.length) {
        void vscode.window.showInformationMessage(
          'Backprop Lens: no *.backprop.json experiment files in this workspace.',
        );
        return undefined;
      }
      const pick = await vscode.window.showQuickPick(
        found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
        { title: 'Run Experiment' },
      );
      file = pick?.uri;
      if (!file) return undefined;
    }
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    const parsed = parseExperiment(text);
    const rel = vscode.workspace.asRelativePath(file);
    if (!parsed.ok) {
      const e = parsed.errors[0];
      this.log.error(`${rel}: ${parsed.errors.map((x) => `${x.line}:${x.column}: ${x.message}`).join('; ')}`);
      const more = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : '';
      void offerLine(this.log, file, e.line, `${rel}:${e.line}: ${e.message}${more}`, e.column);
      return undefined;
    }
    const exp = parsed.experiment;
    const dataset = vscode.Uri.joinPath(file, '..', exp.dataset);
    if (exp.race) {
      // An experiment that races optimizers: each racer a stored run, then the comparison.
      const opts = {
        optimizers: exp.race,
        settings: { ...exp.values, ...options.settings },
        source: { kind: 'experiment' as const, file: file.toString() },
      };
      const all = await vscode.commands.executeCommand<RunSummary[] | undefined>(
        'backpropLens.raceOptimizers',
        dataset,
        opts,
      );
      return all?.[all.length - 1];
    }
    const settings = settingsOrSay(this.log, dataset, { ...exp.values, ...options.settings });
    if (!settings) return undefined;
    this.log.info(
      `experiment ${rel}: dataset ${exp.dataset}; values from the file: ${JSON.stringify(exp.values)}${exp.derivation ? `; derivation ${exp.derivation}` : ''}`,
    );
    let derivation: RunRequest['derivation'];
    if (exp.derivation) {
      const d = vscode.Uri.joinPath(file, '..', exp.derivation);
      try {
        derivation = {
          text: new TextDecoder().decode(await vscode.workspace.fs.readFile(d)),
          file: vscode.workspace.asRelativePath(d),
        };
      } catch (e) {
        void vscode.window.showErrorMessage(
          `Backprop Lens: ${rel}: cannot read the derivation ${exp.derivation}: ${(e as Error).message}`,
        );
        return undefined;
      }
    }
    const request: RunRequest = {
      uri: dataset,
      settings,
      source: { kind: 'experiment', file: file.toString() },
      paused: options.paused,
      derivation,
    };
    return this.controller.start(request, options);
  }

  /** Train With This Derivation: train with the gradients the file's formulas give. */
  async trainWithDerivation(
    derivationUri?: vscode.Uri,
    dataset?: vscode.Uri,
    options: TrainOptions = {},
  ): Promise<RunSummary | undefined> {
    const active = vscode.window.activeTextEditor?.document;
    const file =
      derivationUri instanceof vscode.Uri
        ? derivationUri
        : active && /\.deriv$/i.test(active.uri.path)
          ? active.uri
          : undefined;
    if (!file) {
      void vscode.window.showErrorMessage('Backprop Lens: open a .deriv file to train with its gradients.');
      return undefined;
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
    const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    const rel = vscode.workspace.asRelativePath(file);
    const forFile = settingsOrSay(this.log, file, options.settings);
    if (!forFile) return undefined;
    const pre = derivationGradient(text, forFile.activation);
    if (!pre.ok) {
      void vscode.window.showErrorMessage(`Backprop Lens: cannot train with ${rel}: ${pre.error}`);
      return undefined;
    }
    const data = dataset ?? (await this.datasets.pick(`Train with ${rel}: pick a dataset`));
    if (!data) return undefined;
    const settings = settingsOrSay(this.log, data, options.settings);
    if (!settings) return undefined;
    const request: RunRequest = {
      uri: data,
      settings,
      source: { kind: 'settings', file: file.toString() },
      paused: options.paused,
      derivation: { text, file: rel },
    };
    return this.controller.start(request, options);
  }

  // ------------------------------------------------------------ run control

  private currentOrSay(): Run | undefined {
    const r = this.controller.current;
    if (!r)
      void vscode.window.showInformationMessage(
        'Backprop Lens: there is no training run. Use "Train on Dataset…" first.',
      );
    return r;
  }

  pause(): void {
    this.currentOrSay()?.pause();
  }

  resume(): void {
    this.currentOrSay()?.resume();
  }

  stop(): void {
    this.currentOrSay()?.stop();
  }

  reset(): void {
    this.currentOrSay()?.reset();
  }

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
    let run = this.controller.current;
    if (!run || !run.dataset) {
      const uri = await this.datasets.pick();
      if (!uri) return undefined;
      await this.trainFile(uri, { paused: true });
      run = this.controller.current;
      if (!run?.dataset) return undefined;
    }
    const report = await run.check();
    const step = run.progress?.step ?? 0;
    this.inspector.showCheck(report, step);
    const t = report.options.thresholds;
    this.log.info(
      `gradient check on ${run.fileName} at step ${step}: ${report.verdict}; global difference ${report.globalDiff.toExponential(2)}; thresholds pass ≤ ${t.pass}, warning ≤ ${t.warn}, fail > ${t.fail}`,
    );
    for (const b of report.blocks) {
      const w = b.worst;
      this.log.info(
        `  ${b.name} (${b.rows}×${b.cols}): ${b.verdict}; worst [${w.row},${w.col}] analytic ${w.analytic.toExponential(6)} numeric ${w.numeric.toExponential(6)} rel. error ${w.relError.toExponential(2)}; allclose ${b.allclose ? 'yes' : 'no'}`,
      );
    }
    const worst = report.blocks.reduce((a, b) => (b.worst.relError > a.worst.relError ? b : a));
    const say =
      report.verdict === 'fail' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const noise =
      worst.worst.withinNoise && worst.worst.relError > t.pass
        ? ", within the central difference's noise"
        : '';
    const blocks = report.blocks.map((b) => `${b.name} ${b.verdict}`).join(', ');
    void say(
      `Gradient check: ${report.verdict} (worst rel. error ${worst.worst.relError.toExponential(1)} in ${worst.name}[${worst.worst.row},${worst.worst.col}]${noise}; ${blocks}).`,
      'Show Details',
    ).then((b) => {
      if (b) this.log.show(true);
    });
    return report;
  }

  showInspector(): void {
    this.inspector.show();
  }
}
