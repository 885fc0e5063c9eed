/** The result every reader produces, and the checks every reader shares. */
import type { ColumnEncoding } from '../core/model';
import { CellError, DatasetError, type Quoting, quote, quoteAs } from './errors';

export interface Table {
  /** All column names, verbatim, in file order. */
  columns: string[];
  featureNames: string[];
  labelName: string;
  /** Features per row (columns.length − 1). */
  n: number;
  /** Data rows. */
  m: number;
  /** Row-major m×n features. */
  X: Float64Array;
  /** Labels: 0 or 1 when K = 1 (binary), else the class index 0..K−1. */
  Y: Float64Array;
  /** 1-based source line of each row (where the row starts). */
  lines: Uint32Array;
  /** Class names in output order (binary: [class 0, class 1]; a file of numeric 0/1 labels: ["0", "1"]); [] without a label column. */
  classes: string[];
  /** Network outputs: 1 for two classes (sigmoid), the number of classes for 3 or more (softmax). */
  K: number;
  /** The source columns that became inputs, and how (featureNames are their inputs, in order). */
  encoding: ColumnEncoding[];
  /** Rows dropped for a missing value (dropMissing): their lines, in file order. */
  dropped: number[];
  /** How the file writes text (CSV, TSV or JSON), so that messages quote its names and cells as written (quoteAs). */
  quoting: Quoting;
}

export interface ReadOptions {
  /** Label column name; the last column when absent; null: the file has no label column (prediction input). */
  label?: string | null;
  /** Largest file accepted, in bytes (default 256 MiB). */
  maxBytes?: number;
  /** Columns that are not inputs (IDs, dates, free text). */
  ignore?: string[];
  /** Drop rows with a missing value (empty, NA, NaN, ?, …) instead of stopping at the first. */
  dropMissing?: boolean;
  /** Most classes the label column may have (default 100). */
  maxClasses?: number;
  /** Most categories a text feature column may have (default 50). */
  maxCategories?: number;
  /** With two classes: the one that is class 1 (default: the second in order). */
  positiveClass?: string;
}

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** Validate the header's names and find the label; returns the label's column index. */
export function checkHeader(
  columns: string[],
  line: number,
  label: string | null | undefined,
  quoting: Quoting,
): number {
  const seen = new Map<string, number>();
  columns.forEach((name, i) => {
    if (name.trim() === '')
      throw new DatasetError(
        line,
        `column ${i + 1} of the header has no name; every column needs a non-empty name`,
      );
    const before = seen.get(name);
    if (before !== undefined)
      throw new DatasetError(
        line,
        `the header names column ${quoteAs(quoting, name)} twice (columns ${before + 1} and ${i + 1}); names must be unique`,
      );
    seen.set(name, i);
  });
  if (label === null) return -1;
  const labelIndex = label === undefined || label === '' ? columns.length - 1 : (seen.get(label) ?? -1);
  if (labelIndex < 0) {
    throw new DatasetError(
      line,
      `label column ${quote(label ?? '')} is not in the header (columns: ${columns
        .slice(0, 12)
        .map((c) => quoteAs(quoting, c, 30))
        .join(', ')}${columns.length > 12 ? ', …' : ''})`,
    );
  }
  if (columns.length < 2)
    throw new DatasetError(
      line,
      `the header has only the column ${quoteAs(quoting, columns[0])}; a dataset needs at least one feature column and a label column`,
    );
  return labelIndex;
}

/** Growable row storage: memory proportional to the numeric data (no object per row). */
export class RowBuffer {
  X: Float64Array;
  Y: Float64Array;
  lines: Uint32Array;
  m = 0;

  constructor(
    readonly n: number,
    rowsHint = 1024,
  ) {
    const cap = Math.max(16, rowsHint);
    this.X = new Float64Array(cap * n);
    this.Y = new Float64Array(cap);
    this.lines = new Uint32Array(cap);
  }

