/** A delimited file as text cells (readCells), and what a cell means: missing, a number, text in code-point order. */
import { assertEncoding, bomLength, decode } from './encoding';
import { DatasetError, type Quoting, quoteAs } from './errors';

/** The file as text: header names, cells row-major (m × columns.length), the line of every row. */
export interface CellTable {
  columns: string[];
  headerLine: number;
  cells: string[];
  lines: number[];
  m: number;
  /** How the file writes text, for messages that quote its names and cells (quoteAs). */
  quoting: Quoting;
}

/** Cells that mean "no value" (compared case-insensitively after trimming). */
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?']);
export function isMissing(cell: string): boolean {
  const c = cell.charCodeAt(0);
  if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e) return false; // a digit, sign or point: no missing marker starts so
  return MISSING.has(cell.trim().toLowerCase());
}

/** The contract's decimal grammar (decimal.ts), on a string. */
const DECIMAL = /^[ \t]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t]*$/;
/**
 * A cell's number: NaN when it is not a decimal number, ±Infinity when it overflows. The same grammar as
 * decimal.ts; Number() of a string the grammar accepts is the correctly rounded double (as parseDecimal).
 */
export function cellNumber(cell: string): number {
  return DECIMAL.test(cell) ? Number(cell.trim()) : NaN;
}

/** Code-point order of two strings (JavaScript's < compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator](),
    ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next(),
      y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** CSV (RFC 4180 quoting) or TSV as text cells, with the physical line of each row. */
export function readCells(b: Uint8Array, delim: ',' | '\t'): CellTable {
  const bom = bomLength(b);
  assertEncoding(b, bom);
  const s = decode(b, bom, b.length);
  const quoting = delim === ',';
  const len = s.length;
  let pos = 0,
    line = 1;
  const records: { fields: string[]; line: number }[] = [];
  while (pos < len) {
    // skip blank lines (spaces and TABs only)
    let p = pos;
    while (p < len && (s[p] === ' ' || s[p] === '\t')) p++;
    if (p === len) break;
    if (s[p] === '\n' || s[p] === '\r') {
      pos = p + (s[p] === '\r' && s[p + 1] === '\n' ? 2 : 1);
      line++;
      continue;
    }
    const recLine = line;
    const fields: string[] = [];
    for (;;) {
      if (quoting && s[pos] === '"') {
        const open = line;
        let q = pos + 1,
          text = '';
        for (;;) {
          if (q >= len)
            throw new DatasetError(open, 'a quoted field opened here is never closed (missing closing ")');
          const c = s[q];
          if (c === '"') {
            if (s[q + 1] === '"') {
              text += '"';
              q += 2;
              continue;
            }
            break;
          }
          if (c === '\n' || (c === '\r' && s[q + 1] !== '\n')) line++;
          text += c;
          q++;
        }
        pos = q + 1;
        if (pos < len && s[pos] !== delim && s[pos] !== '\n' && s[pos] !== '\r') {
          throw new DatasetError(
            line,
            `unexpected text after the closing quote of a quoted field: ${quoteAs('csv', s.slice(pos, pos + 20))}`,
          );
        }
        fields.push(text);
      } else {
        let q = pos;
        while (q < len && s[q] !== delim && s[q] !== '\n' && s[q] !== '\r') q++;
        fields.push(s.slice(pos, q));
        pos = q;
      }
      if (pos < len && s[pos] === delim) {
        pos++;
        continue;
      }
      if (pos < len) {
        pos += s[pos] === '\r' && s[pos + 1] === '\n' ? 2 : 1;
        line++;
      }
      break;
    }
    records.push({ fields, line: recLine });
  }
  if (records.length === 0)
    throw new DatasetError(1, 'the file is empty; the first non-blank line must be a header of column names');
  const [head, ...rows] = records;
  const columns = head.fields;
  const ncols = columns.length;
  const cells: string[] = new Array(rows.length * ncols);
  const lines: number[] = new Array(rows.length);
  rows.forEach((r, i) => {
    const k = r.fields.length;
    if (k !== ncols)
      throw new DatasetError(
        r.line,
        `the row has ${k} field${k === 1 ? '' : 's'} but the header has ${ncols}${k > ncols ? ' (a delimiter inside an unquoted value?)' : ''}`,
      );
    for (let j = 0; j < ncols; j++) cells[i * ncols + j] = r.fields[j];
    lines[i] = r.line;
  });
  return { columns, headerLine: head.line, cells, lines, m: rows.length, quoting: quoting ? 'csv' : 'tsv' };
}
