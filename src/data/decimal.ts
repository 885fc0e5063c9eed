/**
 * Strict decimal numbers, as the dataset contract defines them:
 *   [+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?     surrounded by optional spaces/tabs
 * finite as a double. Not accepted: empty, NaN, Infinity, hex/octal/binary,
 * trailing garbage, digit separators, decimal commas, overflow (1e309).
 * (Number('') is 0, Number('0x1A') is 26 and parseFloat('1.5abc') is 1.5, so
 * neither is used to validate.)
 *
 * Parsing works on bytes. Values with at most 15 significant digits and a
 * decimal exponent within ±22 are computed exactly as mantissa × or ÷ 10^k
 * (Clinger's fast path: both factors are exact doubles, so the one rounding is
 * correct); anything else is handed to Number() after the grammar check.
 */
/** The exact powers of ten 10^0 … 10^22 (each is a double without rounding). */
export const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

/** The parsed value of b[start, end); NaN when the text is not a decimal number, ±Infinity when it overflows. */
export function parseDecimalBytes(b: Uint8Array, start: number, end: number): number {
  const sub = b.subarray(start, end);
  const v = scanDecimalField(sub, 0, -1); // no delimiter: the field is the whole range…
  return fieldEnd === sub.length ? v : NaN; // …unless a line break ends it early
}

/** Strict decimal from a string (JSON keys, tests): same grammar and result as the byte parser. */
export function parseDecimal(s: string): number {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return NaN;
    b[i] = c;
  }
  return parseDecimalBytes(b, 0, b.length);
}

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i += 4096) s += String.fromCharCode(...b.subarray(i, Math.min(end, i + 4096)));
  return s;
}

/** Where {@link scanDecimalField} stopped: the offset of the byte that ended the field. */
export let fieldEnd = 0;

/**
 * One pass over an unquoted field starting at `start`: parses a strict decimal
 * while looking for the field's end (delim, CR, LF or the end of b), and sets
 * {@link fieldEnd}. Returns the value, NaN if the field is not a decimal number,
 * ±Infinity on overflow. Same grammar and result as parseDecimalBytes.
 */
export function scanDecimalField(b: Uint8Array, start: number, delim: number): number {
  const len = b.length;
  let i = start;
  let c = 0;
  while (i < len && ((c = b[i]) === 0x20 || c === 0x09) && c !== delim) i++;
  const numStart = i;
  let neg = false;
  if (i < len && ((c = b[i]) === 0x2b || c === 0x2d)) {
    neg = c === 0x2d;
    i++;
  }
  let mant = 0,
    sig = 0,
    exp10 = 0,
    digits = 0;
  let exact = true;
  while (i < len && (c = b[i] - 0x30) >= 0 && c <= 9) {
    if (sig < 15) {
      mant = mant * 10 + c;
      if (mant !== 0) sig++;
    } else {
      exp10++;
      if (c !== 0) exact = false;
    }
    digits++;
    i++;
  }
  if (i < len && b[i] === 0x2e) {
    i++;
    while (i < len && (c = b[i] - 0x30) >= 0 && c <= 9) {
      if (sig < 15) {
        mant = mant * 10 + c;
        exp10--;
        if (mant !== 0) sig++;
      } else if (c !== 0) exact = false;
      digits++;
      i++;
    }
  }
  if (i < len && (b[i] === 0x65 || b[i] === 0x45) && digits > 0) {
    i++;
    let eneg = false;
    if (i < len && (b[i] === 0x2b || b[i] === 0x2d)) {
      eneg = b[i] === 0x2d;
      i++;
    }
    let e = 0,
      edigits = 0;
    while (i < len && (c = b[i] - 0x30) >= 0 && c <= 9) {
      if (e < 1e9) e = e * 10 + c;
      edigits++;
      i++;
    }
    if (edigits === 0) digits = 0; // "1e" is not a number
    exp10 += eneg ? -e : e;
  }
  const numEnd = i;
  // Trailing white space, then the field must end.
  while (i < len && ((c = b[i]) === 0x20 || c === 0x09) && c !== delim) i++;
  if (i < len && (c = b[i]) !== delim && c !== 0x0a && c !== 0x0d) {
    while (i < len && (c = b[i]) !== delim && c !== 0x0a && c !== 0x0d) i++;
    fieldEnd = i;
    return NaN;
  }
  fieldEnd = i;
  if (digits === 0) return NaN;
  let v: number;
  if (exact && exp10 >= -22 && exp10 <= 22) v = exp10 < 0 ? mant / POW10[-exp10] : mant * POW10[exp10];
  else if (mant === 0 && exact) v = 0;
  else v = Math.abs(Number(latin1(b, numStart, numEnd)));
  return neg ? -v : v;
}
