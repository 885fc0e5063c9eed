/** What the CLI's commands share: exit codes, I/O, reading settings, data and model files, and data failures. */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { modelFromJson, type Model } from '../core/model';
import { SETTINGS, convertFlag, readOptionsOf, resolveSettings, type RunSettings } from '../core/settings';
import { readDataset, readForModel, type Table } from '../data/dataset';
import { DatasetError } from '../data/errors';
import { parseExperiment } from '../data/experiment';
import { prepare } from '../data/prepare';
import { UsageError, type Parsed } from './args';

export const EXIT = { ok: 0, usage: 1, data: 2, diverged: 3, checkFailed: 4 } as const;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Whether stderr is a terminal (progress bar). */
  tty: boolean;
  readFile: (path: string) => Uint8Array;
  writeFile: (path: string, text: string) => void;
}

export const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  tty: !!process.stderr.isTTY,
  readFile: (p) => readFileSync(p),
  writeFile: (p, t) => writeFileSync(p, t),
};

declare const __VERSION__: string | undefined;
export const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

export class DataFailure extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
    readonly json: boolean,
  ) {
    super(message);
  }
}

export function settingsFrom(args: Parsed, base?: Partial<RunSettings>): RunSettings {
  const layer: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const raw = args.values.get(spec.flag);
    if (raw !== undefined) layer[spec.key] = convertFlag(spec, raw);
  }
  try {
    return resolveSettings(base, layer);
  } catch (e) {
    // Name the flag, not the internal key.
    const spec = SETTINGS.find((s) => (e as Error).message.startsWith(`${s.key} `));
    throw new UsageError(
      spec ? `--${spec.flag}: ${(e as Error).message.slice(spec.key.length + 1)}` : (e as Error).message,
    );
  }
}

export function intFlag(args: Parsed, name: string, def: number, min: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min)
    throw new UsageError(`--${name} must be a whole number ≥ ${min}, got '${raw}'`);
  return v;
}

export function readBytesWith(file: string, json: boolean, read: (p: string) => Uint8Array): Uint8Array {
  try {
    return read(file);
  } catch (e) {
    throw new DataFailure(
      file,
      1,
      `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      json,
    );
  }
}

/** A training table: the settings' label, ignored columns, missing-value rule and class/category limits. */
export function readTable(file: string, args: Parsed, io: Io, s: RunSettings): Table {
  const json = args.switches.has('json');
  const bytes = readBytesWith(file, json, io.readFile);
  const r = readDataset(bytes, file, {
    ...readOptionsOf(s),
    maxBytes: intFlag(args, 'max-mb', 256, 1) * 1024 * 1024,
  });
  if (!r.ok) throw new DataFailure(file, r.error.line, r.error.message, json);
  return r.table;
}

/** Rows of a file encoded as the model was trained (its columns, categories and classes). */
export function readModelTable(
  file: string,
  args: Parsed,
  io: Io,
  model: Model,
  s: RunSettings,
): Table & { hasLabel: boolean } {
  const json = args.switches.has('json');
  const bytes = readBytesWith(file, json, io.readFile);
  const columns = model.columns ?? model.features.map((name) => ({ name, type: 'number' as const }));
  const r = readForModel(
    bytes,
    file,
    { columns, label: model.label, classes: model.classes ?? ['0', '1'] },
    { dropMissing: s.dropMissing, maxBytes: intFlag(args, 'max-mb', 256, 1) * 1024 * 1024 },
  );
  if (!r.ok) throw new DataFailure(file, r.error.line, r.error.message, json);
  return r.table;
}

/** "dropped 3 rows with a missing value (lines 4, 9, 12)", or null. */
export function describeDropped(t: Table): string | null {
  const k = t.dropped.length;
  if (k === 0) return null;
  return `dropped ${k} row${k === 1 ? '' : 's'} with a missing value (line${k === 1 ? '' : 's'} ${t.dropped.slice(0, 5).join(', ')}${k > 5 ? ', …' : ''})`;
}

export function prepared(file: string, t: Table, s: RunSettings, json: boolean) {
  try {
    return prepare(t, { split: s.split, seed: s.seed, standardize: s.standardize });
  } catch (e) {
    if (e instanceof DatasetError) throw new DataFailure(file, e.line, e.message, json);
    throw e;
  }
}

export function oneFile(args: Parsed, what: string): string {
  if (args.positionals.length !== 1)
    throw new UsageError(`expected one ${what}, got ${args.positionals.length}`);
  return args.positionals[0];
}

export function readModel(path: string, io: Io): Model {
  let text: string;
  try {
    text = new TextDecoder().decode(io.readFile(path));
  } catch (e) {
    throw new UsageError(
      `cannot read the model ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return modelFromJson(text);
  } catch (e) {
    throw new UsageError(`${path} is not a usable model: ${(e as Error).message}`);
  }
}

export function numFlag(args: Parsed, name: string, def: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) return def;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--${name} must be a number, got '${raw}'`);
  return v;
}

/** A dataset file, or an experiment file (*.backprop.json): its dataset (relative to it), settings and race list. */
export function datasetOrExperiment(
  path: string,
  io: Io,
  json: boolean,
): { file: string; base?: Partial<RunSettings>; race?: string[] } {
  if (!/\.backprop\.json$/i.test(path)) return { file: path };
  let text: string;
  try {
    text = new TextDecoder().decode(io.readFile(path));
  } catch (e) {
    throw new DataFailure(
      path,
      1,
      `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      json,
    );
  }
  const x = parseExperiment(text);
  if (!x.ok) throw new DataFailure(path, x.errors[0].line, x.errors[0].message, json);
  return {
    file: resolve(dirname(path), x.experiment.dataset),
    base: x.experiment.values,
    race: x.experiment.race,
  };
}
