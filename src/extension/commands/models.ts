/** Model files: export the current run's parameters, import a model onto a dataset. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { modelFromJson, modelToJson } from '../../core/model';
import type { Datasets } from '../datasets';
import type { RunController } from '../runController';
import type { RunSummary } from '../runs';
import { settingsOrSay } from '../ui';

export class ModelCommands {
  constructor(
    private readonly controller: RunController,
    private readonly datasets: Datasets,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async exportModel(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const run = this.controller.current;
    if (!run) {
      void vscode.window.showInformationMessage('Backprop Lens: there is no training run. Use "Train on Dataset…" first.');
      return undefined;
    }
    if (!run.dataset) {
      void vscode.window.showErrorMessage('Backprop Lens: the run has no data loaded; nothing to export.');
      return undefined;
    }
    const uri = target instanceof vscode.Uri ? target : await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(run.request.uri, '..', `${run.fileName.replace(/\.[^.]+$/, '')}.model.json`),
      filters: { 'Backprop Lens model': ['json'] },
      title: 'Export Model',
    });
    if (!uri) return undefined;
    const d = run.dataset;
    const text = modelToJson({ config: run.config, features: d.features, label: d.label, standardization: d.standardization, theta: run.theta });
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    this.log.info(`model exported to ${uri.toString()}`);
    return uri;
  }

  /** Import Model…: load a model file and open it, paused, on a dataset with the same feature columns. */
  async importModel(source?: vscode.Uri, dataset?: vscode.Uri): Promise<RunSummary | undefined> {
    const file = source instanceof vscode.Uri ? source : (await vscode.window.showOpenDialog({ filters: { 'Backprop Lens model': ['json'] }, title: 'Import Model' }))?.[0];
    if (!file) return undefined;
    let model;
    try {
      model = modelFromJson(new TextDecoder().decode(await vscode.workspace.fs.readFile(file)));
    } catch (e) {
      void vscode.window.showErrorMessage(`Backprop Lens: ${vscode.workspace.asRelativePath(file)} is not a usable model: ${(e as Error).message}`);
      return undefined;
    }
    const data = dataset ?? (await this.datasets.pick(`Dataset for ${path.posix.basename(file.path)} (features ${model.features.join(', ')})`));
    if (!data) return undefined;
    const settings = settingsOrSay(this.log, data, { ...model.config, label: model.label });
    if (!settings) return undefined;
    const summary = await this.controller.start({ uri: data, settings, source: { kind: 'model', file: file.toString() }, paused: true, theta: Array.from(model.theta) });
    const run = this.controller.current;
    if (run?.dataset && run.dataset.features.join('\u0000') !== model.features.join('\u0000')) {
      run.stop();
      void vscode.window.showErrorMessage(`Backprop Lens: the model's features (${model.features.join(', ')}) differ from the dataset's (${run.dataset.features.join(', ')}).`);
      return undefined;
    }
    return summary;
  }
}
