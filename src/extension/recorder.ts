/**
 * Keeps every run in the extension's storage: the record is written before the
 * run starts (dataset URI and SHA-256, derivation hash, settings, seed), the
 * worker's checkpoints as they come (atomic, bounded), the outcome when it
 * ends. Nothing depends on deactivate(): a record still "running" when its
 * extension host is gone is marked "interrupted" at the next activation.
 */
import * as path from 'node:path';
import { webcrypto } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';
import type { TrainerState } from '../core/trainer';
import type { Run, RunRequest } from './runs';
import { type Checkpoint, type RunRecord, RunStore, type StoreFs, processAlive } from '../training/store';

/**
 * The store's file system: node:fs for local (file:) storage, whose rename
 * replaces the target atomically (workspace.fs.rename with overwrite deletes
 * the target first, leaving a moment with no file); workspace.fs otherwise.
 */
export function vscodeFs(root: vscode.Uri): StoreFs {
  if (root.scheme === 'file') {
    const p = (s: string) => vscode.Uri.parse(s).fsPath;
    return {
      readFile: async (s) => new Uint8Array(await fsp.readFile(p(s))),
      writeFile: (s, d) => fsp.writeFile(p(s), d),
      appendFile: (s, d) => fsp.appendFile(p(s), d),
      rename: (a, b) => fsp.rename(p(a), p(b)),
      delete: (s) => fsp.rm(p(s), { recursive: true, force: true }),
      list: (s) => fsp.readdir(p(s)),
      mkdir: async (s) => {
        await fsp.mkdir(p(s), { recursive: true });
      },
    };
  }
  const u = (p: string) => vscode.Uri.parse(p);
  return {
    readFile: async (p) => vscode.workspace.fs.readFile(u(p)),
    writeFile: async (p, d) => vscode.workspace.fs.writeFile(u(p), d),
    appendFile: async (p, d) => {
      let old: Uint8Array = new Uint8Array(0);
      try {
        old = await vscode.workspace.fs.readFile(u(p));
      } catch {
        /* new file */
      }
      const both = new Uint8Array(old.length + d.length);
      both.set(old);
      both.set(d, old.length);
      await vscode.workspace.fs.writeFile(u(p), both);
    },
    rename: async (a, b) => vscode.workspace.fs.rename(u(a), u(b), { overwrite: true }),
    delete: async (p) => vscode.workspace.fs.delete(u(p), { recursive: true, useTrash: false }),
    list: async (p) => (await vscode.workspace.fs.readDirectory(u(p))).map(([n]) => n),
    mkdir: async (p) => vscode.workspace.fs.createDirectory(u(p)),
  };
}

export async function sha256(bytes: Uint8Array): Promise<string> {
  // WebCrypto's digest runs off the extension host's thread.
  const d = await webcrypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}

const SESSION = Math.random().toString(36).slice(2, 10);

export class Recorder implements vscode.Disposable {
  readonly store: RunStore;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a record changes (the Runs view refreshes). */
  readonly onDidChange = this.changed.event;

  constructor(
    root: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.store = new RunStore(vscodeFs(root), root.toString(), (w) => {
      log.warn(w);
      if (/cannot write/.test(w))
        void vscode.window.showWarningMessage(`Backprop Lens: checkpoints are failing: ${w}`);
    });
  }

