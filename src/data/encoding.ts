/** Byte-level checks of the dataset contract's encoding rule: UTF-8, optional BOM; UTF-16, NUL bytes and invalid UTF-8 are errors. */
import { DatasetError } from './errors';

/** Length of a UTF-8 BOM at the start (0 or 3); throws for UTF-16/UTF-32 byte-order marks. */
export function bomLength(b: Uint8Array): number {
  if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) {
    throw new DatasetError(
      1,
      'the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8',
    );
  }
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 3;
  return 0;
}

/** 1-based physical line of byte offset pos (CR, LF and CRLF each end one line). */
export function lineAt(b: Uint8Array, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < b.length; i++) {
    if (b[i] === 0x0a) line++;
    else if (b[i] === 0x0d) {
      line++;
      if (b[i + 1] === 0x0a && i + 1 < pos) i++;
    }
  }
  return line;
}

/** Offset of the first byte that breaks UTF-8 (or is NUL), or −1. */
export function firstEncodingError(b: Uint8Array, from = 0): { pos: number; nul: boolean } | null {
  const n = b.length;
  for (let i = from; i < n; ) {
    const c = b[i];
    if (c === 0) return { pos: i, nul: true };
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number, min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return { pos: i, nul: false };
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (i + k >= n || (d & 0xc0) !== 0x80) return { pos: i, nul: false };
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { pos: i, nul: false };
    i += need + 1;
  }
  return null;
}

/** Throws the file-level (line 1) error for a NUL byte or invalid UTF-8 anywhere in b, naming where it is. */
export function assertEncoding(b: Uint8Array, from: number): void {
  const e = firstEncodingError(b, from);
  if (!e) return;
  const where = lineAt(b, e.pos);
  if (e.nul) {
    const utf16 = looksLikeUtf16(b, from);
    throw new DatasetError(
      1,
      utf16
        ? `the file looks like UTF-16 without a byte-order mark (NUL bytes, first at line ${where}); save it as UTF-8`
        : `the file contains a NUL byte (first at line ${where}); it is binary or not UTF-8 text`,
    );
  }
  throw new DatasetError(
    1,
    `the file is not valid UTF-8 (first invalid byte 0x${b[e.pos].toString(16).padStart(2, '0')} at line ${where}); save it as UTF-8`,
  );
}

function looksLikeUtf16(b: Uint8Array, from: number): boolean {
  let zeros = 0;
  const end = Math.min(b.length, from + 200);
  for (let i = from; i < end; i++) if (b[i] === 0) zeros++;
  return zeros * 3 >= end - from && end - from >= 4;
}

const fatal = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** Decode bytes known to be valid UTF-8. */
export function decode(b: Uint8Array, start: number, end: number): string {
  return fatal.decode(b.subarray(start, end));
}

/** Decode bytes for an error message (invalid sequences become U+FFFD). */
export function decodeLenient(b: Uint8Array, start: number, end: number): string {
  return lenient.decode(b.subarray(start, Math.min(end, start + 400)));
}
