/** Finding the workspace's datasets, most recently trained first. */
import * as path from 'node:path';
import * as vscode from 'vscode';

const RECENT_KEY = 'backpropLens.recentDatasets';
const NOT_DATA = /\.backprop\.json$|(^|\/)(package(-lock)?|tsconfig|jsconfig|settings|launch|tasks)\.json$/i;

export class Datasets {
  constructor(private readonly state: vscode.Memento) {}

  /** The workspace's .csv, .tsv and .json files that can be datasets (not experiment or tool configuration files). */
  async find(): Promise<vscode.Uri[]> {
    const found = await vscode.workspace.findFiles(
      '**/*.{csv,tsv,json,CSV,TSV,JSON}',
      '**/{node_modules,.git,.vscode}/**',
      2000,
    );
    return found.filter((u) => !NOT_DATA.test(u.path));
  }

  /** A quick pick of the datasets, most recently trained first. */
  async pick(title = 'Train on Dataset'): Promise<vscode.Uri | undefined> {
    const found = await this.find();
    if (!found.length) {
      void vscode.window.showInformationMessage(
        'Backprop Lens: no .csv, .tsv or .json datasets in this workspace. Try "Open Example Workspace".',
      );
      return undefined;
    }
    const recent = this.state.get<string[]>(RECENT_KEY, []);
    const rank = (u: vscode.Uri) => {
      const i = recent.indexOf(u.toString());
      return i < 0 ? recent.length : i;
    };
    found.sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
    const items = found.map((u) => ({
      label: path.posix.basename(u.path),
      description: vscode.workspace.asRelativePath(
        path.posix.dirname(u.path) === '/' ? u : vscode.Uri.joinPath(u, '..'),
      ),
      detail: rank(u) < recent.length ? 'recently trained' : undefined,
      uri: u,
    }));
    const pick = await vscode.window.showQuickPick(items, {
      title,
      placeHolder: 'Pick a dataset (.csv, .tsv, .json)',
      matchOnDescription: true,
    });
    return pick?.uri;
  }

  async remember(uri: vscode.Uri): Promise<void> {
    const list = this.state.get<string[]>(RECENT_KEY, []).filter((s) => s !== uri.toString());
    await this.state.update(RECENT_KEY, [uri.toString(), ...list].slice(0, 20));
  }
}
