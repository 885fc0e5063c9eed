/**
 * Parser of the .deriv language. Precedence, loosest first (Python's rules):
 *   + -            left-associative
 *   @ * /          one level, left-associative: W2.T @ dz2 * a1 is (W2.T @ dz2) * a1
 *   unary -        -x ** 2 is -(x ** 2)
 *   **             right-associative, scalar exponent
 *   .T             postfix transpose
 *   atoms          numbers, names, f(args), ( expr )
 * Every node carries its range; every error ranges the offending token.
 * Directives: comment lines "#! activation: tanh", "#! mode: batch" or "#! classes: 3" (K ≥ 3: a softmax output).
 */
import { type Line, type Token, lex, unexpectedCharacterHint } from './lexer';
import { ACTIVATIONS } from '../core/activations';
import { MODES } from './world';

export interface Pos {
  line: number;
  character: number;
}

export interface Range {
  start: Pos;
  end: Pos;
}

export type Expr =
  | { kind: 'num'; value: number; range: Range }
  | { kind: 'name'; name: string; range: Range }
  | { kind: 'call'; fn: string; fnRange: Range; args: Expr[]; range: Range }
  | { kind: 'unary'; op: '-'; arg: Expr; range: Range; opRange: Range }
  | {
      kind: 'binary';
      op: '+' | '-' | '@' | '*' | '/' | '**';
      left: Expr;
      right: Expr;
      range: Range;
      opRange: Range;
    }
  | { kind: 'transpose'; arg: Expr; range: Range; opRange: Range };

export interface Statement {
  name: string;
  nameRange: Range;
  expr: Expr;
  /** The whole statement (name through expression). */
  range: Range;
  line: number;
}

export interface SyntaxError_ {
  message: string;
  range: Range;
}

export interface Directives {
  activation?: string;
  mode?: string;
  /** K ≥ 3 classes: the softmax output (absent: the binary network). */
  classes?: string;
  /** Where each directive was written. */
  ranges: Record<string, Range>;
}

export interface Program {
  statements: Statement[];
  errors: SyntaxError_[];
  directives: Directives;
  lineCount: number;
}

const tokRange = (t: Token): Range => ({
  start: { line: t.line, character: t.start },
  end: { line: t.line, character: t.end },
});
const span = (a: Range, b: Range): Range => ({ start: a.start, end: b.end });

class ParseFailure extends Error {
  constructor(
    readonly range: Range,
    message: string,
  ) {
    super(message);
  }
}

export function parse(text: string): Program {
  const lines = lex(text);
  const statements: Statement[] = [];
  const errors: SyntaxError_[] = [];
  const directives: Directives = { ranges: {} };
  for (const l of lines) {
    if (l.comment !== null && l.tokens.length === 0 && l.comment.startsWith('!'))
      readDirective(l, directives, errors);
    if (l.tokens.length === 0) continue;
    try {
      statements.push(parseStatement(l));
    } catch (e) {
      if (e instanceof ParseFailure) errors.push({ message: e.message, range: e.range });
      else throw e;
    }
  }
  return { statements, errors, directives, lineCount: lines.length };
}

function readDirective(l: Line, d: Directives, errors: SyntaxError_[]): void {
  const body = l.comment!.slice(1);
  const m = /^\s*([A-Za-z]+)\s*[:=]\s*([A-Za-z0-9]+)\s*$/.exec(body);
  const at = l.length - l.comment!.length - 1;
  const range: Range = { start: { line: l.line, character: at }, end: { line: l.line, character: l.length } };
  if (!m) {
    errors.push({
      message:
        'a directive reads "#! activation: sigmoid|tanh|relu", "#! mode: example|batch" or "#! classes: K" (K from 3 to 20)',
      range,
    });
    return;
  }
  const [, key, value] = m;
  const allowed: Record<string, readonly string[]> = {
    activation: ACTIVATIONS,
    mode: MODES,
    classes: Array.from({ length: 18 }, (_, k) => String(k + 3)),
  };
  if (!allowed[key])
    errors.push({
      message: `unknown directive "${key}"; directives are activation, mode and classes`,
      range,
    });
  else if (key === 'classes' && !allowed[key].includes(value))
    errors.push({
      message: `classes must be a whole number from 3 to 20 (the softmax output's K); got "${value}"`,
      range,
    });
  else if (!allowed[key].includes(value))
    errors.push({ message: `${key} must be ${allowed[key].join(', ')}; got "${value}"`, range });
  else {
    (d as unknown as Record<string, string>)[key] = value;
    d.ranges[key] = range;
  }
}

