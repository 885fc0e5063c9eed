/**
 * CSV (comma, RFC 4180 quoting) and TSV (TAB, no quoting) over bytes.
 *
 * A hand-written scanner rather than a CSV library: the contract needs the
 * physical line of every error (CR, LF and CRLF, also mixed, and line breaks
 * inside quoted fields), strict numbers, and no object per row; the benchmark
 * (README) shows the throughput this buys over csv-parse, papaparse and d3-dsv.
 *
 * Data cells are parsed straight from the bytes. A data row whose bytes are all
 * accepted is pure ASCII, so the only text that can hold other characters is
 * the header, which is validated as UTF-8; on any error the whole file is
 * checked first, so an encoding problem is reported as such.
 *
 * The data rows are one loop over local variables (no closure, no string, no
 * object per field). A plain number — `[+-]?digits[.digits][e[+-]digits]`
 * with at most 15 digits and a decimal exponent within ±22, ending at the
 * delimiter or a line break — is computed in that loop exactly as
 * decimal.ts does it (Clinger's fast path), reading four digits at a time from
 * one 32-bit load; every other cell (quoted, padded with spaces, long,
 * malformed) goes to the general routines of decimal.ts, so there is one
 * grammar. (Measurements: README, Benchmarks.)
 */
import { POW10, fieldEnd, scanDecimalField } from './decimal';
import { assertEncoding, bomLength, decode, decodeLenient } from './encoding';
import { CellError, DatasetError, type Quoting, quoteAs } from './errors';
import { type ReadOptions, type Table, RowBuffer, cellMessage, checkHeader } from './table';

/** ASCII bytes. A const enum: the compiler writes the numbers in place (module-level constants would be loaded from the closure and checked on every use in the hot loop; +9% measured). */
const enum Byte {
  LF = 0x0a,
  CR = 0x0d,
  QUOTE = 0x22,
  SPACE = 0x20,
  TAB = 0x09,
  PLUS = 0x2b,
  MINUS = 0x2d,
  DOT = 0x2e,
  ZERO = 0x30,
  E_LOWER = 0x65,
  E_UPPER = 0x45,
}

interface Dialect {
  delim: number;
  quoting: boolean;
}

export const CSV: Dialect = { delim: 0x2c, quoting: true };
export const TSV: Dialect = { delim: Byte.TAB, quoting: false };

/** A position in the bytes and its 1-based physical line. */
interface Cursor {
  pos: number;
  line: number;
}

export function readDelimited(b: Uint8Array, dialect: Dialect, options: ReadOptions = {}): Table {
  try {
    const at: Cursor = { pos: bomLength(b), line: 1 };
    const { columns, headerLine } = readHeader(b, dialect, at);
    const labelIndex = checkHeader(columns, headerLine, options.label, dialect.quoting ? 'csv' : 'tsv');
    return readRows(b, dialect, at, columns, labelIndex);
  } catch (e) {
    if (e instanceof DatasetError && e.line !== 1) assertEncoding(b, bomLength(b)); // encoding problems win
    throw e;
  }
}

/** Consume one line break at at.pos, if any. */
function newline(b: Uint8Array, at: Cursor): void {
  const c = b[at.pos];
  if (c === Byte.LF) {
    at.pos++;
    at.line++;
  } else if (c === Byte.CR) {
    at.pos++;
    if (b[at.pos] === Byte.LF) at.pos++;
    at.line++;
  }
}

/** Skip lines of only spaces and TABs; returns false at the end of the file. */
function skipBlankLines(b: Uint8Array, at: Cursor): boolean {
  const len = b.length;
  while (at.pos < len) {
    let p = at.pos;
    while (p < len && (b[p] === Byte.SPACE || b[p] === Byte.TAB)) p++;
    if (p === len) {
      at.pos = len;
      return false;
    }
    if (b[p] !== Byte.LF && b[p] !== Byte.CR) return true;
    at.pos = p;
    newline(b, at);
  }
  return false;
}

