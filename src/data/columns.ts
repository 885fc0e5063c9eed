/**
 * Data as it comes: class names as labels, text feature columns, missing values.
 *
 * The fast reader (delimited.ts) takes the all-numeric file with 0/1 labels straight
 * into a Float64Array. Everything else comes here: the file read as text cells
 * (readCells), then each column decided on its own (encodeTable):
 *
 *   label column   numbers 0 and 1 only: the binary network, classes "0" and "1";
 *                  otherwise its distinct values are the classes, in numeric order when every
 *                  label is a number and in code-point order otherwise; 2 classes: the binary
 *                  network (class 1 the second, or positiveClass), 3 or more: K = classes.
 *   feature        every cell a number: one numeric input; no cell a number: categorical,
 *                  one input per category `column=value` (code-point order), 0/1; a mix: an error.
 *   missing cells  empty, NA, N/A, NaN, null, None, ? (any case): an error naming the column,
 *                  or with dropMissing the row is dropped and counted.
 *
 * Class and category names are kept verbatim as strings in arrays (never object keys).
 */
import type { ColumnEncoding } from '../core/model';
import { DatasetError, quote, quoteAs } from './errors';
import { type ReadOptions, type Table, checkHeader } from './table';
import { type CellTable, cellNumber, compareCodePoints, isMissing } from './cells';

export const DEFAULT_MAX_CLASSES = 100;
export const DEFAULT_MAX_CATEGORIES = 50;

/** Every cell of the given columns as a number (NaN for text), parsed once: m × columns, row-major like the cells. */
function parseColumns(t: CellTable, cols: number[]): Float64Array {
  const w = t.columns.length;
  const out = new Float64Array(t.m * w).fill(NaN);
  for (let i = 0; i < t.m; i++) for (const j of cols) out[i * w + j] = cellNumber(t.cells[i * w + j]);
  return out;
}

/** The columns read as inputs: all but the label and the ignored ones; checks that every ignored name is a column. */
function inputColumns(t: CellTable, labelIndex: number, ignore: readonly string[]): number[] {
  for (const name of ignore) {
    if (!t.columns.includes(name))
      throw new DatasetError(
        t.headerLine,
        `the ignore setting names the column ${quote(name)}, which is not in the header`,
      );
    if (t.columns.indexOf(name) === labelIndex)
      throw new DatasetError(
        t.headerLine,
        `the ignore setting names the label column ${quote(name)}; choose another label column or stop ignoring it`,
      );
  }
  return t.columns.flatMap((c, j) => (j === labelIndex || ignore.includes(c) ? [] : [j]));
}

/** Rows to keep: every row without a missing cell in the used columns; with dropMissing the others are dropped, else the first is an error. */
function keptRows(
  t: CellTable,
  num: Float64Array,
  used: number[],
  dropMissing: boolean,
  allowEmpty = false,
): { rows: number[]; dropped: number[] } {
  const w = t.columns.length;
  const rows: number[] = [],
    dropped: number[] = [];
  for (let i = 0; i < t.m; i++) {
    const bad = used.find((j) => num[i * w + j] !== num[i * w + j] && isMissing(t.cells[i * w + j])); // a number is never missing
    if (bad === undefined) rows.push(i);
    else if (dropMissing) dropped.push(t.lines[i]);
    else {
      throw new DatasetError(
        t.lines[i],
        `column ${quoteAs(t.quoting, t.columns[bad], 40)} has a missing value (${quoteAs(t.quoting, t.cells[i * w + bad], 20)}); fill it in, ignore the column, or turn on dropMissing (--drop-missing) to drop rows with missing values`,
      );
    }
  }
  if (rows.length === 0 && !allowEmpty)
    throw new DatasetError(
      1,
      `every row has a missing value${dropped.length ? ` (${dropped.length} dropped)` : ''}; no rows are left to train on`,
    );
  return { rows, dropped };
}