function parseStatement(l: Line): Statement {
  const toks = l.tokens;
  const bad = toks.find((t) => t.kind === 'error');
  if (bad)
    throw new ParseFailure(
      tokRange(bad),
      `unexpected character '${bad.text}'${unexpectedCharacterHint(bad.text)}`,
    );
  const first = toks[0];
  if (first.kind !== 'ident')
    throw new ParseFailure(
      tokRange(first),
      `a line must start with a name: "name = expression", found '${first.text}'`,
    );
  const eq = toks[1];
  if (!eq) throw new ParseFailure(tokRange(first), `expected '=' after ${first.text}`);
  if (eq.kind !== 'assign')
    throw new ParseFailure(tokRange(eq), `expected '=' after ${first.text}, found '${eq.text}'`);
  const p = new ExprParser(toks, 2, l);
  const expr = p.expression();
  p.expectEnd();
  return {
    name: first.text,
    nameRange: tokRange(first),
    expr,
    range: span(tokRange(first), expr.range),
    line: l.line,
  };
}

/** Limits that keep parsing and evaluation bounded (recursion depth, tree size) on hostile text. */
export const MAX_DEPTH = 200;
export const MAX_NODES = 4000;

class ExprParser {
  private depth = 0;
  private nodes = 0;

  constructor(
    private readonly toks: Token[],
    private i: number,
    private readonly l: Line,
  ) {}

  private count(t: Token): void {
    if (++this.nodes > MAX_NODES)
      throw new ParseFailure(
        tokRange(t),
        `the expression is too long (more than ${MAX_NODES} terms); split it into helper names`,
      );
  }

  private peek(): Token | undefined {
    return this.toks[this.i];
  }

  private endRange(): Range {
    const last = this.toks[this.toks.length - 1];
    return {
      start: { line: this.l.line, character: last.end },
      end: { line: this.l.line, character: last.end + 1 },
    };
  }

  expectEnd(): void {
    const t = this.peek();
    if (t)
      throw new ParseFailure(
        tokRange(t),
        t.kind === 'rparen'
          ? "unmatched ')'"
          : t.kind === 'assign'
            ? "one statement per line: unexpected '='"
            : `unexpected '${t.text}' after the expression`,
      );
  }

  expression(): Expr {
    let left = this.term();
    for (let t = this.peek(); t && t.kind === 'op' && (t.text === '+' || t.text === '-'); t = this.peek()) {
      this.i++;
      const right = this.term();
      left = {
        kind: 'binary',
        op: t.text as '+' | '-',
        left,
        right,
        range: span(left.range, right.range),
        opRange: tokRange(t),
      };
    }
    return left;
  }

  private term(): Expr {
    let left = this.unary();
    for (
      let t = this.peek();
      t && t.kind === 'op' && (t.text === '@' || t.text === '*' || t.text === '/');
      t = this.peek()
    ) {
      this.i++;
      const right = this.unary();
      left = {
        kind: 'binary',
        op: t.text as '@' | '*' | '/',
        left,
        right,
        range: span(left.range, right.range),
        opRange: tokRange(t),
      };
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t && t.kind === 'op' && t.text === '-') {
      this.i++;
      this.count(t);
      if (++this.depth > MAX_DEPTH)
        throw new ParseFailure(tokRange(t), `unary minus nested more than ${MAX_DEPTH} deep`);
      const arg = this.unary();
      this.depth--;
      return { kind: 'unary', op: '-', arg, range: span(tokRange(t), arg.range), opRange: tokRange(t) };
    }
    if (t && t.kind === 'op' && t.text === '+') {
      this.i++;
      return this.unary();
    }
    return this.power();
  }

