/** Model files: export the current run's parameters, import a model onto a dataset. */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Model, modelFromJson, modelToJson } from '../../core/model';
import type { Datasets } from '../datasets';
import type { RunController } from '../runController';
import type { Run, RunSummary } from '../runs';
import { settingsOrSay } from '../ui';

/** The current run's model: its settings, columns, classes, standardisation and parameters. */
function modelOf(run: Run): Model {
  const d = run.dataset!;
  return {
    config: run.config,
    features: d.features,
    label: d.label,
    standardization: d.standardization,
    theta: run.theta,
    classes: d.classes,
    columns: d.encoding,
  };
}

export class ModelCommands {
  constructor(
    private readonly controller: RunController,
    private readonly datasets: Datasets,
    private readonly log: vscode.LogOutputChannel,
    private readonly extensionUri: vscode.Uri,
  ) {}

  async exportModel(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const run = this.controller.current;
    if (!run) {
      void vscode.window.showInformationMessage(
        'Backprop Lens: there is no training run. Use "Train on Dataset…" first.',
      );
      return undefined;
    }
    if (!run.dataset) {
      void vscode.window.showErrorMessage('Backprop Lens: the run has no data loaded; nothing to export.');
      return undefined;
    }
    const uri =
      target instanceof vscode.Uri
        ? target
        : await vscode.window.showSaveDialog({
            defaultUri: vscode.Uri.joinPath(
              run.request.uri,
              '..',
              `${run.fileName.replace(/\.[^.]+$/, '')}.model.json`,
            ),
            filters: { 'Backprop Lens model': ['json'] },
            title: 'Export Model',
          });
    if (!uri) return undefined;
    const text = modelToJson(modelOf(run));
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    this.log.info(`model exported to ${uri.toString()}`);
    return uri;
  }

  /**
   * Export as PyTorch Script: the current model as a readable model.py (an nn.Module, its parameters, the
   * standardisation, the optimizer, a loader for the same data file with the same rules) and the first batch's
   * gradients it checks itself against. Written by the bundled CLI (`export-torch`) in a child process, so the
   * extension host never computes on the data.
   */
  async exportTorch(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const run = this.controller.current;
    if (!run?.dataset) {
      void vscode.window.showErrorMessage(
        'Backprop Lens: train (or import) a model first; the script is written from the current run.',
      );
      return undefined;
    }
    const data = run.request.uri;
    if (data.scheme !== 'file') {
      void vscode.window.showErrorMessage(
        'Backprop Lens: the PyTorch script reads its data file from disk; this dataset is not a local file.',
      );
      return undefined;
    }
    const uri =
      target instanceof vscode.Uri
        ? target
        : await vscode.window.showSaveDialog({
            defaultUri: vscode.Uri.joinPath(
              data,
              '..',
              `${run.fileName.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_]+/g, '_')}_model.py`,
            ),
            filters: { 'Python script': ['py'] },
            title: 'Export as PyTorch Script',
          });
    if (!uri) return undefined;
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'backprop-lens-'));
    const modelFile = path.join(dir, 'model.json');
    try {
      await fsp.writeFile(modelFile, modelToJson(modelOf(run)));
      const cli = vscode.Uri.joinPath(this.extensionUri, 'out', 'cli.js').fsPath;
      const args = [
        cli,
        'export-torch',
        modelFile,
        '--data',
        data.fsPath,
        '--out',
        uri.fsPath,
        '--split',
        String(run.request.settings.split),
        '--json',
      ];
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        execFile(
          process.execPath,
          args,
          { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 16 * 1024 * 1024 },
          (e, out, err) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }),
        );
      });
      if (r.code !== 0) {
        this.log.error(`export-torch: ${r.err || r.out}`);
        void vscode.window.showErrorMessage(
          `Backprop Lens: could not write the PyTorch script: ${(r.err || r.out).trim().split('\n')[0]}`,
        );
        return undefined;
      }
      this.log.info(`PyTorch script written: ${uri.fsPath} (${r.out.trim()})`);
      void vscode.window
        .showInformationMessage(
          `Backprop Lens: wrote ${path.basename(uri.fsPath)} and its check file; run it with python3 ${path.basename(uri.fsPath)}.`,
          'Open',
        )
        .then((b) => {
          if (b) void vscode.window.showTextDocument(uri);
        });
      return uri;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  /** Import Model…: load a model file and open it, paused, on a dataset with the same feature columns. */
  async importModel(source?: vscode.Uri, dataset?: vscode.Uri): Promise<RunSummary | undefined> {
    const file =
      source instanceof vscode.Uri
        ? source
        : (
            await vscode.window.showOpenDialog({
              filters: { 'Backprop Lens model': ['json'] },
              title: 'Import Model',
            })
          )?.[0];
    if (!file) return undefined;
    let model;
    try {
      model = modelFromJson(new TextDecoder().decode(await vscode.workspace.fs.readFile(file)));
    } catch (e) {
      void vscode.window.showErrorMessage(
        `Backprop Lens: ${vscode.workspace.asRelativePath(file)} is not a usable model: ${(e as Error).message}`,
      );
      return undefined;
    }
    const data =
      dataset ??
      (await this.datasets.pick(
        `Dataset for ${path.posix.basename(file.path)} (features ${model.features.join(', ')})`,
      ));
    if (!data) return undefined;
    const settings = settingsOrSay(this.log, data, { ...model.config, label: model.label });
    if (!settings) return undefined;
    const summary = await this.controller.start({
      uri: data,
      settings,
      source: { kind: 'model', file: file.toString() },
      paused: true,
      theta: Array.from(model.theta),
    });
    const run = this.controller.current;
    if (run?.dataset && run.dataset.features.join('\u0000') !== model.features.join('\u0000')) {
      run.stop();
      void vscode.window.showErrorMessage(
        `Backprop Lens: the model's features (${model.features.join(', ')}) differ from the dataset's (${run.dataset.features.join(', ')}).`,
      );
      return undefined;
    }
    return summary;
  }
}
