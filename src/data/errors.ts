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

/**
 * Quote user text for a message: double quotes, control and bidi characters
 * escaped (so a column name cannot reorder or hide the message around it), and
 * long text cut to `max` characters.
 */
export function quote(s: string, max = 60): string {
  const cut = s.length > max ? s.slice(0, max) + '…' : s;
  const escaped = cut
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(BIDI_OR_CONTROL, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return `"${escaped}"`;
}

/**
 * A quoted CSV cell as the file spells it (`"a""b"`: its own quotes are the
 * message's quotes, doubled quotes stay doubled), with control and bidi
 * characters escaped like {@link quote} does and long text cut to `max`
 * characters inside the quotes.
 */
export function quoteAsWritten(cell: string, max = 60): string {
  const inner = cell.slice(1, -1);
  const cut = inner.length > max ? inner.slice(0, max) + '…' : inner;
  return `"${cut.replace(BIDI_OR_CONTROL, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))}"`;
}
