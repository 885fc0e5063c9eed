/** Reading the backpropLens.* settings into validated run settings. */
import * as vscode from 'vscode';
import {
  type RunSettings,
  SETTINGS,
  checkSetting,
  normalizeSetting,
  resolveSettings,
} from '../core/settings';

export class SettingsError extends Error {}

/** The settings that apply to `scope` (a dataset or experiment file), layered under `overrides`. */
export function readSettings(scope: vscode.Uri | undefined, overrides?: Partial<RunSettings>): RunSettings {
  const cfg = vscode.workspace.getConfiguration('backpropLens', scope);
  const layer: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const v = cfg.get(spec.id);
    if (v !== undefined && v !== null) layer[spec.key] = v;
  }
  try {
    resolveSettings(layer);
  } catch (e) {
    const spec = SETTINGS.find((s) => (e as Error).message.startsWith(`${s.key} `));
    throw new SettingsError(
      spec
        ? `Setting backpropLens.${spec.id}: ${(e as Error).message.slice(spec.key.length + 1)}`
        : `Settings: ${(e as Error).message}`,
    );
  }
  try {
    return resolveSettings(layer, overrides);
  } catch (e) {
    throw new SettingsError((e as Error).message);
  }
}

/**
 * The settings that apply to `scope` with every invalid value at its default: for what goes on whatever the settings
 * say (checking .deriv files). Training reads them with readSettings, which reports the invalid value.
 */
export function readValidSettings(scope: vscode.Uri | undefined): RunSettings {
  const cfg = vscode.workspace.getConfiguration('backpropLens', scope);
  const layer: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const v = cfg.get(spec.id);
    if (v !== undefined && v !== null && checkSetting(spec, normalizeSetting(spec, v)) === null)
      layer[spec.key] = v;
  }
  try {
    return resolveSettings(layer);
  } catch {
    return resolveSettings({}); // e.g. thresholds valid one by one but not in order
  }
}

export function extensionSetting<T>(id: string, fallback: T, scope?: vscode.Uri): T {
  return vscode.workspace.getConfiguration('backpropLens', scope).get<T>(id) ?? fallback;
}
