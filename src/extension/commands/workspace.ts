/** Getting started: the example workspace and a new derivation file. */
import * as vscode from 'vscode';
import { referenceDerivation } from '../../derivation/checker';
import type { RunSettings } from '../../core/settings';
import { readSettings } from '../config';

export class WorkspaceCommands {
  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Open Example Workspace: copy the bundled examples into a folder and open it. */
  async openExamples(target?: vscode.Uri, options: { open?: boolean } = {}): Promise<vscode.Uri | undefined> {
    const folder =
      target instanceof vscode.Uri
        ? target
        : (
            await vscode.window.showOpenDialog({
              canSelectFiles: false,
              canSelectFolders: true,
              openLabel: 'Copy Examples Here',
              title: 'Backprop Lens: where should the example workspace go?',
            })
          )?.[0];
    if (!folder) return undefined;
    const dest = vscode.Uri.joinPath(folder, 'backprop-lens-examples');
    const src = vscode.Uri.joinPath(this.extensionUri, 'examples');
    await vscode.workspace.fs.createDirectory(dest);
    for (const [name, type] of await vscode.workspace.fs.readDirectory(src)) {
      if (type !== vscode.FileType.File) continue;
      const to = vscode.Uri.joinPath(dest, name);
      try {
        await vscode.workspace.fs.stat(to); // never overwrite the user's files
      } catch {
        await vscode.workspace.fs.copy(vscode.Uri.joinPath(src, name), to);
      }
    }
    if (options.open !== false)
      await vscode.commands.executeCommand('vscode.openFolder', dest, {
        forceNewWindow: !!vscode.workspace.workspaceFolders?.length,
      });
    return dest;
  }

  /** New Derivation File: the reference derivation, correct and commented, in a new .deriv file. */
  async newDerivation(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri =
      target instanceof vscode.Uri
        ? target
        : await vscode.window.showSaveDialog({
            defaultUri: folder ? vscode.Uri.joinPath(folder, 'derivation.deriv') : undefined,
            filters: { 'Backprop Lens derivation': ['deriv'] },
            title: 'New Derivation File',
          });
    if (!uri) return undefined;
    let act: RunSettings['activation'] = 'sigmoid';
    try {
      act = readSettings(uri).activation;
    } catch {
      /* the default */
    }
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(referenceDerivation(act, 'example')));
    await vscode.window.showTextDocument(uri);
    return uri;
  }
}
