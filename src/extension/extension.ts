/**
 * Backprop Lens: activate() only wires. Every command is backpropLens.<verb>
 * (see commands.ts), and everything created is pushed to context.subscriptions.
 */
import * as vscode from 'vscode';
import { COMMANDS, Commands } from './commands';
import { DataDiagnostics } from './dataDiagnostics';
import { DerivationFixes, DerivationHover, DerivationLenses, DerivationService, DerivationTests, LANGUAGE } from './derivations';
import { RunManager } from './runs';
import { InspectorPanel, VIEW_TYPE } from '../panel/panel';
import { StatusView } from './status';

export interface BackpropLensApi {
  /** Milliseconds activate() took. */
  readonly activationMs: number;
  /** The Test Explorer controller of .deriv files. */
  readonly derivationTests: vscode.TestController;
  /** The current run's state, for tests and other extensions. */
  currentRun(): { id: string; phase: string; step: number; epoch: number; theta: number[]; history: number } | undefined;
}

export function activate(context: vscode.ExtensionContext): BackpropLensApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Backprop Lens', { log: true });
  const readme = vscode.Uri.joinPath(context.extensionUri, 'README.md');
  const runs = new RunManager(context.extensionUri, log);
  const dataDiagnostics = new DataDiagnostics(readme);
  const commands = new Commands(context, runs, log, dataDiagnostics);
  const inspector = new InspectorPanel(context.extensionUri, runs, {
    check: () => commands.checkGradients(),
    setOptimizer: async (optimizer) => {
      const run = runs.current;
      if (run) await commands.trainFile(run.request.uri, { settings: { ...run.request.settings, optimizer: optimizer as never }, ifBusy: 'stopAndStart', wait: false });
    },
  }, log, context.workspaceState);
  commands.inspector = inspector;
  const derivations = new DerivationService(readme, runs, log);
  const selector: vscode.DocumentSelector = { language: LANGUAGE };
  const tests = new DerivationTests(derivations);
  context.subscriptions.push(
    log, runs, dataDiagnostics, derivations, new StatusView(runs), tests, inspector,
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
  return {
    activationMs,
    derivationTests: tests.controller,
    currentRun() {
      const r = runs.current;
      return r && { id: r.id, phase: r.phase, step: r.progress?.step ?? 0, epoch: r.progress?.epoch ?? 0, theta: Array.from(r.theta), history: r.history.length };
    },
  };
}

export function deactivate(): void {
  // Nothing depends on deactivate: runs are disposed with context.subscriptions.
}
