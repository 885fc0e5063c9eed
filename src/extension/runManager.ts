import * as vscode from 'vscode';
import type { Progress } from '../protocol';
import { Run } from './runs';
import type { RunOptions, RunRequest } from './runRequest';

/** Owns the current run; a new run disposes the previous one's worker once it has stopped. */
export class RunManager implements vscode.Disposable {
  private run: Run | undefined;
  private readonly changed = new vscode.EventEmitter<Run | undefined>();
  readonly onDidChange = this.changed.event;
  private readonly progressed = new vscode.EventEmitter<{ run: Run; progress: Progress }>();
  /** The current run's progress reports (see Run.onProgress). */
  readonly onProgress = this.progressed.event;
  private subs: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get current(): Run | undefined {
    return this.run;
  }

  get busy(): boolean {
    return (
      !!this.run &&
      (this.run.phase === 'starting' || this.run.phase === 'running' || this.run.phase === 'paused')
    );
  }

  start(request: RunRequest, bytes: Uint8Array, options: RunOptions): Run {
    if (this.busy) throw new Error('a run is already in progress');
    this.subs.forEach((d) => d.dispose());
    this.run?.dispose();
    const run = new Run(
      request,
      vscode.Uri.joinPath(this.extensionUri, 'out', 'worker.js').fsPath,
      bytes,
      options,
      this.log,
    );
    this.run = run;
    this.subs = [
      run.onProgress((progress) => this.progressed.fire({ run, progress })),
      run.onDidChange(() => this.changed.fire(run)),
    ];
    this.changed.fire(run);
    return run;
  }

  /** Stop the current run and wait until it has stopped. */
  async stopCurrent(): Promise<void> {
    const r = this.run;
    if (!r || !this.busy) return;
    r.stop();
    await r.done;
  }

  dispose(): void {
    this.subs.forEach((d) => d.dispose());
    this.run?.dispose();
    this.changed.dispose();
    this.progressed.dispose();
  }
}
