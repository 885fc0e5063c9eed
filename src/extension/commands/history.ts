/** The Runs view's commands: resume, delete, export, open and compare stored runs. */
import * as vscode from 'vscode';
import type { RunController, StartOptions } from '../runController';
import type { RunSummary } from '../runs';
import type { SharedLandscape } from '../../panel/compare';
import { RunItem, compareHtml } from '../runsView';
import type { RunRecord } from '../../training/store';

export class HistoryCommands {
  constructor(
    private readonly controller: RunController,
    private readonly extensionUri: vscode.Uri,
  ) {}

  private get store() {
    return this.controller.recorder.store;
  }

  /** A run from a Runs view item, a run id, or a quick pick (of the runs with one of these statuses). */
  private async recordOf(arg: unknown, statuses?: string[]): Promise<RunRecord | undefined> {
    if (arg instanceof RunItem) return arg.record;
    if (typeof arg === 'string') return (await this.store.get(arg)) ?? undefined;
    const all = (await this.store.list()).filter((r) => !statuses || statuses.includes(r.status));
    if (!all.length) {
      void vscode.window.showInformationMessage(
        `Backprop Lens: no ${statuses ? statuses.join(' or ') + ' ' : ''}runs are stored for this workspace.`,
      );
      return undefined;
    }
    const items = all.map((r) => ({
      label: `${r.dataset.name} · ${r.status}`,
      description: `${new Date(r.startedAt).toLocaleString()} · step ${r.progress.step}`,
      record: r,
    }));
    const pick = await vscode.window.showQuickPick(items, { title: 'Backprop Lens: pick a run' });
    return pick?.record;
  }

  /** Resume an interrupted or cancelled run from its last checkpoint; the trajectory is the uninterrupted one. */
  async resumeRun(
    arg?: unknown,
    options: StartOptions & { ifDatasetChanged?: 'ask' | 'resume' | 'cancel' } = {},
  ): Promise<RunSummary | undefined> {
    const record = await this.recordOf(arg, ['interrupted', 'cancelled']);
    if (!record) return undefined;
    if (record.status !== 'interrupted' && record.status !== 'cancelled') {
      void vscode.window.showInformationMessage(
        `Backprop Lens: only interrupted or cancelled runs can be resumed; this one is ${record.status}.`,
      );
      return undefined;
    }
    return this.controller.resume(record, options);
  }

  async deleteRun(arg?: unknown, options: { confirm?: boolean } = {}): Promise<boolean> {
    const record = await this.recordOf(arg);
    if (!record) return false;
    if (this.controller.current?.id === record.id && this.controller.busy) {
      void vscode.window.showWarningMessage('Backprop Lens: stop the run before deleting it.');
      return false;
    }
    if (options.confirm !== false) {
      const when = new Date(record.startedAt).toLocaleString();
      const ok = await vscode.window.showWarningMessage(
        `Delete the stored run of ${record.dataset.name} (${record.status}, ${when}) and its checkpoints?`,
        { modal: true },
        'Delete',
      );
      if (ok !== 'Delete') return false;
    }
    await this.store.delete(record.id);
    this.controller.recorder.refresh();
    return true;
  }

  /** Export a run: its record and last checkpoint as one JSON file, where the user says. */
  async exportRun(arg?: unknown, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const record = await this.recordOf(arg);
    if (!record) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `${record.dataset.name.replace(/\.[^.]+$/, '')}-run-${record.id}.json`;
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        defaultUri: folder && vscode.Uri.joinPath(folder, name),
        filters: { JSON: ['json'] },
      }));
    if (!uri) return undefined;
    const checkpoint = await this.store.resumeState(record.id);
    await vscode.workspace.fs.writeFile(
      uri,
      new TextEncoder().encode(JSON.stringify({ record, checkpoint }, null, 2) + '\n'),
    );
    return uri;
  }

  /** Open a run: its record as a read-only JSON document. */
  async openRun(arg?: unknown): Promise<void> {
    const record = await this.recordOf(arg);
    if (!record) return;
    const shorten = (k: string, v: unknown) =>
      k === 'initialTheta' && Array.isArray(v) && v.length > 64
        ? `${v.length} numbers`
        : k === 'text'
          ? undefined
          : v;
    const doc = await vscode.workspace.openTextDocument({
      language: 'json',
      content: JSON.stringify(record, shorten, 2),
    });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  /** Compare two runs' curves (select two in the Runs view, or pick them). */
  async compareRuns(arg?: unknown, selected?: unknown[]): Promise<vscode.WebviewPanel | undefined> {
    // From the Runs view: the clicked item and the selection; from scripts: run ids.
    let records: RunRecord[] = [];
    for (const x of Array.isArray(selected) ? selected : []) {
      const r = x instanceof RunItem ? x.record : typeof x === 'string' ? await this.store.get(x) : null;
      if (r) records.push(r);
    }
    if (records.length !== 2) {
      const first = await this.recordOf(arg);
      if (!first) return undefined;
      const others = (await this.store.list()).filter((r) => r.id !== first.id && r.progress.epoch > 0);
      const items = others.map((r) => ({
        label: `${r.dataset.name} · ${r.status}`,
        description: new Date(r.startedAt).toLocaleString(),
        record: r,
      }));
      const pick = await vscode.window.showQuickPick(items, { title: `Compare ${first.dataset.name} with…` });
      if (!pick) return undefined;
      records = [first, pick.record];
    }
    return this.showComparison(records, 'Compare runs', null);
  }

  /** The comparison page of some stored runs (their curves, and with a threshold the race table); refuses runs without curves. */
  async showComparison(
    records: RunRecord[],
    title: string,
    threshold: number | null,
    landscape: SharedLandscape | null = null,
  ): Promise<vscode.WebviewPanel | undefined> {
    const runs = await Promise.all(
      records.map(async (record) => ({ record, history: await this.store.readHistory(record.id) })),
    );
    const empty = runs.find((r) => r.history.length === 0);
    if (empty) {
      const why =
        empty.record.status === 'failed'
          ? `it failed before training (${empty.record.reason})`
          : 'it has no finished epoch yet';
      void vscode.window.showWarningMessage(
        `Backprop Lens: the run of ${empty.record.dataset.name} has no curves to compare: ${why}.`,
      );
      return undefined;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'out', 'webview');
    const panel = vscode.window.createWebviewPanel('backpropLens.compare', title, vscode.ViewColumn.Active, {
      enableScripts: false,
      localResourceRoots: [root],
    });
    const css = panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'inspector.css')).toString();
    panel.webview.html = compareHtml(panel.webview.cspSource, css, runs, title, threshold, landscape);
    return panel;
  }
}
