/**
 * Reading a dataset file: the format comes from the extension (.csv, .tsv,
 * .json; no sniffing). Never throws for bad input: the result says what is
 * wrong and on which line.
 */
import { CSV, TSV, readDelimited } from './delimited';
import { DatasetError } from './errors';
import { readJson } from './json';
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
      throw new DatasetError(1, `the file is ${mb(bytes.length)}, over the ${mb(max)} limit (setting backpropLens.data.maxFileSizeMB)`);
    }
    const table = format === 'json' ? readJson(bytes, options) : readDelimited(bytes, format === 'csv' ? CSV : TSV, options);
    return { ok: true, table };
  } catch (e) {
    if (e instanceof DatasetError) return { ok: false, error: { line: e.line, message: e.message } };
    if (e instanceof RangeError) return { ok: false, error: { line: 1, message: `the file is too large to hold in memory (${e.message})` } };
    throw e;
  }
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(n < 10485760 ? 1 : 0)} MB`;
}
