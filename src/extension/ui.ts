/** Small VS Code UI helpers shared by the commands and the run controller. */
import * as vscode from 'vscode';
import type { RunSettings } from '../core/settings';
import { SettingsError, readSettings } from './config';

/** An error message with "Go to Line" that opens the file at that line (and logs it). */
export async function offerLine(
  log: vscode.LogOutputChannel,
  uri: vscode.Uri,
  line: number,
  message: string,
  column = 1,
): Promise<void> {
  log.error(message);
  const choice = await vscode.window.showErrorMessage(`Backprop Lens: ${message}`, 'Go to Line');
  if (choice) {
    const pos = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos) });
  }
}

/**
 * The validated settings for `scope` with `overrides` on top, or undefined after
 * telling the user which setting is wrong (with a button to the Settings editor).
 */
export function settingsOrSay(
  log: vscode.LogOutputChannel,
  scope: vscode.Uri | undefined,
  overrides?: Partial<RunSettings>,
): RunSettings | undefined {
  try {
    return readSettings(scope, overrides);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    log.error(e.message);
    void vscode.window.showErrorMessage(`Backprop Lens: ${e.message}`, 'Open Settings').then((b) => {
      if (b) void vscode.commands.executeCommand('workbench.action.openSettings', 'backpropLens');
    });
    return undefined;
  }
}
