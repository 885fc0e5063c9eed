/** The static checks of a .deriv program: names defined before use, known functions, no redefinition of the inputs. */
import { closest } from '../data/experiment';
import { FUNCTIONS } from './evaluate';
import { type Expr, type Program, type Range, type Statement, namesIn } from './parser';
import { type Checked, type Mode, PREDEFINED } from './world';
import type { Finding, FindingCode } from './findings';

export interface StatementInfo {
  s: Statement;
  valid: boolean;
  /** Checked gradient statements this one reads, directly or through helpers (indices). */
  deps: Set<number>;
  checks: Checked | null;
}

/** Static checks: names defined before use, known functions, no redefinition of inputs; dependency sets. */
export function analyse(program: Program, mode: Mode, findings: Finding[]): StatementInfo[] {
  const predefined = new Set<string>([...PREDEFINED, ...(mode === 'batch' ? ['m'] : [])]);
  const firstDef = new Map<string, number>();
  program.statements.forEach((s, i) => {
    if (!firstDef.has(s.name)) firstDef.set(s.name, i);
  });
  const infos: StatementInfo[] = [];
  const defined = new Map<string, number>();
  program.statements.forEach((s, i) => {
    let valid = true;
    const err = (code: FindingCode, message: string, range: Range, related: Finding['related'] = []) => {
      findings.push({ severity: 'error', code, message, range, related });
      valid = false;
    };
    if (predefined.has(s.name))
      err(
        'redefines-input',
        `${s.name} is given by the forward pass and cannot be redefined; use another name`,
        s.nameRange,
      );
    else if (defined.has(s.name)) {
      const prev = program.statements[defined.get(s.name)!];
      err('duplicate-definition', `${s.name} is already defined on line ${prev.line + 1}`, s.nameRange, [
        { range: prev.nameRange, message: `first definition of ${s.name}` },
      ]);
    }
    const deps = new Set<number>();
    for (const ref of namesIn(s.expr)) {
      if (predefined.has(ref.name)) continue;
      const j = defined.get(ref.name);
      if (j !== undefined) {
        if (!infos[j].valid) valid = false; // its own error is reported; stay quiet here
        for (const d of infos[j].deps) deps.add(d);
        if (infos[j].checks) deps.add(j);
        continue;
      }
      const later = firstDef.get(ref.name);
      if (later !== undefined && later >= i) {
        const ls = program.statements[later];
        err(
          'use-before-definition',
          `${ref.name} is used before it is defined (on line ${ls.line + 1})`,
          ref.range,
          [{ range: ls.nameRange, message: `${ref.name} is defined here` }],
        );
      } else {
        const near = closest(ref.name, [...predefined, ...defined.keys()]);
        err(
          'unknown-name',
          `unknown name ${ref.name}${near ? ` (did you mean ${near}?)` : ''}; the given names are ${[...predefined].join(' ')}`,
          ref.range,
        );
      }
    }
    for (const call of callsIn(s.expr)) {
      if (!(FUNCTIONS as readonly string[]).includes(call.fn)) {
        const near = closest(call.fn, FUNCTIONS);
        err(
          'unknown-function',
          `unknown function ${call.fn}${near ? ` (did you mean ${near}?)` : ''}; the functions are ${FUNCTIONS.join(' ')}`,
          call.range,
        );
      }
    }
    const m = /^d(W1|b1|W2|b2|z1|a1|z2|a2)$/.exec(s.name);
    infos.push({ s, valid, deps, checks: m ? (m[1] as Checked) : null });
    if (!defined.has(s.name)) defined.set(s.name, i);
  });
  return infos;
}

function callsIn(
  e: Expr,
  out: Array<{ fn: string; range: Range }> = [],
): Array<{ fn: string; range: Range }> {
  switch (e.kind) {
    case 'call':
      out.push({ fn: e.fn, range: e.fnRange });
      e.args.forEach((a) => callsIn(a, out));
      break;
    case 'unary':
    case 'transpose':
      callsIn(e.arg, out);
      break;
    case 'binary':
      callsIn(e.left, out);
      callsIn(e.right, out);
      break;
    default:
      break;
  }
  return out;
}
