/** A dataset error at the 1-based physical line the user must fix. */
export class DatasetError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** A cell the fast numeric reader does not take (text, a missing value, a label other than 0/1): the file may still be data as it comes (columns.ts). */
export class CellError extends DatasetError {}

const BIDI_OR_CONTROL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeInvisible = (s: string) =>
  s.replace(BIDI_OR_CONTROL, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

/**
 * Quote user text for a message, JSON-style: double quotes and backslashes escaped, control and bidi characters
 * as \uXXXX (so a column name cannot reorder or hide the message around it), long text cut to `max` characters.
 * For text from settings and JSON files (where it is how the text is written); a CSV or TSV file's text: quoteAs.
 */
export function quote(s: string, max = 60): string {
  const cut = s.length > max ? s.slice(0, max) + '…' : s;
  return `"${escapeInvisible(cut.replace(/\\/g, '\\\\').replace(/"/g, '\\"'))}"`;
}

/** How a data file writes text: CSV (RFC 4180 quoting), TSV (no quoting) or JSON (string literals). */
export type Quoting = 'csv' | 'tsv' | 'json';

/**
 * Quote text read from a data file (a cell, a column name, a class) as the file writes it, so that the user can
 * search for it: CSV in CSV quoting (`"a""b"`: a quoted cell exactly as written, an unquoted one between quotes),
 * TSV verbatim between quotes (TSV has no quoting), JSON as a JSON string (`"a\"b"`). Always: control and bidi
 * characters as \uXXXX and long text cut to `max` characters inside the quotes.
 */
export function quoteAs(quoting: Quoting, s: string, max = 60): string {
  if (quoting === 'json') return quote(s, max);
  const cut = s.length > max ? s.slice(0, max) + '…' : s;
  return `"${escapeInvisible(quoting === 'csv' ? cut.replace(/"/g, '""') : cut)}"`;
}