/** The header: a general record reader (quoted names may hold delimiters and line breaks). */
function readHeader(
  b: Uint8Array,
  { delim, quoting }: Dialect,
  at: Cursor,
): { columns: string[]; headerLine: number } {
  const len = b.length;
  if (!skipBlankLines(b, at))
    throw new DatasetError(1, 'the file is empty; the first non-blank line must be a header of column names');
  const headerLine = at.line;
  const headerStart = at.pos;
  const decodeHeader = (s: number, e: number): string => {
    try {
      return decode(b, s, e);
    } catch {
      assertEncoding(b, headerStart);
      throw new DatasetError(1, 'the header is not valid UTF-8');
    }
  };
  const columns: string[] = [];
  for (;;) {
    let name: string;
    if (quoting && b[at.pos] === Byte.QUOTE) {
      const q = quoted(b, at, delim);
      name = decodeHeader(q.start, q.end).replace(/""/g, '"');
    } else {
      const s = at.pos;
      let p = s;
      while (p < len && b[p] !== delim && b[p] !== Byte.LF && b[p] !== Byte.CR) p++;
      at.pos = p;
      name = decodeHeader(s, p);
    }
    columns.push(name);
    if (at.pos < len && b[at.pos] === delim) {
      at.pos++;
      continue;
    }
    newline(b, at);
    break;
  }
  if (columns.length === 1 && delim === 0x2c) {
    const only = columns[0];
    if (only.includes(';') || only.includes('\t')) {
      throw new DatasetError(
        headerLine,
        `the header has one column and contains ${only.includes(';') ? "';'" : 'a TAB'}: a .csv file must be comma-separated (rename a TAB-separated file to .tsv)`,
      );
    }
  }
  return { columns, headerLine };
}

