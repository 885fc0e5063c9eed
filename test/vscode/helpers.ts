/** Shared helpers of the suites that run inside VS Code. */
import { appendFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackpropLensApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'backprop-lens.backprop-lens';
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

export async function api(): Promise<BackpropLensApi> {
  const ext = vscode.extensions.getExtension<BackpropLensApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  return ext.activate();
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need the example workspace open');
  return vscode.Uri.joinPath(folder.uri, name);
}

export async function write(name: string, text: string): Promise<vscode.Uri> {
  const uri = workspaceFile(name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

/** A measurement worth seeing in the test output (also kept in test-results/measurements.txt). */
export function report(line: string): void {
  const dir = path.join(repoRoot, 'test-results');
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, 'measurements.txt'), line + '\n');
  appendFileSync(path.join(dir, 'vscode-log.txt'), `      [measured] ${line}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(
  what: string,
  f: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs = 30_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
