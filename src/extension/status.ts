/** The status bar item and the backpropLens.runState context key, following the current run. */
import * as vscode from 'vscode';
import { describeSecondsLeft, secondsLeft } from '../core/progress';
import type { RunManager } from './runManager';
import type { Run } from './runs';

export type RunState = 'none' | 'running' | 'paused' | 'finished';

/** The state of a phase: `run.phase` (what was asked: commands and menus) or `run.shown.phase` (what the user sees). */
export function runState(run: Run | undefined, phase = run?.phase): RunState {
  if (!run) return 'none';
  if (phase === 'running' || phase === 'starting') return 'running';
  if (phase === 'paused') return 'paused';
  return run.result || run.dataset ? 'finished' : 'none';
}

/** The run's progress as the status bar, the notification and the inspector show it (run.shown: the same step in all three). */
export function describeProgress(run: Run): string {
  const { progress: p, lastEpoch: e, phase } = run.shown;
  const parts = [`epoch ${p?.epoch ?? 0}/${run.config.epochs}`, `step ${p?.step ?? 0}`];
  if (e)
    parts.push(`loss ${e.train.loss.toPrecision(4)}`, `accuracy ${(100 * e.train.accuracy).toFixed(1)}%`);
  const left = phase === 'running' ? timeLeft(run) : null;
  if (left) parts.push(left);
  return parts.join(' · ');
}

/** "about 2 min left", from the measured step rate and the steps left to the epoch (or step) limit; null when unknown. */
export function timeLeft(run: Run): string | null {
  const p = run.shown.progress;
  const s = p ? secondsLeft(run.config, run.dataset?.trainRows ?? 0, p.step, p.stepsPerSecond) : null;
  return s === null ? null : describeSecondsLeft(s);
}

/** The status bar's icon for how a run ended: a check only for a run that ran to its end. */
function outcomeIcon(status: string): string {
  return status === 'diverged' ? 'warning' : status === 'cancelled' ? 'circle-slash' : 'check';
}

export class StatusView implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'backpropLens.status',
    vscode.StatusBarAlignment.Left,
    10,
  );
  private state: RunState | null = null;
  private readonly sub: vscode.Disposable;

  /** Whether the workspace has datasets: then the item shows from activation on, offering to train. */
  private hasData = false;

  constructor(runs: RunManager, datasets?: { find(): Promise<unknown[]> }) {
    this.item.name = 'Backprop Lens';
    this.item.command = 'backpropLens.showInspector';
    // The run's changes come at the report rate (backpropLens.panel.updatesPerSecond, never per step); the
    // status bar, the progress notification and the inspector all follow the same changes, so they agree.
    this.sub = runs.onDidChange((run) => this.update(run));
    this.update(undefined);
    void datasets?.find().then(
      (found) => {
        this.hasData = found.length > 0;
        if (!runs.current) this.update(undefined);
      },
      () => undefined,
    );
  }

  private update(run: Run | undefined): void {
    const state = runState(run);
    if (state !== this.state) {
      this.state = state;
      void vscode.commands.executeCommand('setContext', 'backpropLens.runState', state);
    }
    if (!run) {
      if (!this.hasData) return this.item.hide();
      this.item.text = '$(pulse) Backprop Lens';
      this.item.tooltip = 'Backprop Lens: train the two-layer network on a dataset of this workspace';
      this.item.command = 'backpropLens.train';
      this.item.show();
      return;
    }
    this.item.command = 'backpropLens.showInspector';
    const name = run.fileName;
    const shown = runState(run, run.shown.phase);
    if (shown === 'running') this.item.text = `$(sync~spin) ${name}: ${describeProgress(run)}`;
    else if (shown === 'paused')
      this.item.text = `$(debug-pause) ${name}: paused at step ${run.shown.progress?.step ?? 0}`;
    else if (shown === 'finished' && !run.result && run.shown.progress)
      this.item.text = `$(${outcomeIcon(run.shown.progress.status)}) ${name}: ${run.shown.progress.status}`; // the final state is on its way
    else if (run.result) {
      const acc = run.result.test?.accuracy ?? run.result.train.accuracy;
      this.item.text = `$(${outcomeIcon(run.result.status)}) ${name}: ${run.result.status}, ${(100 * acc).toFixed(1)}% ${run.result.test ? 'test' : 'train'} accuracy`;
    } else this.item.text = `$(error) ${name}: ${run.shown.phase}`;
    this.item.tooltip = 'Backprop Lens: show the gradient inspector';
    this.item.show();
  }

  /** What the item says now. */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
