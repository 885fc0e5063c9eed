/** The Runs view: every stored run with its status, dataset, key settings and final metrics. */
import * as vscode from 'vscode';
import type { Recorder } from './recorder';
import type { RunRecord } from '../training/store';

export { compareHtml } from '../panel/compare';

const ICONS: Record<string, string> = {
  running: 'sync~spin',
  completed: 'pass',
  converged: 'pass-filled',
  plateau: 'pass',
  cancelled: 'circle-slash',
  diverged: 'warning',
  failed: 'error',
  interrupted: 'debug-disconnect',
};

export class RunItem extends vscode.TreeItem {
  constructor(readonly record: RunRecord) {
    super(`${record.dataset.name} · ${record.status}`, vscode.TreeItemCollapsibleState.None);
    const s = record.settings;
    const acc = record.test?.accuracy ?? record.train?.accuracy;
    this.id = record.id;
    this.description = `${s.optimizer} · h ${s.hidden || 'auto'} ${s.activation} · α ${s.lr}${acc !== undefined ? ` · ${(100 * acc).toFixed(1)}% ${record.test ? 'test' : 'train'}` : ''}`;
    this.iconPath = new vscode.ThemeIcon(ICONS[record.status] ?? 'circle');
    this.contextValue = `backpropLens.run.${record.status}`;
    const md = new vscode.MarkdownString();
    md.appendText(`${record.dataset.name}: ${record.status}${record.reason ? ` (${record.reason})` : ''}\n`);
    md.appendText(
      `started ${new Date(record.startedAt).toLocaleString()}, step ${record.progress.step}, epoch ${record.progress.epoch}\n`,
    );
    if (record.train)
      md.appendText(
        `train: loss ${record.train.loss.toPrecision(4)}, accuracy ${(100 * record.train.accuracy).toFixed(2)}%\n`,
      );
    if (record.test)
      md.appendText(
        `test: loss ${record.test.loss.toPrecision(4)}, accuracy ${(100 * record.test.accuracy).toFixed(2)}%\n`,
      );
    md.appendText(
      `seed ${record.seed}, dataset SHA-256 ${record.dataset.hash.slice(0, 16)}…, run ${record.id}`,
    );
    this.tooltip = md;
    this.command = { command: 'backpropLens.openRun', title: 'Open Run', arguments: [this] };
  }
}

export class RunsView implements vscode.TreeDataProvider<RunItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly recorder: Recorder) {
    this.sub = recorder.onDidChange(() => this.changed.fire());
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  async getChildren(): Promise<RunItem[]> {
    return (await this.recorder.store.list()).map((r) => new RunItem(r));
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
