/** The Runs view: every stored run with its status, dataset, key settings and final metrics. */
import * as vscode from 'vscode';
import type { Recorder } from './recorder';
import type { RunRecord } from '../training/store';

const ICONS: Record<string, string> = {
  running: 'sync~spin', completed: 'pass', converged: 'pass-filled', plateau: 'pass', cancelled: 'circle-slash', diverged: 'warning', failed: 'error', interrupted: 'debug-disconnect',
};

export class RunItem extends vscode.TreeItem {
  constructor(readonly record: RunRecord) {
    super(`${record.dataset.name} · ${record.status}`, vscode.TreeItemCollapsibleState.None);
    const s = record.settings;
    const acc = record.test?.accuracy ?? record.train?.accuracy;
    this.id = record.id;
    this.description = `${s.optimizer} · h ${s.hidden} ${s.activation} · α ${s.lr}${acc !== undefined ? ` · ${(100 * acc).toFixed(1)}% ${record.test ? 'test' : 'train'}` : ''}`;
    this.iconPath = new vscode.ThemeIcon(ICONS[record.status] ?? 'circle');
    this.contextValue = `backpropLens.run.${record.status}`;
    const md = new vscode.MarkdownString();
    md.appendText(`${record.dataset.name}: ${record.status}${record.reason ? ` (${record.reason})` : ''}\n`);
    md.appendText(`started ${new Date(record.startedAt).toLocaleString()}, step ${record.progress.step}, epoch ${record.progress.epoch}\n`);
    if (record.train) md.appendText(`train: loss ${record.train.loss.toPrecision(4)}, accuracy ${(100 * record.train.accuracy).toFixed(2)}%\n`);
    if (record.test) md.appendText(`test: loss ${record.test.loss.toPrecision(4)}, accuracy ${(100 * record.test.accuracy).toFixed(2)}%\n`);
    md.appendText(`seed ${record.seed}, dataset SHA-256 ${record.dataset.hash.slice(0, 16)}…, run ${record.id}`);
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

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Two runs' curves side by side: a static page (no script), so nothing in it can run. */
export function compareHtml(cspSource: string, css: string, runs: Array<{ record: RunRecord; history: Array<{ epoch: number; train: { loss: number; accuracy: number }; test: { loss: number; accuracy: number } | null }> }>): string {
  const chart = (title: string, pick: (e: (typeof runs)[number]['history'][number]) => number | undefined, log: boolean) => {
    const W = 520, H = 220, pad = 40;
    const series = runs.map((r) => r.history.map((e) => [e.epoch, pick(e)] as [number, number | undefined]).filter(([, v]) => v !== undefined && Number.isFinite(v) && (!log || v! > 0)) as Array<[number, number]>);
    const xs = series.flat().map(([x]) => x), ys = series.flat().map(([, y]) => (log ? Math.log10(y) : y));
    if (!xs.length) return `<p>${esc(title)}: no data</p>`;
    const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)], [y0, y1] = [Math.min(...ys), Math.max(...ys, Math.min(...ys) + 1e-9)];
    const X = (x: number) => pad + ((x - x0) / (x1 - x0)) * (W - 2 * pad), Y = (y: number) => H - pad + ((log ? -(Math.log10(y) - y0) : -(y - y0)) / (y1 - y0)) * (H - 2 * pad);
    const lines = series.map((s, k) => `<polyline class="run${k}" fill="none" stroke-width="2" points="${s.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`).join('');
    const fmt = (v: number) => (log ? (10 ** v).toPrecision(2) : v.toPrecision(3));
    return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
      `<line class="axis" x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}"/><line class="axis" x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}"/>` +
      `<text class="tick" x="${pad - 4}" y="${pad}" text-anchor="end">${fmt(y1)}</text><text class="tick" x="${pad - 4}" y="${H - pad}" text-anchor="end">${fmt(y0)}</text>` +
      `<text class="tick" x="${W - pad}" y="${H - pad + 16}" text-anchor="end">epoch ${x1}</text>${lines}</svg></figure>`;
  };
  const legend = runs.map((r, k) => `<li class="run${k}"><span class="swatch run${k}"></span>${esc(r.record.dataset.name)} — ${esc(r.record.settings.optimizer)}, h ${r.record.settings.hidden} ${esc(r.record.settings.activation)}, α ${r.record.settings.lr}, seed ${r.record.seed} (${esc(r.record.status)}, ${new Date(r.record.startedAt).toLocaleString()})</li>`).join('');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${esc(cspSource)};">
<link rel="stylesheet" href="${esc(css)}"><title>Compare runs</title></head>
<body class="compare"><h2>Compare runs</h2><ul class="legend-list">${legend}</ul>
<div class="charts">${chart('training loss (log scale)', (e) => e.train.loss, true)}${chart('test loss (log scale)', (e) => e.test?.loss, true)}${chart('training accuracy', (e) => e.train.accuracy, false)}${chart('test accuracy', (e) => e.test?.accuracy, false)}</div>
</body></html>`;
}
