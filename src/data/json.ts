/**
 * JSON datasets: an array of flat objects whose values are JSON numbers. A small
 * scanner rather than JSON.parse, so that every error names its line, duplicate
 * keys are caught, 1e309 is an error (JSON.parse makes it Infinity), and no
 * object is built from user keys (a key "__proto__" is just a name).
 */
import { assertEncoding, bomLength, decode } from './encoding';
import type { CellTable } from './cells';
import { CellError, DatasetError, quote } from './errors';
import { type ReadOptions, type Table, RowBuffer, cellMessage, checkHeader } from './table';

/** The numeric reader: every value a JSON number, labels 0 or 1 (else a CellError: the file may still be data as it comes). */
export function readJson(bytes: Uint8Array, options: ReadOptions = {}): Table {
  return scanJson(bytes, options, null) as Table;
}

/**
 * The same file as text cells (columns.ts decides the columns): a number as written, a string's value,
 * null as an empty (missing) cell. The same structural rules and errors as readJson.
 */
export function readJsonCells(bytes: Uint8Array): CellTable {
  return scanJson(
    bytes,
    { label: null },
    { columns: [], headerLine: 1, cells: [], lines: [], m: 0, quoting: 'json' },
  ) as CellTable;
}

function scanJson(bytes: Uint8Array, options: ReadOptions, text: CellTable | null): Table | CellTable {
  const bom = bomLength(bytes);
  assertEncoding(bytes, bom);
  const s = decode(bytes, bom, bytes.length);
  let pos = 0;
  let line = 1;
  const len = s.length;

  const ws = () => {
    while (pos < len) {
      const c = s.charCodeAt(pos);
      if (c === 0x20 || c === 0x09) pos++;
      else if (c === 0x0a) {
        pos++;
        line++;
      } else if (c === 0x0d) {
        pos++;
        if (s.charCodeAt(pos) === 0x0a) pos++;
        line++;
      } else break;
    }
  };
  const fail = (msg: string, at = line): never => {
    throw new DatasetError(at, msg);
  };
  const found = () => (pos >= len ? 'the end of the file' : quote(s.slice(pos, pos + 20), 20));
  /** After a data row: true at ',' (another row follows), false at ']' (the last one); anything else is an error. */
  const afterRow = (): boolean => {
    ws();
    if (s[pos] === ',' || s[pos] === ']') return s[pos++] === ',';
    return fail(`expected ',' or ']' after a data row, found ${found()}`);
  };
  const expect = (ch: string, what: string) => {
    ws();
    if (s[pos] !== ch) fail(`expected ${what}, found ${found()}`);
    pos++;
  };

  ws();
  if (pos >= len) fail('the file is empty; expected a JSON array of objects', 1);
  if (s[pos] !== '[')
    fail(`a JSON dataset must be an array of objects ([{"x": 1, "y": 0}, …]); found ${found()}`, 1);
  pos++;
  ws();
  let columns: string[] | null = null;
  let index = new Map<string, number>();
  let labelIndex = -1;
  let rows: RowBuffer | null = null;
  let values = new Float64Array(0);
  let seen = new Uint8Array(0);
  if (s[pos] === ']') fail('the array is empty: the file has no data rows', 1);
  for (;;) {
    ws();
    const recordLine = line;
    if (s[pos] !== '{') fail(`expected an object for a data row, found ${found()}`);
    pos++;
    const keys: string[] = [];
    const vals: Array<number | string> = [];
    const valLines: number[] = [];
    ws();
    if (s[pos] === '}') pos++;
    else {
      for (;;) {
        ws();
        if (s[pos] !== '"') fail(`expected a quoted key, found ${found()}`);
        const key = str();
        if (keys.includes(key)) fail(`the key ${quote(key)} appears twice in this object`);
        expect(':', `':' after the key ${quote(key)}`);
        ws();
        valLines.push(line);
        vals.push(text ? cell(key) : num(key));
        keys.push(key);
        ws();
        if (s[pos] === ',') {
          pos++;
          continue;
        }
        if (s[pos] === '}') {
          pos++;
          break;
        }
        fail(`expected ',' or '}' after the value of ${quote(key)}, found ${found()}`);
      }
    }
    if (!columns) {
      columns = keys;
      if (columns.length === 0) fail('the first object has no keys; it defines the columns', recordLine);
      labelIndex = checkHeader(columns, recordLine, text ? null : options.label, 'json');
      index = new Map(columns.map((c, i) => [c, i]));
      if (text) {
        text.columns = columns;
        text.headerLine = recordLine;
      }
      rows = new RowBuffer(labelIndex < 0 ? columns.length : columns.length - 1);
      values = new Float64Array(columns.length);
      seen = new Uint8Array(columns.length);
    }
    seen.fill(0);
    const base = text ? text.cells.length : 0;
    if (text) for (let j = 0; j < columns.length; j++) text.cells.push('');
    keys.forEach((k, i) => {
      const j = index.get(k);
      if (j === undefined)
        fail(
          `the key ${quote(k)} is not a column (the first object defines the columns: ${columns!.map((c) => quote(c, 30)).join(', ')})`,
          valLines[i],
        );
      seen[j!] = 1;
      if (text) {
        text.cells[base + j!] = vals[i] as string;
        return;
      }
      values[j!] = vals[i] as number;
      const v = vals[i] as number;
      if (j === labelIndex && v !== 0 && v !== 1)
        throw new CellError(valLines[i], cellMessage(k, String(v), v, true, 'json'));
    });
    const missing = columns.filter((_, j) => !seen[j]);
    if (missing.length)
      fail(
        `this object lacks the key${missing.length > 1 ? 's' : ''} ${missing
          .slice(0, 5)
          .map((c) => quote(c))
          .join(', ')}; every object needs the first object's keys`,
        recordLine,
      );
    if (text) {
      text.lines.push(recordLine);
      text.m++;
    } else {
      const r = rows!;
      const off = r.reserve();
      let f = 0;
      for (let j = 0; j < columns.length; j++) {
        if (j === labelIndex)
          r.Y[r.m] = values[j] === 0 ? 0 : 1; // -0 → 0
        else r.X[off + f++] = values[j];
      }
      r.lines[r.m] = recordLine;
      r.m++;
    }
    if (!afterRow()) break;
  }
  ws();
  if (pos < len) fail(`unexpected text after the closing ']': ${found()}`);
  if (text) return text;
  return rows!.finish(columns!, labelIndex, 'json');

  /** A JSON string at pos; decoded with JSON.parse of just that token. */
  function str(): string {
    const start = pos;
    pos++;
    while (pos < len) {
      const c = s.charCodeAt(pos);
      if (c === 0x22) break;
      if (c === 0x5c) pos++;
      else if (c < 0x20) fail('a string holds a raw control character or line break; escape it');
      pos++;
    }
    if (pos >= len) fail('a string is never closed (missing ")');
    pos++;
    try {
      return JSON.parse(s.slice(start, pos)) as string;
    } catch {
      return fail(`invalid escape in the string ${quote(s.slice(start, pos))}`);
    }
  }

  /** A value as a text cell: a string's value, a number as written (checked like num), null as an empty (missing) cell. */
  function cell(key: string): string {
    const c = s[pos];
    if (c === '"') return str();
    if (s.startsWith('null', pos)) {
      pos += 4;
      return '';
    }
    const start = pos;
    num(key);
    return s.slice(start, pos);
  }

  /** A JSON number value of column `key`; anything else is an error naming the column. */
  function num(key: string): number {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = pos;
    const hit = m.exec(s);
    const c = s[pos];
    if (!hit || hit[0] === '-' || hit[0] === '') {
      if (c === '"' || s.startsWith('null', pos))
        throw new CellError(
          line,
          `column ${quote(key)}: a text or null value (${quote(s.slice(pos, pos + 30), 30)})`,
        ); // data as it comes: read again as text
      if (c === '{' || c === '[')
        fail(`column ${quote(key)}: values must be numbers, not nested ${c === '{' ? 'objects' : 'arrays'}`);
      const word = /^[A-Za-z]+/.exec(s.slice(pos, pos + 12));
      if (word)
        fail(
          `column ${quote(key)}: ${word[0]} is not a number${word[0] === 'true' || word[0] === 'false' ? ' (labels must be the numbers 0 or 1)' : ''}`,
        );
      fail(`column ${quote(key)}: expected a number, found ${found()}`);
    }
    pos = m.lastIndex;
    const v = Number(hit![0]);
    if (!Number.isFinite(v)) fail(`column ${quote(key)}: ${hit![0]} is too large for a double`);
    return v;
  }
}
