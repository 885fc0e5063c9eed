/**
 * Race Optimizers: several optimizers from the same initial parameters, data and split (the same seed, so the same
 * θ₀, split and sample order where the optimizers share them), one after the other through the run controller, so
 * that each racer is a stored run (open, resume or delete it from the Runs view). Then one page overlays their curves
 * with a table: steps to a training-loss threshold, final train and test accuracy, and time.
 */
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { OPTIMIZERS, type OptimizerName } from '../../core/config';
import { type RunSettings, SETTINGS } from '../../core/settings';
import type { SharedLandscape } from '../../panel/compare';
import type { Datasets } from '../datasets';
import type { RunController } from '../runController';
import type { RunSummary } from '../runs';
import { settingsOrSay } from '../ui';
import type { HistoryCommands } from './history';

export interface RaceOptions {
  /** The optimizers to race (default: pick them). */
  optimizers?: OptimizerName[];
  settings?: Partial<RunSettings>;
  /** The training-loss threshold of the table (default 0.1). */
  threshold?: number;
  /** Where the race came from (an experiment file). */
  source?: { kind: 'experiment'; file: string };
}

export class RaceCommands {
  constructor(
    private readonly controller: RunController,
    private readonly datasets: Datasets,
    private readonly history: HistoryCommands,
    private readonly log: vscode.LogOutputChannel,
    private readonly extensionUri: vscode.Uri,
  ) {}

  async race(uri?: vscode.Uri, options: RaceOptions = {}): Promise<RunSummary[] | undefined> {
    const data =
      uri instanceof vscode.Uri ? uri : await this.datasets.pick('Race Optimizers: pick a dataset');
    if (!data) return undefined;
    let optimizers = options.optimizers;
    if (!optimizers) {
      const picks = await vscode.window.showQuickPick(
        OPTIMIZERS.map((o) => ({ label: o, picked: o !== 'misclassified-sgd' })),
        { canPickMany: true, title: 'Race Optimizers: which optimizers?' },
      );
      optimizers = picks?.map((p) => p.label as OptimizerName);
    }
    if (!optimizers?.length) return undefined;
    const base = settingsOrSay(this.log, data, options.settings);
    if (!base) return undefined;
    const summaries: RunSummary[] = [];
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: 'Backprop Lens: optimizer race',
        cancellable: true,
      },
      async (progress, token) => {
        for (const [k, optimizer] of optimizers!.entries()) {
          if (token.isCancellationRequested) break;
          progress.report({
            message: `${optimizer} (${k + 1} of ${optimizers!.length})`,
            increment: 100 / optimizers!.length,
          });
          const stop = token.onCancellationRequested(() => this.controller.current?.stop());
          const s = await this.controller.start(
            { uri: data, settings: { ...base, optimizer }, source: options.source ?? { kind: 'settings' } },
            { ifBusy: 'stopAndStart' },
          );
          stop.dispose();
          if (!s || s.status === 'failed' || s.status === 'data-error') break;
          summaries.push(s);
        }
      },
    );
    this.log.info(
      `optimizer race on ${vscode.workspace.asRelativePath(data)}: ${summaries.map((s) => `${s.config.optimizer} ${s.status} after ${s.steps} steps`).join('; ')}`,
    );
    if (summaries.length) {
      const records = (
        await Promise.all(summaries.map((s) => this.controller.recorder.store.get(s.runId)))
      ).filter((r) => r !== null);
      const landscape = await this.sharedLandscape(
        data,
        base,
        summaries.map((s) => s.config.optimizer),
      );
      await this.history.showComparison(
        records,
        `Optimizer race: ${vscode.workspace.asRelativePath(data)}`,
        options.threshold ?? 0.1,
        landscape,
      );
    }
    return summaries;
  }

  /**
   * The racers' trajectories on one loss landscape (the plane of their principal directions through the common θ₀),
   * computed by the bundled CLI's `race --landscape` in a child process: the extension host never computes on the
   * data. Null when it cannot be had (not a local file, or the CLI failed: the page then shows the curves only).
   */
  private async sharedLandscape(
    data: vscode.Uri,
    s: RunSettings,
    optimizers: OptimizerName[],
  ): Promise<SharedLandscape | null> {
    if (data.scheme !== 'file') return null;
    const flags: string[] = [];
    for (const spec of SETTINGS) {
      const v = s[spec.key];
      if (v === '' || v === undefined) continue;
      flags.push(`--${spec.flag}`, String(v));
    }
    const cli = vscode.Uri.joinPath(this.extensionUri, 'out', 'cli.js').fsPath;
    const args = [
      cli,
      'race',
      data.fsPath,
      '--optimizers',
      optimizers.join(','),
      ...flags,
      '--landscape',
      '--json',
    ];
    const r = await new Promise<{ ok: boolean; out: string; err: string }>((resolve) => {
      execFile(
        process.execPath,
        args,
        { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 64 * 1024 * 1024 },
        (e, out, err) => resolve({ ok: !e, out, err }),
      );
    });
    if (!r.ok) {
      this.log.warn(`race landscape: ${r.err.trim().split('\n')[0]}`);
      return null;
    }
    try {
      return (JSON.parse(r.out) as { landscape: SharedLandscape }).landscape;
    } catch {
      return null;
    }
  }
}
