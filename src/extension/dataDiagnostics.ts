/**
 * Dataset errors as diagnostics on the dataset file, on the line to fix: set
 * when a run (or an experiment) reads a bad file, re-validated as the file is
 * edited or saved, cleared when it is fixed, closed or deleted.
 */
import * as vscode from 'vscode';
import { type RunSettings, readOptionsOf } from '../core/settings';
import { type ReadOptions, readDataset } from '../data/dataset';
import { SOURCE } from './diagnostics';
import { extensionSetting } from './config';
import { statStamp } from './fileStat';

export class DataDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('backpropLens.datasets');
  private readonly tracked = new Map<string, { read: ReadOptions }>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly stamps = new Map<string, string>();
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly readme: vscode.Uri) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{csv,tsv,json,CSV,TSV,JSON}');
    this.subs.push(
      watcher,
      watcher.onDidDelete((u) => this.clear(u)),
      watcher.onDidChange((u) => this.revalidateFile(u)),
      vscode.workspace.onDidChangeTextDocument((e) => this.revalidateDoc(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.clear(d.uri)),
    );
  }

  /** A dataset error at a line; the file is then re-read as it changes, with the run's reading settings, until it reads. */
  report(uri: vscode.Uri, line: number, message: string, settings: RunSettings): void {
    this.reportWith(uri, line, message, readOptionsOf(settings));
  }

  private reportWith(uri: vscode.Uri, line: number, message: string, read: ReadOptions): void {
    const key = uri.toString();
    this.tracked.set(key, { read });
    // The baseline is the file as it is now, so an edit before the first poll is not missed.
    statStamp(uri).then(
      (st) => {
        if (!this.stamps.has(key)) this.stamps.set(key, `${st.mtime}:${st.size}`);
      },
      () => undefined,
    );
    this.startPolling();
    const d = new vscode.Diagnostic(
      new vscode.Range(Math.max(0, line - 1), 0, Math.max(0, line - 1), 1_000_000),
      message,
      vscode.DiagnosticSeverity.Error,
    );
    d.source = SOURCE;
    d.code = { value: 'dataset', target: this.readme.with({ fragment: 'datasets-the-contract' }) };
    this.collection.set(uri, [d]);
  }

  clear(uri: vscode.Uri): void {
    this.tracked.delete(uri.toString());
    this.stamps.delete(uri.toString());
    this.collection.delete(uri);
    if (!this.tracked.size && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  /** File watchers are not delivered everywhere: while a file has a diagnostic, look at it every second. */
  private startPolling(): void {
    if (this.poll) return;
    this.poll = setInterval(() => {
      for (const key of this.tracked.keys()) {
        const uri = vscode.Uri.parse(key);
        statStamp(uri).then(
          (st) => {
            const stamp = `${st.mtime}:${st.size}`;
            const before = this.stamps.get(key);
            this.stamps.set(key, stamp);
            if (before !== undefined && before !== stamp) this.revalidateFile(uri);
          },
          () => this.clear(uri), // deleted
        );
      }
    }, 1000);
  }

  /** The file was renamed: its diagnostics follow it. */
  move(from: vscode.Uri, to: vscode.Uri): void {
    const t = this.tracked.get(from.toString());
    const d = this.collection.get(from);
    this.clear(from);
    if (t && d) {
      this.tracked.set(to.toString(), t);
      this.collection.set(to, d);
    }
  }

  has(uri: vscode.Uri): boolean {
    return this.collection.has(uri);
  }

  private revalidateDoc(doc: vscode.TextDocument): void {
    if (!this.tracked.has(doc.uri.toString())) return;
    this.debounce(doc.uri, () => this.validate(doc.uri, new TextEncoder().encode(doc.getText())));
  }

  private revalidateFile(uri: vscode.Uri): void {
    if (!this.tracked.has(uri.toString())) return;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) return; // the editor's text wins
    this.debounce(uri, async () => {
      try {
        this.validate(uri, await vscode.workspace.fs.readFile(uri));
      } catch {
        this.clear(uri);
      }
    });
  }

  private debounce(uri: vscode.Uri, f: () => void): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        f();
      }, 300),
    );
  }

  private validate(uri: vscode.Uri, bytes: Uint8Array): void {
    const t = this.tracked.get(uri.toString());
    if (!t) return;
    const r = readDataset(bytes, uri.path, {
      ...t.read,
      maxBytes: extensionSetting<number>('data.maxFileSizeMB', 256, uri) * 1024 * 1024,
    });
    if (r.ok) this.clear(uri);
    else this.reportWith(uri, r.error.line, r.error.message, t.read);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    if (this.poll) clearInterval(this.poll);
    vscode.Disposable.from(...this.subs, this.collection).dispose();
  }
}
