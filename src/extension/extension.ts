/**
 * Backprop Lens: activate() only constructs and wires. Every service gets what
 * it needs through its constructor; every command is backpropLens.<verb>
 * (commands/index.ts); everything created is pushed to context.subscriptions.
 */
import * as vscode from 'vscode';
import { InspectorPanel, VIEW_TYPE } from '../panel/panel';
import { storedSnapshot } from '../panel/view';
import { COMMANDS, type CommandAreas } from './commands/index';
import { HistoryCommands } from './commands/history';
import { RaceCommands } from './commands/race';
import { ModelCommands } from './commands/models';
import { TrainingCommands } from './commands/training';
import { WorkspaceCommands } from './commands/workspace';
import { extensionSetting } from './config';
import { DataDiagnostics } from './dataDiagnostics';
import { Datasets } from './datasets';
import {
  DerivationFixes,
  DerivationHover,
  DerivationLenses,
  DerivationService,
  DerivationTests,
  LANGUAGE,
} from './derivations';
import { Recorder } from './recorder';
import { RunController } from './runController';
import { RunManager } from './runManager';
import { RunsView } from './runsView';
import { StatusView } from './status';

export interface BackpropLensApi {
  /** Milliseconds activate() took. */
  readonly activationMs: number;
  /** Where runs and checkpoints are kept. */
  readonly storageUri: vscode.Uri;
  /** The stored runs, newest first. */
  listRuns(): Promise<
    Array<{
      id: string;
      status: string;
      reason: string;
      dataset: { name: string; hash: string };
      divergence: unknown;
      progress: { step: number };
    }>
  >;
  /** Re-run the interrupted-runs scan (what activation does). */
  scanInterrupted(): Promise<Array<{ id: string; status: string }>>;
  /** The Test Explorer controller of .deriv files. */
  readonly derivationTests: vscode.TestController;
  /** The current run's state, for scripts and other extensions. */
  currentRun(): CurrentRun | undefined;
  /** Only when the extension runs under its own tests (ExtensionMode.Test): hooks that the public API does not offer. */
  readonly testing?: TestingApi;
}

export interface CurrentRun {
  id: string;
  phase: string;
  step: number;
  /** What the status bar, the notification and the inspector's header show (the same snapshot in the three). */
  shown: { phase: string; step: number };
  epoch: number;
  theta: number[];
  history: number;
  notice: string | null;
  optimizer: string;
  /** The derivation file the gradients come from, and the experiment or model file the run came from. */
  derivation: string | null;
  source: { kind: string; file?: string };
  /** Parameters set by hand during the run. */
  edits: Array<{ step: number; name: string; from: number; to: number; restore: boolean }>;
  /** The last step's loss and gradient as shown (after an edit: at the edited parameters), θ's layout. */
  last: { step: number; loss: number; grad: number[] } | null;
}