  /** Write the record of a run that is about to start; returns it (the run keeps its id). */
  async begin(
    request: RunRequest,
    id: string,
    bytes: Uint8Array,
    resumed: RunRecord | null,
    knownHash?: string,
  ): Promise<RunRecord> {
    const now = new Date().toISOString();
    const hash = knownHash ?? (await sha256(bytes));
    const record: RunRecord = resumed
      ? {
          ...resumed,
          status: 'running',
          reason: '',
          endedAt: null,
          divergence: null,
          updatedAt: now,
          owner: { pid: process.pid, session: SESSION },
          resumes: resumed.resumes + 1,
          dataset: { ...resumed.dataset, hash },
        }
      : {
          version: 1,
          id,
          dataset: { uri: request.uri.toString(), name: path.posix.basename(request.uri.path), hash },
          derivation: request.derivation
            ? {
                file: request.derivation.file,
                hash: await sha256(new TextEncoder().encode(request.derivation.text)),
                text: request.derivation.text,
              }
            : null,
          source: request.source,
          settings: request.settings,
          seed: request.settings.seed,
          initialTheta: request.theta ?? null,
          startedAt: now,
          updatedAt: now,
          endedAt: null,
          status: 'running',
          reason: '',
          divergence: null,
          progress: { step: 0, epoch: 0 },
          train: null,
          test: null,
          owner: { pid: process.pid, session: SESSION },
          resumes: 0,
        };
    await this.store.create(record);
    this.changed.fire();
    return record;
  }

  /** Follow a started run: checkpoints as they come, the outcome at the end. */
  follow(run: Run, record: RunRecord): void {
    let current = record;
    let writing: Promise<unknown> = Promise.resolve();
    const queue = (f: () => Promise<unknown>) => (writing = writing.then(f, f));
    // The dataset's columns, once read: a restored inspector labels the parameters with them.
    void run.ready.then((d) => {
      if (!d) return;
      current = {
        ...current,
        // The width trained with: an automatic hidden width (0) is concrete once the data's classes are known.
        settings: { ...current.settings, hidden: run.config.hidden },
        columns: {
          features: d.features,
          label: d.label,
          trainRows: d.trainRows,
          testRows: d.testRows,
          classes: d.classes,
        },
      };
      const snap = current;
      queue(() => this.store.update(snap));
    });
    const subs = [
      run.onEdit((edit) => {
        current = { ...current, edits: [...(current.edits ?? []), edit] };
        const snap = current;
        queue(() => this.store.update(snap));
      }),
      run.onCheckpoint(({ state, historyFrom }: { state: TrainerState; historyFrom: number }) => {
        // The new epochs go to history.jsonl; the checkpoint keeps only what continues the trajectory.
        const epochs = state.history;
        const c: Checkpoint = {
          version: 1,
          runId: run.id,
          savedAt: new Date().toISOString(),
          step: state.step,
          epoch: state.epoch,
          trainer: { ...state, history: [] },
        };
        if (current.initialTheta === null && state.step === 0)
          current = { ...current, initialTheta: state.theta };
        const last = epochs[epochs.length - 1];
        current = {
          ...current,
          progress: { step: state.step, epoch: state.epoch },
          train: last?.train ?? current.train,
          test: last?.test ?? current.test,
        };
        const snap = current;
        queue(async () => {
          await this.store.appendHistory(run.id, epochs, historyFrom === 0 && state.step === 0);
          await this.store.checkpoint(c);
          await this.store.update(snap); // also the heartbeat
        });
      }),
    ];
    void run.done.then((s) => {
      subs.forEach((d) => d.dispose());
      const status = s.status === 'data-error' ? 'failed' : s.status;
      current = {
        ...current,
        status,
        reason: s.reason,
        endedAt: new Date().toISOString(),
        divergence: s.divergence,
        progress: { step: s.steps, epoch: s.epochs },
        train: s.train,
        test: s.test,
      };
      const snap = current;
      queue(async () => {
        await this.store.update(snap);
        this.changed.fire();
      });
    });
  }

  /** At activation: runs whose extension host is gone become "interrupted". Never throws. */
  async scanInterrupted(): Promise<RunRecord[]> {
    try {
      const found = await this.store.markInterrupted((o) => o.session === SESSION || processAlive(o.pid));
      if (found.length) this.changed.fire();
      return found;
    } catch (e) {
      this.log.warn(`could not read the stored runs: ${(e as Error).message}`);
      return [];
    }
  }

  refresh(): void {
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