  private power(): Expr {
    const base = this.postfix();
    const t = this.peek();
    if (t && t.kind === 'op' && t.text === '**') {
      this.i++;
      if (++this.depth > MAX_DEPTH)
        throw new ParseFailure(tokRange(t), `** nested more than ${MAX_DEPTH} deep`);
      const exp = this.unary(); // right-associative; allows x ** -1
      this.depth--;
      return {
        kind: 'binary',
        op: '**',
        left: base,
        right: exp,
        range: span(base.range, exp.range),
        opRange: tokRange(t),
      };
    }
    return base;
  }

  private postfix(): Expr {
    let e = this.atom();
    for (let t = this.peek(); t && t.kind === 'transpose'; t = this.peek()) {
      this.i++;
      e = { kind: 'transpose', arg: e, range: span(e.range, tokRange(t)), opRange: tokRange(t) };
    }
    return e;
  }

  private atom(): Expr {
    const t = this.peek();
    if (!t)
      throw new ParseFailure(
        this.endRange(),
        'the expression ends too early: expected a number, a name or (',
      );
    this.i++;
    this.count(t);
    if (t.kind === 'number') return { kind: 'num', value: t.value!, range: tokRange(t) };
    if (t.kind === 'ident') {
      const next = this.peek();
      if (next && next.kind === 'lparen') {
        this.i++;
        if (++this.depth > MAX_DEPTH)
          throw new ParseFailure(tokRange(next), `parentheses nested more than ${MAX_DEPTH} deep`);
        const args: Expr[] = [];
        if (this.peek()?.kind !== 'rparen') {
          for (;;) {
            args.push(this.expression());
            const sep = this.peek();
            if (sep?.kind === 'comma') {
              this.i++;
              continue;
            }
            break;
          }
        }
        const close = this.peek();
        if (!close || close.kind !== 'rparen')
          throw new ParseFailure(
            close ? tokRange(close) : tokRange(next),
            close
              ? `expected ',' or ')' in the call of ${t.text}, found '${close.text}'`
              : `'(' of ${t.text}(…) is never closed on this line`,
          );
        this.i++;
        this.depth--;
        return {
          kind: 'call',
          fn: t.text,
          fnRange: tokRange(t),
          args,
          range: span(tokRange(t), tokRange(close)),
        };
      }
      return { kind: 'name', name: t.text, range: tokRange(t) };
    }
    if (t.kind === 'lparen') {
      if (++this.depth > MAX_DEPTH)
        throw new ParseFailure(tokRange(t), `parentheses nested more than ${MAX_DEPTH} deep`);
      const inner = this.expression();
      this.depth--;
      const close = this.peek();
      if (!close || close.kind !== 'rparen')
        throw new ParseFailure(
          close ? tokRange(close) : tokRange(t),
          close ? `expected ')', found '${close.text}'` : "'(' is never closed on this line",
        );
      this.i++;
      // A parenthesised name keeps its own range (hover, rename); other nodes widen to the parentheses.
      return inner.kind === 'name'
        ? inner
        : ({ ...inner, range: span(tokRange(t), tokRange(close)) } as Expr);
    }
    if (t.kind === 'transpose')
      throw new ParseFailure(tokRange(t), "'.T' must follow a name or a parenthesised expression");
    throw new ParseFailure(tokRange(t), `expected a number, a name or '(', found '${t.text}'`);
  }
}

/** Every name an expression reads, with its range. */
export function namesIn(
  e: Expr,
  out: Array<{ name: string; range: Range }> = [],
): Array<{ name: string; range: Range }> {
  switch (e.kind) {
    case 'name':
      out.push({ name: e.name, range: e.range });
      break;
    case 'call':
      e.args.forEach((a) => namesIn(a, out));
      break;
    case 'unary':
    case 'transpose':
      namesIn(e.arg, out);
      break;
    case 'binary':
      namesIn(e.left, out);
      namesIn(e.right, out);
      break;
    case 'num':
      break;
  }
  return out;
}
