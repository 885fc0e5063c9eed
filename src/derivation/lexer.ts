/**
 * Tokens of the .deriv language. One statement per line, so the lexer works
 * line by line: a newline always ends a statement (an unclosed parenthesis
 * ends there too and never swallows the lines after it).
 */
export type TokenKind =
  | 'ident'
  | 'number'
  | 'op'
  | 'transpose'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'assign'
  | 'error';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based line and character columns [start, end) on that line. */
  line: number;
  start: number;
  end: number;
  value?: number;
}

export interface Line {
  /** 0-based line number. */
  line: number;
  tokens: Token[];
  /** The comment text after '#', if any. */
  comment: string | null;
  /** Length of the line in characters. */
  length: number;
}

const HINTS: Record<string, string> = {
  '−': "'-'",
  '–': "'-'",
  '·': "'@' (matrix product) or '*' (elementwise)",
  '×': "'@' or '*'",
  '∗': "'*'",
  ᵀ: "'.T'",
  '⊙': "'*'",
  '÷': "'/'",
  '^': "'**'",
};

export function unexpectedCharacterHint(c: string): string {
  return HINTS[c] ? ` (use ${HINTS[c]})` : '';
}

/** Split text into lines (CR, LF, CRLF) and tokens. Never throws. */
export function lex(text: string): Line[] {
  const lines: Line[] = [];
  let lineNo = 0;
  let i = 0;
  const n = text.length;
  while (i <= n) {
    let end = i;
    while (end < n && text[end] !== '\n' && text[end] !== '\r') end++;
    lines.push(lexLine(text.slice(i, end), lineNo));
    if (end >= n) break;
    i = end + (text[end] === '\r' && text[end + 1] === '\n' ? 2 : 1);
    lineNo++;
  }
  return lines;
}

function lexLine(s: string, line: number): Line {
  const tokens: Token[] = [];
  let comment: string | null = null;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: number) =>
    tokens.push({ kind, text: s.slice(start, end), line, start, end, value });
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') {
      comment = s.slice(i + 1);
      break;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < s.length && /[A-Za-z0-9_]/.test(s[i])) i++;
      push('ident', start, i);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(s.slice(i))!;
      i += m[0].length;
      push('number', start, i, Number(m[0]));
      continue;
    }
    if (c === '.' && s[i + 1] === 'T' && !/[A-Za-z0-9_]/.test(s[i + 2] ?? '')) {
      i += 2;
      push('transpose', start, i);
      continue;
    }
    if (c === '*' && s[i + 1] === '*') {
      i += 2;
      push('op', start, i);
      continue;
    }
    if ('@*+-/'.includes(c)) {
      i++;
      push('op', start, i);
      continue;
    }
    if (c === '(') {
      i++;
      push('lparen', start, i);
      continue;
    }
    if (c === ')') {
      i++;
      push('rparen', start, i);
      continue;
    }
    if (c === ',') {
      i++;
      push('comma', start, i);
      continue;
    }
    if (c === '=') {
      i++;
      push('assign', start, i);
      continue;
    }
    // One code point (surrogate pairs stay together).
    const cp = s.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    push('error', start, i);
  }
  return { line, tokens, comment, length: s.length };
}
