/**
 * Reading a dataset file: the format comes from the extension (.csv, .tsv,
 * .json; no sniffing). Never throws for bad input: the result says what is
 * wrong and on which line.
 */
import { type CellTable, readCells } from './cells';
import { encodeForModel, encodeTable } from './columns';
import { CSV, TSV, readDelimited } from './delimited';
import { CellError, DatasetError } from './errors';
import { readJson, readJsonCells } from './json';
import type { ColumnEncoding } from '../core/model';
import { DEFAULT_MAX_BYTES, type ReadOptions, type Table } from './table';

export type { Table, ReadOptions };
export { DatasetError };

export type DatasetFormat = 'csv' | 'tsv' | 'json';

export interface ReadError {
  line: number;
  message: string;
}

export type ReadResult = { ok: true; table: Table } | { ok: false; error: ReadError };

export function formatOf(fileName: string): DatasetFormat | null {
  const m = /\.(csv|tsv|json)$/i.exec(fileName);
  return m ? (m[1].toLowerCase() as DatasetFormat) : null;
}

export function readDataset(bytes: Uint8Array, fileName: string, options: ReadOptions = {}): ReadResult {
  try {
    const format = formatOf(fileName);
    if (!format) throw new DatasetError(1, `unsupported file type: datasets are .csv, .tsv or .json files`);
    const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (bytes.length > max) {
      throw new DatasetError(
        1,
        `the file is ${mb(bytes.length)}, over the ${mb(max)} limit (setting backpropLens.data.maxFileSizeMB)`,
      );
    }
    const general =
      (options.ignore?.length ?? 0) > 0 ||
      options.dropMissing === true ||
      (options.positiveClass ?? '') !== '';
    if (format === 'json') {
      if (!general) {
        try {
          return { ok: true, table: readJson(bytes, options) };
        } catch (e) {
          if (!(e instanceof CellError) || options.label === null) throw e;
        }
      }
      return { ok: true, table: encodeTable(readJsonCells(bytes), options) };
    }
    if (!general) {
      // The all-numeric file with 0/1 labels: the fast reader. Anything it refuses is read again as text cells,
      // which either take it (class names, text columns) or say what is wrong in the contract's terms.
      try {
        return { ok: true, table: readDelimited(bytes, format === 'csv' ? CSV : TSV, options) };
      } catch (e) {
        if (!(e instanceof CellError) || options.label === null) throw e;
      }
    }
    return { ok: true, table: encodeTable(readCells(bytes, format === 'csv' ? ',' : '\t'), options) };
  } catch (e) {
    if (e instanceof DatasetError) return { ok: false, error: { line: e.line, message: e.message } };
    if (e instanceof RangeError)
      return {
        ok: false,
        error: { line: 1, message: `the file is too large to hold in memory (${e.message})` },
      };
    throw e;
  }
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(n < 10485760 ? 1 : 0)} MB`;
}

/** A file read as text cells (CSV/TSV): for encoding the way a model was trained (see readForModel). */
export type { CellTable };

/**
 * Rows of a file encoded as a model's columns (its categories, its classes): predict and check --model.
 * JSON files hold numbers only, so they are read as numbers and must have the model's numeric columns.
 */
export function readForModel(
  bytes: Uint8Array,
  fileName: string,
  model: { columns: ColumnEncoding[]; label: string; classes: string[] },
  options: ReadOptions = {},
): { ok: true; table: Table & { hasLabel: boolean } } | { ok: false; error: ReadError } {
  try {
    const format = formatOf(fileName);
    if (!format) throw new DatasetError(1, `unsupported file type: datasets are .csv, .tsv or .json files`);
    const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (bytes.length > max)
      throw new DatasetError(
        1,
        `the file is ${mb(bytes.length)}, over the ${mb(max)} limit (setting backpropLens.data.maxFileSizeMB)`,
      );
    const cells = format === 'json' ? readJsonCells(bytes) : readCells(bytes, format === 'csv' ? ',' : '\t');
    return { ok: true, table: encodeForModel(cells, model.columns, model.label, model.classes, options) };
  } catch (e) {
    if (e instanceof DatasetError) return { ok: false, error: { line: e.line, message: e.message } };
    if (e instanceof RangeError)
      return {
        ok: false,
        error: { line: 1, message: `the file is too large to hold in memory (${e.message})` },
      };
    throw e;
  }
}