/** The data rows, straight into the Float64Array. */
function readRows(
  b: Uint8Array,
  { delim, quoting }: Dialect,
  at: Cursor,
  columns: string[],
  labelIndex: number,
): Table {
  const len = b.length;
  const ncols = columns.length;
  const n = labelIndex < 0 ? ncols : ncols - 1;
  const dataStart = at.pos;
  const style: Quoting = quoting ? 'csv' : 'tsv';
  const rows = new RowBuffer(n, estimateRows(b, dataStart));
  let { X, Y, lines } = rows;
  let m = 0;
  let pos = at.pos;
  let line = at.line;
  let c = 0,
    d = 0;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let lastBreak = len - 1; // the offset of the file's last line break (−1: none)
  while (lastBreak >= 0 && b[lastBreak] !== Byte.LF && b[lastBreak] !== Byte.CR) lastBreak--;

  for (;;) {
    // Blank lines (only spaces and TABs) are skipped; the end of the file ends the rows.
    let p = pos;
    while (p < len && ((c = b[p]) === Byte.SPACE || c === Byte.TAB)) p++;
    if (p === len) break;
    if (c === Byte.LF || c === Byte.CR) {
      pos = p + (c === Byte.CR && p + 1 < len && b[p + 1] === Byte.LF ? 2 : 1);
      line++;
      continue;
    }

    // One data row, starting at pos on line rowLine.
    const rowLine = line;
    if (m === Y.length) {
      rows.m = m;
      rows.grow(Math.ceil(((m * (len - dataStart)) / (pos - dataStart)) * 1.02) + 16); // rows so far, scaled to the file
      ({ X, Y, lines } = rows);
    }
    let off = m * n;
    let field = 0;
    for (;;) {
      const start = pos;
      let v: number;
      let quotedCell = false;
      if (pos < lastBreak && (c = b[pos]) !== Byte.QUOTE) {
        // The plain number: sign, digits, fraction, exponent, then the field's end. A field that
        // starts before the file's last line break cannot read past it (every scan below stops
        // at a line break), so these reads need no bounds checks.
        let i = pos;
        const neg = +(c === Byte.MINUS); // 0 or 1: a sign costs no branch
        i += neg + +(c === Byte.PLUS);
        c = b[i];
        let mant = 0;
        const digitsStart = i;
        if (i + 3 < len) {
          const w = view.getInt32(i, true);
          const k = leadingDigits(w);
          if (k > 0) {
            mant = digitsValue(w, k);
            i += k;
            c = b[i];
          }
        }
        while ((d = c - Byte.ZERO) >>> 0 <= 9) {
          mant = mant * 10 + d;
          c = b[++i];
        }
        let digits = i - digitsStart;
        let exp10 = 0;
        if (c === Byte.DOT) {
          const fracStart = ++i;
          if (i + 3 < len) {
            const w = view.getInt32(i, true);
            const k = leadingDigits(w);
            if (k > 0) {
              mant = mant * POW10[k] + digitsValue(w, k);
              i += k;
            }
          }
          c = b[i];
          while ((d = c - Byte.ZERO) >>> 0 <= 9) {
            mant = mant * 10 + d;
            c = b[++i];
          }
          digits += i - fracStart;
          exp10 = fracStart - i;
        }
        if ((c === Byte.E_LOWER || c === Byte.E_UPPER) && digits > 0) {
          c = b[++i];
          const eneg = c === Byte.MINUS;
          if (eneg || c === Byte.PLUS) c = b[++i];
          const expStart = i;
          let e = 0;
          while ((d = c - Byte.ZERO) >= 0 && d <= 9 && e < 1000) {
            e = e * 10 + d;
            c = b[++i];
          }
          if (i === expStart) digits = 0; // "1e" is not a number: the general routine says so
          exp10 += eneg ? -e : e;
        }
        if (
          digits > 0 &&
          digits <= 15 &&
          exp10 >= -22 &&
          exp10 <= 22 &&
          (c === delim || c === Byte.LF || c === Byte.CR)
        ) {
          v = exp10 < 0 ? mant / POW10[-exp10] : mant * POW10[exp10];
          v *= 1 - 2 * neg; // ±1: exact, and −0 for "-0"
          pos = i;
        } else {
          v = scanDecimalField(b, start, delim); // anything else: one grammar, in decimal.ts
          pos = fieldEnd;
        }
      } else if (quoting && pos < len && b[pos] === Byte.QUOTE) {
        at.pos = pos;
        at.line = line;
        const q = quoted(b, at, delim);
        pos = at.pos;
        line = at.line;
        v = NaN; // a cell with "" is not a number
        if (!q.escaped) {
          const x = scanDecimalField(b, q.start, Byte.QUOTE); // the closing quote ends the number…
          if (fieldEnd === q.end) v = x; // …unless a line break inside the quotes came first
        }
        quotedCell = true;
      } else {
        v = scanDecimalField(b, start, delim); // the last line when no line break ends the file; a quote in TSV
        pos = fieldEnd;
      }
      if (field < ncols) {
        if (field === labelIndex) {
          if (v !== 0 && v !== 1)
            throw cellError(b, columns[field], rowLine, start, pos, quotedCell, v, true, style);
          Y[m] = v === 0 ? 0 : 1; // -0 → 0
        } else {
          if (v - v !== 0)
            throw cellError(b, columns[field], rowLine, start, pos, quotedCell, v, false, style); // NaN, ±Infinity
          X[off++] = v;
        }
      }
      field++;
      if (pos < len && b[pos] === delim) {
        pos++;
        continue;
      }
      break;
    }
    // pos is at the row's line break or the end of the file
    if (pos < len) {
      pos += b[pos] === Byte.CR && pos + 1 < len && b[pos + 1] === Byte.LF ? 2 : 1;
      line++;
    }
    if (field !== ncols) {
      throw new DatasetError(
        rowLine,
        `the row has ${field} field${field === 1 ? '' : 's'} but the header has ${ncols}${field > ncols ? ' (a delimiter inside an unquoted value?)' : ''}`,
      );
    }
    lines[m] = rowLine;
    m++;
  }
  rows.m = m;
  return rows.finish(columns, labelIndex, style);
}

