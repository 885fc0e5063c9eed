/**
 * Backprop Lens: activate() only wires. Every command is backpropLens.<verb>
 * (see commands.ts), and everything created is pushed to context.subscriptions.
 */
import * as vscode from 'vscode';
import type { OptimizerName } from '../core/trainer';
import type { ToWebview } from '../protocol';
import { COMMANDS, Commands } from './commands';
import { DataDiagnostics } from './dataDiagnostics';
import { DerivationFixes, DerivationHover, DerivationLenses, DerivationService, DerivationTests, LANGUAGE } from './derivations';
import { RunManager } from './runs';
import { InspectorPanel, VIEW_TYPE, snapshot } from '../panel/panel';
import { Recorder } from './recorder';
import { RunsView } from './runsView';
import { StatusView } from './status';

export interface BackpropLensApi {
  /** Milliseconds activate() took. */
  readonly activationMs: number;
  /** Where runs and checkpoints are kept. */
  readonly storageUri: vscode.Uri;
  /** The stored runs, newest first. */
  listRuns(): Promise<Array<{ id: string; status: string; reason: string; dataset: { name: string; hash: string }; divergence: unknown; progress: { step: number } }>>;
  /** Hand a message to the inspector exactly as if the webview had posted it; for the hostile-input tests. */
  inspectorReceive(message: unknown): void;
  /** Re-run the interrupted-runs scan (what activation does); for tests. */
  scanInterrupted(): Promise<Array<{ id: string; status: string }>>;
  /** The Test Explorer controller of .deriv files. */
  readonly derivationTests: vscode.TestController;
  /** The current run's state, for tests and other extensions. */
  currentRun(): { id: string; phase: string; step: number; epoch: number; theta: number[]; history: number; notice: string | null } | undefined;
}

export function activate(context: vscode.ExtensionContext): BackpropLensApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Backprop Lens', { log: true });
  const readme = vscode.Uri.joinPath(context.extensionUri, 'README.md');
  const runs = new RunManager(context.extensionUri, log);
  const dataDiagnostics = new DataDiagnostics(readme);
  const recorder = new Recorder(context.storageUri ?? context.globalStorageUri, log);
  const commands = new Commands(context, runs, log, dataDiagnostics, recorder);
  commands.panelSnapshot = (run) => snapshot(run, null);
  const inspector = new InspectorPanel(context.extensionUri, runs, {
    check: () => commands.checkGradients(),
    setOptimizer: async (optimizer) => {
      const run = runs.current;
      if (run) await commands.trainFile(run.request.uri, { settings: { ...run.request.settings, optimizer: optimizer as OptimizerName }, ifBusy: 'stopAndStart', wait: false });
    },
    lastStored: async () => {
      const newest = (await recorder.store.list())[0];
      const panel = newest && (await recorder.store.latestCheckpoint(newest.id))?.panel;
      return panel && typeof panel === 'object' && (panel as { type?: unknown }).type === 'snapshot' ? (panel as Extract<ToWebview, { type: 'snapshot' }>) : null;
    },
  }, log);
  commands.inspector = inspector;
  const derivations = new DerivationService(readme, runs, log);
  const selector: vscode.DocumentSelector = { language: LANGUAGE };
  const tests = new DerivationTests(derivations);
  context.subscriptions.push(
    log, runs, dataDiagnostics, derivations, new StatusView(runs), tests, inspector, recorder,
    vscode.window.createTreeView('backpropLens.runs', { treeDataProvider: new RunsView(recorder), canSelectMany: true, showCollapseAll: false }),
    vscode.commands.registerCommand('backpropLens.refreshRuns', () => recorder.refresh()),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, { deserializeWebviewPanel: async (panel) => inspector.restore(panel) }),
    vscode.languages.registerCodeLensProvider(selector, new DerivationLenses(derivations)),
    vscode.languages.registerHoverProvider(selector, new DerivationHover(derivations)),
    vscode.languages.registerCodeActionsProvider(selector, new DerivationFixes(derivations), { providedCodeActionKinds: DerivationFixes.kinds }),
  );
  for (const [verb, handler] of Object.entries(COMMANDS)) {
    context.subscriptions.push(vscode.commands.registerCommand(`backpropLens.${verb}`, (...args: unknown[]) => handler(commands, ...args)));
  }
  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  // After activation, never blocking it: runs left "running" by a gone window are interrupted; offer to resume.
  void recorder.scanInterrupted().then((found) => {
    if (!found.length) return;
    const r = found[0];
    void vscode.window.showInformationMessage(`Backprop Lens: the run on ${r.dataset.name} was interrupted at step ${r.progress.step}${found.length > 1 ? ` (and ${found.length - 1} more)` : ''}. Resume it from its last checkpoint?`, 'Resume', 'Show Runs').then((b) => {
      if (b === 'Resume') void vscode.commands.executeCommand('backpropLens.resumeRun', r.id);
      else if (b === 'Show Runs') void vscode.commands.executeCommand('backpropLens.runs.focus');
    });
  });
  return {
    activationMs,
    derivationTests: tests.controller,
    scanInterrupted: () => recorder.scanInterrupted(),
    storageUri: context.storageUri ?? context.globalStorageUri,
    listRuns: () => recorder.store.list(),
    inspectorReceive: (m) => inspector.receive(m),
    currentRun() {
      const r = runs.current;
      return r && { id: r.id, phase: r.phase, step: r.progress?.step ?? 0, epoch: r.progress?.epoch ?? 0, theta: Array.from(r.theta), history: r.epochCount, notice: r.notice };
    },
  };
}

export function deactivate(): void {
  // Nothing depends on deactivate: runs are disposed with context.subscriptions.
}
