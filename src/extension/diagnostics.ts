/** The thin adapter from pure findings to VS Code diagnostics. */
import * as vscode from 'vscode';
import type { Finding } from '../derivation/checker';
import type { Range } from '../derivation/parser';

export const SOURCE = 'Backprop Lens';

export function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

const SEVERITY: Record<Finding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

/** A diagnostic whose code links to the README section that explains it. */
export function toDiagnostic(f: Finding, uri: vscode.Uri, readme: vscode.Uri): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(f.range), f.message, SEVERITY[f.severity]);
  d.source = SOURCE;
  d.code = { value: f.code, target: readme.with({ fragment: `diagnostic-${f.code}` }) };
  d.relatedInformation = f.related.map(
    (r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(r.range)), r.message),
  );
  return d;
}