/** A quoted field starting at at.pos (on the opening quote); leaves at.pos after the closing quote. */
function quoted(b: Uint8Array, at: Cursor, delim: number): { start: number; end: number; escaped: boolean } {
  const len = b.length;
  const openLine = at.line;
  let pos = at.pos + 1;
  let line = at.line;
  const start = pos;
  let escaped = false;
  for (;;) {
    if (pos >= len)
      throw new DatasetError(openLine, 'a quoted field opened here is never closed (missing closing ")');
    const c = b[pos];
    if (c === Byte.QUOTE) {
      if (b[pos + 1] === Byte.QUOTE) {
        escaped = true;
        pos += 2;
        continue;
      }
      break;
    }
    if (c === Byte.LF) line++;
    else if (c === Byte.CR) {
      line++;
      if (b[pos + 1] === Byte.LF) pos++;
    }
    pos++;
  }
  const end = pos;
  pos++; // closing quote
  at.pos = pos;
  at.line = line;
  if (pos < len && b[pos] !== delim && b[pos] !== Byte.LF && b[pos] !== Byte.CR) {
    throw new DatasetError(
      line,
      `unexpected text after the closing quote of a quoted field: ${quoteAs('csv', decodeLenient(b, pos, pos + 20))}`,
    );
  }
  return { start, end, escaped };
}

/**
 * The error for the cell b[start, end) of column `column`. The message quotes
 * the cell as written in the file: a quoted cell with its quotes and doubled
 * quotes (`"a""b"`), as the user will search for it (quoteAs).
 */
function cellError(
  b: Uint8Array,
  column: string,
  rowLine: number,
  start: number,
  end: number,
  quotedCell: boolean,
  value: number,
  isLabel: boolean,
  quoting: Quoting,
): DatasetError {
  const text = quotedCell
    ? decodeLenient(b, start + 1, end - 1).replace(/""/g, '"')
    : decodeLenient(b, start, end);
  return new CellError(rowLine, cellMessage(column, text, value, isLabel, quoting));
}

/** Rows in b[pos..]: the line breaks in a 64 KiB sample, scaled to the rest of the file, plus 2%. */
function estimateRows(b: Uint8Array, pos: number): number {
  const sample = Math.min(b.length - pos, 65536);
  let breaks = 0;
  for (let i = pos; i < pos + sample; i++) if (b[i] === Byte.LF || b[i] === Byte.CR) breaks++;
  if (sample === 0 || breaks === 0) return 16;
  return Math.ceil(((b.length - pos) / sample) * breaks * 1.02) + 16;
}

/** How many of the four bytes in w (little-endian: the first byte lowest) are ASCII digits before the first that is not (0–4). */
function leadingDigits(w: number): number {
  const low7 = w & 0x7f7f7f7f;
  const digit = ((low7 + 0x50505050) | 0) & ~((low7 + 0x46464646) | 0) & ~w & 0x80808080; // bit 7 of each byte: 0x30 ≤ byte ≤ 0x39
  const other = ~digit & 0x80808080;
  return other === 0 ? 4 : (31 - Math.clz32(other & -other)) >> 3;
}

/** The value of the first k (1–4) bytes of w, all ASCII digits, the first the most significant. */
function digitsValue(w: number, k: number): number {
  let x = ((w - 0x30303030) | 0) << (32 - 8 * k); // digits in the high bytes, zeros below
  x = (x * 10 + (x >>> 8)) | 0; // bytes 0 and 2: two-digit numbers
  return (x & 0xff) * 100 + ((x >>> 16) & 0xff);
}