  /** Make room for one more row; returns its feature offset. */
  reserve(): number {
    if (this.m === this.Y.length) this.grow(this.Y.length * 2);
    return this.m * this.n;
  }

  /** Room for `rows` rows (at least 1/8 more than now, so repeated growth stays linear). */
  grow(rows: number): void {
    const cap = Math.max(rows, Math.ceil(this.Y.length * 1.125) + 16);
    const X = new Float64Array(cap * this.n);
    X.set(this.X.subarray(0, this.m * this.n));
    this.X = X;
    const Y = new Float64Array(cap);
    Y.set(this.Y.subarray(0, this.m));
    this.Y = Y;
    const L = new Uint32Array(cap);
    L.set(this.lines.subarray(0, this.m));
    this.lines = L;
  }

  finish(columns: string[], labelIndex: number, quoting: Quoting): Table {
    const { m, n } = this;
    if (m === 0) throw new DatasetError(1, 'the file has a header but no data rows');
    if (labelIndex < 0) {
      return {
        columns,
        featureNames: columns,
        labelName: '',
        n,
        m,
        X: fit(this.X, m * n),
        Y: new Float64Array(m),
        lines: fit(this.lines, m),
        classes: [],
        K: 1,
        encoding: columns.map((name) => ({ name, type: 'number' })),
        dropped: [],
        quoting,
      };
    }
    let ones = 0;
    for (let i = 0; i < m; i++) ones += this.Y[i];
    if (ones === 0 || ones === m) {
      throw new CellError(
        1,
        `every row has label ${ones === 0 ? 0 : 1} in column ${quoteAs(quoting, columns[labelIndex])}; training needs both classes, 0 and 1`,
      );
    }
    return {
      columns,
      featureNames: columns.filter((_, i) => i !== labelIndex),
      labelName: columns[labelIndex],
      n,
      m,
      X: fit(this.X, m * n),
      Y: fit(this.Y, m),
      lines: fit(this.lines, m),
      classes: ['0', '1'],
      K: 1,
      encoding: columns.filter((_, i) => i !== labelIndex).map((name) => ({ name, type: 'number' })),
      dropped: [],
      quoting,
    };
  }
}

/**
 * The message for a feature or label cell that is not acceptable, quoting the
 * column name and the cell's text as the file writes them (quoteAs: a CSV cell
 * `"a""b"` as `"a""b"`).
 */
export function cellMessage(
  column: string,
  text: string,
  value: number,
  isLabel: boolean,
  quoting: Quoting,
): string {
  const col = `${isLabel ? 'label column' : 'column'} ${quoteAs(quoting, column, 40)}`;
  if (text.trim() === '') return `${col} is empty; every cell needs a number`;
  const cell = quoteAs(quoting, text, 40);
  if (Number.isNaN(value)) {
    return `${col}: ${cell} is not a decimal number${hint(text)}`;
  }
  if (!Number.isFinite(value)) return `${col}: ${cell} is too large for a double`;
  return `${col}: ${cell} is not 0 or 1; labels must be exactly 0 or 1`;
}

function hint(text: string): string {
  const t = text.trim();
  if (/^[+-]?\d+,\d+$/.test(t)) return ' (decimal commas are not accepted; use a point)';
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) return ' (NaN and Infinity are not accepted)';
  if (/^[+-]?0[xob]/i.test(t)) return ' (hexadecimal, octal and binary forms are not accepted)';
  if (/^[+-]?\d{1,3}([,_' ]\d{3})+(\.\d*)?$/.test(t)) return ' (digit separators are not accepted)';
  return '';
}

/** The first k entries: a view when the buffer is at most 1/8 larger (no copy), else a trimmed copy. */
function fit<T extends Float64Array | Uint32Array>(a: T, k: number): T {
  return (a.length - k <= a.length / 8 ? a.subarray(0, k) : a.slice(0, k)) as T;
}
