/**
 * Experiment files (*.backprop.json): a dataset path relative to the file, an
 * optional derivation, and any of the run settings as top-level keys. The
 * editor validates them with schemas/experiment.schema.json (generated from
 * the same settings list); this is the run-time check, and every error points
 * at the offending key's line and column.
 */
import {
  type Node,
  type ParseError,
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import { type RunSettings, SETTINGS, checkSetting, normalizeSetting } from '../core/settings';
import { OPTIMIZERS, type OptimizerName } from '../core/trainer';

export interface Experiment {
  dataset: string;
  derivation?: string;
  name?: string;
  /** Optimizer race: the optimizers to compare (unique, at least one), when the file asks for one. */
  race?: OptimizerName[];
  /** The settings the file sets (others come from the editor's settings). */
  values: Partial<RunSettings>;
}

export interface ExperimentError {
  /** 1-based. */
  line: number;
  column: number;
  key: string;
  message: string;
}

export type ExperimentResult =
  | { ok: true; experiment: Experiment }
  | { ok: false; errors: ExperimentError[] };

const META = ['$schema', 'name', 'description', 'dataset', 'derivation'];

export function parseExperiment(text: string): ExperimentResult {
  const errors: ExperimentError[] = [];
  const starts = lineStarts(text);
  const at = (offset: number, key: string, message: string) => {
    const { line, column } = position(starts, offset);
    errors.push({ line, column, key, message });
  };
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { allowTrailingComma: false, disallowComments: true });
  for (const e of parseErrors.slice(0, 5)) at(e.offset, '', `invalid JSON: ${printParseErrorCode(e.error)}`);
  if (errors.length) return { ok: false, errors };
  if (!root || root.type !== 'object') {
    at(
      root?.offset ?? 0,
      '',
      'an experiment file is a JSON object: { "dataset": "data.csv", "hidden": 8, … }',
    );
    return { ok: false, errors };
  }
  const values: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const prop of root.children ?? []) {
    const [keyNode, valueNode] = prop.children as [Node, Node | undefined];
    const key = keyNode.value as string;
    if (seen.has(key)) at(keyNode.offset, key, `"${key}" appears twice`);
    seen.add(key);
    const spec = SETTINGS.find((s) => s.key === key);
    const raw = valueNode ? getNodeValue(valueNode) : undefined; // arrays too (the ignore list)
    const value = spec ? normalizeSetting(spec, raw) : raw;
    if (spec) {
      const problem = checkSetting(spec, value);
      if (problem) at(valueNode?.offset ?? keyNode.offset, key, problem);
      else values[key] = value;
    } else if (key === 'race') {
      const problem = raceProblem(valueNode ? getNodeValue(valueNode) : undefined);
      if (problem) at(valueNode?.offset ?? keyNode.offset, key, problem);
    } else if (META.includes(key)) {
      if (typeof value !== 'string' || (key === 'dataset' && value.trim() === ''))
        at(
          valueNode?.offset ?? keyNode.offset,
          key,
          `"${key}" must be a ${key === 'dataset' ? 'non-empty ' : ''}string`,
        );
    } else {
      const near = closest(key, [...META, 'race', ...SETTINGS.map((s) => s.key)]);
      at(keyNode.offset, key, `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`);
    }
  }
  const dataset = findNodeAtLocation(root, ['dataset']);
  if (!dataset)
    at(root.offset, 'dataset', 'missing "dataset": the data file to train on, relative to this file');
  if (errors.length) return { ok: false, errors };
  const str = (k: string) => findNodeAtLocation(root, [k])?.value as string | undefined;
  const raceNode = findNodeAtLocation(root, ['race']);
  const race = raceNode ? (raceNode.children ?? []).map((c) => c.value as OptimizerName) : undefined;
  return {
    ok: true,
    experiment: {
      dataset: str('dataset')!,
      derivation: str('derivation'),
      name: str('name'),
      ...(race ? { race } : {}),
      values: values as Partial<RunSettings>,
    },
  };
}

/** "race": a non-empty array of distinct optimizer names; the problem, or null. */
function raceProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length === 0)
    return `"race" must be a non-empty array of optimizer names (${OPTIMIZERS.join(', ')})`;
  const seen = new Set<unknown>();
  for (const o of v) {
    if (!(OPTIMIZERS as readonly unknown[]).includes(o))
      return `"race": ${JSON.stringify(o)} is not an optimizer (one of ${OPTIMIZERS.join(', ')})`;
    if (seen.has(o)) return `"race": ${JSON.stringify(o)} appears twice`;
    seen.add(o);
  }
  return null;
}

function lineStarts(text: string): number[] {
  const s = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) s.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      s.push(i + 1);
    }
  }
  return s;
}

function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0,
    hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}

/** The candidate with the smallest edit distance, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = t;
    }
  }
  return prev[b.length];
}