/** Decide a feature column: numeric, or categorical with its categories; a mix is an error on the first cell of the minority kind. */
function decideColumn(
  t: CellTable,
  num: Float64Array,
  j: number,
  rows: number[],
  maxCategories: number,
): ColumnEncoding {
  const w = t.columns.length,
    name = t.columns[j];
  let numbers = 0,
    texts = 0,
    firstNumber = -1,
    firstText = -1;
  for (const i of rows) {
    const v = num[i * w + j];
    if (v === v) {
      numbers++;
      if (firstNumber < 0) firstNumber = i;
    } // NaN: not a number (±Infinity counts as a number: an error below)
    else {
      texts++;
      if (firstText < 0) firstText = i;
    }
  }
  if (texts === 0) {
    for (const i of rows) {
      const v = num[i * w + j];
      if (!Number.isFinite(v))
        throw new DatasetError(
          t.lines[i],
          `column ${quoteAs(t.quoting, name, 40)}: ${quoteAs(t.quoting, t.cells[i * w + j], 40)} is too large for a double`,
        );
    }
    return { name, type: 'number' };
  }
  if (numbers > 0) {
    const i = texts <= numbers ? firstText : firstNumber;
    throw new DatasetError(
      t.lines[i],
      `column ${quoteAs(t.quoting, name, 40)} has numbers and text: ${quoteAs(t.quoting, t.cells[i * w + j], 40)} at line ${t.lines[i]} (${numbers} number${numbers === 1 ? '' : 's'}, ${texts} text cell${texts === 1 ? '' : 's'}); a column is either numbers or categories${hint(t.cells[i * w + j])}`,
    );
  }
  const seen = new Set<string>();
  for (const i of rows) {
    seen.add(t.cells[i * w + j]);
    if (seen.size > maxCategories) break;
  }
  if (seen.size > maxCategories) {
    const all = new Set(rows.map((i) => t.cells[i * w + j]));
    throw new DatasetError(
      t.headerLine,
      `column ${quoteAs(t.quoting, name, 40)} has ${all.size} distinct text values, more than maxCategories (${maxCategories}); an ID or free-text column is not an input: ignore it (${name.includes(',') ? `"ignore": [${JSON.stringify(name)}]: a name with a comma needs the list form` : `--ignore ${name}`}) or raise maxCategories`,
    );
  }
  return { name, type: 'category', categories: [...seen].sort(compareCodePoints) };
}

/** Every used column decided; when several are wrong, the error on the earliest line. */
function decideColumns(
  t: CellTable,
  num: Float64Array,
  used: number[],
  rows: number[],
  maxCategories: number,
): ColumnEncoding[] {
  let first: DatasetError | null = null;
  const out = used.map((j) => {
    try {
      return decideColumn(t, num, j, rows, maxCategories);
    } catch (e) {
      if (!(e instanceof DatasetError)) throw e;
      if (!first || e.line < first.line) first = e;
      return null;
    }
  });
  if (first) throw first;
  return out as ColumnEncoding[];
}

