/**
 * Looking at a file's size and modification time without VS Code's file
 * service: for local files node:fs (the service may answer from a cache kept
 * fresh by file events, which are not delivered everywhere), else workspace.fs.
 */
import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';

export async function statStamp(uri: vscode.Uri): Promise<{ mtime: number; size: number }> {
  if (uri.scheme === 'file') {
    const st = await fsp.stat(uri.fsPath);
    return { mtime: st.mtimeMs, size: st.size };
  }
  const st = await vscode.workspace.fs.stat(uri);
  return { mtime: st.mtime, size: st.size };
}