export interface TestingApi {
  /** Hand a message to the inspector exactly as if the webview had posted it (the hostile-input tests). */
  inspectorReceive(message: unknown): void;
  /** Run the .deriv Test Explorer's run handler (the API offers no way to start a run and read its results). */
  runDerivationTests(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void>;
  /** The status bar item's text (the API offers no way to read another extension's status bar). */
  statusText(): string;
}

export function activate(context: vscode.ExtensionContext): BackpropLensApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Backprop Lens', { log: true });
  const readme = vscode.Uri.joinPath(context.extensionUri, 'README.md');
  const storage = context.storageUri ?? context.globalStorageUri;
  const runs = new RunManager(context.extensionUri, log);
  const dataDiagnostics = new DataDiagnostics(readme);
  const recorder = new Recorder(storage, log);
  const datasets = new Datasets(context.workspaceState);
  const controller = new RunController(runs, recorder, dataDiagnostics, datasets, log);
  const inspector: InspectorPanel = new InspectorPanel(
    context.extensionUri,
    runs,
    {
      control: (action) => {
        const run = runs.current;
        if (!run) return;
        if (action === 'play') run.resume();
        else if (action === 'pause') run.pause();
        else if (action === 'step') run.step(1);
        else if (action === 'stepEpoch') run.stepEpoch();
        else if (action === 'stop') run.stop();
        else run.reset();
      },
      setLearningRate: (lr) => runs.current?.setLearningRate(lr),
      setSpeed: (stepsPerSecond) => runs.current?.setSpeed(stepsPerSecond),
      setBoundary: (plane) => runs.current?.setBoundary(plane),
      setParameter: (index, value) => runs.current?.setParameter(index, value),
      restoreParameter: (index) => runs.current?.restoreParameter(index),
      check: () => areas.training.checkGradients(),
      lrFind: () =>
        runs.current ? runs.current.lrFind('initial') : Promise.reject(new Error('there is no run')),
      landscape: (directions) =>
        runs.current
          ? runs.current.landscape({
              slice: { points: 41, spanFactor: 3 },
              grid: {
                size: extensionSetting<number>('panel.landscapeGrid', 21) | 1,
                span: 1,
                directions,
                seed: 1,
              },
              maxRows: 2000,
            })
          : Promise.reject(new Error('there is no run')),
      startTraining: (what) =>
        void (what === 'example' ? areas.training.trainExample() : areas.training.train()),
      restartWith: async (overrides) => {
        await controller.restartWith(overrides);
      },
      lastStored: async () => {
        const newest = (await recorder.store.list())[0];
        const checkpoint = newest && (await recorder.store.latestCheckpoint(newest.id));
        return checkpoint
          ? storedSnapshot(newest, checkpoint.trainer, await recorder.store.readHistory(newest.id))
          : null;
      },
    },
    log,
  );
  const history = new HistoryCommands(controller, context.extensionUri);
  const areas: CommandAreas = {
    training: new TrainingCommands(controller, datasets, inspector, log),
    history,
    race: new RaceCommands(controller, datasets, history, log, context.extensionUri),
    models: new ModelCommands(controller, datasets, log, context.extensionUri),
    workspace: new WorkspaceCommands(context.extensionUri),
  };
  const derivations = new DerivationService(readme, runs, log);
  const selector: vscode.DocumentSelector = { language: LANGUAGE };
  const tests = new DerivationTests(derivations);
  const status = new StatusView(runs, datasets);
  context.subscriptions.push(
    log,
    controller,
    dataDiagnostics,
    derivations,
    status,
    tests,
    inspector,
    recorder,
    vscode.window.createTreeView('backpropLens.runs', {
      treeDataProvider: new RunsView(recorder),
      canSelectMany: true,
      showCollapseAll: false,
    }),
    vscode.commands.registerCommand('backpropLens.refreshRuns', () => recorder.refresh()),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => inspector.restore(panel),
    }),
    vscode.languages.registerCodeLensProvider(selector, new DerivationLenses(derivations)),
    vscode.languages.registerHoverProvider(selector, new DerivationHover(derivations)),
    vscode.languages.registerCodeActionsProvider(selector, new DerivationFixes(derivations), {
      providedCodeActionKinds: DerivationFixes.kinds,
    }),
  );
  for (const [verb, handler] of Object.entries(COMMANDS)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(`backpropLens.${verb}`, (...args: unknown[]) =>
        handler(areas, ...args),
      ),
    );
  }
  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  offerInterruptedRuns(recorder);
  return {
    activationMs,
    derivationTests: tests.controller,
    scanInterrupted: () => recorder.scanInterrupted(),
    storageUri: storage,
    listRuns: () => recorder.store.list(),
    currentRun() {
      const r = runs.current;
      return (
        r && {
          id: r.id,
          phase: r.phase,
          step: r.progress?.step ?? 0,
          shown: { phase: r.shown.phase, step: r.shown.progress?.step ?? 0 },
          epoch: r.progress?.epoch ?? 0,
          theta: Array.from(r.theta),
          history: r.epochCount,
          notice: r.notice,
          optimizer: r.config.optimizer,
          derivation: r.derivationFile,
          source: { ...r.request.source },
          edits: r.edits.map((e) => ({
            step: e.step,
            name: e.name,
            from: e.from,
            to: e.to,
            restore: e.restore,
          })),
          last: r.last && { step: r.last.step, loss: r.last.loss, grad: Array.from(r.last.grad) },
        }
      );
    },
    testing:
      context.extensionMode === vscode.ExtensionMode.Test
        ? {
            inspectorReceive: (m) => inspector.receive(m),
            runDerivationTests: (request, token) => tests.run(request, token),
            statusText: () => status.text,
          }
        : undefined,
  };
}

/** After activation, never blocking it: runs left "running" by a gone window are interrupted; offer to resume. */
function offerInterruptedRuns(recorder: Recorder): void {
  void recorder.scanInterrupted().then((found) => {
    if (!found.length) return;
    const r = found[0];
    const more = found.length > 1 ? ` (and ${found.length - 1} more)` : '';
    const text = `Backprop Lens: the run on ${r.dataset.name} was interrupted at step ${r.progress.step}${more}. Resume it from its last checkpoint?`;
    void vscode.window.showInformationMessage(text, 'Resume', 'Show Runs').then((b) => {
      if (b === 'Resume') void vscode.commands.executeCommand('backpropLens.resumeRun', r.id);
      else if (b === 'Show Runs') void vscode.commands.executeCommand('backpropLens.runs.focus');
    });
  });
}

export function deactivate(): void {
  // Nothing depends on deactivate: runs are disposed with context.subscriptions.
}