function hint(text: string): string {
  const t = text.trim();
  if (/^[+-]?\d+,\d+$/.test(t)) return ' (decimal commas are not accepted; use a point)';
  if (/^[+-]?(inf|infinity)$/i.test(t)) return ' (Infinity is not accepted)';
  if (/^[+-]?0[xob]/i.test(t)) return ' (hexadecimal, octal and binary forms are not accepted)';
  if (/^[+-]?\d{1,3}([,_' ]\d{3})+(\.\d*)?$/.test(t)) return ' (digit separators are not accepted)';
  return '';
}

/** The label column's classes and each kept row's class index. */
function decideLabels(
  t: CellTable,
  li: number,
  rows: number[],
  o: ReadOptions,
): { classes: string[]; Y: Float64Array } {
  const w = t.columns.length,
    name = t.columns[li];
  const maxClasses = o.maxClasses ?? DEFAULT_MAX_CLASSES;
  const text = rows.map((i) => t.cells[i * w + li]);
  const values = text.map((c) => cellNumber(c));
  const numeric = values.every((v) => v === v);
  let classes: string[];
  let keyOf: (k: number) => string;
  if (numeric) {
    const k = values.findIndex((v) => !Number.isInteger(v));
    if (k >= 0) {
      throw new DatasetError(
        t.lines[rows[k]],
        `label column ${quoteAs(t.quoting, name, 40)}: ${quoteAs(t.quoting, text[k], 40)} is not a whole number; Backprop Lens classifies, and a fractional label looks like a regression target (is ${quoteAs(t.quoting, name, 40)} the right label column?)`,
      );
    }
    keyOf = (k) => String(values[k]);
    const distinct = [...new Set(values)].sort((a, b) => a - b);
    classes = distinct.map(String);
  } else {
    keyOf = (k) => text[k];
    classes = [...new Set(text)].sort(compareCodePoints);
  }
  if (classes.length > maxClasses) {
    throw new DatasetError(
      t.headerLine,
      `label column ${quoteAs(t.quoting, name, 40)} has ${classes.length} distinct values, more than maxClasses (${maxClasses}); is it an ID or a measurement rather than a class? Choose the label column (--label) or raise maxClasses`,
    );
  }
  if (classes.length < 2) {
    throw new DatasetError(
      1,
      `every row has label ${quoteAs(t.quoting, classes[0] ?? '', 40)} in column ${quoteAs(t.quoting, name, 40)}; training needs at least two classes`,
    );
  }
  const pos = o.positiveClass ?? '';
  if (pos !== '') {
    if (classes.length !== 2)
      throw new DatasetError(
        t.headerLine,
        `positiveClass ${quote(pos, 40)} applies to two classes; column ${quoteAs(t.quoting, name, 40)} has ${classes.length}`,
      );
    const k = classes.indexOf(pos);
    if (k < 0)
      throw new DatasetError(
        t.headerLine,
        `positiveClass ${quote(pos, 40)} is not a class of column ${quoteAs(t.quoting, name, 40)} (classes: ${classes.map((c) => quoteAs(t.quoting, c, 30)).join(', ')})`,
      );
    if (k === 0) classes = [classes[1], classes[0]];
  }
  const index = new Map(classes.map((c, k) => [c, k]));
  const Y = Float64Array.from(rows, (_, k) => index.get(keyOf(k))!);
  return { classes, Y };
}

/** One row's inputs from the column encodings into X[off..]; throws on a category the encoding does not know. */
function encodeRow(
  t: CellTable,
  num: Float64Array,
  index: Array<Map<string, number> | null>,
  i: number,
  cols: number[],
  enc: readonly ColumnEncoding[],
  X: Float64Array,
  off: number,
): void {
  const w = t.columns.length;
  let k = off;
  enc.forEach((e, c) => {
    const cell = t.cells[i * w + cols[c]];
    if (e.type === 'number') {
      const v = num[i * w + cols[c]];
      if (!Number.isFinite(v))
        throw new DatasetError(
          t.lines[i],
          `column ${quoteAs(t.quoting, e.name, 40)}: ${quoteAs(t.quoting, cell, 40)} is not a decimal number${hint(cell)}`,
        );
      X[k++] = v;
    } else {
      const at = index[c]!.get(cell) ?? -1;
      if (at < 0) {
        throw new DatasetError(
          t.lines[i],
          `column ${quoteAs(t.quoting, e.name, 40)}: the category ${quoteAs(t.quoting, cell, 40)} was not in the training data (known: ${e.categories
            .slice(0, 8)
            .map((v) => quoteAs(t.quoting, v, 20))
            .join(', ')}${e.categories.length > 8 ? ', …' : ''})`,
        );
      }
      for (let v = 0; v < e.categories.length; v++) X[k + v] = v === at ? 1 : 0;
      k += e.categories.length;
    }
  });
}

/** A training table from text cells: the label's classes, each feature column decided, missing values per the options. */
export function encodeTable(t: CellTable, o: ReadOptions = {}): Table {
  const labelIndex = checkHeader(t.columns, t.headerLine, o.label, t.quoting);
  if (t.m === 0) throw new DatasetError(1, 'the file has a header but no data rows');
  const used = inputColumns(t, labelIndex, o.ignore ?? []);
  if (used.length === 0)
    throw new DatasetError(
      t.headerLine,
      'no feature columns are left (every column but the label is ignored)',
    );
  const withLabel = labelIndex < 0 ? used : [...used, labelIndex];
  const num = parseColumns(t, used);
  let kept: { rows: number[]; dropped: number[] };
  try {
    kept = keptRows(t, num, withLabel, o.dropMissing ?? false);
  } catch (missing) {
    // The earliest line wins: a mixed column above the first missing value is reported first.
    if (!(missing instanceof DatasetError)) throw missing;
    const before = keptRows(t, num, withLabel, true, true).rows;
    try {
      decideColumns(t, num, used, before, o.maxCategories ?? DEFAULT_MAX_CATEGORIES);
    } catch (mixed) {
      if (mixed instanceof DatasetError && mixed.line > t.headerLine && mixed.line < missing.line)
        throw mixed;
    }
    throw missing;
  }
  const { rows, dropped } = kept;
  const encoding = decideColumns(t, num, used, rows, o.maxCategories ?? DEFAULT_MAX_CATEGORIES);
  const labels =
    labelIndex < 0
      ? { classes: [] as string[], Y: new Float64Array(rows.length) }
      : decideLabels(t, labelIndex, rows, o);
  return build(t, num, rows, dropped, used, encoding, labelIndex, labels.classes, labels.Y);
}

function build(
  t: CellTable,
  num: Float64Array,
  rows: number[],
  dropped: number[],
  used: number[],
  encoding: ColumnEncoding[],
  labelIndex: number,
  classes: string[],
  Y: Float64Array,
): Table {
  const featureNames = encoding.flatMap((e) =>
    e.type === 'number' ? [e.name] : e.categories.map((v) => `${e.name}=${v}`),
  );
  const n = featureNames.length,
    m = rows.length;
  const X = new Float64Array(m * n);
  const index = encoding.map((e) =>
    e.type === 'category' ? new Map(e.categories.map((v, k) => [v, k])) : null,
  );
  rows.forEach((i, r) => encodeRow(t, num, index, i, used, encoding, X, r * n));
  return {
    columns: t.columns,
    featureNames,
    labelName: labelIndex < 0 ? '' : t.columns[labelIndex],
    n,
    m,
    X,
    Y,
    lines: Uint32Array.from(rows, (i) => t.lines[i]),
    classes,
    K: classes.length > 2 ? classes.length : 1,
    encoding,
    dropped,
    quoting: t.quoting,
  };
}

/**
 * Rows of a file encoded the way a model was trained (predict, check --model): its columns by
 * name, its categories; the label, when the file has the model's label column, as the class index
 * (an unknown class is an error on its line). Missing values are errors (or dropped with dropMissing).
 */
export function encodeForModel(
  t: CellTable,
  columns: readonly ColumnEncoding[],
  label: string,
  classes: readonly string[],
  o: ReadOptions = {},
): Table & { hasLabel: boolean } {
  checkHeader(t.columns, t.headerLine, null, t.quoting);
  if (t.m === 0) throw new DatasetError(1, 'the file has a header but no data rows');
  const idx = columns.map((c) => t.columns.indexOf(c.name));
  const absent = columns.filter((_, j) => idx[j] < 0).map((c) => c.name);
  if (absent.length) {
    throw new DatasetError(
      t.headerLine,
      `the model's feature column${absent.length > 1 ? 's' : ''} ${absent
        .slice(0, 5)
        .map((c) => quote(c))
        .join(', ')} ${absent.length > 1 ? 'are' : 'is'} not in the header`,
    );
  }
  const li = t.columns.indexOf(label);
  const num = parseColumns(t, idx);
  const { rows, dropped } = keptRows(t, num, li < 0 ? idx : [...idx, li], o.dropMissing ?? false);
  const w = t.columns.length;
  const numeric01 = classes.length === 2 && classes[0] === '0' && classes[1] === '1';
  const Y = new Float64Array(rows.length);
  if (li >= 0) {
    rows.forEach((i, r) => {
      const cell = t.cells[i * w + li];
      const v = cellNumber(cell);
      let k = classes.indexOf(cell);
      if (k < 0 && v === v) k = classes.indexOf(String(v)); // numeric classes by value ("1.0" is class "1")
      if (k < 0) {
        throw new DatasetError(
          t.lines[i],
          numeric01
            ? `label column ${quoteAs(t.quoting, label, 40)}: ${quoteAs(t.quoting, cell, 40)} is not 0 or 1`
            : `label column ${quoteAs(t.quoting, label, 40)}: ${quoteAs(t.quoting, cell, 40)} is not one of the model's classes (${classes
                .slice(0, 8)
                .map((c) => quoteAs(t.quoting, c, 20))
                .join(', ')}${classes.length > 8 ? ', …' : ''})`,
        );
      }
      Y[r] = k;
    });
  }
  const table = build(t, num, rows, dropped, idx, [...columns], li, [...classes], Y);
  return { ...table, hasLabel: li >= 0 };
}
